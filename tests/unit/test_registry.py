"""The backend registry: strict path strings, and a twin for every kind of device."""

from __future__ import annotations

import pytest

from borne.config import Config
from borne.errors import UnknownBackend
from borne.registry import REGISTRY, parse_path


def test_every_kind_has_a_virtual_twin_that_loads_without_hardware():
    for kind, backends in REGISTRY.items():
        twins = [spec for spec in backends.values() if spec.virtual]
        assert twins, f"{kind} has no virtual twin"
        for spec in twins:
            cls = spec.load_class()
            path = (spec.scheme if spec.argument != "required"
                    else f"{spec.scheme}:{spec.example or 'x'}")
            parsed, argument = parse_path(kind, path)
            backend = cls.from_path(parsed.scheme, argument, Config())
            assert backend.describe()["device"]


def test_every_registered_backend_class_exists():
    for backends in REGISTRY.values():
        for spec in backends.values():
            assert hasattr(spec.load_class(), "from_path")


@pytest.mark.parametrize(
    ("path", "scheme", "argument"),
    [("pcsc", "pcsc", None), ("pcsc:Kapelse*", "pcsc", "Kapelse*"), ("sim", "sim", None)],
)
def test_valid_paths(path, scheme, argument):
    spec, parsed = parse_path("smartcard", path)
    assert (spec.scheme, parsed) == (scheme, argument)


@pytest.mark.parametrize("path", ["", "pcscd", "PCSC", "sim:1", "usb:054c"])
def test_invalid_paths_fail_loudly(path):
    with pytest.raises(UnknownBackend):
        parse_path("smartcard", path)


def test_unknown_kind():
    with pytest.raises(UnknownBackend, match="unknown device kind"):
        parse_path("toaster", "pcsc")


def test_sim_backend_only_watches_the_simulators_readers():
    spec, argument = parse_path("smartcard", "sim")
    backend = spec.load_class().from_path("sim", argument, Config())
    assert backend._wanted("Borne Sim 00 00")
    assert not backend._wanted("Kapelse KAP-Move 00 00")
    assert not backend._wanted("\\\\?PnP?\\Notification")
