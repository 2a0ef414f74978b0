"""The CCID reader's state machine over the box's slots: one bulk-OUT message in, answers out.

:class:`CcidDevice` never does I/O and never raises out of :meth:`CcidDevice.handle`: a
malformed message gets the error the CCID specification gives (rev 1.1, section 6.2.6,
table 6.2-2), so a workstation's driver never waits for an answer that will not come.
The slots are the box's own (the CPS slot, the Vitale slot), seen through :class:`Slot`.

At APDU exchange level (USB) an ``XfrBlock`` carries a whole APDU to the slot. At TPDU level
(``CcidSettings.exchange_level = "tpdu"``: the serial twin, which libccid drives so) it
carries what the slot's protocol puts on the wire: T=0 (libccid 1.5.2 sends the
application's APDU as is, a case-4 APDU with its Le) goes to the slot unchanged; T=1 blocks
go through a :class:`~borne.ccid.t1_blocks.T1Card` per slot, which hands the slot each whole
APDU once. The protocol is the ATR's first offered at power-on, then SetParameters'
``bProtocolNum``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from . import messages as m
from .descriptor import DATA_RATE_BPS, DEFAULT_CLOCK_KHZ, CcidSettings
from .t1_blocks import MAX_IFS, Apdu, T1Card

__all__ = ["CcidDevice", "Slot", "first_protocol"]

log = logging.getLogger(__name__)

# abProtocolDataStructure defaults (section 6.2.3, tables 6.2-4 T=0 and 6.2-5 T=1):
# Fi/Di 0x11 (F=372, D=1), direct convention, no extra guard time, WI 10 (T=0),
# BWI 4 / CWI 13 (T=1), clock stop not allowed, IFSC 254, NAD 0.
DEFAULT_T0 = bytes.fromhex("11 00 00 0A 00")
DEFAULT_T1 = bytes.fromhex("11 10 00 4D 00 FE 00")
_PARAMETER_SIZE = {0: len(DEFAULT_T0), 1: len(DEFAULT_T1)}
_DEFAULT_PARAMETERS = {0: DEFAULT_T0, 1: DEFAULT_T1}
# Section 6.1: these commands' dwLength is 00000000h; data on them is a bad dwLength.
_NO_DATA = frozenset({m.ICC_POWER_ON, m.ICC_POWER_OFF, m.GET_SLOT_STATUS, m.GET_PARAMETERS,
                      m.RESET_PARAMETERS, m.ICC_CLOCK, m.ABORT})
# Table 6.2-5: bmTCCKST1 (byte 1: bit 0 set is CRC, which the box does not do) and bIFSC
# (byte 5), as bError offsets in the message (the structure starts at offset 10).
_TCCKS_T1, _IFSC_T1 = 1, 5


class Slot(Protocol):
    """One of the box's card slots as the CCID reader sees it."""

    @property
    def present(self) -> bool:
        """A card is in the slot."""

    @property
    def powered(self) -> bool:
        """The card is powered (it answered a power-on and was not powered off since)."""

    @property
    def busy(self) -> bool:
        """The slot serves someone else right now (the box's own read, another command)."""

    def power_on(self) -> bytes:
        """Power the card up (or reset it); return its ATR. Raises if the card is mute."""

    def power_off(self) -> None:
        """Power the card down."""

    def transmit(self, apdu: bytes) -> bytes:
        """Send one whole command APDU; return the whole response APDU (SW1 SW2 included)."""


class CcidDevice:
    """A CCID reader at APDU exchange level over ``slots`` (slot N is bSlot N)."""

    def __init__(self, slots: Sequence[Slot], settings: CcidSettings | None = None,
                 escape: Callable[[bytes], bytes] | None = None) -> None:
        self._slots = list(slots)
        # PC_to_RDR_Escape (6.1.8) carries vendor commands. Without a handler it is "command
        # not supported"; a transport that stands in for a known reader passes one (pcsc-lite's
        # libccidtwin will not open a serial reader whose Escape 0x02 / 0x06 fails:
        # OpenSerialByName in LudovicRousseau/CCID src/ccid_serial.c).
        self._escape = escape
        self._settings = settings or CcidSettings(slot_count=len(self._slots))
        if self._settings.slot_count != len(self._slots):
            raise ValueError("the settings' slot count differs from the slots given")
        self._protocol = [(0, DEFAULT_T0) for _ in self._slots]
        self._t1 = [T1Card(MAX_IFS) for _ in self._slots]
        self._handlers = {
            m.ICC_POWER_ON: self._power_on,
            m.ICC_POWER_OFF: self._power_off,
            m.GET_SLOT_STATUS: self._slot_status,
            m.XFR_BLOCK: self._xfr_block,
            m.GET_PARAMETERS: self._get_parameters,
            m.RESET_PARAMETERS: self._reset_parameters,
            m.SET_PARAMETERS: self._set_parameters,
            m.ICC_CLOCK: self._icc_clock,
            m.ABORT: self._slot_status,
            m.SET_DATA_RATE_AND_CLOCK: self._data_rate_and_clock,
        }
        if escape is not None:
            self._handlers[m.ESCAPE] = self._vendor_escape

    @property
    def settings(self) -> CcidSettings:
        """The descriptor's settings this device keeps to (slot count, message size)."""
        return self._settings

    def handle(self, bulk_out: bytes) -> list[bytes]:
        """Answer one whole bulk-OUT message with the bulk-IN message(s) to send back."""
        try:
            return [self._answer(bulk_out)]
        except Exception:  # a slot's own failure: answer, never leave the host waiting
            log.exception("CCID command failed")
            header = _header_or_none(bulk_out)
            slot, seq = (header.slot, header.seq) if header else (0, 0)
            kind = m.ANSWER_TYPE.get(header.message_type, m.SLOT_STATUS) if header else m.SLOT_STATUS
            return [m.answer(kind, slot, seq, m.status(m.ICC_INACTIVE, m.COMMAND_FAILED), m.HW_ERROR)]

    def slot_changed(self, slot: int, present: bool) -> bytes:
        """RDR_to_PC_NotifySlotChange after a card went in (``present``) or out of ``slot``."""
        if not 0 <= slot < len(self._slots):
            raise ValueError(f"no slot {slot}: this reader has {len(self._slots)}")
        states = [s.present for s in self._slots]
        states[slot] = present
        changed = [index == slot for index in range(len(self._slots))]
        return m.notify_slot_change(states, changed)

    # --- the checks every message goes through (section 6.1, table 6.2-2) ---

    def _answer(self, message: bytes) -> bytes:
        header = _header_or_none(message)
        if header is None:
            # Too short to carry a header: nothing to echo, dwLength is what is wrong.
            return m.slot_status(0, 0, m.status(m.ICC_ABSENT, m.COMMAND_FAILED), m.BAD_LENGTH)
        kind = m.ANSWER_TYPE.get(header.message_type, m.SLOT_STATUS)
        data = message[m.HEADER_LENGTH:]
        if header.slot >= len(self._slots):
            return m.answer(kind, header.slot, header.seq,
                            m.status(m.ICC_ABSENT, m.COMMAND_FAILED), m.BAD_SLOT)
        icc = self._icc(header.slot)
        if (header.length != len(data)
                or header.length > self._settings.max_message_length - m.HEADER_LENGTH
                or (data and header.message_type in _NO_DATA)):
            return m.answer(kind, header.slot, header.seq,
                            m.status(icc, m.COMMAND_FAILED), m.BAD_LENGTH)
        handler = self._handlers.get(header.message_type)
        if handler is None:
            # Unknown, or known but not offered (Escape, T0APDU, Secure, Mechanical):
            # bError 0 with a failed status is "command not supported" (table 6.2-2), in the
            # command's own answer type, as vsmartcard's ccid emulator does (perform_unknown
            # in an early frankmorgner/vsmartcard ccid/src/ccid.c); a type the spec does not
            # name gets a SlotStatus.
            return m.answer(kind, header.slot, header.seq,
                            m.status(icc, m.COMMAND_FAILED), m.CMD_NOT_SUPPORTED)
        if self._slots[header.slot].busy and header.message_type != m.GET_SLOT_STATUS:
            return m.answer(kind, header.slot, header.seq,
                            m.status(icc, m.COMMAND_FAILED), m.CMD_SLOT_BUSY)
        return handler(header, data)

    def _icc(self, slot: int) -> int:
        card = self._slots[slot]
        if not card.present:
            return m.ICC_ABSENT
        return m.ICC_ACTIVE if card.powered else m.ICC_INACTIVE

    def _failed(self, header: m.Header) -> int:
        return m.status(self._icc(header.slot), m.COMMAND_FAILED)

    # --- the commands (section 6.1.x) ---

    def _power_on(self, header: m.Header, data: bytes) -> bytes:
        # 6.1.1: byte 7 is bPowerSelect, 0 automatic, 1 5V, 2 3V, 3 1.8V.
        if header.specific[0] > 3:
            return m.data_block(header.slot, header.seq, self._failed(header),
                                m.BAD_POWER_SELECT)
        card = self._slots[header.slot]
        if not card.present:
            # No card: the ICC does not answer, which the host driver reads as "no card".
            return m.data_block(header.slot, header.seq,
                                m.status(m.ICC_ABSENT, m.COMMAND_FAILED), m.ICC_MUTE)
        try:
            atr = card.power_on()
        except Exception:  # noqa: BLE001 - whatever the slot raises, the card gave no ATR
            log.info("CCID slot %d: the card did not answer the power-on", header.slot)
            return m.data_block(header.slot, header.seq,
                                m.status(self._icc(header.slot), m.COMMAND_FAILED), m.ICC_MUTE)
        self._use_protocol(header.slot, first_protocol(atr))
        return m.data_block(header.slot, header.seq, m.status(self._icc(header.slot)), 0, atr)

    def _power_off(self, header: m.Header, data: bytes) -> bytes:
        card = self._slots[header.slot]
        if card.present:
            card.power_off()
        self._use_protocol(header.slot, 0)
        return m.slot_status(header.slot, header.seq, m.status(self._icc(header.slot)))

    def _slot_status(self, header: m.Header, data: bytes) -> bytes:
        # GetSlotStatus and Abort (6.1.13: nothing is in progress to abort, a synchronous
        # core finished every command before answering) both answer the slot's state.
        # A slot whose card lost its power behind the host's back (the box restarted) shows
        # empty to one status question: a polling driver (libccid over serial) then sees the
        # card leave and come back and powers it again, as after a NotifySlotChange on USB.
        changed = getattr(self._slots[header.slot], "take_change", None)
        if header.message_type == m.GET_SLOT_STATUS and changed is not None and changed():
            return m.slot_status(header.slot, header.seq, m.status(m.ICC_ABSENT))
        return m.slot_status(header.slot, header.seq, m.status(self._icc(header.slot)))

    def _xfr_block(self, header: m.Header, data: bytes) -> bytes:
        # 6.1.4: bytes 8-9 are wLevelParameter. LudovicRousseau/CCID's CCID_Transmit
        # (src/commands.c) puts the expected answer length there ("in character mode only"),
        # so a non-zero value is not an error: the box answers the whole response anyway.
        # The chaining values (1, 2, 3, 0x10) are never needed while dwMaxCCIDMessageLength
        # holds a whole extended APDU (the default); a smaller setting would need chaining.
        card = self._slots[header.slot]
        if not card.present or not card.powered:
            return m.data_block(header.slot, header.seq, self._failed(header), m.ICC_MUTE)
        if self._settings.exchange_level == "tpdu" and self._protocol[header.slot][0] == 1:
            answer = self._t1[header.slot].receive(bytes(data))
            if isinstance(answer, Apdu):
                answer = self._t1[header.slot].respond(card.transmit(answer.command))
            return m.data_block(header.slot, header.seq, m.status(self._icc(header.slot)), 0,
                                answer)
        response = card.transmit(data)
        if len(response) > self._settings.max_message_length - m.HEADER_LENGTH:
            return m.data_block(header.slot, header.seq, self._failed(header), m.XFR_OVERRUN)
        return m.data_block(header.slot, header.seq, m.status(self._icc(header.slot)), 0,
                            response)

    def _get_parameters(self, header: m.Header, data: bytes) -> bytes:
        protocol, structure = self._protocol[header.slot]
        return m.parameters(header.slot, header.seq, m.status(self._icc(header.slot)), 0,
                            protocol, structure)

    def _reset_parameters(self, header: m.Header, data: bytes) -> bytes:
        self._use_protocol(header.slot, 0)
        return self._get_parameters(header, data)

    def _set_parameters(self, header: m.Header, data: bytes) -> bytes:
        # 6.1.7: byte 7 is bProtocolNum (0 T=0, 1 T=1), abData the protocol's structure.
        protocol = header.specific[0]
        if protocol not in _PARAMETER_SIZE:
            return self._failed_parameters(header, m.BAD_PROTOCOL_NUM)
        if len(data) != _PARAMETER_SIZE[protocol]:
            return self._failed_parameters(header, m.BAD_LENGTH)
        if protocol == 1 and data[_TCCKS_T1] & 0x01:
            log.info("CCID slot %d: T=1 with CRC asked; the box does LRC only", header.slot)
            return self._failed_parameters(header, m.HEADER_LENGTH + _TCCKS_T1)
        if protocol == 1 and not 1 <= data[_IFSC_T1] <= MAX_IFS:
            return self._failed_parameters(header, m.HEADER_LENGTH + _IFSC_T1)
        self._use_protocol(header.slot, protocol, bytes(data))
        return self._get_parameters(header, data)

    def _use_protocol(self, slot: int, protocol: int, structure: bytes | None = None) -> None:
        # New parameters, a power-on or a power-off: a T=1 exchange starts afresh (ISO/IEC
        # 7816-3 11.4.2: IFSD back to 32, sequence numbers to 0), IFSC as the host set it.
        structure = structure or _DEFAULT_PARAMETERS[protocol]
        self._protocol[slot] = (protocol, structure)
        self._t1[slot].reset(ifsc=structure[_IFSC_T1] if protocol == 1 else MAX_IFS)

    def _failed_parameters(self, header: m.Header, error: int) -> bytes:
        protocol, structure = self._protocol[header.slot]
        return m.parameters(header.slot, header.seq, self._failed(header), error,
                            protocol, structure)

    def _icc_clock(self, header: m.Header, data: bytes) -> bytes:
        # 6.1.9: byte 7 is bClockCommand, 0 restart, 1 stop; the clock is the box's own
        # business (it talks APDUs), so both succeed and the clock reads running.
        if header.specific[0] > 1:
            return m.slot_status(header.slot, header.seq, self._failed(header),
                                 m.BAD_CLOCK_COMMAND)
        return m.slot_status(header.slot, header.seq, m.status(self._icc(header.slot)))

    def _data_rate_and_clock(self, header: m.Header, data: bytes) -> bytes:
        # 6.1.14: abData is dwClockFrequency then dwDataRate (8 bytes). The box keeps its
        # own (automatic baud and clock) and answers the values in use.
        if len(data) != 8:
            return m.data_rate_and_clock(header.slot, header.seq, self._failed(header),
                                         m.BAD_LENGTH, DEFAULT_CLOCK_KHZ, DATA_RATE_BPS)
        return m.data_rate_and_clock(header.slot, header.seq, m.status(self._icc(header.slot)),
                                     0, DEFAULT_CLOCK_KHZ, DATA_RATE_BPS)

    def _vendor_escape(self, header: m.Header, data: bytes) -> bytes:
        if self._escape is None:  # registered only with a handler; kept for type checkers
            return m.escape(header.slot, header.seq, self._failed(header), m.CMD_NOT_SUPPORTED)
        answer = self._escape(bytes(data))
        return m.escape(header.slot, header.seq, m.status(self._icc(header.slot)), 0, answer)


def first_protocol(atr: bytes) -> int:
    """The first protocol an ATR offers: TD1's T, or T=0 without TD1 (ISO/IEC 7816-3 8.2.3)."""
    if len(atr) < 2 or not atr[1] & 0x80:
        return 0
    # T0's high nibble says which of TA1, TB1, TC1, TD1 follow; TD1 is the last of them.
    td1 = 1 + bin(atr[1] & 0xF0).count("1")
    protocol = atr[td1] & 0x0F if td1 < len(atr) else 0
    return protocol if protocol in _PARAMETER_SIZE else 0


def _header_or_none(message: bytes) -> m.Header | None:
    try:
        return m.parse_header(message)
    except ValueError:
        return None
