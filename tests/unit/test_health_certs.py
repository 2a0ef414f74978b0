"""Certificate expiry checks on real certificates (made with ``cryptography``) and the box's CA."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from borne.health import CertificateFiles, check_certificate, check_client_certs
from borne.secure_channel.ca import BACKDATE, CA_DAYS, SERVER_DAYS, BoxCA
from borne.secure_channel.clients import ClientRecord

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


def write_cert(path: Path, not_before: datetime, not_after: datetime) -> Path:
    """A real self-signed certificate valid from ``not_before`` to ``not_after``, as PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .sign(key, hashes.SHA256()))
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


@pytest.mark.parametrize(("role", "warn_days", "start", "end", "status", "code"), [
    ("server", 20, NOW - timedelta(days=300), NOW + timedelta(days=65), "ok", "ok"),
    ("server", 20, NOW - timedelta(days=300), NOW + timedelta(days=12, hours=1), "warn",
     "cert_expiring"),
    ("server", 20, NOW - timedelta(days=365), NOW - timedelta(seconds=1), "fail", "cert_expired"),
    ("server", 20, NOW + timedelta(days=2), NOW + timedelta(days=367), "fail", "cert_not_yet_valid"),
    ("ca", 180, NOW - timedelta(days=3500), NOW + timedelta(days=150), "warn", "cert_expiring"),
    ("ca", 180, NOW - timedelta(days=3650), NOW - timedelta(days=1), "fail", "cert_expired"),
])
def test_expiry_windows(tmp_path, role, warn_days, start, end, status, code):
    path = write_cert(tmp_path / f"{role}.crt", start, end)
    check = check_certificate(path, role, now=NOW, warn_days=warn_days)
    assert (check.name, check.status, check.code) == (f"{role}_cert", status, code)
    assert end.date().isoformat() in check.detail_en or start.date().isoformat() in check.detail_en


def test_words_say_what_to_do_for_each_certificate(tmp_path):
    soon = write_cert(tmp_path / "server.crt", NOW - timedelta(days=300),
                      NOW + timedelta(days=12, hours=1))
    check = check_certificate(soon, "server", now=NOW, warn_days=20)
    assert check.detail_en == "the box's HTTPS certificate expires in 12 day(s), on 2026-06-13"
    assert "systemctl restart borne" in check.fix_en and "systemctl restart borne" in check.fix_fr
    ca = write_cert(tmp_path / "ca.crt", NOW - timedelta(days=3650), NOW - timedelta(days=1))
    check = check_certificate(ca, "ca", now=NOW, warn_days=180)
    assert check.detail_fr == "l'autorité de certification de la borne a expiré le 2026-05-31"
    assert f"remove ca.key and ca.crt from {tmp_path}" in check.fix_en and "pair" in check.fix_en
    early = write_cert(tmp_path / "early.crt", NOW + timedelta(days=2), NOW + timedelta(days=30))
    check = check_certificate(early, "server", now=NOW, warn_days=20)
    assert "NTP" in check.fix_en and "horloge" in check.fix_fr


def test_missing_unreadable_and_corrupt_files(tmp_path):
    missing = check_certificate(tmp_path / "ca.crt", "ca", now=NOW, warn_days=180)
    assert (missing.status, missing.code) == ("ok", "cert_not_created")
    corrupt = tmp_path / "server.crt"
    corrupt.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    check = check_certificate(corrupt, "server", now=NOW, warn_days=20)
    assert (check.status, check.code) == ("fail", "cert_invalid")
    assert f"remove server.crt and server.key from {tmp_path}" in check.fix_en

    def refused(path: Path) -> object:  # what reading a 0600 file as another user does
        raise PermissionError(13, "Permission denied", str(path))

    check = check_certificate(corrupt, "server", now=NOW, warn_days=20, load=refused)
    assert (check.status, check.code) == ("warn", "cert_unreadable") and "sudo" in check.fix_en


def test_the_box_ca_and_server_certificate_as_the_daemon_makes_them(tmp_path):
    ca = BoxCA.load_or_create(tmp_path)
    ca.ensure_server_cert(["borne.local"], ["127.0.0.1"])
    now = datetime.now(timezone.utc)
    server = check_certificate(tmp_path / "server.crt", "server", now=now, warn_days=20)
    # Counted from the back-dated start (BACKDATE, one day), less the part-day already gone.
    left = SERVER_DAYS - BACKDATE.days - 1
    assert (server.status, server.code) == ("ok", "ok") and f"({left} days)" in server.detail_en
    authority = check_certificate(tmp_path / "ca.crt", "ca", now=now, warn_days=180)
    assert authority.status == "ok" and f"({CA_DAYS - BACKDATE.days - 1} days)" in authority.detail_en
    # Ten years on, the CA must be replaced and every workstation paired again.
    later = check_certificate(tmp_path / "ca.crt", "ca", now=now + timedelta(days=3600),
                              warn_days=180)
    assert later.code == "cert_expiring"


def test_certificate_files_parse_again_only_when_the_file_changes(tmp_path):
    path = write_cert(tmp_path / "server.crt", NOW - timedelta(days=1), NOW + timedelta(days=10))
    files = CertificateFiles()
    first = files(path)
    assert files(path) is first
    write_cert(tmp_path / "new.crt", NOW - timedelta(days=1), NOW + timedelta(days=300))
    os.replace(tmp_path / "new.crt", path)  # how the daemon renews it
    renewed = files(path)
    assert renewed is not first and renewed.not_valid_after_utc == NOW + timedelta(days=300)
    assert check_certificate(path, "server", now=NOW, warn_days=20, load=files).status == "ok"


def record(name: str, not_after: datetime, revoked: bool = False) -> ClientRecord:
    return ClientRecord(f"ws-{name}", name, 1, False, not_after.isoformat(), "00",
                        "2024-01-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00" if revoked else None)


def test_workstation_certificates():
    fine = [record("Comptoir 1", NOW + timedelta(days=400))]
    assert check_client_certs(fine, now=NOW, warn_days=20).detail_en == \
        "1 paired workstation(s), certificates valid"
    soon = fine + [record("Comptoir 2", NOW + timedelta(days=9, hours=2)),
                   record("Old", NOW - timedelta(days=1), revoked=True)]
    check = check_client_certs(soon, now=NOW, warn_days=20)
    assert (check.status, check.code) == ("warn", "client_cert_expiring")
    assert check.detail_fr == "certificat bientôt expiré (9 jour(s)) : « Comptoir 2 »"
    gone = soon + [record("Back-office", NOW - timedelta(hours=1))]
    # As the control socket's `clients` call gives them (what borne doctor reads).
    check = check_client_certs([r.to_dict() for r in gone], now=NOW, warn_days=20)
    assert check.code == "client_cert_expired" and "Back-office" in check.detail_en
    assert "borne pair open" in check.fix_en
    nobody = check_client_certs([record("Old", NOW, revoked=True)], now=NOW, warn_days=20)
    assert (nobody.status, nobody.detail_en) == ("ok", "no paired workstation")
