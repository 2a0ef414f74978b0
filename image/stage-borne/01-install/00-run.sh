#!/bin/bash -e
# borne's install stage, the same script CI runs into a Debian chroot
# (image/check-chroot.sh), here on Raspberry Pi OS with its Pi-only parts.
REPO="$(cd "${STAGE_DIR}/../.." && pwd)"
"${REPO}/image/install-stage.sh" --raspberry-pi "${ROOTFS_DIR}" "${STAGE_WORK_DIR}/wheelhouse"

# pi-gen's first user (image/config): no password anyone knows, no shell, locked.
on_chroot << CHROOT
usermod --lock --expiredate 1 --shell /usr/sbin/nologin "${FIRST_USER_NAME}"
CHROOT
