"""A LAN attacker who sees the pairing window open cannot keep the real workstation out of it.

Issue 16, finding 3. ``/v1/pairing/start`` tells anyone whether a window is open (the
workstation needs to know too), so an attacker polls it and, once open, used to fill the
box's pending sessions (8, kept for the whole window) or spend the 5 wrong codes: the real
workstation got ``pairing_busy`` or ``pairing_closed`` for the whole two minutes. Now:

- one source address holds at most ``pairing_pending_per_address`` sessions, and when the
  box's table is full the oldest session makes room for a newcomer;
- a pending session expires after ``pairing_session_s`` on its own;
- one address that spends ``pairing_failures_per_address`` wrong codes is shut out of this
  window, not everyone: the window closes only at ``pairing_max_failures`` in total (the guess
  bound: at most 5 guesses per window, whatever the addresses);
- the screen says another device is trying, and reopening the window starts afresh.

The attackers bind their sockets to other loopback addresses (127.0.0.2, 127.0.0.3...: the
whole 127/8 is local in the tests' private network namespace); the real workstation pairs
from 127.0.0.1 with the SDK, as ``borne client pair`` does.
"""

from __future__ import annotations

import asyncio
import base64
import time

import httpx
import pytest

from borne.client import BoxError, pair
from borne.client.pairing import _unverified_tls, make_key_and_csr
from borne.display import views as v
from borne.runtime.clock import Clock
from borne.secure_channel.pairing import PairingClient

from support.box import running_box, url

_CSR = make_key_and_csr("Intrus")[1]


def attacker(box, address: str) -> httpx.AsyncClient:
    """An HTTPS client of the box whose connections come from ``address``."""
    transport = httpx.AsyncHTTPTransport(verify=_unverified_tls(), local_address=address)
    return httpx.AsyncClient(transport=transport, base_url=url(box), timeout=10)


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def start(http: httpx.AsyncClient, code: str) -> tuple[httpx.Response, PairingClient]:
    """Pairing step 1 with ``code``; the answer, and the SPAKE2 state to complete with."""
    spake = PairingClient(code)
    answer = await http.post("/v1/pairing/start",
                             json={"client_msg": base64.b64encode(spake.start()).decode()})
    return answer, spake


async def complete(http: httpx.AsyncClient, answer: httpx.Response,
                   spake: PairingClient) -> httpx.Response:
    """Pairing step 2 of the exchange ``answer`` started."""
    spake.finish(base64.b64decode(answer.json()["server_msg"]))
    return await http.post("/v1/pairing/complete", json={
        "session": answer.json()["session"], "csr": _CSR.decode(), "name": "Intrus",
        "mac": base64.b64encode(spake.request_mac(_CSR, "Intrus")).decode()})


async def guess(http: httpx.AsyncClient, code: str) -> str:
    """One whole exchange with ``code``: the error code it ends with (or ``paired``)."""
    answer, spake = await start(http, code)
    if answer.status_code != 200:
        return answer.json()["error"]
    done = await complete(http, answer, spake)
    return "paired" if done.status_code == 201 else done.json()["error"]


async def test_one_address_filling_the_sessions_does_not_keep_the_workstation_out(tmp_path):
    async with running_box(tmp_path) as box:
        window = box.api_context.pairing.open()
        async with attacker(box, "127.0.0.2") as http:
            answers = [(await start(http, other_code(window.code)))[0] for _ in range(8)]
        paired = await pair(url(box), code=window.code, name="Comptoir 1",
                            directory=tmp_path / "ws")
        assert box.api_context.clients.get(paired.client_id) is not None
        held = sum(answer.status_code == 200 for answer in answers)
        assert held <= 2, f"one address holds {held} pending sessions"
        assert {a.json()["error"] for a in answers if a.status_code != 200} <= {"pairing_busy"}


async def test_many_addresses_cannot_hold_every_session(tmp_path):
    async with running_box(tmp_path) as box:
        window = box.api_context.pairing.open()
        for host in range(2, 12):  # more addresses than the box keeps sessions
            async with attacker(box, f"127.0.0.{host}") as http:
                answer, _ = await start(http, other_code(window.code))
                assert answer.status_code == 200
        await pair(url(box), code=window.code, name="Comptoir 1", directory=tmp_path / "ws")


async def test_one_address_spending_wrong_codes_does_not_close_the_window(tmp_path):
    async with running_box(tmp_path) as box:
        window = box.api_context.pairing.open()
        async with attacker(box, "127.0.0.2") as http:
            verdicts = [await guess(http, other_code(window.code)) for _ in range(6)]
        assert verdicts.count("pairing_wrong_code") == 2, verdicts  # then this address is out
        assert set(verdicts[2:]) == {"pairing_closed"}, verdicts
        assert box.api_context.pairing.status()["open"]
        await pair(url(box), code=window.code, name="Comptoir 1", directory=tmp_path / "ws")


async def test_the_guess_bound_holds_whatever_the_addresses(tmp_path):
    """Five wrong codes per window in all: more addresses buy an attacker no more guesses."""
    async with running_box(tmp_path) as box:
        window = box.api_context.pairing.open()
        verdicts = []
        for host in range(2, 10):
            async with attacker(box, f"127.0.0.{host}") as http:
                verdicts.append(await guess(http, other_code(window.code)))
        assert verdicts.count("pairing_wrong_code") == 5, verdicts
        assert set(verdicts[5:]) == {"pairing_closed"}, verdicts
        with pytest.raises(BoxError) as refused:
            await pair(url(box), code=window.code, name="Comptoir 1", directory=tmp_path / "ws")
        assert refused.value.code == "pairing_closed"


async def test_a_pending_session_expires_on_its_own(tmp_path):
    ahead = [0.0]
    clock = Clock(monotonic=lambda: time.monotonic() + ahead[0])
    async with running_box(tmp_path, clock=clock) as box:
        window = box.api_context.pairing.open()
        session_s = box.api_context.pairing.session_s
        assert session_s <= 30  # a workstation completes in well under a second
        async with attacker(box, "127.0.0.2") as http:
            answer, spake = await start(http, window.code)  # even with the right code
            ahead[0] = session_s + 1  # within the two minutes of the window
            assert box.api_context.pairing.status() | {"seconds_left": 0} == {
                "open": True, "seconds_left": 0, "failures": 0,
                "max_failures": box.config.api.pairing_max_failures, "pending": 0,
                "contested": False}
            done = await complete(http, answer, spake)
        assert (done.status_code, done.json()["error"]) == (409, "pairing_session_unknown")
        assert box.api_context.clients.count() == 0


def pairing_view(box) -> v.PairingView:
    view = box.display.state.view(box.clock.monotonic())
    assert isinstance(view, v.PairingView)
    return view


async def until(predicate, what: str, timeout: float = 3.0) -> None:
    """Wait for the screen (it looks at the pairing window every second)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"the screen never showed {what}"
        await asyncio.sleep(0.05)


async def test_the_screen_says_another_device_is_trying_and_reopening_starts_afresh(tmp_path):
    screen = {"display": {"device": "dummy:128x64"}}
    async with running_box(tmp_path, **screen) as box:
        window = box.open_pairing()  # as the button or `borne pair open` does
        async with attacker(box, "127.0.0.2") as http:
            assert await guess(http, other_code(window.code)) == "pairing_wrong_code"
        await until(lambda: pairing_view(box).wrong_codes == 1, "the wrong code")
        assert not pairing_view(box).contested  # one device so far: maybe the workstation's typo
        async with attacker(box, "127.0.0.3") as http:
            await start(http, other_code(window.code))
        await until(lambda: pairing_view(box).contested, "another device trying")
        assert pairing_view(box).code == window.code  # the code stays: the owner decides

        fresh = box.open_pairing()  # the owner sees it and opens a fresh window at once
        assert box.api_context.pairing.status() | {"seconds_left": 0} == {
            "open": True, "seconds_left": 0, "failures": 0,
            "max_failures": box.config.api.pairing_max_failures, "pending": 0,
            "contested": False}
        assert pairing_view(box) == v.PairingView(fresh.code, pairing_view(box).seconds_left)
        await pair(url(box), code=fresh.code, name="Comptoir 1", directory=tmp_path / "ws")
