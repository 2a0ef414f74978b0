#!/bin/bash -e
# Copied by image/build.sh into pi-gen's export-image/, where it runs on the image's
# root after pi-gen's 03-network (which installs a plain /etc/resolv.conf) and
# 02-set-sources (an apt dist-upgrade, whose openssh-server postinst may make host
# keys again), before 05-finalise writes the image out.

# NetworkManager writes DNS servers to /run; the read-only root links to them.
if [ -d "${ROOTFS_DIR}/etc/NetworkManager" ]; then
	ln -sfn /run/NetworkManager/resolv.conf "${ROOTFS_DIR}/etc/resolv.conf"
fi
# No key in the image: host keys are made in RAM by borne-service-ssh, the box's
# CA and keys by the daemon at its first start, on the data partition.
rm -f "${ROOTFS_DIR}"/etc/ssh/ssh_host_*
if [ -n "$(find "${ROOTFS_DIR}/var/lib/borne" -mindepth 1 -print -quit)" ]; then
	echo "borne: /var/lib/borne is not empty in the image" >&2
	exit 1
fi
grep -Eq '^/dev/borne/rootfs[[:space:]]+/[[:space:]]+ext4[[:space:]]+ro,' "${ROOTFS_DIR}/etc/fstab" \
	|| { echo "borne: the image's fstab does not mount / read-only" >&2; exit 1; }
