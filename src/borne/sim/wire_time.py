"""How long a real card's contacts take to carry an APDU: ISO/IEC 7816-3 character timing.

The virtual cards answer in about 0.1 ms; a real card cannot, if only because
every byte crosses one I/O line at the speed its ATR allows. This module gives
that floor, so a bench can compare two paths to a card whose speed is that of a
real one instead of an infinitely fast one.

Source: ISO/IEC 7816-3:2006, §7.1 (elementary time unit: etu = F / (D x f)),
§8.3 Tables 7 and 8 (Fi and Di from TA1), §10.2 and §11.2 (a character is at
least 12 etu under T=0 and 11 etu under T=1), §10.3 (a T=0 command header is 5
bytes and the card answers a procedure byte), §11.3 (a T=1 block adds a 3-byte
prologue and a 1-byte LRC epilogue).

What it leaves out, on purpose: the card's processing time (unknown, and often
the larger part), waiting times, GET RESPONSE round trips under T=0, and a
reader that does not switch to the speed TA1 offers. So a real card is slower
than this, never faster: a ratio measured with it is an upper bound of the
ratio a real card would give.
"""

from __future__ import annotations

__all__ = ["DEFAULT_CLOCK_HZ", "etu_seconds", "wire_seconds"]

#: The card clock most CCID readers drive (4 MHz; the CCID descriptor's
#: dwDefaultClock is often 4000 kHz). A setting, not a fact about every reader.
DEFAULT_CLOCK_HZ = 4_000_000

# ISO/IEC 7816-3 Table 7 (Fi) and Table 8 (Di), indexed by TA1's nibbles; None is RFU.
_FI = (372, 372, 558, 744, 1116, 1488, 1860, None, None, 512, 768, 1024, 1536, 2048, None, None)
_DI = (None, 1, 2, 4, 8, 16, 32, 64, 12, 20, None, None, None, None, None, None)


def _interface(atr: bytes) -> tuple[int, int]:
    """(TA1 or 0x11 when absent, first offered protocol)."""
    if len(atr) < 2:
        raise ValueError("ATR too short")
    y = atr[1] >> 4
    ta1 = atr[2] if y & 0x1 and len(atr) > 2 else 0x11  # 0x11: Fd=372, Dd=1, the default
    position = 2 + bin(y & 0x7).count("1")
    protocol = atr[position] & 0x0F if y & 0x8 and position < len(atr) else 0
    return ta1, protocol


def etu_seconds(atr: bytes, clock_hz: int = DEFAULT_CLOCK_HZ) -> float:
    """One elementary time unit, at the speed TA1 offers (the default speed without TA1)."""
    ta1, _ = _interface(bytes(atr))
    fi, di = _FI[ta1 >> 4], _DI[ta1 & 0x0F]
    if fi is None or di is None:
        raise ValueError(f"TA1 {ta1:02X} names a reserved Fi or Di")
    return fi / (di * clock_hz)


def wire_seconds(atr: bytes, command: bytes, response: bytes, clock_hz: int = DEFAULT_CLOCK_HZ,
                 protocol: int | None = None) -> float:
    """The least time ``command`` and its ``response`` (data and SW) spend on the contacts.

    ``protocol`` is the one in use (default: the first the ATR offers, as a
    reader that does no PPS would use).
    """
    if protocol is None:
        _, protocol = _interface(bytes(atr))
    if protocol == 1:
        characters, per_character = len(command) + 4 + len(response) + 4, 11
    else:
        # T=0: the 5-byte header, one procedure byte, the command data, the answer.
        data_in = max(len(command) - 5, 0)
        characters, per_character = 5 + 1 + data_in + len(response), 12
    return characters * per_character * etu_seconds(atr, clock_hz)
