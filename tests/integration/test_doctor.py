"""``borne doctor`` against the real (private) pcscd and the simulated box: what it checks and
what it tells a person."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import time
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from borne.runtime.clock import kernel_clock_synchronised

from support.fresh_defaults import FRESH_DEFAULTS
from support.sim_cli import BORNE, start_sim

pytestmark = pytest.mark.pcscd


def doctor(config, *extra, prefix=()):
    return subprocess.run([*prefix, *BORNE, "--config", str(config), *extra, "doctor"],
                          capture_output=True, text=True, timeout=30)


def lines_of(run) -> dict[str, str]:
    """Check name -> its line and, for a problem, the fix line under it."""
    lines: dict[str, str] = {}
    name = None
    for line in run.stdout.splitlines():
        if match := re.match(r"^\[[^\]]*\] (\S+)", line):
            name = match.group(1)
            lines[name] = lines[name] + "\n" + line if name in lines else line
        elif name is not None:
            lines[name] += "\n" + line
    return lines


def test_healthy_machine_without_daemon(tmp_path, sim_pcscd):
    config = tmp_path / "borne.toml"
    config.write_text(f'[daemon]\nruntime_dir = "{tmp_path}/run"\ndata_dir = "{tmp_path}"\n')
    run = doctor(config)
    assert run.returncode == 0, run.stdout
    lines = lines_of(run)
    assert "[OK" in lines["config"] and str(config) in lines["config"]
    assert "[OK" in lines["pcscd"]
    assert "4 lecteur(s)" in lines["readers"] and "Borne Sim 00 00" in lines["readers"]
    assert "[OK" in lines["data_dir"]
    assert "[OK" in lines["disk"] and "Mo libres" in lines["disk"] and "inodes libres" in lines["disk"]
    assert "pas encore créé" in lines["ca_cert"] and "[OK" in lines["server_cert"]
    # Whatever this machine's clock is, doctor says what the kernel says.
    if kernel_clock_synchronised():
        assert lines["clock"].startswith("[OK") and "synchronisée" in lines["clock"]
    else:
        assert lines["clock"].startswith("[ATTENTION") and "[clock_unsynchronised]" in lines["clock"]
        assert "NTP" in lines["clock"]
    daemon = lines["daemon"]
    assert "[ATTENTION" in daemon and "[daemon_down]" in daemon
    assert "inconnu" in daemon and "systemctl start borne" in daemon
    assert list(lines)[-1] == "daemon"  # without it, nothing about the devices it drives


def test_english_and_missing_data_dir(tmp_path, sim_pcscd):
    config = tmp_path / "borne.toml"
    config.write_text(f'[daemon]\nruntime_dir = "{tmp_path}/run"\ndata_dir = "{tmp_path}/absent"\n')
    run = doctor(config, "--lang", "en")
    lines = lines_of(run)
    assert "does not exist yet" in lines["data_dir"] and "[WARN" in lines["data_dir"]
    assert "pcscd answers" in lines["pcscd"]
    assert f"{tmp_path}:" in lines["disk"] and "MB free" in lines["disk"]  # the partition it will be on


def test_broken_config_fails_says_where_and_checks_the_rest_on_defaults(tmp_path):
    config = tmp_path / "borne.toml"
    config.write_text("[daemon]\nlog_levl = 'info'\n")
    run = doctor(config, prefix=FRESH_DEFAULTS)  # the defaults' paths: not this machine's
    assert run.returncode == 1
    lines = lines_of(run)
    assert lines["config"].startswith("[ÉCHEC") and "[config_invalid]" in lines["config"]
    assert "daemon.log_levl" in lines["config"] and str(config) in lines["config"]
    assert "réglages par défaut" in lines["config"] and "systemctl restart borne" in lines["config"]
    # The defaults' data directory is checked anyway (its disk line names the partition it
    # is, or will be, on).
    assert "/var/lib/borne" in lines["data_dir"]
    assert re.search(r"disk\s+/var/lib(/borne)? :", lines["disk"]), lines["disk"]


def test_pcscd_down_is_reported_with_the_fix(tmp_path, sim_pcscd):
    config = tmp_path / "borne.toml"
    config.write_text(f'[daemon]\nruntime_dir = "{tmp_path}/run"\ndata_dir = "{tmp_path}"\n')
    sim_pcscd.stop()
    try:
        run = doctor(config)
    finally:
        sim_pcscd.start()
    assert run.returncode == 1
    assert "pcscd ne répond pas" in run.stdout and "systemctl restart pcscd" in run.stdout
    assert "[pcscd_down]" in run.stdout


def write_cert(path, not_before, not_after) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "borne")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after).sign(key, hashes.SHA256()))
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def test_disk_thresholds_and_certificates_on_disk(tmp_path, sim_pcscd):
    config = tmp_path / "borne.toml"
    config.write_text(f'[daemon]\nruntime_dir = "{tmp_path}/run"\ndata_dir = "{tmp_path}"\n'
                      "[health]\ndisk_warn_free_mb = 1000000000000\ncert_warn_days = 30\n")
    now = datetime.now(timezone.utc)
    write_cert(tmp_path / "ca.crt", now - timedelta(days=100), now + timedelta(days=3000))
    write_cert(tmp_path / "server.crt", now - timedelta(days=365), now - timedelta(days=2))
    run = doctor(config, "--lang", "en")
    assert run.returncode == 1
    lines = lines_of(run)
    assert lines["disk"].startswith("[WARN") and "[disk_low]" in lines["disk"]
    assert "du -xsh" in lines["disk"]
    assert lines["ca_cert"].startswith("[OK")
    server = lines["server_cert"]
    assert server.startswith("[FAIL") and "[cert_expired]" in server and "expired on" in server
    assert "systemctl restart borne" in server


def wait_for_state(cli, want) -> dict:
    """Poll `borne status --json` until ``want(devices)`` holds."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        run = subprocess.run(cli + ["status", "--json"], capture_output=True, text=True)
        if run.returncode == 0:
            devices = json.loads(run.stdout)["devices"]
            if want(devices):
                return devices
        time.sleep(0.1)
    pytest.fail(f"the simulated box's devices never got there: {run.stdout or run.stderr}")


def test_doctor_on_the_simulated_box_asks_the_daemon_about_its_devices(tmp_path):
    camera = tmp_path / "camera"
    sim, cli = start_sim(
        tmp_path,
        # No such NFC chip; no scanner (the simulator's twin unless the file says "none").
        readers={"camera": f"images:{camera}", "nfc": "nfcpy:usb:ffff:ffff", "scanner": "none"},
        display={"device": "dummy:128x64"}, panel={"pins": "mock"})
    # Inside the simulated box's namespaces, doctor sees its pcscd as it sees the machine's.
    inside = ["nsenter", f"--mount=/proc/{sim.pid}/ns/mnt", f"--net=/proc/{sim.pid}/ns/net"]
    try:
        wait_for_state(cli, lambda d: d.get("camera", {}).get("state") == "available"
                       and d.get("display", {}).get("state") == "available")
        shutil.rmtree(camera)  # the camera goes away while the box runs
        wait_for_state(cli, lambda d: d["camera"]["state"] == "unavailable")
        run = doctor(tmp_path / "borne.toml", prefix=inside)
        assert run.returncode == 1, run.stdout
        lines = lines_of(run)
        assert lines["daemon"].startswith("[OK")
        assert "[OK" in lines["pcscd"] and "4 lecteur(s)" in lines["readers"]
        assert lines["ca_cert"].startswith("[OK") and lines["server_cert"].startswith("[OK")
        cam = lines["camera"]
        assert cam.startswith("[ÉCHEC") and "[camera_unavailable]" in cam
        assert "caméra QR indisponible" in cam and "rpicam-hello --list-cameras" in cam
        nfc = lines["nfc"]
        assert nfc.startswith("[ÉCHEC") and "[nfc_unavailable]" in nfc and "lsusb" in nfc
        assert lines["display"].startswith("[OK") and "écran prêt" in lines["display"]
        assert "pas dans la configuration" in lines["scanner"]
        assert lines["api"].startswith("[OK") and "port 8443" in lines["api"]
        assert lines["clients"].startswith("[OK") and "aucun poste appairé" in lines["clients"]
        english = lines_of(doctor(tmp_path / "borne.toml", "--lang", "en", prefix=inside))
        assert "QR camera unavailable" in english["camera"]
        assert "check the camera's ribbon (or USB) cable" in english["camera"]
    finally:
        sim.send_signal(signal.SIGINT)
        assert sim.wait(20) == 0
