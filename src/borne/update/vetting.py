"""Vetting a bundle before anything is written: RAUC checks the signature, the box the rest.

The order matters: RAUC's ``Info`` verifies the bundle's CMS signature against the
system keyring before it reads the manifest, and nothing of a slot is touched by it.
Then the box refuses a bundle for another ``compatible`` and a version that is not
newer than the booted one (unless an admin allows a downgrade: an old, vulnerable
version must not be re-installable by anyone with a USB stick).

RAUC 1.8 answers every ``Info`` failure with the same D-Bus error ("rauc info error"),
its reason only in its own log. :func:`why_unreadable` tells the two cases apart from
the bundle's layout (a squashfs, a DER CMS signature, its size as 8 bytes big-endian at
the end: RAUC's ``bundle.c``): a well-formed bundle RAUC refused carries a signature
that is not the keyring's, or content that no longer matches it (tampered):
``update_bad_signature``; anything else is ``update_invalid_bundle``.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import Message
from .errors import UpdateRefused
from .rauc import RaucClient, RaucError
from .release import newer
from .state import BundleInfo

__all__ = ["install_error_code", "vet_bundle", "why_unreadable"]

#: A squashfs's first bytes ("hsqs"): every RAUC bundle (plain or verity) starts with one.
_SQUASHFS_MAGIC = b"hsqs"


def why_unreadable(bundle: Path) -> str:
    """The code for a bundle RAUC's ``Info`` refused: bad signature, or not a bundle."""
    try:
        size = bundle.stat().st_size
        with open(bundle, "rb") as file:
            head = file.read(4)
            if size < 4 + 8 or head != _SQUASHFS_MAGIC:
                return "update_invalid_bundle"
            file.seek(size - 8)
            signature_size = int.from_bytes(file.read(8), "big")
            if not 0 < signature_size < size - 8 - 4:
                return "update_invalid_bundle"
            file.seek(size - 8 - signature_size)
            first = file.read(1)
    except OSError:
        return "update_invalid_bundle"
    return "update_bad_signature" if first == b"\x30" else "update_invalid_bundle"


def install_error_code(last_error: str) -> str:
    """The stable code of an install RAUC failed (from its ``LastError`` text)."""
    text = last_error.lower()
    if "no space left" in text or "too large" in text or "larger than" in text:
        return "update_no_space"
    if "signature" in text or "verif" in text:
        return "update_bad_signature"
    return "update_failed"


async def vet_bundle(rauc: RaucClient, bundle: Path, *, system_compatible: str | None,
                     booted_version: str | None, allow_downgrade: bool) -> BundleInfo:
    """The bundle's facts once it passed every check; :class:`UpdateRefused` otherwise."""
    if not bundle.is_file() or not os.access(bundle, os.R_OK):
        raise UpdateRefused("update_invalid_bundle", Message.same(bundle.name))
    try:
        compatible, version = await rauc.info(str(bundle))
    except RaucError as error:
        if error.name in ("no_bus", "timeout") or error.name.endswith(
                ("ServiceUnknown", "NameHasNoOwner", "NoReply")):
            raise UpdateRefused("update_unavailable", error.text) from None
        raise UpdateRefused(why_unreadable(bundle), error.text) from None
    info = BundleInfo(version=version, compatible=compatible)
    if system_compatible is not None and compatible != system_compatible:
        raise UpdateRefused("update_wrong_compatible",
                            Message.same(f"{compatible} != {system_compatible}"),
                            version=version)
    if not allow_downgrade:
        is_newer = newer(version, booted_version) if booted_version else None
        if is_newer is not True:
            shown = f"{version} <= {booted_version or '?'}"
            raise UpdateRefused("update_downgrade_refused", Message.same(shown), version=version)
    return info
