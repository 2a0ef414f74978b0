"""The box's private key files, encrypted with a password derived from the board secret.

A key file is PKCS#8 PEM with ``BestAvailableEncryption`` (``-----BEGIN ENCRYPTED PRIVATE
KEY-----``: PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC, in today's ``cryptography``), its password
:func:`~borne.secure_channel.key_source.wrapping_password` of the board secret and the file's
name: the password is 256 bits of HKDF output, so the file is as hard to open as the secret
is to get. OpenSSL reads the same file (``openssl pkey -in ca.key -passin pass:...``), and
the TLS server loads ``server.key`` with the password (``SSLContext.load_cert_chain``).

A :class:`KeyFiles` with no source keeps keys in clear: what boxes did before issue 16,
kept for tests of certificate logic; the daemon always has a source.

Migration (:meth:`KeyFiles.wrap_in_place`): a clear key file of an older box is rewritten
wrapped once, durably: the new file under a temporary name, synced, renamed over the clear
one (atomic on ext4), then the directory synced. The clear bytes are gone from the file
system; flash cells may keep them until reused (docs/security.md says what that means).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from ..errors import BorneError
from ..runtime.durable import fsync_dir, write_new
from .key_source import KeySource, wrapping_password

__all__ = ["KeyFiles", "is_wrapped"]

_WRAPPED = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"


def is_wrapped(data: bytes) -> bool:
    """Whether a PEM key file is encrypted (PKCS#8 ``ENCRYPTED PRIVATE KEY``)."""
    return data.lstrip().startswith(_WRAPPED)


class KeyFiles:
    """Reads and writes the box's private key files in ``directory`` (wrapped when ``source``)."""

    def __init__(self, directory: Path, source: KeySource | None) -> None:
        self.directory = Path(directory)
        self.source = source
        self._secret: bytes | None = None

    def _board_secret(self) -> bytes:
        if self._secret is None:
            assert self.source is not None
            # A new secret only while no key is wrapped with the old one (file twin only).
            wrapped = any(is_wrapped(_head(self.directory / name))
                          for name in ("ca.key", "server.key"))
            self._secret = self.source.secret(create=not wrapped)
        return self._secret

    def password(self, name: str) -> bytes | None:
        """The password of the key file ``name`` (None: keys kept in clear)."""
        if self.source is None:
            return None
        return wrapping_password(self._board_secret(), name)

    def encode(self, name: str, key: Any) -> bytes:
        """``key`` as the PEM to store in ``name``: wrapped, or clear without a source."""
        password = self.password(name)
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password) if password is not None
            else serialization.NoEncryption())
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 encryption)

    def load(self, name: str) -> Any:
        """The private key in ``name``; a clear one is wrapped first (:meth:`wrap_in_place`).

        Raises :class:`BorneError` ``ca_unreadable`` when it does not open (another
        board's secret, a damaged file), ``box_secret_unavailable``/``box_secret_unprogrammed``
        when the board secret cannot be read; OSError when the file cannot be read.
        """
        path = self.directory / name
        data = path.read_bytes()
        if not is_wrapped(data):
            key = serialization.load_pem_private_key(data, password=None)
            if self.source is not None:
                self.wrap_in_place(name, key)
            return key
        if self.source is None:
            raise BorneError(f"{path} is wrapped and no board secret is configured",
                             code="ca_unreadable", file=str(path))
        try:
            return serialization.load_pem_private_key(data, password=self.password(name))
        except (ValueError, TypeError):
            raise BorneError(f"{path} does not open with this board's secret "
                             f"({self.source.describe()}): another board's card, or a damaged "
                             "file", code="ca_unreadable", file=str(path)) from None

    def write_new(self, path: Path, key: Any) -> None:
        """Write ``key`` to ``path``, which must not exist yet (0600 from its first byte)."""
        write_new(path, self.encode(path.name.removesuffix(".new"), key))

    def wrap_in_place(self, name: str, key: Any) -> None:
        """Replace the clear key file ``name`` by the same key wrapped (module docstring)."""
        path = self.directory / name
        tmp = path.with_name(name + ".new")
        tmp.unlink(missing_ok=True)
        write_new(tmp, self.encode(name, key))
        os.replace(tmp, path)
        fsync_dir(self.directory)


def _head(path: Path) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read(64)
    except OSError:
        return b""
