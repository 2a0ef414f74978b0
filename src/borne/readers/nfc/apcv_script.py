"""Reading an apCV presentation from a phone in card emulation, as a sans-I/O card script.

The apCV's NFC AID and exchange are **not public**: both are settings
(:class:`borne.readers.nfc.settings.NfcConfig`). This script only knows the shape every such
exchange has: SELECT the application by AID, send the configured commands in
order, keep their answers. It never interprets them: the presentation is an
opaque token for the paired billing software, which authenticates it.

Like :mod:`borne.readers.cards`, the script yields command APDUs and is sent
the response APDUs; the NFC backend (nfcpy, ``Type4ATag.transceive``) and a
contactless PC/SC slot drive the same code with :func:`~borne.readers.cards.script.drive`.
``61xx`` (GET RESPONSE) and ``6Cxx`` (wrong Le) are followed by
:func:`borne.readers.cards.apdu.transmit`.

Framing of the presentation
---------------------------
The presentation is the answers' data (status words removed), in the order of
the configured commands, each preceded by its length as 2 bytes big-endian::

    len(answer 1) (2 bytes) | answer 1 | len(answer 2) (2 bytes) | answer 2 | ...

so the billing software can split it back (:func:`split_presentation`) even
when an answer is empty. The SELECT's own answer (its FCI, if any) is not part
of it. The whole framed presentation is at most ``max_bytes`` (4096 by default,
like ``apcv.max_payload_bytes``).

Errors are :class:`~borne.errors.CardError` with stable codes:

=========================  ===================================================
code                       meaning
=========================  ===================================================
``apcv_not_selected``      the SELECT by AID was not answered ``9000`` (``6A82``:
                           no such application on this phone...)
``apcv_refused``           a configured command was not answered ``9000``
``apcv_payload_too_large`` the framed presentation would exceed ``max_bytes``
``card_protocol_error``    an answer without status word, or endless ``61xx``
=========================  ===================================================

Error details carry the status word and the command's index, never data.
"""

from __future__ import annotations

from collections.abc import Sequence

from borne.errors import CardError
from borne.readers.cards.apdu import select_aid, transmit, with_le
from borne.readers.cards.script import CardScript
from borne.readers.nfc.settings import apcv_settings

__all__ = [
    "MAX_PRESENTATION_BYTES",
    "apcv_settings",
    "read_presentation",
    "split_presentation",
]

#: Default bound of a framed presentation, in bytes (``apcv.max_payload_bytes``).
MAX_PRESENTATION_BYTES = 4096

_SW_OK = 0x9000
_LENGTH_BYTES = 2


def read_presentation(aid: bytes, commands: Sequence[bytes], *,
                      max_bytes: int = MAX_PRESENTATION_BYTES) -> CardScript[bytes]:
    """SELECT ``aid`` then send ``commands``; return the framed presentation.

    The SELECT is ``00 A4 04 00 Lc AID 00``. Every answer must end ``9000``
    (see the module docstring for the framing and the error codes).
    """
    aid = bytes(aid)
    commands = [bytes(command) for command in commands]
    # Checked before the first APDU: a bad setting is the box's fault, not the phone's.
    select = with_le(select_aid(aid), 256)
    if not commands:
        raise ValueError("the apCV script needs at least one command")
    for command in commands:
        if len(command) < 4:
            raise ValueError("an APDU has at least 4 bytes (CLA INS P1 P2)")

    response = yield from transmit(select)
    if response.sw != _SW_OK:
        raise CardError(f"SELECT answered {response.sw:04X}", code="apcv_not_selected",
                        sw=f"{response.sw:04X}")
    framed = bytearray()
    for index, command in enumerate(commands):
        response = yield from transmit(command)
        if response.sw != _SW_OK:
            raise CardError(f"command {index} answered {response.sw:04X}", code="apcv_refused",
                            command=index, sw=f"{response.sw:04X}")
        if len(framed) + _LENGTH_BYTES + len(response.data) > max_bytes:
            raise CardError(f"presentation over {max_bytes} bytes", code="apcv_payload_too_large",
                            command=index)
        framed += len(response.data).to_bytes(_LENGTH_BYTES, "big") + response.data
    return bytes(framed)


def split_presentation(presentation: bytes) -> list[bytes]:
    """The answers of a framed presentation, in order (the inverse of the framing).

    Raises :class:`ValueError` if the bytes are not a whole number of framed answers.
    """
    answers: list[bytes] = []
    offset = 0
    while offset < len(presentation):
        if offset + _LENGTH_BYTES > len(presentation):
            raise ValueError("truncated length prefix")
        length = int.from_bytes(presentation[offset:offset + _LENGTH_BYTES], "big")
        offset += _LENGTH_BYTES
        if offset + length > len(presentation):
            raise ValueError("truncated answer")
        answers.append(bytes(presentation[offset:offset + length]))
        offset += length
    return answers
