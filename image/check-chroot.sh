#!/usr/bin/env bash
# CI check of the image's install stage, on a fresh Debian 12 root (as root):
#
#   image/check-chroot.sh [--keep] [--no-boot] [--no-update]
#
#  1. builds wheels of the repo and its dependencies on this machine (from PyPI);
#  2. debootstraps a minimal Debian 12 (bookworm) from this machine's own mirror;
#  3. runs image/install-stage.sh into it, as the image build does;
#  4. checks the result: `systemd-analyze verify` of the units with the package
#     installed, `borne --help`, the default config, the user and its groups, the
#     udev rules and modprobe blacklist, fstab, an empty /var/lib/borne, SSH off, no
#     key and no compiler; and runs the first-boot partitioning script on a loop
#     device that stands for an SD card (create, again, interrupted, refused);
#  5. boots the root under a real systemd (systemd-nspawn, read-only) and checks the
#     daemon there: READY=1, the watchdog, SIGKILL, pcscd restarted, the journal, a
#     broken config, the exposure score, the saved clock (image/check-boot.sh).
# Prints one line per check, then the time of each step, the measured figures and
#  6. updates: RAUC installs bundles into A/B slots on loop devices, the emulated Pi
#     firmware boots the slot autoboot.txt names; every case of image/check-update.sh.
# "check-chroot: N passed, M failed". --no-boot skips steps 5 and 6, --no-update step 6. --keep leaves the
# root (and the data directory the boot used) in place, its path printed, for
# `systemd-nspawn -b -D ROOT` (see image/README.md); the default removes them.
# Nothing is cached between runs: pip runs with --no-cache-dir.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
KEEP=0
BOOT=1
UPDATE=1
for arg in "$@"; do
  case $arg in
    --keep) KEEP=1 ;;
    --no-boot) BOOT=0 ;;
    --no-update) UPDATE=0 ;;
    *) sed -n '2,24p' "$0" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "check-chroot: run as root" >&2; exit 1; }
TOOLS=(debootstrap losetup sfdisk systemd-analyze)
[ "$BOOT" -eq 1 ] && TOOLS+=(systemd-nspawn nsenter /usr/lib/pcsc/drivers/serial/libifdvpcd.so)
[ "$BOOT" -eq 1 ] && [ "$UPDATE" -eq 1 ] && TOOLS+=(rauc mcopy mtype mkfs.vfat mksquashfs openssl curl)
for tool in "${TOOLS[@]}"; do
  command -v "$tool" >/dev/null || [ -e "$tool" ] \
    || { echo "check-chroot: $tool missing (./dev.sh setup)" >&2; exit 1; }
done
# shellcheck source=check-boot.sh source-path=SCRIPTDIR
. "$HERE/check-boot.sh"
# shellcheck source=check-update.sh source-path=SCRIPTDIR
. "$HERE/check-update.sh"

T0=$(date +%s)
STEP_T=$T0
step() {  # step NAME: print the time the previous step took
  local now; now=$(date +%s)
  TIMES+=("$(printf '%-28s %4d s' "$1" $((now - STEP_T)))")
  STEP_T=$now
}
TIMES=()

WORK=$(mktemp -d /var/tmp/borne-image-check.XXXXXX)
ROOT=$WORK/root
MOUNTS=()
LOOP=
unbind_all() {
  local i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do umount -l "${MOUNTS[i]}" 2>/dev/null || true; done
  MOUNTS=()
}
cleanup() {
  stop_box   # the container first: its root and data directory go next
  update_cleanup
  [ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null || true
  unbind_all
  if [ "$KEEP" -eq 1 ]; then
    echo "check-chroot: root kept in $ROOT"
    [ -d "$WORK/data" ] && echo "check-chroot: the boot's data partition kept in $WORK/data"
    rm -rf --one-file-system "${WORK:?}/wheelhouse" "${WORK:?}/src" "${WORK:?}/sd.img" "${WORK:?}/mnt"
  else
    rm -rf --one-file-system "$WORK"
  fi
}
trap cleanup EXIT

# --- 1. wheels ---------------------------------------------------------------------
# The chroot's Python is Debian 12's 3.11: the wheels must be cp311 and built for
# glibc <= 2.36, which this Debian 12 machine's Python 3.11 gives.
PY=$REPO/.venv/bin/python
[ -x "$PY" ] || PY=python3
"$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
  || { echo "check-chroot: wheels need Python 3.11 (Debian 12's); $PY is not" >&2; exit 1; }
# Built from a copy, so that setuptools leaves no build/ or egg-info in the tree.
mkdir -p "$WORK/src"
cp -a "$REPO/pyproject.toml" "$REPO/README.md" "$REPO/src" "$WORK/src/"
find "$WORK/src" -name __pycache__ -prune -exec rm -rf {} +
"$PY" -m pip wheel -q --no-cache-dir --disable-pip-version-check \
  --wheel-dir "$WORK/wheelhouse" "$WORK/src"
step "wheels (pip wheel)"

# --- 2. debootstrap ----------------------------------------------------------------
# This machine's Debian mirror, from its apt sources (deb822 or one-line format).
mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)\/*$/\1/p' \
           /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\/debian\)\/\?[[:space:]]\+bookworm[[:space:]].*/\2/p' \
           /etc/apt/sources.list 2>/dev/null | head -n1)
mirror=${mirror:-http://deb.debian.org/debian}
echo "check-chroot: debootstrap bookworm from $mirror into $ROOT"
debootstrap --variant=minbase bookworm "$ROOT" "$mirror" > "$WORK/debootstrap.log" 2>&1 \
  || { tail -n 30 "$WORK/debootstrap.log" >&2; exit 1; }
step "debootstrap (minbase)"

# --- 3. the install stage ----------------------------------------------------------
"$HERE/install-stage.sh" "$ROOT" "$WORK/wheelhouse"
step "install-stage.sh"

# --- 4. checks ---------------------------------------------------------------------
bind() {  # bind TYPE SOURCE TARGET [OPTIONS]
  mkdir -p "$ROOT$3"
  mount -t "$1" ${4:+-o "$4"} "$2" "$ROOT$3"
  MOUNTS+=("$ROOT$3")
}
bind proc proc /proc
bind sysfs sys /sys
bind none /dev /dev bind
bind tmpfs tmpfs /run mode=0755   # sshd -t's key goes here, not into the image
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"; }

PASSED=0
FAILED=0
check() {  # check "what" command...: one line per check
  local what=$1 out; shift
  if out=$("$@" 2>&1); then
    PASSED=$((PASSED + 1)); echo "ok    $what"
  else
    # sed alone, not `| head`: head leaving early would SIGPIPE sed, and with pipefail
    # and set -e that ended the whole check at its first failure.
    FAILED=$((FAILED + 1)); echo "FAIL  $what"; printf '%s\n' "$out" | sed -n '1,20s/^/      /p'
  fi
}
equals() { [ "$1" = "$2" ] || { echo "expected: $2"; echo "got:      $1"; return 1; }; }
absent() { ! [ -e "$1" ] && ! [ -L "$1" ] || { echo "$1 exists"; return 1; }; }

UNITS=(borne.service borne-poweroff.path borne-data-partition.service
       borne-commit-machine-id.service borne-service-ssh.service borne-timesync-state.service
       borne-update-commit.service borne-update-reboot.path borne-rauc-state.service
       borne-usb-gadget.service)
verify_units() {
  local out
  # --man=no: the image has no man pages to resolve Documentation=man:... against.
  out=$(cd / && in_root systemd-analyze verify --man=no "${UNITS[@]/#//etc/systemd/system/}" /etc/systemd/system/borne-poweroff.service \
    /etc/systemd/system/borne-update-reboot.service borne-usb-mount@sda1.service 2>&1) \
    || { echo "$out"; return 1; }
  # verify exits 0 on some warnings: any line about our units is a failure.
  if printf '%s\n' "$out" | grep -i borne; then return 1; fi
}
check "systemd-analyze verify: ${UNITS[*]} borne-poweroff.service borne-update-reboot.service borne-usb-mount@sda1.service" verify_units
check "borne.service is the repo's systemd/borne.service" \
  cmp "$REPO/systemd/borne.service" "$ROOT/etc/systemd/system/borne.service"
for unit in "${UNITS[@]}"; do
  check "$unit enabled" equals "$(in_root systemctl is-enabled "$unit" 2>&1)" enabled
done
check "/opt/borne/venv/bin/borne --help" in_root /opt/borne/venv/bin/borne --help
check "the venv runs Debian's Python 3.11" \
  equals "$(in_root /opt/borne/venv/bin/python -c 'import sys; print(*sys.version_info[:2])')" "3 11"
check "/etc/borne/borne.toml is accepted by load_config" \
  equals "$(in_root /opt/borne/venv/bin/python -c 'from borne.config import load_config
c = load_config("/etc/borne/borne.toml")
print(c.readers.smartcard, c.display.device, c.panel.pins, c.source)')" \
  "pcsc luma:ssd1306:i2c:1:0x3C native /etc/borne/borne.toml"
check "user borne: primary group borne, shell nologin" \
  equals "$(in_root getent passwd borne | cut -d: -f4,7)" \
  "$(in_root getent group borne | cut -d: -f3):/usr/sbin/nologin"
check "user borne: groups borne i2c spi gpio video input" \
  equals "$(in_root id -nG borne | tr ' ' '\n' | sort | tr '\n' ' ')" "borne gpio i2c input spi video "

udev_files() {
  local f n=0
  for f in "$REPO"/udev/*.rules; do cmp "$f" "$ROOT/etc/udev/rules.d/$(basename "$f")" || return 1; n=$((n + 1)); done
  for f in "$REPO"/udev/*.conf; do cmp "$f" "$ROOT/etc/modprobe.d/$(basename "$f")" || return 1; n=$((n + 1)); done
  [ "$n" -gt 0 ] || { echo "no udev/*.rules nor udev/*.conf in the repo"; return 1; }
}
shopt -s nullglob
check "udev/*.rules in /etc/udev/rules.d, udev/*.conf in /etc/modprobe.d" udev_files
shopt -u nullglob

fstab() {  # fstab MOUNTPOINT: "SOURCE FSTYPE OPTIONS" of its line in the image's fstab
  findmnt --fstab --tab-file "$ROOT/etc/fstab" -n -o SOURCE,FSTYPE,OPTIONS --target "$1" \
    | awk '{print $1, $2, $3}'
}
has_options() {  # has_options MOUNTPOINT OPTION...
  local line; line=$(fstab "$1"); shift
  local opt; for opt in "$@"; do
    [[ ",${line##* }," == *",$opt,"* ]] || { echo "$line: no $opt"; return 1; }
  done
}
check "fstab: / is ext4, read-only" has_options / ro
check "fstab: /boot/firmware read-only" has_options /boot/firmware ro
check "fstab: /var/lib/borne is LABEL=borne-data, ext4, nofail" \
  has_options /var/lib/borne nofail noexec nodev nosuid
check "fstab: /var/lib/borne's source" \
  equals "$(fstab /var/lib/borne | cut -d' ' -f1,2)" "LABEL=borne-data ext4"
for dir in /tmp /var/tmp /var/log /var/lib/systemd; do
  check "fstab: $dir on tmpfs" equals "$(fstab "$dir" | cut -d' ' -f2)" tmpfs
done
check "journald keeps the journal in RAM" \
  grep -qx 'Storage=volatile' "$ROOT/etc/systemd/journald.conf.d/borne.conf"
check "systemd-timesyncd installed and enabled" \
  equals "$(in_root systemctl is-enabled systemd-timesyncd.service 2>&1)" enabled
timesync_on_data_partition() {  # the saved clock survives reboots: not in the tmpfs
  local unit=$ROOT/etc/systemd/system/borne-timesync-state.service source target
  read -r source target < <(sed -n 's|^ExecStart=/bin/mount --bind \([^ ]*\) \([^ ]*\)$|\1 \2|p' "$unit")
  equals "$target" /var/lib/systemd/timesync || return 1
  [[ "$source" == /var/lib/borne/* ]] || { echo "bind source $source is not on the data partition"; return 1; }
  grep -Eq '^Before=(.* )?systemd-timesyncd\.service( |$)' "$unit" \
    || { echo "$unit: not Before=systemd-timesyncd.service"; return 1; }
}
check "timesyncd's clock bound from the data partition before systemd-timesyncd starts" \
  timesync_on_data_partition

# --- updates (RAUC) ---
check "rauc, rauc-service, squashfs-tools, mtools, dosfstools installed" \
  in_root dpkg-query -W rauc rauc-service squashfs-tools mtools dosfstools
rauc_accepts_a_bundle() {  # the image's RAUC, config and keyring verify a bundle.sh bundle
  local tiny=$WORK/tiny-root out
  mkdir -p "$tiny/etc" && head -c 65536 /dev/urandom > "$tiny/etc/noise"
  "$HERE/bundle.sh" --version 9.9.9 --format plain --compression lz4 --root-size 8 \
    "$tiny" "$ROOT/tmp/check.raucb" 2>/dev/null || return 1
  out=$(in_root rauc --conf=/etc/rauc/system.conf info /tmp/check.raucb 2>&1)
  rm -f "$ROOT/tmp/check.raucb"
  grep -q "Verified .* signature by .*DEVELOPMENT" <<<"$out" && grep -q "Version: .*9.9.9" <<<"$out" \
    || { echo "$out" | tail -n 5; return 1; }
}
check "/etc/rauc/system.conf is the repo's" cmp "$HERE/files/rauc/system.conf" "$ROOT/etc/rauc/system.conf"
check "the image's RAUC verifies a development-signed bundle (system.conf, keyring)" rauc_accepts_a_bundle
check "/etc/rauc/keyring.pem: the development keyring (CI)" \
  cmp "$HERE/keys/development/keyring.pem" "$ROOT/etc/rauc/keyring.pem"
check "no signing key in the image" \
  equals "$(grep -rlE 'PRIVATE KEY' "$ROOT/etc" "$ROOT/usr/lib/rauc" "$ROOT/opt/borne/libexec" 2>/dev/null || true)" ""
check "the backend and the post-install handler, executable" \
  test -x "$ROOT/usr/lib/rauc/tryboot-backend" -a -x "$ROOT/usr/lib/rauc/post-install"
check "RAUC's D-Bus policy: only root and group borne" \
  cmp "$HERE/files/borne-rauc.conf" "$ROOT/etc/dbus-1/system.d/borne-rauc.conf"
check "polkit: borne may add and activate NetworkManager's connections, nothing more" \
  cmp "$HERE/files/50-borne-networkmanager.rules" "$ROOT/etc/polkit-1/rules.d/50-borne-networkmanager.rules"
check "/etc/borne-release: VERSION and COMPATIBLE (system.conf's)" \
  equals "$(sed 's/=.*//' "$ROOT/etc/borne-release" | tr '\n' ' ')|$(sed -n 's/^COMPATIBLE=//p' "$ROOT/etc/borne-release")" \
  "VERSION COMPATIBLE |$(sed -n 's/^compatible=//p' "$ROOT/etc/rauc/system.conf")"
check "fstab: / and /boot/firmware are the running slot's (61-borne-slot.rules)" \
  equals "$(fstab / | cut -d' ' -f1) $(fstab /boot/firmware | cut -d' ' -f1) $(ls "$ROOT/etc/udev/rules.d/61-borne-slot.rules" "$ROOT/etc/udev/rules.d/80-borne-usb-stick.rules" | wc -l)" \
  "/dev/borne/rootfs /dev/borne/bootfs 2"

check "/var/lib/borne is empty" equals "$(find "$ROOT/var/lib/borne" -mindepth 1 | head -n3)" ""
check "/var/lib/borne: owner borne, mode 700" \
  equals "$(stat -c '%u %a' "$ROOT/var/lib/borne")" "$(in_root id -u borne) 700"
check "/etc/machine-id is empty (each box makes its own)" \
  equals "$(stat -c %s "$ROOT/etc/machine-id")" 0
check "no SSH host key in the image" \
  equals "$(find "$ROOT/etc/ssh" -maxdepth 1 -name 'ssh_host_*')" ""
check "ssh.service masked" equals "$(in_root systemctl is-enabled ssh.service 2>&1)" masked
check "ssh.socket masked" equals "$(in_root systemctl is-enabled ssh.socket 2>&1)" masked
check "no service SSH key on the boot partition" absent "$ROOT/boot/firmware/borne-ssh.pub"
sshd_config_valid() {
  in_root sh -c 'mkdir -p /run/borne-ssh /run/sshd &&
    ssh-keygen -q -t ed25519 -N "" -f /run/borne-ssh/ssh_host_ed25519_key &&
    /usr/sbin/sshd -t -f /etc/borne/sshd_config'
}
check "service SSH: sshd -t accepts /etc/borne/sshd_config" sshd_config_valid
check "no compiler in the image" \
  equals "$(in_root sh -c 'command -v gcc cc c99 x86_64-linux-gnu-gcc aarch64-linux-gnu-gcc' || true)" ""
step "checks in the chroot"

# --- first-boot partitioning on a loop device standing for the SD card -------------
# The A/B card as image/pi-gen-export/ab-layout.sh writes it: 1 autoboot, 2 and 3 boot
# A and B (FAT), 4 extended holding 5 and 6 (root A and B), then free space.
truncate -s 400M "$WORK/sd.img"
printf 'label: dos\nstart=8192, size=8MiB, type=c\nsize=64MiB, type=c\nsize=64MiB, type=c\nsize=160MiB, type=5\nsize=64MiB, type=83\nsize=64MiB, type=83\n' \
  | sfdisk --quiet "$WORK/sd.img"
LOOP=$(losetup --find --show --partscan "$WORK/sd.img")
# Seen on this CI kernel (6.18): --partscan set, yet no partition shown; partx adds
# them (and says nothing of those the kernel already has).
partx --add "$LOOP" 2>/dev/null || true
partition_script() { in_root /opt/borne/libexec/borne-data-partition "$LOOP"; }
label_of() { blkid -p -s LABEL -o value "${LOOP}p7" 2>/dev/null || true; }
first_six() { sfdisk --dump "$LOOP" | grep -E "^${LOOP}p[1-6] :"; }
SIX_BEFORE=$(first_six | grep -v "p4 :")
first_boot() {
  partition_script >/dev/null || return 1
  equals "$(label_of) $(blkid -p -s TYPE -o value "${LOOP}p7")" "borne-data ext4" || return 1
  # 4 reaches the card's end, 7 fills it, 1 to 3, 5 and 6 untouched.
  local end4 end7 size
  size=$(blockdev --getsz "$LOOP")
  read -r end4 < <(sfdisk --dump "$LOOP" | awk -F'[=,]' -v p="${LOOP}p4 " 'index($0, p) == 1 { print $2 + $4 }')
  read -r end7 < <(sfdisk --dump "$LOOP" | awk -F'[=,]' -v p="${LOOP}p7 " 'index($0, p) == 1 { print $2 + $4 }')
  equals "$end4 $end7" "$size $size" || return 1
  equals "$(first_six | grep -v "p4 :")" "$SIX_BEFORE"
}
check "first boot: grows 4 to the end, makes logical 7, ext4, LABEL=borne-data" first_boot
root_owner() {
  mkdir -p "$WORK/mnt"
  mount -o ro "${LOOP}p7" "$WORK/mnt"
  local owner; owner=$(stat -c %u "$WORK/mnt")
  umount "$WORK/mnt"
  equals "$owner" "$(in_root id -u borne)"
}
check "first boot: the new file system's root belongs to borne" root_owner
second_boot() {
  local before after; before=$(sfdisk --dump "$LOOP" | sed 1,2d)
  partition_script | grep -q "is the data partition" || return 1
  after=$(sfdisk --dump "$LOOP" | sed 1,2d)
  equals "$after" "$before"
}
check "next boot: nothing to do, partition table unchanged" second_boot
interrupted() {
  wipefs -q -a "${LOOP}p7"
  partition_script >/dev/null && equals "$(label_of)" borne-data
}
check "first boot cut off before mkfs: formats partition 7" interrupted
foreign() {
  mkfs.ext4 -q -F -L other "${LOOP}p7"
  ! partition_script >/dev/null 2>&1 && equals "$(label_of)" other
}
check "partition 7 holding another file system: refused, left alone" foreign
cut_after_growing() {
  # The power went after 4 was grown, before 7 was appended: 7 is made on the next boot.
  wipefs -q -a "${LOOP}p7"
  partx --delete --nr 7 "$LOOP"
  sfdisk --quiet --no-reread --no-tell-kernel --delete "$LOOP" 7
  partition_script >/dev/null && equals "$(label_of)" borne-data \
    && equals "$(first_six | grep -v "p4 :")" "$SIX_BEFORE"
}
check "first boot cut off between growing 4 and making 7: makes 7" cut_after_growing
losetup -d "$LOOP"; LOOP=
step "first-boot partitioning"

# --- 5. boot under systemd (image/check-boot.sh) -------------------------------------
if [ "$BOOT" -eq 1 ]; then
  unbind_all   # systemd-nspawn mounts the container's own /proc, /sys, /dev and /run
  boot_checks
  # --- 6. updates (image/check-update.sh) ---------------------------------------------
  if [ "$UPDATE" -eq 1 ]; then update_checks; fi
fi

echo
printf '%s\n' "${TIMES[@]}"
printf '%-28s %4d s\n' "total" $(($(date +%s) - T0))
[ -s "$WORK/figures" ] && { echo; cat "$WORK/figures"; }
echo "check-chroot: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
