#!/bin/bash -e
# pi-gen stage of borne, on top of stage2 (Raspberry Pi OS Lite): start from a copy
# of the previous stage's root file system, as pi-gen's own stages do.
if [ ! -d "${ROOTFS_DIR}" ]; then
	copy_previous
fi
