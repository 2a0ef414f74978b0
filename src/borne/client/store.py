"""Where a workstation keeps what pairing gave it: one folder per box.

``client.key`` (0600, created with O_EXCL: never world-readable, not even for
an instant), ``client.crt``, ``ca.crt`` (the pinned CA of the box) and
``box.json`` (the box's URL and this workstation's client id).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["WorkstationFiles"]


@dataclass(frozen=True)
class WorkstationFiles:
    """The files of one pairing, in ``directory``."""

    directory: Path

    @property
    def key(self) -> Path:
        return self.directory / "client.key"

    @property
    def certificate(self) -> Path:
        return self.directory / "client.crt"

    @property
    def ca(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def box(self) -> Path:
        return self.directory / "box.json"

    def write_key(self, pem: bytes) -> None:
        """Write the private key 0600 (refuses to overwrite an existing key)."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)

    def write_pairing(self, *, certificate: bytes, ca: bytes, url: str, client_id: str) -> None:
        """Write the certificate, the pinned CA and the box's description."""
        self.certificate.write_bytes(certificate)
        self.ca.write_bytes(ca)
        self.box.write_text(json.dumps({"url": url, "client_id": client_id}, indent=2))

    def read_box(self, language: str = "fr") -> dict[str, str]:
        """The box's URL and this workstation's client id.

        Raises :class:`~borne.client.errors.BoxError` ``pairing_files_unreadable`` when
        the folder is not a pairing's (missing, unreadable, or ``box.json`` damaged).
        """
        from .errors import files_failure

        try:
            box = json.loads(self.box.read_text(encoding="utf-8"))
            if not (isinstance(box, dict) and isinstance(box.get("url"), str)
                    and isinstance(box.get("client_id"), str)):
                raise ValueError(f"{self.box} names no url and client_id")
        except (OSError, ValueError) as error:  # JSON and Unicode errors are ValueErrors
            raise files_failure(error, self.directory, language) from None
        return box
