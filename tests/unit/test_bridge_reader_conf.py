"""What ``borne bridge setup`` writes for pcsc-lite, what it reads of the other entries, and the
ports a bridge claims (borne.bridge.reader_conf, borne.bridge.claims)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from borne.bridge.claims import PortClaims
from borne.bridge.layout import ReaderLayout
from borne.bridge.reader_conf import check_free, install, read_entries, reader_conf
from borne.errors import BorneError

#: Debian's /etc/reader.conf.d/vpcd (vsmartcard's reader.conf.in, installed).
DEBIAN_VPCD = """FRIENDLYNAME "Virtual PCD"
# Use the device name below to allow a virtual card to connect to vpcd at port 35963 and 35964 (the default configuration)
DEVICENAME   /dev/null:0x8C7B
# Use the device name below to connect to a virtual card, which listens at 192.168.0.4 at port 35963 ("reversed mode")
#DEVICENAME   192.168.0.4:0x8C7B
LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so
CHANNELID    0x8C7B
"""

LAYOUT = ReaderLayout(0x8C7F, {0: "CPS", 1: "Vitale"})


def conf(tmp_path: Path) -> str:
    return reader_conf(LAYOUT, label="comptoir", box_url="https://borne:8443",
                       driver_dir=tmp_path / "drivers", slot_ids={0: "kapelse-kap-move-00-00"})


def test_one_entry_per_named_slot_each_with_its_own_driver_copy(tmp_path):
    text = conf(tmp_path)
    assert 'FRIENDLYNAME "CPS"\nDEVICENAME   /dev/null:0x8C7F\n' \
           f'LIBPATH      {tmp_path}/drivers/libifdvpcd-comptoir-0.so\nCHANNELID    0x8C7F\n' in text
    assert 'FRIENDLYNAME "Vitale"\nDEVICENAME   /dev/null:0x8C81\n' \
           f'LIBPATH      {tmp_path}/drivers/libifdvpcd-comptoir-1.so\nCHANNELID    0x8C81\n' in text
    assert '# Box slot 0 (kapelse-kap-move-00-00): PC/SC reader "CPS 00 00"' in text
    assert "# Box slot 1 (not seen on the box yet: its port is kept for it)" in text


def test_our_file_reads_back_as_its_entries(tmp_path):
    (tmp_path / "borne-comptoir.conf").write_text(conf(tmp_path))
    assert [(e.name, e.ports) for e in read_entries(tmp_path)] == [
        ("CPS", (0x8C7F, 0x8C80)), ("Vitale", (0x8C81, 0x8C82))]
    assert read_entries(tmp_path, skip=tmp_path / "borne-comptoir.conf") == []


def test_debians_vpcd_entry_is_read_as_pcsc_lite_reads_it(tmp_path):
    (tmp_path / "vpcd").write_text(DEBIAN_VPCD)
    (tmp_path / ".borne-x.conf.123").write_text(DEBIAN_VPCD)  # a dot file: pcscd skips it too
    [entry] = read_entries(tmp_path)
    assert (entry.file.name, entry.name, entry.ports) == ("vpcd", "Virtual PCD", (35963, 35964))


def test_a_port_or_a_name_another_file_has_is_refused_naming_it(tmp_path):
    (tmp_path / "vpcd").write_text(DEBIAN_VPCD)
    entries = read_entries(tmp_path)
    with pytest.raises(BorneError, match="vpcd") as taken:
        check_free(ReaderLayout(0x8C7B, {0: "CPS"}), entries)
    assert taken.value.code == "bridge_port_taken" and taken.value.details["port"] == 35963
    with pytest.raises(BorneError) as taken:  # slot 1's entry would listen on 35963 too
        check_free(ReaderLayout(0x8C78, {1: "CPS"}), entries)
    assert taken.value.details["port"] == 35963
    with pytest.raises(BorneError) as taken:
        check_free(ReaderLayout(0x8C7C, {0: "CPS"}), entries)
    assert taken.value.details["port"] == 35964
    with pytest.raises(BorneError) as named:
        check_free(ReaderLayout(0x9000, {0: "Virtual PCD"}), entries)
    assert named.value.code == "bridge_name_taken"
    check_free(ReaderLayout(0x8C7D, {0: "CPS", 1: "Vitale"}), entries)


def test_install_copies_the_driver_per_entry_and_forgets_old_copies(tmp_path):
    driver = tmp_path / "libifdvpcd.so"
    driver.write_bytes(b"\x7fELF driver")
    readers = tmp_path / "reader.conf.d"
    readers.mkdir()
    drivers = tmp_path / "drivers"
    install(conf(tmp_path), readers / "borne-comptoir.conf", layout=LAYOUT, label="comptoir",
            driver=driver, driver_dir=drivers)
    copies = sorted(drivers.iterdir())
    assert [c.name for c in copies] == ["libifdvpcd-comptoir-0.so", "libifdvpcd-comptoir-1.so"]
    assert copies[0].stat().st_ino != copies[1].stat().st_ino  # two files: two loads by pcscd
    assert all(c.read_bytes() == driver.read_bytes() for c in copies)
    assert (readers / "borne-comptoir.conf").read_text() == conf(tmp_path)
    assert sorted(p.name for p in readers.iterdir()) == ["borne-comptoir.conf"]
    install("", readers / "borne-comptoir.conf", layout=ReaderLayout(0x8C7F, {1: "Vitale"}),
            label="comptoir", driver=driver, driver_dir=drivers)
    assert [c.name for c in drivers.iterdir()] == ["libifdvpcd-comptoir-1.so"]


def test_install_says_what_is_missing(tmp_path):
    driver = tmp_path / "libifdvpcd.so"
    with pytest.raises(BorneError, match="is pcscd installed"):
        install("", tmp_path / "nowhere" / "x.conf", layout=LAYOUT, label="x", driver=driver,
                driver_dir=tmp_path / "drivers")
    with pytest.raises(BorneError, match="vsmartcard-vpcd"):
        install("", tmp_path / "x.conf", layout=LAYOUT, label="x", driver=driver,
                driver_dir=tmp_path / "drivers")


linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="claims are abstract UNIX sockets (Linux)")


@linux_only
async def test_a_port_held_by_one_bridge_is_refused_to_another_which_says_who_holds_it():
    first, second = PortClaims("pid 1, box https://a:8443"), PortClaims("pid 2, box https://b:8443")
    try:
        await first.claim([47001, 47002])
        with pytest.raises(BorneError) as taken:
            await second.claim([47003, 47002])
        assert taken.value.code == "bridge_port_taken"
        assert "47002" in str(taken.value) and "pid 1, box https://a:8443" in str(taken.value)
        assert second.ports == []  # all or none: 47003 was given back
        await first.claim([47001])  # held already: kept
        first.close()
        await second.claim([47002])
        assert second.ports == [47002]
    finally:
        first.close()
        second.close()
