"""The screen's driver: path strings, luma's dummy twin, and failures turned into BackendError."""

from __future__ import annotations

import errno
import gc
import json
import os
import subprocess
import sys
import weakref

import pytest
from PIL import Image, ImageDraw

from borne.config import Config, DisplayConfig, parse_config
from borne.display.device import (
    DummyI2CBus,
    LumaDisplay,
    parse_display_path,
)
from borne.errors import MESSAGES, BackendError, ConfigError, UnknownBackend
from borne.registry import load_backend


def _dummy(size: str = "128x64") -> LumaDisplay:
    return LumaDisplay.from_path("dummy", size, Config())


def _picture(display: LumaDisplay, shade: int = 255) -> Image.Image:
    image = Image.new(display.mode, display.size, 0)
    draw = ImageDraw.Draw(image)
    draw.rectangle((3, 5, 60, 30), fill=1 if display.mode == "1" else shade)
    draw.text((70, 40), "OK", fill=1 if display.mode == "1" else 128)
    return image


# -- path strings ------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "expected"), [
    ("luma:ssd1306:i2c:1:0x3c", ("ssd1306", "i2c", 1, 0x3C, 128, 64, "1", "/dev/i2c-1")),
    ("luma:sh1106:i2c:0:0x3D", ("sh1106", "i2c", 0, 0x3D, 128, 64, "1", "/dev/i2c-0")),
    ("luma:ssd1309:i2c:3:60", ("ssd1309", "i2c", 3, 0x3C, 128, 64, "1", "/dev/i2c-3")),
    ("luma:ssd1309:spi:0:1", ("ssd1309", "spi", 0, 1, 128, 64, "1", "/dev/spidev0.1")),
    ("luma:SSD1322:spi:0:0", ("ssd1322", "spi", 0, 0, 256, 64, "L", "/dev/spidev0.0")),
    ("dummy:128x64", ("dummy", "memory", None, None, 128, 64, "1", None)),
    ("dummy:256x64", ("dummy", "memory", None, None, 256, 64, "L", None)),
])
def test_paths_are_parsed_into_panel_bus_size_and_mode(path, expected):
    scheme, _, argument = path.partition(":")
    spec = parse_display_path(scheme, argument)
    assert (spec.model, spec.interface, spec.bus, spec.address, spec.width, spec.height,
            spec.mode, spec.node) == expected
    assert parse_display_path(*spec.path.split(":", 1)) == spec  # the canonical path round-trips


@pytest.mark.parametrize(("path", "words"), [
    ("luma:ssd1306", "expected luma:MODEL"),
    ("luma:ssd1306:i2c:1", "expected luma:MODEL"),
    ("luma:ssd1307:i2c:1:0x3c", "unknown panel 'ssd1307'"),
    ("luma:ssd1322:i2c:1:0x3c", "ssd1322 is driven over spi"),
    ("luma:ssd1306:usb:1:0x3c", "not 'usb'"),
    ("luma:ssd1306:i2c:one:0x3c", "bus 'one' is not a number"),
    ("luma:ssd1306:i2c:1:0x99", "outside 0x08..0x77"),
    ("luma:ssd1306:spi:0:99", "SPI device 99 out of range"),
    ("dummy:128", "expected dummy:WIDTHxHEIGHT"),
    ("dummy:100x10", "no panel of that size"),
])
def test_bad_paths_are_clear_errors(path, words):
    scheme, _, argument = path.partition(":")
    with pytest.raises(UnknownBackend, match="display path") as caught:
        LumaDisplay.from_path(scheme, argument, Config())
    assert words in str(caught.value)


def test_the_registry_builds_the_twin():
    display = load_backend("display", "dummy:256x64", Config())
    assert isinstance(display, LumaDisplay)
    assert display.describe()["device"] == "display"


def test_size_and_mode_are_known_without_opening_and_follow_rotation():
    display = _dummy("256x64")
    assert (display.width, display.height, display.mode, display.is_open) == (256, 64, "L", False)
    turned = LumaDisplay.from_path("dummy", "128x64", parse_config(
        {"display": {"device": "dummy:128x64", "rotate": 1}}))
    assert turned.size == (64, 128)
    turned.show(Image.new("1", (64, 128), 1))
    assert turned.luma_device.image.size == (128, 64)  # luma turns it back for the panel


def test_out_of_range_display_settings_name_the_key():
    with pytest.raises(ConfigError, match="display.rotate"):
        LumaDisplay.from_path("dummy", "128x64", Config(display=DisplayConfig(rotate=4)))
    with pytest.raises(ConfigError, match="display.dim_brightness"):
        LumaDisplay.from_path("dummy", "128x64", Config(display=DisplayConfig(dim_brightness=-1)))


# -- the twin ----------------------------------------------------------------------------


def test_the_dummy_shows_an_image_and_keeps_it():
    display = _dummy()
    image = _picture(display)
    display.show(image)
    assert display.is_open
    assert display.last_image.tobytes() == image.tobytes()
    assert display.luma_device.image.tobytes() == image.tobytes()
    display.close()
    assert not display.is_open
    assert display.last_image.tobytes() == image.tobytes()


def test_the_grey_dummy_takes_l_images():
    display = _dummy("256x64")
    image = _picture(display, shade=200)
    display.show(image)
    assert display.last_image.mode == "L"
    assert display.last_image.tobytes() == image.tobytes()
    # luma's greyscale panels (and its dummy) take RGB: the greys come back unchanged
    assert display.luma_device.image.convert("L").tobytes() == image.tobytes()


def test_an_image_of_the_wrong_size_or_mode_is_a_programming_error():
    display = _dummy()
    with pytest.raises(ValueError, match="128x64 images of mode '1'"):
        display.show(Image.new("1", (256, 64)))
    with pytest.raises(ValueError):
        display.show(Image.new("L", (128, 64)))


def test_contrast_and_power_work_on_the_dummy():
    display = _dummy()
    display.contrast(16)   # opens the panel if needed
    display.power(False)
    display.power(True)
    display.contrast(255)
    display.show(_picture(display))
    with pytest.raises(ValueError):
        display.contrast(256)
    display.close()
    display.close()  # twice is fine


# -- failing softly ----------------------------------------------------------------------


def test_an_i2c_error_is_display_io_error_and_the_next_show_works_again():
    display = _dummy()
    first, second = _picture(display), Image.new("1", display.size, 1)
    display.show(first)
    display.i2c_bus.fail_next(1)
    with pytest.raises(BackendError) as caught:
        display.show(second)
    assert caught.value.code == "display_io_error"
    assert "Remote I/O error" in caught.value.detail
    assert display.describe()["error"] == "display_io_error"
    assert not display.is_open  # released: the next call starts with the init sequence
    assert display.last_image.tobytes() == first.tobytes()  # the failed frame never counted
    display.show(second)
    assert display.last_image.tobytes() == second.tobytes()
    assert display.luma_device.image.tobytes() == second.tobytes()
    assert display.describe()["error"] is None


def test_a_link_still_broken_when_reopening_is_display_missing_until_it_answers():
    display = _dummy()
    display.show(_picture(display))
    display.i2c_bus.fail_next(3)
    codes = []
    for _ in range(4):
        try:
            display.show(_picture(display))
            codes.append("shown")
        except BackendError as error:
            codes.append(error.code)
    # the frame fails; then opening fails twice (nobody acknowledges), then it works
    assert codes == ["display_io_error", "display_missing", "display_missing", "shown"]


@pytest.mark.parametrize(("error", "code"), [
    (errno.EREMOTEIO, "display_io_error"),
    (errno.ETIMEDOUT, "display_io_error"),
    (errno.EACCES, "display_permission"),
    (errno.ENODEV, "display_missing"),
])
def test_os_errors_map_to_stable_codes(error, code):
    display = _dummy()
    display.open()
    display.i2c_bus.fail_next(1, error)
    with pytest.raises(BackendError) as caught:
        display.show(_picture(display))
    assert caught.value.code == code


def test_contrast_and_power_failures_are_backend_errors_too():
    display = _dummy()
    display.open()
    display.i2c_bus.fail_next(1)
    with pytest.raises(BackendError, match="stopped answering"):
        display.contrast(10)
    display.i2c_bus.fail_next(1)
    with pytest.raises(BackendError):
        display.power(False)
    display.power(True)


def test_close_never_raises_even_on_a_broken_link():
    display = _dummy()
    display.open()
    display.i2c_bus.fail_next(5)
    display.close()
    assert not display.is_open


# luma.oled 3.16's SSD1306 driver calls Image.getdata: deprecated since Pillow 13, gone in 14.
@pytest.mark.filterwarnings("ignore:Image.Image.getdata:DeprecationWarning")
def test_a_real_ssd1306_driver_over_a_failing_bus():
    """luma's own SSD1306 code (init sequence, frames) over the in-memory bus."""
    bus = DummyI2CBus()
    display = LumaDisplay(parse_display_path("luma", "ssd1306:i2c:1:0x3c"), i2c_bus=bus)
    bus.fail_next(1)
    with pytest.raises(BackendError) as caught:
        display.open()
    assert caught.value.code == "display_missing"
    assert "no device answers" in caught.value.detail
    display.open()
    assert bus.writes > 20  # the init sequence went out
    display.show(_picture(display))
    bus.fail_next(1)
    with pytest.raises(BackendError) as caught:
        display.show(_picture(display))
    assert caught.value.code == "display_io_error"
    display.show(_picture(display))
    display.close()


def test_a_missing_i2c_bus_is_display_missing_not_a_raw_exception():
    if os.path.exists("/dev/i2c-7"):
        pytest.skip("this machine has an /dev/i2c-7")
    display = LumaDisplay.from_path("luma", "ssd1306:i2c:7:0x3c", Config())
    for _ in range(2):  # and again, as the retry loop would
        with pytest.raises(BackendError) as caught:
            display.show(Image.new("1", (128, 64)))
        assert caught.value.code == "display_missing"
        assert "/dev/i2c-7 does not exist" in caught.value.detail
    assert not display.is_open


def test_reopening_and_failing_leaks_no_luma_device():
    # luma's own device registers an atexit hook that would keep every one alive.
    display = _dummy()
    devices = []
    for _ in range(10):
        display.open()
        devices.append(weakref.ref(display.luma_device))
        display.i2c_bus.fail_next(1)
        with pytest.raises(BackendError):
            display.show(_picture(display))
    display.close()
    gc.collect()
    assert [ref for ref in devices if ref() is not None] == []


def test_every_code_has_a_french_and_an_english_message():
    for code in ("display_missing", "display_io_error", "display_permission", "panel_unavailable"):
        message = MESSAGES[code]
        assert message.fr and message.en and message.fr != message.en


def test_importing_the_driver_loads_neither_luma_nor_pil():
    code = ("import sys, json, borne.display.device; "
            "print(json.dumps(sorted(sys.modules)))")
    modules = json.loads(subprocess.check_output([sys.executable, "-c", code]))
    assert [m for m in modules if m.split(".")[0] in ("luma", "PIL", "smbus2")] == []
