#!/usr/bin/env bash
# Lay pi-gen's two-partition image out as the A/B card RAUC updates.
#
#   image/pi-gen-export/ab-layout.sh PIGEN.img OUT.img
#
# pi-gen writes 1: boot (FAT), 2: root (ext4). The card we ship (MBR):
#   1  FAT16 32 MiB    autoboot.txt only (image/files/rauc/autoboot.txt): [all] boots 2
#   2  FAT             boot A: pi-gen's boot partition, cmdline.txt on root A
#   3  FAT             boot B: empty (same size), written by the first update
#   4  extended        holds 5 and 6; grown to the card's end at first boot
#   5  ext4            root A: pi-gen's root, grown to the slot size
#   6  (none)          root B: same size, written by the first update
#   7  ext4 borne-data made at first boot (borne-data-partition), not in the image
# The slot size is the root's content plus half, in whole 256 MiB, 1536 MiB at least
# (BORNE_ROOT_SLOT_MIB= sets it): every later root must fit in it (RAUC refuses an image
# larger than its slot). Run as root by image/build.sh once pi-gen is done; needs
# sfdisk, losetup, partx, e2fsck, resize2fs, mkfs.vfat, mtools. See image/README.md.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
RAUC_FILES=$HERE/../files/rauc
[ $# -eq 2 ] || { sed -n '2,18p' "$0" >&2; exit 2; }
in=$1 out=$2
export MTOOLS_SKIP_CHECK=1
MIB=$((1024 * 1024))

loops=()
cleanup() { local l; for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null || true; done; }
trap cleanup EXIT
attach() {  # attach FILE: a loop device with its partitions shown
  local loop
  loop=$(losetup --find --show --partscan "$1")
  partx --add "$loop" 2>/dev/null || true   # some kernels scan nothing for --partscan
  loops+=("$loop")
  echo "$loop"
}

src=$(attach "$in")
[ -b "${src}p1" ] && [ -b "${src}p2" ] || { echo "ab-layout: $in has no partitions 1 and 2" >&2; exit 1; }
boot_bytes=$(blockdev --getsize64 "${src}p1")
e2fsck -fy "${src}p2" >/dev/null 2>&1 || [ $? -le 1 ]
# The root's content: blocks in use, from the file system itself.
read -r block_count free_blocks block_size < <(dumpe2fs -h "${src}p2" 2>/dev/null | awk -F: '
  /^Block count/ { c = $2 } /^Free blocks/ { f = $2 } /^Block size/ { s = $2 }
  END { print c + 0, f + 0, s + 0 }')
used_mib=$(( (block_count - free_blocks) * block_size / MIB ))
slot_mib=$(( (used_mib * 3 / 2 + 255) / 256 * 256 ))
((slot_mib >= 1536)) || slot_mib=1536
slot_mib=${BORNE_ROOT_SLOT_MIB:-$slot_mib}
boot_mib=$(( (boot_bytes + MIB - 1) / MIB ))
autoboot_mib=32
echo "ab-layout: root uses $used_mib MiB: two $slot_mib MiB root slots, two $boot_mib MiB boot slots"

# 4 MiB alignment (SD cards' erase blocks); 1 MiB gaps in the extended partition hold
# each logical partition's EBR.
rm -f "$out"
total_mib=$((4 + autoboot_mib + 2 * boot_mib + 4 + 2 * (slot_mib + 1) + 4))
truncate -s "${total_mib}M" "$out"
sfdisk --quiet "$out" <<EOF
label: dos
start=4MiB, size=${autoboot_mib}MiB, type=e
size=${boot_mib}MiB, type=c
size=${boot_mib}MiB, type=c
size=$((2 * (slot_mib + 1) + 1))MiB, type=5
size=${slot_mib}MiB, type=83
size=${slot_mib}MiB, type=83
EOF
dst=$(attach "$out")

# 1: autoboot.txt alone (FAT16: the firmware reads FAT16 and FAT32).
mkfs.vfat -F 16 -n AUTOBOOT "${dst}p1" >/dev/null 2>&1
mcopy -i "${dst}p1" "$RAUC_FILES/autoboot.txt" ::autoboot.txt
# Boards without a boot EEPROM (Pi 3, Zero 2 W) load bootcode.bin from the first FAT
# partition: it goes there too (the EEPROM boards ignore it). Not verified on such a
# board: docs/updates.md, "Firmware and EEPROM versions needed".
if mtype -i "${src}p1" ::bootcode.bin >/dev/null 2>&1; then
  bootcode=$(mktemp)
  mcopy -o -i "${src}p1" ::bootcode.bin "$bootcode"
  mcopy -i "${dst}p1" "$bootcode" ::bootcode.bin
  rm -f "$bootcode"
fi
# 2: boot A, pi-gen's, block for block; its cmdline.txt boots root A as slot A.
dd if="${src}p1" of="${dst}p2" bs=4M conv=fsync status=none
cmdline=$(mtype -i "${dst}p2" ::cmdline.txt | tr -d '\r\n' | tr ' ' '\n' \
  | grep -v -e '^root=' -e '^rauc\.slot=' -e '^$' | tr '\n' ' ')
work=$(mktemp)
printf '%sroot=/dev/mmcblk0p5 rauc.slot=A\n' "$cmdline" > "$work"
mcopy -o -i "${dst}p2" "$work" ::cmdline.txt
rm -f "$work"
# 3: boot B, an empty FAT of the same size (the firmware never boots it before an update).
mkfs.vfat -F 32 -n bootfs "${dst}p3" >/dev/null 2>&1 || mkfs.vfat -n bootfs "${dst}p3" >/dev/null
# 5: root A, pi-gen's, grown to the slot; 6: root B stays zeros until the first update.
dd if="${src}p2" of="${dst}p5" bs=4M conv=fsync status=none
e2fsck -fy "${dst}p5" >/dev/null 2>&1 || [ $? -le 1 ]
resize2fs -f "${dst}p5" >/dev/null 2>&1
sync
sfdisk --dump "$out" | grep ' : start='
echo "ab-layout: $out ($total_mib MiB)"
