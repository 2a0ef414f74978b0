"""The card's side of the T=1 block protocol (ISO/IEC 7816-3:2006 section 11), sans-I/O.

At TPDU exchange level (the serial twin: libccid drives every serial reader so) the
workstation's driver speaks T=1 itself and each ``XfrBlock`` carries one block; the box's
slot talks whole APDUs. :class:`T1Card` stands between them as the card would: it
reassembles the command APDU from the interface's I-blocks, hands it over once, and cuts the
response into I-blocks of at most IFSD bytes.

A block (11.3, figure 13) is ``NAD PCB LEN INF EDC``:

=======  ====================================================================
NAD      node address; the box answers 00 and ignores what it receives (11.3.2.1)
PCB      I-block ``0 N(S) M 00000``; R-block ``100 N(R) 0 e e``; S-block
         ``11 r xxxxx`` with r the response bit (11.3.2.2, tables 8 to 10)
LEN      0..254 bytes of INF; 255 is reserved (11.3.2.3)
EDC      LRC: the xor of every byte before it (11.3.4.1); CRC (11.3.4.2) refused
=======  ====================================================================

The rules followed (11.6.2 and 11.6.3, the card's part of them):

- rule 1: the interface speaks first; the card answers every block with one block;
- rule 2: an I-block's N(S) alternates from 0 in each direction; the card's answer to the
  last block of a command is its own I-block (the response);
- rule 4: S(IFS request) sets IFSD, the largest INF the card may send; the card answers
  S(IFS response) with the same INF. IFSD starts at 32 (11.4.2); IFSC (what the card takes)
  comes from the reader's parameters and caps the interface's I-blocks;
- rule 5: chaining: an I-block with M = 1 is acknowledged by R(N(R) = the next N(S)
  expected); the card chains its own response when it is longer than IFSD, and the
  interface acknowledges each piece with an R-block asking for the next N(S);
- rule 6: S(RESYNCH request) puts both sequence numbers and IFSD back to their initial
  values; S(ABORT request) drops the chain in progress (6.3, 6.4);
- rule 7: a block with a wrong LRC or an impossible layout gets an R-block naming the
  I-block expected, ``e e`` = 01 (EDC error) or 10 (other error) (7.1, 7.2); an R-block
  asking for the card's last I-block gets it again (7.3: retransmission). A chain longer
  than any APDU (:data:`MAX_COMMAND`) is dropped the same way: a host cannot make the box
  hold more.

S(WTX) is the card's request and the box never needs it: a response S(WTX) is an error.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DEFAULT_IFS",
    "MAX_COMMAND",
    "MAX_IFS",
    "Apdu",
    "T1Card",
    "block",
    "lrc",
]

DEFAULT_IFS = 32  # 11.4.2: IFSC and IFSD start at 32 unless the ATR or S(IFS) says otherwise
MAX_IFS = 254  # 11.4.2: 0x01..0xFE; LEN 0xFF is reserved (11.3.2.3)
NAD = 0x00
#: The largest command APDU the box takes (extended: 4 + 3 + 65 535 + 2); a longer chain is a
#: host gone wrong and is dropped, so a host cannot make the box hold more than this.
MAX_COMMAND = 65545

# PCB (11.3.2.2, tables 8, 9, 10).
I_MORE = 0x20  # I-block: M, more data follow
I_SEQUENCE = 0x40  # I-block: N(S)
R_BLOCK = 0x80
R_SEQUENCE = 0x10  # R-block: N(R)
R_EDC_ERROR = 0x01
R_OTHER_ERROR = 0x02
S_BLOCK = 0xC0
S_RESPONSE = 0x20
S_RESYNCH = 0x00
S_IFS = 0x01
S_ABORT = 0x02
S_WTX = 0x03


def lrc(data: bytes) -> int:
    """The longitudinal redundancy check: xor of every byte (11.3.4.1)."""
    value = 0
    for byte in data:
        value ^= byte
    return value


def block(pcb: int, inf: bytes = b"", nad: int = NAD) -> bytes:
    """One block with its LRC: ``NAD PCB LEN INF LRC`` (11.3, figure 13)."""
    if len(inf) > MAX_IFS:
        raise ValueError(f"a T=1 block carries at most {MAX_IFS} bytes, not {len(inf)}")
    head = bytes((nad, pcb, len(inf))) + inf
    return head + bytes((lrc(head),))


@dataclass(frozen=True, slots=True)
class Apdu:
    """A whole command APDU reassembled from the interface's I-blocks: send it to the card."""

    command: bytes


class T1Card:
    """One slot's T=1 state, card side: blocks in, blocks or a whole APDU out.

    Feed each block the interface sends to :meth:`receive`. It returns the block to send
    back, or an :class:`Apdu` when a command is complete; then give the card's whole
    response to :meth:`respond`, which returns the first I-block of it.
    """

    def __init__(self, ifsc: int = DEFAULT_IFS) -> None:
        self._ifsc = ifsc
        self.reset()

    def reset(self, ifsc: int | None = None) -> None:
        """Back to the initial state (power on or off, new parameters, S(RESYNCH))."""
        if ifsc is not None:
            if not 1 <= ifsc <= MAX_IFS:
                raise ValueError(f"IFSC must be 1..{MAX_IFS}, not {ifsc}")
            self._ifsc = ifsc
        self._ifsd = DEFAULT_IFS
        self._expected = 0  # N(S) of the interface's next I-block
        self._send = 0  # N(S) of the card's next I-block
        self._command = bytearray()
        self._pending = b""  # the response's pieces not sent yet
        self._last = b""  # the last block sent, for R-blocks that ask again

    @property
    def ifsc(self) -> int:
        """The largest INF the card takes (from the reader's parameters)."""
        return self._ifsc

    @property
    def ifsd(self) -> int:
        """The largest INF the card may send (S(IFS request) sets it)."""
        return self._ifsd

    @property
    def pending_command(self) -> int:
        """How many bytes of a chained command are held, waiting for its last block."""
        return len(self._command)

    def receive(self, data: bytes) -> bytes | Apdu:
        """The answer to one block from the interface: a block, or the completed command."""
        if len(data) < 4 or lrc(data) != 0:
            return self._reject(R_EDC_ERROR if len(data) >= 4 else R_OTHER_ERROR)
        pcb, length, inf = data[1], data[2], data[3:-1]
        if length != len(inf) or length > MAX_IFS:
            return self._reject(R_OTHER_ERROR)
        if pcb & 0x80 == 0:
            return self._i_block(pcb, bytes(inf))
        if pcb & 0xC0 == R_BLOCK:
            return self._r_block(pcb, len(inf))
        return self._s_block(pcb, bytes(inf))

    def respond(self, response: bytes) -> bytes:
        """The first I-block of the card's ``response`` to the last :class:`Apdu`."""
        self._pending = response
        return self._next_piece()

    # --- the three kinds of block ---

    def _i_block(self, pcb: int, inf: bytes) -> bytes | Apdu:
        if pcb & 0x1F or len(inf) > self._ifsc or (pcb & I_SEQUENCE) != self._expected << 6:
            return self._reject(R_OTHER_ERROR)
        if len(self._command) + len(inf) > MAX_COMMAND:
            # No APDU is that long: drop the chain; the host's retries end in S(RESYNCH).
            self._command = bytearray()
            return self._reject(R_OTHER_ERROR)
        self._expected ^= 1
        self._pending = b""  # a new command ends an unfinished response (rule 5)
        self._command += inf
        if pcb & I_MORE:
            return self._sent(block(R_BLOCK | self._expected << 4))
        command, self._command = bytes(self._command), bytearray()
        return Apdu(command)

    def _r_block(self, pcb: int, length: int) -> bytes:
        asked = (pcb & R_SEQUENCE) >> 4
        if pcb & 0x2C or length:
            return self._reject(R_OTHER_ERROR)
        if self._pending and asked == self._send:
            return self._next_piece()  # the interface took our last piece: the next one
        if self._last:
            return self._sent(self._last)  # 7.3: it lost our last block: again
        return self._reject(R_OTHER_ERROR)

    def _s_block(self, pcb: int, inf: bytes) -> bytes:
        kind = pcb & 0x1F
        if pcb & S_RESPONSE or kind == S_WTX:
            return self._reject(R_OTHER_ERROR)  # the card sends no request a response answers
        if kind == S_IFS and len(inf) == 1 and 1 <= inf[0] <= MAX_IFS:
            self._ifsd = inf[0]
        elif kind == S_RESYNCH and not inf:
            self.reset()
        elif kind == S_ABORT and not inf:
            self._command, self._pending = bytearray(), b""
        else:
            return self._reject(R_OTHER_ERROR)
        return self._sent(block(pcb | S_RESPONSE, inf))

    # --- sending ---

    def _next_piece(self) -> bytes:
        piece, self._pending = self._pending[:self._ifsd], self._pending[self._ifsd:]
        pcb = self._send << 6 | (I_MORE if self._pending else 0)
        self._send ^= 1
        return self._sent(block(pcb, piece))

    def _reject(self, error: int) -> bytes:
        # 7.1/7.2: name the I-block expected; a chain being received stays as it was.
        return self._sent(block(R_BLOCK | self._expected << 4 | error), keep_last=True)

    def _sent(self, answer: bytes, keep_last: bool = False) -> bytes:
        if not keep_last or not self._last:
            self._last = answer
        return answer
