#!/usr/bin/env bash
# Build a signed RAUC bundle of a root file system (and a boot partition's files).
#
#   image/bundle.sh [options] --version V ROOT_DIR OUTPUT.raucb
#
#   --version V          the system's version, dotted integers (1.2.3): /etc/borne-release's
#                        VERSION= and the manifest's version (required)
#   --compatible C       the manifest's compatible and COMPATIBLE= (default: borne-rpi,
#                        image/files/rauc/system.conf's)
#   --boot DIR           the boot partition's files (kernel, firmware, config.txt,
#                        cmdline.txt): a bootfs.vfat image for the bootfs slot. Without
#                        it the bundle updates the root only (fine for tests; a real
#                        update must carry the kernel that matches the root's modules)
#   --cert F, --key F    signing certificate and key, files or PKCS#11 URLs (default:
#                        image/keys/development/signing.*: DEVELOPMENT ONLY)
#   --keyring F          checks the new bundle's signature against F (default: the
#                        development keyring when signing with the development key)
#   --format plain|verity   the bundle format (default verity; CI installs plain: this
#                        kernel has no device-mapper)
#   --compression C      mksquashfs compressor: xz (default: smallest), zstd, gzip, lz4,
#                        lzo (quickest; what CI uses)
#   --root-size MIB      the rootfs image's size (default: the content plus a margin)
#   --adaptive           adds RAUC's adaptive block-hash-index to the rootfs image (needs
#                        verity; pays off only with HTTP streaming: docs/updates.md)
#
# Run as root (the root's files are read with their owners; mkfs.ext4 -d keeps them).
# ROOT_DIR is never modified: /etc/borne-release (VERSION=, COMPATIBLE=) is written into
# the ext4 image after mkfs.ext4 -d copied ROOT_DIR into it. See docs/updates.md.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
DEV_KEYS=$HERE/keys/development

usage() { sed -n '2,27p' "$0" >&2; exit 2; }
die() { echo "bundle: $*" >&2; exit 1; }

version="" compatible=borne-rpi boot="" cert="" key="" keyring="" format=verity
compression=xz root_size="" adaptive=""
while [ $# -gt 0 ]; do
  case $1 in
    --version) version=$2; shift 2 ;;
    --compatible) compatible=$2; shift 2 ;;
    --boot) boot=$2; shift 2 ;;
    --cert) cert=$2; shift 2 ;;
    --key) key=$2; shift 2 ;;
    --keyring) keyring=$2; shift 2 ;;
    --format) format=$2; shift 2 ;;
    --compression) compression=$2; shift 2 ;;
    --root-size) root_size=$2; shift 2 ;;
    --adaptive) adaptive="adaptive=block-hash-index"; shift ;;
    -h|--help) usage ;;
    --*) die "unknown option $1" ;;
    *) break ;;
  esac
done
[ $# -eq 2 ] || usage
root=$1 output=$2
[ -d "$root" ] || die "$root is not a directory"
[[ $version =~ ^[0-9]+(\.[0-9]+)*$ ]] || die "--version must be dotted integers (1.2.3), not '$version'"
[[ $compatible =~ ^[A-Za-z0-9._-]+$ ]] || die "--compatible: letters, digits, . _ - only"
[[ $format == plain || $format == verity ]] || die "--format is plain or verity"
[[ $compression =~ ^(xz|zstd|gzip|lz4|lzo)$ ]] || die "--compression: xz, zstd, gzip, lz4 or lzo"
[[ -z $adaptive || $format == verity ]] || die "--adaptive needs --format verity"
[[ $output == *.raucb ]] || die "$output: RAUC wants a .raucb name"
[ -z "$boot" ] || [ -d "$boot" ] || die "--boot $boot is not a directory"
if [ -z "$cert$key" ]; then
  cert=$DEV_KEYS/signing.cert.pem key=$DEV_KEYS/signing.key
  keyring=${keyring:-$DEV_KEYS/keyring.pem}
  echo "bundle: signing with the DEVELOPMENT key (image/keys/development): never for a real box" >&2
fi
[ -n "$cert" ] && [ -n "$key" ] || die "--cert and --key go together"

work=$(mktemp -d "${TMPDIR:-/var/tmp}/borne-bundle.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/content"
start=$(date +%s.%N)

# --- rootfs.ext4: ROOT_DIR plus /etc/borne-release ---------------------------------
used_kib=$(du -sk --apparent-size "$root" | cut -f1)
files=$(find "$root" -xdev | wc -l)
if [ -z "$root_size" ]; then
  # The content, 25 % for ext4's own blocks (inodes, directories, the journal's share),
  # 64 MiB of room, in whole 4 MiB: a read-only root needs no more.
  root_size=$(( (used_kib * 5 / 4 / 1024 + 64 + 3) / 4 * 4 ))
fi
truncate -s "${root_size}M" "$work/content/rootfs.ext4"
# -d copies the tree with owners, modes and links; -N: inodes for every file and then
# some; -m 0: no blocks kept for root on a read-only file system; -L: what fstab's
# ROOTDEV does not need, and a person reading blkid does.
mkfs.ext4 -q -F -L rootfs -m 0 -N $((files + files / 5 + 1024)) -d "$root" "$work/content/rootfs.ext4"
printf 'VERSION=%s\nCOMPATIBLE=%s\n' "$version" "$compatible" > "$work/borne-release"
debugfs -w -R "rm /etc/borne-release" "$work/content/rootfs.ext4" >/dev/null 2>&1 || true
debugfs -w -f - "$work/content/rootfs.ext4" >/dev/null 2>"$work/debugfs.err" <<EOF
write $work/borne-release /etc/borne-release
set_inode_field /etc/borne-release mode 0100644
set_inode_field /etc/borne-release uid 0
set_inode_field /etc/borne-release gid 0
EOF
[ "$(debugfs -R "cat /etc/borne-release" "$work/content/rootfs.ext4" 2>/dev/null)" = \
  "$(cat "$work/borne-release")" ] || die "could not write /etc/borne-release: $(cat "$work/debugfs.err")"
e2fsck -fn "$work/content/rootfs.ext4" >/dev/null 2>&1 || die "the rootfs image does not check clean"

# --- bootfs.vfat: the boot partition's files ---------------------------------------
images="[image.rootfs]
filename=rootfs.ext4
$adaptive
"
if [ -n "$boot" ]; then
  boot_kib=$(du -sk --apparent-size "$boot" | cut -f1)
  boot_size=$(( (boot_kib * 9 / 8 / 1024 + 16 + 3) / 4 * 4 ))   # + 12 %, + 16 MiB
  mkfs.vfat -n bootfs -C "$work/content/bootfs.vfat" $((boot_size * 1024)) >/dev/null 2>&1
  # -s: the tree; -p: the files' times; -Q: stop at the first error.
  MTOOLS_SKIP_CHECK=1 mcopy -s -p -Q -i "$work/content/bootfs.vfat" "$boot"/* ::
  images+="
[image.bootfs]
filename=bootfs.vfat
"
else
  echo "bundle: no --boot: the bundle updates the root only" >&2
fi

# --- the manifest and the signed bundle --------------------------------------------
cat > "$work/content/manifest.raucm" <<EOF
[update]
compatible=$compatible
version=$version
build=$(date -u +%Y%m%dT%H%M%SZ)

[bundle]
format=$format

$images
EOF
rm -f "$output"
# The signature is checked as the box checks it: RAUC's "codesign" purpose (the signing
# certificate must have extendedKeyUsage codeSigning; system.conf's check-purpose).
printf '[system]\ncompatible=%s\nbootloader=noop\n[keyring]\ncheck-purpose=codesign\n' \
  "$compatible" > "$work/check.conf"
rauc --conf="$work/check.conf" bundle --cert="$cert" --key="$key" ${keyring:+--signing-keyring="$keyring"} \
  --mksquashfs-args="-comp $compression" "$work/content" "$output" >/dev/null
end=$(date +%s.%N)
echo "bundle: $output: version $version, $compatible, $format, $compression:" \
  "$(( $(stat -c %s "$output") / 1024 )) KiB (root $((used_kib / 1024)) MiB in a ${root_size} MiB ext4)," \
  "$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }') s" >&2
