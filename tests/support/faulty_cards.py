"""Test cards that go wrong in one precise way, plugged in with ``CardSlots.insert_factory``.

Each wraps a real test card's chip (the public Vitale 2 layout) and damages one kind of answer,
so the daemon's handling of that fault is tested through the real pcscd path. One is not
damaged but real-like: :func:`cps_without_certificate` keeps its certificate where a real
CPS does (not public), so the box cannot read its profession.
"""

from __future__ import annotations

from borne.sim.cards import load_card


class _Damaged:
    """Delegates to a test card's chip, rewriting the answers to READ BINARY."""

    def __init__(self, card: str, damage) -> None:
        self._chip = load_card(card)
        self._damage = damage

    @property
    def atr(self) -> bytes:
        return self._chip.atr

    def power_on(self) -> None:
        self._chip.power_on()

    def power_off(self) -> None:
        self._chip.power_off()

    def reset(self) -> None:
        self._chip.reset()

    def respond(self, apdu: bytes) -> bytes:
        answer = self._chip.respond(apdu)
        if len(apdu) >= 2 and apdu[1] == 0xB0 and answer[-2:] == b"\x90\x00":
            return self._damage(answer[:-2])
        return answer


def truncated_tlv(card: str = "vitale-single") -> _Damaged:
    """The identity file stops in the middle of a TLV (status still 9000)."""
    return _Damaged(card, lambda data: data[: max(3, len(data) // 2)] + b"\x90\x00")


def corrupted_length(card: str = "vitale-single") -> _Damaged:
    """A TLV length byte claims far more than the file holds."""
    return _Damaged(card, lambda data: data[:1] + b"\x82\xff\xff" + data[2:] + b"\x90\x00")


def wrong_status(card: str = "vitale-single") -> _Damaged:
    """The card accepts the Vitale selections but every read fails with 6F00 (no diagnosis)."""
    return _Damaged(card, lambda data: b"\x6f\x00")


class _Unselectable(_Damaged):
    """Delegates to a test card's chip, answering "file not found" to SELECTs of one path."""

    def __init__(self, card: str, path: bytes) -> None:
        super().__init__(card, lambda data: data + b"\x90\x00")
        self._path = path

    def respond(self, apdu: bytes) -> bytes:
        if len(apdu) >= 5 and apdu[1] == 0xA4 and apdu[5:5 + apdu[4]].endswith(self._path):
            return b"\x6a\x82"  # file or application not found
        return super().respond(apdu)


def cps_without_certificate(card: str = "cps-pharmacist") -> _Unselectable:
    """A CPS whose authentication certificate is not at the simulator's path, as on a real
    CPx card: the box reads its ATR and serial, not its holder nor its profession."""
    return _Unselectable(card, bytes.fromhex("B02EC001"))


class _Slow(_Damaged):
    """Delegates to a test card's chip; its first READ BINARY answers after ``delay_s``."""

    def __init__(self, card: str, delay_s: float) -> None:
        super().__init__(card, lambda data: data + b"\x90\x00")
        self._delay_s = delay_s

    def respond(self, apdu: bytes) -> bytes:
        if self._delay_s and len(apdu) >= 2 and apdu[1] == 0xB0:
            import time

            time.sleep(self._delay_s)
            self._delay_s = 0.0
        return super().respond(apdu)


def slow_vitale(card: str = "vitale-single") -> _Slow:
    """A carte Vitale read slowly (a worn chip): the box is "reading" it for about 3 s."""
    return _Slow(card, 3.0)
