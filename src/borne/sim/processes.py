"""Stopping the simulator's child processes (pcscd, virtual cards) the way systemd would."""

from __future__ import annotations

import subprocess

__all__ = ["terminate"]


def terminate(process: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    """SIGTERM ``process`` if it runs, then SIGKILL if it has not exited after ``timeout`` s."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
