"""``borne serve`` start -> ready, ``import borne`` time, and the idle daemon's RSS and CPU.

- start -> ready: spawn ``borne serve`` (sim backend, private pcscd with 4 slots, API on) and
  wait for its sd_notify READY=1, as systemd does under ``Type=notify``; baseline: spawn ``python -c pass`` in the same run.
- ``python -X importtime -c "import borne"``: the cumulative time of the top-level import.
- idle: two cards present and decoded, then 60 s (``--idle-s``) of nothing: RSS (VmRSS) and
  CPU (utime + stime from /proc) of the daemon; baseline: pcscd's own CPU over the same window.

Run as root: ``.venv/bin/python bench/startup_and_idle.py [--runs 10] [--idle-s 60]``.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import private_pcscd, summary

from support.sim_cli import sim_config

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mb(pid: int) -> float:
    match = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(match.group(1)) / 1024 if match else float("nan")


def spawn_serve(config: Path) -> tuple[subprocess.Popen[str], float]:
    """Start ``borne serve``; return it and the seconds until it sent READY=1.

    READY=1 arrives as systemd would get it (sd_notify(3)): on a datagram socket
    named by ``$NOTIFY_SOCKET``, which this bench binds in systemd's place.
    """
    path = config.with_name("notify.sock")
    path.unlink(missing_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
        notify.bind(str(path))
        notify.settimeout(30)
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "borne.cli.main", "--config", str(config),
                                    "serve"], stderr=subprocess.DEVNULL, text=True,
                                   env={**os.environ, "NOTIFY_SOCKET": str(path)})
        try:
            while "READY=1" not in notify.recv(4096).decode().split("\n"):
                pass
        except TimeoutError:
            raise SystemExit(f"borne serve sent no READY=1 (exit {process.poll()})") from None
        return process, time.perf_counter() - start


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(10)


def import_time_ms() -> float:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import borne"],
                         capture_output=True, text=True, check=True).stderr
    line = [entry for entry in out.splitlines() if entry.rstrip().endswith("| borne")][-1]
    return int(line.split("|")[1]) / 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--idle-s", type=float, default=60.0)
    args = parser.parse_args()
    from borne.sim.namespace import isolate_network, isolate_pcscd_socket

    isolate_pcscd_socket()  # while single-threaded
    isolate_network()
    imports = [import_time_ms() for _ in range(args.runs)]
    baseline_imports = []
    for _ in range(args.runs):
        out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import json"],
                             capture_output=True, text=True, check=True).stderr
        baseline_imports.append(int([l for l in out.splitlines() if l.rstrip().endswith("| json")][-1]
                                    .split("|")[1]) / 1000)
    print(summary("python -X importtime: import borne", imports))
    print(summary("baseline: import json", baseline_imports))

    with private_pcscd() as pcscd, tempfile.TemporaryDirectory() as work:
        config = sim_config(Path(work), daemon={"log_level": "info"})
        ready, bare = [], []
        for _ in range(args.runs):
            process, seconds = spawn_serve(config)
            ready.append(seconds * 1000)
            stop(process)
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            bare.append((time.perf_counter() - start) * 1000)
        print(summary("borne serve: start -> READY=1 (4 slots, API)", ready))
        print(summary("baseline: python -c pass", bare))

        from borne.sim.cardslots import CardSlots

        process, _ = spawn_serve(config)
        slots = CardSlots(pcscd)
        try:
            slots.insert(0, "vitale-family")
            slots.insert(1, "cps-pharmacist")
            time.sleep(2.0)  # both noticed (pcscd polls vpcd every ~400 ms) and read
            cpu0, pcscd0, t0 = cpu_seconds(process.pid), cpu_seconds(pcscd.pid), time.monotonic()
            rss = []
            while time.monotonic() - t0 < args.idle_s:
                time.sleep(1.0)
                rss.append(rss_mb(process.pid))
            elapsed = time.monotonic() - t0
            cpu = (cpu_seconds(process.pid) - cpu0) / elapsed * 100
            pcscd_cpu = (cpu_seconds(pcscd.pid) - pcscd0) / elapsed * 100
        finally:
            slots.remove_all()
            stop(process)
        print(f"idle daemon, 2 cards present, {elapsed:.0f} s: RSS median {statistics.median(rss):.1f} MB "
              f"(max {max(rss):.1f}), CPU {cpu:.3f} %   baseline pcscd CPU {pcscd_cpu:.3f} %")


if __name__ == "__main__":
    main()
