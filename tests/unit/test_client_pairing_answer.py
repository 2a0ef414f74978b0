"""The workstation keeps a pairing's answer only if the certificate is its own (issue 16, 7).

Once the box's proof (``answer_mac``) verifies, the SDK still checks what it keeps: the
certificate holds its own public key and the client id of the answer, signed by the CA it
pins. A box that got these wrong is ``box_answer_invalid``, and nothing is written.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from borne.client import BoxError
from borne.client.pairing import _check_certificate, make_key_and_csr
from borne.secure_channel.ca import BoxCA

BOX = "https://192.0.2.1:8443"


@pytest.fixture
def issued(tmp_path):
    """(key, certificate, CA) of a workstation paired as ``ws-aaaaaaaaaaaa``."""
    key, csr = make_key_and_csr("Comptoir 1")
    (tmp_path / "box").mkdir()
    ca = BoxCA.load_or_create(tmp_path / "box")
    cert = ca.issue_client_cert(csr, client_id="ws-aaaaaaaaaaaa", name="Comptoir 1")
    return key, cert.public_bytes(Encoding.PEM), ca.cert_pem


def test_the_own_certificate_is_kept(issued):
    key, cert, ca = issued
    _check_certificate(cert, ca, key, "ws-aaaaaaaaaaaa", BOX, "en")


def test_another_client_id_key_or_ca_is_refused(issued, tmp_path):
    key, cert, ca = issued
    other_key, _ = make_key_and_csr("Autre")
    (tmp_path / "other").mkdir()
    other_ca = BoxCA.load_or_create(tmp_path / "other").cert_pem
    for args in ((cert, ca, key, "ws-bbbbbbbbbbbb"), (cert, ca, other_key, "ws-aaaaaaaaaaaa"),
                 (cert, other_ca, key, "ws-aaaaaaaaaaaa"), (b"not PEM", ca, key, "ws-aaaaaaaaaaaa")):
        with pytest.raises(BoxError) as refused:
            _check_certificate(*args, BOX, "en")
        assert refused.value.code == "box_answer_invalid"
