"""The update's pure rules: versions, the release file, why RAUC refused a bundle, what
blocks a commit, the reboot gate's reasons, the ``[update]`` section."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from borne.config import parse_config
from borne.errors import ConfigError
from borne.health import Check
from borne.update.commit import BLOCKING, NOT_BLOCKING, blocking_failures
from borne.update.reboot_gate import HOLDS, RebootGate
from borne.update.release import newer, read_release, version_key
from borne.update.vetting import install_error_code, why_unreadable


@pytest.mark.parametrize("candidate, current, expected", [
    ("1.10", "1.9", True), ("1.9", "1.10", False), ("1.2.0", "1.2", False), ("1.2.1", "1.2", True),
    ("2", "1.99.99", True), ("1.0.0", "1.0.0", False), ("1.0-rc1", "1.0", None),
    ("", "1.0", None), ("1.0", "abc", None)])
def test_versions_compare_as_dotted_integers(candidate, current, expected):
    assert newer(candidate, current) is expected


def test_version_keys_ignore_trailing_zeros():
    assert version_key("1.2.0.0") == version_key("1.2") == (1, 2)
    assert version_key("1..2") is None and version_key(" 3 ") == (3,)


def test_the_release_file(tmp_path):
    path = tmp_path / "borne-release"
    path.write_text('# made by the image build\nVERSION="1.4.2"\nCOMPATIBLE=borne-rpi\n')
    release = read_release(path)
    assert (release.version, release.compatible) == ("1.4.2", "borne-rpi")
    assert read_release(tmp_path / "missing") == type(release)(None, None)


def bundle_like(tmp_path, squashfs: bytes, signature: bytes, size: int | None = None):
    path = tmp_path / "b.raucb"
    size = len(signature) if size is None else size
    path.write_bytes(squashfs + signature + size.to_bytes(8, "big"))
    return path


def test_a_well_formed_bundle_rauc_refused_has_a_bad_signature(tmp_path):
    assert why_unreadable(bundle_like(tmp_path, b"hsqs" + bytes(5000), b"\x30\x82\x01\x00"
                                      + bytes(256))) == "update_bad_signature"


@pytest.mark.parametrize("squashfs, signature, size", [
    (b"PK\x03\x04" + bytes(5000), b"\x30" + bytes(100), None),   # a zip, not a squashfs
    (b"hsqs" + bytes(5000), b"\x30" + bytes(100), 10**12),        # a size past the file
    (b"hsqs" + bytes(5000), b"\x30" + bytes(100), 0),             # no signature
    (b"hsqs" + bytes(5000), b"\x04" + bytes(100), None),          # not DER where it should be
])
def test_anything_else_is_not_a_bundle(tmp_path, squashfs, signature, size):
    assert why_unreadable(bundle_like(tmp_path, squashfs, signature, size)) == \
        "update_invalid_bundle"
    assert why_unreadable(tmp_path / "missing.raucb") == "update_invalid_bundle"


@pytest.mark.parametrize("text, code", [
    ("Installation error: Failed updating slot rootfs.1: Failed splicing data: Error writing "
     "to file descriptor: No space left on device", "update_no_space"),
    ("Installation error: signature verification failed", "update_bad_signature"),
    ("Installation error: Failed mounting bundle", "update_failed"), ("", "update_failed")])
def test_rauc_install_errors_map_to_stable_codes(text, code):
    assert install_error_code(text) == code


def check(name: str, status: str) -> Check:
    code = "ok" if status == "ok" else "device_error"
    return Check(name, status, "fr", "en", "fix", "fix", code=code)


def test_what_blocks_a_commit():
    assert blocking_failures([check("pcscd", "fail"), check("readers", "fail"),
                              check("camera", "fail"), check("clock", "warn"),
                              check("battery", "fail"), check("disk", "fail")]) == []
    assert blocking_failures([check("api", "fail"), check("keys", "warn"),
                              check("daemon", "warn")]) == ["api: device_error",
                                                            "daemon: device_error"]
    assert not BLOCKING & NOT_BLOCKING


class Slot(SimpleNamespace):
    pass


def test_the_gate_says_what_holds_the_reboot():
    core = SimpleNamespace(slots={"s0": Slot(state="reading"), "s1": Slot(state="decoded")},
                           battery={"state": "low", "charging": False})
    apdu = SimpleNamespace(now=lambda: 0.0,
                           book=SimpleNamespace(for_slot=lambda slot, now: slot == "s1" or None))
    apcv = SimpleNamespace(now=lambda: 0.0, sessions=SimpleNamespace(active=lambda now: [1]))
    gate = RebootGate(core, apcv=lambda: apcv, apdu=lambda: apdu)
    assert gate.held_by() == list(HOLDS)
    core.slots["s0"].state = "decoded"
    core.battery = {"state": "low", "charging": True}  # plugged in: no longer a reason
    apcv.sessions.active = lambda now: []
    apdu.book.for_slot = lambda slot, now: None
    assert gate.held_by() == []
    assert RebootGate(core).held_by() == []  # no API: no leases, no apCV service


def test_the_update_section_refuses_what_cannot_work():
    assert parse_config({}).update.enabled == "auto"
    for key, value in (("commit_deadline_s", 1), ("max_bundle_mb", 0),
                       ("release_file", "etc/borne-release"), ("enabled", "maybe"),
                       ("unknown", 1)):
        with pytest.raises(ConfigError) as refused:
            parse_config({"update": {key: value}})
        assert "update." in str(refused.value)


def test_the_doctors_update_line():
    from borne.health import check_update

    assert check_update(None) is None
    assert check_update({"state": "unavailable"}).code == "not_configured"
    base = {"system_version": "1.4.0", "booted_slot": "B", "pending_version": None,
            "progress": 0, "reboot_held_by": [], "last_error": None}
    idle = check_update({**base, "state": "idle"})
    assert (idle.status, idle.detail("en")) == ("ok", "system 1.4.0, slot B; update: idle")
    assert idle.detail("fr") == "système 1.4.0, emplacement B ; mise à jour : idle"
    held = check_update({**base, "state": "installed", "pending_version": "1.5.0",
                         "reboot_held_by": ["apcv_session"]})
    assert "reboot held by: apcv_session" in held.detail("en")
    for state, code in (("trial", "update_trial"), ("rolled_back", "update_rolled_back"),
                        ("failed", "update_error")):
        check = check_update({**base, "state": state})
        assert (check.status, check.code) == ("warn", code)


def test_boot_id_reads_the_kernel_or_the_file_borne_boot_id_names(tmp_path, monkeypatch) -> None:
    from borne.runtime.boot_id import KERNEL_BOOT_ID, read_boot_id

    monkeypatch.delenv("BORNE_BOOT_ID", raising=False)
    if KERNEL_BOOT_ID.exists():
        assert read_boot_id() == KERNEL_BOOT_ID.read_text().strip()
    named = tmp_path / "boot_id"
    named.write_text("3f0c6a52-emulated-boot\n")
    monkeypatch.setenv("BORNE_BOOT_ID", str(named))
    assert read_boot_id() == "3f0c6a52-emulated-boot"
    # None there: a per-process id, which matches no id another process kept.
    missing = read_boot_id(tmp_path / "missing")
    assert missing.startswith("process-") and missing != read_boot_id(tmp_path / "missing")
