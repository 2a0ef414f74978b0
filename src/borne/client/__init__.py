"""The client SDK for billing software: pair with a box, then read its state and events.

Runs on the workstation (as do :mod:`borne.bridge` and the ``borne client``/``borne bridge``
commands); it never imports the box's services (tests/unit/test_package_layout.py).

Async and typed, built on httpx::

    from borne.client import BoxClient, pair

    await pair("https://borne.local:8443", code="123456", name="Comptoir 1", directory=folder)
    async with BoxClient.from_directory(folder) as box:
        print(await box.status())
        async for event in box.events():      # reconnects and resumes by itself
            if event.type == "card.decoded":
                card = await box.card(event.data["slot"])

The workstation's private key never leaves it (0600 in ``directory``); the
box's CA, received during pairing and authenticated by the pairing code, is
then the only authority the SDK trusts for that box. Collected offline-journal records are
opened with :class:`JournalReader`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["BoxClient", "BoxConnectionError", "BoxError", "Event", "FoundBox", "JournalReader",
           "PairedBox", "discover", "pair"]

if TYPE_CHECKING:
    from .api import BoxClient, BoxConnectionError, BoxError, Event
    from .browse import FoundBox, discover
    from .journal_reader import JournalReader
    from .pairing import PairedBox, pair


def __getattr__(name: str) -> object:
    # Lazy: `import borne.client` must not load httpx or cryptography.
    if name in ("BoxClient", "BoxConnectionError", "BoxError", "Event"):
        from . import api

        return getattr(api, name)
    if name in ("FoundBox", "discover"):
        from . import browse  # not named "discover": the submodule would hide the function

        return getattr(browse, name)
    if name == "JournalReader":
        from .journal_reader import JournalReader

        return JournalReader
    if name in ("PairedBox", "pair"):
        from . import pairing

        return getattr(pairing, name)
    raise AttributeError(name)
