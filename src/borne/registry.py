"""The backend registry: path strings name the device and the code that drives it.

Like nfcpy's device paths (``usb:054c:06c3``, ``udp:localhost:54321``), one
string says which backend drives a kind of device and how to find it::

    pcsc            every reader of the machine's pcscd
    pcsc:Kapelse*   only the readers whose name matches the glob
    sim             the twin: pcscd with the vpcd driver and virtual card
                    processes (borne.sim), only the "Borne Sim" readers

Entries map a scheme to ``(module, class)`` and are imported on first use, so
listing or validating backends loads no hardware library. Every kind has at
least one *virtual* backend (its twin); ``tests/unit/test_registry.py`` walks the
registry to prove it.

Backend classes provide ``from_path(scheme: str, argument: str | None, config: Config)``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from .errors import BackendError, UnknownBackend

__all__ = ["REGISTRY", "BackendSpec", "load_backend", "parse_path"]


@dataclass(frozen=True)
class BackendSpec:
    """One registered backend."""

    kind: str
    scheme: str
    module: str
    cls: str
    #: True for a twin that needs no hardware (it may need pcscd, a UDP peer...).
    virtual: bool
    #: "required", "optional" or "none": whether the path takes ``scheme:ARGUMENT``.
    argument: str
    summary: str
    #: A valid argument, for documentation and for tests that build every twin.
    example: str | None = None

    def load_class(self) -> type:
        """Import the backend's module and return its class."""
        try:
            module = importlib.import_module(self.module)
        except ImportError as error:
            raise BackendError(
                f"backend {self.scheme!r} for {self.kind} cannot be loaded: {error}",
                code="backend_unavailable",
            ) from None
        return getattr(module, self.cls)


def _spec(kind: str, scheme: str, module: str, cls: str, *, virtual: bool, argument: str,
          summary: str, example: str | None = None) -> tuple[str, BackendSpec]:
    return scheme, BackendSpec(kind, scheme, module, cls, virtual, argument, summary, example)


#: kind -> scheme -> spec
REGISTRY: dict[str, dict[str, BackendSpec]] = {
    "smartcard": dict([
        _spec("smartcard", "pcsc", "borne.readers.pcsc", "PcscBackend", virtual=False,
              argument="optional",
              summary="readers of the machine's pcscd (pyscard); optional reader-name glob"),
        _spec("smartcard", "sim", "borne.readers.pcsc", "PcscBackend", virtual=True,
              argument="none",
              summary="twin: pcscd + vpcd driver + virtual card processes (borne sim)"),
    ]),
    "camera": dict([
        _spec("camera", "none", "borne.readers.no_input", "NoInput", virtual=True,
              argument="none", summary="no QR camera"),
        _spec("camera", "picamera2", "borne.readers.qr.camera_picamera2", "Picamera2Camera",
              virtual=False, argument="optional",
              summary="Raspberry Pi camera (libcamera); optional camera number"),
        _spec("camera", "images", "borne.readers.qr.camera_images", "ImagesCamera",
              virtual=True, argument="required",
              summary="twin: the newest picture in DIR is what the camera sees"),
    ]),
    "scanner": dict([
        _spec("scanner", "none", "borne.readers.no_input", "NoInput", virtual=True,
              argument="none", summary="no USB QR scanner"),
        _spec("scanner", "evdev", "borne.readers.qr.scanner_evdev", "EvdevScanner",
              virtual=False, argument="required",
              summary="a USB scanner that types like a keyboard: evdev:/dev/input/by-id/..."),
        _spec("scanner", "keylog", "borne.readers.qr.scanner_evdev", "KeylogScanner",
              virtual=True, argument="required",
              summary="twin: recorded key events appended to FILE, replayed as typed"),
    ]),
    "display": dict([
        _spec("display", "none", "borne.readers.no_input", "NoInput", virtual=True,
              argument="none", summary="no screen"),
        _spec("display", "luma", "borne.display.device", "LumaDisplay", virtual=False,
              argument="required",
              summary="an OLED through luma.oled: luma:ssd1306:i2c:1:0x3c, luma:sh1106:..., "
                      "luma:ssd1309:..., luma:ssd1322:spi:0:0"),
        _spec("display", "dummy", "borne.display.device", "LumaDisplay", virtual=True,
              argument="required",
              summary="twin: luma's dummy device (dummy:128x64, dummy:256x64), kept in memory",
              example="128x64"),
    ]),
    "nfc": dict([
        _spec("nfc", "none", "borne.readers.no_input", "NoInput", virtual=True,
              argument="none", summary="no NFC chip"),
        _spec("nfc", "nfcpy", "borne.readers.nfc.backend", "NfcpyBackend", virtual=False,
              argument="required",
              summary="an NFC chip nfcpy drives: nfcpy:usb, nfcpy:usb:054c:06c3, nfcpy:tty:AMA0"),
        _spec("nfc", "udp", "borne.readers.nfc.backend", "NfcpyBackend", virtual=True,
              argument="required",
              summary="twin: nfcpy's UDP driver and a virtual phone (udp:HOST:PORT)"),
    ]),
    "battery": dict([
        _spec("battery", "none", "borne.readers.no_input", "NoInput", virtual=True,
              argument="none", summary="no battery (on mains)"),
        _spec("battery", "ina219", "borne.battery.backend", "Ina219Battery", virtual=False,
              argument="required",
              summary="a UPS board's INA219 over I2C (smbus2): ina219:i2c:1:0x42"),
        _spec("battery", "sim", "borne.battery.backend", "Ina219Battery", virtual=True,
              argument="optional",
              summary="twin: an emulated INA219 on an in-memory I2C bus (borne sim battery); "
                      "sim:FILE follows a JSON file"),
    ]),
}


def parse_path(kind: str, path: str) -> tuple[BackendSpec, str | None]:
    """Split a path string into its backend and argument, strictly.

    An unknown scheme, a missing required argument or an unexpected one is an
    error: a misspelt path must never fall back to something else.
    """
    backends = REGISTRY.get(kind)
    if backends is None:
        raise UnknownBackend(f"unknown device kind {kind!r}")
    scheme, sep, argument = path.partition(":")
    spec = backends.get(scheme)
    if spec is None:
        known = ", ".join(sorted(backends))
        raise UnknownBackend(f"no {kind} backend named {scheme!r} (known: {known})")
    if spec.argument == "required" and not argument:
        raise UnknownBackend(f"backend {scheme!r} needs an argument: {scheme}:...")
    if spec.argument == "none" and sep:
        raise UnknownBackend(f"backend {scheme!r} takes no argument, got {path!r}")
    return spec, (argument if sep else None)


def load_backend(kind: str, path: str, config: Any) -> Any:
    """Build the backend named by ``path`` for ``kind``."""
    spec, argument = parse_path(kind, path)
    return spec.load_class().from_path(spec.scheme, argument, config)
