"""The NFC backend end to end through nfcpy's real UDP driver, with the virtual phone.

The box side is :class:`NfcpyBackend` built from a config by the registry
(``udp:127.0.0.1:PORT``) on the test's asyncio loop; the phone is
:class:`borne.sim.phone.VirtualPhone` in a worker thread, listening on the same
port. ``present()`` returns once the box has released the phone (its RFOFF),
so every report of a presentation has been queued by then.
"""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest

from borne.config import parse_config
from borne.readers.nfc.apcv_script import split_presentation
from borne.registry import load_backend
from borne.sim.phone import DEFAULT_AID, VirtualPhone


class RecordingSink:
    """Keeps every report, in order, and lets a test wait for the next one."""

    def __init__(self) -> None:
        self.reports: list[tuple] = []
        self._queue: asyncio.Queue[tuple] = asyncio.Queue()

    def _add(self, report: tuple) -> None:
        self.reports.append(report)
        self._queue.put_nowait(report)

    def device_state(self, device: str, state: str, detail: str | None = None) -> None:
        self._add(("state", device, state))

    def payload_captured(self, channel: str, payload: bytes, detected_ns: int) -> None:
        self._add(("payload", channel, payload))

    def capture_error(self, channel: str, code: str, detected_ns: int) -> None:
        self._add(("error", channel, code))

    async def next(self, timeout: float = 10.0) -> tuple:
        return await asyncio.wait_for(self._queue.get(), timeout)

    @property
    def captures(self) -> list[tuple]:
        """Payloads and errors, without device states."""
        return [r for r in self.reports if r[0] != "state"]


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def framed(*answers: bytes) -> bytes:
    return b"".join(len(a).to_bytes(2, "big") + a for a in answers)


@pytest.fixture
def port() -> int:
    return free_udp_port()


async def start_nfc(path: str) -> tuple[object, RecordingSink]:
    """The NFC backend of ``path`` alone (no daemon), reporting to a recording sink."""
    config = parse_config({"readers": {"nfc": path}})
    backend = load_backend("nfc", config.readers.nfc, config)
    sink = RecordingSink()
    backend.start(sink, asyncio.get_running_loop())
    return backend, sink


@pytest.fixture
async def box(port):
    backend, sink = await start_nfc(f"udp:127.0.0.1:{port}")
    assert await sink.next() == ("state", "nfc", "available")
    yield sink
    await asyncio.wait_for(backend.stop(), 10)


async def present(port: int, payload: bytes = b"", behaviour: str = "ok", **options):
    phone = VirtualPhone(port, DEFAULT_AID, payload, behaviour, **options)
    report = await asyncio.to_thread(phone.present, 15.0)
    assert report.released, "the box never released the phone"
    await asyncio.sleep(0)  # let callbacks queued before the release run
    return report


async def test_one_presentation_gives_exactly_one_payload(box, port):
    # Over 256 bytes: GET RESPONSE (61xx) and ISO-DEP chaining both ways are used.
    payload = bytes(range(256)) * 2 + b"apCV-sim"
    # Left on the reader for a while: still one presentation.
    report = await present(port, payload, linger_s=1.0)
    assert report.completed
    assert box.captures == [("payload", "nfc", framed(payload))]
    assert split_presentation(box.captures[0][2]) == [payload]


async def test_a_phone_leaving_mid_exchange_is_target_lost_then_the_next_reads(box, port):
    report = await present(port, b"never sent", "leave_mid_exchange")
    assert not report.completed
    assert box.captures == [("error", "nfc", "nfc_target_lost")]
    await present(port, b"second phone")
    assert box.captures[1:] == [("payload", "nfc", framed(b"second phone"))]


async def test_a_phone_without_the_app_is_apcv_not_selected(box, port):
    await present(port, b"", "wrong_aid")
    assert box.captures == [("error", "nfc", "apcv_not_selected")]


async def test_a_sticker_is_not_a_phone(box, port):
    await present(port, b"", "not_iso_dep")
    assert box.captures == [("error", "nfc", "nfc_not_a_phone")]


async def test_a_second_presentation_gives_a_second_capture(box, port):
    await present(port, b"first")
    await present(port, b"second")
    assert box.captures == [("payload", "nfc", framed(b"first")),
                            ("payload", "nfc", framed(b"second"))]


async def test_no_phone_produces_nothing_and_stop_returns(port):
    backend, sink = await start_nfc(f"udp:127.0.0.1:{port}")
    assert await sink.next() == ("state", "nfc", "available")
    with pytest.raises(asyncio.TimeoutError):
        await sink.next(timeout=2.5)  # a few polls of the UDP twin, nobody answers
    await asyncio.wait_for(backend.stop(), 5)
    assert not [t for t in threading.enumerate() if t.name == "nfc-poll"]
    assert sink.captures == []


async def test_a_missing_chip_is_unavailable_and_stop_returns():
    backend, sink = await start_nfc("nfcpy:tty:NOSUCH0:pn532")
    report = await sink.next()
    assert report == ("state", "nfc", "unavailable")
    await asyncio.wait_for(backend.stop(), 5)
    assert not [t for t in threading.enumerate() if t.name == "nfc-poll"]


def test_no_reader_lines_stay_out_of_the_log_while_nothing_is_plugged(caplog):
    """nfcpy's per-retry "searching"/"no reader" lines would fill the box's journal every 2 s."""
    import asyncio
    import logging

    from borne.readers.nfc.backend import NfcpyBackend
    from borne.config import Config
    from borne.registry import load_backend

    async def scenario() -> list[tuple[str, str]]:
        states: list[tuple[str, str]] = []

        class Sink:
            def device_state(self, device, state, detail=None):
                states.append((device, state))

        backend = load_backend("nfc", "nfcpy:usb:ffff:ffff", Config())
        assert isinstance(backend, NfcpyBackend)
        backend._retry_interval_s = 0.05  # many retries in the test's time
        backend.start(Sink(), asyncio.get_running_loop())
        await asyncio.sleep(0.6)
        await backend.stop()
        return states

    caplog.set_level(logging.DEBUG)
    states = asyncio.run(scenario())
    assert states == [("nfc", "unavailable")]  # said once, as a state
    chatter = [r for r in caplog.records if r.name.startswith("nfc")
               and ("searching for reader" in r.getMessage() or "no reader" in r.getMessage())]
    assert chatter == []
