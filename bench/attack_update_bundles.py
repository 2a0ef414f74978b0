"""Issue 17: bad bundles against the box (a stranger's stick, a tampered download), and the
reboot gate, each figure next to a baseline measured in the same run.

1. Vetting (RAUC's ``Info`` checks the signature; the daemon the compatible and the version):
   a good bundle's vet (the baseline) against the refusal of a bundle signed by another key,
   a tampered one, one for another ``compatible`` and a downgrade: p50/p99 ms each, and the
   bytes of either slot changed by all the refusals (goal 0: refused before any write).
2. The install of a small bundle, from the accepted vet to ``update.installed`` (a figure;
   the image check measures a real root's).
3. The reboot gate: from the moment nothing holds the reboot any more (an apCV session
   closed) to the reboot request on disk, against a forced request (the baseline). Goal:
   under 500 ms (the gate is looked at every 0.25 s).

Real RAUC on loop devices and a private D-Bus (tests/support/rauc_box.py), no pcscd. Run as
root: ``.venv/bin/python bench/attack_update_bundles.py`` (``attacks.py update_bundles``).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from _common import percentile

__all__ = ["run"]


class _Gate:
    """A reboot gate the bench opens and closes (what holds it: an apCV session)."""

    def __init__(self) -> None:
        self.held: list[str] = []

    def held_by(self) -> list[str]:
        return list(self.held)


def _line(name: str, values: list[float], extra: str) -> str:
    return (f"{name}: p50={percentile(values, 50):.1f} ms p99={percentile(values, 99):.1f} ms "
            f"(n={len(values)}) {extra}")


async def _measure(box, work: Path, rounds: int) -> list[str]:
    from borne.events import EventBus
    from borne.runtime.clock import Clock
    from borne.update.errors import UpdateRefused
    from borne.update.reboot_gate import REBOOT_REQUEST
    from borne.update.service import UpdateService
    from borne.update.settings import UpdateConfig

    from support.rauc_box import make_signer

    gate = _Gate()
    config = UpdateConfig(enabled="on", dbus_address=box.address,
                          release_file=str(box.release_file))
    bus = EventBus(Clock())
    boot = iter(range(10**6))
    updates = UpdateService(config, bus=bus, data_dir=work / "data", runtime_dir=work / "run",
                            gate=gate, this_boot=lambda: f"boot-{next(boot)}")
    await updates.start()
    good = box.bundle("1.1.0")
    tampered = box.bundle("1.1.0", name="tampered")
    data = bytearray(tampered.read_bytes())
    data[5000] ^= 1
    tampered.write_bytes(bytes(data))
    bad = {"another key": box.bundle("1.1.0", name="stranger",
                                     signer=make_signer(work / "k", "stranger")),
           "tampered": tampered,
           "another compatible": box.bundle("1.1.0", name="other", compatible="another-box"),
           "downgrade": box.bundle("0.9.0")}
    slots = {name: box.slot_digest(name) for name in ("A", "B")}

    # 1. A good bundle's vet (the baseline): RAUC's Info and the daemon's checks, no install.
    from borne.update.vetting import vet_bundle

    baseline = []
    for _ in range(rounds):
        started = time.perf_counter()
        await vet_bundle(updates._rauc, good, system_compatible="borne-test",  # noqa: SLF001
                         booted_version="1.0.0", allow_downgrade=False)
        baseline.append((time.perf_counter() - started) * 1000)
    lines = [_line("vet a good bundle (baseline)", baseline, "")]
    for name, bundle in bad.items():
        times, codes = [], set()
        for _ in range(rounds):
            started = time.perf_counter()
            try:
                await updates.install(bundle, origin="usb", actor="usb")
            except UpdateRefused as refused:
                codes.add(refused.code)
            else:
                raise AssertionError(f"{name} was accepted")
            times.append((time.perf_counter() - started) * 1000)
        lines.append(_line(f"refuse a bundle: {name}", times,
                           f"-> {', '.join(sorted(codes))} (vs good p50 "
                           f"{percentile(baseline, 50):.1f} ms)"))
    changed = sum(box.slot_digest(name) != digest for name, digest in slots.items())
    lines.append(f"slots changed by {len(bad) * rounds} refused bundles: {changed} "
                 "(goal 0: refused before any write)")

    # 2. The install, and 3. the gate: held by a session, then released.
    gate.held = ["apcv_session"]
    started = time.perf_counter()
    await updates.install(good, origin="file", actor="bench")
    while updates.snapshot().state != "installed":
        await asyncio.sleep(0.005)
    lines.append(f"install of a {good.stat().st_size // 1024} KiB bundle (4 MiB root image): "
                 f"{(time.perf_counter() - started) * 1000:.0f} ms")
    request = work / "run" / REBOOT_REQUEST
    opened, forced = [], []
    for _ in range(rounds):
        request.unlink(missing_ok=True)
        updates._state, gate.held = "installed", ["apcv_session"]  # noqa: SLF001 (replayed)
        await updates.request_reboot(actor="bench")
        await asyncio.sleep(0.3)
        assert not request.exists()
        gate.held = []
        started = time.perf_counter()
        while not request.exists():
            await asyncio.sleep(0.002)
        opened.append((time.perf_counter() - started) * 1000)
        request.unlink()
        updates._state, gate.held = "installed", ["apcv_session"]  # noqa: SLF001
        started = time.perf_counter()
        await updates.request_reboot(actor="bench", force=True)
        forced.append((time.perf_counter() - started) * 1000)
        updates._reboot_wanted = False  # noqa: SLF001
    lines.append(_line("reboot request once nothing holds it", opened,
                       f"(forced: p50={percentile(forced, 50):.2f} ms; goal < 500 ms)"))
    await updates.stop()
    return lines


def run(quick: bool = False) -> list[str]:
    """Measure (baseline first) and return the lines to print."""
    from support.rauc_box import RaucBox

    import logging

    logging.getLogger("borne.update").setLevel(logging.ERROR)  # each refusal logs a warning
    rounds = 5 if quick else 20
    with tempfile.TemporaryDirectory(prefix="borne-bench-update-") as folder:
        work = Path(folder)
        box = RaucBox(work / "rauc").start()
        try:
            return asyncio.run(_measure(box, work, rounds))
        finally:
            box.stop()


if __name__ == "__main__":
    print("\n".join(run()))
