"""The screen during an update: "Mise à jour… NN %", "Redémarrage", then the new version,
never over a patient's session; French first."""

from __future__ import annotations

from borne import events as ev
from borne.display import views as v
from borne.display.render import render
from borne.display.screens import compose
from borne.display.state import FLASH_SECONDS, ScreenState


def words(view: v.View, language: str = "fr") -> list[str]:
    screen = compose(view, language)
    return [screen.header, *(line.words for line in screen.body)]


def test_the_install_then_the_reboot_then_the_new_version():
    state = ScreenState()
    state.apply(ev.UpdateAvailable(version="1.5.0", origin="usb"), 1.0)
    state.apply(ev.UpdateProgress(percent=42, step="installing"), 2.0)
    assert words(state.view(2.0)) == ["", "Mise à jour… 42 %", "Version 1.5.0"]
    assert words(state.view(2.0), "en")[1] == "Updating… 42%"
    state.apply(ev.UpdateInstalled(version="1.5.0"), 3.0)
    assert words(state.view(3.0)) == ["Version 1.5.0", "Mise à jour prête",
                                      "Redémarrage en attente"]
    state.apply(ev.UpdateProgress(percent=100, step="rebooting"), 4.0)
    assert words(state.view(4.0)) == ["Version 1.5.0", "Redémarrage", "Ne pas débrancher"]
    # After the boot, the new daemon's screen says what it came to.
    after = ScreenState()
    after.apply(ev.UpdateCommitted(version="1.5.0"), 10.0)
    assert words(after.view(10.0)) == ["", "Version 1.5.0", "Mise à jour réussie"]
    assert isinstance(after.view(10.0 + FLASH_SECONDS["update"]), v.IdleView)
    back = ScreenState()
    back.apply(ev.UpdateRolledBack(version="1.5.0", back_to="1.4.0"), 10.0)
    assert words(back.view(10.0)) == ["", "Version 1.4.0", "Mise à jour annulée"]
    for view in (state.view(2.0), state.view(4.0), after.view(10.0), back.view(10.0)):
        assert render(view).size == (128, 64)


def test_a_patients_session_stays_on_screen_while_an_update_installs():
    state = ScreenState()
    state.apply(ev.SessionOpened(session_id="s-1", presentation_id="ap-1", profession="nurse",
                                 invoices_allowed=2, expires_in_s=1200, quota_source="card"), 0.0)
    state.apply(ev.UpdateAvailable(version="1.5.0", origin="api"), 1.0)
    state.apply(ev.UpdateProgress(percent=10, step="installing"), 2.0)
    assert isinstance(state.view(2.0), v.SessionView)
    state.apply(ev.SessionExpired(session_id="s-1", invoices_used=0), 3.0)
    assert isinstance(state.view(3.0 + FLASH_SECONDS["reauth"]), v.UpdateView)


def test_a_refusal_is_said_once_and_the_update_is_gone():
    state = ScreenState()
    state.apply(ev.UpdateRefusedEvent(code="update_bad_signature", origin="usb"), 1.0)
    assert words(state.view(1.0)) == ["Erreur", "Mise à jour refusée", "Signature invalide"]
    assert isinstance(state.view(1.0 + FLASH_SECONDS["error"]), v.IdleView)
