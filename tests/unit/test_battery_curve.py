"""A Li-ion pack's voltage to a level: the kernel's open-circuit table, and the linear one."""

from __future__ import annotations

import pytest

from borne.battery.curve import LI_ION_OCV, cell_mv_for_percent, percent_for_pack


@pytest.mark.parametrize(("pack_mv", "cells", "percent"), [
    (4200, 1, 100), (4186, 1, 100), (3812, 1, 50), (3800, 1, 45), (3730, 1, 20),
    (3638, 1, 6), (3094, 1, 0), (2800, 1, 0),
    (8400, 2, 100), (7624, 2, 50), (7460, 2, 20), (7276, 2, 6), (6188, 2, 0),
])
def test_li_ion_table(pack_mv, cells, percent):
    assert percent_for_pack(pack_mv, cells) == percent


@pytest.mark.parametrize(("pack_mv", "cells", "percent"), [
    (4200, 1, 100), (3600, 1, 50), (3000, 1, 0), (7200, 2, 50), (6240, 2, 10), (9000, 2, 100),
])
def test_linear_is_the_boards_sample_formula(pack_mv, cells, percent):
    # Waveshare's sample code: (V - 3) / 1.2 * 100 per cell, clamped.
    assert percent_for_pack(pack_mv, cells, "linear") == percent


def test_a_higher_voltage_never_reads_a_lower_level():
    levels = [percent_for_pack(mv, 2) for mv in range(6000, 8600, 2)]
    assert levels == sorted(levels) and levels[0] == 0 and levels[-1] == 100


def test_the_table_falls_strictly_so_it_has_an_inverse():
    volts = [mv for mv, _ in LI_ION_OCV]
    assert volts == sorted(volts, reverse=True) and len(set(volts)) == len(volts)


@pytest.mark.parametrize("curve", ["li-ion", "linear"])
def test_cell_voltage_for_a_level_is_the_inverse(curve):
    for percent in range(101):
        assert percent_for_pack(cell_mv_for_percent(percent, curve) * 3, 3, curve) == percent


def test_a_pack_has_cells():
    with pytest.raises(ValueError):
        percent_for_pack(7400, 0)
