#!/bin/sh
# A test bootloader for RAUC's `custom` backend: its state in a text file (never a real one).
#   rauc_boot_backend.sh STATE_FILE get-primary | set-primary NAME | get-state NAME |
#                                   set-state NAME good|bad | get-current
# The file holds `primary=A`, `state_A=good`, `state_B=bad`... RAUC marks the slot it is about
# to write bad, writes it, then sets it primary; it stays "bad" (not committed) until
# `rauc status mark-good` (Mark good booted) after the tried boot. The real Raspberry Pi
# backend (tryboot, autoboot.txt) is image/files/rauc/tryboot-backend, tested by the image check.
set -eu
state=$1
shift
get() { sed -n "s/^$1=//p" "$state"; }
put() {
  grep -v "^$1=" "$state" > "$state.tmp" || true
  echo "$1=$2" >> "$state.tmp"
  mv "$state.tmp" "$state"
}
case "$1" in
  get-primary) get primary ;;
  set-primary) put primary "$2" ;;
  get-state) get "state_$2" ;;
  set-state) put "state_$2" "$3" ;;
  get-current) get primary ;;
  *) echo "unknown command: $1" >&2; exit 1 ;;
esac
