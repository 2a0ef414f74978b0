# shellcheck shell=bash
# The update phase of image/check-chroot.sh (sourced by it, not run on its own): the
# image's A/B updates with RAUC, for real, on an SD card made of loop devices, booted
# under systemd-nspawn slot after slot.
#
#   the SD card     p1 autoboot (FAT, autoboot.txt), p2/p3 boot A/B (FAT, cmdline.txt),
#                   p5/p6 root A/B (ext4), each a loop device bound into the container at
#                   the name the image's /etc/rauc/system.conf gives (/dev/mmcblk0pN); the
#                   data partition is the directory the boot phase used
#   the firmware    EMULATED, the one part that cannot run here: `firmware_boot` reads
#                   autoboot.txt from p1 and the one-shot tryboot flag (the parameter of
#                   the box's last `systemctl reboot`, caught at shutdown), picks the boot
#                   partition as the Pi firmware does, reads its cmdline.txt for root= and
#                   rauc.slot=, and boots that root read-only with systemd-nspawn
#   RAUC            the image's own rauc service, custom backend and bundles signed by the
#                   development key; bundles are format=plain here (this kernel has no
#                   device-mapper for verity; the image ships verity)
#
# Cases, each a check: N -> N+1 from a file, N+1 -> N+2 from the API, N+2 -> N+3 from a
# USB stick, each booted and committed with the workstation and the journal kept; a
# bundle of another key, a tampered one, one for another compatible and a downgrade,
# refused with their codes and nothing written; a power cut during an install; a
# reboot held by an open apCV session; a slot whose borne.service never gets ready,
# rolled back by itself. Figures: bundle size, install time, reboot downtime,
# rollback time.
#
# Uses check-chroot.sh's ROOT, WORK, PY, HERE, check, equals, step and check-boot.sh's
# box, borne_cli, start_box, stop_box, wait_until, now_ms, seconds, figure, json_get.

export MTOOLS_SKIP_CHECK=1   # mtools: image files and loop devices have no disk geometry
UPD=             # $WORK/update: the SD card's partition files, bundles, firmware state
declare -A PART  # partition number -> its loop device
BUNDLE_LOOPS=()  # free loop devices bound into the box, for RAUC's bundle mount
SLOT_MNT=        # where the booted slot's root is mounted on this machine
BOOTED_SLOT=     # A or B: what the emulated firmware booted
BOOTED_TRY=      # 1 when that boot was a tryboot
UPD_CLIENT=      # the paired workstation's files (bound into the box)
N_VERSION=       # the image's version, and the bundles' after it
STICK_LOOP=
BUNDLES_LOOP=
BOOTS=0          # how many times the emulated firmware booted the box

# --- the SD card -------------------------------------------------------------------
# Sizes: a root slot holds the check's root (about 0.6 GB) with room to grow.
ROOT_SLOT_MB=1400
BOOT_SLOT_MB=64

make_sd_card() {
  local files=$UPD/sd
  mkdir -p "$files"
  mkfs.vfat -n AUTOBOOT -C "$files/p1.img" 8192 > /dev/null
  mcopy -i "$files/p1.img" "$HERE/files/rauc/autoboot.txt" ::autoboot.txt
  local part slot root
  for part in 2 3; do
    mkfs.vfat -n "BOOT$part" -C "$files/p$part.img" $((BOOT_SLOT_MB * 1024)) > /dev/null
  done
  # Slot A is the image as flashed: its boot partition's cmdline.txt names its root.
  mcopy -i "$files/p2.img" "$UPD/boot/cmdline.txt" "$UPD/boot/config.txt" ::
  for part in 5 6; do truncate -s "${ROOT_SLOT_MB}M" "$files/p$part.img"; done
  mkfs.ext4 -q -F -L rootfs-a -d "$ROOT" "$files/p5.img"
  # p7, the data partition: the boot phase's data directory, as an ext4 file system.
  truncate -s 1G "$files/p7.img"
  mkfs.ext4 -q -F -L borne-data -d "$WORK/data" "$files/p7.img"
  # The bundles the check installs "from a file", on a disk of their own.
  local size; size=$(du -sm "$UPD/bundles" | cut -f1)
  truncate -s $((size + size / 5 + 64))M "$files/bundles.img"
  mkfs.ext4 -q -F -L bundles -d "$UPD/bundles" "$files/bundles.img"
  for part in 1 2 3 5 6 7; do PART[$part]=$(losetup --find --show "$files/p$part.img"); done
  BUNDLES_LOOP=$(losetup --find --show --read-only "$files/bundles.img")
  # RAUC installs a plain bundle only from a file system whose device it can see (it
  # checks that nobody else can change the file while it reads it): the data partition
  # and the bundles' disk are mounted here from loop devices that are bound into the box
  # under their own names, as its /proc/self/mountinfo gives them.
  mount "${PART[7]}" "$WORK/data"
  chown "$(in_root id -u borne):$(in_root id -g borne)" "$WORK/data"; chmod 700 "$WORK/data"
  mkdir -p "$UPD/bundles-disk"; mount -o ro "$BUNDLES_LOOP" "$UPD/bundles-disk"
  # RAUC mounts each bundle on a loop device it asks the kernel for (LOOP_CTL_GET_FREE,
  # the lowest free one): the next few free ones are bound into the box.
  for slot in 1 2 3 4; do
    root=$(losetup --find); [ -e "$root" ] || mknod "$root" b 7 "${root#/dev/loop}"
    BUNDLE_LOOPS+=("$root")
    truncate -s 1M "$UPD/reserve$slot"; losetup "$root" "$UPD/reserve$slot"
  done
  for root in "${BUNDLE_LOOPS[@]}"; do losetup -d "$root"; done
}

# --- the emulated Raspberry Pi firmware ------------------------------------------
# What the firmware does with autoboot.txt (Raspberry Pi documentation, config.txt,
# "autoboot.txt"): with tryboot_a_b=1, the [all] section's boot_partition is booted,
# or the [tryboot] section's when the one-shot tryboot flag is set (`reboot '0 tryboot'`);
# the flag is cleared before the boot, so any later reset boots [all] again.
autoboot_value() {  # autoboot_value SECTION KEY: from p1's autoboot.txt
  mtype -i "$UPD/sd/p1.img" ::autoboot.txt | tr -d '\r' | awk -v want="[$1]" -v key="$2" '
    /^\[.*\]$/ { section = $0; next }
    section == want && index($0, key "=") == 1 { value = substr($0, length(key) + 2) }
    END { print value }'
}
firmware_choose() {  # sets BOOT_PART, BOOTED_TRY; clears the one-shot flag
  BOOTED_TRY=0
  if [ -f "$UPD/firmware/reboot-param" ] && grep -qw tryboot "$UPD/firmware/reboot-param" \
       && [ "$(autoboot_value all tryboot_a_b)" = 1 ]; then
    BOOTED_TRY=1
  fi
  rm -f "$UPD/firmware/reboot-param"
  if [ "$BOOTED_TRY" = 1 ]; then BOOT_PART=$(autoboot_value tryboot boot_partition)
  else BOOT_PART=$(autoboot_value all boot_partition); fi
}
firmware_boot() {  # boots what the firmware would: prints nothing, sets BOOTED_SLOT
  firmware_choose
  local cmdline root_part
  cmdline=$(mtype -i "$UPD/sd/p$BOOT_PART.img" ::cmdline.txt | tr -d '\r')
  root_part=$(sed -n 's|.*root=/dev/mmcblk0p\([0-9]*\).*|\1|p' <<< "$cmdline")
  BOOTED_SLOT=$(sed -n 's|.*rauc\.slot=\([A-Z]\).*|\1|p' <<< "$cmdline")
  [ -n "$root_part" ] && [ -n "${PART[$root_part]:-}" ] && [ -n "$BOOTED_SLOT" ] \
    || { echo "firmware: boot partition $BOOT_PART's cmdline.txt: '$cmdline'" >&2; return 1; }
  SLOT_MNT=$UPD/slot-root
  mkdir -p "$SLOT_MNT"
  mount -o ro,noload "${PART[$root_part]}" "$SLOT_MNT"
  # What the kernel and the firmware tell a booted Pi, told to the container instead, to
  # every unit (system.conf.d's DefaultEnvironment; tryboot-backend reads these
  # variables): the tryboot flag (/proc/device-tree/chosen/bootloader/tryboot, a
  # big-endian u32), the kernel command line (rauc.slot=; a container shares the
  # host's /proc/cmdline) and a boot id (a container shares the host's too).
  mkdir -p "$UPD/firmware/run" "$UPD/sysconf" "$UPD/units/rauc.service.d" "$UPD/units/multi-user.target.wants"
  printf "\\x00\\x00\\x00\\x0$BOOTED_TRY" > "$UPD/firmware/run/tryboot"
  echo "$cmdline" > "$UPD/firmware/run/cmdline"
  cat /proc/sys/kernel/random/uuid > "$UPD/firmware/run/boot_id"
  cat > "$UPD/sysconf/emulated-firmware.conf" <<EOF
[Manager]
DefaultEnvironment=BORNE_TRYBOOT_FLAG=/run/borne-firmware/tryboot BORNE_CMDLINE=/run/borne-firmware/cmdline BORNE_BOOT_ID=/run/borne-firmware/boot_id
EOF
  # RAUC itself reads rauc.slot= from /proc/cmdline: told with its debugging option.
  cat > "$UPD/units/rauc.service.d/emulated-firmware.conf" <<EOF
[Service]
ExecStart=
ExecStart=/usr/bin/rauc --mount=/run/rauc service --override-boot-slot=$BOOTED_SLOT
EOF
  # The reboot parameter: systemctl writes it to /run/systemd/reboot-param before the
  # shutdown, a tmpfs the container takes with it; this unit copies it out as it stops.
  cat > "$UPD/units/borne-emulated-firmware.service" <<'EOF'
[Unit]
Description=Emulated Pi firmware: keep the reboot parameter (check-update.sh)
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/true
ExecStop=/bin/sh -c 'cp /run/systemd/reboot-param /run/borne-firmware-out/ 2>/dev/null || true'
[Install]
WantedBy=multi-user.target
EOF
  ln -sf ../borne-emulated-firmware.service "$UPD/units/multi-user.target.wants/"
  local binds=() part loop
  for part in 1 2 3 5 6; do binds+=(--bind="${PART[$part]}:/dev/mmcblk0p$part"); done
  binds+=(--bind="${PART[7]}" --bind="$BUNDLES_LOOP")
  binds+=(--bind=/dev/loop-control)
  for loop in "${BUNDLE_LOOPS[@]}"; do binds+=(--bind="$loop"); done
  [ -n "$STICK_LOOP" ] && binds+=(--bind="$STICK_LOOP:/dev/sda1")
  # Each boot's journal (RAM on the box: /run/log/journal) kept here, to read after the
  # container is gone: `journalctl -D $WORK/update/journal/N`.
  BOOTS=$((BOOTS + 1))
  mkdir -p "$UPD/journal/$BOOTS"
  binds+=(--bind="$UPD/journal/$BOOTS:/run/log/journal")
  BOX_ROOT=$SLOT_MNT
  BOX_EXTRA=("${binds[@]}"
    --bind-ro="$UPD/firmware/run:/run/borne-firmware"
    --bind-ro="$UPD/sysconf:/run/systemd/system.conf.d"
    --bind="$UPD/firmware:/run/borne-firmware-out"
    --bind-ro="$UPD/units:/run/systemd/system"
    --bind-ro="$UPD/bundles-disk:/srv"
    --bind="$UPD/client:/run/borne-check-client"
    --bind="$UPD/scanner:/run/borne-check-scanner")
  start_box
}
shut_down() {  # shut_down SECONDS: box_stopped, then the slot's root is unmounted here
  box_stopped "$1"
  umount "$SLOT_MNT" 2>/dev/null || umount -l "$SLOT_MNT"
}
power_cut() {  # the box loses power: SIGKILL to its PID 1 ends every process in it at once
  kill -KILL "$BOX_INIT" 2>/dev/null
  shut_down 10
}

# --- bundles -------------------------------------------------------------------------
next_version() { awk -F. -v OFS=. '{ $NF = $NF + 1; print }' <<< "$1"; }
# The boot partition's files: this root has no Raspberry Pi kernel or firmware, so a
# config.txt and a cmdline.txt stand for them (RAUC's post-install handler points the
# cmdline.txt at the slot's own root, and the emulated firmware reads it).
boot_files() {
  mkdir -p "$UPD/boot"
  printf '# the check'"'"'s stand-in for the Pi firmware'"'"'s config.txt\narm_64bit=1\n' > "$UPD/boot/config.txt"
  printf 'console=tty1 root=/dev/mmcblk0p5 rootfstype=ext4 ro rootwait rauc.slot=A\n' > "$UPD/boot/cmdline.txt"
}
bundle_of() {  # bundle_of ROOT VERSION FILE [bundle.sh options...]: plain, lz4, into bundles/
  local root=$1 version=$2 out=$3; shift 3
  "$HERE/bundle.sh" --version "$version" --format plain --compression lz4 "$@" \
    "$root" "$UPD/bundles/$out" > "$UPD/bundle-$out.log" 2>&1 \
    || { tail -n 20 "$UPD/bundle-$out.log" >&2; return 1; }
}
make_bundle() {  # make_bundle VERSION FILE [bundle.sh options...]: from the check's root
  bundle_of "$ROOT" "$1" "$2" --boot "$UPD/boot" "${@:3}"
}

# --- the box, seen from its workstation -----------------------------------------------
api() {  # api METHOD PATH [curl options...]: the paired workstation's request, in the box's network
  local method=$1 path=$2; shift 2
  nsenter -t "$BOX_INIT" -n curl -sS --fail-with-body --max-time 10 -X "$method" \
    --cert "$UPD_CLIENT/client.crt" --key "$UPD_CLIENT/client.key" --cacert "$UPD_CLIENT/ca.crt" \
    "https://127.0.0.1:8443$path" "$@"
}
update_status() { api GET /v1/status | json_get "$1"; }
local_status() { borne_cli status --json | json_get "$1"; }   # through the box's control socket
system_version() { local_status 's["update"]["system_version"]'; }
update_state() { local_status 's["update"]["state"]'; }
slot_sha() { sha256sum < "${PART[$1]}" | cut -c1-64; }
other_root() { [ "$BOOTED_SLOT" = A ] && echo 6 || echo 5; }

booted_as() {  # booted_as SLOT VERSION TRY: the firmware's choice and what the box says
  equals "$BOOTED_SLOT $BOOTED_TRY" "$1 $3" || return 1
  wait_until 60 version_is "$2"; equals "$(system_version)" "$2" || { boot_journal; return 1; }
}
version_is() { [ "$(system_version)" = "$1" ]; }
boot_journal() {  # the end of this boot's journal, for a failed check
  journalctl -D "$UPD/journal/$BOOTS" -q -o short-monotonic --no-pager -n "${1:-18}" \
    | cut -c1-220
}
committed() {  # the commit unit marked the tried slot good: autoboot.txt [all] names it
  wait_until "${1:-90}" commit_done
  # The daemon sees RAUC's primary change within its trial poll (2 s).
  equals "$(autoboot_value all boot_partition)" "$BOOT_PART" && wait_until 10 state_is committed \
    || { box journalctl -q -o cat --no-pager -n 30 -u borne-update-commit.service; return 1; }
}
kept_state() {  # the workstation paired at N still served, the audit chain longer
  api GET /v1/status > /dev/null || return 1
  local entries; entries=$(audit_entries)
  [ -n "$entries" ] && [ "$entries" -gt "$UPD_AUDIT" ] \
    || { echo "audit verify: '$entries' entries, $UPD_AUDIT before"; return 1; }
  UPD_AUDIT=$entries
}
check_here() {  # check_here "what" COMMAND...: as check, in this shell (COMMAND changes the box's state)
  local what=$1; shift
  if "$@" > "$UPD/check.out" 2>&1; then
    PASSED=$((PASSED + 1)); echo "ok    $what"
  else
    FAILED=$((FAILED + 1)); echo "FAIL  $what"; sed -n '1,20s/^/      /p' "$UPD/check.out"
  fi
}
commit_done() { [ "$(box systemctl is-active borne-update-commit.service)" != activating ]; }
state_is() {  # state_is STATE...: the update service's state is one of them
  local state want; state=$(update_state 2>/dev/null) || return 1
  for want in "$@"; do [ "$state" = "$want" ] && return 0; done
  return 1
}
# --- an install, then the reboot into the new slot, timed ----------------------------
# Install time: from the command to the update service's "installed". Downtime: from the
# last request the old system answered over the API to the first one the new system
# answers. The emulated firmware's choice takes milliseconds; a real Pi's firmware and
# kernel add their own boot time (about 10 to 20 s).
reboot_into() {  # reboot_into LABEL [COMMAND...]: run COMMAND (an install) in the box, wait
  # for it to be installed, for the box to reboot by itself, and boot the next slot
  local label=$1 t0 last_ok=0 installed_at=0 state deadline; shift
  t0=$(now_ms)
  if [ $# -gt 0 ]; then "$@" || { echo "$label: '$*' failed"; return 1; }; fi
  deadline=$(($(now_ms) + ${REBOOT_WAIT_S:-240} * 1000))
  while kill -0 "$BOX_NSPAWN" 2>/dev/null && [ "$(now_ms)" -lt "$deadline" ]; do
    if state=$(update_status 's["update"]["state"]' 2>/dev/null); then
      last_ok=$(now_ms)
      case $state in
        installed | rebooting) [ "$installed_at" -gt 0 ] || installed_at=$last_ok ;;
        failed) echo "$label: the install failed: $(update_status 's["update"]')"; boot_journal 20; return 1 ;;
      esac
    fi
    sleep 0.05
  done
  shut_down 30
  [ "$BOX_RC" = timeout ] && { echo "$label: the box did not reboot by itself"; return 1; }
  [ "$installed_at" -gt 0 ] && [ $# -gt 0 ] \
    && figure "update: $label: install $(seconds $((installed_at - t0))) s"
  firmware_boot || return 1
  [ "${EXPECT_API:-1}" = 1 ] || return 0   # a slot that is not meant to come up
  wait_until 90 api GET /v1/status || { echo "$label: the API never answered after the reboot"; return 1; }
  [ "$last_ok" -gt 0 ] \
    && figure "update: $label: downtime (last API answer of the old system to the first of the new) $(seconds $(($(now_ms) - last_ok))) s"
  return 0
}

# --- an apCV session held open across an install ---------------------------------
cps_decoded() { [ "$(borne_cli status --json | json_get '[r["card"]["type"] for r in s["readers"] if r.get("card")]')" = "['cps']" ]; }
# The card is outside the box, as a real one is: the simulator's card process runs on this
# machine, in the box's network only (a process left in the box's own PID namespace would
# hold its shutdown, up to systemd-shutdown's timeout, at the reboot).
cps_in() {  # a CPS in the box's reader
  nsenter -t "$BOX_INIT" -n "$PY" -m borne.sim.card_process --port "$VPCD_PORT" --card cps-pharmacist \
    > "$WORK/cps.log" 2>&1 &
  CARD_JOB=$!
  echo "$CARD_JOB" > "$WORK/card.pid"
  wait_until 20 cps_decoded || { cat "$WORK/cps.log"; borne_cli status --json; return 1; }
}
presentation() {  # the last apCV presentation's id, from the event history
  # The event stream never ends by itself: curl stops it after 2 s (and fails for it).
  { api GET "/v1/events?after=0" --max-time 2 2>/dev/null || true; } \
    | sed -n 's/.*"presentation_id": *"\([^"]*\)".*/\1/p' | tail -n 1 | grep .
}
apcv_open() {  # the patient's app, typed by the USB scanner twin; the billing software opens a session
  local payload id
  payload=BORNE-CHECK-APCV-$(head -c 60 /dev/urandom | base64 -w0 | tr -d '/+=')
  box /opt/borne/venv/bin/python -c 'import sys
from borne.sim.scanner_keys import type_code
type_code("/run/borne-check-scanner/keys.jsonl", sys.argv[1], "azerty")' "$payload" || return 1
  wait_until 10 presentation || { echo "no apCV presentation"; return 1; }
  id=$(presentation)
  # As billing software does: fetch the presentation (to authenticate it), then open.
  api GET "/v1/apcv/presentations/$id" > /dev/null || return 1
  api POST /v1/apcv/sessions -H 'Content-Type: application/json' \
    -d "{\"presentation_id\": \"$id\"}" > "$UPD/session.json" || { cat "$UPD/session.json"; return 1; }
}
held_by_session() {  # installed, the reboot held by the session, the box still up
  wait_until 240 state_is installed || { update_status s; return 1; }
  sleep 2
  kill -0 "$BOX_NSPAWN" || { echo "the box rebooted with a session open"; return 1; }
  update_status 's["update"]["reboot_held_by"]' | grep -qi apcv \
    || { echo "reboot_held_by: $(update_status 's["update"]["reboot_held_by"]')"; return 1; }
}

# --- a USB stick -------------------------------------------------------------------
# A pharmacy's stick is FAT or exFAT, which the image's borne-usb-mount@.service mounts
# (and only those). This kernel has neither: the stick here is ext4, mounted the way
# the unit mounts a stick (read-only, nosuid, nodev, noexec, on /run/borne-usb/<name>,
# readable by group borne); the unit and its helper are tested on their own
# (tests/unit/test_update_units.py). There is no udev in a container either: the stick is
# "plugged" by making its device node.
plug_stick() {  # plug_stick BUNDLE: a stick holding that one bundle, plugged into the box
  mkdir -p "$UPD/stick"
  ln -f "$UPD/bundles/$1" "$UPD/stick/$1"
  truncate -s 0 "$UPD/stick.img"; truncate -s 700M "$UPD/stick.img"
  mkfs.ext4 -q -F -L STICK -d "$UPD/stick" "$UPD/stick.img"
  STICK_LOOP=$(losetup --find --show --read-only "$UPD/stick.img")
  box mknod -m 660 /dev/sda1 b "$((16#$(stat -c %t "$STICK_LOOP")))" "$((16#$(stat -c %T "$STICK_LOOP")))" \
    && box sh -c 'mkdir -p -m 0755 /run/borne-usb && mkdir -m 0750 /run/borne-usb/sda1 &&
                  chgrp borne /run/borne-usb/sda1 &&
                  mount -o ro,nosuid,nodev,noexec,noatime /dev/sda1 /run/borne-usb/sda1'
}
unplug_stick() {
  [ -n "$STICK_LOOP" ] || return 0
  losetup -d "$STICK_LOOP" 2>/dev/null || true
  STICK_LOOP=
}

# --- refused bundles ----------------------------------------------------------------
refused() {  # refused BUNDLE CODE: `borne update install` refuses it with CODE
  local out
  if out=$(borne_cli update install "/srv/$1" 2>&1); then echo "accepted: $out"; return 1; fi
  grep -q "$2" <<< "$out" || { echo "$out"; return 1; }
}
untouched() { equals "$(slot_sha "$(other_root)")" "$OTHER_SHA"; }

never_ready_root() {  # adds to the check's root what makes borne.service never ready
  mkdir -p "$ROOT/etc/systemd/system/borne.service.d"
  printf '[Service]\nExecStart=\nExecStart=/bin/sleep infinity\n' \
    > "$ROOT/etc/systemd/system/borne.service.d/check-never-ready.conf"
}

update_cleanup() {
  [ -n "$UPD" ] || return 0
  [ -n "$SLOT_MNT" ] && umount -l "$SLOT_MNT" 2>/dev/null || true
  unplug_stick
  umount "$UPD/bundles-disk" 2>/dev/null || true
  umount "$WORK/data" 2>/dev/null || true
  [ -n "$BUNDLES_LOOP" ] && losetup -d "$BUNDLES_LOOP" 2>/dev/null || true
  local part; for part in "${!PART[@]}"; do losetup -d "${PART[$part]}" 2>/dev/null || true; done
  PART=()
}

# --- the phase ---------------------------------------------------------------------
update_box_toml() {  # the image's borne.toml, plus the scanner twin, a short apCV session and commit deadline
  sed -e 's|^scanner = .*|scanner = "keylog:/run/borne-check-scanner/keys.jsonl"|' \
      -e 's|^\[apcv\]$|[apcv]\nsession_seconds = 20|'
  grep -q '^\[update\]' "$ROOT/etc/borne/borne.toml" || printf '\n[update]\n'
  printf 'commit_deadline_s = %s\n' "$COMMIT_DEADLINE_S"
}
COMMIT_DEADLINE_S=25

update_checks() {
  UPD=$WORK/update
  mkdir -p "$UPD"/{bundles,firmware,units,client,scanner}
  chown "$(in_root id -u borne):$(in_root id -g borne)" "$UPD/scanner"
  : > "$UPD/scanner/keys.jsonl"; chown "$(in_root id -u borne)" "$UPD/scanner/keys.jsonl"
  box_toml() { update_box_toml; }
  N_VERSION=$(sed -n 's/^VERSION=//p' "$ROOT/etc/borne-release")
  local n1 n2 n3 n4 n5 begun
  n1=$(next_version "$N_VERSION"); n2=$(next_version "$n1"); n3=$(next_version "$n2")
  n4=$(next_version "$n3"); n5=$(next_version "$n4")

  boot_files
  begun=$(now_ms)
  check "bundle: $n1 (format=plain, lz4) from the check's root" make_bundle "$n1" n1.raucb
  figure "update: bundle $n1 built in $(seconds $(($(now_ms) - begun))) s: $(($(stat -c %s "$UPD/bundles/n1.raucb") / 1048576)) MiB (plain, lz4; the image ships verity, see docs/updates.md)"
  check "bundle: $n2" make_bundle "$n2" n2.raucb
  check "bundle: $n3" make_bundle "$n3" n3.raucb
  check "bundle: $n4" make_bundle "$n4" n4.raucb
  never_ready_root
  check "bundle: $n5, whose borne.service never gets ready" make_bundle "$n5" n5-never-ready.raucb
  rm -r "$ROOT/etc/systemd/system/borne.service.d"
  make_refused_bundles
  step "update: bundles"

  check_here "SD card: partitions as loop devices, slot A flashed with $N_VERSION" make_sd_card
  check "SD card: autoboot.txt boots partition 2 (slot A); tryboot partition 3" \
    equals "$(autoboot_value all tryboot_a_b) $(autoboot_value all boot_partition) $(autoboot_value tryboot boot_partition)" "1 2 3"
  check_here "the emulated firmware boots" firmware_boot
  check "boot: the firmware boots slot A, $N_VERSION" booted_as A "$N_VERSION" 0
  check "rauc status: booted A, both root slots known" rauc_knows_slots
  check_here "the box admin's workstation pairs" pair_update_client
  UPD_AUDIT=$(audit_entries 2>/dev/null || echo 0)

  OTHER_SHA=$(slot_sha "$(other_root)")
  check "refused: a bundle signed by another key (update_bad_signature)" refused other-key.raucb update_bad_signature
  check "refused: a tampered bundle (update_bad_signature)" refused tampered.raucb update_bad_signature
  check "refused: a bundle for another compatible (update_wrong_compatible)" refused other-compatible.raucb update_wrong_compatible
  check "refused: a downgrade (update_downgrade_refused)" refused downgrade.raucb update_downgrade_refused
  check "refused bundles: nothing written to the other slot" untouched
  step "update: refusals"

  # N -> N+1 from a file on the box.
  check_here "install $n1 from a file (borne update install), then tryboot into slot B" \
    reboot_into "$N_VERSION -> $n1 (a file)" borne_cli update install /srv/n1.raucb
  check "boot: slot B, $n1, on trial (tryboot)" booted_as B "$n1" 1
  check "committed: autoboot.txt boots B, state committed" committed
  check_here "kept: the workstation still served, the audit journal longer" kept_state
  step "update: from a file"

  # N+1 -> N+2 from the API, with an apCV session open: the reboot waits for it.
  check_here "a CPS in the reader" cps_in
  check "an apCV session opened by the workstation" apcv_open
  begun=$(now_ms)
  check "install $n2 from the API (borne client update)" \
    borne_cli client update --dir "$CLIENT_DIR" --reboot when-idle /srv/n2.raucb
  figure "update: $n1 -> $n2 (API): upload of $(($(stat -c %s "$UPD/bundles/n2.raucb") / 1048576)) MiB and install, \`borne client update\` $(seconds $(($(now_ms) - begun))) s"
  check "installed; the reboot held while the apCV session is open" held_by_session
  check_here "the session ends: the box reboots into slot A" reboot_into "$n1 -> $n2 (after the session)"
  remove_card
  check "boot: slot A, $n2, on trial" booted_as A "$n2" 1
  check "committed" committed
  check_here "kept: workstation and journal" kept_state
  step "update: from the API"

  # N+2 -> N+3 from a USB stick.
  check_here "install $n3 from a USB stick, then reboot into slot B" \
    reboot_into "$n2 -> $n3 (USB stick)" plug_stick n3.raucb
  unplug_stick
  check "boot: slot B, $n3, on trial" booted_as B "$n3" 1
  check "committed" committed
  check_here "kept: workstation and journal" kept_state
  step "update: from a USB stick"

  # A power cut during an install.
  check "install $n4 begins" borne_cli update install /srv/n4.raucb
  check "install $n4 under way" wait_until 60 progressing
  power_cut
  check_here "the emulated firmware boots" firmware_boot
  check "power cut during the install: the box boots slot B, $n3, again" booted_as B "$n3" 0
  check_here "after the power cut: a new install of $n4 succeeds, then reboot into slot A" \
    reboot_into "$n3 -> $n4" borne_cli update install /srv/n4.raucb
  check "boot: slot A, $n4, on trial" booted_as A "$n4" 1
  check "committed" committed
  step "update: power cut"

  # A slot that never gets ready: not committed, back on the old slot by itself.
  EXPECT_API=0 check_here "install $n5 (never ready), then reboot into slot B" \
    reboot_into "$n4 -> $n5 (never ready)" borne_cli update install /srv/n5-never-ready.raucb
  local bad_t0; bad_t0=$(now_ms)
  check "boot: slot B, on trial" equals "$BOOTED_SLOT $BOOTED_TRY" "B 1"
  REBOOT_WAIT_S=$((COMMIT_DEADLINE_S + 90)) check_here "not committed: the box reboots by itself" reboot_back
  figure "update: a bad slot: from its boot to the old system answering again: $(seconds $(($(now_ms) - bad_t0))) s (commit deadline ${COMMIT_DEADLINE_S} s)"
  check "boot: slot A, $n4 again, not a tryboot" booted_as A "$n4" 0
  check "autoboot.txt still boots A" equals "$(autoboot_value all boot_partition)" 2
  check "the box reports update.rolled_back" rolled_back
  step "update: rollback"
  stop_box
  umount "$SLOT_MNT" 2>/dev/null || true
}

progressing() { [ "$(update_status 's["update"]["progress"]')" -gt 5 ] && state_is installing; }
reboot_back() {  # the tried slot is not committed: its own reboot, then the firmware's choice
  shut_down $((REBOOT_WAIT_S + 30))
  [ "$BOX_RC" = timeout ] && { echo "the tried slot did not reboot by itself"; return 1; }
  firmware_boot && wait_until 90 api GET /v1/status
}
rolled_back() {
  equals "$(update_state)" rolled_back || return 1
  [ "$(journal_count _SYSTEMD_UNIT=borne.service BORNE_EVENT=update.rolled_back)" -gt 0 ] \
    || { echo "no BORNE_EVENT=update.rolled_back record"; return 1; }
}
rauc_knows_slots() {
  local out; out=$(box rauc status --output-format=json) || { echo "$out"; return 1; }
  equals "$(json_get '(s["booted"], sorted(k for slot in s["slots"] for k in slot))' <<< "$out")" \
    "('A', ['bootfs.0', 'bootfs.1', 'rootfs.0', 'rootfs.1'])"
}
pair_update_client() {  # the box admin's workstation (an update is an admin's), its files here
  pair_client check-update --admin || return 1
  UPD_CLIENT=$UPD/client
  api GET /v1/status > /dev/null
}
make_refused_bundles() {  # a tiny root (RAUC needs a squashfs over 4 KiB): refused before any write
  local tiny=$UPD/tiny-root other=$UPD/other-key
  mkdir -p "$tiny/etc"; head -c 65536 /dev/urandom > "$tiny/etc/filler"
  mkdir -p "$other"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=not the vendor's key" \
    -keyout "$other/key.pem" -out "$other/cert.pem" 2> /dev/null
  check "bundle: signed by another key" make_tiny "$(next_version "$n5")" other-key.raucb \
    --cert "$other/cert.pem" --key "$other/key.pem"
  check "bundle: for another compatible" make_tiny "$(next_version "$n5")" other-compatible.raucb \
    --compatible borne-another-board
  check "bundle: a downgrade" make_tiny 0.0.1 downgrade.raucb
  cp "$UPD/bundles/n1.raucb" "$UPD/bundles/tampered.raucb"
  # One byte changed in the middle of the image: the signature covers every byte.
  local middle=$(($(stat -c %s "$UPD/bundles/tampered.raucb") / 2))
  printf '\xff' | dd of="$UPD/bundles/tampered.raucb" bs=1 seek="$middle" conv=notrunc status=none
}
make_tiny() { bundle_of "$UPD/tiny-root" "$@"; }  # make_tiny VERSION FILE [bundle.sh options...]
