"""What each view says, and where: a view becomes a :class:`Screen`, before any pixel.

Every screen is one layout: an optional small header (context on the left,
status marks or a countdown on the right), body lines (the main message, then
smaller lines), and an optional small footer. :func:`compose` picks the words
(:mod:`borne.display.texts`) for a view in a language; :mod:`borne.display.render`
draws the result on a panel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import texts
from .texts import counted, text
from .views import (
    ApcvPresentedView,
    CpsView,
    ErrorView,
    IdleView,
    MobileView,
    PairingView,
    PrescriptionView,
    WifiJoinedView,
    WifiOfferView,
    ReauthView,
    SessionView,
    UpdateView,
    StatusStrip,
    View,
    VitaleView,
)

__all__ = ["Line", "Screen", "compose"]

_LOW_BATTERY = 15


@dataclass(frozen=True)
class Line:
    """One body line: ``role`` is title (large, bold, may wrap), huge (the pairing
    code), sub (medium) or small."""

    words: str
    role: str = "title"


@dataclass(frozen=True)
class Screen:
    """What a view becomes before pixels: header, body lines, footer, marks."""

    body: tuple[Line, ...]
    header: str = ""
    header_right: str = ""
    footer_left: str = ""
    footer_right: str = ""
    footer_keep: str = "left"  # the footer side shown even when both do not fit
    marks: StatusStrip = StatusStrip()
    alert: bool = False  # draws a warning sign before the header


def _countdown(seconds: int) -> str:
    seconds = max(0, seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


def _grouped(code: str) -> str:
    """The pairing code in groups of three (or four) digits: easier to copy."""
    if len(code) in (6, 8):
        half = len(code) // 2
        return f"{code[:half]} {code[half:]}"
    return code


def _idle(view: IdleView, lang: str) -> Screen:
    clients = counted("idle.clients", view.paired_clients, lang)
    if view.profession_unset:
        body: tuple[Line, ...] = (Line(text("idle.ready", lang)),
                                  Line(text("idle.profession_unset", lang), "small"))
    elif view.cps_profession is None:
        body = (Line(text("idle.insert_cps", lang)),)
    else:
        label = texts.profession_label(view.cps_profession, lang) or ""
        body = (Line(text("idle.ready", lang)), Line(label, "small"))
    trouble = view.readers == 0 or not view.readers_ok
    if view.readers == 0:
        readers = text("idle.readers.none", lang)
    elif not view.readers_ok:
        readers = text("idle.readers.fault", lang)
    else:
        readers = counted("idle.readers", view.readers, lang)
    # A readers' fault outranks the address; "2 lecteurs" does not.
    return Screen(body, header=f"{text(f'idle.mode.{view.mode}', lang)} · {clients}",
                  footer_left=readers, footer_right=view.network or text("idle.offline", lang),
                  footer_keep="left" if trouble else "right",
                  marks=StatusStrip(clock_synced=view.clock_synced))


def _cps(view: CpsView, lang: str) -> Screen:
    body = [Line(text("cps.read", lang))]
    if view.holder:
        body.append(Line(view.holder, "sub"))
    if view.profession:
        body.append(Line(texts.profession_label(view.profession, lang) or "", "small"))
    return Screen(tuple(body))


def _vitale(view: VitaleView, lang: str) -> Screen:
    return Screen((Line(text("vitale.read", lang)),
                   Line(counted("vitale.beneficiaries", view.beneficiaries, lang), "sub")))


def _apcv(view: ApcvPresentedView, lang: str) -> Screen:
    return Screen((Line(text("apcv.read", lang)),
                   Line(texts.channel_label(view.channel, lang), "small")))


def _session(view: SessionView, lang: str) -> Screen:
    seconds = max(0, view.seconds_left)
    if seconds < 60:
        left = text("session.seconds", lang, count=seconds)
    else:
        left = text("session.minutes", lang, count=-(-seconds // 60))  # rounded up
    invoice = text("session.invoice", lang, used=view.invoices_used, allowed=view.invoices_allowed)
    return Screen((Line(left), Line(invoice, "sub")), header=text("session.kind", lang))


def _reauth(view: ReauthView, lang: str) -> Screen:
    return Screen((Line(text("reauth.present_again", lang)),
                   Line(text(f"reauth.{view.reason}", lang), "small")))


def _prescription(view: PrescriptionView, lang: str) -> Screen:
    return Screen((Line(text("prescription.scanned", lang)),))


def _pairing(view: PairingView, lang: str) -> Screen:
    if view.contested:
        hint = text("pairing.contested", lang)
    elif view.wrong_codes:
        hint = counted("pairing.wrong_codes", view.wrong_codes, lang)
    else:
        hint = text("pairing.hint", lang)
    return Screen((Line(_grouped(view.code), "huge"), Line(hint, "small")),
                  header=text("pairing.title", lang), header_right=_countdown(view.seconds_left),
                  alert=view.contested or view.wrong_codes > 0)


def _error(view: ErrorView, lang: str) -> Screen:
    main, hint = texts.error_texts(view.code, lang)
    generic = text("error.generic", lang)
    body = [Line(main)] + ([Line(hint, "small")] if hint else [])
    return Screen(tuple(body), header="" if main == generic else generic, alert=True)


def _wifi_offer(view: WifiOfferView, lang: str) -> Screen:
    return Screen((Line(text("wifi.offer", lang, ssid=view.ssid)),
                   Line(text("wifi.confirm", lang), "small")),
                  header_right=_countdown(view.seconds_left), alert=True)


def _wifi_joined(view: WifiJoinedView, lang: str) -> Screen:
    where = (text("wifi.address", lang, address=view.address) if view.address
             else text("wifi.no_address", lang))
    return Screen((Line(text("wifi.joined", lang, ssid=view.ssid)), Line(where, "small")))


def _mobile(view: MobileView, lang: str) -> Screen:
    battery = ""
    if view.charging:
        battery = text("mobile.charging", lang)
    elif view.battery_percent is not None and view.battery_percent <= _LOW_BATTERY:
        battery = text("mobile.battery_low", lang)
    return Screen((Line(text("mobile.offline", lang)),
                   Line(counted("mobile.waiting", view.reads_waiting, lang), "sub")),
                  header=battery,
                  marks=StatusStrip(battery_percent=view.battery_percent, charging=view.charging))


def _update(view: UpdateView, lang: str) -> Screen:
    version = text("update.version", lang, version=view.version) if view.version else ""
    if view.phase == "installing":
        return Screen((Line(text("update.installing", lang, count=view.percent)),
                       Line(version, "small")))
    if view.phase == "ready":
        return Screen((Line(text("update.ready", lang)), Line(text("update.waiting", lang), "small")),
                      header=version)
    if view.phase == "rebooting":
        return Screen((Line(text("update.rebooting", lang)),
                       Line(text("update.dont_unplug", lang), "small")), header=version)
    return Screen((Line(version or text(f"update.{view.phase}", lang)),
                   Line(text(f"update.{view.phase}", lang), "small")),
                  alert=view.phase == "rolled_back")


_COMPOSERS: dict[type[View], Callable[..., Screen]] = {
    IdleView: _idle, CpsView: _cps, VitaleView: _vitale, ApcvPresentedView: _apcv,
    SessionView: _session, ReauthView: _reauth, PrescriptionView: _prescription,
    PairingView: _pairing, ErrorView: _error, MobileView: _mobile, UpdateView: _update,
    WifiOfferView: _wifi_offer, WifiJoinedView: _wifi_joined,
}


def compose(view: View, language: str) -> Screen:
    """The screen of ``view`` in ``language``; :class:`TypeError` for a view it does not know."""
    try:
        composer = _COMPOSERS[type(view)]
    except KeyError:
        raise TypeError(f"no screen for {type(view).__name__}") from None
    return composer(view, language)
