"""The simulator's phone sharing its Wi-Fi: the ``WIFI:`` code its "Share Wi-Fi" screen shows.

ZXing's format (github.com/zxing/zxing/wiki/Barcode-Contents), as Android and iOS write
it: ``WIFI:T:<type>;S:<ssid>;P:<password>;H:true;;`` with ``\\``, ``;``, ``,``, ``:`` and
``"`` escaped by a backslash. ``borne sim wifi`` draws it before the virtual camera; the
box reads it with :func:`borne.network.wifi_code.parse_wifi`.
"""

from __future__ import annotations

__all__ = ["SECURITIES", "phone_wifi_code"]

#: ``--security`` choices and the ``T:`` a phone writes for each.
SECURITIES = {"wpa": "WPA", "sae": "SAE", "open": "nopass"}

_SPECIAL = '\\;,:"'


def _escaped(text: str) -> str:
    return "".join("\\" + char if char in _SPECIAL else char for char in text)


def phone_wifi_code(ssid: str, password: str | None, *, security: str = "wpa",
                    hidden: bool = False) -> str:
    """The code a phone shows for ``ssid``; ``ValueError`` when security and password disagree
    (an open network has none, a protected one needs one) or ``security`` is unknown."""
    if security not in SECURITIES:
        raise ValueError(f"security: one of {', '.join(SECURITIES)}")
    if (security == "open") != (password is None):
        raise ValueError("an open network has no password; a protected one needs one")
    fields = [f"T:{SECURITIES[security]}", f"S:{_escaped(ssid)}"]
    if password is not None:
        fields.append(f"P:{_escaped(password)}")
    if hidden:
        fields.append("H:true")
    return "WIFI:" + ";".join(fields) + ";;"
