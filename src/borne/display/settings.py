"""The screen's path string, parsed: which panel, on which bus, what size and mode.

The path strings (registry kind ``display``) are listed in :mod:`borne.display.device`:
``luma:MODEL:i2c:BUS:ADDR``, ``luma:MODEL:spi:PORT:DEVICE`` and the twin ``dummy:WxH``.

Pure: no I/O, no luma. The configuration checks a path here when it is read
(a misspelt panel is refused at load time), and the driver
(:mod:`borne.display.device`) opens the panel the path names.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UnknownBackend

__all__ = ["DisplaySpec", "parse_display_path"]


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
