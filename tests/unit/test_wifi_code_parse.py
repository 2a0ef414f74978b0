"""The ``WIFI:`` code a phone shows to share its network: parsed by the ZXing format, with
its escapes; WEP and enterprise refused with their codes; the password never shown."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borne.error_catalogue import message_for
from borne.errors import BorneError
from borne.network.wifi_code import (
    ENTERPRISE_REFUSED,
    MALFORMED,
    WEP_REFUSED,
    WifiCodeError,
    WifiCredentials,
    is_wifi_code,
    parse_wifi,
)

PASSWORD = "Tr3s-Secret!pw"


def _escape(value: str) -> str:
    """The ZXing escaping of a field's value (what Android's Settings does)."""
    return "".join("\\" + c if c in '\\;,:"' else c for c in value)


def encode(ssid: str, password: str | None, security: str, hidden: bool, *,
           order: list[str] | None = None, quote: bool = False) -> str:
    """A test encoder: the fields in ``order``, values escaped, optionally in double quotes."""
    def value(text: str) -> str:
        return f'"{_escape(text)}"' if quote else _escape(text)

    fields = {"S": value(ssid), "T": {"open": "nopass", "wpa-psk": "WPA", "sae": "SAE"}[security],
              "H": "true" if hidden else "false"}
    if password is not None:
        fields["P"] = value(password)
    names = [n for n in (order or ["S", "T", "P", "H"]) if n in fields]
    return "WIFI:" + "".join(f"{n}:{fields[n]};" for n in names) + ";"


# (text, ssid, password, security, hidden): codes as phones and the format's documents show them.
PHONE_CODES = [
    # Android Settings, "Share" (WifiNetworkConfig.getQrCode): S, T, P, H, ";;".
    ("WIFI:S:Pharmacie du Port;T:WPA;P:motdepasse1;H:false;;",
     "Pharmacie du Port", "motdepasse1", "wpa-psk", False),
    ("WIFI:S:Maison;T:SAE;P:wpa3-personnel;H:false;;", "Maison", "wpa3-personnel", "sae", False),
    ("WIFI:S:Salle d'attente;T:nopass;P:;H:false;;", "Salle d'attente", None, "open", False),
    ("WIFI:S:Cachee;T:WPA;P:12345678;H:true;;", "Cachee", "12345678", "wpa-psk", True),
    # iOS 18 (Passwords, "Show network QR code") and the form: T first.
    ("WIFI:T:WPA;S:iPhone de Claire;P:abcd-efgh-ijkl;;",
     "iPhone de Claire", "abcd-efgh-ijkl", "wpa-psk", False),
    # ZXing wiki "Barcode Contents": the minimal form, and escapes of ; , : \ ".
    ("WIFI:T:WPA;S:mynetwork;P:mypass12;;", "mynetwork", "mypass12", "wpa-psk", False),
    ('WIFI:S:\\"foo\\;bar\\\\baz\\";;', '"foo;bar\\baz"', None, "open", False),
    ("WIFI:T:WPA;S:a\\,b\\:c;P:p\\;w\\:d\\,\\\\x;;", "a,b:c", "p;w:d,\\x", "wpa-psk", False),
    # Double quotes around a value (the wiki: an ASCII name that could be read as hex).
    ('WIFI:T:WPA;S:"CAFE";P:"DEADBEEF";;', "CAFE", "DEADBEEF", "wpa-psk", False),
    # UTF-8 SSID (32 bytes at most: 16 two-byte letters here).
    ("WIFI:T:WPA;S:Pharmacie Économe;P:motdepasse;;", "Pharmacie Économe", "motdepasse",
     "wpa-psk", False),
    # A 64-hex raw PSK.
    ("WIFI:T:WPA2;S:net;P:" + "ab" * 32 + ";;", "net", "ab" * 32, "wpa-psk", False),
    # WPA3 specification: T:WPA with transition disable R bit 0 is WPA3-Personal only.
    ("WIFI:T:WPA;R:1;S:box;P:secret-wpa3;;", "box", "secret-wpa3", "sae", False),
    ("WIFI:T:WPA;R:0;S:box;P:secret-wpa2;;", "box", "secret-wpa2", "wpa-psk", False),
    # No T at all (ZXing: nopass), no P: open; a single closing ';' is enough.
    ("WIFI:S:Libre;", "Libre", None, "open", False),
    ("WIFI:S:Libre;T:;;", "Libre", None, "open", False),
    # A scanner's Enter, and the scheme in lower case.
    ("WIFI:S:Libre;;\r\n", "Libre", None, "open", False),
    ("wifi:S:Libre;;", "Libre", None, "open", False),
    # Fields the box does not use are ignored (forward compatible).
    ("WIFI:S:Libre;X:whatever;;", "Libre", None, "open", False),
]


@pytest.mark.parametrize(("text", "ssid", "password", "security", "hidden"), PHONE_CODES)
def test_phone_codes(text, ssid, password, security, hidden):
    creds = parse_wifi(text)
    assert (creds.ssid, creds.password, creds.security, creds.hidden) == (
        ssid, password, security, hidden)
    assert parse_wifi(text.encode()) == creds  # the camera's bytes, decoded as UTF-8


def test_key_management_for_network_manager():
    assert parse_wifi("WIFI:S:a;;").key_mgmt == "none"
    assert parse_wifi("WIFI:T:WPA;S:a;P:12345678;;").key_mgmt == "wpa-psk"
    assert parse_wifi("WIFI:T:SAE;S:a;P:12345678;;").key_mgmt == "sae"
    assert parse_wifi("WIFI:T:WPA3;S:a;P:12345678;;").key_mgmt == "sae"
    assert parse_wifi("WIFI:S:Économe;;").ssid_bytes == "Économe".encode()


def test_a_password_without_a_type_is_wpa():
    # ZXing would read "no T" as nopass and drop the password: the join would then fail
    # on a network that has one; a code that carries a password means a secured network.
    assert parse_wifi("WIFI:S:net;P:12345678;;").security == "wpa-psk"


def test_nopass_ignores_a_password():
    creds = parse_wifi("WIFI:S:net;T:nopass;P:ignored1;;")
    assert (creds.security, creds.password) == ("open", None)


@pytest.mark.parametrize("payload", [b"WIFI:S:x;;", b"wifi:S:x;;", b"WiFi:T:WPA;S:x;P:y;;"])
def test_is_wifi_code(payload):
    assert is_wifi_code(payload)


@pytest.mark.parametrize("payload", [b"01S2TBPZ2JCNZZYGHZ", b"WIFI", b"", b" WIFI:S:x;;",
                                     b"https://example.org/WIFI:S:x;;", b"\xffWIFI:"])
def test_is_not_wifi_code(payload):
    assert not is_wifi_code(payload)


@pytest.mark.parametrize("text", ["WIFI:T:WEP;S:old;P:abcde;;", "WIFI:S:old;T:wep;P:0123456789;;"])
def test_wep_is_refused(text):
    with pytest.raises(WifiCodeError) as caught:
        parse_wifi(text)
    assert caught.value.code == WEP_REFUSED


@pytest.mark.parametrize("text", [
    "WIFI:T:WPA2-EAP;S:corp;E:PEAP;I:alice;P:secret123;;",
    "WIFI:T:WPA;S:corp;I:alice;P:secret123;;",
    "WIFI:T:WPA;S:corp;E:TTLS;P:secret123;;",
    "WIFI:T:WPA;S:corp;A:anon;P:secret123;;",
    "WIFI:T:WPA;S:corp;PH2:MSCHAPV2;P:secret123;;",
    "WIFI:T:EAP;S:corp;P:secret123;;",
])
def test_enterprise_is_refused(text):
    with pytest.raises(WifiCodeError) as caught:
        parse_wifi(text)
    assert caught.value.code == ENTERPRISE_REFUSED


@pytest.mark.parametrize("text", [
    "WIFI:T:WPA;P:12345678;;",                   # no S
    "WIFI:S:;;",                                  # empty S
    "WIFI:S:net;T:WPA;P:12345678",                # unterminated
    "WIFI:S:net;T:WPA;P:1234567\\",               # dangling backslash
    'WIFI:S:"net;;',                              # an opening quote never closed
    "WIFI:S:a;S:b;;",                             # S twice: which network?
    "WIFI:S:" + "x" * 33 + ";;",                  # SSID over 32 bytes
    "WIFI:S:" + "é" * 17 + ";;",                  # 34 bytes of UTF-8
    "WIFI:T:WPA;S:net;P:short;;",                 # PSK under 8
    "WIFI:T:WPA;S:net;P:" + "x" * 64 + ";;",      # 64 but not hex
    "WIFI:T:WPA;S:net;P:" + "x" * 65 + ";;",      # over 64
    "WIFI:T:WPA;S:net;P:motdepassé;;",            # not ASCII
    "WIFI:T:WPA;S:net;;",                         # WPA without a password
    "WIFI:T:WPA;S:net;P:;;",                      # WPA with an empty one
    "WIFI:T:FOO;S:net;P:12345678;;",              # unknown type
    "WIFI:S:net;H:maybe;;",                       # H neither true nor false
    "WIFI:T:WPA;R:zz;S:net;P:12345678;;",         # R not hex
    "WIFI:S:net;;garbage",                        # text after the end
    "WIFI:S:net\x00evil;;",                       # NUL
    "WIFI:S:ne\x1bt;;",                           # a control character (ESC)
    "WIFI:S:\u202etnemecalP;;",                   # a bidi override: shows another name
    "WIFI:S:net;ab cd;;",                         # a field with no name
    "MECARD:N:x;;",                               # not a WIFI: code
])
def test_malformed(text):
    with pytest.raises(WifiCodeError) as caught:
        parse_wifi(text)
    assert caught.value.code == MALFORMED


def test_invalid_utf8_is_malformed():
    with pytest.raises(WifiCodeError) as caught:
        parse_wifi(b"WIFI:S:\xff\xfe;;")
    assert caught.value.code == MALFORMED
    assert caught.value.__cause__ is None and caught.value.__context__ is None


def test_errors_are_borne_errors_with_words_in_both_languages():
    assert issubclass(WifiCodeError, BorneError) and issubclass(WifiCodeError, ValueError)
    for code in (MALFORMED, WEP_REFUSED, ENTERPRISE_REFUSED):
        french, english = message_for(code, "fr"), message_for(code, "en")
        assert french != code and english != code and french != english


def test_repr_and_str_never_show_the_password():
    creds = parse_wifi(f"WIFI:T:WPA;S:net;P:{PASSWORD};;")
    assert creds.password == PASSWORD
    for shown in (repr(creds), str(creds), f"{creds}", f"{creds!r}", repr([creds])):
        assert PASSWORD not in shown
        assert "password=<redacted>" in shown and "net" in shown
    assert "password=None" in repr(parse_wifi("WIFI:S:net;;"))


@pytest.mark.parametrize("text", [
    f"WIFI:T:WEP;S:net;P:{PASSWORD};;",
    f"WIFI:T:WPA2-EAP;S:net;I:id;P:{PASSWORD};;",
    f"WIFI:T:WPA;S:net;P:{PASSWORD}é;;",
    f"WIFI:T:WPA;S:net;P:{PASSWORD * 5};;",
    f"WIFI:T:WPA;S:net;P:{PASSWORD}",
    f"WIFI:T:WPA;S:net;P:{PASSWORD}\\",
    f"WIFI:T:WPA;S:net;P:{PASSWORD};H:{PASSWORD};;",
    f"WIFI:T:WPA;S:net;P:{PASSWORD};;{PASSWORD}",
    f"WIFI:T:{PASSWORD};S:net;P:{PASSWORD};;",
])
def test_errors_never_show_the_password(text):
    with pytest.raises(WifiCodeError) as caught:
        parse_wifi(text)
    error = caught.value
    for shown in (str(error), repr(error), error.message("fr"), error.message("en"),
                  repr(error.details), repr(error.args)):
        assert PASSWORD not in shown


def test_credentials_validate_when_built_directly():
    with pytest.raises(WifiCodeError):
        WifiCredentials(ssid="", password=None, security="open", hidden=False)
    with pytest.raises(WifiCodeError):
        WifiCredentials(ssid="net", password=None, security="wpa-psk", hidden=False)
    with pytest.raises(WifiCodeError):
        WifiCredentials(ssid="net", password="12345678", security="wep", hidden=False)


# -- properties: whatever a phone may put in a code comes back through the encoder ---------

_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
ssids = st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters=_BIDI),
                min_size=1, max_size=32).filter(lambda s: 1 <= len(s.encode()) <= 32)
passphrases = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E),
                      min_size=8, max_size=63)
raw_psks = st.text("0123456789abcdefABCDEF", min_size=64, max_size=64)


@st.composite
def credentials(draw):
    security = draw(st.sampled_from(["open", "wpa-psk", "sae"]))
    password = None if security == "open" else draw(passphrases | raw_psks)
    return WifiCredentials(ssid=draw(ssids), password=password, security=security,
                           hidden=draw(st.booleans()))


@settings(max_examples=300, deadline=None)
@given(credentials(), st.permutations(["S", "T", "P", "H"]), st.booleans())
def test_round_trip(creds, order, quote):
    text = encode(creds.ssid, creds.password, creds.security, creds.hidden,
                  order=list(order), quote=quote)
    assert parse_wifi(text) == creds
    assert is_wifi_code(text.encode())


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_parses_or_is_refused_with_a_code(text):
    for candidate in (text, "WIFI:" + text):
        try:
            creds = parse_wifi(candidate)
        except WifiCodeError as error:
            assert error.code in (MALFORMED, WEP_REFUSED, ENTERPRISE_REFUSED)
        else:
            assert isinstance(creds, WifiCredentials)
