"""The daemon's network: a Wi-Fi code shown to the box, confirmed by the button, joined.

A ``WIFI:`` code from the camera or the scanner (:mod:`.wifi_code`) is offered
(:mod:`.provisioning`): the screen asks "Wi-Fi « <ssid> » ? Appuyez pour confirmer"
(``network.offered``), and only a press of the box's button within ``[network] confirm_s``
(or a window opened at the box) makes the box join it through NetworkManager
(:mod:`.nm_client`). The outcome is an event (``network.joined`` with the address,
``network.failed`` with a stable code) and an audit entry: the button confirmed, which SSID,
when. The password never leaves :class:`~.wifi_code.WifiCredentials`: no log line, event,
screen, audit entry or file holds it (NetworkManager keeps it in its own profile).

The state (cable, Wi-Fi network, signal, address) is asked every ``[network] poll_s``:
``/v1/status``, ``borne doctor`` and the status line read :meth:`NetworkService.snapshot`;
losing the Wi-Fi network publishes ``network.lost``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ..error_catalogue import message_for
from ..events import NetworkFailed, NetworkJoined, NetworkLost, NetworkOffered
from .nm_results import KnownNetwork, NetState, NmError
from .provisioning import Provisioning
from .settings import NetworkConfig
from .status import NetworkStatus
from .wifi_code import WifiCodeError, WifiCredentials, parse_wifi

__all__ = ["NetworkService", "UNAVAILABLE"]

log = logging.getLogger("borne.network")

#: The code of a Wi-Fi code shown to a box that does not manage its network.
UNAVAILABLE = "network_service_unavailable"


class NetworkService:
    """Codes shown, the button, joins, the network's state. Runs on the event loop.

    ``client_factory(bus_address)`` builds the NetworkManager client (tests may pass their
    own bus through ``[network] dbus_address``); ``audit`` records who confirmed a join.
    """

    def __init__(self, config: NetworkConfig, *, bus: Any, clock: Any, core: Any,
                 audit: Any = None, client_factory: Any = None) -> None:
        self.config = config
        self._bus = bus
        self._clock = clock
        self._core = core
        #: The audit trail (set by the daemon once the API's services are built).
        self.audit = audit
        self._client_factory = client_factory or _nm_client
        self._client: Any = None
        self.provisioning = Provisioning(confirm_s=config.confirm_s)
        self._state: NetState | None = None
        self._detail: str | None = None
        self._joining: asyncio.Task[None] | None = None
        self._poll: asyncio.Task[None] | None = None
        self._expiry: asyncio.TimerHandle | None = None

    # -- start and stop -------------------------------------------------------------------

    async def start(self) -> None:
        """Reach NetworkManager (never raises: without it the state says why)."""
        if self.config.enabled == "off":
            self._detail = "[network] enabled = off"
            return
        try:
            self._client = await self._client_factory(self.config.dbus_address)
            self._state = await self._client.state()
        except (NmError, OSError) as error:
            self._client = None
            self._detail = f"NetworkManager unreachable ({error})"
            if self.config.enabled == "on":  # insisted on: a fault of the box's
                log.warning("network: %s", self._detail)
                self._core.device_state("network", "error", self._detail)
            else:  # "auto" without NetworkManager (the simulator, a development machine)
                log.info("network: %s", self._detail)
            return
        self._poll = asyncio.ensure_future(self._watch())

    async def stop(self) -> None:
        """Stop watching; a join under way is cancelled (NetworkManager finishes it alone)."""
        for task in (self._poll, self._joining):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if self._expiry is not None:
            self._expiry.cancel()
        if self._client is not None:
            await self._client.close()
            self._client = None

    # -- a code shown, the button ---------------------------------------------------------

    def code_shown(self, payload: bytes, channel: str) -> str | None:
        """A ``WIFI:`` code came from ``channel``: offer it. The refusal's code, or None."""
        try:
            creds = parse_wifi(payload)
        except WifiCodeError as error:
            return error.code
        if self._client is None:
            return UNAVAILABLE
        now = self._clock.monotonic()
        offer = self.provisioning.offer(creds, now)
        if offer.confirmed is not None:  # a window opened at the box: no question asked
            self._join(offer.confirmed, "window")
            return None
        left = max(1, round(offer.deadline - now))
        self._bus.publish(NetworkOffered(ssid=creds.ssid, expires_in_s=left))
        if self._expiry is not None:
            self._expiry.cancel()
        self._expiry = asyncio.get_running_loop().call_later(left + 0.05, self._expire)
        return None

    def button_pressed(self) -> bool:
        """The person at the box pressed the button while the screen asked: join. False if
        no code waited (the press is then someone else's: a message to dismiss)."""
        creds = self.provisioning.press(self._clock.monotonic())
        if creds is None:
            return False
        self._join(creds, "button")
        return True

    def open_window(self, seconds: float) -> None:
        """From the box (its control socket): the next code shown within ``seconds`` joins
        without a press."""
        self.provisioning.open_window(self._clock.monotonic(), seconds)

    def _expire(self) -> None:
        self._expiry = None
        self.provisioning.expire(self._clock.monotonic())

    def _join(self, creds: WifiCredentials, confirmed_by: str) -> None:
        if self._joining is not None and not self._joining.done():
            self._joining.cancel()  # the newest confirmation wins
        self._joining = asyncio.ensure_future(self._run_join(creds, confirmed_by))

    async def _run_join(self, creds: WifiCredentials, confirmed_by: str) -> None:
        await self._record(confirmed_by, "network join", creds.ssid, 202)
        try:
            result = await self._client.join(
                creds.ssid, creds.password, creds.key_mgmt, creds.hidden,
                priority=self.config.wifi_priority, timeout_s=self.config.join_timeout_s)
        except (NmError, OSError) as error:
            log.warning("network: joining failed: %s", error)
            self._failed(creds.ssid, "network_failed")
            await self._record(confirmed_by, "network join", creds.ssid, 502)
            return
        if result.ok:
            log.info("network: joined %r at %s", creds.ssid, result.address)
            self._bus.publish(NetworkJoined(ssid=creds.ssid, address=result.address,
                                            interface="wifi"))
            await self._refresh()
            await self._record(confirmed_by, "network join", creds.ssid, 200)
        else:
            self._failed(creds.ssid, result.code or "network_failed")
            await self._record(confirmed_by, "network join", f"{creds.ssid} {result.code}", 409)

    def _failed(self, ssid: str, code: str) -> None:
        log.info("network: joining %r failed: %s", ssid, code)
        self._bus.publish(NetworkFailed(ssid=ssid, code=code, message=message_for(code, "en")))

    async def _record(self, who: str, action: str, resource: str, status: int) -> None:
        if self.audit is not None:
            await self.audit.arecord(client_id=who, action=action, resource=resource[:200],
                                     status=status)

    # -- the state ----------------------------------------------------------------------

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.config.poll_s)
            try:
                await self._refresh()
            except (NmError, OSError) as error:
                log.debug("network: state unknown: %s", error)

    async def _refresh(self) -> None:
        before, self._state = self._state, await self._client.state()
        if before is not None and before.wifi_ssid and self._state.wifi_ssid != before.wifi_ssid:
            self._bus.publish(NetworkLost(ssid=before.wifi_ssid))

    async def known(self) -> list[KnownNetwork]:
        """The Wi-Fi networks the box keeps (never their passwords)."""
        if self._client is None:
            return []
        return await self._client.known()

    async def forget(self, ident: str) -> bool:
        """Forget one kept Wi-Fi network; False if the box keeps none by that id."""
        if self._client is None:
            return False
        return await self._client.forget(ident)

    def snapshot(self) -> NetworkStatus:
        """The network's state for ``/v1/status``, ``borne doctor`` and the status line."""
        state = self._state
        if self._client is None or state is None:
            kind = "off" if self.config.enabled == "off" else "unavailable"
            return NetworkStatus(state=kind, detail=self._detail, ethernet=False, ssid=None,
                                 signal=None, address=None,
                                 pending_ssid=self.provisioning.pending)
        kind = "ethernet" if state.ethernet else "wifi" if state.wifi_ssid else "offline"
        return NetworkStatus(state=kind, detail=None, ethernet=state.ethernet,
                             ssid=state.wifi_ssid, signal=state.signal, address=state.address,
                             pending_ssid=self.provisioning.pending)


async def _nm_client(bus_address: str) -> Any:
    from .nm_client import NmClient

    return await NmClient(bus_address).connect()
