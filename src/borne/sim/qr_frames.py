"""Camera frames with a QR code on a phone: what the box's camera sees when a patient shows one.

Pure helpers (no I/O) shared by the simulator (``images:DIR`` camera twin) and
the decoder corpus (``bench/qr_corpus.py``)::

    frame = render_qr_frame(b"01S2TBPZ2JCNZZYGHZ")        # 1280x720, grayscale
    frame.save(directory / "shown.png")                      # the twin now "sees" it

The code is drawn like a phone screen: a dark rounded phone body, a light
screen, the QR code with its quiet zone on the screen, on a neutral background.
:func:`qr_modules`, :func:`phone_image` and :func:`paste_phone` are the pieces,
for callers that tilt, rotate or degrade the phone before it lands in a frame.

Payloads that are upper-case letters and digits (a prescription number) are
encoded in alphanumeric mode, as a real app would; anything else in byte mode,
so binary payloads are kept exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

__all__ = ["QUIET_ZONE", "Phone", "paste_phone", "phone_image", "qr_modules", "render_qr_frame"]

#: Quiet zone around the code, in modules (the QR standard asks for 4).
QUIET_ZONE = 4
_ALPHANUMERIC = re.compile(rb"[0-9A-Z $%*+\-./:]+")


@lru_cache(maxsize=256)
def _matrix_bytes(payload: bytes, error: str) -> tuple[int, bytes]:
    import segno

    if _ALPHANUMERIC.fullmatch(payload):
        code = segno.make(payload.decode("ascii"), error=error, micro=False)
    else:
        code = segno.make(payload, mode="byte", error=error, micro=False)
    side = len(code.matrix)
    return side, b"".join(bytes(row) for row in code.matrix)


def qr_modules(payload: bytes, *, error: str = "m") -> np.ndarray:
    """The code's modules as a square ``bool`` array (True = dark), without quiet zone.

    Encoding a large payload takes segno tens of milliseconds: results are cached.
    """
    import numpy as np

    side, cells = _matrix_bytes(bytes(payload), error)
    return np.frombuffer(cells, dtype=np.uint8).reshape(side, side).astype(bool)


@dataclass(frozen=True)
class Phone:
    """A phone showing a code, upright: ``image`` and ``mask`` are mode ``L`` of one size.

    ``mask`` is 255 on the phone and 0 around its rounded corners, for pasting;
    ``code_box`` is where the code (with its quiet zone) lies in ``image``.
    """

    image: Image.Image
    mask: Image.Image
    code_box: tuple[int, int, int, int]

    @property
    def code_center(self) -> tuple[float, float]:
        """The code's centre in the phone's own pixels."""
        left, top, right, bottom = self.code_box
        return (left + right) / 2, (top + bottom) / 2


def phone_image(modules: np.ndarray, module_px: int, *, screen: int = 235, ink: int = 20,
                body: int = 25) -> Phone:
    """A phone showing the code ``modules`` (see :func:`qr_modules`), upright.

    ``module_px`` pixels per module (an integer: scale the result for others).
    ``screen`` and ``ink`` are the screen's light and dark levels (a dimmed
    phone has both low), ``body`` the phone's frame.
    """
    import numpy as np
    from PIL import Image, ImageDraw

    cells = np.where(modules, ink, screen).astype(np.uint8)
    cells = np.pad(cells, QUIET_ZONE, constant_values=screen)
    code = Image.fromarray(np.repeat(np.repeat(cells, module_px, axis=0), module_px, axis=1))
    code_px = code.width
    # Proportions of a phone: the code fills the screen's width, the screen is
    # about twice as tall as wide, the body a thin bezel around it.
    bezel = max(4, code_px // 20)
    screen_w, screen_h = code_px, int(code_px * 1.9)
    width, height = screen_w + 2 * bezel, screen_h + 4 * bezel
    radius = max(6, width // 8)
    image = Image.new("L", (width, height), body)
    mask = Image.new("L", (width, height), 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, width - 1, height - 1), radius, fill=255)
    screen_box = (bezel, 2 * bezel, bezel + screen_w - 1, 2 * bezel + screen_h - 1)
    ImageDraw.Draw(image).rounded_rectangle(screen_box, max(2, radius - bezel), fill=screen)
    # The code sits a little above the screen's middle, as in a wallet app.
    left, top = bezel, 2 * bezel + (screen_h - code_px) * 2 // 5
    image.paste(code, (left, top))
    return Phone(image, mask, (left, top, left + code_px, top + code_px))


def paste_phone(frame: Image.Image, image: Image.Image, mask: Image.Image,
                origin: tuple[int, int]) -> None:
    """Paste a phone (upright, or already warped by the caller) onto ``frame`` at ``origin``.

    Parts outside the frame are cut off, as when the phone is held too close.
    """
    frame.paste(image, origin, mask)


def render_qr_frame(payload: bytes, width: int = 1280, height: int = 720, *,
                    module_px: int | None = None, background: int = 128, screen: int = 235,
                    ink: int = 20, error: str = "m",
                    center: tuple[float, float] | None = None) -> Image.Image:
    """A grayscale ``width`` x ``height`` frame of a phone showing ``payload`` as a QR code.

    ``module_px`` defaults to the largest size whose code (with its quiet zone)
    takes at most 60 % of the frame's smaller side, and at least 2.
    ``background`` is the scene's gray level; ``center`` is where the code's
    centre lands (default: the frame's centre; the phone's lower part may then
    leave the frame, as when it is held close).
    """
    from PIL import Image

    modules = qr_modules(payload, error=error)
    if module_px is None:
        side = modules.shape[0] + 2 * QUIET_ZONE
        module_px = max(2, int(0.6 * min(width, height)) // side)
    phone = phone_image(modules, module_px, screen=screen, ink=ink)
    frame = Image.new("L", (width, height), background)
    cx, cy = center if center is not None else (width / 2, height / 2)
    code_x, code_y = phone.code_center
    paste_phone(frame, phone.image, phone.mask, (round(cx - code_x), round(cy - code_y)))
    return frame
