#!/usr/bin/env bash
# Build the whole SD-card image of the box: the one command.
#
#   sudo image/build.sh [WORKDIR]          (default WORKDIR: /var/tmp/borne-image)
#
# On a Debian 12 machine (amd64 or arm64), as root, with about 20 GB free in
# WORKDIR, and network access to github.com (pi-gen), the Raspberry Pi OS and
# Debian archives, and PyPI. It installs pi-gen's dependencies (qemu-user-static
# among them, for the arm64 chroot), clones pi-gen at a pinned tag, and runs it
# with image/config: stages 0-2 (Raspberry Pi OS Lite, arm64) then ours,
# image/stage-borne. The image lands in WORKDIR/pi-gen/deploy/ (.img.xz).
# It takes about an hour on a 4-core machine; every run starts from scratch.
#
# PIGEN_REF=TAG image/build.sh picks another pi-gen tag (tags are named
# <release date>-raspios-<release>-arm64; keep a bookworm one: the daemon is
# tested on Python 3.11).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${1:-/var/tmp/borne-image}
PIGEN_REPO=https://github.com/RPi-Distro/pi-gen.git
PIGEN_REF=${PIGEN_REF:-2024-11-19-raspios-bookworm-arm64}

[ "$(id -u)" -eq 0 ] || { echo "build.sh: run as root (pi-gen mounts, chroots and loop devices)" >&2; exit 1; }
case "$HERE$WORK" in
  *" "*) echo "build.sh: no spaces in paths, please (debootstrap cannot cope)" >&2; exit 1 ;;
esac

# pi-gen's dependencies, from its README ("Dependencies").
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq coreutils quilt parted qemu-user-static debootstrap zerofree zip \
  dosfstools libarchive-tools libcap2-bin grep rsync xz-utils file git curl bc \
  gpg pigz xxd arch-test binfmt-support >/dev/null
# The arm64 chroot runs under qemu through binfmt_misc; pi-gen checks it too.
arch-test arm64 >/dev/null || update-binfmts --enable qemu-aarch64 || true
arch-test arm64 >/dev/null \
  || { echo "build.sh: this machine cannot run arm64 binaries (binfmt_misc, qemu-user-static)" >&2; exit 1; }

mkdir -p "$WORK"
rm -rf "$WORK/pi-gen"
git clone --quiet --depth 1 --branch "$PIGEN_REF" "$PIGEN_REPO" "$WORK/pi-gen"
# Only our stage makes an image: stage2 (plain Lite) is built but not exported.
touch "$WORK/pi-gen/stage2/SKIP_IMAGES"
# Our last touches to the exported root (image/pi-gen-export/04-borne-final/00-run.sh).
cp -r "$HERE/pi-gen-export/04-borne-final" "$WORK/pi-gen/export-image/"

# image/config, plus what depends on this machine: where our stage is, and the
# password of pi-gen's mandatory first user, random and never written down
# (stage-borne locks the account anyway).
{
  cat "$HERE/config"
  echo "STAGE_LIST=\"stage0 stage1 stage2 $HERE/stage-borne\""
  echo "FIRST_USER_PASS='$(head -c 24 /dev/urandom | base64 | tr -d '/+=')'"
} > "$WORK/config"
chmod 600 "$WORK/config"
trap 'rm -f "$WORK/config"' EXIT

cd "$WORK/pi-gen"
./build.sh -c "$WORK/config"
# pi-gen's image has two partitions (boot, root): lay it out as the A/B card RAUC
# updates (image/pi-gen-export/ab-layout.sh; image/README.md, "Partitions"), then xz it.
# image/config asks pi-gen for an uncompressed image for that.
pigen_img=$(ls -t "$WORK"/pi-gen/deploy/*.img | head -n 1)
"$HERE/pi-gen-export/ab-layout.sh" "$pigen_img" "${pigen_img%.img}-ab.img"
rm -f "$pigen_img"
xz -T0 -f "${pigen_img%.img}-ab.img"
echo "build.sh: the image:"
ls -l "$WORK/pi-gen/deploy/"
