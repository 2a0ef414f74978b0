"""An in-memory ISO/IEC 7816-4 chip: files, SELECT, READ BINARY, GET RESPONSE.

It implements :class:`~borne.vpcd.responder.CardResponder`, so the same object
answers tests in memory and pcscd through vpcd.

=====================  =========================================================
Command                Behaviour
=====================  =========================================================
SELECT ``A4``          P1 ``00`` FID (``3F00`` = MF, else a child of the current
                       DF or of its parent), ``02`` EF under the current DF,
                       ``04`` DF name (AID, anywhere), ``08`` path from the MF;
                       ``6A82`` if not found, ``6A86`` other P1, ``6700`` bad Lc
READ BINARY ``B0``     P1 bit 8 set: SFI in the current DF, offset = P2; else
                       offset P1P2 in the current EF; ``6B00`` past the end,
                       ``6986`` no current EF; with ``exact_le`` a Le that does
                       not match what is left gets ``6Cxx``
GET RESPONSE ``C0``    next chunk of a chained response (``max_response``)
VERIFY ``20``          only with ``pin`` (a CPS): P1 ``00``, any P2 (one PIN);
                       no data: ``63CX`` (X tries left), ``9000`` once verified,
                       ``6983`` blocked; a wrong PIN spends a try (``63CX``, the
                       last one ``63C0``), the right one ``9000`` and the
                       counter back to ``pin_tries``
other INS / CLA        ``6D00`` / ``6E00``
=====================  =========================================================

The PIN's try counter is the card's persistent memory: it survives power cycles
and resets (the verified state does not). This is the simulator's behaviour,
following ISO/IEC 7816-4:2005 §7.5.6 (VERIFY; §11.5.6 in the 2013 and 2020
editions) and its status words (§5.1.3 table 6: ``63CX`` "counter", ``6983``
"authentication method blocked"); the real CPS3/CPS4 PIN reference (P2) and
format are not public here, so any P2 checks the one PIN and the data is the
PIN's ASCII digits, ``FF``-padded or not.

Test behaviours, all explicit options: ``pull_after=N`` raises
:class:`CardPulled` at the Nth APDU since power-on; ``mute`` raises it at every
APDU; ``garbage`` accepts every SELECT and answers reads with a truncated,
random-looking TLV.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from borne.vpcd.responder import CardPulled

__all__ = ["DF", "EF", "VirtualChip"]

SW_OK = b"\x90\x00"
SW_NOT_FOUND = b"\x6a\x82"
SW_WRONG_LENGTH = b"\x67\x00"
SW_WRONG_P1P2 = b"\x6a\x86"
SW_OFFSET = b"\x6b\x00"
SW_NO_EF = b"\x69\x86"
SW_NO_PENDING = b"\x69\x85"
SW_INS = b"\x6d\x00"
SW_CLA = b"\x6e\x00"
SW_BLOCKED = b"\x69\x83"


@dataclass
class EF:
    """A transparent elementary file."""

    data: bytes
    fid: bytes | None = None
    sfi: int | None = None


@dataclass
class DF:
    """A dedicated file (the MF is the DF with FID ``3F00``)."""

    fid: bytes | None = None
    aid: bytes | None = None
    children: list[DF | EF] = field(default_factory=list)


class VirtualChip:
    """A virtual card answering ISO 7816-4 file commands from a file tree."""

    def __init__(
        self,
        atr: bytes,
        mf: DF | None = None,
        *,
        max_response: int | None = None,
        exact_le: bool = False,
        pull_after: int | None = None,
        mute: bool = False,
        garbage: bool = False,
        delay_ms: float = 0.0,
        seed: int = 0,
        pin: str | None = None,
        pin_tries: int = 3,
        tries_left: int | None = None,
    ) -> None:
        self._atr = bytes(atr)
        self.mf = mf if mf is not None else DF(fid=b"\x3f\x00")
        self.max_response = max_response
        self.exact_le = exact_le
        self.pull_after = pull_after
        self.mute = mute
        self.garbage = garbage
        #: Time taken by each answer: a slow card, so tests can act in the middle of a read.
        self.delay_ms = delay_ms
        self._random = random.Random(seed)
        self.pin = pin.encode("ascii") if pin is not None else None
        self.pin_tries = pin_tries
        #: Tries left on the PIN: persistent, like a real card's counter (``tries_left``: a
        #: card inserted with wrong tries already spent elsewhere).
        self.tries_left = pin_tries if tries_left is None else int(tries_left)
        self._verified = False
        self.apdus: list[bytes] = []  # the exchange log, for tests
        self.power_on()

    # -- CardResponder -------------------------------------------------------
    @property
    def atr(self) -> bytes:
        """The Answer To Reset."""
        return self._atr

    def power_on(self) -> None:
        """Fresh volatile state: MF selected, nothing pending, APDU count at 0."""
        self.reset()
        self._count = 0

    def power_off(self) -> None:
        """Same as a reset for a chip without persistent volatile state."""
        self.reset()

    def reset(self) -> None:
        """Select the MF and drop any pending response."""
        self._df: DF = self.mf
        self._ef: EF | None = None
        self._parents: dict[int, DF] = {}
        self._index(self.mf, None)
        self._pending = b""
        self._verified = False

    def respond(self, apdu: bytes) -> bytes:
        """The full response APDU to ``apdu``; may raise :class:`CardPulled`."""
        apdu = bytes(apdu)
        self._count += 1
        self.apdus.append(apdu)
        if self.mute or (self.pull_after is not None and self._count >= self.pull_after):
            raise CardPulled()
        if self.delay_ms:
            time.sleep(self.delay_ms / 1000)
        if len(apdu) < 4:
            return SW_WRONG_LENGTH
        cla, ins = apdu[0], apdu[1]
        if cla != 0x00:
            return SW_CLA
        if self.garbage:
            return self._garbage(ins)
        if ins == 0xA4:
            return self._select(apdu)
        if ins == 0xB0:
            return self._read_binary(apdu)
        if ins == 0xC0:
            return self._get_response(apdu)
        if ins == 0x20 and self.pin is not None:
            return self._verify(apdu)
        return SW_INS

    # -- internals -----------------------------------------------------------
    def _index(self, df: DF, parent: DF | None) -> None:
        if parent is not None:
            self._parents[id(df)] = parent
        for child in df.children:
            if isinstance(child, DF):
                self._index(child, df)

    def _all_dfs(self, df: DF) -> list[DF]:
        out = [df]
        for child in df.children:
            if isinstance(child, DF):
                out.extend(self._all_dfs(child))
        return out

    @staticmethod
    def _child(df: DF, fid: bytes) -> DF | EF | None:
        return next((c for c in df.children if c.fid == fid), None)

    def _enter(self, target: DF | EF, owner: DF) -> bytes:
        if isinstance(target, DF):
            self._df, self._ef = target, None
        else:
            self._df, self._ef = owner, target
        return self._answer(b"")

    def _select(self, apdu: bytes) -> bytes:
        if len(apdu) < 5:
            return SW_WRONG_LENGTH
        p1, lc = apdu[2], apdu[4]
        data = apdu[5 : 5 + lc]
        if len(data) != lc or len(apdu) not in (5 + lc, 6 + lc):
            return SW_WRONG_LENGTH
        if p1 in (0x00, 0x02):
            if lc != 2:
                return SW_WRONG_LENGTH
            if p1 == 0x00 and data == b"\x3f\x00":
                return self._enter(self.mf, self.mf)
            for owner in (self._df, self._parents.get(id(self._df))):
                found = self._child(owner, data) if owner is not None else None
                if found is not None and (p1 == 0x00 or isinstance(found, EF)):
                    return self._enter(found, owner)
            return SW_NOT_FOUND
        if p1 == 0x04:
            match = next((d for d in self._all_dfs(self.mf) if d.aid == data), None)
            return self._enter(match, match) if match else SW_NOT_FOUND
        if p1 == 0x08:
            if lc == 0 or lc % 2:
                return SW_WRONG_LENGTH
            node: DF | EF = self.mf
            owner = self.mf
            for i in range(0, lc, 2):
                if not isinstance(node, DF):
                    return SW_NOT_FOUND
                owner = node
                found = self._child(node, data[i : i + 2])
                if found is None:
                    return SW_NOT_FOUND
                node = found
            return self._enter(node, owner)
        return SW_WRONG_P1P2

    def _read_binary(self, apdu: bytes) -> bytes:
        if len(apdu) != 5:
            return SW_WRONG_LENGTH
        p1, p2, le = apdu[2], apdu[3], apdu[4] or 256
        if p1 & 0x80:
            sfi = p1 & 0x1F
            ef = next((c for c in self._df.children if isinstance(c, EF) and c.sfi == sfi), None)
            if ef is None:
                return SW_NOT_FOUND
            self._ef = ef  # READ BINARY by SFI makes the EF current (ISO 7816-4)
            offset = p2
        else:
            if self._ef is None:
                return SW_NO_EF
            offset = (p1 << 8) | p2
        data = self._ef.data
        if offset >= len(data) and not (offset == 0 and not data):
            return SW_OFFSET
        left = data[offset:]
        if self.exact_le and le != min(len(left), 256):
            return bytes([0x6C, min(len(left), 256) & 0xFF])
        return self._answer(left[:le])

    def _answer(self, data: bytes) -> bytes:
        if self.max_response is None or len(data) <= self.max_response:
            return data + SW_OK
        self._pending = data[self.max_response :]
        return data[: self.max_response] + bytes([0x61, min(len(self._pending), 256) & 0xFF])

    def _get_response(self, apdu: bytes) -> bytes:
        if len(apdu) != 5:
            return SW_WRONG_LENGTH
        if not self._pending:
            return SW_NO_PENDING
        le = apdu[4] or 256
        limit = min(le, self.max_response or le)
        chunk, self._pending = self._pending[:limit], self._pending[limit:]
        if self._pending:
            return chunk + bytes([0x61, min(len(self._pending), 256) & 0xFF])
        return chunk + SW_OK

    def _verify(self, apdu: bytes) -> bytes:
        if apdu[2] != 0x00:
            return SW_WRONG_P1P2
        if len(apdu) == 4:  # no data: ask, spend nothing
            if self.tries_left == 0:
                return SW_BLOCKED
            return SW_OK if self._verified else bytes([0x63, 0xC0 | self.tries_left])
        lc = apdu[4]
        if lc == 0 or len(apdu) != 5 + lc:
            return SW_WRONG_LENGTH
        if self.tries_left == 0:
            return SW_BLOCKED
        if apdu[5:].rstrip(b"\xff") == self.pin:
            self.tries_left, self._verified = self.pin_tries, True
            return SW_OK
        self.tries_left -= 1
        self._verified = False
        return bytes([0x63, 0xC0 | self.tries_left])

    def _garbage(self, ins: int) -> bytes:
        if ins == 0xA4:
            return SW_OK
        # A beneficiary template announcing more bytes than it holds, then noise.
        noise = bytes(self._random.randrange(256) for _ in range(24))
        return b"\x65\x7f\x80\x05" + noise + SW_OK
