"""The simulated box in the test process: the daemon on the tests' private pcscd.

Every in-process box of the tests and benches is configured by :func:`box_config`
and started by :func:`start_box` (or :func:`running_box`, which also stops it);
``tests/unit/test_harness_rules.py`` keeps it so. A test passes only the sections
it is about, e.g. ``start_box(tmp_path, display={"device": "dummy:128x64"})``.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from borne.config import Config, parse_config
from borne.daemon import Daemon

from support.sections import merged, simulated_box

if TYPE_CHECKING:
    from borne.runtime.clock import Clock

__all__ = ["box_config", "paired", "paired_http", "raw_tls", "running_box", "start_box", "url"]


def _base(tmp_path: Path) -> dict:
    return merged(simulated_box(tmp_path), {
        # The tests' private pcscd (the `sim_pcscd` fixture); a short retry, as tests stop it.
        "readers": {"pcsc": {"retry_interval_s": 0.2}},
        # Loopback on a free port; idle event streams show their heartbeat within the test.
        "api": {"host": "127.0.0.1", "port": 0, "heartbeat_s": 0.5},
    })


def box_config(tmp_path: Path, **sections: Mapping[str, object]) -> Config:
    """The simulated box's config, with ``sections`` (TOML tables as dicts) merged over it.

    The base: runtime and data dirs under ``tmp_path``, the ``sim`` smart-card
    backend (the tests' private pcscd) retried every 0.2 s, the API on
    127.0.0.1 with a free port and a 0.5 s heartbeat; everything else is the
    daemon's default. ``readers={"camera": "images:DIR"}`` keeps the smart-card
    settings; ``api={"enabled": False}`` turns the API off.
    """
    return parse_config(merged(_base(tmp_path), sections))


async def start_box(tmp_path: Path, *, clock: Clock | None = None,
                    **sections: Mapping[str, object]) -> Daemon:
    """Build and start the box of :func:`box_config` (on ``clock``, if given); the caller stops it.

    Fails if the API the config enables did not start; a start that fails leaves
    nothing running.
    """
    box = Daemon(box_config(tmp_path, **sections), clock=clock)
    await box.start()
    if box.config.api.enabled and box.api is None:
        await box.stop()
        pytest.fail(f"the box's API did not start: {box.core.devices.get('api')}")
    return box


@asynccontextmanager
async def running_box(tmp_path: Path, *, clock: Clock | None = None,
                      **sections: Mapping[str, object]) -> AsyncIterator[Daemon]:
    """``async with running_box(tmp_path, ...) as box``: :func:`start_box`, stopped at the end
    however the block ends (stopping it earlier in the block is allowed)."""
    box = await start_box(tmp_path, clock=clock, **sections)
    try:
        yield box
    finally:
        await box.stop()


def url(box: Daemon) -> str:
    """The box's API address."""
    return f"https://127.0.0.1:{box.api.port}"


async def paired(box: Daemon, folder: Path, name: str = "Comptoir 1", *, admin: bool = False):
    """Pair a workstation into ``folder`` through the real pairing exchange."""
    from borne.client import pair

    window = box.api_context.pairing.open()
    box.api_context.pairing_admin = admin
    return await pair(url(box), code=window.code, name=name, directory=folder)


@asynccontextmanager
async def paired_http(box: Daemon, folder: Path, *, admin: bool = False, **options):
    """An ``httpx.AsyncClient`` on ``box`` with the certificate of a workstation paired into
    ``folder`` (``options`` go to the client: headers, timeout...)."""
    import httpx

    from borne.client.api import mtls_context
    from borne.client.store import WorkstationFiles

    await paired(box, folder, "Comptoir 1", admin=admin)
    async with httpx.AsyncClient(verify=mtls_context(WorkstationFiles(folder)), base_url=url(box),
                                 **options) as client:
        yield client


def raw_tls(ca: Path | None = None, cert: Path | None = None, key: Path | None = None) -> ssl.SSLContext:
    """A client TLS context trusting ``ca`` (or nothing checked), with an optional certificate."""
    context = ssl.create_default_context(cafile=str(ca) if ca else None)
    context.check_hostname = False
    if ca is None:
        context.verify_mode = ssl.CERT_NONE
    if cert is not None:
        context.load_cert_chain(str(cert), str(key))
    return context
