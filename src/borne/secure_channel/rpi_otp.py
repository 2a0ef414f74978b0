"""The Raspberry Pi's OTP customer private key, read through the firmware mailbox (``/dev/vcio``).

=============================  =================================================================
what                           how
=============================  =================================================================
boards                         BCM2711 and BCM2712: Pi 4, Pi 400, CM4, Pi 5, CM5 (256 bits in OTP)
read                           mailbox property tag ``0x00030081`` "get customer private key"
                               (offset 0, 8 rows of 32 bits), one ``ioctl`` on ``/dev/vcio``
not programmed                 8 zero rows: refused (``box_secret_unprogrammed``), never written
write (``0x00038081``)         never done here: it is irreversible provisioning (a person runs
                               ``rpi-otp-private-key -w`` once; docs/security.md)
=============================  =================================================================

Sources: Raspberry Pi's ``rpi-otp-private-key`` script (repositories
``raspberrypi/usbboot`` and ``raspberrypi/rpi-eeprom``, ``tools/rpi-otp-private-key``: it runs
``vcmailbox 0x00030081 40 40 0 8 0 0 0 0 0 0 0 0`` and prints the eight answer words after
the offset and the count, each as 8 hex digits) and the Raspberry Pi documentation, "Device
specific private key" (https://www.raspberrypi.com/documentation/computers/raspberry-pi.html).
The message is the mailbox property interface's (``raspberrypi/firmware`` wiki, "Mailbox
property interface"): u32 words, little-endian, ``[size, code, tag, value size, request
size, values..., 0]``; the ioctl is ``IOCTL_MBOX_PROPERTY = _IOWR(100, 0, char *)``, as in
``vcmailbox`` (``raspberrypi/utils``). No process is started: the daemon reads it at start.

The script's warning applies: the rows are readable by whoever may open ``/dev/vcio`` on that
board (root and group ``video``; the daemon's unit adds ``video`` for this). A thief with
the whole box can read them; one with only the card, or a copy of it, cannot: that is the
threat this key answers.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import struct

from ..errors import BorneError
from .key_source import SECRET_BYTES, KeySource

__all__ = ["GET_PRIVATE_KEY_TAG", "RpiOtpKeySource", "key_from_answer", "request"]

#: Mailbox property tag "get customer private key" (the script's ``0x00030081``).
GET_PRIVATE_KEY_TAG = 0x00030081
_ROWS = 8
_DEVICE = "/dev/vcio"
_RESPONSE_OK = 0x80000000


def _iowr(kind: int, number: int, size: int) -> int:
    """Linux's ``_IOWR`` (asm-generic/ioctl.h): read and write, ``size`` bytes of argument."""
    return (3 << 30) | (size << 16) | (kind << 8) | number


#: ``_IOWR(100, 0, char *)``: the argument's size is a pointer's, 8 bytes on arm64, 4 on armhf.
IOCTL_MBOX_PROPERTY = _iowr(100, 0, ctypes.sizeof(ctypes.c_void_p))


def request() -> bytearray:
    """The property message reading the 8 rows of the key from offset 0."""
    words = [0, 0, GET_PRIVATE_KEY_TAG, 8 + 4 * _ROWS, 8 + 4 * _ROWS, 0, _ROWS,
             *([0] * _ROWS), 0]
    words[0] = 4 * len(words)
    return bytearray(struct.pack(f"<{len(words)}I", *words))


def key_from_answer(answer: bytes) -> bytes:
    """The 32-byte key from the firmware's answer: each row big-endian, as the script prints it.

    Raises :class:`BorneError` ``box_secret_unavailable`` when the firmware refused the
    request, ``box_secret_unprogrammed`` when the key is all zeros (never programmed).
    """
    words = struct.unpack(f"<{len(answer) // 4}I", answer)
    if len(words) < 7 + _ROWS or words[1] != _RESPONSE_OK or words[2] != GET_PRIVATE_KEY_TAG \
            or not words[4] & _RESPONSE_OK:
        raise BorneError("the firmware did not answer the OTP key request (not a Pi 4/5/CM4?)",
                         code="box_secret_unavailable")
    key = struct.pack(f">{_ROWS}I", *words[7:7 + _ROWS])
    if key == bytes(SECRET_BYTES):
        raise BorneError("the board's OTP private key is not programmed (all zeros)",
                         code="box_secret_unprogrammed")
    return key


class RpiOtpKeySource(KeySource):
    """The board secret of a Pi 4/5/CM4: its OTP customer private key (module docstring)."""

    def __init__(self, device: str = _DEVICE) -> None:
        self.device = device

    def describe(self) -> str:
        return f"rpi-otp ({self.device}, tag 0x{GET_PRIVATE_KEY_TAG:08x})"

    def secret(self, *, create: bool = False) -> bytes:
        # ``create`` is the file twin's: OTP is programmed by a person, never by the daemon.
        message = request()
        try:
            fd = os.open(self.device, os.O_RDWR | os.O_CLOEXEC)
        except OSError as error:
            raise BorneError(f"{self.device}: {error.strerror} (not a Raspberry Pi, or no access)",
                             code="box_secret_unavailable") from None
        try:
            fcntl.ioctl(fd, IOCTL_MBOX_PROPERTY, message, True)
        except OSError as error:
            raise BorneError(f"{self.device}: mailbox ioctl failed ({error.strerror})",
                             code="box_secret_unavailable") from None
        finally:
            os.close(fd)
        return key_from_answer(bytes(message))
