"""Readings in, the battery's state out: level, charging, ok/low/critical. Pure, no I/O.

Rules (:class:`BatteryMonitor`), with N = ``confirm_readings``:

- The level shown is the highest of the last N readings: a dip shorter than N
  readings (a load spike pulls a Li-ion cell's voltage down for as long as it
  lasts) neither shows nor counts.
- So a level is *entered* only when N readings in a row are at or under it:
  ``low`` at ``low_percent``, ``critical`` at ``critical_percent``. Until N
  readings have come (after start, or after a failed reading) the state is
  ``unknown``.
- Charging (current into the battery above ``charging_ma``) cancels: never
  ``critical`` while charging, at most ``low``.
- ``critical`` holds until charging: the box is shutting down, and a cell's
  voltage rising back at rest is no reason to stop.
- ``low`` is left at ``low_percent + HYSTERESIS`` (or by charging), so a level
  hovering on the threshold does not warn again and again.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass
from typing import Any, Literal

from .curve import percent_for_pack

__all__ = ["HYSTERESIS", "BatteryMonitor", "BatteryStatus", "State", "Thresholds"]

State = Literal["ok", "low", "critical", "unknown"]

#: Percentage points above ``low_percent`` to leave ``low``.
HYSTERESIS = 3


@dataclass(frozen=True)
class Thresholds:
    """What the monitor judges by (from ``[battery]``)."""

    cells: int = 2
    curve: str = "li-ion"
    low_percent: int = 20
    critical_percent: int = 5
    confirm_readings: int = 3
    charging_ma: float = 20.0

    @classmethod
    def from_config(cls, config: Any) -> Thresholds:
        """From a :class:`~borne.config.BatteryConfig`."""
        return cls(cells=config.cells, curve=config.curve, low_percent=config.low_percent,
                   critical_percent=config.critical_percent,
                   confirm_readings=config.confirm_readings, charging_ma=config.charging_ma)


@dataclass(frozen=True)
class BatteryStatus:
    """The battery as the box reports it (the ``battery.state`` event's data)."""

    percent: int | None = None
    charging: bool = False
    state: State = "unknown"
    voltage_mv: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The event's data, and ``battery`` in ``GET /v1/status``."""
        return {"percent": self.percent, "charging": self.charging, "state": self.state,
                "voltage_mv": self.voltage_mv}

    def same_news(self, other: BatteryStatus | None) -> bool:
        """Whether ``other`` says the same to a person (the voltage alone moves all the time)."""
        return other is not None and (self.percent, self.charging, self.state) == (
            other.percent, other.charging, other.state)


class BatteryMonitor:
    """Folds readings into a :class:`BatteryStatus`."""

    def __init__(self, thresholds: Thresholds) -> None:
        if thresholds.confirm_readings < 1:
            raise ValueError("confirm_readings must be at least 1")
        self.thresholds = thresholds
        self._levels: collections.deque[int] = collections.deque(
            maxlen=thresholds.confirm_readings)
        self.status = BatteryStatus()

    def reading(self, voltage_mv: int, current_ma: float | None) -> BatteryStatus:
        """One reading: the pack's voltage, and the current into it (None: not known)."""
        t = self.thresholds
        self._levels.append(percent_for_pack(voltage_mv, t.cells, t.curve))
        charging = current_ma is not None and current_ma > t.charging_ma
        percent = max(self._levels)
        self.status = BatteryStatus(percent, charging, self._state(percent, charging), voltage_mv)
        return self.status

    def failed(self) -> BatteryStatus:
        """A reading failed: nothing is known until N good readings come again."""
        self._levels.clear()
        self.status = BatteryStatus()
        return self.status

    def _state(self, percent: int, charging: bool) -> State:
        t, previous = self.thresholds, self.status.state
        if charging:
            return "low" if percent <= t.low_percent else "ok"
        if previous == "critical":
            return "critical"
        if len(self._levels) < t.confirm_readings:
            return "unknown"  # after start or a failed reading: not N readings yet
        if percent <= t.critical_percent:
            return "critical"
        if percent <= t.low_percent or (previous == "low" and percent < t.low_percent + HYSTERESIS):
            return "low"
        return "ok"
