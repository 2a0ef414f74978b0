"""Virtual phone placed -> payload_captured, through nfcpy's real UDP driver, against bare nfcpy.

For each of N presentations of the virtual phone (:mod:`borne.sim.phone`,
simulator AID, default script ``80CA000000`` answered with 600 bytes: three
GET RESPONSE rounds and ISO-DEP chaining):

- box, placed: from the moment the phone starts listening to the moment the
  sink's ``payload_captured`` runs on the event loop. This includes the UDP
  twin's polling: a poll sent before the phone listens is lost and nfcpy's UDP
  driver waits 1 s for its answer, so this figure is about the twin, not the box
  (a real chip polls every ``poll_interval_s``, 0.2 s);
- box, detected: from the backend's ``detected_ns`` (nfcpy discovered the
  target) to ``payload_captured`` on the loop: RATS, SELECT, the script, the
  report;
- baseline, same run, same phone, on another port: bare nfcpy senses the phone,
  activates it (RATS) and sends the same APDUs (``tag.transceive``): the box's
  "detected" path without the backend; and one bare SELECT round trip.

Box and baseline presentations alternate so machine noise hits both.
Run: ``.venv/bin/python bench/nfc_presentation.py [N]`` (no root needed).

Figures (2-CPU Debian x86 machine, Python 3.11, nfcpy 1.0.4, N=50)::

    600-byte payload, 4 APDUs per read, 50 presentations
    box: phone placed -> payload_captured   median=1200.471 ms  p99=1203.456 ms  min=198.438
    box: detected -> payload_captured       median=   0.686 ms  p99=   2.135 ms  min=  0.469
    baseline: bare nfcpy activate + APDUs   median=   0.491 ms  p99=   1.396 ms  min=  0.348
    baseline: bare nfcpy SELECT round trip  median=   0.081 ms  p99=   0.696 ms  min=  0.060
    ratio box detected->captured / bare read (median): 1.40x

The "placed" figure is the twin's 1 s UDP poll timeout plus the 0.2 s poll
interval: the box releases a phone with a poll whose SENS_REQ reaches the next
phone before it listens. Everything after detection costs the box about 0.2 ms
more than bare nfcpy (the script, the hop to the event loop).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import threading
import time

from _common import free_udp_port, summary

PAYLOAD = bytes(range(256)) * 2 + bytes(88)  # 600 bytes


class TimingSink:
    """Stamps each report on the loop; a presentation must end in one payload."""

    def __init__(self) -> None:
        self.captured: asyncio.Queue[tuple[int, int]] = asyncio.Queue()
        self.ready = asyncio.Event()

    def device_state(self, device: str, state: str, detail: str | None = None) -> None:
        if state == "available":
            self.ready.set()

    def payload_captured(self, channel: str, payload: bytes, detected_ns: int) -> None:
        self.captured.put_nowait((detected_ns, time.monotonic_ns()))

    def capture_error(self, channel: str, code: str, detected_ns: int) -> None:
        raise SystemExit(f"presentation failed: {code}")


def bare_read(port: int, apdus: list[bytes], phone_thread: threading.Thread) -> tuple[float, float]:
    """Sense, activate and read the phone with bare nfcpy; (read ms, SELECT round trip ms)."""
    import nfc

    clf = nfc.ContactlessFrontend(f"udp:127.0.0.1:{port}")
    try:
        target = None
        while target is None:
            target = clf.sense(nfc.clf.RemoteTarget("106A"), iterations=1)
        start = time.perf_counter_ns()
        tag = nfc.tag.activate(clf, target)
        select_start = time.perf_counter_ns()
        tag.transceive(bytearray(apdus[0]))
        select_ns = time.perf_counter_ns() - select_start
        for apdu in apdus[1:]:
            tag.transceive(bytearray(apdu))
        read_ns = time.perf_counter_ns() - start
        clf.device.mute()  # RFOFF: the phone sees the reader let it go
        phone_thread.join(10)
        return read_ns / 1e6, select_ns / 1e6
    finally:
        clf.close()


def recorded_apdus() -> list[bytes]:
    """The APDUs the box sends to the phone, recorded against the phone's applet."""
    from borne.readers.cards.script import record
    from borne.readers.nfc.apcv_script import read_presentation
    from borne.sim.phone import DEFAULT_AID, DEFAULT_COMMAND, PhoneApplet

    applet = PhoneApplet(DEFAULT_AID, [DEFAULT_COMMAND], [PAYLOAD])
    return record(read_presentation(DEFAULT_AID, [DEFAULT_COMMAND]), applet.respond)


async def run(presentations: int) -> None:
    from borne.readers.nfc.backend import NfcpyBackend
    from borne.sim.phone import DEFAULT_AID, DEFAULT_COMMAND, VirtualPhone

    apdus = recorded_apdus()
    box_port, bare_port = free_udp_port(), free_udp_port()
    backend = NfcpyBackend(f"udp:127.0.0.1:{box_port}", aid=DEFAULT_AID, commands=[DEFAULT_COMMAND])
    sink = TimingSink()
    backend.start(sink, asyncio.get_running_loop())
    await asyncio.wait_for(sink.ready.wait(), 10)
    placed_ms: list[float] = []
    detected_ms: list[float] = []
    bare_ms: list[float] = []
    select_ms: list[float] = []
    try:
        for _ in range(presentations):
            phone = VirtualPhone(box_port, DEFAULT_AID, PAYLOAD)
            placed = time.monotonic_ns()
            presenting = asyncio.create_task(asyncio.to_thread(phone.present, 15.0))
            detected, captured = await asyncio.wait_for(sink.captured.get(), 15)
            report = await presenting
            if not (report.completed and report.released):
                raise SystemExit(f"box presentation incomplete: {report}")
            placed_ms.append((captured - placed) / 1e6)
            detected_ms.append((captured - detected) / 1e6)

            phone = VirtualPhone(bare_port, DEFAULT_AID, PAYLOAD)
            thread = threading.Thread(target=phone.present, args=(15.0,))
            thread.start()
            read, select = await asyncio.to_thread(bare_read, bare_port, apdus, thread)
            bare_ms.append(read)
            select_ms.append(select)
    finally:
        await backend.stop()
    print(f"{len(PAYLOAD)}-byte payload, {len(apdus)} APDUs per read, "
          f"{presentations} presentations")
    print(summary("box: phone placed -> payload_captured", placed_ms))
    print(summary("box: detected -> payload_captured", detected_ms))
    print(summary("baseline: bare nfcpy activate + same APDUs", bare_ms))
    print(summary("baseline: bare nfcpy SELECT round trip", select_ms))
    ratio = statistics.median(detected_ms) / statistics.median(bare_ms)
    print(f"ratio box detected->captured / bare read (median): {ratio:.2f}x")


if __name__ == "__main__":
    asyncio.run(run(int(sys.argv[1]) if len(sys.argv) > 1 else 50))
