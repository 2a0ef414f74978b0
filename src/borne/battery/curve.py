"""From a Li-ion pack's voltage to a level in percent, and back (for the twin).

A cell's voltage says its state of charge only roughly: the table below is a
cell's *open-circuit* voltage, and a cell under load reads lower (by its
internal resistance times the current), a charging one higher. The level shown
is therefore an approximation, good to a few percent at rest and pessimistic
under a heavy load; the low and critical levels are entered only after several
readings in a row (:mod:`borne.battery.monitor`), which is what keeps a load
spike from powering the box off.

``li-ion``: open-circuit voltage to capacity of one cell charged to 4.2 V, from
the Linux kernel's AB8500 battery data (``drivers/power/supply/ab8500_bmdata.c``,
``ocv_cap_tbl``: 4186 mV = 100 %, ..., 3094 mV = 0 %). A typical Li-ion cell's
curve: flat between 3.7 and 3.9 V, steep at both ends.

``linear``: a straight line from 3.0 V (0 %) to 4.2 V (100 %) per cell, which is
what the Waveshare UPS HATs' sample code computes (``(V - 3) / 1.2 * 100`` for
one cell, ``(V - 6) / 2.4 * 100`` for two).

A pack of ``cells`` in series is read as its voltage divided by ``cells`` (the
boards balance their cells).
"""

from __future__ import annotations

from typing import Final

__all__ = ["CURVES", "LI_ION_OCV", "LINEAR", "cell_mv_for_percent", "percent_for_pack"]

#: (cell millivolts, percent), highest first.
LI_ION_OCV: Final[tuple[tuple[int, int], ...]] = (
    (4186, 100), (4163, 99), (4114, 95), (4068, 90), (3990, 80), (3926, 70), (3898, 65),
    (3866, 60), (3833, 55), (3812, 50), (3787, 40), (3768, 30), (3747, 25), (3730, 20),
    (3705, 15), (3699, 14), (3684, 12), (3672, 9), (3657, 7), (3638, 6), (3556, 4),
    (3424, 2), (3317, 1), (3094, 0),
)
LINEAR: Final[tuple[tuple[int, int], ...]] = ((4200, 100), (3000, 0))
CURVES: Final[dict[str, tuple[tuple[int, int], ...]]] = {"li-ion": LI_ION_OCV, "linear": LINEAR}


def _interpolate(x: float, points: list[tuple[float, float]]) -> float:
    """Linear interpolation in ``points`` sorted by increasing x, clamped at both ends."""
    if x <= points[0][0]:
        return points[0][1]
    if x >= points[-1][0]:
        return points[-1][1]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return points[-1][1]  # not reached


def percent_for_pack(pack_mv: float, cells: int, curve: str = "li-ion") -> int:
    """The level (0..100) of a pack of ``cells`` Li-ion cells in series at ``pack_mv``."""
    if cells < 1:
        raise ValueError("a pack has at least one cell")
    points = sorted((float(mv), float(pc)) for mv, pc in CURVES[curve])
    return round(_interpolate(pack_mv / cells, points))


def cell_mv_for_percent(percent: float, curve: str = "li-ion") -> float:
    """The cell voltage at which the curve reads ``percent`` (the twin's battery)."""
    points = sorted((float(pc), float(mv)) for mv, pc in CURVES[curve])
    return _interpolate(percent, points)
