"""The workstation's errors: the box's refusals, and every way of failing to reach it, each with a code.

Lower layers (httpx, httpcore, anyio, :mod:`ssl`, the socket and the file system) are
translated here, once, most specific first; the SDK (:mod:`borne.client.api`,
:mod:`borne.client.pairing`) raises nothing else, so ``borne client ...`` and
``borne bridge`` print one line, ``borne: <message> [<code>]``, never a traceback.

Hierarchy::

    BoxError (Exception)             the box refused (its JSON error code), or see below
     └── BoxConnectionError (also ConnectionError)   no usable answer from the box

What each failure becomes (``code``; words in :mod:`borne.error_catalogue`):

================================================  ============================  ==================
failure                                           code                          class
================================================  ============================  ==================
URL not ``https://HOST[:PORT]`` (``http://``)     ``box_url_invalid``           BoxError
pairing folder or one of its files unreadable     ``pairing_files_unreadable``  BoxError
pairing folder where the files cannot be written  ``pairing_files_unwritable``  BoxError
the folder holds a pairing already                ``already_paired``            BoxError
no IPv4 network for ``borne client find``         ``network_unavailable``       BoxConnectionError
host name unknown (DNS)                           ``box_host_unknown``          BoxConnectionError
refused, unreachable, reset, cut                  ``box_unreachable``           BoxConnectionError
no answer in time (connect, read, deadline)       ``box_timeout``               BoxConnectionError
server certificate from another CA than pinned    ``box_ca_changed``            BoxConnectionError
server certificate otherwise not valid            ``box_not_trusted``           BoxConnectionError
TLS alert about this workstation's certificate    ``certificate_refused``       BoxConnectionError
any other TLS failure (plain HTTP on the port)    ``box_tls_failed``            BoxConnectionError
not HTTP, not a JSON object, too large, a field   ``box_answer_invalid``        BoxConnectionError
missing
an HTTP error without the box's JSON shape        ``http_error``                BoxError
the box's JSON error ``{"error": ...}``           its code                      BoxError
================================================  ============================  ==================

The technical reason (OpenSSL's, the socket's) is in ``details["reason"]``, in English;
the message is the catalogue's words in the client's language with the box's URL (or the
folder) in them: "Borne injoignable (https://10.0.0.7:8443) : vérifiez qu'elle est allumée...".
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from ..error_catalogue import message_for

__all__ = ["PERMANENT", "BoxConnectionError", "BoxError", "box_failure", "check_box_url", "files_failure",
           "transport_failure"]


class BoxError(Exception):
    """The box refused a request, or could not be used: ``code`` is the stable error code.

    ``status`` is the HTTP status of the box's answer, 0 when there was none;
    ``message`` a sentence for a person, in the language the client asked for.
    """

    def __init__(self, status: int, code: str, message: str = "",
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}


class BoxConnectionError(BoxError, ConnectionError):
    """No usable answer from the box (network, TLS, or not a box): ``status`` is 0."""


#: Failures that trying again cannot cure: the address, or who the box or this workstation
#: is (the box refuses it, or revoked it).
PERMANENT = frozenset({"box_url_invalid", "pairing_files_unreadable", "box_not_trusted",
                       "box_ca_changed",
                       "certificate_refused", "unauthenticated", "client_revoked"})


def box_failure(code: str, where: str, language: str, *, reason: str = "",
                connection: bool = True) -> BoxError:
    """A :class:`BoxConnectionError` (``connection``) or :class:`BoxError` with the catalogue's words."""
    kind = BoxConnectionError if connection else BoxError
    details = {"url": where, **({"reason": reason} if reason else {})}
    return kind(0, code, _placed(message_for(code, language), where), details)


def _placed(words: str, where: str) -> str:
    """``where`` after what went wrong, before what to do: "Borne injoignable (URL) : vérifiez..."."""
    for separator in (" : ", ": "):
        what, found, todo = words.partition(separator)
        if found:
            return f"{what} ({where}){separator}{todo}"
    return f"{words} ({where})"


def check_box_url(url: str, language: str = "fr") -> str:
    """``url`` without its trailing ``/``, or :class:`BoxError` ``box_url_invalid``.

    A box's API is ``https://HOST:PORT`` (8443): ``http://``, a missing scheme, a
    path, or a port out of range are refused before anything is sent.
    """
    base = str(url).strip().rstrip("/")
    try:
        parts = urlsplit(base)
        port = parts.port  # raises ValueError when out of range or not a number
    except ValueError:
        parts, port = None, None
    if (parts is None or parts.scheme != "https" or not parts.hostname or parts.path
            or parts.query or parts.fragment or parts.username or port == 0):
        raise box_failure("box_url_invalid", _printable(base) or '""', language, connection=False)
    return base


def files_failure(error: Exception, directory: object, language: str = "fr") -> BoxError:
    """A pairing folder (``--dir``) that is missing, incomplete or unreadable."""
    return box_failure("pairing_files_unreadable", str(directory), language,
                       reason=f"{type(error).__name__}: {error}", connection=False)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """``error``, its causes and contexts, and the members of exception groups among them."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)


_UNREACHABLE = {errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ECONNRESET,
                errno.ECONNABORTED, errno.EPIPE, errno.ETIMEDOUT, errno.EADDRNOTAVAIL}
_CERTIFICATE_ALERTS = ("CERTIFICATE", "UNKNOWN_CA", "ACCESS_DENIED")
#: OpenSSL's verify codes (x509_vfy.h) for a chain that does not lead to the pinned CA: the
#: box's CA was replaced, or another box answers at the address (issue 16, item 9).
_FOREIGN_ISSUER = frozenset({2, 7, 18, 19, 20, 21})


def _failure_code(chain: list[BaseException]) -> tuple[str, str]:
    """The code for a failure whose chain of exceptions is ``chain``, and the reason to keep."""
    import httpx

    def first(*kinds: type[BaseException]) -> BaseException | None:
        return next((e for e in chain if isinstance(e, kinds)), None)

    # Timeouts first: their chain holds the SSLWantReadError that was being waited on.
    if found := first(httpx.TimeoutException, TimeoutError, socket.timeout):
        return "box_timeout", type(found).__name__
    if found := first(ssl.SSLCertVerificationError):
        reason = getattr(found, "verify_message", "") or str(found)
        if getattr(found, "verify_code", None) in _FOREIGN_ISSUER:
            return "box_ca_changed", reason
        return "box_not_trusted", reason
    tls = [e for e in chain if isinstance(e, ssl.SSLError)
           and not isinstance(e, (ssl.SSLWantReadError, ssl.SSLWantWriteError))]
    if tls:
        reason = getattr(tls[0], "reason", None) or str(tls[0])
        if "ALERT" in reason and any(word in reason for word in _CERTIFICATE_ALERTS):
            return "certificate_refused", reason
        return "box_tls_failed", reason
    if found := first(socket.gaierror):
        return "box_host_unknown", str(found)
    if found := first(httpx.UnsupportedProtocol, httpx.InvalidURL):
        return "box_url_invalid", str(found)
    if found := first(httpx.RemoteProtocolError, httpx.DecodingError, httpx.TooManyRedirects):
        return "box_answer_invalid", str(found)[:120]
    oserror = next((e for e in chain if isinstance(e, OSError) and e.errno in _UNREACHABLE), None)
    found = oserror or first(httpx.TransportError, OSError)
    return "box_unreachable", f"{type(found or chain[0]).__name__}: {found or chain[0]}"[:200]


def transport_failure(error: BaseException, url: str, language: str = "fr") -> BoxError:
    """What an httpx, TLS or socket ``error`` met while calling ``url`` means, as a :class:`BoxError`."""
    if isinstance(error, BoxError):
        return error
    code, reason = _failure_code(list(_chain(error)))
    return box_failure(code, _printable(url), language, reason=reason,
                       connection=code != "box_url_invalid")


def _printable(text: str) -> str:
    # A URL is typed by a person or read from a file: never let it drive the terminal.
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
