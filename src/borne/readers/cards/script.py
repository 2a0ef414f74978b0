"""Card reading as sans-I/O scripts.

A *card script* is a generator that yields command APDUs (``bytes``) and is
sent back the full response APDU (data followed by SW1 SW2). Its return value
is the decoded result. Scripts never touch a reader: the PC/SC backend, a test
with a table of bytes, or a virtual card in memory drives them with
:func:`drive`, so the same decoding code runs everywhere.

Scripts raise :class:`borne.errors.CardError` with a stable code when the card
answers something they cannot use.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TypeVar

__all__ = ["CardScript", "drive", "record"]

T = TypeVar("T")

#: A generator that yields command APDUs, receives response APDUs, returns a result.
CardScript = Generator[bytes, bytes, T]


def drive(script: CardScript[T], transmit: Callable[[bytes], bytes]) -> T:
    """Run ``script`` to its end, sending each command through ``transmit``.

    Exceptions raised by ``transmit`` (card removed, reader gone) propagate to
    the caller unchanged; the script is closed so it cannot leak state.
    """
    try:
        command = next(script)
        while True:
            command = script.send(transmit(command))
    except StopIteration as stop:
        return stop.value
    finally:
        script.close()


def record(script: CardScript[T], respond: Callable[[bytes], bytes]) -> list[bytes]:
    """Run ``script`` against an in-memory card's ``respond``; the commands it sent, in order.

    Benchmarks and tests replay these commands elsewhere (through pcscd, the APDU
    channel, an NFC link) to compare transports on the very same exchange.
    """
    sent: list[bytes] = []

    def transmit(apdu: bytes) -> bytes:
        sent.append(apdu)
        return respond(apdu)

    drive(script, transmit)
    return sent
