"""A seeded corpus of camera frames with known QR payloads, to measure decoders on.

Every frame is a phone showing one code (two for ``two_codes``, none for
``empty``) on a neutral background, drawn by :mod:`borne.sim.qr_frames` at
1280x720 or 640x480 and degraded the way a counter camera sees phones:

==============  ==================================================================
category        what is done to the frame
==============  ==================================================================
clean           upright, sharp, 3-8 px per module
blur            gaussian blur, sigma 0.25-0.75 module (focus, motion)
tilt            the phone turned 15-45 degrees away from the camera (perspective)
rotation        any in-plane angle
glare           a bright blob (a lamp reflected on the screen), partly saturated
low_contrast    the whole frame squeezed into 25-60 gray levels
cracked         crack lines across the screen, light or dark, over the code
small           1.4-2.5 px per module (phone far away), short payloads
two_codes       two phones side by side, each with its own code
dim_screen      phone at low brightness (screen 55-90) in a bright room
noise           gaussian sensor noise, sigma 12-35 levels
empty           no code at all (a phone with a blank screen): must give nothing
==============  ==================================================================

Payloads: 18-character prescription numbers (alphanumeric mode), opaque text
tokens of 100-1500 bytes (base64url, byte mode) and binary tokens of 100-1000
bytes. They are drawn from a pool of 48 made from the seed (segno takes up to
0.1 s to encode a large code; the pool keeps the whole corpus under a minute).

Module use::

    from qr_corpus import generate
    for name, image, expected, category in generate(seed=1, count=600): ...

Script: ``.venv/bin/python bench/qr_corpus.py --out DIR [--seed 1] [--count 600]``
writes ``DIR/<name>.png`` and ``DIR/manifest.json`` (payloads in hex).
Frame ``i`` depends only on ``(seed, i)``: any frame can be rebuilt alone.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from borne.sim.qr_frames import QUIET_ZONE, phone_image, qr_modules  # noqa: E402

__all__ = ["CATEGORIES", "SIZES", "CorpusFrame", "generate", "payload_pool"]

CATEGORIES = ("clean", "blur", "tilt", "rotation", "glare", "low_contrast", "cracked", "small",
              "two_codes", "dim_screen", "noise", "empty")
SIZES = ((1280, 720), (640, 480))
DEFAULT_COUNT = 600  # 50 frames per category, 25 at each size


class CorpusFrame(NamedTuple):
    """One frame: its name, the grayscale image, what a decoder must find, and why it is hard."""

    name: str
    image: Image.Image
    expected: list[bytes]
    category: str


def payload_pool(seed: int) -> list[bytes]:
    """48 payloads: 16 prescription numbers, 16 text tokens, 16 binary tokens."""
    rng = random.Random(f"pool:{seed}")
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    pool = ["".join(rng.choice(alphabet) for _ in range(18)).encode() for _ in range(16)]
    for _ in range(16):
        size = rng.randint(100, 1500)
        raw = rng.randbytes(size)
        pool.append(base64.urlsafe_b64encode(raw).rstrip(b"=")[:size])
    pool += [rng.randbytes(rng.randint(100, 1000)) for _ in range(16)]
    return pool


def _perspective_coeffs(dst: list[tuple[float, float]], src: list[tuple[float, float]]) -> list:
    """PIL's PERSPECTIVE coefficients mapping output points ``dst`` back to input ``src``."""
    rows, rhs = [], []
    for (u, v), (x, y) in zip(dst, src, strict=True):
        rows.append([u, v, 1, 0, 0, 0, -x * u, -x * v])
        rows.append([0, 0, 0, u, v, 1, -y * u, -y * v])
        rhs += [x, y]
    return np.linalg.solve(np.array(rows, float), np.array(rhs, float)).tolist()


class _Pose(NamedTuple):
    """Where and how a phone is held: scale, in-plane angle, tilt (angle, axis direction)."""

    scale: float
    angle: float
    tilt: float
    tilt_axis: float


def _project(points: np.ndarray, pose: _Pose, focal: float) -> np.ndarray:
    """Project phone-plane points (relative to the code's centre) through a pinhole camera."""
    def rz(a: float) -> np.ndarray:
        c, s = math.cos(a), math.sin(a)
        return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])

    c, s = math.cos(pose.tilt), math.sin(pose.tilt)
    rx = np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    rotation = rz(pose.angle) @ rz(pose.tilt_axis) @ rx @ rz(-pose.tilt_axis)
    xyz = np.c_[points * pose.scale, np.zeros(len(points))] @ rotation.T
    depth = xyz[:, 2] + focal
    return np.c_[xyz[:, 0] * focal / depth, xyz[:, 1] * focal / depth]


def _place(frame: Image.Image, phone_img: Image.Image, mask: Image.Image,
           code_box: tuple[int, int, int, int], pose: _Pose, rng: random.Random,
           x_range: tuple[float, float]) -> np.ndarray | None:
    """Warp the phone by ``pose`` and paste it so the whole code is inside ``x_range``.

    Returns the code's four corners in the frame, or None when the code cannot
    fit (the caller shrinks it and tries again).
    """
    width, height = frame.size
    left, top, right, bottom = code_box
    cx, cy = (left + right) / 2, (top + bottom) / 2
    focal = 1.1 * width
    code = _project(np.array([[left, top], [right, top], [right, bottom], [left, bottom]],
                             float) - (cx, cy), pose, focal)
    margin = 4
    lo_x, hi_x = x_range[0] - code[:, 0].min() + margin, x_range[1] - code[:, 0].max() - margin
    lo_y, hi_y = -code[:, 1].min() + margin, height - code[:, 1].max() - margin
    if lo_x > hi_x or lo_y > hi_y:
        return None
    ux, uy = round(rng.uniform(lo_x, hi_x)), round(rng.uniform(lo_y, hi_y))
    w, h = phone_img.size
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], float)
    dst = _project(corners - (cx, cy), pose, focal) + (ux, uy)
    coeffs = _perspective_coeffs([tuple(p) for p in dst], [tuple(p) for p in corners])
    warped = phone_img.transform(frame.size, Image.Transform.PERSPECTIVE, coeffs,
                                 Image.Resampling.BILINEAR, fillcolor=0)
    warped_mask = mask.transform(frame.size, Image.Transform.PERSPECTIVE, coeffs,
                                 Image.Resampling.BILINEAR, fillcolor=0)
    frame.paste(warped, (0, 0), warped_mask)
    return code + (ux, uy)


def _crack(phone_img: Image.Image, code_box: tuple[int, int, int, int],
           rng: random.Random) -> None:
    """Draw a spider of cracks from an impact point near the code."""
    draw = ImageDraw.Draw(phone_img)
    left, top, right, bottom = code_box
    size = right - left
    impact = (rng.uniform(left, right), rng.uniform(top, bottom))
    for _ in range(rng.randint(3, 8)):
        angle = rng.uniform(0, 2 * math.pi)
        x, y = impact
        points = [(x, y)]
        for _ in range(rng.randint(3, 6)):
            angle += rng.uniform(-0.5, 0.5)
            step = rng.uniform(0.1, 0.3) * size
            x, y = x + step * math.cos(angle), y + step * math.sin(angle)
            points.append((x, y))
        color = rng.choice((255, 250, 200, 60, 30))
        draw.line(points, fill=color, width=rng.randint(1, max(1, size // 100 + 1)))


def _glare(gray: np.ndarray, center: tuple[float, float], radius: float,
           peak: float) -> np.ndarray:
    height, width = gray.shape
    ys, xs = np.ogrid[:height, :width]
    d2 = ((xs - center[0]) ** 2 + ((ys - center[1]) * 1.4) ** 2) / radius ** 2
    return np.clip(gray + peak * np.exp(-d2), 0, 255)


def _frame(seed: int, index: int, pool: list[bytes]) -> CorpusFrame:
    category = CATEGORIES[index % len(CATEGORIES)]
    width, height = SIZES[(index // len(CATEGORIES)) % len(SIZES)]
    rng = random.Random(f"frame:{seed}:{index}")
    nrng = np.random.default_rng([seed, index])
    background = rng.randint(90, 170)
    screen, ink, body = rng.randint(215, 250), rng.randint(10, 40), 25
    if category == "dim_screen":
        screen, ink, body, background = rng.randint(55, 90), rng.randint(12, 30), 10, \
            rng.randint(130, 200)
    frame = Image.new("L", (width, height), background)
    phones = 2 if category == "two_codes" else 1
    short = [p for p in pool if len(p) <= (120 if category == "small" else 300)]
    expected: list[bytes] = []
    for slot in range(phones):
        payload = rng.choice(short if category in ("small", "two_codes") else pool)
        modules = qr_modules(payload)
        if category == "empty":
            modules = np.zeros_like(modules)
        side = modules.shape[0] + 2 * QUIET_ZONE
        module_px = {"clean": rng.randint(3, 8), "small": rng.uniform(1.4, 2.5)}.get(
            category, rng.uniform(3, 6))
        pose = _Pose(1.0, 0.0, 0.0, 0.0)
        if category == "rotation":
            pose = pose._replace(angle=rng.uniform(0, 2 * math.pi))
        elif category == "tilt":
            pose = pose._replace(tilt=math.radians(rng.uniform(15, 45)),
                                 tilt_axis=rng.uniform(0, math.pi))
        elif category == "two_codes":
            pose = pose._replace(angle=math.radians(rng.uniform(-10, 10)))
        x_range = (0.0, float(width)) if phones == 1 else (slot * width / 2, (slot + 1) * width / 2)
        while True:  # shrink until the code fits in its part of the frame
            pixels = max(1, math.ceil(module_px))
            phone = phone_image(modules, pixels, screen=screen, ink=ink, body=body)
            if category == "cracked":
                _crack(phone.image, phone.code_box, rng)
            pose = pose._replace(scale=module_px / pixels)
            corners = _place(frame, phone.image, phone.mask, phone.code_box, pose, rng, x_range)
            if corners is not None:
                break
            if category == "clean":
                module_px = max(1, int(module_px) - 1)
            else:
                module_px *= 0.85
            if module_px * side < 40:
                raise RuntimeError(f"frame {index}: a code cannot fit")  # never with this pool
        if category != "empty":
            expected.append(payload)
    if category == "blur":
        frame = frame.filter(ImageFilter.GaussianBlur(rng.uniform(0.25, 0.75) * module_px))
    elif category in ("glare", "low_contrast", "noise"):
        gray = np.asarray(frame, dtype=np.float32)
        if category == "glare":
            size = side * module_px
            (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
            center = (rng.uniform(x0, x1), rng.uniform(y0, y1))  # on the code
            gray = _glare(gray, center, rng.uniform(0.15, 0.4) * size, rng.uniform(120, 255))
        elif category == "low_contrast":
            levels = rng.uniform(25, 60)
            low = rng.uniform(40, 215 - levels)
            gray = low + gray * (levels / 255)
        else:
            gray = gray + nrng.normal(0, rng.uniform(12, 35), gray.shape)
        frame = Image.fromarray(np.clip(gray, 0, 255).round().astype(np.uint8))
    name = f"{index:04d}_{category}_{width}x{height}"
    return CorpusFrame(name, frame, expected, category)


def generate(seed: int = 1, count: int = DEFAULT_COUNT) -> Iterator[CorpusFrame]:
    """Yield ``count`` frames ``(name, image, expected_payloads, category)``, cycling categories."""
    pool = payload_pool(seed)
    for index in range(count):
        yield _frame(seed, index, pool)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, type=Path, help="directory for PNGs + manifest")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    manifest = []
    for name, image, expected, category in generate(args.seed, args.count):
        image.save(args.out / f"{name}.png", compress_level=1)
        manifest.append({"name": name, "file": f"{name}.png", "category": category,
                         "width": image.width, "height": image.height,
                         "payloads_hex": [p.hex() for p in expected]})
    (args.out / "manifest.json").write_text(json.dumps(
        {"seed": args.seed, "count": args.count, "frames": manifest}, indent=1))
    print(f"{len(manifest)} frames in {args.out} ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
