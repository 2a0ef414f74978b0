"""Who may move the box to another network: the person at the box (sans I/O, time passed in).

Showing a code is not enough: a patient at the counter must not be able to move the box to
their own network. A code shown to the camera or the scanner becomes an *offer*; the screen
shows "Wi-Fi « <ssid> » ? Appuyez pour confirmer" and the box joins only when its button is
pressed within ``confirm_s`` (30 s) of the offer. Alternatively a *window* opened at the box
(its menu, or a press held at the box: the caller decides what opens one) stands for that
press, for one code: the next code shown while it is open is confirmed at once, and closes it.

======================================  =====================================================
call                                    effect
======================================  =====================================================
``offer(creds, now)``                   a code was shown: the :class:`Offer` to put on the
                                        screen; it replaces any pending one (the press
                                        confirms what the screen shows now); the same code
                                        seen again (the camera sees it on every frame) keeps
                                        its offer and its deadline
``press(now)``                          the button: the pending credentials to join, or None
                                        (nothing pending: the press is not ours; too late:
                                        the offer is dropped)
``open_window(now, seconds)``           a window opened at the box
``expire(now)``                         drops what is past its time; returns the SSID of a
                                        dropped offer, so the screen can clear its prompt
``pending``                             the SSID waiting for a press (never the password)
======================================  =====================================================

``now`` is a monotonic clock (``time.monotonic()``), passed in, so tests need no clock.
The caller audits each confirmation: by the button (``press``) or by the window
(:attr:`Offer.confirmed`), the SSID, and when.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from borne.network.wifi_code import WifiCredentials

__all__ = ["CONFIRM_S", "Offer", "Provisioning"]

#: Seconds after an offer within which a press confirms it (the issue: 30 s).
CONFIRM_S = 30.0


@dataclass(frozen=True)
class Offer:
    """A shown code, as the screen tells it.

    ``deadline``: the monotonic time after which a press no longer confirms it;
    ``replaced``: the SSID of the pending offer it replaced, if any; ``confirmed``: the
    credentials when a window open at the box confirmed it (join now, no prompt), else None.
    """

    ssid: str
    deadline: float
    replaced: str | None = None
    confirmed: WifiCredentials | None = None


class Provisioning:
    """The offer waiting for the person at the box, and the box's provisioning window."""

    def __init__(self, confirm_s: float = CONFIRM_S) -> None:
        if not (confirm_s > 0 and math.isfinite(confirm_s)):
            raise ValueError("confirm_s must be a positive number of seconds")
        self._confirm_s = confirm_s
        self._creds: WifiCredentials | None = None
        self._offer: Offer | None = None
        self._window_end: float | None = None

    def __repr__(self) -> str:
        return f"Provisioning(pending={self.pending!r}, window={self._window_end is not None})"

    @property
    def pending(self) -> str | None:
        """The SSID of the offer waiting for a press, or None."""
        return self._offer.ssid if self._offer is not None else None

    def window_open(self, now: float) -> bool:
        """Whether a window opened at the box is open at ``now``."""
        return self._window_end is not None and now < self._window_end

    def open_window(self, now: float, seconds: float) -> None:
        """Open a window of ``seconds``: the next code shown in it needs no press."""
        if not (seconds > 0 and math.isfinite(seconds)):
            raise ValueError("a window lasts a positive, finite number of seconds")
        self._window_end = now + seconds

    def close_window(self) -> None:
        """Close the window (it was used, or cancelled at the box)."""
        self._window_end = None

    def offer(self, creds: WifiCredentials, now: float) -> Offer:
        """A code was shown at ``now``: what to put on the screen (see the module's table)."""
        self.expire(now)
        if self.window_open(now):
            self.close_window()
            replaced, self._offer, self._creds = self.pending, None, None
            return Offer(creds.ssid, now, replaced, confirmed=creds)
        if self._offer is not None and self._creds == creds:
            return self._offer
        offer = Offer(creds.ssid, now + self._confirm_s, self.pending)
        self._offer, self._creds = offer, creds
        return offer

    def press(self, now: float) -> WifiCredentials | None:
        """The button was pressed at ``now``: the credentials to join, or None."""
        creds, offer = self._creds, self._offer
        if creds is None or offer is None:
            return None
        self._offer, self._creds = None, None
        if now <= offer.deadline:
            return creds
        if self.window_open(now):
            self.close_window()  # one network per window
            return creds
        return None

    def expire(self, now: float) -> str | None:
        """Drop a window and an offer past their time; the dropped offer's SSID, or None."""
        if self._window_end is not None and now >= self._window_end:
            self._window_end = None
        if self._offer is None or now <= self._offer.deadline or self.window_open(now):
            return None
        ssid = self._offer.ssid
        self._offer, self._creds = None, None
        return ssid
