"""The simulated box in the test process: the daemon on the tests' private pcscd, with its API on a free port."""

from __future__ import annotations

import ssl
from pathlib import Path

from borne.config import parse_config
from borne.daemon import Daemon


def api_config(tmp_path: Path, **api: object):
    return parse_config({
        "daemon": {"runtime_dir": str(tmp_path / "run"), "data_dir": str(tmp_path / "data")},
        "readers": {"smartcard": "sim", "pcsc": {"retry_interval_s": 0.2}},
        "api": {"host": "127.0.0.1", "port": 0, "heartbeat_s": 0.5, **api},
    })


async def start_box(tmp_path: Path, **api: object) -> Daemon:
    box = Daemon(api_config(tmp_path, **api))
    await box.start()
    assert box.api is not None, box.core.devices.get("api")
    return box


def url(box: Daemon) -> str:
    return f"https://127.0.0.1:{box.api.port}"


async def paired(box: Daemon, folder: Path, name: str = "Comptoir 1", *, admin: bool = False):
    """Pair a workstation into ``folder`` through the real pairing exchange."""
    from borne.client import pair

    window = box.api_context.pairing.open()
    box.api_context.pairing_admin = admin
    return await pair(url(box), code=window.code, name=name, directory=folder)


def raw_tls(ca: Path | None = None, cert: Path | None = None, key: Path | None = None) -> ssl.SSLContext:
    """A client TLS context trusting ``ca`` (or nothing checked), with an optional certificate."""
    context = ssl.create_default_context(cafile=str(ca) if ca else None)
    context.check_hostname = False
    if ca is None:
        context.verify_mode = ssl.CERT_NONE
    if cert is not None:
        context.load_cert_chain(str(cert), str(key))
    return context


from support.waiting import wait_event  # noqa: E402  (re-exported: the API tests' usual companion)
