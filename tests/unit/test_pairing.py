"""Pairing: the window and its code, SPAKE2 both ways, wrong codes, a man in the middle (no sockets)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from spake2 import SPAKE2_B

from borne.errors import MESSAGES, BorneError
from borne.secure_channel import pairing
from borne.secure_channel.pairing import PairingClient, PairingService, hkdf_sha256

CSR = b"-----BEGIN CERTIFICATE REQUEST-----\nMIIB...workstation\n-----END CERTIFICATE REQUEST-----\n"
CA_PEM = b"-----BEGIN CERTIFICATE-----\nbox CA\n-----END CERTIFICATE-----\n"
CLIENT_ID = "ws-0123456789ab"
#: docs/api.md, section 1: answer_mac for K_confirm = bytes 0..31, "ws-3f2a9c1b7d4e", "CERT", "CA".
ANSWER_MAC_EXAMPLE = "76f5a5be06b8b5796b34e26f8e7a6f5413089e54cafe41f86d01c462205d9772"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


class Issuer:  # stands for the CA: records what it was asked to sign
    def __init__(self, ca_pem: bytes = CA_PEM) -> None:
        self.calls: list[tuple[bytes, str]] = []
        self.ca_pem = ca_pem

    def __call__(self, csr_pem: bytes, name: str) -> tuple[bytes, bytes]:
        self.calls.append((csr_pem, name))
        return b"CERT for " + hashlib.sha256(csr_pem).hexdigest().encode(), self.ca_pem


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def service(clock):
    return PairingService(clock)


def attempt(service: PairingService, code: str, issue=None, csr: bytes = CSR,
            name: str = "Comptoir 1", address: str = "192.0.2.1"):
    """A workstation's whole exchange with ``code`` from ``address``; returns (client, result)."""
    client = PairingClient(code)
    session, server_msg = service.start(client.start(), address)
    client.finish(server_msg)
    result = service.complete(session, csr, name, client.request_mac(csr, name), issue or Issuer(),
                              client_id=CLIENT_ID)
    return client, result


def code_of(error: pytest.ExceptionInfo[BorneError]) -> str:
    return error.value.code


def wrong(code: str) -> str:
    while (guess := f"{secrets.randbelow(10**6):06d}") == code:
        pass
    return guess


def test_happy_path_then_the_code_is_dead(service):
    window = service.open()
    issuer = Issuer()
    client, (cert_pem, ca_pem, box_mac, answer_mac) = attempt(service, window.code, issuer)
    assert issuer.calls == [(CSR, "Comptoir 1")] and ca_pem == CA_PEM
    client.verify_answer(CLIENT_ID, cert_pem, ca_pem, answer_mac)  # the box knows the code
    client.verify_response(cert_pem, ca_pem, box_mac)  # the first version's proof, still sent
    with pytest.raises(BorneError) as caught:
        attempt(service, window.code)
    assert code_of(caught) == "pairing_closed"


def test_code_is_six_uniform_digits_and_never_shown(service, clock, monkeypatch, caplog):
    asked: list[int] = []
    real = secrets.randbelow
    monkeypatch.setattr(pairing.secrets, "randbelow", lambda n: asked.append(n) or real(n))
    codes = [service.open().code for _ in range(2000)]
    assert set(asked) == {10**6}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert any(c.startswith("0") for c in codes) and len(set(codes)) > 1990
    caplog.set_level(logging.DEBUG)
    window = service.open()
    client, _ = attempt(service, window.code)
    shown = repr(window) + repr(client) + str(service.status()) + caplog.text
    assert window.code not in shown


def test_status_and_expiry(service, clock):
    assert service.status() == {"open": False, "seconds_left": 0.0, "failures": 0,
                                "max_failures": 5, "pending": 0, "contested": False}
    window = service.open()
    client = PairingClient(window.code)
    session, server_msg = service.start(client.start())
    clock.now += 10
    assert service.status() == {"open": True, "seconds_left": 110.0, "failures": 0,
                                "max_failures": 5, "pending": 1, "contested": False}
    clock.now += service.session_s - 10  # a pending session expires on its own
    assert service.status()["pending"] == 0
    clock.now += 100 - service.session_s
    client = PairingClient(window.code)
    session, server_msg = service.start(client.start())
    assert service.status()["pending"] == 1
    clock.now += 20  # the window is over: its pending sessions die with it
    client.finish(server_msg)
    with pytest.raises(BorneError) as caught:
        service.complete(session, CSR, "x", client.request_mac(CSR, "x"), Issuer(), client_id=CLIENT_ID)
    assert code_of(caught) == "pairing_closed" and service.status()["open"] is False
    with pytest.raises(BorneError) as caught:
        service.start(PairingClient(window.code).start())
    assert code_of(caught) == "pairing_closed"


def test_wrong_codes_are_counted_and_the_fifth_closes_the_window(service):
    window = service.open()
    for failures in range(1, 6):
        with pytest.raises(BorneError) as caught:
            attempt(service, wrong(window.code), address=f"192.0.2.{failures}")
        assert code_of(caught) == "pairing_wrong_code"
        assert service.status()["failures"] == failures
    assert service.status()["open"] is False
    with pytest.raises(BorneError) as caught:
        attempt(service, window.code)  # even the right code: the window is gone
    assert code_of(caught) == "pairing_closed"
    assert service.open().code and service.status()["failures"] == 0  # a new window: zero


def test_a_session_gives_one_try(service):
    window = service.open()
    client = PairingClient(window.code)
    session, server_msg = service.start(client.start())
    client.finish(server_msg)
    with pytest.raises(BorneError) as caught:
        service.complete(session, CSR, "x", b"\0" * 32, Issuer(), client_id=CLIENT_ID)
    assert code_of(caught) == "pairing_wrong_code"
    with pytest.raises(BorneError) as caught:  # the right proof, but the session is spent
        service.complete(session, CSR, "x", client.request_mac(CSR, "x"), Issuer(), client_id=CLIENT_ID)
    assert code_of(caught) == "pairing_session_unknown"


def test_bad_csr_from_issuer_keeps_the_window_open(service):
    window = service.open()

    def refuse(csr_pem: bytes, name: str) -> tuple[bytes, bytes]:
        raise BorneError(code="pairing_bad_csr")

    with pytest.raises(BorneError) as caught:
        attempt(service, window.code, refuse)
    assert code_of(caught) == "pairing_bad_csr"
    assert service.status()["open"] and service.status()["failures"] == 0
    attempt(service, window.code)


def test_busy_and_malformed(service):
    window = service.open()
    for _ in range(2):
        service.start(PairingClient(window.code).start(), "192.0.2.1")
    with pytest.raises(BorneError) as caught:
        service.start(PairingClient(window.code).start(), "192.0.2.1")
    assert code_of(caught) == "pairing_busy"  # two pending exchanges per address
    service.start(PairingClient(window.code).start(), "192.0.2.2")
    service.open()  # reopening drops the pending sessions
    good = PairingClient("123456").start()
    for msg in (b"", good[:-1], b"B" + good[1:], b"A" + b"\xff" * 32, "A" * 33, good + b"\0"):
        with pytest.raises(BorneError) as caught:
            service.start(msg)  # type: ignore[arg-type]
        assert code_of(caught) == "pairing_bad_request"
    client = PairingClient("123456")
    session, _ = service.start(client.start())
    for args in ((session, "csr", "x", b"m"), (session, CSR, b"x", b"m"), (session, CSR, "x", "m"),
                 (session, b"", "x", b"m"), (session, CSR, "x" * 300, b"m")):
        with pytest.raises(BorneError) as caught:
            service.complete(*args, Issuer(), client_id=CLIENT_ID)  # type: ignore[arg-type]
        assert code_of(caught) == "pairing_bad_request"
    assert service.status()["failures"] == 0
    with pytest.raises(BorneError) as caught:
        PairingClient("12a456")
    assert code_of(caught) == "pairing_bad_request"


def test_man_in_the_middle_with_a_wrong_guess(service):
    """Mallory sits between the workstation and the box, runs SPAKE2 with each, guesses wrong."""
    window = service.open()
    guess = wrong(window.code)
    workstation = PairingClient(window.code)
    ws_msg = workstation.start()
    # Mallory towards the box, as a workstation:
    towards_box = PairingClient(guess)
    session, box_msg = service.start(towards_box.start())
    towards_box.finish(box_msg)
    # Mallory towards the workstation, as the box (SPAKE2 B with her guess):
    fake_box = SPAKE2_B(guess.encode(), idA=pairing.ID_WORKSTATION, idB=pairing.ID_BOX)
    workstation.finish(fake_box.start())
    k_mallory = pairing.hkdf_sha256(fake_box.finish(ws_msg), pairing.HKDF_INFO)
    ws_mac = workstation.request_mac(CSR, "Comptoir 1")
    # 1. Relaying the workstation's own proof to the box fails: keys differ on each side.
    with pytest.raises(BorneError) as caught:
        service.complete(session, CSR, "Comptoir 1", ws_mac, Issuer(), client_id=CLIENT_ID)
    assert code_of(caught) == "pairing_wrong_code"
    # 2. Its own proof, for its own CSR, fails too.
    mallory = PairingClient(guess)
    session, box_msg = service.start(mallory.start())
    mallory.finish(box_msg)
    evil_csr = CSR.replace(b"workstation", b"mallory")
    with pytest.raises(BorneError) as caught:
        service.complete(session, evil_csr, "Comptoir 1", mallory.request_mac(evil_csr, "Comptoir 1"),
                         Issuer(), client_id=CLIENT_ID)
    assert code_of(caught) == "pairing_wrong_code"
    # 3. Passing its own CA off as the box's: the workstation refuses it.
    evil_ca = b"-----BEGIN CERTIFICATE-----\nMallory CA\n-----END CERTIFICATE-----\n"
    evil_cert = b"cert for the workstation, signed by Mallory CA"
    with pytest.raises(BorneError) as caught:
        workstation.verify_response(evil_cert, evil_ca,
                                    pairing.response_mac(k_mallory, evil_cert, evil_ca))
    assert code_of(caught) == "pairing_box_not_authenticated"
    assert service.status()["failures"] == 2


def test_pure_relay_cannot_swap_the_csr_or_the_ca(service):
    """Mallory forwards the SPAKE2 messages unchanged (so she has no key) and edits the payloads."""
    window = service.open()

    def relayed() -> tuple[PairingClient, str, bytes]:
        # Each exchange relayed for another workstation: one wrong code per address.
        workstation = PairingClient(window.code)
        session, server_msg = service.start(workstation.start(), f"ws-{secrets.token_hex(4)}")
        workstation.finish(server_msg)
        return workstation, session, workstation.request_mac(CSR, "Comptoir 1")

    for csr, name in ((CSR.replace(b"workstation", b"mallory"), "Comptoir 1"), (CSR, "Mallory")):
        _, session, mac = relayed()
        with pytest.raises(BorneError) as caught:
            service.complete(session, csr, name, mac, Issuer(), client_id=CLIENT_ID)
        assert code_of(caught) == "pairing_wrong_code"
    workstation, session, mac = relayed()
    cert, ca, box_mac, answer_mac = service.complete(session, CSR, "Comptoir 1", mac, Issuer(),
                                                     client_id=CLIENT_ID)
    workstation.verify_response(cert, ca, box_mac)
    workstation.verify_answer(CLIENT_ID, cert, ca, answer_mac)
    for evil in ((cert, b"Mallory CA"), (b"Mallory cert", ca)):
        with pytest.raises(BorneError):
            workstation.verify_response(*evil, box_mac)
        with pytest.raises(BorneError):
            workstation.verify_answer(CLIENT_ID, *evil, answer_mac)
    for client_id in ("ws-000000000000", CLIENT_ID + " ", ""):  # the id the journal is sealed for
        with pytest.raises(BorneError) as caught:
            workstation.verify_answer(client_id, cert, ca, answer_mac)
        assert code_of(caught) == "pairing_box_not_authenticated"


def test_both_proofs_use_constant_time_comparison(service, monkeypatch):
    compared: list[int] = []
    real = pairing.hmac.compare_digest
    monkeypatch.setattr(pairing.hmac, "compare_digest",
                        lambda a, b: compared.append(len(a)) or real(a, b))
    window = service.open()
    with pytest.raises(BorneError):
        attempt(service, wrong(window.code))
    client, result = attempt(service, window.code, address="192.0.2.2")
    client.verify_answer(CLIENT_ID, result.cert_pem, result.ca_pem, result.answer_mac)
    client.verify_response(result.cert_pem, result.ca_pem, result.box_mac)
    assert compared == [32, 32, 32, 32]


def test_one_digit_off_codes_fail(clock):
    service = PairingService(clock, max_failures=1000,  # one window for every near miss
                             failures_per_address=1000)
    code = service.open().code
    near = {code[:i] + d + code[i + 1:] for i in range(6) for d in "0123456789"} - {code}
    near |= {code[1:], code + "0", "0" + code}  # lengths differ: still other passwords
    for guess in sorted(near):
        with pytest.raises(BorneError) as caught:
            attempt(service, guess)
        assert code_of(caught) == "pairing_wrong_code"
    assert service.status()["failures"] == len(near)


def test_random_wrong_codes_never_pair_across_windows(service):
    """Property: no wrong code ever pairs; every fifth failure closes the window.

    Real SPAKE2 costs ~15 ms per attempt here, so the default run tries 100 codes
    over 20 windows (about 1.5 s); ``BORNE_PAIRING_TRIALS=2000`` runs 2,000 (about 30 s).
    """
    trials = int(os.environ.get("BORNE_PAIRING_TRIALS", "100"))
    started, windows = time.monotonic(), 0
    for i in range(trials):
        if i % 5 == 0:
            window, windows = service.open(), windows + 1
        with pytest.raises(BorneError) as caught:
            attempt(service, wrong(window.code), address=f"192.0.2.{i % 5}")
        assert code_of(caught) == "pairing_wrong_code"
        assert service.status()["open"] is (i % 5 != 4)
    assert windows == -(-trials // 5) and time.monotonic() - started < 60


def test_hkdf_matches_rfc5869_implementation():
    for key, info in ((b"k" * 32, b"borne pairing v1"), (os.urandom(32), b"")):
        reference = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)
        assert hkdf_sha256(key, info) == reference
    assert len(hkdf_sha256(b"k", b"i", length=80)) == 80


def test_every_pairing_code_has_messages():
    for code in ("closed", "busy", "bad_request", "wrong_code", "session_unknown", "bad_csr",
                 "box_not_authenticated"):
        assert MESSAGES[f"pairing_{code}"].fr and MESSAGES[f"pairing_{code}"].en


def test_a_message_off_the_curve_is_a_bad_request_not_a_crash():
    """Found by the API fuzz run: about half of random 32-byte points are not on the curve."""
    from borne.errors import BorneError
    from borne.secure_channel.pairing import PairingService

    class Clock:
        def monotonic(self) -> float:
            return 0.0

    service = PairingService(Clock())
    refused = 0
    for filler in range(0, 256, 4):  # 64 points: with half refused, none refused is 2**-64
        service.open()  # a fresh window: accepted points must not fill the pending sessions
        try:
            service.start(b"A" + bytes([filler]) * 32)
        except BorneError as error:
            assert error.code == "pairing_bad_request"
            refused += 1
    assert refused > 0


def test_one_address_cannot_hold_the_window(service, clock):
    """Issue 16, finding 3: pending sessions expire, are limited per address, and the oldest
    makes room; one address's wrong codes shut out that address, the fifth in all everyone."""
    window = service.open()
    for host in range(1, 12):  # more addresses than the table holds: the oldest make room
        service.start(PairingClient(wrong(window.code)).start(), f"192.0.2.{host}")
    assert service.status()["pending"] == 8 and service.status()["contested"] is True
    attempt(service, window.code, address="192.0.2.99")  # the workstation still pairs

    window = service.open()
    assert service.current() == window and not window.contested  # reopened: afresh
    for _ in range(2):
        with pytest.raises(BorneError) as caught:
            attempt(service, wrong(window.code), address="192.0.2.1")
        assert code_of(caught) == "pairing_wrong_code"
    with pytest.raises(BorneError) as caught:  # this address spent its wrong codes
        attempt(service, window.code, address="192.0.2.1")
    assert code_of(caught) == "pairing_closed"
    assert service.current().failures == 2 and not service.current().contested
    for host in (2, 3):
        with pytest.raises(BorneError):
            attempt(service, wrong(window.code), address=f"192.0.2.{host}")
    assert service.current().contested and service.current().failures == 4
    with pytest.raises(BorneError) as caught:
        attempt(service, wrong(window.code), address="192.0.2.4")
    assert code_of(caught) == "pairing_wrong_code" and service.current() is None  # 5 in all

    window = service.open()
    client = PairingClient(window.code)
    session, server_msg = service.start(client.start(), "192.0.2.1")
    client.finish(server_msg)
    clock.now += service.session_s
    with pytest.raises(BorneError) as caught:
        service.complete(session, CSR, "x", client.request_mac(CSR, "x"), Issuer(),
                         client_id=CLIENT_ID)
    assert code_of(caught) == "pairing_session_unknown"  # expired, though the window is open


def test_the_answer_proof_is_the_documented_encoding():
    """docs/api.md's worked example of ``answer_mac`` (vendors implement it from there)."""
    k_confirm = bytes(range(32))
    proof = pairing.answer_mac(k_confirm, "ws-3f2a9c1b7d4e", b"CERT", b"CA")
    data = (b"borne-pair-answer\0" + hashlib.sha256(b"ws-3f2a9c1b7d4e").digest()
            + hashlib.sha256(b"CERT").digest() + hashlib.sha256(b"CA").digest())
    assert proof == hmac.new(k_confirm, data, hashlib.sha256).digest()
    assert proof.hex() == ANSWER_MAC_EXAMPLE
    docs = Path(__file__).resolve().parents[2] / "docs" / "api.md"
    assert ANSWER_MAC_EXAMPLE in docs.read_text(encoding="utf-8")


def test_room_is_made_from_the_addresses_holding_the_most(service):
    """Four attackers keep two sessions each pending (starting again whenever one of theirs
    made room): the workstation's one session survives them all."""
    window = service.open()
    attackers = [f"192.0.2.{host}" for host in range(1, 5)]
    for address in attackers * 2:
        service.start(PairingClient(wrong(window.code)).start(), address)
    workstation = PairingClient(window.code)
    session, server_msg = service.start(workstation.start(), "198.51.100.7")
    for turn in range(20):
        try:
            service.start(PairingClient(wrong(window.code)).start(), attackers[turn % 4])
        except BorneError as error:
            assert error.code == "pairing_busy"  # that one still holds two
    assert service.status()["pending"] == 8
    workstation.finish(server_msg)
    done = service.complete(session, CSR, "Comptoir 1", workstation.request_mac(CSR, "Comptoir 1"),
                            Issuer(), client_id=CLIENT_ID)
    workstation.verify_answer(CLIENT_ID, done.cert_pem, done.ca_pem, done.answer_mac)
