"""The screen's settings: the ``[display]`` section, and its path string parsed.

The path strings (registry kind ``display``) are listed in :mod:`borne.display.device`:
``luma:MODEL:i2c:BUS:ADDR``, ``luma:MODEL:spi:PORT:DEVICE`` and the twin ``dummy:WxH``.

Pure: no I/O, no luma. :class:`DisplayConfig` checks its path here when it is
read (a misspelt panel is refused at load time, naming ``display.device``);
the driver (:mod:`borne.display.device`) opens the panel the path names, and
refuses a ``rotate`` or brightness out of range when it is built.
"""

from __future__ import annotations

from dataclasses import dataclass


from ..errors import ConfigError, UnknownBackend
from ..registry import parse_path
from ..section import Section

__all__ = ["DisplayConfig", "DisplaySpec", "parse_display_path"]


@dataclass(frozen=True)
class _Model:
    width: int
    height: int
    mode: str
    interfaces: tuple[str, ...]


#: The panels we lay screens out for. The SSD1322 has no I2C interface.
_MODELS = {
    "ssd1306": _Model(128, 64, "1", ("i2c", "spi")),
    "sh1106": _Model(128, 64, "1", ("i2c", "spi")),
    "ssd1309": _Model(128, 64, "1", ("i2c", "spi")),
    "ssd1322": _Model(256, 64, "L", ("spi",)),
}
#: The twin only comes in the sizes of a real panel, with that panel's mode.
_DUMMY_MODES = {(128, 64): "1", (256, 64): "L"}


@dataclass(frozen=True)
class DisplaySpec:
    """A display path, parsed: which panel, on which bus, and what it shows."""

    #: ``luma`` or ``dummy``.
    scheme: str
    #: luma.oled's class name (``ssd1306``...), or ``dummy``.
    model: str
    #: ``i2c``, ``spi``, or ``memory`` for the twin.
    interface: str
    #: I2C bus number, or SPI port; None for the twin.
    bus: int | None
    #: I2C address, or SPI device (chip select); None for the twin.
    address: int | None
    #: The panel's own size (before ``rotate``) and the image mode it takes.
    width: int
    height: int
    mode: str

    @property
    def node(self) -> str | None:
        """The device file the panel is reached through (None for the twin)."""
        if self.interface == "i2c":
            return f"/dev/i2c-{self.bus}"
        if self.interface == "spi":
            return f"/dev/spidev{self.bus}.{self.address}"
        return None

    @property
    def path(self) -> str:
        """The canonical path string."""
        if self.scheme == "dummy":
            return f"dummy:{self.width}x{self.height}"
        where = f"0x{self.address:02x}" if self.interface == "i2c" else str(self.address)
        return f"luma:{self.model}:{self.interface}:{self.bus}:{where}"

    def where(self) -> str:
        """Words for error details: ``ssd1306 at 0x3C on /dev/i2c-1``."""
        if self.interface == "i2c":
            return f"{self.model} at 0x{self.address:02X} on {self.node}"
        if self.interface == "spi":
            return f"{self.model} on {self.node}"
        return f"dummy {self.width}x{self.height}"


def _number(text: str, what: str, path: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise UnknownBackend(f"display path {path!r}: {what} {text!r} is not a number") from None


def parse_display_path(scheme: str, argument: str | None) -> DisplaySpec:
    """Parse ``luma:MODEL:i2c:BUS:ADDR``, ``luma:MODEL:spi:PORT:DEVICE`` or ``dummy:WxH``.

    Pure (no I/O, no luma import). A malformed path is an
    :class:`~borne.errors.UnknownBackend` that says what is wrong.
    """
    path = f"{scheme}:{argument or ''}"
    if scheme == "dummy":
        width, sep, height = (argument or "").lower().partition("x")
        if not sep or not width.isdigit() or not height.isdigit():
            raise UnknownBackend(f"display path {path!r}: expected dummy:WIDTHxHEIGHT, "
                                 "e.g. dummy:128x64")
        size = (int(width), int(height))
        mode = _DUMMY_MODES.get(size)
        if mode is None:
            sizes = ", ".join(f"dummy:{w}x{h}" for w, h in _DUMMY_MODES)
            raise UnknownBackend(f"display path {path!r}: no panel of that size ({sizes})")
        return DisplaySpec("dummy", "dummy", "memory", None, None, *size, mode)
    if scheme != "luma":
        raise UnknownBackend(f"display path {path!r}: unknown scheme {scheme!r}")
    parts = (argument or "").split(":")
    if len(parts) != 4:
        raise UnknownBackend(f"display path {path!r}: expected luma:MODEL:i2c:BUS:ADDRESS "
                             "or luma:MODEL:spi:PORT:DEVICE")
    model_name, interface, bus_text, address_text = (p.strip().lower() for p in parts)
    model = _MODELS.get(model_name)
    if model is None:
        raise UnknownBackend(f"display path {path!r}: unknown panel {model_name!r} "
                             f"(known: {', '.join(sorted(_MODELS))})")
    if interface not in model.interfaces:
        raise UnknownBackend(f"display path {path!r}: {model_name} is driven over "
                             f"{' or '.join(model.interfaces)}, not {interface!r}")
    bus = _number(bus_text, "bus" if interface == "i2c" else "SPI port", path)
    address = _number(address_text, "address" if interface == "i2c" else "SPI device", path)
    if bus < 0:
        raise UnknownBackend(f"display path {path!r}: negative bus number")
    if interface == "i2c" and not 0x08 <= address <= 0x77:
        raise UnknownBackend(f"display path {path!r}: I2C address 0x{address:X} is outside "
                             "0x08..0x77 (SSD1306/SH1106 panels use 0x3c or 0x3d)")
    if interface == "spi" and not 0 <= address <= 15:
        raise UnknownBackend(f"display path {path!r}: SPI device {address} out of range")
    return DisplaySpec("luma", model_name, interface, bus, address, model.width, model.height,
                       model.mode)


class DisplayConfig(Section):
    """The OLED screen (``device``: a backend path, see ``borne.registry`` kind ``display``)."""

    #: ``luma:ssd1306:i2c:1:0x3c``, ``luma:sh1106:...``, ``luma:ssd1309:...``,
    #: ``luma:ssd1322:spi:0:0`` (256x64 grayscale), the twin ``dummy:128x64`` /
    #: ``dummy:256x64``, or ``none``.
    device: str = "none"
    #: Contrast when in use, and once dimmed (0..255).
    brightness: int = 200
    dim_brightness: int = 16
    #: Seconds without an event before the screen dims and starts shifting.
    dim_after_s: float = 60.0
    #: The same in mobile mode: the screen is the battery's largest consumer after the Pi.
    mobile_dim_after_s: float = 15.0
    #: Pixels the content moves (every ``shift_every_s``) while dimmed, against burn-in.
    shift_px: int = 2
    shift_every_s: float = 60.0
    #: Local hours the screen is off, e.g. "22:00-07:00"; empty: never.
    night_off: str = ""
    #: Rotation of the panel as mounted: 0, 1, 2 or 3 quarter turns.
    rotate: int = 0
    #: Seconds between retries when the screen is missing or failing.
    retry_s: float = 5.0

    def __post_init__(self) -> None:
        if not 0 <= self.shift_px <= 2:  # the screens keep a 2-pixel margin
            raise ConfigError("between 0 and 2", key="display.shift_px")
        try:
            if self.device != "none":
                scheme, _, argument = self.device.partition(":")
                parse_display_path(scheme, argument or None)
            parse_path("display", self.device)
        except UnknownBackend as error:
            raise ConfigError(str(error), key="display.device") from None
