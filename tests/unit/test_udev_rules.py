"""The files in ``udev/``: rules syntax, module blacklist syntax, and both against ``udev/devices.toml``.

The rules reader below is small and strict. It follows ``man 7 udev`` (systemd 252, Debian 12):
a rule is a comma-separated list of ``KEY{attr}OP"value"`` pairs; ``==`` and ``!=`` match,
``=``, ``+=``, ``-=`` and ``:=`` assign; values are double-quoted, ``\\"`` is a quote inside one,
and an ``e`` prefix marks a C-escaped string. It also holds the rules to what systemd 254's
``udevadm verify`` reports (operators per key, one ", " between pairs, GOTO to an existing
LABEL, no line without effect, continuation lines ending in a backslash), and is stricter on
the values it reads: MODE in octal, GROUP and OWNER plain names. Where ``udevadm verify`` is on
the machine (systemd >= 254; Debian 12 has 252), it checks the files too, and checks that it
rejects the broken lines this reader rejects; point ``BORNE_UDEVADM`` at one to use it.
"""

from __future__ import annotations

import os
import plistlib
import re
import shutil
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

UDEV = Path(__file__).resolve().parents[2] / "udev"
TABLE = tomllib.loads((UDEV / "devices.toml").read_text())
NFC_RULES = UDEV / "70-borne-nfc.rules"
PERIPHERAL_RULES = UDEV / "70-borne-peripherals.rules"
BLACKLIST = UDEV / "borne-nfc-blacklist.conf"
#: The daemon's user borne: primary group borne, supplementary groups (fixed for the appliance).
DAEMON_GROUPS = {"borne", "i2c", "spi", "gpio", "video", "input"}
#: libccid's list of the readers it drives (Debian package libccid, pcscd's CCID driver).
LIBCCID_PLIST = Path("/usr/lib/pcsc/drivers/ifd-ccid.bundle/Contents/Info.plist")


# --- a strict reader of udev rules ---------------------------------------------------------


class RuleSyntaxError(ValueError):
    """A rules file that udev would reject, or accept only with a warning."""


@dataclass(frozen=True)
class Token:
    """One ``KEY{attr}OP"value"`` pair."""

    key: str
    attr: str | None
    op: str
    value: str


@dataclass(frozen=True)
class Rule:
    """One rule (a line, continuation lines joined), with the number of its first line."""

    line: int
    tokens: tuple[Token, ...]

    def get(self, key: str, attr: str | None = None, ops: tuple[str, ...] = ("==",)) -> str | None:
        """The value of the first ``key{attr}`` with one of ``ops``, or None."""
        return next((t.value for t in self.tokens
                     if t.key == key and t.attr == attr and t.op in ops), None)


@dataclass(frozen=True)
class _Key:
    ops: frozenset[str]
    attr: str = "no"                       # "no", "required" or "optional"
    attr_values: frozenset[str] = frozenset()  # when not empty, the only attributes allowed


_MATCH = frozenset({"==", "!="})
_ASSIGN = frozenset({"=", "+=", "-=", ":="})
# man 7 udev, "Keys"; the operators are those `udevadm verify` (systemd 254) takes without a warning.
_KEYS = {
    **{k: _Key(_MATCH) for k in ("ACTION", "DEVPATH", "KERNEL", "KERNELS", "SUBSYSTEM", "SUBSYSTEMS",
                                 "DRIVER", "DRIVERS", "TAGS", "RESULT")},
    "ATTRS": _Key(_MATCH, "required"),
    "CONST": _Key(_MATCH, "required", frozenset({"arch", "virt"})),
    "TEST": _Key(_MATCH, "optional"),
    "ATTR": _Key(_MATCH | {"="}, "required"),
    "SYSCTL": _Key(_MATCH | {"="}, "required"),
    "ENV": _Key(_MATCH | {"=", "+="}, "required"),
    "NAME": _Key(_MATCH | {"=", ":="}),
    "SYMLINK": _Key(_MATCH | _ASSIGN),
    "TAG": _Key(_MATCH | _ASSIGN),
    "OWNER": _Key(frozenset({"=", ":="})),
    "GROUP": _Key(frozenset({"=", ":="})),
    "MODE": _Key(frozenset({"=", ":="})),
    "SECLABEL": _Key(frozenset({"=", "+="}), "required"),
    "RUN": _Key(frozenset({"=", "+=", ":="}), "optional", frozenset({"program", "builtin"})),
    # For PROGRAM and IMPORT, "=", "+=" and ":=" mean "==" (man 7 udev).
    "PROGRAM": _Key(_MATCH | {"=", "+=", ":="}),
    "IMPORT": _Key(_MATCH | {"=", "+=", ":="}, "required",
                   frozenset({"program", "builtin", "file", "db", "cmdline", "parent"})),
    "LABEL": _Key(frozenset({"="})),
    "GOTO": _Key(frozenset({"="})),
    "OPTIONS": _Key(frozenset({"=", "+=", ":="})),
}
_PAIR = re.compile(r'([A-Za-z_]+)(?:\{([^}]*)\})?\s*(==|!=|\+=|-=|:=|=)\s*(e?)"')
_NAME = re.compile(r"[a-z_][a-z0-9_-]*")
_MODE = re.compile(r"0?[0-7]{3}")
_GLOB = re.compile(r"[*?\[|]")
#: Keys where two "==" with different plain values can never both match.
_SINGLE_VALUED = {"ACTION", "DEVPATH", "KERNEL", "KERNELS", "SUBSYSTEM", "SUBSYSTEMS", "DRIVER",
                  "DRIVERS", "ATTR", "ATTRS", "ENV", "NAME", "SYSCTL", "CONST"}


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines with their numbers, continuations joined, comments and blank lines dropped.

    As udev reads them: a trailing backslash joins the next line, a comment inside a
    continuation is skipped, a blank line ends it, and the end of the file must not.
    """
    lines: list[tuple[int, str]] = []
    start, pending = 0, None
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if pending is not None and stripped.startswith("#"):
            continue
        if pending is None and (not stripped or stripped.startswith("#")):
            continue
        if pending is not None and not stripped:
            lines.append((start, pending))
            pending = None
            continue
        if pending is None:
            start, pending = number, ""
        body = raw.rstrip()
        if body.endswith("\\"):
            pending += body[:-1]
        else:
            lines.append((start, pending + body))
            pending = None
    if pending is not None:
        raise RuleSyntaxError(f"line {start}: the file ends after a line continuation")
    return lines


def _read_value(line: str, pos: int) -> tuple[str, int]:
    """The value starting after its opening quote at ``pos``, and the position past its end."""
    out = []
    while pos < len(line):
        char = line[pos]
        if char == "\\" and line[pos + 1:pos + 2] == '"':
            out.append('"')
            pos += 2
        elif char == '"':
            return "".join(out), pos + 1
        else:
            out.append(char)
            pos += 1
    raise RuleSyntaxError("a value has no closing quote")


def _check_token(token: Token) -> None:
    spec = _KEYS.get(token.key)
    if spec is None:
        raise RuleSyntaxError(f"unknown key {token.key!r}")
    if token.attr is not None and (spec.attr == "no" or not token.attr):
        raise RuleSyntaxError(f"{token.key} takes no attribute {{{token.attr}}}" if spec.attr == "no"
                              else f"{token.key} has an empty attribute")
    if token.attr is None and spec.attr == "required":
        raise RuleSyntaxError(f"{token.key} needs an attribute, {token.key}{{...}}")
    if token.attr is not None and spec.attr_values and token.attr not in spec.attr_values:
        raise RuleSyntaxError(f"{token.key}{{{token.attr}}}: the attribute is not one of "
                              f"{sorted(spec.attr_values)}")
    if token.op not in spec.ops:
        raise RuleSyntaxError(f"{token.key} does not take the operator {token.op!r}")
    if token.key in ("GROUP", "OWNER") and not _NAME.fullmatch(token.value):
        raise RuleSyntaxError(f"{token.key}={token.value!r} is not a user or group name")
    if token.key == "MODE" and not _MODE.fullmatch(token.value):
        raise RuleSyntaxError(f"MODE={token.value!r} is not an octal mode")
    if token.key in ("LABEL", "GOTO") and not token.value:
        raise RuleSyntaxError(f"{token.key} is empty")


def parse_rule(line: str, number: int = 1) -> Rule:
    """One logical line of a rules file, checked pair by pair and as a whole."""
    tokens: list[Token] = []
    pos = len(line) - len(line.lstrip())
    while True:
        match = _PAIR.match(line, pos)
        if match is None:
            raise RuleSyntaxError(f"line {number}: not a KEY==\"value\" pair at {line[pos:]!r}")
        key, attr, op, _c_escaped = match.groups()
        try:
            value, pos = _read_value(line, match.end())
            token = Token(key, attr, op, value)
            _check_token(token)
        except RuleSyntaxError as error:
            raise RuleSyntaxError(f"line {number}: {error}") from None
        tokens.append(token)
        rest = line[pos:]
        if not rest.strip():
            break
        if rest[0] != ",":
            raise RuleSyntaxError(f"line {number}: a comma is missing before {rest.strip()!r}"
                                  if rest.lstrip()[0] != "," else
                                  f"line {number}: whitespace before a comma")
        if not rest[1:].strip():
            raise RuleSyntaxError(f"line {number}: a trailing comma")
        if rest[1] != " ":
            raise RuleSyntaxError(f"line {number}: a comma must be followed by a space")
        pos += 1 + len(rest[1:]) - len(rest[1:].lstrip(" "))
    _check_rule(tokens, number)
    return Rule(number, tuple(tokens))


def _check_rule(tokens: list[Token], number: int) -> None:
    matches = [t for t in tokens if t.op in _MATCH or t.key in ("PROGRAM", "IMPORT")]
    if len(matches) == len(tokens):
        raise RuleSyntaxError(f"line {number}: the rule only matches and assigns nothing: no effect")
    seen: dict[tuple[str, str | None], str] = {}
    for token in matches:
        if token.op != "==" or token.key not in _SINGLE_VALUED or _GLOB.search(token.value):
            continue
        earlier = seen.setdefault((token.key, token.attr), token.value)
        if earlier != token.value:
            raise RuleSyntaxError(f"line {number}: {token.key} cannot be both {earlier!r} and "
                                  f"{token.value!r}: conflicting matches, no effect")


def parse_rules(text: str) -> list[Rule]:
    """A whole rules file; every GOTO needs a LABEL after it, every LABEL a GOTO before it."""
    rules = [parse_rule(line, number) for number, line in _logical_lines(text)]
    pending: dict[str, int] = {}
    for rule in rules:
        for token in rule.tokens:  # a GOTO jumps forward only, past its own line's LABEL
            if token.key == "LABEL" and pending.pop(token.value, None) is None:
                raise RuleSyntaxError(f"line {rule.line}: LABEL={token.value!r} is never jumped to")
        for token in rule.tokens:
            if token.key == "GOTO":
                pending.setdefault(token.value, rule.line)
    if pending:
        label, line = next(iter(pending.items()))
        raise RuleSyntaxError(f"line {line}: GOTO={label!r} has no LABEL after it")
    return rules


# --- a strict reader of modprobe.d files (man 5 modprobe.d) ---------------------------------

_MODULE = re.compile(r"[A-Za-z0-9_-]+")
#: command -> (fewest, most) arguments; the first argument is a module name except for alias.
_MODPROBE_COMMANDS = {"alias": (2, 2), "blacklist": (1, 1), "install": (2, None),
                      "remove": (2, None), "options": (2, None), "softdep": (2, None)}


def parse_modprobe_conf(text: str) -> list[tuple[str, list[str]]]:
    """The commands of a modprobe.d file: one per line, '#' lines and blank lines ignored."""
    commands = []
    for number, line in _logical_lines(text):
        command, *args = line.split()
        if command not in _MODPROBE_COMMANDS:
            raise RuleSyntaxError(f"line {number}: unknown modprobe.d command {command!r}")
        fewest, most = _MODPROBE_COMMANDS[command]
        if len(args) < fewest or (most is not None and len(args) > most):
            raise RuleSyntaxError(f"line {number}: {command} takes {fewest}"
                                  f"{'' if most == fewest else ' or more'} argument(s), got {args}")
        module = args[1] if command == "alias" else args[0]
        if not _MODULE.fullmatch(module):
            raise RuleSyntaxError(f"line {number}: {module!r} is not a module name")
        commands.append((command, args))
    return commands


# --- the readers themselves --------------------------------------------------------------------

GOOD_RULES = '''# a comment, then a blank line

ACTION=="remove", GOTO="end"
SUBSYSTEM=="usb", ATTR{idVendor}=="054c", \\
# a comment inside a continuation is skipped, as udev does
  ATTR{idProduct}=="06c1", GROUP="borne", MODE="0660"
KERNEL == "event*", ENV{X}="say \\"hi\\"", RUN{builtin}+="kmod load x", TAG+="uaccess"
ENV{Y}=e"a\\nb", IMPORT{builtin}="usb_id"
LABEL="end"
'''


def test_the_reader_reads_pairs_continuations_quotes_and_labels():
    rules = parse_rules(GOOD_RULES)

    assert [r.line for r in rules] == [3, 4, 7, 8, 9]
    assert rules[1].tokens == (Token("SUBSYSTEM", None, "==", "usb"),
                               Token("ATTR", "idVendor", "==", "054c"),
                               Token("ATTR", "idProduct", "==", "06c1"),
                               Token("GROUP", None, "=", "borne"), Token("MODE", None, "=", "0660"))
    assert rules[2].get("ENV", "X", ("=",)) == 'say "hi"'
    assert rules[2].get("KERNEL") == "event*"
    assert rules[3].get("ENV", "Y", ("=",)) == "a\\nb"  # kept as written: udev unescapes e"..."


#: (a rules file, what the error says, whether systemd 254's `udevadm verify` rejects it too)
BROKEN_RULES = [
    ('SUBSYSTEM=="usb" GROUP="borne"\n', "comma is missing", True),
    ('SUBSYSTEM=="usb", GROUP=borne\n', "not a KEY", True),
    ('SUBSYSTEM=="usb", GROUP="borne\n', "no closing quote", True),
    ('SUBSYSTEM=="usb", ENV{X}="a\\\\", GROUP="borne"\n', "comma is missing", True),
    ('SUBSYSTEM="usb", GROUP="borne"\n', "operator '='", True),
    ('SUBSYSTEM=="usb", GROUP=="borne"\n', "operator '=='", True),
    ('SUBSYSTEM=="usb", GROUP+="borne"\n', "operator '+='", True),
    ('SUBSYSTEM=="usb", ATTR{idVendor}+="054c"\n', "operator '+='", True),
    ('SUBSYSTEM=="usb", GRUOP="borne"\n', "unknown key 'GRUOP'", True),
    ('subsystem=="usb", GROUP="borne"\n', "unknown key 'subsystem'", True),
    ('ENV=="x", GROUP="borne"\n', "needs an attribute", True),
    ('SUBSYSTEM=="usb", ATTR{}=="1", GROUP="borne"\n', "empty attribute", True),
    ('KERNEL{x}=="a", GROUP="borne"\n', "takes no attribute", True),
    ('IMPORT{foo}=="x", GROUP="borne"\n', "not one of", True),
    ('SUBSYSTEM=="usb", GROUP=""\n', "not a user or group name", True),
    ('SUBSYSTEM=="usb", MODE="rw"\n', "not an octal mode", False),
    ('SUBSYSTEM=="usb", ATTR{idVendor}=="054c", MODE="0660",\n', "trailing comma", True),
    ('SUBSYSTEM=="usb",GROUP="borne"\n', "followed by a space", True),
    ('SUBSYSTEM=="usb" , GROUP="borne"\n', "whitespace before a comma", True),
    ('SUBSYSTEM=="usb", GROUP="borne" # why\n', "comma is missing", True),
    ('SUBSYSTEM=="usb", ATTR{idVendor}=="054c"\n', "no effect", True),
    ('KERNEL=="a", KERNEL=="b", GROUP="borne"\n', "conflicting", True),
    ('SUBSYSTEM=="usb", GOTO="nowhere"\n', "no LABEL after it", True),
    ('LABEL="orphan"\n', "never jumped to", True),
    ('SUBSYSTEM=="usb", LABEL="x", GOTO="x"\n', "never jumped to", True),
    ('SUBSYSTEM=="usb", GROUP="borne" \\\n', "ends after a line continuation", True),
]


@pytest.mark.parametrize(("text", "error", "_udevadm_too"), BROKEN_RULES,
                         ids=[t.strip() for t, _, _ in BROKEN_RULES])
def test_the_reader_rejects_a_broken_rule(text, error, _udevadm_too):
    with pytest.raises(RuleSyntaxError, match=re.escape(error)):
        parse_rules(text)


def test_the_modprobe_reader_reads_blacklists_and_rejects_broken_lines():
    assert parse_modprobe_conf("# c\n\nblacklist pn533_usb\nalias my-nfc port100\n") == [
        ("blacklist", ["pn533_usb"]), ("alias", ["my-nfc", "port100"])]
    for broken, error in [("blacklst pn533_usb", "unknown modprobe.d command"),
                          ("blacklist", "takes 1 argument"),
                          ("blacklist pn533_usb port100", "takes 1 argument"),
                          ("blacklist pn533_usb # why", "takes 1 argument"),
                          ("blacklist pn533_usb.ko", "not a module name")]:
        with pytest.raises(RuleSyntaxError, match=re.escape(error)):
            parse_modprobe_conf(broken + "\n")


# --- the files in udev/ ------------------------------------------------------------------------

RULES_FILES = sorted(UDEV.glob("*.rules"))


def test_the_rules_files_are_the_ones_this_test_knows():
    assert RULES_FILES == sorted([NFC_RULES, PERIPHERAL_RULES])


@pytest.mark.parametrize("path", RULES_FILES, ids=lambda p: p.name)
def test_each_rules_file_parses_and_runs_after_the_distribution_defaults(path):
    assert parse_rules(path.read_text())
    # udev reads only *.rules, in lexical order over all rules directories: ours must come
    # after systemd's 50-udev-default.rules (MODE="0664" on USB devices) and the 60-* rules.
    prefix = re.fullmatch(r"(\d\d)-borne-[a-z0-9-]+\.rules", path.name)
    assert prefix and int(prefix.group(1)) > 60


@pytest.mark.parametrize("path", RULES_FILES, ids=lambda p: p.name)
def test_each_rules_file_gives_nodes_only_to_the_daemons_groups(path):
    for rule in parse_rules(path.read_text()):
        assert rule.get("GROUP", ops=("=", ":=")) in DAEMON_GROUPS | {None}, rule
        assert rule.get("OWNER", ops=("=", ":=")) is None, rule
        assert rule.get("MODE", ops=("=", ":=")) in ("0660", None), rule


def _usb_ids(rule: Rule) -> tuple[str | None, str | None]:
    ids = {}
    for token in rule.tokens:
        if token.key in ("ATTR", "ATTRS") and token.attr in ("idVendor", "idProduct"):
            ids[token.attr] = token.value
        elif token.key == "ENV" and token.attr in ("ID_VENDOR_ID", "ID_MODEL_ID"):
            ids["idVendor" if token.attr == "ID_VENDOR_ID" else "idProduct"] = token.value
    return ids.get("idVendor"), ids.get("idProduct")


def test_the_nfc_rules_give_exactly_the_chips_nfcpy_owns_to_group_borne():
    wanted = {(d["vendor_id"], d["product_id"]) for d in TABLE["usb_nfc"] if d["owner"] == "nfcpy"}
    given = {}
    for rule in parse_rules(NFC_RULES.read_text()):
        ids = _usb_ids(rule)
        if ids != (None, None):
            given[ids] = (rule.get("GROUP", ops=("=",)), rule.get("MODE", ops=("=",)))

    assert given == {ids: ("borne", "0660") for ids in wanted}


@pytest.mark.parametrize("path", RULES_FILES, ids=lambda p: p.name)
def test_no_rule_is_limited_to_some_events(path):
    # 50-udev-default.rules sets MODE="0664" on USB devices at every event ("add", "change",
    # "bind"...): a rule kept to "add" would lose to it at the next "change" (udevadm trigger)
    # and leave the group read-only. Only "remove", which has no node to set, may be skipped.
    for rule in parse_rules(path.read_text()):
        for token in rule.tokens:
            if token.key == "ACTION":
                assert (token.op, token.value) == ("==", "remove"), f"line {rule.line}: {token}"


@pytest.mark.parametrize("path", RULES_FILES, ids=lambda p: p.name)
def test_no_rule_names_a_usb_id_absent_from_the_table_or_half_an_id(path):
    known = {(d["vendor_id"], d["product_id"]) for d in TABLE["usb_nfc"]}
    for rule in parse_rules(path.read_text()):
        ids = _usb_ids(rule)
        if ids == (None, None):
            continue
        # A vendor alone would hand every device of that vendor (all of Sony's) to the daemon.
        assert None not in ids, f"line {rule.line}: {ids}"
        assert ids in known, f"line {rule.line}: {ids} is not in devices.toml"


def test_the_table_is_nfcpys_own_usb_device_map():
    from nfc.clf.device import usb_device_map

    table = {(int(d["vendor_id"], 16), int(d["product_id"], 16)): d["driver"] for d in TABLE["usb_nfc"]}
    assert table == usb_device_map
    for device in TABLE["usb_nfc"]:
        # As sysfs writes them: udev compares strings, so "054C" would never match "054c".
        assert re.fullmatch(r"[0-9a-f]{4}", device["vendor_id"]), device
        assert re.fullmatch(r"[0-9a-f]{4}", device["product_id"]), device
        assert device["owner"] in ("nfcpy", "pcscd") and device["source"], device


def test_pcscd_owns_exactly_the_table_chips_its_ccid_driver_claims():
    if not LIBCCID_PLIST.exists():
        pytest.fail(f"{LIBCCID_PLIST} is missing: install libccid (pcscd's CCID driver, "
                    "which pcscd depends on and the box uses)")
    plist = plistlib.loads(LIBCCID_PLIST.read_bytes())
    ccid = {(int(v, 16), int(p, 16)) for v, p in zip(plist["ifdVendorID"], plist["ifdProductID"])}
    for device in TABLE["usb_nfc"]:
        ids = (int(device["vendor_id"], 16), int(device["product_id"], 16))
        # A chip both libccid and nfcpy want would go to whichever opens it first.
        assert (ids in ccid) == (device["owner"] == "pcscd"), device["name"]


def test_the_peripheral_rules_are_the_tables_nodes():
    wanted = {(n["subsystem"], n["kernel"] or None, n["group"], n["mode"]) for n in TABLE["node"]}
    given = []
    for rule in parse_rules(PERIPHERAL_RULES.read_text()):
        assert {t.key for t in rule.tokens} <= {"SUBSYSTEM", "KERNEL", "GROUP", "MODE"}, rule
        given.append((rule.get("SUBSYSTEM"), rule.get("KERNEL"),
                      rule.get("GROUP", ops=("=",)), rule.get("MODE", ops=("=",))))

    assert sorted(given, key=str) == sorted(wanted, key=str)
    assert len(given) == len(set(given))


def test_the_blacklist_is_exactly_the_kernel_drivers_that_claim_a_table_chip():
    commands = parse_modprobe_conf(BLACKLIST.read_text())
    claiming = {d["kernel_module"] for d in TABLE["usb_nfc"] if d["kernel_module"]}

    assert {command for command, _ in commands} == {"blacklist"}
    assert {name for _, (name,) in commands} == claiming == {"pn533_usb", "port100"}
    assert len(commands) == len(claiming)
    # modprobe reads only *.conf files from /etc/modprobe.d (man 5 modprobe.d).
    assert BLACKLIST.suffix == ".conf"


# --- udevadm verify, where the machine has it --------------------------------------------------


def _udevadm_with_verify() -> str:
    udevadm = os.environ.get("BORNE_UDEVADM") or shutil.which("udevadm")
    if udevadm is None:
        pytest.skip("no udevadm on this machine (Debian package udev; `udevadm verify` needs "
                    "systemd >= 254): the rules were checked by the reader above only")
    version = subprocess.run([udevadm, "--version"], capture_output=True, text=True, check=True)
    number = int(re.match(r"\d+", version.stdout.strip()).group())
    if number < 254:
        pytest.skip(f"udevadm {number} has no `verify` (systemd >= 254): the rules were checked "
                    "by the reader above only")
    return udevadm


def _verify(udevadm: str, paths: list[Path]) -> subprocess.CompletedProcess[str]:
    # Names are not resolved: the groups borne, i2c, spi and gpio exist only on the box.
    return subprocess.run([udevadm, "verify", "--resolve-names=never", *map(str, paths)],
                          capture_output=True, text=True, check=False)


def test_udevadm_verify_accepts_the_rules_files():
    result = _verify(_udevadm_with_verify(), RULES_FILES)
    assert result.returncode == 0, result.stderr


def test_udevadm_verify_rejects_what_the_reader_rejects(tmp_path):
    udevadm = _udevadm_with_verify()
    for number, (text, _error, udevadm_too) in enumerate(BROKEN_RULES):
        path = tmp_path / f"{number:02}.rules"
        path.write_text(text)
        assert (_verify(udevadm, [path]).returncode != 0) == udevadm_too, text
    good = tmp_path / "good.rules"
    good.write_text(GOOD_RULES)
    assert _verify(udevadm, [good]).returncode == 0
