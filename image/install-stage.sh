#!/usr/bin/env bash
# Install borne into a root file system: the one install stage of the box.
#
#   image/install-stage.sh [--raspberry-pi] ROOTFS WHEELHOUSE
#
# Run as root on the build machine; it chroots into ROOTFS itself. The same script
# runs in two places:
#   - image/stage-borne/01-install/00-run.sh, on pi-gen's Raspberry Pi OS root
#     (with --raspberry-pi: picamera2, lgpio, I2C/SPI on, Pi-only services tamed);
#   - image/check-chroot.sh, on a fresh Debian 12 debootstrap root (CI).
# WHEELHOUSE holds wheels of borne and of all its dependencies, built for ROOTFS's
# architecture and Python: the image gets no compiler and asks no package index.
#
# What it does (image/README.md says why): Debian packages, the borne user and its
# groups, the venv /opt/borne/venv, the units, the udev rules and the modprobe
# blacklist, /etc/borne/borne.toml, a read-only root (fstab), the first-boot units,
# SSH off, and no key of any kind in the image.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)

RASPBERRY_PI=0
if [ "${1:-}" = "--raspberry-pi" ]; then RASPBERRY_PI=1; shift; fi
if [ $# -ne 2 ]; then
  sed -n '2,16p' "$0" >&2
  exit 2
fi
ROOTFS=$(realpath "$1")
WHEELHOUSE=$(realpath "$2")
[ "$(id -u)" -eq 0 ] || { echo "install-stage: run as root" >&2; exit 1; }
[ -x "$ROOTFS/bin/sh" ] || { echo "install-stage: $ROOTFS is not a root file system" >&2; exit 1; }
compgen -G "$WHEELHOUSE/borne-*.whl" >/dev/null \
  || { echo "install-stage: no borne wheel in $WHEELHOUSE" >&2; exit 1; }

# Run time needs of the daemon. python3-venv brings ensurepip's pip for the venv;
# fdisk (sfdisk), e2fsprogs and util-linux are the first-boot partitioning tools;
# openssh-server is there only for the service SSH unit, off unless a key is given;
# rauc and rauc-service install updates (D-Bus activated), with squashfs-tools, which
# RAUC 1.8 runs (unsquashfs) to read a bundle's manifest (rauc info, D-Bus InspectBundle)
# and which Debian's package only suggests; mtools and dosfstools let its backend and
# handler edit the FAT partitions without mounting them.
PACKAGES=(
  pcscd libccid libpcsclite1 libzbar0
  python3 python3-venv
  systemd systemd-sysv udev systemd-timesyncd kmod
  fdisk e2fsprogs util-linux
  openssh-server
  rauc rauc-service mtools dosfstools squashfs-tools
)
# On Raspberry Pi OS only: the camera (picamera2 and its libcamera bindings exist
# only as Raspberry Pi OS packages, not as wheels) and gpiozero's lgpio pin factory.
PI_PACKAGES=(python3-picamera2 python3-lgpio)

log() { echo "install-stage: $*"; }
in_root() { chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }

# --- what the chroot needs while we work in it, undone on exit --------------------
MOUNTED=()
CREATED=()
cleanup() {
  local i
  for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do umount -l "${MOUNTED[i]}" || true; done
  for path in "${CREATED[@]}"; do rm -rf --one-file-system "$path"; done
}
trap cleanup EXIT
mount_once() {  # mount_once TYPE SOURCE TARGET [OPTIONS]: unless pi-gen's on_chroot did already
  local target="$ROOTFS$3"
  mountpoint -q "$target" && return 0
  mkdir -p "$target"
  mount -t "$1" ${4:+-o "$4"} "$2" "$target"
  MOUNTED+=("$target")
}
mount_once proc proc /proc
mount_once sysfs sys /sys
mount_once none /dev /dev bind
mount_once devpts devpts /dev/pts gid=5,mode=620
# No service may start inside the chroot while packages install (policy-rc.d(8)).
if [ ! -e "$ROOTFS/usr/sbin/policy-rc.d" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$ROOTFS/usr/sbin/policy-rc.d"
  chmod 755 "$ROOTFS/usr/sbin/policy-rc.d"
  CREATED+=("$ROOTFS/usr/sbin/policy-rc.d")
fi

# --- Debian packages ---------------------------------------------------------------
log "Debian packages"
wanted=("${PACKAGES[@]}")
[ "$RASPBERRY_PI" -eq 1 ] && wanted+=("${PI_PACKAGES[@]}")
in_root apt-get update -qq
# --no-install-recommends: picamera2 recommends a Qt and OpenGL preview stack.
in_root apt-get install -y -qq --no-install-recommends "${wanted[@]}" >/dev/null
in_root apt-get clean

# --- the borne user and its groups -------------------------------------------------
log "user borne"
for group in borne i2c spi gpio video input; do
  in_root getent group "$group" >/dev/null || in_root groupadd --system "$group"
done
if ! in_root getent passwd borne >/dev/null; then
  in_root useradd --system --gid borne --home-dir /var/lib/borne --no-create-home \
    --shell /usr/sbin/nologin --comment "borne reader box daemon" borne
fi
in_root usermod --append --groups i2c,spi,gpio,video,input borne

# --- the venv ----------------------------------------------------------------------
# --system-site-packages: on Raspberry Pi OS, picamera2, libcamera's bindings and
# lgpio come from apt (python3-picamera2, python3-lgpio) and are reachable only this
# way. The venv's own packages come first on sys.path; pip counts a system package
# that already satisfies a requirement (Raspberry Pi OS's numpy, which picamera2's
# compiled helpers were built against) and installs the rest from the wheelhouse.
log "venv /opt/borne/venv"
rm -rf "$ROOTFS/opt/borne/venv"
mkdir -p "$ROOTFS/opt/borne" "$ROOTFS/tmp/borne-wheelhouse"
cp "$WHEELHOUSE"/*.whl "$ROOTFS/tmp/borne-wheelhouse/"
CREATED+=("$ROOTFS/tmp/borne-wheelhouse")
in_root python3 -m venv --system-site-packages /opt/borne/venv
in_root /opt/borne/venv/bin/python -m pip install -q --no-index --no-cache-dir \
  --disable-pip-version-check --find-links /tmp/borne-wheelhouse borne
install -m 644 "$REPO/README.md" "$ROOTFS/opt/borne/README.md"  # the unit's Documentation=

# --- configuration -----------------------------------------------------------------
log "configuration, units, udev rules"
install -d -m 755 "$ROOTFS/etc/borne"
install -m 644 "$HERE/files/borne.toml" "$ROOTFS/etc/borne/borne.toml"
install -d -m 755 "$ROOTFS/etc/systemd/journald.conf.d"
install -m 644 "$HERE/files/journald-borne.conf" "$ROOTFS/etc/systemd/journald.conf.d/borne.conf"

# --- units -------------------------------------------------------------------------
for unit in borne.service borne-poweroff.path borne-poweroff.service borne-usb-gadget.service; do
  install -m 644 "$REPO/systemd/$unit" "$ROOTFS/etc/systemd/system/$unit"
done
install -d -m 755 "$ROOTFS/opt/borne/libexec"
for script in borne-data-partition borne-commit-machine-id borne-service-ssh; do
  install -m 755 "$HERE/files/$script" "$ROOTFS/opt/borne/libexec/$script"
done
for unit in borne-data-partition.service borne-commit-machine-id.service \
            borne-service-ssh.service borne-timesync-state.service; do
  install -m 644 "$HERE/files/$unit" "$ROOTFS/etc/systemd/system/$unit"
done
install -m 644 "$HERE/files/borne-sshd_config" "$ROOTFS/etc/borne/sshd_config"
in_root systemctl enable borne.service borne-poweroff.path borne-data-partition.service \
  borne-commit-machine-id.service borne-service-ssh.service borne-timesync-state.service \
  borne-usb-gadget.service

# --- updates: RAUC, its backend, the A/B units, the USB stick (docs/updates.md) ------
log "updates (RAUC)"
install -d -m 755 "$ROOTFS/etc/rauc" "$ROOTFS/usr/lib/rauc" "$ROOTFS/etc/dbus-1/system.d"
install -m 644 "$HERE/files/rauc/system.conf" "$ROOTFS/etc/rauc/system.conf"
for script in tryboot-backend post-install; do
  install -m 755 "$HERE/files/rauc/$script" "$ROOTFS/usr/lib/rauc/$script"
done
# The keyring: the vendor's (BORNE_RAUC_KEYRING=path), or the development one, said loudly.
keyring=${BORNE_RAUC_KEYRING:-$HERE/keys/development/keyring.pem}
if [ "$keyring" = "$HERE/keys/development/keyring.pem" ]; then
  log "WARNING: the DEVELOPMENT update keyring (image/keys/development): never for a real box"
fi
install -m 644 "$keyring" "$ROOTFS/etc/rauc/keyring.pem"
# Only root and group borne may call RAUC (Debian's policy lets anyone: docs/security.md).
install -m 644 "$HERE/files/borne-rauc.conf" "$ROOTFS/etc/dbus-1/system.d/borne-rauc.conf"
# The daemon may add, change and activate NetworkManager's profiles (docs/network.md).
install -d -m 755 "$ROOTFS/etc/polkit-1/rules.d"
install -m 644 "$HERE/files/50-borne-networkmanager.rules" "$ROOTFS/etc/polkit-1/rules.d/50-borne-networkmanager.rules"
# RAUC's data-directory: a mount point on the read-only root (borne-rauc-state.service).
install -d -m 700 "$ROOTFS/var/lib/rauc"
for unit in borne-update-commit.service borne-update-reboot.path borne-update-reboot.service; do
  install -m 644 "$REPO/systemd/$unit" "$ROOTFS/etc/systemd/system/$unit"
done
for unit in borne-rauc-state.service borne-usb-mount@.service; do
  install -m 644 "$HERE/files/$unit" "$ROOTFS/etc/systemd/system/$unit"
done
install -m 755 "$HERE/files/borne-usb-mount" "$ROOTFS/opt/borne/libexec/borne-usb-mount"
for rules in 61-borne-slot.rules 80-borne-usb-stick.rules; do
  install -m 644 "$HERE/files/$rules" "$ROOTFS/etc/udev/rules.d/$rules"
done
in_root systemctl enable borne-update-commit.service borne-update-reboot.path \
  borne-rauc-state.service
# The system's version (docs/updates.md): image/bundle.sh writes the same file into the
# roots it bundles. BORNE_VERSION= sets it; by default borne's own version.
version=${BORNE_VERSION:-$(sed -n 's/^version = "\(.*\)"$/\1/p' "$REPO/pyproject.toml")}
compatible=$(sed -n 's/^compatible=//p' "$HERE/files/rauc/system.conf")
printf 'VERSION=%s\nCOMPATIBLE=%s\n' "$version" "$compatible" > "$ROOTFS/etc/borne-release"
chmod 644 "$ROOTFS/etc/borne-release"

# --- udev rules and the modprobe blacklist (udev/, written with the rules' tests) ---
shopt -s nullglob
for rules in "$REPO"/udev/*.rules; do
  install -m 644 "$rules" "$ROOTFS/etc/udev/rules.d/$(basename "$rules")"
done
install -d -m 755 "$ROOTFS/etc/modprobe.d"
for conf in "$REPO"/udev/*.conf; do
  install -m 644 "$conf" "$ROOTFS/etc/modprobe.d/$(basename "$conf")"
done
shopt -u nullglob

# --- SSH off: no daemon, no host key, no way to turn it on but a key on /boot ------
log "SSH off, no keys"
# mask, not disable: a later package upgrade's postinst cannot enable them again.
in_root systemctl mask ssh.service ssh.socket
rm -f "$ROOTFS"/etc/ssh/ssh_host_*

# --- read-only root ----------------------------------------------------------------
log "read-only root"
install -m 644 "$HERE/files/fstab" "$ROOTFS/etc/fstab"
# The data partition's mount point, empty, with the owner and mode the unit's
# StateDirectory= wants: systemd need not write to the read-only root to fix it.
rm -rf --one-file-system "$ROOTFS/var/lib/borne"
install -d -m 700 -o "$(in_root id -u borne)" -g "$(in_root id -g borne)" "$ROOTFS/var/lib/borne"
# Writers to the root that would fail once it is read-only: timers that update
# package lists, man pages, logrotate's state and dpkg backups; the swap file.
in_root systemctl mask apt-daily.timer apt-daily-upgrade.timer man-db.timer \
  logrotate.timer dpkg-db-backup.timer dphys-swapfile.service >/dev/null
# The clock: a Pi has no battery-backed clock. systemd-timesyncd sets it from NTP;
# at start it advances it to the last time it saved (the modification time of
# /var/lib/systemd/timesync/clock, touched at each synchronisation and every
# SaveIntervalSec=, 60 s), or while it has saved none, to /usr/lib/clock-epoch's:
# the image's build time (systemd-timesyncd.service(8), timesyncd.conf(5)). The
# saved clock is bound from the data partition by borne-timesync-state.service
# (enabled above, wanted by timesyncd): /var/lib/systemd is a tmpfs.
in_root systemctl enable systemd-timesyncd.service
touch "$ROOTFS/usr/lib/clock-epoch"
# Each box makes its own machine ID at first boot (machine-id(5)): an empty file
# means "first boot"; borne-commit-machine-id.service keeps the one made then.
: > "$ROOTFS/etc/machine-id"
rm -f "$ROOTFS/var/lib/dbus/machine-id" "$ROOTFS/var/lib/systemd/random-seed"

if [ "$RASPBERRY_PI" -eq 1 ]; then
  log "Raspberry Pi OS settings"
  # I2C and SPI on, the OLED's buses: what `raspi-config nonint do_i2c 0` and
  # do_spi write, without its modprobe, which cannot work in a chroot.
  config_txt="$ROOTFS/boot/firmware/config.txt"
  for param in i2c_arm spi; do
    if ! grep -q "^dtparam=$param=on" "$config_txt"; then
      if grep -q "^#[[:space:]]*dtparam=$param=on" "$config_txt"; then
        sed -i -E "s/^#[[:space:]]*(dtparam=$param=on)/\1/" "$config_txt"
      else
        echo "dtparam=$param=on" >> "$config_txt"
      fi
    fi
  done
  echo i2c-dev > "$ROOTFS/etc/modules-load.d/borne-i2c.conf"
  # The USB device port (the box as a USB smart-card reader, docs/usb-reader.md): the
  # dwc2 controller in device mode on the boards whose port can be one, by board type
  # (the revision code's type: 0x11 Pi 4B, 0x13 Pi 400, 0x17 Pi 5, 0x12 Zero 2 W; [pi4]
  # would also match the CM4, whose port feeds its carrier's host ports). The Zero 2 W has
  # one data port: otg, so an OTG adapter still makes it a host. libcomposite: configfs
  # gadgets. Nothing happens on the USB side unless [usb] mode = "ccid".
  if ! grep -q "^# borne: USB device port" "$config_txt"; then
    {
      echo "# borne: USB device port (docs/usb-reader.md)"
      for board in 0x11 0x13 0x17; do
        printf '[board-type=%s]\ndtoverlay=dwc2,dr_mode=peripheral\n' "$board"
      done
      printf '[board-type=0x12]\ndtoverlay=dwc2,dr_mode=otg\n'
      echo "[all]"
    } >> "$config_txt"
  fi
  echo libcomposite > "$ROOTFS/etc/modules-load.d/borne-usb-gadget.conf"
  # Raspberry Pi OS's first-boot helpers write to the root: the SSH switch and
  # host-key regeneration (we have our own service SSH), the first-boot wizard.
  in_root systemctl mask sshswitch.service regenerate_ssh_host_keys.service \
    userconfig.service >/dev/null
  # NetworkManager keeps leases and its secret key in /var/lib/NetworkManager and
  # writes /etc/resolv.conf: give it a tmpfs and a link into /run.
  if [ -d "$ROOTFS/etc/NetworkManager" ]; then
    echo "tmpfs /var/lib/NetworkManager tmpfs mode=0700,nosuid,nodev,noexec,size=4M 0 0" \
      >> "$ROOTFS/etc/fstab"
    ln -sfn /run/NetworkManager/resolv.conf "$ROOTFS/etc/resolv.conf"
  fi
  # cmdline.txt: the root is mounted read-only from the start, and Raspberry Pi
  # OS's first boot must not grow the root over the card: the free space is for
  # the data partition (bookworm: init=.../firstboot; trixie: "resize").
  cmdline="$ROOTFS/boot/firmware/cmdline.txt"
  if [ -f "$cmdline" ]; then
    sed -i -E 's# init=/usr/lib/raspberrypi-sys-mods/firstboot##; s# resize( |$)#\1#; s# ro( |$)#\1#' "$cmdline"
    sed -i -E '1s#$# ro#' "$cmdline"
  fi
fi

# --- nothing secret, nothing left over ---------------------------------------------
in_root find /var/lib/borne -mindepth 1 -print -quit | grep -q . \
  && { echo "install-stage: /var/lib/borne is not empty" >&2; exit 1; }
compgen -G "$ROOTFS/etc/ssh/ssh_host_*" >/dev/null \
  && { echo "install-stage: SSH host keys in the image" >&2; exit 1; }
log "done"
