#!/bin/bash -e
# Wheels of borne and of every dependency, for the image's Python 3.11 on arm64,
# built in a throwaway copy of this stage's root file system (under qemu-user, as
# all of pi-gen's chroot work): the compiler and headers that pyscard (swig,
# libpcsclite-dev) and evdev (linux-libc-dev) need never reach the image. pip in
# the arm64 chroot picks PyPI's aarch64 wheels where they exist.
# Output: ${STAGE_WORK_DIR}/wheelhouse, read by ../01-install/00-run.sh.
REPO="$(cd "${STAGE_DIR}/../.." && pwd)"   # STAGE_DIR is this repo's image/stage-borne
BUILDER="${STAGE_WORK_DIR}/wheel-builder"
WHEELHOUSE="${STAGE_WORK_DIR}/wheelhouse"

if [ -d "${BUILDER}" ]; then
	unmount "${BUILDER}"   # pi-gen's helper (scripts/common)
	rm -rf --one-file-system "${BUILDER}"
fi
rm -rf "${WHEELHOUSE}"
cp -a "${ROOTFS_DIR}" "${BUILDER}"
mkdir -p "${BUILDER}/tmp/borne-src"
cp -a "${REPO}/pyproject.toml" "${REPO}/README.md" "${REPO}/src" "${BUILDER}/tmp/borne-src/"

ROOTFS_DIR="${BUILDER}" on_chroot << 'CHROOT'
set -e
apt-get update
apt-get install -y --no-install-recommends gcc python3-dev python3-venv swig libpcsclite-dev linux-libc-dev
python3 -m venv /tmp/wheel-venv
/tmp/wheel-venv/bin/pip wheel --wheel-dir /tmp/wheelhouse /tmp/borne-src
CHROOT

mkdir -p "${WHEELHOUSE}"
cp "${BUILDER}"/tmp/wheelhouse/*.whl "${WHEELHOUSE}/"
# on_chroot left /proc, /dev and /sys mounted in the builder: unmount before removing.
unmount "${BUILDER}"
if findmnt -rno TARGET | grep -q "^${BUILDER}"; then
	echo "wheel-builder: still mounted, not removing ${BUILDER}" >&2
	exit 1
fi
rm -rf --one-file-system "${BUILDER}"
