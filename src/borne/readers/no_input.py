"""The ``none`` backend of an optional input: the box has no such device."""

from __future__ import annotations

import asyncio
from typing import Any

from .capture import CaptureSink, InputBackend

__all__ = ["NoInput"]


class NoInput(InputBackend):
    """Captures nothing and reports nothing: ``borne status`` shows the device as absent."""

    def __init__(self, kind: str) -> None:
        self.device = kind

    @classmethod
    def from_path(cls, scheme: str, argument: str | None, config: Any) -> NoInput:
        return cls("input")  # the daemon names it after the kind it fills

    def start(self, sink: CaptureSink, loop: asyncio.AbstractEventLoop) -> None:
        pass

    async def stop(self) -> None:
        pass
