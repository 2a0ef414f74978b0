"""A real RAUC on loop-device slots, on a private D-Bus: the box's update controller in tests.

:class:`RaucBox` starts a private ``dbus-daemon`` (a config allowing everything on that
bus only), and ``rauc service`` on it (``DBUS_SYSTEM_BUS_ADDRESS``) with a
``system.conf`` of two root slots A and B, each a loop device over a sparse file,
``bootloader=custom`` with :file:`tests/support/rauc_boot_backend.sh` (its state in a
text file, with the Raspberry Pi tryboot backend's meaning: a committed slot, a slot to
try once) and ``--override-boot-slot`` for the slot "booted". :meth:`RaucBox.reboot`
plays the firmware (the trial slot once if its trial is pending), restarts RAUC as if the
box booted that slot, and writes that slot's ``/etc/borne-release`` where the daemon
reads it.

Bundles are built for real by ``image/bundle.sh``, ``format=plain`` (this kernel has no
device-mapper for ``verity``), from a tiny root (20 KB of random bytes in a 4 MiB ext4),
signed with ``image/keys/development`` (RAUC's keyring is its ``keyring.pem``, as in the
image). "Another key" is a throwaway CA made with ``cryptography`` (:func:`make_signer`).
Needs root (loop devices, mounts), ``rauc``, ``dbus-daemon``, ``mksquashfs``, ``debugfs``.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from borne.sim.private_bus import start_private_bus

__all__ = ["COMPATIBLE", "RaucBox", "Signer", "make_signer", "missing_tools", "start_private_bus"]

#: The compatible of the test box's system.conf and of its bundles.
COMPATIBLE = "borne-test"
_BACKEND = Path(__file__).with_name("rauc_boot_backend.sh")
_IMAGE = Path(__file__).resolve().parents[2] / "image"
_BUNDLE_SH = _IMAGE / "bundle.sh"
_DEV_KEYS = _IMAGE / "keys" / "development"
_SLOT_BYTES = 8 * 1024 * 1024



def missing_tools() -> list[str]:
    """The programs this harness needs and does not find."""
    return [tool for tool in ("rauc", "dbus-daemon", "mksquashfs", "losetup", "debugfs",
                              "mkfs.ext4") if shutil.which(tool) is None]


@dataclass(frozen=True)
class Signer:
    """A certificate and its key (PEM files)."""

    cert: Path
    key: Path


def make_signer(directory: Path, name: str) -> Signer:
    """A self-signed signing certificate and key (a throwaway CA: RAUC's keyring is the cert)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"borne test {name}")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    signer = Signer(directory / f"{name}.cert.pem", directory / f"{name}.key.pem")
    signer.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    signer.key.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                             serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))
    return signer


@dataclass
class RaucBox:
    """The slots, the bus and RAUC of a test box, under ``root``."""

    root: Path
    #: The version of the system "booted" from slot A at the start.
    version: str = "1.0.0"
    address: str = field(init=False)
    release_file: Path = field(init=False)
    #: What signs the box's own bundles, and the keyring RAUC checks them against.
    signer: Signer = field(init=False)
    keyring: Path = field(init=False)
    loops: dict[str, str] = field(default_factory=dict)
    _bus: subprocess.Popen | None = None
    _rauc: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.address = f"unix:path={self.root / 'bus.sock'}"
        self.release_file = self.root / "borne-release"
        self.signer = Signer(_DEV_KEYS / "signing.cert.pem", _DEV_KEYS / "signing.key")
        self.keyring = _DEV_KEYS / "keyring.pem"

    def update_section(self, usb_dir: Path | None = None) -> dict[str, str]:
        """The ``[update]`` section of a simulated box on this RAUC; with ``usb_dir`` (made
        here), where the box looks for USB sticks."""
        section = {"enabled": "on", "dbus_address": self.address,
                   "release_file": str(self.release_file)}
        if usb_dir is not None:
            usb_dir.mkdir(parents=True, exist_ok=True)
            section["usb_dir"] = str(usb_dir)
        return section

    # -- the machine ----------------------------------------------------------------------------

    def start(self, boot_slot: str = "A") -> RaucBox:
        """Slots, bus, RAUC booted on ``boot_slot``; the release file says ``version``."""
        for name in ("A", "B"):
            image = self.root / f"slot{name}.img"
            with open(image, "wb") as file:
                file.truncate(_SLOT_BYTES)  # sparse
            self.loops[name] = subprocess.run(["losetup", "-f", "--show", str(image)], check=True,
                                              capture_output=True, text=True).stdout.strip()
        self.release_file.write_text(f"VERSION={self.version}\nCOMPATIBLE={COMPATIBLE}\n")
        (self.root / "boot-state").write_text("all=A\ntry=A\npending=0\nbooted=A\ntryboot=0\n")
        (self.root / "mnt").mkdir(exist_ok=True)
        (self.root / "system.conf").write_text(self._system_conf())
        self._bus, _ = start_private_bus(self.root)
        self._start_rauc(boot_slot)
        return self

    def _system_conf(self) -> str:
        slots = "".join(f"\n[slot.rootfs.{i}]\ndevice={self.loops[name]}\ntype=raw\n"
                        f"bootname={name}\n" for i, name in enumerate(("A", "B")))
        return (f"[system]\ncompatible={COMPATIBLE}\nbootloader=custom\n"
                f"mountprefix={self.root / 'mnt'}\ndata-directory={self.root / 'rauc-data'}\n\n"
                f"[handlers]\nbootloader-custom-backend={self.root / 'backend.sh'}\n\n"
                f"[keyring]\npath={self.keyring}\n{slots}")

    def _start_rauc(self, boot_slot: str) -> None:
        backend = self.root / "backend.sh"
        backend.write_text(f"#!/bin/sh\nexec {_BACKEND} {self.root / 'boot-state'} \"$@\"\n")
        backend.chmod(0o755)
        log = open(self.root / "rauc.log", "ab")
        self._rauc = subprocess.Popen(
            ["rauc", "service", f"--conf={self.root / 'system.conf'}",
             f"--override-boot-slot={boot_slot}"],
            env={**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": self.address},
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        _wait_for(self._rauc_on_bus, "rauc service on the private bus")

    def _rauc_on_bus(self) -> bool:
        answer = subprocess.run(["busctl", f"--address={self.address}", "status",
                                 "de.pengutronix.rauc"], capture_output=True)
        return answer.returncode == 0

    def kill_rauc(self) -> None:
        """Stop RAUC at once (SIGKILL: a power cut, as far as RAUC knows), and a slow
        backend it left waiting."""
        if self._rauc is not None:
            self._rauc.send_signal(signal.SIGKILL)
            self._rauc.wait(10)
            self._rauc = None
        waiting = self.root / "boot-state.slow.pid"
        if waiting.exists():
            try:
                os.kill(int(waiting.read_text()), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
            waiting.unlink()

    def slow_bootloader(self, on: bool = True) -> None:
        """Make the bootloader's ``set-state`` wait (RAUC calls it before writing a slot):
        an install then stays under way until :meth:`kill_rauc`."""
        flag = self.root / "boot-state.slow"
        if on:
            flag.touch()
        else:
            flag.unlink(missing_ok=True)

    def bootloader_waiting(self) -> bool:
        """Whether a slow ``set-state`` is waiting now."""
        return (self.root / "boot-state.slow.pid").exists()

    def reboot(self, into: str) -> str | None:
        """RAUC restarted as after a boot of slot ``into`` (on trial if its trial was
        pending); the release file becomes that slot's. Returns the slot's version (None:
        nothing installed there)."""
        self.kill_rauc()
        # The firmware: the tryboot flag was set if the trial of ``into`` was pending.
        state = self.boot_state()
        trial = state.get("pending") == "1" and state.get("try") == into
        for key, value in (("pending", "0"), ("booted", into), ("tryboot", "1" if trial else "0")):
            self._put_state(key, value)
        release = self.slot_release(into)
        if release is not None:
            self.release_file.write_text(release)
        self._start_rauc(into)
        return _value(release, "VERSION") if release else None

    def stop(self) -> None:
        """Stop RAUC and the bus, detach the loop devices (idempotent)."""
        self.kill_rauc()
        if self._bus is not None:
            self._bus.terminate()
            self._bus.wait(10)
            self._bus = None
        for loop in self.loops.values():
            subprocess.run(["losetup", "-d", loop], capture_output=True)
        self.loops.clear()

    # -- looking at it --------------------------------------------------------------------------

    def slot_digest(self, name: str) -> str:
        """SHA-256 of slot ``name``'s bytes (nothing written = the same digest)."""
        return hashlib.sha256((self.root / f"slot{name}.img").read_bytes()).hexdigest()

    def slot_release(self, name: str) -> str | None:
        """The ``/etc/borne-release`` inside slot ``name``'s root image (an ext4, as
        image/bundle.sh makes it; None: not a root)."""
        answer = subprocess.run(["debugfs", "-R", "cat /etc/borne-release",
                                 str(self.root / f"slot{name}.img")],
                                capture_output=True, text=True)
        return answer.stdout if "VERSION=" in answer.stdout else None

    def _put_state(self, key: str, value: str) -> None:
        state = {**self.boot_state(), key: value}
        (self.root / "boot-state").write_text("".join(f"{k}={v}\n" for k, v in state.items()))

    def boot_state(self) -> dict[str, str]:
        """The test bootloader's state: ``all`` (the committed slot), ``try``, ``pending``,
        ``booted``, ``tryboot``, ``mark_A``, ``mark_B``."""
        lines = (self.root / "boot-state").read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line)

    # -- bundles --------------------------------------------------------------------------------

    def bundle(self, version: str, *, name: str | None = None, compatible: str = COMPATIBLE,
               signer: Signer | None = None, root_mb: int = 4) -> Path:
        """A ``format=plain`` bundle of a tiny root whose release says ``version``, in a
        ``root_mb`` MiB image (the slots hold 8)."""
        work = self.root / "build" / (name or version)
        rootfs = work / "rootfs"
        (rootfs / "etc").mkdir(parents=True, exist_ok=True)  # a root has one
        (rootfs / "payload").write_bytes(os.urandom(20000))  # incompressible: over 4 KiB
        out = self.root / f"{name or version}.raucb"
        out.unlink(missing_ok=True)
        signer = signer or self.signer
        subprocess.run(["bash", str(_BUNDLE_SH), "--version", version, "--compatible",
                        compatible, "--format", "plain", "--compression", "lzo",
                        "--root-size", str(root_mb), "--cert", str(signer.cert), "--key",
                        str(signer.key), str(rootfs), str(out)],
                       check=True, capture_output=True)
        return out


def _value(release: str, key: str) -> str | None:
    for line in release.splitlines():
        if line.startswith(f"{key}="):
            return line.partition("=")[2].strip()
    return None


def _wait_for(ready, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not come up in {timeout:.0f} s")
        time.sleep(0.05)
