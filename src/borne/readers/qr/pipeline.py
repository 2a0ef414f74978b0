"""From camera frames to presentations: the preprocessing chain and the seen-codes tracker.

Both are pure (no threads, no clock of their own) and tested with generated
frames; the camera backends run them in their worker thread.

:class:`FramePipeline` decodes the plain frame first and, only when nothing
was found, tries cheap transforms one after the other, stopping at the first
that yields a code. The steps and their order come from ``bench/qr_decoders.py``
on the generated corpus (figures in that module's docstring):

================  ==============================================  =================================
step              what it does                                    what it rescues
================  ==============================================  =================================
``half_sharpen``  2x2 area downscale, then unsharp (2, amount 2)  blur, low contrast, cracks, noise
``stretch``       contrast stretch of the 1st-99th percentiles    low contrast, small codes
``half``          2x2 area downscale                              cracks, noise
``sharpen``       unsharp mask (box blur radius 3, amount 4)      blur, low contrast
================  ==============================================  =================================

They run roughly cheapest rescue first (frames rescued per millisecond on the corpus).
A global (Otsu) binarisation rescued only frames the stretch already rescues,
and a local-mean threshold none (zxing-cpp binarises locally itself): neither
is here.

On a frame with no code every step runs: ``transforms_per_frame`` bounds that
cost for a camera watching an empty counter all day. With 1, each frame tries
the plain decode and one transform, the next frame the next transform: a
degraded code held in front of the camera is still tried with every transform
within ``len(steps)`` frames (0.4 s at 10 fps).

:class:`SeenCodes` turns "decoded in this frame" into presentations: a code
held in view for many frames is one presentation, and counts again only after
it has been out of view for ``forget_after_s``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from .decoders import QrDecoder

__all__ = ["DEFAULT_STEPS", "STEPS", "FramePipeline", "SeenCodes"]


def _pil(gray: np.ndarray):  # -> PIL.Image.Image
    from PIL import Image

    return Image.fromarray(gray)


def _unsharp(image, radius: int, amount: float):  # PIL.Image -> PIL.Image
    # Image.blend extrapolates and clips when alpha > 1: image + amount * (image - blurred),
    # in one pass of C, several times faster than ImageFilter.UnsharpMask's gaussian.
    from PIL import Image, ImageFilter

    return Image.blend(image.filter(ImageFilter.BoxBlur(radius)), image, 1 + amount)


def sharpen(gray: np.ndarray) -> np.ndarray:
    """Unsharp mask: edges of a blurred code steepen, a faint code gains contrast."""
    import numpy as np

    return np.asarray(_unsharp(_pil(gray), 3, 4.0))


def half(gray: np.ndarray) -> np.ndarray:
    """2x2 area downscale: averages noise and thin crack lines away, modules stay."""
    import numpy as np

    return np.asarray(_pil(gray).reduce(2))


def half_sharpen(gray: np.ndarray) -> np.ndarray:
    """Downscale then sharpen: a wide blur becomes a narrow one, and is steepened."""
    import numpy as np

    return np.asarray(_unsharp(_pil(gray).reduce(2), 2, 2.0))


def stretch(gray: np.ndarray) -> np.ndarray:
    """Stretch the 1st-99th percentile levels over 0-255 (a dim or washed-out frame)."""
    import numpy as np

    hist = np.bincount(gray[::4, ::4].ravel(), minlength=256)  # a sample is plenty
    cumulative = np.cumsum(hist)
    low = int(np.searchsorted(cumulative, cumulative[-1] * 0.01))
    high = int(np.searchsorted(cumulative, cumulative[-1] * 0.99))
    if high - low < 8:  # a flat frame: nothing to stretch
        return gray
    levels = np.clip((np.arange(256) - low) * (255.0 / (high - low)), 0, 255).astype(np.uint8)
    return np.asarray(_pil(gray).point(levels.tolist()))


#: Every known step by name (the bench compares them).
STEPS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sharpen": sharpen, "half_sharpen": half_sharpen, "half": half, "stretch": stretch}
#: The chain tried after the plain frame, in order (chosen by bench/qr_decoders.py).
DEFAULT_STEPS: tuple[str, ...] = ("half_sharpen", "stretch", "half", "sharpen")


class FramePipeline:
    """Decode a frame: the plain frame, then transforms until one yields a code.

    ``transforms_per_frame=None`` tries every step on each frame (what the
    bench measures); an integer tries only that many per call, continuing
    from where the previous call stopped (see the module docstring).
    Not thread-safe: one per camera thread, like its decoder.
    """

    def __init__(self, decoder: QrDecoder, steps: Sequence[str] = DEFAULT_STEPS, *,
                 transforms_per_frame: int | None = None) -> None:
        unknown = [name for name in steps if name not in STEPS]
        if unknown:
            raise ValueError(f"unknown pipeline steps: {', '.join(unknown)}")
        if transforms_per_frame is not None and transforms_per_frame < 0:
            raise ValueError("transforms_per_frame must be >= 0")
        self.decoder = decoder
        self.steps = tuple(steps)
        self._per_frame = transforms_per_frame
        self._next = 0
        #: Which step decoded the last frame ("plain", a step name, or None): for the bench.
        self.last_step: str | None = None

    def decode(self, gray: np.ndarray) -> list[bytes]:
        """The distinct payloads found in ``gray`` (uint8, HxW), in the order found."""
        self.last_step = None
        found = self.decoder.decode(gray)
        if found:
            self.last_step = "plain"
            return _distinct(found)
        if self._per_frame is None:
            indexes = range(len(self.steps))
        else:
            count = min(self._per_frame, len(self.steps))
            indexes = [(self._next + i) % len(self.steps) for i in range(count)]
            self._next = (self._next + count) % len(self.steps) if self.steps else 0
        for index in indexes:
            name = self.steps[index]
            found = self.decoder.decode(STEPS[name](gray))
            if found:
                # The code is likely still there, as degraded, in the next frame:
                # start with the step that worked.
                self._next = index
                self.last_step = name
                return _distinct(found)
        return []


def _distinct(payloads: Iterable[bytes]) -> list[bytes]:
    return list(dict.fromkeys(payloads))


class SeenCodes:
    """Which codes are in view: one presentation per code per stay in front of the camera.

    Pure: the caller passes the monotonic time. A code seen at ``t`` stays "in
    view" until ``t + forget_after_s``; a frame that misses it (blur, a hand)
    in between does not end the presentation. Only digests are kept, never
    the payloads (they are health data).
    """

    def __init__(self, forget_after_s: float) -> None:
        self.forget_after_s = forget_after_s
        self._last_seen: dict[bytes, float] = {}

    def update(self, payloads: Iterable[bytes], now: float) -> list[bytes]:
        """Record one frame's payloads; return those that are new presentations."""
        self._last_seen = {digest: seen for digest, seen in self._last_seen.items()
                           if now - seen < self.forget_after_s}
        new = []
        for payload in _distinct(payloads):
            digest = hashlib.blake2b(payload, digest_size=16).digest()
            if digest not in self._last_seen:
                new.append(payload)
            self._last_seen[digest] = now
        return new

    def __len__(self) -> int:
        """How many codes are currently held as in view (expired ones may still count)."""
        return len(self._last_seen)
