"""Pairing a workstation with the box: physical presence, a short code, SPAKE2. No I/O here.

The owner opens a window on the box (button or ``borne pair open``); the screen
shows a 6-digit code for two minutes. The workstation does not trust the box's
TLS certificate yet, so anyone on the LAN may sit in the middle. The exchange::

    workstation (SPAKE2_A, code)            box (SPAKE2_B, code)
      start: client_msg  ─────────────────►  start(client_msg) -> session, server_msg
                         ◄─────────────────  server_msg
      both: K = SPAKE2 key; K_confirm = HKDF-SHA256(K, info=b"borne pairing v1")
      complete: session, CSR, name,
        mac = HMAC(K_confirm, "borne-pair-request\\0" ‖ sha256(CSR) ‖ name)
                         ─────────────────►  checked in constant time; issue the certificate
                         ◄─────────────────  client_id, cert, CA, answer_mac =
                                               HMAC(K_confirm, "borne-pair-answer\\0" ‖ sha256(client_id)
                                                    ‖ sha256(cert) ‖ sha256(CA))
      verify_answer: answer_mac checked -> keep client_id, cert; pin the CA

(The answer also carries ``mac``, the first version's proof over the CA and the
certificate only, for SDKs written before ``answer_mac``: it let a relay rewrite
``client_id``, so that the workstation could never open its journal.)

Why not simply ``HMAC(code, CSR)``: the code has only 10^6 values. Anyone who
records one exchange (or relays it) can try all of them offline in a second and
then has the code, the MAC key, and a way to pass its own CA off as the box's.
With SPAKE2 each run of the protocol lets an active attacker test exactly one
guess, and a passive one none; the box allows ``max_failures`` wrong guesses per
window in all, whatever the addresses they come from, so an attacker's chance is
at most 5 in a million per window. Both MACs bind the SPAKE2 key (itself bound to
both messages and the code) to what is transferred: the box to the CSR and name,
the workstation to everything it keeps (client id, certificate, CA).

An attacker on the LAN sees when a window opens (start answers ``pairing_closed``
until then) and may try to keep the real workstation out of it. So a pending
session expires after ``session_s`` (a workstation completes within a second);
one source address holds at most ``pending_per_address`` sessions, and when
``max_pending`` are pending the oldest session of the address that started the
most exchanges makes room; an address that spends ``failures_per_address`` wrong
codes is shut out of the window, which closes for everyone only at
``max_failures``. The screen learns from :meth:`PairingService.current` that
another device is trying, and the owner reopens a fresh window (:meth:`open`).

The code is never logged, never in a ``repr`` and never in :meth:`PairingService.status`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, Protocol

from spake2 import SPAKE2_A, SPAKE2_B
from spake2.ed25519_basic import NotOnCurve
from spake2.spake2 import SPAKEError

from ..errors import BorneError, Message

__all__ = ["PairingClient", "PairingCompletion", "PairingService", "PairingWindow",
           "answer_mac", "hkdf_sha256"]

ID_WORKSTATION = b"borne-workstation"
ID_BOX = b"borne-box"
HKDF_INFO = b"borne pairing v1"
REQUEST_LABEL = b"borne-pair-request\0"
RESPONSE_LABEL = b"borne-pair-response\0"
ANSWER_LABEL = b"borne-pair-answer\0"
_MAX_NAME = 256
_MAX_CSR = 16 * 1024
_MAX_ADDRESSES = 4096


class _Monotonic(Protocol):
    def monotonic(self) -> float: ...


def hkdf_sha256(key: bytes, info: bytes, length: int = 32, salt: bytes = b"") -> bytes:
    """HKDF-SHA256 (RFC 5869), here so that a workstation SDK needs only the standard library."""
    prk = hmac.new(salt or b"\0" * 32, key, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out, counter = out + block, counter + 1
    return out[:length]


def request_mac(k_confirm: bytes, csr_pem: bytes, name: str) -> bytes:
    """The workstation's proof: it knows the code, and this CSR and name are the ones it sent."""
    data = REQUEST_LABEL + hashlib.sha256(csr_pem).digest() + name.encode("utf-8")
    return hmac.new(k_confirm, data, hashlib.sha256).digest()


def response_mac(k_confirm: bytes, cert_pem: bytes, ca_pem: bytes) -> bytes:
    """The box's proof: it knows the code, and this CA and certificate are the ones it sent."""
    data = RESPONSE_LABEL + hashlib.sha256(ca_pem).digest() + hashlib.sha256(cert_pem).digest()
    return hmac.new(k_confirm, data, hashlib.sha256).digest()


def answer_mac(k_confirm: bytes, client_id: str, cert_pem: bytes, ca_pem: bytes) -> bytes:
    """The box's proof over every field of its answer the workstation keeps.

    ``HMAC-SHA256(K_confirm, ANSWER_LABEL ‖ sha256(client_id) ‖ sha256(cert) ‖ sha256(CA))``:
    each field's SHA-256 (of the exact UTF-8 of its JSON string), so the fields cannot
    slide into one another. The admin flag is in the certificate (OU ``admin``).
    """
    data = ANSWER_LABEL + b"".join(hashlib.sha256(field).digest()
                                   for field in (client_id.encode("utf-8"), cert_pem, ca_pem))
    return hmac.new(k_confirm, data, hashlib.sha256).digest()


def _confirm_key(spake_key: bytes) -> bytes:
    return hkdf_sha256(spake_key, HKDF_INFO)


@dataclass(frozen=True)
class PairingWindow:
    """An open pairing window: the code to show on screen and when it stops working.

    From :meth:`PairingService.current` it also says what the screen tells the owner:
    ``contested`` (exchanges started from more than one address) and ``failures``.
    """

    code: str = field(repr=False)  # shown on the OLED, nowhere else
    expires_mono: float
    contested: bool = False
    failures: int = 0


class PairingCompletion(NamedTuple):
    """What the box answers a right proof: the new certificate, its CA and the box's proofs."""

    cert_pem: bytes
    ca_pem: bytes
    box_mac: bytes  # the first version's proof (CA and certificate), for older SDKs
    answer_mac: bytes  # over every field the workstation keeps (:func:`answer_mac`)


@dataclass
class _Session:
    k_confirm: bytes = field(repr=False)
    address: str
    expires_mono: float


class PairingService:
    """The box's side: the window, the code, the sessions, the failure counts.

    Thread-safe (one lock): the API may run :meth:`start` in a worker thread, as
    SPAKE2 in pure Python costs milliseconds (more on a Pi Zero). Holding the lock
    through :meth:`complete`, ``issue`` included, makes sure a code pairs once.
    ``address`` is where an exchange comes from (the API passes the peer's exact
    address, never an IPv6 /64, which the workstation shares with any attacker on its
    LAN): the limits that keep one attacker from taking the window count per address.
    """

    def __init__(self, clock: _Monotonic, *, window_s: float = 120.0, max_failures: int = 5,
                 max_pending: int = 8, code_digits: int = 6, session_s: float = 20.0,
                 pending_per_address: int = 2, failures_per_address: int = 2) -> None:
        self._clock = clock
        self._window_s = window_s
        self._max_failures = max_failures
        self._max_pending = max_pending
        self._digits = code_digits
        self._session_s = session_s
        self._pending_per_address = pending_per_address
        self._failures_per_address = failures_per_address
        self._lock = threading.RLock()
        self._window: PairingWindow | None = None
        self._failures = 0
        # Wrong codes per address: at most max_failures keys, the window closes then.
        self._failures_from: dict[str, int] = {}
        # The first address that started an exchange, and whether another one did since.
        self._first_address: str | None = None
        # Exchanges each address started in this window (bounded: _MAX_ADDRESSES, then
        # one shared count), to choose whose session makes room.
        self._starts: dict[str, int] = {}
        self._contested = False
        self._sessions: dict[str, _Session] = {}  # oldest first

    @property
    def session_s(self) -> float:
        """Seconds a pending session lives before it expires on its own."""
        return self._session_s

    def open(self) -> PairingWindow:
        """Open a window with a fresh code, replacing any previous window and its sessions.

        Everything starts afresh: failures, the addresses shut out, the contention
        shown on screen. The owner does this when someone else is trying.
        """
        with self._lock:
            code = f"{secrets.randbelow(10 ** self._digits):0{self._digits}d}"
            self._window = PairingWindow(code, self._clock.monotonic() + self._window_s)
            self._failures = 0
            self._failures_from.clear()
            self._first_address, self._contested = None, False
            self._starts.clear()
            self._sessions.clear()
            return self._window

    def close(self) -> None:
        """Close the window: the code is dead and pending sessions are dropped."""
        with self._lock:
            self._window = None
            self._sessions.clear()

    def _open_window(self) -> PairingWindow:
        window = self._window
        now = self._clock.monotonic()
        if window is not None and now >= window.expires_mono:
            self.close()
            window = None
        if window is None:
            raise BorneError(code="pairing_closed")
        for session_id in [key for key, session in self._sessions.items()
                           if now >= session.expires_mono]:
            del self._sessions[session_id]  # a workstation completes within a second
        return window

    def current(self) -> PairingWindow | None:
        """The open window (its code is for the box's screen only) and its contention, or None."""
        with self._lock:
            try:
                window = self._open_window()
            except BorneError:
                return None
            return replace(window, contested=self._contested, failures=self._failures)

    def status(self) -> dict[str, Any]:
        """``{"open", "seconds_left", "failures", "max_failures", "pending", "contested"}``:
        never the code."""
        with self._lock:
            try:
                window = self._open_window()
            except BorneError:
                return {"open": False, "seconds_left": 0.0, "failures": self._failures,
                        "max_failures": self._max_failures, "pending": 0,
                        "contested": self._contested}
            left = max(0.0, window.expires_mono - self._clock.monotonic())
            return {"open": True, "seconds_left": round(left, 1), "failures": self._failures,
                    "max_failures": self._max_failures, "pending": len(self._sessions),
                    "contested": self._contested}

    def start(self, client_msg: bytes, address: str = "unknown") -> tuple[str, bytes]:
        """First step: the workstation's SPAKE2 message in, ``(session_id, server_msg)`` out.

        Raises ``pairing_closed`` (no window, or ``address`` spent its wrong codes),
        ``pairing_busy`` (``address`` already has ``pending_per_address`` sessions)
        or ``pairing_bad_request`` (not a SPAKE2 A message). With ``max_pending``
        sessions pending, one is dropped to make room: the oldest of the address
        that started the most exchanges in this window.
        """
        if not isinstance(client_msg, bytes) or len(client_msg) != 33 or client_msg[:1] != b"A":
            raise BorneError("not a SPAKE2 workstation message", code="pairing_bad_request")
        with self._lock:
            window = self._open_window()
            if address not in self._starts and len(self._starts) >= _MAX_ADDRESSES:
                address = "(many)"  # the count is bounded; such an attacker shows on screen
            if self._failures_from.get(address, 0) >= self._failures_per_address:
                raise BorneError("this address spent its wrong codes", code="pairing_closed")
            if sum(s.address == address for s in self._sessions.values()) \
                    >= self._pending_per_address:
                raise BorneError(code="pairing_busy")
            box = SPAKE2_B(window.code.encode("ascii"), idA=ID_WORKSTATION, idB=ID_BOX)
            server_msg = box.start()
            try:
                key = box.finish(client_msg)
            # Not a point of the group (spake2 raises NotOnCurve, not SPAKEError, for
            # 32 bytes off the curve), or a reflected message.
            except (SPAKEError, NotOnCurve, ValueError):
                raise BorneError("not a SPAKE2 workstation message",
                                 code="pairing_bad_request") from None
            if len(self._sessions) >= self._max_pending:
                self._make_room()
            self._starts[address] = self._starts.get(address, 0) + 1
            if self._first_address is None:
                self._first_address = address
            self._contested = self._contested or address != self._first_address
            session_id = secrets.token_urlsafe(16)
            self._sessions[session_id] = _Session(
                _confirm_key(key), address, self._clock.monotonic() + self._session_s)
            return session_id, server_msg

    def complete(self, session_id: str, csr_pem: bytes, name: str, mac: bytes,
                 issue: Callable[[bytes, str], tuple[bytes, bytes]], *,
                 client_id: str) -> PairingCompletion:
        """Second step: check the workstation's proof, then ``issue(csr_pem, name)`` once.

        ``issue`` returns ``(cert_pem, ca_pem)`` for ``client_id``; the answer's proof
        covers the three. Closes the window (a used code is dead). A wrong proof drops
        the session and counts a failure (``pairing_wrong_code``), against the address
        that started the session too: its ``failures_per_address``-th shuts that
        address out, the ``max_failures``-th in all closes the window. An unknown,
        expired or spent session is ``pairing_session_unknown``. Errors raised by
        ``issue`` (e.g. ``pairing_bad_csr``) pass through; the window stays open.
        """
        if (not isinstance(csr_pem, bytes) or not 0 < len(csr_pem) <= _MAX_CSR
                or not isinstance(name, str) or len(name) > _MAX_NAME
                or not isinstance(mac, bytes) or not isinstance(session_id, str)):
            raise BorneError("malformed completion", code="pairing_bad_request")
        with self._lock:
            self._open_window()
            session = self._sessions.pop(session_id, None)  # one proof per session, right or wrong
            if session is None:
                raise BorneError(code="pairing_session_unknown")
            expected = request_mac(session.k_confirm, csr_pem, name)
            if not hmac.compare_digest(expected, mac):
                self._wrong_code(session.address)
                raise BorneError(code="pairing_wrong_code")
            cert_pem, ca_pem = issue(csr_pem, name)
            self.close()
            return PairingCompletion(
                cert_pem, ca_pem, response_mac(session.k_confirm, cert_pem, ca_pem),
                answer_mac(session.k_confirm, client_id, cert_pem, ca_pem))

    def _make_room(self) -> None:
        """Drop the oldest session of the address that started the most exchanges in this
        window: a workstation starts one or two, an attacker keeping sessions pending many."""
        del self._sessions[max(self._sessions,
                               key=lambda key: self._starts.get(self._sessions[key].address, 0))]

    def _wrong_code(self, address: str) -> None:
        self._failures += 1
        spent = self._failures_from[address] = self._failures_from.get(address, 0) + 1
        if self._failures >= self._max_failures:
            self.close()  # the guess bound: max_failures per window, whatever the addresses
        elif spent >= self._failures_per_address:
            for session_id in [key for key, session in self._sessions.items()
                               if session.address == address]:
                del self._sessions[session_id]


class PairingClient:
    """The workstation's side (reference for SDKs): ``start``, ``finish``, ``request_mac``, ``verify_answer``."""

    def __init__(self, code: str) -> None:
        if not (isinstance(code, str) and code.isascii() and code.isdigit()):
            raise BorneError(Message("le code ne contient que des chiffres", "the code is digits only"),
                             code="pairing_bad_request")
        self._spake = SPAKE2_A(code.encode("ascii"), idA=ID_WORKSTATION, idB=ID_BOX)
        self._k_confirm: bytes | None = None

    def __repr__(self) -> str:
        return "PairingClient(<code hidden>)"

    def start(self) -> bytes:
        """The first message, for ``POST /v1/pairing/start``."""
        return self._spake.start()

    def finish(self, server_msg: bytes) -> None:
        """Take in the box's message; the key is derived, not yet confirmed."""
        try:
            key = self._spake.finish(server_msg)
        except (SPAKEError, ValueError, TypeError):
            raise BorneError(Message("réponse de la borne mal formée", "malformed answer from the box"),
                             code="pairing_box_not_authenticated") from None
        self._k_confirm = _confirm_key(key)

    def _key(self) -> bytes:
        if self._k_confirm is None:
            raise RuntimeError("finish() first")
        return self._k_confirm

    def request_mac(self, csr_pem: bytes, name: str) -> bytes:
        """The proof to send with the CSR and the name (exactly the bytes and name sent)."""
        return request_mac(self._key(), csr_pem, name)

    def verify_response(self, cert_pem: bytes, ca_pem: bytes, box_mac: bytes) -> None:
        """The first version's check (``mac``: CA and certificate only); prefer :meth:`verify_answer`."""
        expected = response_mac(self._key(), cert_pem, ca_pem)
        if not (isinstance(box_mac, bytes) and hmac.compare_digest(expected, box_mac)):
            raise BorneError(code="pairing_box_not_authenticated")

    def verify_answer(self, client_id: str, cert_pem: bytes, ca_pem: bytes,
                      proof: bytes) -> None:
        """Raise ``pairing_box_not_authenticated`` unless the box proved it knows the code
        and sent exactly this ``client_id``, certificate and CA (``answer_mac``).

        Only then keep them and pin ``ca_pem``. An SDK should also check that
        ``cert_pem`` holds its own public key and ``client_id``, signed by ``ca_pem``
        (:mod:`borne.client.pairing` does).
        """
        if not isinstance(client_id, str):
            raise BorneError(code="pairing_box_not_authenticated")
        expected = answer_mac(self._key(), client_id, cert_pem, ca_pem)
        if not (isinstance(proof, bytes) and hmac.compare_digest(expected, proof)):
            raise BorneError(code="pairing_box_not_authenticated")
