"""What every test may use.

The machine the integration and security tests need (root, private namespaces) is set up by
their own ``conftest.py``; the hardware-in-the-loop tests use the box's own (``tests/hil``).
The private pcscd and its virtual cards (``sim_pcscd``, ``card_slots``) are here so that both
directories share one per session: a process has one ``/run/pcscd``, so a second private
pcscd in the same run would find the first. Only a test that asks for them starts them
(unit tests never do). So is ``rauc_box``, a real RAUC on loop devices for the update tests,
and ``nm_mock``, NetworkManager played by python-dbusmock on a private bus.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from support.waiting import wait_for

if TYPE_CHECKING:
    from pathlib import Path

    from support.nm_bus import NmMock
    from support.rauc_box import RaucBox
    from borne.sim.cardslots import CardSlots
    from borne.sim.pcscd import PrivatePcscd


@pytest.fixture(name="wait_for")
def wait_for_fixture() -> Callable[..., object]:
    """:func:`support.waiting.wait_for` as a fixture."""
    return wait_for


@pytest.fixture(scope="session")
def sim_pcscd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivatePcscd]:
    """A private pcscd serving ``DEFAULT_SIM_READERS`` (slots 0, 1 contact; 2 contactless; 3 spare).

    Shared by the session: a test that stops, kills or restarts it with other
    readers must leave it running with the defaults (``sim_pcscd.restart(DEFAULT_SIM_READERS)``).
    """
    from borne.sim.pcscd import DEFAULT_SIM_READERS, PrivatePcscd

    pcscd = PrivatePcscd(tmp_path_factory.mktemp("pcscd"), DEFAULT_SIM_READERS)
    pcscd.start()
    yield pcscd
    pcscd.stop()


@pytest.fixture
def card_slots(sim_pcscd: PrivatePcscd) -> Iterator[CardSlots]:
    """Virtual cards for ``sim_pcscd``'s slots; every card is removed after the test.

    Teardown waits until pcscd reports those slots empty: otherwise the next
    test could see the old card (and its ATR) for up to pcscd's 400 ms poll.
    """
    from borne.sim.cardslots import CardSlots

    slots = CardSlots(sim_pcscd)
    yield slots
    slots.remove_all(wait=True)


@pytest.fixture
def rauc_box(tmp_path: Path) -> Iterator[RaucBox]:
    """A real ``rauc service`` on a private D-Bus with loop-device slots A and B, booted on A
    at version 1.0.0 (:mod:`support.rauc_box`); stopped and detached after the test."""
    from support.rauc_box import RaucBox, missing_tools

    missing = missing_tools()
    if missing:
        pytest.fail("the update tests need " + ", ".join(missing)
                    + " (Debian: rauc rauc-service dbus squashfs-tools)")
    box = RaucBox(tmp_path / "rauc")
    try:
        yield box.start()
    finally:
        box.stop()


@pytest.fixture
def nm_mock(tmp_path: Path) -> Iterator[NmMock]:
    """NetworkManager on a private D-Bus (python-dbusmock's template, :mod:`support.nm_bus`),
    with no device yet; stopped after the test."""
    from support.nm_bus import NmMock

    mock = NmMock(tmp_path / "nm").start()
    yield mock
    mock.stop()
