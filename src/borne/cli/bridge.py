"""``borne bridge``: on a billing workstation, the box's slots as local PC/SC readers (vpcd).

- ``borne bridge --dir DIR``: bridge in the foreground until Ctrl-C (a service runs this).
- ``borne bridge setup --dir DIR --name 0=CPS --name 1=Vitale``: once, as root, at install.
  Keeps the names in ``DIR/bridge.toml``, numbers the box's slots, writes
  ``/etc/reader.conf.d/borne-LABEL.conf`` with the vpcd driver copies it needs, and prints
  the reader names to give the billing software. ``--print`` shows that file instead.

``DIR`` is the folder given to ``borne client pair`` for this box; its ``bridge.toml``
holds the settings (:mod:`borne.bridge.settings`), which ``--name`` and ``--vpcd-port`` override.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..bridge.settings import BridgeSettings

__all__ = ["add_parser", "bridge"]

_WORDS = {
    "fr": {"columns": ("n°", "emplacement de la borne", "port vpcd", "lecteur PC/SC (Linux)"),
           "unseen": "(pas encore vu sur la borne)",
           "unreachable": "borne injoignable ({error}) : les emplacements seront numérotés au "
                          "premier lancement du pont",
           "written": "Écrit : {conf} et {settings}. Redémarrez pcscd (systemctl restart pcscd), "
                      "puis lancez : borne bridge --dir {dir}",
           "no_names": "borne bridge setup : donnez au moins un nom (--name 0=CPS --name 1=Vitale)"},
    "en": {"columns": ("slot", "box slot id", "vpcd port", "PC/SC reader (Linux)"),
           "unseen": "(not seen on the box yet)",
           "unreachable": "box unreachable ({error}): its slots will be numbered when the bridge "
                          "first runs",
           "written": "Written: {conf} and {settings}. Restart pcscd (systemctl restart pcscd), "
                      "then run: borne bridge --dir {dir}",
           "no_names": "borne bridge setup: give at least one name (--name 0=CPS --name 1=Vitale)"},
}


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The ``borne bridge`` command and its ``setup``."""
    from ..bridge.reader_conf import DEFAULT_DRIVER, DEFAULT_DRIVER_DIR

    parser = commands.add_parser(
        "bridge", help="on a workstation: the box's slots as local PC/SC readers (vpcd)",
        description="Run the bridge, or `setup` once at install (docs/bridge.md).")
    parser.add_argument("action", nargs="?", choices=("run", "setup"), default="run",
                        help="run (default) the bridge; setup: write the readers' configuration")
    parser.add_argument("--dir", required=True,
                        help="the folder given to `borne client pair` for this box")
    parser.add_argument("--box", help="the box's URL, https://HOST:8443 (default: the one paired with)")
    parser.add_argument("--name", action="append", default=[], metavar="N=NAME",
                        help="name box slot N's reader (N as `setup` lists them): 0=CPS 1=Vitale")
    parser.add_argument("--vpcd-port", type=int,
                        help="this box's first vpcd port (default 35963, or bridge.toml's)")
    parser.add_argument("--vpcd-host", default="127.0.0.1", help="where vpcd listens (run)")
    parser.add_argument("--label", help="setup: this box's short name on the workstation "
                                        "(default: the folder's name)")
    parser.add_argument("--reader-conf", type=Path,
                        help="setup: the file to write (default /etc/reader.conf.d/borne-LABEL.conf)")
    parser.add_argument("--driver", type=Path, default=DEFAULT_DRIVER,
                        help=f"setup: the vpcd driver to copy (default {DEFAULT_DRIVER})")
    parser.add_argument("--driver-dir", type=Path, default=DEFAULT_DRIVER_DIR,
                        help=f"setup: where its copies go (default {DEFAULT_DRIVER_DIR})")
    parser.add_argument("--print", action="store_true", dest="print_only",
                        help="setup: print the reader configuration, write nothing but the "
                             "slot numbers")


def bridge(args: argparse.Namespace, *, language: str = "fr") -> int:
    """Run ``borne bridge`` or ``borne bridge setup``; a refusal raises :class:`BorneError`."""
    settings = _settings(args)
    if args.action == "setup":
        return asyncio.run(_setup(args, settings, _WORDS.get(language, _WORDS["en"]), language))
    from ..bridge.bridge import Bridge
    from ..client.api import mtls_context
    from ..client.store import WorkstationFiles
    from ..runtime.logs import setup_logging

    # What no retry can cure stops here, said in one line: the address, the pairing folder.
    url = _box_url(args, language)
    mtls_context(WorkstationFiles(Path(args.dir)), language)
    setup_logging("info")
    logging.getLogger("borne.bridge").info("bridging %s to vpcd on %s:%d", url, args.vpcd_host,
                                           settings.vpcd_port)
    runner = Bridge(url, args.dir, vpcd_host=args.vpcd_host, layout=settings.layout())
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(runner.run())
    return 0


def _settings(args: argparse.Namespace) -> BridgeSettings:
    """``DIR/bridge.toml``, with what the command line says laid over it."""
    import msgspec

    from ..bridge.layout import parse_name_option
    from ..bridge.settings import BridgeSettings, load_settings

    settings = load_settings(args.dir)
    changes: dict[str, object] = {}
    if args.name:
        changes["names"] = {str(n): name for n, name in map(parse_name_option, args.name)}
    if args.vpcd_port is not None:
        changes["vpcd_port"] = args.vpcd_port
    if args.label:
        changes["label"] = args.label
    if not changes:
        return settings
    try:
        return msgspec.convert({**msgspec.to_builtins(settings), **changes}, BridgeSettings)
    except msgspec.ValidationError as error:
        raise (error.__cause__ or error) from None


def _box_url(args: argparse.Namespace, language: str = "fr") -> str:
    """``--box``, or the URL the folder was paired with; ``box_url_invalid`` when not https://."""
    from ..client.errors import check_box_url
    from ..client.store import WorkstationFiles

    return check_box_url(args.box or WorkstationFiles(Path(args.dir)).read_box(language)["url"],
                         language)


async def _box_slots(args: argparse.Namespace, language: str) -> tuple[list[dict], str | None]:
    """The box's slots now, or none and why (``message [code]``) when it does not answer."""
    from ..client.api import BoxClient, BoxError, mtls_context
    from ..client.store import WorkstationFiles

    try:
        files = WorkstationFiles(Path(args.dir))
        async with BoxClient(_box_url(args, language), mtls_context(files, language),
                             timeout=5.0, language=language, deadline_s=15.0) as box:
            return await box.readers(), None
    except BoxError as error:  # unreachable, refused: setup works on numbers alone
        return [], f"{error.message or error.code} [{error.code}]"


async def _setup(args: argparse.Namespace, settings: BridgeSettings, words: dict,
                 language: str) -> int:
    import msgspec

    from ..bridge import reader_conf as conf
    from ..bridge.settings import label_for, save_settings
    from ..bridge.slot_map import SlotMap
    from ..errors import ConfigError

    if not settings.names:
        raise ConfigError(words["no_names"], key="--name")
    if not settings.label:
        settings = msgspec.structs.replace(settings, label=label_for(args.dir))
    layout = settings.layout()
    slots = SlotMap(args.dir)
    listed, unreachable = await _box_slots(args, language)
    if unreachable:
        print(words["unreachable"].format(error=unreachable), file=sys.stderr)
    slots.number(slot["id"] for slot in sorted(listed, key=lambda slot: slot["name"]))
    slot_ids = {n: slot for n in layout.names if (slot := slots.slot_id(n)) is not None}
    path = args.reader_conf or conf.DEFAULT_READER_CONF_DIR / f"borne-{settings.label}.conf"
    text = conf.reader_conf(layout, label=settings.label, box_url=_box_url(args, language),
                            driver_dir=args.driver_dir, slot_ids=slot_ids)
    conf.check_free(layout, conf.read_entries(path.parent, skip=path))
    if args.print_only:
        print(text, end="")
        return 0
    conf.install(text, path, layout=layout, label=settings.label, driver=args.driver,
                 driver_dir=args.driver_dir)
    saved = save_settings(args.dir, settings)
    rows = [words["columns"]] + [
        (str(n), slot_ids.get(n, words["unseen"]), str(layout.port(n)), layout.reader_name(n))
        for n in sorted(layout.names)]
    for row in rows:
        print(f"{row[0]:<5} {row[1]:<36} {row[2]:<10} {row[3]}")
    print(words["written"].format(conf=path, settings=saved, dir=args.dir))
    return 0
