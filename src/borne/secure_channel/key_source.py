"""Where the box's board secret comes from: the key that wraps its private keys on disk.

The box's private keys (``ca.key``, ``server.key``) live on the data partition, an
unencrypted ext4 file system on the SD card. They are stored encrypted
(:mod:`borne.secure_channel.wrapped_keys`) with a key derived from a secret that is
**not** on that partition: whoever copies the card's data gets no usable key. The
secret's source is one path string, ``[daemon] keys``:

==================  =========================================================  ===========
path                where the secret is                                        boards
==================  =========================================================  ===========
``rpi-otp``         the customer private key in the SoC's OTP (256 bits),      Pi 4, Pi 5,
                    read through the firmware mailbox (:mod:`.rpi_otp`)         CM4, CM5
``file:PATH``       a 32-byte file, created (0600) at first start if missing;  the twin:
                    ``PATH`` must not be in the data directory                 sim and CI
``atecc608:...``    not implemented: the adapter point for an I2C secure       Pi Zero 2,
                    element (ATECC608) on boards without OTP key               Pi 3
==================  =========================================================  ===========

A :class:`KeySource` *must* implement :meth:`KeySource.secret` (the raw secret, at
least 32 bytes, the same at every call on one board) and *may* override
:meth:`KeySource.describe`. What the box derives from it is in
:func:`wrapping_password`: the secret itself is never written anywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import BorneError, ConfigError, Message

__all__ = ["FileKeySource", "KeySource", "SECRET_BYTES", "key_source", "wrapping_password"]

#: Bytes of a board secret (256 bits, as the Pi's OTP key).
SECRET_BYTES = 32
_SALT = b"borne-box-keys/v1"


class KeySource:
    """The board's secret (see the module docstring for what subclasses must do)."""

    def secret(self, *, create: bool = False) -> bytes:
        """The board's secret; :class:`BorneError` ``box_secret_unavailable`` when it cannot be read.

        ``create``: a source that can make its secret (the file twin) makes it when missing;
        the box asks for that only while it has no wrapped key yet.
        """
        raise NotImplementedError

    def describe(self) -> str:
        """A short text for logs and ``borne doctor`` (never the secret)."""
        return type(self).__name__


class FileKeySource(KeySource):
    """The twin: the secret in a file kept off the data partition (simulator, CI, a dev machine).

    ``create``: make the file (32 random bytes, 0600, ``O_EXCL``) when it is missing. The
    box passes False once a wrapped key exists: a new secret would open nothing.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def describe(self) -> str:
        return f"file:{self.path} (twin: a file, not the board's hardware)"

    def secret(self, *, create: bool = False) -> bytes:
        """The file's 32 bytes (made first if missing and ``create``)."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            if not create:
                raise _unavailable(f"{self.path} is missing") from None
            # Imported here: the configuration reads this module and must stay a leaf.
            from ..runtime.durable import write_new

            data = os.urandom(SECRET_BYTES)
            try:
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                write_new(self.path, data)
            except OSError as error:
                raise _unavailable(f"{self.path} cannot be created ({error.strerror})") from None
        except OSError as error:
            raise _unavailable(f"{self.path}: {error.strerror}") from None
        if len(data) < SECRET_BYTES:
            raise _unavailable(f"{self.path} holds {len(data)} bytes, not {SECRET_BYTES}")
        return data


def _unavailable(why: str) -> BorneError:
    return BorneError(f"the board secret cannot be read: {why}", code="box_secret_unavailable")


def wrapping_password(secret: bytes, purpose: str) -> bytes:
    """The password that wraps the key file ``purpose`` (``"ca.key"``...): HKDF-SHA256 (RFC 5869)
    of the board secret, salt ``borne-box-keys/v1``, info the purpose; 64 hex digits (ASCII,
    so OpenSSL's password callback takes it as it is)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT,
               info=b"borne box key file: " + purpose.encode("ascii")).derive(secret)
    return key.hex().encode("ascii")


def key_source(path: str, data_dir: Path | str | None = None) -> KeySource:
    """The :class:`KeySource` a ``[daemon] keys`` path string names.

    Raises :class:`ConfigError` for an unknown scheme, a ``file:`` path inside
    ``data_dir`` (it would be copied with the keys it opens) or ``atecc608`` (not yet).
    """
    scheme, _, argument = path.partition(":")
    if scheme == "rpi-otp" and not argument:
        from .rpi_otp import RpiOtpKeySource

        return RpiOtpKeySource()
    if scheme == "file" and argument:
        source = Path(argument)
        if data_dir is not None:
            inside = Path(os.path.realpath(data_dir))
            if Path(os.path.realpath(source)).is_relative_to(inside):
                raise ConfigError(Message(
                    f"le secret {source} est dans le dossier de données : une copie de la "
                    "carte l'emporterait avec les clés",
                    f"the secret {source} is in the data directory: a copy of the card would "
                    "take it along with the keys"), key="daemon.keys")
        return FileKeySource(source)
    if scheme == "atecc608":
        raise ConfigError(Message("atecc608 : pas encore pris en charge (docs/security.md)",
                                  "atecc608: not supported yet (docs/security.md)"),
                          key="daemon.keys")
    raise ConfigError(Message(f"{path!r} : écrivez \"rpi-otp\" ou \"file:CHEMIN\"",
                              f"{path!r}: write \"rpi-otp\" or \"file:PATH\""), key="daemon.keys")
