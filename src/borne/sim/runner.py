"""``borne sim run``: the whole simulated box in one foreground process.

1. Make ``/run/pcscd`` private to this process (a mount namespace), so the
   simulator never disturbs a pcscd the machine already runs, and start a
   private pcscd with the vpcd driver (:mod:`borne.sim.pcscd`).
2. Serve the simulator's control socket (``<runtime_dir>/sim.sock``), through
   which ``borne sim insert|remove`` put virtual cards in and out (each card is
   its own process speaking vpcd: :mod:`borne.sim.card_process`).
3. Run the real daemon in this process, configured for the ``sim`` backend.

Its configuration is :func:`borne.sim.sim_config.sim_config`'s: the
simulator's defaults with the ``--config`` file's settings laid over them.
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import tempfile
from pathlib import Path
from typing import Any


from ..config import Config
from ..control.server import ControlServer, Peer
from ..daemon import Daemon
from ..errors import BorneError, Message
from ..mdns.announcement import lan_facing
from ..runtime.logs import setup_logging
from .sim_config import sim_config, sim_socket

__all__ = ["run_sim"]

log = logging.getLogger("borne.sim")


def _sim_handlers(slots: Any, presenter: Any, daemon: Any = None) -> dict[str, Any]:
    from .announced import present_and_watch
    from .cards import CARD_NAMES
    from ..display.views import WifiOfferView
    from .presenter import HOLD_S, sim_apcv_token
    from .watched import act_and_watch

    async def insert(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
        slot, card = args.get("slot"), args.get("card")
        if not isinstance(slot, int) or slot not in _slot_numbers(slots):
            raise BorneError(Message.same(f"{slot}"), code="sim_bad_slot")
        if not isinstance(card, str) or (card not in CARD_NAMES and not Path(card).is_file()):
            raise BorneError(Message(f"{card} (connues : {', '.join(CARD_NAMES)})",
                                     f"{card} (known: {', '.join(CARD_NAMES)})"),
                             code="sim_unknown_card")
        options = {}
        if args.get("pull_after"):
            options["pull_after"] = int(args["pull_after"])
        await asyncio.to_thread(slots.remove, slot)
        await asyncio.to_thread(slots.insert, slot, card, **options)
        return {"slot": slot, "card": card}

    async def remove(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
        slot = args.get("slot")
        if not isinstance(slot, int) or slot not in _slot_numbers(slots):
            raise BorneError(Message.same(f"{slot}"), code="sim_bad_slot")
        await asyncio.to_thread(slots.remove, slot)
        return {"slot": slot}

    async def list_slots(peer: Peer, args: dict[str, Any]) -> list[dict[str, Any]]:
        held = slots.inserted
        return [{"slot": index, "reader": name, "port": port, "card": held.get(index)}
                for index, name, port in slots.pcscd.slots]

    async def cards(peer: Peer, args: dict[str, Any]) -> list[str]:
        return list(CARD_NAMES)

    async def shown_and_announced(channel: str, payload: bytes) -> dict[str, Any]:
        # What the box announced, not only what was shown: its inputs may take the code
        # for a presentation already made (the camera's forget_after_s).
        if daemon is None:
            return await presenter.present(channel, payload)
        answer = await present_and_watch(daemon.bus, lambda: presenter.present(channel, payload),
                                         channel, HOLD_S + 2.0)
        return {**answer, "forget_after_s": daemon.config.camera.forget_after_s}

    async def apcv(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
        payload_hex = args.get("payload_hex")
        try:
            payload = bytes.fromhex(payload_hex) if payload_hex else sim_apcv_token()
        except ValueError:
            raise BorneError(Message("payload_hex n'est pas hexadécimal", "payload_hex is not hex"),
                             code="control_bad_request") from None
        return await shown_and_announced(str(args.get("channel", "qr")), payload)

    async def prescription(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
        number = args.get("number")
        if not isinstance(number, str) or not number or len(number) > 64:
            raise BorneError("number", code="control_bad_request")
        return await shown_and_announced(str(args.get("channel", "qr")), number.encode("utf-8"))

    async def medicine(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
        from .presenter import SIM_MEDICINE

        channel = str(args.get("channel", "scanner"))
        # A camera reads the symbol's data, without the identifier a scanner may add.
        return await presenter.present(channel, SIM_MEDICINE[3:] if channel == "qr"
                                       else SIM_MEDICINE)

    async def screen(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
        display = daemon.display if daemon is not None else None
        if display is None or display.last_image is None:
            raise BorneError("no screen", code="sim_no_screen")
        buffer = io.BytesIO()
        display.last_image.save(buffer, "PNG")
        return {"png_b64": base64.b64encode(buffer.getvalue()).decode("ascii"),
                "width": display.last_image.width, "height": display.last_image.height}

    async def button(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
        display = daemon.display if daemon is not None else None
        panel = getattr(display, "panel", None)
        if panel is None or not hasattr(panel, "press_for_test"):
            raise BorneError("no simulated button", code="sim_no_twin")
        held = float(args.get("hold_s", 0.1))

        async def press() -> dict[str, Any]:
            await asyncio.to_thread(panel.press_for_test, held)
            return {"held_s": held}

        if not isinstance(display.state.view(daemon.clock.monotonic()), WifiOfferView):
            return await press()
        # It confirms a Wi-Fi join: say how the join ended.
        return await act_and_watch(daemon.bus, press, ("network.joined", "network.failed"),
                                   daemon.config.network.join_timeout_s + 5.0)

    async def battery(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
        service = daemon.battery if daemon is not None else None
        twin = getattr(service, "twin", None)
        if twin is None:
            raise BorneError("no simulated battery ([battery] device = \"sim\")",
                             code="sim_no_twin")
        percent = args.get("percent")
        if not isinstance(percent, int) or isinstance(percent, bool) or not 0 <= percent <= 100:
            raise BorneError(Message.same("percent: 0..100"), code="control_bad_request")
        charging = bool(args.get("charging", False))
        twin.set_level(percent, charging=charging)
        # Read at once, through the emulated registers, rather than at the next polls: as
        # many times as a real box needs to accept a lower level (a steady one, no spike).
        seen = service.status
        for _ in range(daemon.config.battery.confirm_readings):
            seen = await service.poll_now()
        return {"percent": percent, "charging": charging, "box": seen.to_dict()}

    async def wifi(peer: Peer, args: dict[str, Any]) -> dict[str, Any]:
        from .wifi_share import phone_wifi_code

        ssid, password = args.get("ssid"), args.get("password")
        channel = str(args.get("channel", "qr"))
        if not isinstance(ssid, str) or not isinstance(password, (str, type(None))):
            raise BorneError("ssid, password", code="control_bad_request")
        try:
            code = phone_wifi_code(ssid, password, security=str(args.get("security", "wpa")),
                                   hidden=bool(args.get("hidden", False)))
        except ValueError as error:
            raise BorneError(Message.same(str(error)), code="control_bad_request") from None
        async def show() -> dict[str, Any]:
            await presenter.present(channel, code.encode("utf-8"))
            return {"channel": channel, "ssid": ssid}  # never the password

        if daemon is None:
            return await show()
        return await act_and_watch(daemon.bus, show, ("network.offered", "capture.error"),
                                   HOLD_S + 2.0)

    return {"insert": insert, "remove": remove, "slots": list_slots, "cards": cards,
            "apcv": apcv, "prescription": prescription, "screen": screen, "button": button,
            "battery": battery, "medicine": medicine, "wifi": wifi}


def _slot_numbers(slots: Any) -> set[int]:
    return {index for index, _name, _port in slots.pcscd.slots}


async def _run(config: Config, work_dir: Path) -> None:
    from .cardslots import CardSlots
    from .pcscd import DEFAULT_SIM_READERS, PrivatePcscd
    from .presenter import SimPresenter

    config, standin, network_line = await _network_standin(config, work_dir)
    pcscd = PrivatePcscd(work_dir / "pcscd", DEFAULT_SIM_READERS)
    await asyncio.to_thread(pcscd.start)
    slots = CardSlots(pcscd)
    presenter = SimPresenter(config, slots)
    presenter.prepare()
    daemon = Daemon(config)
    control = ControlServer(sim_socket(config), _sim_handlers(slots, presenter, daemon),
                            group=config.control.group,
                            language=config.daemon.language)
    try:
        await control.start()
        run = asyncio.create_task(daemon.run())
        await daemon.ready.wait()
        print(_banner(config, pcscd, daemon.api.port if daemon.api else None, network_line),
              flush=True)
        await run
    finally:
        await control.stop()
        await asyncio.to_thread(slots.remove_all)
        await asyncio.to_thread(pcscd.stop)
        if standin is not None:
            await asyncio.to_thread(standin.stop)


async def _network_standin(config: Config, work_dir: Path) -> tuple[Config, Any, str]:
    """NetworkManager's stand-in on a private bus, unless the file names a bus of its own or
    turns the network off; (the config with its address, the stand-in or None, a banner line).

    Never the machine's system bus: without the stand-in the network is off ("unavailable").
    """
    import msgspec

    from .nm_standin import NmStandIn, standin_missing

    network = config.network
    if network.enabled == "off" or network.dbus_address:
        where = "arrêté / off" if network.enabled == "off" else network.dbus_address
        return config, None, f"Réseau / network: {where}"
    missing = standin_missing()
    standin = None
    if missing is None:
        standin = NmStandIn(work_dir / "nm")
        try:
            await standin.start()
        except RuntimeError as error:
            await asyncio.to_thread(standin.stop)
            standin, missing = None, str(error)
    if standin is None:
        log.warning("network unavailable in the simulator: %s", missing)
        return (msgspec.structs.replace(config, network=msgspec.structs.replace(
                    network, enabled="off")), None,
                f"Réseau / network: indisponible / unavailable (il manque / missing: {missing})")
    return (msgspec.structs.replace(config, network=msgspec.structs.replace(
                network, dbus_address=standin.address)), standin,
            "Réseau / network: NetworkManager simulé / simulated (python-dbusmock), wlan0")


def _api_line(host: str, port: int | None) -> str:
    """Where the API listens, and whether the LAN can reach it."""
    if port is None:
        return "API : arrêtée / off"
    shown = f"[{host}]" if ":" in host else host
    if not lan_facing(host):
        return (f"API : https://{shown}:{port} (cette machine seulement / this machine only; "
                "--listen 0.0.0.0 : le réseau / the LAN)")
    return f"API : https://{shown}:{port} (ouverte au réseau / open to the LAN)"


def _banner(config: Config, pcscd: Any, api_port: int | None = None,
            network_line: str = "") -> str:
    lines = ["", "Borne simulée prête / simulated box ready.",
             _api_line(config.api.host, api_port)] + ([network_line] if network_line else []) + [
             "Emplacements / slots:"]
    for index, name, _port in pcscd.slots:
        lines.append(f"  {index}: {name}")
    lines += [
        "Dans un autre terminal / in another terminal:",
        "  .venv/bin/borne sim insert 0 vitale-family",
        "  .venv/bin/borne status",
        "  .venv/bin/borne sim remove 0",
        "  .venv/bin/borne sim insert 1 cps-pharmacist",
        "  .venv/bin/borne sim apcv --qr        (--scanner, --nfc, --contactless)",
        "  .venv/bin/borne sim prescription 01S2TBPZ2JCNZZYGHZ",
        "  .venv/bin/borne sim medicine         (--qr; a medicine box: ignored, counted)",
        "  .venv/bin/borne sim screen           (--png FILE: what the box's screen shows)",
        "  .venv/bin/borne sim button --long    (the pairing button held down)",
        "  .venv/bin/borne sim battery 15       (--charging; a mobile box's battery)",
        "  .venv/bin/borne sim wifi --ssid Pharmacie --password motdepasse  (then: sim button)",
        "Ctrl-C arrête la borne simulée / stops the simulated box.",
        "",
    ]
    return "\n".join(lines)


def run_sim(config_path: str | None, *, listen: str | None = None) -> int:
    """Run the simulated box until Ctrl-C or SIGTERM; ``listen``: its API's address."""
    from .namespace import isolate_pcscd_socket

    config = sim_config(config_path, listen=listen)
    setup_logging(config.daemon.log_level)
    # Must happen while the process is single-threaded: before asyncio starts workers.
    isolate_pcscd_socket()
    with tempfile.TemporaryDirectory(prefix="borne-sim-") as work_dir:
        asyncio.run(_run(config, Path(work_dir)))
    return 0
