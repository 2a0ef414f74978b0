#!/bin/sh
# A test bootloader for RAUC's `custom` backend, keeping its state in a text file (never a
# real one), with the tryboot semantics of the Raspberry Pi's backend
# (image/files/rauc/tryboot-backend, tested by the image check):
#   rauc_boot_backend.sh STATE_FILE get-primary | set-primary NAME | get-state NAME |
#                                   set-state NAME good|bad | get-current
# The file: all=A (the committed slot, autoboot.txt's [all]), try=B (the slot to try),
# pending=1 (a trial set during this boot, waiting for its reboot), booted=A and
# tryboot=0|1 (what support.rauc_box's reboot() says the firmware did), mark_A=good...
# set-primary of another slot sets a trial; the next primary is the slot to try only while
# it is pending. mark-good of the slot booted on trial commits it (all=); a boot that is
# not the trial leaves all= alone: the old slot again.
set -eu
state=$1
shift
get() { sed -n "s/^$1=//p" "$state"; }
put() {
  grep -v "^$1=" "$state" > "$state.tmp" || true
  echo "$1=$2" >> "$state.tmp"
  mv "$state.tmp" "$state"
}
# A slow bootloader, for a power cut in the middle of an install: with STATE_FILE.slow
# present, set-state waits (its pid in STATE_FILE.slow.pid, for the test to end it).
if [ "$1" = set-state ] && [ -e "$state.slow" ]; then
  echo $$ > "$state.slow.pid"
  sleep 60
fi
on_trial() { [ "$(get tryboot)" = 1 ] && [ "$(get booted)" = "$1" ]; }
case "$1" in
  get-primary)
    if [ "$(get pending)" = 1 ]; then get try; else get all; fi ;;
  set-primary)
    if [ "$2" = "$(get all)" ]; then put try "$2"; put pending 0; put "mark_$2" good
    elif on_trial "$2"; then put all "$2"; put "mark_$2" good
    else put try "$2"; put pending 1; put "mark_$2" try
    fi ;;
  get-state)
    mark=$(get "mark_$1")
    case $mark in
      good|bad) echo "$mark" ;;
      try) if [ "$(get pending)" = 1 ] || on_trial "$1"; then echo good; else echo bad; fi ;;
      *) if [ "$1" = "$(get all)" ]; then echo good; else echo bad; fi ;;
    esac ;;
  set-state)
    if [ "$3" = good ] && on_trial "$2"; then put all "$2"; fi
    put "mark_$2" "$3" ;;
  get-current) get booted ;;
  *) echo "unknown command: $1" >&2; exit 1 ;;
esac
