"""The ``[nfc]`` section: the application selected on a phone, and the commands sent to it.

The apCV's AID and exchange are NOT public (see docs/cards.md): both are
settings, read into :class:`NfcConfig` and checked when read; the NFC backend and
a contactless PC/SC slot decode them with :func:`apcv_settings` for the card
script (:mod:`borne.readers.nfc.apcv_script`).
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from ...errors import ConfigError
from ...section import Section

__all__ = ["NfcConfig", "apcv_settings"]


def apcv_settings(aid_hex: str, script_hex: Sequence[str], *,
                  source: str | None = None) -> tuple[bytes, list[bytes]]:
    """Decode the ``[nfc]`` settings (hex strings) into an AID and command APDUs.

    A value that is not hex, an AID outside 1..16 bytes, an empty script or a
    command shorter than 4 bytes is a :class:`ConfigError` naming the key.
    """
    try:
        aid = bytes.fromhex(aid_hex)
    except ValueError:
        raise ConfigError("not hexadecimal", file=source, key="nfc.aid") from None
    if not 1 <= len(aid) <= 16:
        raise ConfigError("an AID has 1 to 16 bytes", file=source, key="nfc.aid")
    if not script_hex:
        raise ConfigError("at least one command is needed", file=source, key="nfc.script")
    commands: list[bytes] = []
    for index, text in enumerate(script_hex):
        try:
            command = bytes.fromhex(text)
        except ValueError:
            raise ConfigError("not hexadecimal", file=source, key=f"nfc.script[{index}]") from None
        if len(command) < 4:
            raise ConfigError("an APDU has at least 4 bytes", file=source,
                              key=f"nfc.script[{index}]")
        commands.append(command)
    return aid, commands


class NfcConfig(Section):
    """The apCV over NFC: which application to select and which commands to send.

    The defaults are the simulator's virtual phone, not the real app. A
    deployment sets the values its licensed billing software documents.
    """

    #: AID selected on a phone in card emulation (hex).
    aid: str = "F0424F524E4553494D"  # "\xF0BORNESIM": the simulator's, proprietary range
    #: Commands sent after the SELECT, in order (hex APDUs); the answers, in
    #: order, form the opaque presentation.
    script: list[str] = msgspec.field(default_factory=lambda: ["80CA000000"])
    #: A phone that stops answering for this long is gone.
    exchange_timeout_s: float = 1.0

    def __post_init__(self) -> None:
        apcv_settings(self.aid, self.script)
