"""The workstation's failures, mapped once (``borne.client.errors``): a table of causes and codes.

The real sockets are tests/integration/test_cli_network_failures.py's; here, each chain of
exceptions that httpx, httpcore, anyio and ssl raise is built by hand, as they chain them.
"""

from __future__ import annotations

import socket
import ssl

import httpx
import pytest

from borne.client.errors import (
    BoxConnectionError,
    BoxError,
    box_failure,
    check_box_url,
    transport_failure,
)


def chained(outer: BaseException, *inner: BaseException) -> BaseException:
    """``outer`` raised from ``inner[0]``, itself from ``inner[1]``... (as httpx does)."""
    current = outer
    for cause in inner:
        current.__cause__ = cause
        current = cause
    return outer


def verify_failed() -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate "
                                            "verify failed: self-signed certificate")
    error.verify_message = "self-signed certificate in certificate chain"
    return error


def foreign_issuer() -> ssl.SSLCertVerificationError:
    """What OpenSSL says of a server certificate from another CA than the pinned one."""
    error = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate "
                                            "verify failed: unable to get local issuer certificate")
    error.verify_code = 20  # X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    error.verify_message = "unable to get local issuer certificate"
    return error


CASES = [
    (chained(httpx.ConnectError("All connection attempts failed"),
             OSError("All connection attempts failed"),
             ConnectionRefusedError(111, "Connect call failed")), "box_unreachable"),
    (chained(httpx.ConnectError("[Errno -2] Name or service not known"),
             socket.gaierror(-2, "Name or service not known")), "box_host_unknown"),
    # A timeout's chain holds the SSLWantReadError that was being waited for: still a timeout.
    (chained(httpx.ReadTimeout(""), TimeoutError(), ssl.SSLWantReadError()), "box_timeout"),
    (chained(httpx.ConnectTimeout(""), TimeoutError()), "box_timeout"),
    (chained(httpx.ConnectError("verify"), verify_failed()), "box_not_trusted"),
    (chained(httpx.ConnectError("verify"), foreign_issuer()), "box_ca_changed"),
    (ssl.SSLError(1, "[SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca"), "certificate_refused"),
    (ssl.SSLError(1, "[SSL: SSLV3_ALERT_CERTIFICATE_EXPIRED] alert"), "certificate_refused"),
    (chained(httpx.ConnectError("wrong version"),
             ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")),
     "box_tls_failed"),
    (ssl.SSLError(1, "[SSL: TLSV1_ALERT_PROTOCOL_VERSION] alert protocol version"),
     "box_tls_failed"),  # an alert, but not about this workstation's certificate
    (httpx.RemoteProtocolError("illegal status line"), "box_answer_invalid"),
    (httpx.ReadError(""), "box_unreachable"),
    (ConnectionResetError(104, "Connection reset by peer"), "box_unreachable"),
    (httpx.UnsupportedProtocol("Request URL is missing a protocol"), "box_url_invalid"),
    (ExceptionGroup("task group", [ConnectionRefusedError(111, "refused")]), "box_unreachable"),
]


@pytest.mark.parametrize(("error", "code"), CASES, ids=[code + f"-{i}" for i, (_, code)
                                                         in enumerate(CASES)])
def test_each_failure_has_its_code(error, code):
    failure = transport_failure(error, "https://10.0.0.7:8443", "en")
    assert failure.code == code
    assert failure.status == 0
    assert failure.details["url"] == "https://10.0.0.7:8443"
    assert isinstance(failure, BoxConnectionError) == (code != "box_url_invalid")


def test_a_box_error_passes_through_unchanged():
    refusal = BoxError(403, "client_revoked", "Ce poste a été révoqué")
    assert transport_failure(refusal, "https://x:8443") is refusal


def test_the_message_puts_the_box_between_what_failed_and_what_to_do():
    french = box_failure("box_unreachable", "https://10.0.0.7:8443", "fr")
    assert french.message == ("Borne injoignable (https://10.0.0.7:8443) : vérifiez qu'elle est "
                              "allumée, sur ce réseau, et son adresse (borne client find)")
    english = box_failure("box_timeout", "https://10.0.0.7:8443", "en")
    assert english.message.startswith("The box did not answer in time (https://10.0.0.7:8443): ")
    assert isinstance(english, ConnectionError) and isinstance(english, BoxError)
    assert str(english).startswith("box_timeout: ")


@pytest.mark.parametrize("url", ["https://10.0.0.7:8443", "https://borne.local:8443/",
                                 "https://[fe80::1]:8443", "https://box"])
def test_box_addresses_accepted(url):
    assert check_box_url(url) == url.rstrip("/")


@pytest.mark.parametrize("url", ["http://10.0.0.7:8443", "10.0.0.7:8443", "borne.local",
                                 "https://10.0.0.7:99999", "https://10.0.0.7:port",
                                 "https://[::1", "https://10.0.0.7:8443/v1/status",
                                 "https://user@10.0.0.7:8443", "https://:8443", "",
                                 "ftp://10.0.0.7", "https://10.0.0.7:0"])
def test_box_addresses_refused_before_anything_is_sent(url):
    with pytest.raises(BoxError) as refused:
        check_box_url(url, "en")
    assert refused.value.code == "box_url_invalid"
    assert not isinstance(refused.value, ConnectionError)
    assert "write https://ADDRESS:8443" in refused.value.message


def test_a_typed_address_never_drives_the_terminal():
    with pytest.raises(BoxError) as refused:
        check_box_url("http://\x1b[2Jbox:8443")
    assert "\x1b" not in refused.value.message and "\\x1b" in refused.value.message
