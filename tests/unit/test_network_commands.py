"""The control socket's ``network.*`` commands (borne.network.commands) with a stand-in service."""

from __future__ import annotations

import pytest

from borne.errors import BorneError
from borne.network.commands import network_commands
from borne.network.nm_results import KnownNetwork


class _Service:
    def __init__(self) -> None:
        self.kept = [KnownNetwork("u-1", "Pharmacie", 10, True, True)]
        self.windows: list[float] = []

    async def known(self) -> list[KnownNetwork]:
        return list(self.kept)

    async def forget(self, ident: str) -> bool:
        before = len(self.kept)
        self.kept = [k for k in self.kept if k.id != ident]
        return len(self.kept) < before

    def open_window(self, seconds: float) -> None:
        self.windows.append(seconds)


async def test_list_forget_and_an_unknown_id():
    service = _Service()
    commands = network_commands(service)
    assert await commands["network.list"](None, {}) == [
        {"id": "u-1", "ssid": "Pharmacie", "priority": 10, "autoconnect": True, "active": True}]
    assert await commands["network.forget"](None, {"id": "u-1"}) == {"id": "u-1",
                                                                      "ssid": "Pharmacie"}
    with pytest.raises(BorneError) as unknown:
        await commands["network.forget"](None, {"id": "u-1"})
    assert unknown.value.code == "network_unknown"


@pytest.mark.parametrize("seconds", [0, 601, -5, True, "60", None, float("nan")])
async def test_a_window_out_of_bounds_is_refused(seconds):
    service = _Service()
    with pytest.raises(BorneError) as refused:
        await network_commands(service)["network.window"](None, {"seconds": seconds})
    assert refused.value.code == "network_window_invalid" and service.windows == []


async def test_a_window_is_opened():
    service = _Service()
    assert await network_commands(service)["network.window"](None, {"seconds": 60}) \
        == {"seconds": 60}
    assert service.windows == [60.0]
