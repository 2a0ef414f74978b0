#!/usr/bin/env bash
# One entry point for a fresh Debian machine, run as root.
#
#   ./dev.sh sim    install what is needed, then run the simulated box
#                   (private pcscd + vpcd, virtual cards, the daemon)
#   ./dev.sh test   install what is needed, then run the whole test suite
#   ./dev.sh setup  install only (Debian packages + .venv)
#
# Installing is idempotent and quick once done: Debian packages are checked
# with dpkg-query, and the venv is rebuilt only when pyproject.toml changes.
set -euo pipefail
cd "$(dirname "$0")"

DEBIAN_PACKAGES=(
  pcscd             # the PC/SC daemon
  vsmartcard-vpcd   # its vpcd driver: virtual readers for the simulator and the tests
  libpcsclite-dev   # headers to build pyscard when no wheel fits
  swig              # pyscard's build tool
  pcsc-tools        # smartcard_list.txt (ATR names) and pcsc_scan
  libccid opensc    # libccidtwin.so (the CCID twin's serial driver); opensc-tool against it
  python3-venv python3-dev gcc
  util-linux        # unshare/mount/nsenter: a private /run/pcscd for the simulator and tests
  iproute2          # ip netns/veth: the mDNS tests' link between the box and a workstation
  curl              # the API tests call the box as a vendor would
  libzbar0          # pyzbar's QR decoder library
  linux-libc-dev    # input headers to build python-evdev (the USB QR scanner)
  libxkbcommon0 xkb-data libx11-data  # the scanner's keymaps are checked against XKB and Compose
  systemd           # systemd-analyze: the unit is verified and its exposure scored
  debootstrap fdisk # image/check-chroot.sh: a Debian 12 root for the install stage; sfdisk
  systemd-container # systemd-nspawn: image/check-chroot.sh boots that root under systemd
  rauc rauc-service # updates: bundles built, verified and installed for real (tests, image check)
  mtools dosfstools # the FAT partitions (autoboot.txt, bootfs) edited without mounting them
  squashfs-tools dbus  # RAUC's bundles; a private system bus for rauc service in the tests
  libdbus-1-dev libglib2.0-dev  # to build dbus-python, which python-dbusmock (NetworkManager's stand-in in the tests) runs on
)

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "dev.sh: run as root (it installs Debian packages and runs a private pcscd)" >&2
    exit 1
  fi
}

install_debian_packages() {
  local missing=()
  for package in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$package")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "dev.sh: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

python_for_venv() {
  local candidate
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 \
       && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return
    fi
  done
  echo "dev.sh: Python 3.11 or newer is needed" >&2; exit 1
}

install_venv() {
  local stamp=.venv/.borne-stamp want
  want=$(sha256sum pyproject.toml | cut -d' ' -f1)
  if [ -x .venv/bin/python ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return
  fi
  echo "dev.sh: building .venv"
  "$(python_for_venv)" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  echo "$want" > "$stamp"
}

setup() {
  need_root
  install_debian_packages
  install_venv
}

case "${1:-}" in
  setup) setup ;;
  sim)   setup; shift; exec .venv/bin/borne sim run "$@" ;;
  test)  setup; shift; exec .venv/bin/python -m pytest "$@" ;;
  *)     sed -n '2,10p' "$0"; exit 2 ;;
esac
