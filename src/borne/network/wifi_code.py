"""The ``WIFI:`` code a phone shows to share its network, parsed into credentials (sans I/O).

Every phone can show its network as a QR code ("Share Wi-Fi" on Android, the Passwords app
on iOS): ``WIFI:T:WPA;S:<ssid>;P:<password>;;``. The format is ZXing's, documented in its
wiki (github.com/zxing/zxing/wiki/Barcode-Contents, "Wi-Fi Network config") and read by
``WifiResultParser.java``; the Wi-Fi Alliance's WPA3 specification (the Wi-Fi QR code URI)
adds ``R:``, the transition-disable bits. What this module accepts:

=================  ==========================================================================
part               accepted
=================  ==========================================================================
scheme             ``WIFI:``, in any case (a URI scheme is case-insensitive, RFC 3986 §3.1)
fields             ``NAME:value;`` in any order; names are case-sensitive; each at most once
                   (two ``S:`` would let a reader and the screen disagree on the network)
end                ``;`` after the last field (``;;`` as phones write it); a trailing CR/LF
                   (a scanner's Enter) is ignored; anything else after the end is refused
escapes            ``\\`` makes the next character literal (ZXing's unescapeBackslash; phones
                   escape ``\\ ; , : "``); a ``\\`` ending the text is refused
quotes             a value between unescaped double quotes has them removed
``S:``             required; 1 to 32 bytes of UTF-8 (IEEE 802.11's limit); always text (the
                   wiki's "hex SSID" reading is not used: phones never write one)
``T:``             ``WPA``, ``WPA2`` → WPA-personal; ``SAE``, ``WPA3`` → WPA3-personal;
                   ``nopass`` or empty → open (its ``P:`` is ignored); missing → open, unless
                   a password is given (then WPA-personal: ZXing would drop the password and
                   the join would fail); ``WEP`` → refused; ``*EAP*`` → refused (enterprise)
``P:``             8 to 63 printable ASCII characters (a passphrase, IEEE 802.11i) or 64 hex
                   digits (a raw PSK); NetworkManager's ``psk`` takes either
``H:``             ``true``/``false`` in any case: hidden network
``R:``             hex; bit 0 set (WPA3-personal only) turns ``T:WPA`` into SAE
``I: A: E: PH2:``  enterprise (EAP identity, anonymous identity, method, phase 2; a
                   non-boolean ``H:`` was ZXing's old phase 2 and is refused as malformed):
                   refused, the box joins personal networks only
other names        ignored (fields of later versions of the format)
=================  ==========================================================================

No control character anywhere, and no bidirectional override in the SSID: the SSID is
shown on the screen ("Wi-Fi « <ssid> » ?") and an override would show another name.

The password is a secret: :class:`WifiCredentials` never shows it (``password=<redacted>``)
and no :class:`WifiCodeError` quotes any part of the code. The codes' words are in the
error catalogue (:mod:`borne.error_catalogue`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

from borne.errors import BorneError

__all__ = ["ENTERPRISE_REFUSED", "MALFORMED", "MAX_CHARS", "WEP_REFUSED", "Security",
           "WifiCodeError", "WifiCredentials", "is_wifi_code", "parse_wifi"]

#: Stable error codes.
MALFORMED = "wifi_code_malformed"
WEP_REFUSED = "wifi_wep_refused"
ENTERPRISE_REFUSED = "wifi_enterprise_refused"

#: The codes' words, French then English (for the error catalogue).
#: Characters in a code beyond which it is refused unread. The longest real code (a 32-byte
#: SSID and a 63-character password, every character escaped, quoted, with T, H and R) is
#: under 250 characters.
MAX_CHARS = 512

Security = Literal["open", "wpa-psk", "sae"]
_KEY_MGMT = {"open": "none", "wpa-psk": "wpa-psk", "sae": "sae"}
_TYPES: dict[str, Security] = {"": "open", "NOPASS": "open", "WPA": "wpa-psk",
                               "WPA2": "wpa-psk", "SAE": "sae", "WPA3": "sae"}
_ENTERPRISE_FIELDS = ("I", "A", "E", "PH2")
_SCHEME = "WIFI:"
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]{0,7}")
_NAME_MAX = 8
_HEX = re.compile(r"[0-9A-Fa-f]+")
_RAW_PSK = re.compile(r"[0-9A-Fa-f]{64}")
_PASSPHRASE = re.compile(r"[\x20-\x7e]{8,63}")
_SSID_MAX_BYTES = 32
# Embedding, override and isolate controls (Unicode's bidi algorithm, UAX #9).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class WifiCodeError(BorneError, ValueError):
    """A ``WIFI:`` code the box will not join: ``code`` is :data:`MALFORMED`, :data:`WEP_REFUSED` or
    :data:`ENTERPRISE_REFUSED`.

    The detail says which rule the code broke, never what the code holds.
    """

    code = MALFORMED


def _malformed(why: str) -> WifiCodeError:
    return WifiCodeError(why, code=MALFORMED)


@dataclass(frozen=True)
class WifiCredentials:
    """A personal network to join: what NetworkManager needs, validated when built.

    ``password`` is None for an open network, else a passphrase or a 64-hex raw PSK; it
    is never shown by ``repr``/``str``. ``ssid`` is text (UTF-8 on the air, see
    :attr:`ssid_bytes`).
    """

    ssid: str
    password: str | None = field(repr=False)
    security: Security
    hidden: bool = False

    def __post_init__(self) -> None:
        if self.security not in _KEY_MGMT:
            raise _malformed("unknown security")
        _check_ssid(self.ssid)
        if self.security == "open":
            if self.password is not None:
                raise _malformed("an open network has no password")
        elif self.password is None or not (_PASSPHRASE.fullmatch(self.password)
                                           or _RAW_PSK.fullmatch(self.password)):
            raise _malformed("the password is not 8 to 63 printable ASCII characters "
                             "nor 64 hex digits")

    def __repr__(self) -> str:
        shown = "None" if self.password is None else "<redacted>"
        return (f"WifiCredentials(ssid={self.ssid!r}, password={shown}, "
                f"security={self.security!r}, hidden={self.hidden!r})")

    __str__ = __repr__

    @property
    def key_mgmt(self) -> str:
        """NetworkManager's ``802-11-wireless-security.key-mgmt``: "none", "wpa-psk", "sae".

        "none" is for "open", and there NetworkManager means static WEP: an open network's
        profile carries no ``802-11-wireless-security`` setting at all.
        """
        return _KEY_MGMT[self.security]

    @property
    def ssid_bytes(self) -> bytes:
        """The SSID as sent on the air and to NetworkManager (``ay``): UTF-8."""
        return self.ssid.encode("utf-8")


def _check_ssid(ssid: str) -> None:
    if any(0xD800 <= ord(c) <= 0xDFFF for c in ssid):  # a lone surrogate: not UTF-8
        raise _malformed("the SSID is not valid text")
    size = len(ssid.encode("utf-8"))
    if not 1 <= size <= _SSID_MAX_BYTES:
        raise _malformed("the SSID is empty or longer than 32 bytes")
    if any(c in _BIDI_CONTROLS or unicodedata.category(c) == "Cc" for c in ssid):
        raise _malformed("the SSID holds a control or bidirectional override character")


def is_wifi_code(payload: bytes) -> bool:
    """Whether a decoded QR code or a scanned code is a ``WIFI:`` code (scheme in any case).

    Says only which parser it belongs to: :func:`parse_wifi` may still refuse it. Such a
    code is never an apCV and is never journaled.
    """
    return payload[:len(_SCHEME)].upper() == _SCHEME.encode()


def _value(body: str, start: int) -> tuple[str, int]:
    """The unescaped value starting at ``body[start]``, and the index after its ``;``."""
    chars: list[str] = []
    opened = start < len(body) and body[start] == '"'
    closed = False  # the last character taken was an unescaped quote
    i = start + 1 if opened else start
    while i < len(body):
        c = body[i]
        if c == ";":
            break
        closed = False
        if c == "\\":
            if i + 1 == len(body):
                raise _malformed("a backslash ends the code")
            chars.append(body[i + 1])
            i += 2
            continue
        if opened and c == '"':
            closed = True
        chars.append(c)
        i += 1
    else:
        raise _malformed("a field is not ended by ';'")
    if opened:
        if not closed:
            raise _malformed("a quoted value is not closed")
        chars.pop()
    return "".join(chars), i + 1


def _fields(body: str) -> dict[str, str]:
    """The code's fields after the scheme, by name; the text must end after them."""
    fields: dict[str, str] = {}
    i = 0
    while i < len(body):
        if body[i] == ";":
            if body[i + 1:]:
                raise _malformed("text follows the end of the code")
            break
        colon = body.find(":", i, i + _NAME_MAX + 1)
        name = body[i:colon] if colon >= 0 else ""
        if not _NAME.fullmatch(name):
            raise _malformed("a field has no name")
        if name in fields:
            raise _malformed("a field is given twice")
        fields[name], i = _value(body, colon + 1)
    return fields


def _security(fields: dict[str, str]) -> Security:
    kind = fields.get("T")
    if kind is None:
        return "wpa-psk" if fields.get("P") else "open"
    kind = kind.upper()
    if kind == "WEP":
        raise WifiCodeError("WEP is refused", code=WEP_REFUSED)
    if "EAP" in kind:
        raise WifiCodeError("an enterprise network", code=ENTERPRISE_REFUSED)
    if kind not in _TYPES:
        raise _malformed("unknown network type")
    security = _TYPES[kind]
    transition = fields.get("R")
    if transition is not None:
        if not _HEX.fullmatch(transition) or len(transition) > 8:
            raise _malformed("the transition-disable field is not hex")
        if security == "wpa-psk" and int(transition, 16) & 1:
            security = "sae"  # WPA3 specification: bit 0, WPA3-Personal only
    return security


def _hidden(fields: dict[str, str]) -> bool:
    hidden = fields.get("H", "false").lower()
    if hidden not in ("true", "false"):
        raise _malformed("the hidden field is neither true nor false")
    return hidden == "true"


def _utf8(data: bytes) -> str | None:
    # The error is raised outside this ``except``: a UnicodeDecodeError holds the whole code,
    # password included, and ``from None`` would still keep it as the new error's __context__.
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def parse_wifi(text: str | bytes) -> WifiCredentials:
    """The credentials of a ``WIFI:`` code, or :class:`WifiCodeError` with the reason's code.

    ``text`` is the code's text, or its bytes as a decoder gives them (UTF-8: anything
    else is malformed). Rules: the module's table. Linear in the code's length, which is
    capped at :data:`MAX_CHARS`.
    """
    if isinstance(text, bytes):
        if len(text) > 4 * MAX_CHARS:
            raise _malformed("the code is too long")
        decoded = _utf8(text)
        if decoded is None:
            raise _malformed("the code is not UTF-8 text")
        text = decoded
    if len(text) > MAX_CHARS + 2:  # checked before any copy: a crafted code may be huge
        raise _malformed("the code is too long")
    text = text.rstrip("\r\n")
    if len(text) > MAX_CHARS:
        raise _malformed("the code is too long")
    if text[:len(_SCHEME)].upper() != _SCHEME:
        raise _malformed("not a WIFI: code")
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise _malformed("the code holds a control character")
    fields = _fields(text[len(_SCHEME):])
    if "S" not in fields:
        raise _malformed("the code names no network")
    security = _security(fields)
    if any(name in fields for name in _ENTERPRISE_FIELDS):
        raise WifiCodeError("an enterprise network", code=ENTERPRISE_REFUSED)
    hidden = _hidden(fields)
    password = None if security == "open" else fields.get("P")
    return WifiCredentials(ssid=fields["S"], password=password, security=security,
                           hidden=hidden)
