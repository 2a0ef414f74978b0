"""The USB QR scanner backends end to end: a real file, a real event loop, a recording sink.

``KeylogScanner`` (the twin) and ``EvdevScanner`` share their decoding and
reporting (``KeyScanner``), so the keylog tests cover that shared path; the
evdev-only part (open, grab, read, unplug, hot-plug) runs against a stand-in
device here, and against a real kernel input device made with ``evdev.UInput``
where ``/dev/uinput`` exists (the test says why it skips otherwise).
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path
from types import SimpleNamespace

import pytest

from borne.config import Config, parse_config
from borne.readers.qr.keymaps import KEY, keystrokes_for
from borne.readers.qr.scanner_evdev import EvdevScanner, KeylogScanner
from borne.registry import load_backend
from borne.sim.scanner_keys import type_code

DATA = Path(__file__).parent.parent / "data" / "scanner"
PRESCRIPTION = "01S2TBPZ2JCNZZYGHZ"


class RecordingSink:
    """Records what a backend reports, and checks it arrives on the event loop's thread."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.loop_thread = threading.get_ident()

    def _record(self, *call) -> None:
        assert threading.get_ident() == self.loop_thread, "reported off the event loop"
        self.calls.append(call)

    def device_state(self, device, state, detail=None):
        self._record("state", device, state)

    def payload_captured(self, channel, payload, detected_ns):
        assert isinstance(detected_ns, int) and detected_ns <= time.monotonic_ns()
        self._record("payload", channel, payload)

    def capture_error(self, channel, code, detected_ns):
        assert isinstance(detected_ns, int) and detected_ns <= time.monotonic_ns()
        self._record("error", channel, code)

    def captures(self) -> list[tuple]:
        return [call for call in self.calls if call[0] != "state"]

    def states(self) -> list[str]:
        return [call[2] for call in self.calls if call[0] == "state"]

    async def until(self, predicate, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                pytest.fail(f"timed out; reported so far: {self.calls}")
            await asyncio.sleep(0.01)

    async def until_captures(self, count: int) -> list[tuple]:
        await self.until(lambda: len(self.captures()) >= count)
        return self.captures()


async def start_keylog(path: Path, *, layout: str = "azerty", gap_s: float = 2.0):
    """A KeylogScanner on ``path``, started and ready. The gap is wide so that a
    slow test machine never splits a code; tests of the gap rule choose theirs."""
    sink = RecordingSink()
    scanner = KeylogScanner(str(path), layout=layout, gap_s=gap_s, poll_s=0.02,
                            retry_interval_s=0.05)
    scanner.start(sink, asyncio.get_running_loop())
    await sink.until(lambda: "available" in sink.states())
    return SimpleNamespace(path=path, sink=sink, scanner=scanner)


@pytest.fixture
async def keylog(tmp_path):
    """An AZERTY KeylogScanner on ``tmp_path/keys.jsonl``, ready, stopped at the end."""
    started = await start_keylog(tmp_path / "keys.jsonl")
    yield started
    await started.scanner.stop()


def append_events(path: Path, events, *, start: float) -> float:
    """Append ``(code, value)`` events 3 ms apart from ``start``; returns the last time."""
    t = start
    with open(path, "a") as file:
        for index, (code, value) in enumerate(events):
            t = start + index * 0.003
            file.write(json.dumps({"t": t, "code": code, "value": value}) + "\n")
    return t


async def test_a_typed_code_gives_exactly_one_payload(keylog):
    assert keylog.path.exists()  # created by the backend
    type_code(keylog.path, PRESCRIPTION, "azerty")
    assert await keylog.sink.until_captures(1) == [
        ("payload", "qr_scanner", PRESCRIPTION.encode())]
    await asyncio.sleep(0.2)  # and nothing more comes
    assert len(keylog.sink.captures()) == 1


async def test_two_codes_give_two_payloads_in_order(keylog):
    last = type_code(keylog.path, PRESCRIPTION, "azerty", seed=1)
    type_code(keylog.path, "https://exemple.fr/a?b=1&c=%40", "azerty", start=last + 1, seed=2)
    assert await keylog.sink.until_captures(2) == [
        ("payload", "qr_scanner", PRESCRIPTION.encode()),
        ("payload", "qr_scanner", b"https://exemple.fr/a?b=1&c=%40")]


@pytest.mark.parametrize("layout", ["azerty", "qwerty"])
async def test_a_medicine_box_code_with_its_gs_separators_is_one_payload(tmp_path, layout):
    # A GS1 DataMatrix as a keyboard-mode scanner types it: AIM identifier, then GS as Ctrl+].
    gs1 = "]d2010340093000000117271231101234AB\x1d21SERIAL0042\x1d"
    keylog = await start_keylog(tmp_path / "keys.jsonl", layout=layout)
    type_code(keylog.path, gs1, layout)
    assert await keylog.sink.until_captures(1) == [("payload", "qr_scanner", gs1.encode())]
    await keylog.scanner.stop()


async def test_half_a_code_then_a_long_gap_fails_then_the_next_code_decodes(keylog):
    last = append_events(keylog.path, keystrokes_for(PRESCRIPTION[:7], "azerty"), start=5000.0)
    type_code(keylog.path, PRESCRIPTION, "azerty", start=last + 10)
    assert await keylog.sink.until_captures(2) == [
        ("error", "qr_scanner", "scanner_incomplete"),
        ("payload", "qr_scanner", PRESCRIPTION.encode())]


async def test_half_a_code_and_then_nothing_fails_once_the_gap_has_passed(tmp_path):
    keylog = await start_keylog(tmp_path / "keys.jsonl", gap_s=0.2)
    append_events(keylog.path, keystrokes_for("01S2", "azerty"), start=time.time())
    assert await keylog.sink.until_captures(1) == [("error", "qr_scanner", "scanner_incomplete")]
    await keylog.scanner.stop()


@pytest.mark.parametrize("name", ["azerty_prescription.jsonl", "azerty_url.jsonl"])
async def test_recorded_scanner_output_replays_through_the_twin(keylog, name):
    expected = {"azerty_prescription.jsonl": PRESCRIPTION,
                "azerty_url.jsonl": "https://Exemple.fr/a?b=1&c=%40&m=Dr_X@ex.fr#[|]^"}[name]
    with open(keylog.path, "ab") as file:
        file.write((DATA / name).read_bytes())
    assert await keylog.sink.until_captures(1) == [("payload", "qr_scanner", expected.encode())]


async def test_a_line_written_in_two_pieces_is_read_whole(keylog):
    lines = [json.dumps({"t": 7000 + i * 0.003, "code": code, "value": value})
             for i, (code, value) in enumerate(keystrokes_for("Ab", "azerty", enter=True))]
    text = "\n".join(lines) + "\n"
    cut = len(text) // 2 + 3
    with open(keylog.path, "a") as file:
        file.write(text[:cut])
        file.flush()
        await asyncio.sleep(0.1)  # the backend polls the half written line
        file.write(text[cut:])
    assert await keylog.sink.until_captures(1) == [("payload", "qr_scanner", b"Ab")]


async def test_a_line_that_is_not_a_key_event_fails_its_code(keylog):
    last = append_events(keylog.path, keystrokes_for("AB", "azerty"), start=8000.0)
    with open(keylog.path, "a") as file:
        file.write('{"t": "soon", "code": 16}\n')
    last = append_events(keylog.path, keystrokes_for("CD", "azerty", enter=True), start=last)
    type_code(keylog.path, "ok", "azerty", start=last + 0.01)
    assert await keylog.sink.until_captures(2) == [
        ("error", "qr_scanner", "scanner_unknown_key"), ("payload", "qr_scanner", b"ok")]


async def test_lines_already_in_the_file_are_not_replayed(tmp_path):
    path = tmp_path / "old.jsonl"
    type_code(path, "OLD", "qwerty")
    keylog = await start_keylog(path, layout="qwerty")
    type_code(path, "NEW", "qwerty")
    assert await keylog.sink.until_captures(1) == [("payload", "qr_scanner", b"NEW")]
    await keylog.scanner.stop()


async def test_a_removed_keylog_is_unavailable_then_comes_back(keylog):
    keylog.path.unlink()
    await keylog.sink.until(lambda: keylog.sink.states()[-1:] == ["available"]
                            and "unavailable" in keylog.sink.states())
    assert keylog.sink.states() == ["available", "unavailable", "available"]
    type_code(keylog.path, PRESCRIPTION, "azerty")
    assert await keylog.sink.until_captures(1) == [
        ("payload", "qr_scanner", PRESCRIPTION.encode())]


async def test_stop_is_clean_and_idempotent(keylog):
    thread = keylog.scanner._thread
    await keylog.scanner.stop()
    assert not thread.is_alive()
    type_code(keylog.path, PRESCRIPTION, "azerty")
    await asyncio.sleep(0.15)
    assert keylog.sink.captures() == []
    await keylog.scanner.stop()


def test_backends_are_built_from_their_path_and_the_scanner_config(tmp_path):
    config = parse_config({"scanner": {"layout": "qwerty", "gap_s": 0.2},
                           "readers": {"scanner": f"keylog:{tmp_path}/k.jsonl"}})
    twin = load_backend("scanner", config.readers.scanner, config)
    assert isinstance(twin, KeylogScanner)
    assert (twin.layout.name, twin.gap_s, twin.target) == ("qwerty", 0.2, f"{tmp_path}/k.jsonl")
    assert not (tmp_path / "k.jsonl").exists()  # nothing opened before start
    real = load_backend("scanner", "evdev:/dev/input/by-id/usb-scanner-event-kbd", Config())
    assert isinstance(real, EvdevScanner)
    assert real.describe() == {"device": "scanner", "backend": "evdev", "layout": "azerty",
                               "path": "/dev/input/by-id/usb-scanner-event-kbd"}


def test_importing_the_scanner_backends_does_not_load_evdev():
    code = ("import sys, borne.readers.qr.scanner_evdev, borne.sim.scanner_keys; "
            "print('evdev' in sys.modules)")
    assert subprocess.check_output([sys.executable, "-c", code], text=True).strip() == "False"


# -- EvdevScanner ---------------------------------------------------------------------------

class FakeInputDevice:
    """Stands in for ``evdev.InputDevice``: a pipe wakes ``select()``, events wait in a queue."""

    name = "Fake Scanner"

    def __init__(self) -> None:
        self.fd, self._wake = os.pipe()
        self._queue: deque = deque()
        self.grabbed = self.closed = self.unplugged = False

    def grab(self) -> None:
        self.grabbed = True

    def ungrab(self) -> None:
        if self.unplugged:
            raise OSError(errno.ENODEV, "No such device")
        self.grabbed = False

    def read(self):
        os.read(self.fd, 4096)
        if self.unplugged:
            raise OSError(errno.ENODEV, "No such device")
        events = [self._queue.popleft() for _ in range(len(self._queue))]
        if not events:
            raise BlockingIOError
        return iter(events)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self.fd)
            os.close(self._wake)

    def type(self, events) -> None:
        # EV_MSC scan codes come with every key from a USB keyboard: they must be skipped.
        for code, value in events:
            self._queue.append(SimpleNamespace(type=4, code=4, value=0x70000 + code))
            self._queue.append(SimpleNamespace(type=1, code=code, value=value))
        os.write(self._wake, b"!")

    def unplug(self) -> None:
        self.unplugged = True
        os.write(self._wake, b"!")


class FakeUsbPort:
    """Opens a FakeInputDevice while "plugged"; FileNotFoundError otherwise, like a by-id link."""

    def __init__(self) -> None:
        self.device: FakeInputDevice | None = None
        self.opened: list[FakeInputDevice] = []

    def plug(self) -> None:
        self.device = FakeInputDevice()

    def unplug(self) -> None:
        assert self.device is not None
        self.device.unplug()
        self.device = None

    def open(self, path: str) -> FakeInputDevice:
        if self.device is None or self.device.unplugged:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        self.opened.append(self.device)
        return self.device


async def test_evdev_scanner_grabs_decodes_and_follows_hot_plug():
    port, sink = FakeUsbPort(), RecordingSink()
    scanner = EvdevScanner("/dev/input/by-id/usb-fake-event-kbd", layout="qwerty",
                           open_device=port.open, retry_interval_s=0.05)
    scanner.start(sink, asyncio.get_running_loop())
    await sink.until(lambda: sink.states() == ["unavailable"])  # absent at start
    port.plug()
    await sink.until(lambda: sink.states() == ["unavailable", "available"])
    first = port.opened[0]
    assert first.grabbed
    first.type(keystrokes_for(PRESCRIPTION, "qwerty", enter=True))
    assert await sink.until_captures(1) == [("payload", "qr_scanner", PRESCRIPTION.encode())]

    first.type(keystrokes_for("01S", "qwerty"))  # unplugged in the middle of a code
    await sink.until(lambda: not first._queue)
    port.unplug()
    await sink.until(lambda: sink.states()[-1] == "unavailable")
    assert sink.captures()[1:] == [("error", "qr_scanner", "scanner_incomplete")]
    assert first.closed

    port.plug()
    await sink.until(lambda: sink.states() == ["unavailable", "available", "unavailable", "available"])
    port.opened[-1].type(keystrokes_for("AB12", "qwerty", enter=True))
    assert (await sink.until_captures(3))[2] == ("payload", "qr_scanner", b"AB12")
    await scanner.stop()
    assert port.opened[-1].closed and not port.opened[-1].grabbed


async def test_evdev_scanner_on_a_missing_device_is_unavailable_until_stopped(tmp_path):
    sink = RecordingSink()
    scanner = EvdevScanner(str(tmp_path / "no-such-event-kbd"))
    scanner.start(sink, asyncio.get_running_loop())
    await sink.until(lambda: sink.states() == ["unavailable"])
    await scanner.stop()
    assert sink.calls == [("state", "scanner", "unavailable")]


async def test_evdev_scanner_reads_a_real_kernel_input_device():
    if not os.path.exists("/dev/uinput"):
        pytest.skip("no /dev/uinput on this machine (kernel without the uinput module, or "
                    "`modprobe uinput` not run): the keylog tests cover the shared decoding "
                    "path, FakeInputDevice the evdev backend's own")
    evdev = pytest.importorskip("evdev")
    try:
        uinput = evdev.UInput({evdev.ecodes.EV_KEY: sorted(KEY.values())},
                              name="borne test scanner")
    except (OSError, evdev.UInputError) as error:
        pytest.skip(f"cannot create a uinput device: {error}")
    sink = RecordingSink()
    scanner = EvdevScanner(uinput.device.path, layout="azerty", retry_interval_s=0.1)
    try:
        scanner.start(sink, asyncio.get_running_loop())
        await sink.until(lambda: "available" in sink.states())
        for code, value in keystrokes_for(PRESCRIPTION + "@", "azerty", enter=True):
            uinput.write(evdev.ecodes.EV_KEY, code, value)
            uinput.syn()
        assert await sink.until_captures(1) == [
            ("payload", "qr_scanner", (PRESCRIPTION + "@").encode())]
        uinput.close()  # unplugged
        await sink.until(lambda: sink.states()[-1] == "unavailable")
    finally:
        uinput.close()
        await scanner.stop()
