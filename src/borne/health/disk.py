"""The data partition: is it there, writable, and is there room left (bytes and inodes)?"""

from __future__ import annotations

import os
from pathlib import Path

from ..config import HealthConfig
from .check import Check

__all__ = ["check_data_dir", "check_disk"]

_MB = 1024 * 1024


def _existing(path: Path) -> Path:
    """``path`` or its nearest existing parent: the file system it is (or will be) on."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_data_dir(path: Path) -> Check:
    """Whether the data directory exists and this process may write in it."""
    if not path.exists():
        return Check("data_dir", "warn", f"{path} n'existe pas encore", f"{path} does not exist yet",
                     f"créé au démarrage du service ; ou : install -d -m 0700 -o borne {path}",
                     f"created when the daemon starts; or: install -d -m 0700 -o borne {path}",
                     code="data_dir_missing")
    if not os.access(path, os.W_OK):
        return Check("data_dir", "fail", f"{path} n'est pas accessible en écriture",
                     f"{path} is not writable", f"chown -R borne: {path}",
                     f"chown -R borne: {path}", code="data_dir_not_writable")
    return Check("data_dir", "ok", f"{path} accessible en écriture", f"{path} is writable")


def check_disk(path: Path, settings: HealthConfig) -> Check:
    """Free space and free inodes on the file system holding ``path``.

    Counts what an unprivileged process may still use (``f_bavail``, ``f_favail``
    of statvfs(3)): the daemon runs as ``borne``, not root, so the blocks ext4
    reserves for root are no use to it. A file system without an inode limit
    (``f_files`` 0, e.g. btrfs) is judged on bytes alone.
    """
    where = _existing(Path(path))
    try:
        stats = os.statvfs(where)
    except OSError as error:
        return Check("disk", "fail", f"{where} : espace libre illisible ({error.strerror})",
                     f"{where}: cannot read free space ({error.strerror})",
                     f"vérifiez que la partition de données est montée (findmnt -T {where})",
                     f"check that the data partition is mounted (findmnt -T {where})",
                     code="disk_unreadable")
    free_mb = stats.f_bavail * stats.f_frsize // _MB
    inodes = stats.f_favail if stats.f_files else None
    figures_fr = f"{free_mb} Mo libres" + (f", {inodes} inodes libres" if inodes is not None else "")
    figures_en = f"{free_mb} MB free" + (f", {inodes} free inodes" if inodes is not None else "")
    space = "fail" if free_mb < settings.disk_fail_free_mb else (
        "warn" if free_mb < settings.disk_warn_free_mb else "ok")
    files = "ok" if inodes is None else ("fail" if inodes < settings.inodes_fail_free else (
        "warn" if inodes < settings.inodes_warn_free else "ok"))
    if space == "ok" and files == "ok":
        return Check("disk", "ok", f"{where} : {figures_fr}", f"{where}: {figures_en}")
    # Bytes first: when both run short, free space is what a person frees first.
    if space != "ok" and not (space == "warn" and files == "fail"):
        status, kind = space, "disk"
    else:
        status, kind = files, "inodes"
    what_fr, what_en, look_fr, look_en = _WORDS[kind, status]
    look = {"where": where}
    return Check(
        "disk", status,
        f"la partition de données ({where}) {what_fr} : {figures_fr}",
        f"the data partition ({where}) {what_en}: {figures_en}",
        ("les écritures du service (journal, appairages) échouent : " if status == "fail" else "")
        + f"libérez de la place ({look_fr.format(**look)}) ou agrandissez la partition",
        ("the daemon's writes (journal, pairings) fail: " if status == "fail" else "")
        + f"free some space ({look_en.format(**look)}) or grow the partition",
        code=f"{kind}_{'full' if status == 'fail' else 'low'}")


_DU = ("du -xsh {where}/* montre ce qui la remplit", "du -xsh {where}/* shows what fills it")
_FIND = ("find {where} -xdev -type f | wc -l compte les fichiers",
         "find {where} -xdev -type f | wc -l counts the files")
_WORDS = {
    ("disk", "warn"): ("se remplit", "is filling up", *_DU),
    ("disk", "fail"): ("est pleine", "is full", *_DU),
    ("inodes", "warn"): ("n'a presque plus d'inodes (trop de fichiers)",
                         "is running out of inodes (too many files)", *_FIND),
    ("inodes", "fail"): ("n'a plus d'inodes (trop de fichiers)",
                         "has no inodes left (too many files)", *_FIND),
}
