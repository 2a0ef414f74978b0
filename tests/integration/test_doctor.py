"""``borne doctor`` against the real (private) pcscd: what it checks and what it tells a person."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.pcscd

BORNE = [sys.executable, "-m", "borne.cli.main"]


def doctor(config, *extra):
    return subprocess.run(BORNE + ["--config", str(config), *extra, "doctor"], capture_output=True,
                          text=True, timeout=30)


def test_healthy_machine_without_daemon(tmp_path, sim_pcscd):
    config = tmp_path / "borne.toml"
    config.write_text(f'[daemon]\nruntime_dir = "{tmp_path}/run"\ndata_dir = "{tmp_path}"\n')
    run = doctor(config)
    assert run.returncode == 0, run.stdout
    lines = {match.group(1): line for line in run.stdout.splitlines()
             if (match := re.match(r"^\[[^\]]*\] (\S+)", line))}
    assert "[OK" in lines["config"] and str(config) in lines["config"]
    assert "[OK" in lines["pcscd"]
    assert "4 lecteur(s)" in lines["readers"] and "Borne Sim 00 00" in lines["readers"]
    assert "[OK" in lines["data_dir"] and "Mo libres" in lines["data_dir"]
    assert "[ATTENTION" in lines["daemon"]
    assert "systemctl start borne" in run.stdout


def test_english_and_missing_data_dir(tmp_path, sim_pcscd):
    config = tmp_path / "borne.toml"
    config.write_text(f'[daemon]\nruntime_dir = "{tmp_path}/run"\ndata_dir = "{tmp_path}/absent"\n')
    run = doctor(config, "--lang", "en")
    assert "does not exist yet" in run.stdout and "[WARN" in run.stdout
    assert "pcscd answers" in run.stdout


def test_broken_config_fails_and_says_where(tmp_path):
    config = tmp_path / "borne.toml"
    config.write_text("[daemon]\nlog_levl = 'info'\n")
    run = doctor(config)
    assert run.returncode == 1
    assert "ÉCHEC" in run.stdout and "daemon.log_levl" in run.stdout and str(config) in run.stdout


def test_pcscd_down_is_reported_with_the_fix(tmp_path, sim_pcscd):
    config = tmp_path / "borne.toml"
    config.write_text(f'[daemon]\nruntime_dir = "{tmp_path}/run"\ndata_dir = "{tmp_path}"\n')
    sim_pcscd.stop()
    try:
        run = doctor(config)
    finally:
        sim_pcscd.start()
    assert run.returncode == 1
    assert "pcscd ne répond pas" in run.stdout and "apt-get install pcscd" in run.stdout
