"""Shared helpers of the benchmarks: statistics, a private pcscd, printing.

Benchmarks are not tests: they print medians and p99 next to a baseline
measured in the same run, because these machines are noisy.
"""

from __future__ import annotations

import socket
import statistics
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from collections.abc import Iterator, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
# The tests' shared harness (tests/support): the benches start their boxes the same way.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), nearest-rank on sorted values."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary(name: str, values_ms: Sequence[float]) -> str:
    """One line: median, p99, min, max in ms."""
    return (f"{name:<44} n={len(values_ms):<4} median={statistics.median(values_ms):8.3f} ms  "
            f"p99={percentile(values_ms, 99):8.3f} ms  min={min(values_ms):7.3f}  "
            f"max={max(values_ms):8.3f}")


@contextmanager
def private_pcscd() -> Iterator[object]:
    """A private pcscd with the simulator's readers, in this process's own /run/pcscd."""
    from borne.sim.namespace import isolate_network, isolate_pcscd_socket
    from borne.sim.pcscd import DEFAULT_SIM_READERS, PrivatePcscd

    isolate_pcscd_socket()
    isolate_network()
    with tempfile.TemporaryDirectory(prefix="borne-bench-") as work:
        pcscd = PrivatePcscd(Path(work), DEFAULT_SIM_READERS)
        pcscd.start()
        try:
            yield pcscd
        finally:
            pcscd.stop()


def free_udp_port() -> int:
    """A UDP port free on loopback now (for nfcpy's UDP driver and the virtual phone)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
