"""The OLED screen's driver: luma.oled panels and luma's dummy twin, failing softly.

One path string names the panel (registry kind ``display``)::

    path                               panel                   size     mode
    luma:ssd1306:i2c:BUS:ADDR          SSD1306                 128x64   "1"
    luma:sh1106:i2c:BUS:ADDR           SH1106                  128x64   "1"
    luma:ssd1309:i2c:BUS:ADDR          SSD1309                 128x64   "1"
    luma:ssd1306:spi:PORT:DEVICE       (also sh1106, ssd1309)  128x64   "1"
    luma:ssd1322:spi:PORT:DEVICE       SSD1322, 16 greys       256x64   "L"
    dummy:128x64 / dummy:256x64        luma.core.device.dummy  as said  "1" / "L"

``BUS`` is the I2C bus (``/dev/i2c-BUS``), ``ADDR`` the panel's address
(``0x3c`` or ``0x3d``); ``PORT:DEVICE`` name ``/dev/spidevPORT.DEVICE``. SPI
panels use luma's default wiring: D/C on GPIO 24, RESET on GPIO 25.

Size and mode are known from the path alone (rotated by ``[display] rotate``),
so screens can be laid out before the panel answers. luma is imported only
when the panel is opened: ``import borne`` stays light.

Every method blocks (the caller runs it in a worker thread) and every failure
is a :class:`~borne.errors.BackendError` with one of these codes::

    display_missing      the bus does not exist (I2C/SPI not enabled, wrong
                         number), no device answers at the address while
                         opening, or a library (smbus2, spidev, RPi.GPIO) is missing
    display_permission   the daemon's user may not open /dev/i2c-N or /dev/spidevP.D
    display_io_error     the panel stopped answering, or another I/O error

After a failure the panel is released; the next call opens it again (the
controller may have lost power and needs its init sequence), restoring the
contrast and on/off state last asked for.

The dummy twin runs through luma's own I2C code over :class:`DummyI2CBus`, an
in-memory bus that can fail like a broken link (``display.i2c_bus.fail_next(n)``):
the failure and retry path is tested through the code the real panels use.
"""

from __future__ import annotations

import errno
import functools
import logging
import os
import threading
from typing import TYPE_CHECKING, Any

from ..errors import BackendError, ConfigError
from .settings import DisplaySpec, parse_display_path

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = [
    "DisplaySpec",
    "DummyI2CBus",
    "LumaDisplay",
    "parse_display_path",
]

log = logging.getLogger("borne.display.device")


class DummyI2CBus:
    """An in-memory I2C bus (the part of smbus2's ``SMBus`` that luma uses).

    Every write is accepted and counted, except that :meth:`fail_next` makes the
    next writes fail with the ``OSError`` a broken link gives (errno 121,
    "Remote I/O error": no device acknowledged). A failed write aborts the
    operation it belongs to, so ``fail_next(n)`` makes the next ``n`` panel
    operations (open, show, contrast, power) fail. Thread-safe.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures = 0
        self._errno = errno.EREMOTEIO
        #: Writes accepted so far.
        self.writes = 0

    def fail_next(self, count: int = 1, error: int = errno.EREMOTEIO) -> None:
        """Make the next ``count`` writes raise ``OSError(error)``."""
        with self._lock:
            self._failures = count
            self._errno = error

    @property
    def failures_left(self) -> int:
        """Writes that will still fail."""
        with self._lock:
            return self._failures

    def _write(self) -> None:
        with self._lock:
            if self._failures:
                self._failures -= 1
                raise OSError(self._errno, os.strerror(self._errno))
            self.writes += 1

    def write_i2c_block_data(self, address: int, register: int, data: list[int]) -> None:
        """smbus2's block write (luma's commands, and data when it does not own the bus)."""
        self._write()

    def i2c_rdwr(self, *messages: Any) -> None:
        """smbus2's combined transfer (luma's data when it owns the bus)."""
        self._write()

    def close(self) -> None:
        """Nothing to release."""


@functools.cache
def _luma() -> dict[str, type]:
    """luma's panel classes, built on first use so luma is imported only then.

    luma's ``device.__init__`` registers an ``atexit`` hook that holds the
    device for the life of the process: every open would leak it (about 320 KiB
    for an SSD1306's lookup tables, measured), and a panel retried every few
    seconds would exhaust a Pi Zero. ``_NoAtexit`` stands in for that
    ``__init__`` (it only stores the command set and the serial interface, as
    luma 2.6 does); :meth:`LumaDisplay.close` does the clean-up itself.
    """
    import luma.core.const
    import luma.oled.device as oled
    from luma.core.device import device, dummy

    class _NoAtexit(device):
        def __init__(self, const: Any = None, serial_interface: Any = None) -> None:
            self._const = const or luma.core.const.common
            self._serial_interface = serial_interface

    class _Dummy(dummy):
        """luma's dummy, which also writes one data block per frame, as a real
        panel's ``display()`` does, so a failing bus fails ``show()``."""

        def display(self, image: Any) -> None:
            self.data([0x00])
            super().display(image)

    def without_atexit(cls: type) -> type:
        return type(cls.__name__, (cls, _NoAtexit), {})

    return {name: without_atexit(cls) for name, cls in (
        ("ssd1306", oled.ssd1306), ("sh1106", oled.sh1106), ("ssd1309", oled.ssd1309),
        ("ssd1322", oled.ssd1322), ("dummy", _Dummy))}


def _is_luma_error(error: BaseException, name: str) -> bool:
    return any(cls.__name__ == name and cls.__module__ == "luma.core.error"
               for cls in type(error).__mro__)


class LumaDisplay:
    """One OLED panel (or its twin) through luma.

    Build it with :meth:`from_path`. ``width``, ``height`` and ``mode`` are known
    at once; :meth:`open` talks to the panel. Methods block: call them from a
    worker thread. They are serialised by a lock, so :meth:`close` may come
    from another thread.
    """

    def __init__(self, spec: DisplaySpec, *, rotate: int = 0, brightness: int = 200,
                 i2c_bus: Any = None) -> None:
        """``i2c_bus``: an smbus-like object used instead of opening ``/dev/i2c-BUS``
        (the twin always gets a :class:`DummyI2CBus`)."""
        if rotate not in (0, 1, 2, 3):
            raise ValueError("rotate is 0, 1, 2 or 3 quarter turns")
        _check_level(brightness)
        self.spec = spec
        self.rotate = rotate
        turned = rotate % 2 == 1
        #: The size and mode of the images :meth:`show` takes.
        self.width = spec.height if turned else spec.width
        self.height = spec.width if turned else spec.height
        self.mode = spec.mode
        #: The bus the twin (or a test) writes to; None for a real panel's own bus.
        self.i2c_bus = DummyI2CBus() if spec.scheme == "dummy" and i2c_bus is None else i2c_bus
        #: The image last shown successfully.
        self.last_image: Image | None = None
        #: The error of the last failed operation (None after a success).
        self.last_error: BackendError | None = None
        self._lock = threading.RLock()
        self._device: Any = None
        self._serial: Any = None
        self._contrast = brightness
        self._on = True

    @classmethod
    def from_path(cls, scheme: str, argument: str | None, config: Any) -> LumaDisplay:
        """The registry's constructor: the path, then ``[display]`` rotate and brightness."""
        spec = parse_display_path(scheme, argument)
        display = config.display
        if display.rotate not in (0, 1, 2, 3):
            raise ConfigError("0, 1, 2 or 3 quarter turns", file=config.source,
                              key="display.rotate")
        for key in ("brightness", "dim_brightness"):
            if not 0 <= getattr(display, key) <= 255:
                raise ConfigError("between 0 and 255", file=config.source, key=f"display.{key}")
        return cls(spec, rotate=display.rotate, brightness=display.brightness)

    # -- state -----------------------------------------------------------------------------

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` of the images :meth:`show` takes."""
        return self.width, self.height

    @property
    def is_open(self) -> bool:
        """Whether the panel is open (it closes itself after a failure)."""
        return self._device is not None

    @property
    def luma_device(self) -> Any:
        """luma's device while open (for the twin, ``luma_device.image`` is its picture)."""
        return self._device

    def describe(self) -> dict[str, Any]:
        """What ``borne status`` shows about the screen."""
        return {"device": "display", "backend": self.spec.scheme, "path": self.spec.path,
                "model": self.spec.model, "size": f"{self.width}x{self.height}",
                "mode": self.mode, "open": self.is_open,
                "error": self.last_error.code if self.last_error else None,
                "detail": self.last_error.detail if self.last_error else None}

    # -- operations ------------------------------------------------------------------------

    def open(self) -> None:
        """(Re)open the panel: its init sequence, then the last asked contrast and on/off."""
        with self._lock:
            self._release()
            try:
                self._device = self._build()
                self._device.contrast(self._contrast)
                if not self._on:
                    self._device.hide()
            except Exception as error:
                raise self._failed(error, opening=True) from error
            self.last_error = None
            log.info("screen %s open", self.spec.path)

    def show(self, image: Image) -> None:
        """Put ``image`` on the panel (``size`` and ``mode`` must match)."""
        if image.size != self.size or image.mode != self.mode:
            raise ValueError(f"the screen takes {self.width}x{self.height} images of mode "
                             f"{self.mode!r}, got {image.size[0]}x{image.size[1]} {image.mode!r}")
        # luma's greyscale driver (and its dummy) take RGB and reduce it to 16 greys.
        frame = image.convert("RGB") if self.mode == "L" else image
        with self._lock:
            device = self._opened()
            try:
                device.display(frame)
            except Exception as error:
                raise self._failed(error, opening=False) from error
            self.last_image = image.copy()
            self.last_error = None

    def contrast(self, level: int) -> None:
        """Set the panel's contrast, 0..255 (kept across reopenings)."""
        _check_level(level)
        with self._lock:
            self._contrast = level
            device = self._opened()
            try:
                device.contrast(level)
            except Exception as error:
                raise self._failed(error, opening=False) from error

    def power(self, on: bool) -> None:
        """Switch the panel on (``show``) or to sleep (``hide``); kept across reopenings."""
        with self._lock:
            self._on = bool(on)
            device = self._opened()
            try:
                device.show() if on else device.hide()
            except Exception as error:
                raise self._failed(error, opening=False) from error

    def close(self) -> None:
        """Blank the panel, put it to sleep and release the bus. Never raises."""
        with self._lock:
            device = self._device
            if device is not None:
                try:
                    device.hide()
                    device.clear()
                except Exception as error:  # a panel that is gone cannot be blanked
                    log.debug("screen %s not blanked: %s", self.spec.path, error)
            self._release()

    # -- inside ----------------------------------------------------------------------------

    def _opened(self) -> Any:
        if self._device is None:
            self.open()
        return self._device

    def _build(self) -> Any:
        classes = _luma()
        spec = self.spec
        from luma.core.interface import serial

        if spec.interface == "spi":
            self._serial = serial.spi(port=spec.bus, device=spec.address)
        else:
            # The twin speaks I2C too, over its in-memory bus.
            self._serial = serial.i2c(bus=self.i2c_bus, port=spec.bus or 0,
                                      address=spec.address or 0x3C)
        cls = classes[spec.model]
        if spec.model == "dummy":
            luma_mode = "RGB" if spec.mode == "L" else "1"
            return cls(width=spec.width, height=spec.height, rotate=self.rotate,
                       mode=luma_mode, serial_interface=self._serial)
        if spec.model == "ssd1322":
            return cls(self._serial, width=spec.width, height=spec.height, rotate=self.rotate,
                       mode="RGB")
        return cls(self._serial, width=spec.width, height=spec.height, rotate=self.rotate)

    def _release(self) -> None:
        """Forget the device and close the bus, without talking to the panel."""
        serial, self._serial, self._device = self._serial, None, None
        if serial is not None:
            try:
                serial.cleanup()
            except Exception as error:
                log.debug("screen %s: closing the bus: %s", self.spec.path, error)

    def _failed(self, error: Exception, *, opening: bool) -> BackendError:
        self._release()
        failure = self._translate(error, opening=opening)
        previous = self.last_error
        # A copy that is never raised: a raised error's traceback would keep the
        # failed luma device (and its frames) alive until the next failure.
        self.last_error = BackendError(failure.detail, code=failure.code)
        # Retried every few seconds while the panel is away: say it once.
        repeated = previous is not None and previous.detail == failure.detail
        log.log(logging.DEBUG if repeated else logging.WARNING, "screen %s: %s (%s)",
                self.spec.path, failure.detail, failure.code)
        return failure

    def _translate(self, error: Exception, *, opening: bool) -> BackendError:
        """Map what luma, smbus2 and spidev raise to a stable code, most specific first."""
        spec = self.spec
        where = spec.where()
        node = spec.node
        group = "spi" if spec.interface == "spi" else "i2c"
        if isinstance(error, ImportError):
            missing = repr(error.name) if error.name else str(error)
            return BackendError(f"{where}: Python module {missing} is not installed",
                                code="display_missing")
        if _is_luma_error(error, "DevicePermissionError") or isinstance(error, PermissionError):
            return BackendError(f"{where}: permission denied on {node} (the daemon's user "
                                f"must be in group {group!r})", code="display_permission")
        if _is_luma_error(error, "DeviceNotFoundError"):
            # (a bus handed in, like the twin's, has no device file to look for)
            if node is not None and self.i2c_bus is None and not os.path.exists(node):
                return BackendError(f"{where}: {node} does not exist ({group.upper()} not "
                                    "enabled, or another bus number)", code="display_missing")
            if opening:
                return BackendError(f"{where}: no device answers ({error})",
                                    code="display_missing")
            return BackendError(f"{where}: the panel stopped answering ({error})",
                                code="display_io_error")
        if _is_luma_error(error, "UnsupportedPlatform"):
            return BackendError(f"{where}: GPIO for the D/C and RESET lines unavailable "
                                f"({error})", code="display_missing")
        if isinstance(error, OSError):
            reason = f"{error.strerror or error} (errno {error.errno})"
            if error.errno in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
                return BackendError(f"{where}: {reason}", code="display_missing")
            if error.errno in (errno.EACCES, errno.EPERM):
                return BackendError(f"{where}: {reason}", code="display_permission")
            return BackendError(f"{where}: {reason}", code="display_io_error")
        log.debug("screen %s: unexpected %r", spec.path, error, exc_info=error)
        return BackendError(f"{where}: {type(error).__name__}: {error}", code="display_io_error")


def _check_level(level: int) -> None:
    if not 0 <= level <= 255:
        raise ValueError(f"contrast {level} is outside 0..255")
