# shellcheck shell=bash
# The boot phase of image/check-chroot.sh (sourced by it, not run on its own): the
# root the install stage made boots under a real systemd (systemd-nspawn), read-only
# like the box, with a directory standing for the data partition, and each check
# asserts what the daemon does under that systemd:
#
#   boot          the boot ends with no failed unit of ours; borne.service is
#                 active (running), Type=notify, on the image's borne.toml (its
#                 `keys = "rpi-otp"` line pointed at a secret file: no firmware mailbox
#                 in a container);
#                 start -> READY=1 over 5 restarts
#   watchdog      a healthy daemon left alone for 2 x WatchdogSec is never restarted;
#                 SIGSTOP: systemd's watchdog kills it and starts it again
#   SIGKILL       systemd starts it again; the paired workstation and the audit
#                 journal are intact
#   pcscd         `systemctl restart pcscd`: borne stays up, sees pcscd go and come back
#   journal       records reach journald over its native protocol, with their fields;
#                 a carte Vitale is read and no identity datum reaches the journal
#   config        a broken /etc/borne/borne.toml: borne still starts, on defaults, and
#                 says so in `borne status` and `borne doctor`
#   security      `systemd-analyze security borne.service` inside the running box
#   clock         timesyncd's saved clock is written to the data partition
#
# Uses check-chroot.sh's ROOT, WORK, PY, check, equals, in_root and step. Measured
# figures go to $WORK/figures; check-chroot.sh prints them at the end.
# The host needs systemd-nspawn (Debian systemd-container), nsenter, and the vpcd
# driver (vsmartcard-vpcd) for the virtual card reader: ./dev.sh setup.

BOX_NAME=borne-check-$$   # also the container's host name
BOX_NSPAWN=       # systemd-nspawn's pid
BOX_INIT=         # the container's systemd (PID 1 inside), as this machine numbers it
BOX_DATA=         # the directory bound over /var/lib/borne: the data partition
CARD_JOB=         # the virtual card's background job (a subshell; nsenter, then the card)
VPCD_PORT=35963   # vpcd's first slot (0x8C7B), inside the container's own network
CLIENT_DIR=/run/borne-check-client   # the paired workstation's files, inside the box
BOX_ROOT=         # the root the container boots (default: check-chroot.sh's ROOT)
BOX_EXTRA=()      # more systemd-nspawn options (the update phase's devices and binds)

# --- helpers -----------------------------------------------------------------------
box() {  # box COMMAND...: run in the container (all its namespaces), as root
  nsenter -t "$BOX_INIT" -a /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    LC_ALL=C.UTF-8 "$@"
}
borne_cli() { box /opt/borne/venv/bin/borne --lang en "$@"; }
prop() { box systemctl show -p "$1" --value borne.service; }  # prop PROPERTY of borne.service
now_ms() { echo $(($(date +%s%N) / 1000000)); }
seconds() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }  # seconds MILLISECONDS
wait_until() {  # wait_until SECONDS COMMAND...: poll every 0.1 s until COMMAND succeeds
  local deadline=$(($(now_ms) + $1 * 1000)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(now_ms)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}
json_get() {  # json_get EXPRESSION: evaluate it on the JSON document on stdin, named s
  "$PY" -c 'import json, sys; s = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}
journal_count() {  # journal_count MATCH...: how many journal records match
  box journalctl -q -o json --no-pager "$@" | wc -l   # -o json: one line per record
}
figure() { echo "$*" | tee -a "$WORK/figures"; }
median_ms() {  # median_ms N...: "median (min to max)" of milliseconds, in seconds
  local sorted; mapfile -t sorted < <(printf '%s\n' "$@" | sort -n)
  echo "$(seconds "${sorted[$((${#sorted[@]} / 2))]}") s ($(seconds "${sorted[0]}") to $(seconds "${sorted[-1]}"))"
}

# --- the container -----------------------------------------------------------------
box_toml() { cat; }   # the image's borne.toml on stdin, as the box reads it (the update phase adds to it)
start_box() {
  BOX_DATA=$WORK/data
  install -d -m 700 -o "$(in_root id -u borne)" -g "$(in_root id -g borne)" "$BOX_DATA"
  # A card reader for the box: this machine's vpcd driver and a reader.conf for the
  # box's own pcscd (same Debian 12 pcscd), bound over the image's (read-only) ones.
  install -d "$WORK/vpcd/drivers" "$WORK/vpcd/reader.conf.d"
  cp /usr/lib/pcsc/drivers/serial/libifdvpcd.so "$WORK/vpcd/drivers/"
  printf 'FRIENDLYNAME "Borne Check"\nDEVICENAME   /dev/null:0x%X\nLIBPATH      %s\nCHANNELID    0x%X\n' \
    "$VPCD_PORT" /usr/lib/pcsc/drivers/serial/libifdvpcd.so "$VPCD_PORT" \
    > "$WORK/vpcd/reader.conf.d/vpcd"
  # The board secret: the image says keys = "rpi-otp" (the Pi's OTP key, through the firmware
  # mailbox /dev/vcio), which a container has not. Its twin instead: the image's borne.toml
  # with that one line changed, and a 32-byte secret file the box's user reads.
  # The same secret at every boot of the check, as a board keeps its OTP key.
  if ! [ -s "$WORK/keys/board-secret" ]; then
    install -d -m 700 -o "$(in_root id -u borne)" -g "$(in_root id -g borne)" "$WORK/keys"
    head -c 32 /dev/urandom > "$WORK/keys/board-secret"
    chown "$(in_root id -u borne):$(in_root id -g borne)" "$WORK/keys/board-secret"
    chmod 600 "$WORK/keys/board-secret"
  fi
  sed 's|^keys = "rpi-otp"|keys = "file:/run/borne-check-keys/board-secret"|' \
    "$ROOT/etc/borne/borne.toml" | box_toml > "$WORK/borne.toml"
  grep -q '^keys = "file:/run/borne-check-keys/board-secret"' "$WORK/borne.toml" \
    || { echo "check-chroot: no keys = \"rpi-otp\" line in the image's borne.toml" >&2; return 1; }
  BOOT_EPOCH=$(date +%s)
  BOOT_T0=$(now_ms)
  echo "=== check-chroot: boot of ${BOX_ROOT:-$ROOT} at $(date -u +%T)" >> "$WORK/nspawn.log"
  # --register=no --keep-unit: this machine does not run systemd (no machined, no
  # system bus). --read-only: the root as the box mounts it.
  systemd-nspawn --boot --directory="${BOX_ROOT:-$ROOT}" --machine="$BOX_NAME" --register=no --keep-unit \
    --private-network --read-only --console=read-only \
    --bind="$BOX_DATA:/var/lib/borne" \
    --bind-ro="$WORK/vpcd/drivers:/usr/lib/pcsc/drivers/serial" \
    --bind-ro="$WORK/vpcd/reader.conf.d:/etc/reader.conf.d" \
    --bind-ro="$WORK/borne.toml:/etc/borne/borne.toml" \
    --bind-ro="$WORK/keys:/run/borne-check-keys" "${BOX_EXTRA[@]}" \
    < /dev/null >> "$WORK/nspawn.log" 2>&1 &
  BOX_NSPAWN=$!
  local child deadline=$(($(now_ms) + 20000))
  while [ "$(now_ms)" -lt "$deadline" ] && kill -0 "$BOX_NSPAWN" 2>/dev/null; do
    for child in $(pgrep -P "$BOX_NSPAWN" || true); do
      if [ "$(cat "/proc/$child/comm" 2>/dev/null)" = systemd ]; then BOX_INIT=$child; return 0; fi
    done
    sleep 0.05
  done
  echo "check-chroot: the container did not start:" >&2
  tail -n 20 "$WORK/nspawn.log" >&2
  return 1
}

box_stopped() {  # box_stopped SECONDS: wait for the box to stop by itself (else stop it); sets BOX_RC
  local nspawn=$BOX_NSPAWN deadline=$(($(now_ms) + $1 * 1000))
  while kill -0 "$nspawn" 2>/dev/null && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.05; done
  if kill -0 "$nspawn" 2>/dev/null; then stop_box; BOX_RC=timeout
  else BOX_NSPAWN=; wait "$nspawn" 2>/dev/null && BOX_RC=0 || BOX_RC=$?; fi
}

stop_box() {  # SIGTERM: systemd-nspawn asks the container's systemd to power off
  local deadline
  remove_card
  [ -n "$BOX_NSPAWN" ] || return 0
  kill -TERM "$BOX_NSPAWN" 2>/dev/null || true
  deadline=$(($(now_ms) + 30000))
  while kill -0 "$BOX_NSPAWN" 2>/dev/null && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.1; done
  kill -KILL "$BOX_NSPAWN" 2>/dev/null || true
  BOX_NSPAWN=
}

# --- the checks --------------------------------------------------------------------
boot_finished() { case "$(box systemctl is-system-running 2>/dev/null)" in running | degraded) ;; *) return 1 ;; esac; }
booted() {
  wait_until 60 boot_finished || { box systemctl list-jobs --no-pager; return 1; }
  figure "boot: systemd-nspawn start to the end of the boot: $(seconds $(($(now_ms) - BOOT_T0))) s"
}
# A container has neither the image's boot partition nor its root device (pi-gen
# writes their PARTUUIDs at export), so these two fail there; nothing else may.
no_failed_unit() {
  equals "$(box systemctl list-units --failed --plain --no-legend | awk '{print $1}' \
            | grep -vx -e boot-firmware.mount -e systemd-remount-fs.service || true)" ""
}
running_notify() { equals "$(prop Type) $(prop ActiveState) $(prop SubState)" "notify active running"; }

ready_times() {  # 5 restarts; systemd's own timestamps say when READY=1 came
  local old start ready begun ready_ms=() restart_ms=()
  for _ in 1 2 3 4 5; do
    old=$(prop MainPID); begun=$(now_ms)
    box systemctl restart borne.service || return 1   # Type=notify: returns at READY=1
    restart_ms+=($(($(now_ms) - begun)))
    equals "$(box systemctl is-active borne.service)" active || return 1
    [ "$(prop MainPID)" != "$old" ] || { echo "MainPID $old did not change"; return 1; }
    start=$(prop ExecMainStartTimestampMonotonic); ready=$(prop ActiveEnterTimestampMonotonic)
    [ "$ready" -gt "$start" ] || { echo "ActiveEnter $ready <= ExecMainStart $start"; return 1; }
    ready_ms+=($(((ready - start) / 1000)))
  done
  figure "READY: start -> READY=1 (ActiveEnter - ExecMainStart), 5 restarts: median $(median_ms "${ready_ms[@]}")"
  figure "READY: \`systemctl restart borne\` (stop + start), 5 restarts: median $(median_ms "${restart_ms[@]}")"
}

watchdog_set() { equals "$(prop WatchdogUSec)" "${WATCHDOG_S}s"; }
left_alone() {  # the same process all along, and its WATCHDOG=1 pings arrived
  equals "$(prop MainPID) $(prop NRestarts)" "$ALONE_PID $ALONE_RESTARTS" || return 1
  [ "$(prop WatchdogTimestampMonotonic)" -gt "$ALONE_PING" ] || { echo "no WATCHDOG=1 since"; return 1; }
}

back_again() {  # back_again OLD_PID OLD_NRESTARTS: systemd restarted the daemon, and it is ready
  local pid; pid=$(prop MainPID)
  [ "$(prop NRestarts)" -gt "$2" ] && [ "$pid" != "$1" ] && [ "$pid" != 0 ] \
    && [ "$(box systemctl is-active borne.service)" = active ]
}
signalled() {  # signalled SIGNAL RESULT LIMIT_S LABEL: signal the daemon; systemd brings it back
  local pid restarts results begun
  pid=$(prop MainPID); restarts=$(prop NRestarts)
  results=$(journal_count UNIT=borne.service UNIT_RESULT="$2")
  begun=$(now_ms)
  box kill -s "$1" "$pid" || return 1
  wait_until "$3" back_again "$pid" "$restarts" \
    || { echo "not back after $3 s"; box systemctl status --no-pager borne.service; return 1; }
  figure "$4: active again $(seconds $(($(now_ms) - begun))) s after the signal"
  # systemd's own account: "Failed with result '$2'" (UNIT_RESULT=, systemd.journal-fields(7)).
  equals "$(journal_count UNIT=borne.service UNIT_RESULT="$2")" $((results + 1))
}

pair_client() {  # pair_client [NAME [pair open options]]: the box's owner opens pairing; a
  # workstation pairs over the API, its files in CLIENT_DIR
  local out code name=${1:-check-chroot}
  out=$(borne_cli pair open "${@:2}") || { echo "$out"; return 1; }
  code=$(sed -n 's/^Pairing code: \([0-9]*\).*/\1/p' <<< "$out")
  borne_cli client pair --box https://127.0.0.1:8443 --code "$code" --name "$name" \
    --dir "$CLIENT_DIR" || return 1
  borne_cli client status --dir "$CLIENT_DIR" > /dev/null
}
audit_entries() { borne_cli audit verify | sed -n 's/^Audit journal intact: \([0-9]*\) entr.*/\1/p'; }
state_intact() {  # after a SIGKILL: the same workstation, its certificate, the audit chain
  borne_cli clients list | grep -q "^$CLIENT_ID .* active" \
    || { echo "workstation $CLIENT_ID not listed:"; borne_cli clients list; return 1; }
  # mTLS with the certificate issued before the kill: CA, server key and clients.db intact.
  borne_cli client status --dir "$CLIENT_DIR" > /dev/null || return 1
  local entries; entries=$(audit_entries)
  [ -n "$entries" ] && [ "$entries" -gt "$AUDIT_ENTRIES" ] \
    || { echo "audit verify: '$entries' entries, $AUDIT_ENTRIES before the kill"; borne_cli audit verify; return 1; }
}

pcsc_back() {  # pcsc_back LOSSES READERS: borne saw pcscd go, and sees it and its readers again
  [ "$(journal_count _SYSTEMD_UNIT=borne.service BORNE_EVENT=device.state BORNE_DEVICE=pcsc \
        BORNE_STATE=unavailable)" -gt "$1" ] || return 1
  equals "$(borne_cli status --json | json_get '(s["devices"]["pcsc"]["state"], len(s["readers"]))')" \
    "('available', $2)"
}
pcscd_restarted() {
  local pid restarts losses readers
  pid=$(prop MainPID); restarts=$(prop NRestarts)
  losses=$(journal_count _SYSTEMD_UNIT=borne.service BORNE_EVENT=device.state BORNE_DEVICE=pcsc BORNE_STATE=unavailable)
  readers=$(borne_cli status --json | json_get 'len(s["readers"])') || return 1
  [ "$readers" -gt 0 ] || { echo "no reader before the restart"; return 1; }
  box systemctl restart pcscd.service || return 1
  wait_until 15 pcsc_back "$losses" "$readers" \
    || { echo "pcscd restarted; borne's pcsc state and readers:"; borne_cli status --json; return 1; }
  equals "$(box systemctl is-active borne.service) $(prop MainPID) $(prop NRestarts)" "active $pid $restarts"
}

card_decoded() {
  [ "$(borne_cli status --json | json_get '[r["card"]["type"] for r in s["readers"] if r.get("card")]')" = "['vitale']" ]
}
card_read() {  # a carte Vitale in the box's reader: decoded, NIR and all (as `borne status` shows)
  box /opt/borne/venv/bin/python -m borne.sim.card_process --port "$VPCD_PORT" --card vitale-single \
    > "$WORK/card.log" 2>&1 &
  CARD_JOB=$!
  echo "$CARD_JOB" > "$WORK/card.pid"   # this runs in check's subshell
  wait_until 15 card_decoded || { cat "$WORK/card.log"; borne_cli status --json; return 1; }
  [ "$(journal_count _SYSTEMD_UNIT=borne.service BORNE_EVENT=card.decoded)" -gt 0 ] \
    || { echo "no BORNE_EVENT=card.decoded record"; return 1; }
}
# Every field of every record of the whole journal: nothing the daemon decoded from the
# card (NIR, names, birth date), and nothing NIR-shaped (borne.runtime.logs.NIR_PATTERN) in
# the daemon's own records.
NO_IDENTITY_PY='
import json, subprocess, sys
from borne.runtime.logs import NIR_PATTERN
status = json.loads(subprocess.run(["/opt/borne/venv/bin/borne", "status", "--json"],
                                   capture_output=True, check=True).stdout)
people = [p for r in status["readers"] if r.get("card") for p in r["card"].get("beneficiaries", [])]
secrets = {str(p[k]) for p in people for k in ("nir", "surname", "first_name", "birth_date") if p.get(k)}
secrets |= {s[:13] for s in secrets if s.isdigit() and len(s) == 15}   # a NIR without its key
if not any(len(s) >= 13 for s in secrets):
    sys.exit(f"no NIR in the decoded card, nothing to look for: {people}")
found, records = [], 0
for line in subprocess.run(["journalctl", "-o", "json", "--no-pager"], capture_output=True,
                           check=True).stdout.splitlines():
    record = json.loads(line)
    records += 1
    ours = record.get("_SYSTEMD_UNIT") == "borne.service"
    for key, value in record.items():
        if key.startswith("__") or not isinstance(value, str):
            continue
        if any(s in value for s in secrets) or (ours and NIR_PATTERN.search(value)):
            found.append(f"{key}={value[:160]}")
print(f"{records} records, {len(secrets)} values looked for")
print(*found[:10], sep="\n")
sys.exit(1 if found else 0)
'
descendants() {  # descendants PID: its children, theirs..., deepest first
  local child
  for child in $(pgrep -P "$1" || true); do descendants "$child"; echo "$child"; done
}
remove_card() {  # the card is a grandchild: the job's subshell, nsenter, then python
  [ -n "$CARD_JOB" ] || return 0
  local pids; pids=$(descendants "$CARD_JOB")
  # shellcheck disable=SC2086  # one word per pid
  kill $pids "$CARD_JOB" 2>/dev/null || true
  # shellcheck disable=SC2086
  wait_until 3 all_gone $pids || kill -KILL $pids 2>/dev/null || true
  CARD_JOB=
}
all_gone() { local pid; for pid in "$@"; do ! kill -0 "$pid" 2>/dev/null || return 1; done; }
no_identity_in_journal() { box /opt/borne/venv/bin/python -c "$NO_IDENTITY_PY"; }

# The daemon's records: native protocol (journald.py), with their fields.
JOURNAL_FIELDS_PY='
import collections, json, subprocess, sys
records = [json.loads(line) for line in subprocess.run(
    ["journalctl", "-o", "json", "--no-pager", "_SYSTEMD_UNIT=borne.service"],
    capture_output=True, check=True).stdout.splitlines()]
problems = []
transports = collections.Counter(r.get("_TRANSPORT") for r in records)
if set(transports) != {"journal"}:
    problems.append(f"transports {dict(transports)}: stderr lines bypass the native protocol")
    problems += [r.get("MESSAGE", "")[:160] for r in records if r.get("_TRANSPORT") != "journal"][:5]
for r in records:
    if (r.get("SYSLOG_IDENTIFIER") != "borne" or not r.get("LOGGER")
            or str(r.get("PRIORITY")) not in list("01234567")):
        message = str(r.get("MESSAGE", ""))[:160]
        problems.append(f"record without SYSLOG_IDENTIFIER=borne, LOGGER or PRIORITY: {message}")
events = collections.Counter(r.get("BORNE_EVENT") for r in records if r.get("BORNE_EVENT"))
for event in ("daemon.started", "device.state", "card.decoded"):
    if not events[event]:
        problems.append(f"no record with BORNE_EVENT={event}")
states = [r for r in records if r.get("BORNE_EVENT") == "device.state"]
if not all(r.get("BORNE_DEVICE") and r.get("BORNE_STATE") and r.get("BORNE_SEQ") for r in states):
    problems.append("a device.state record without BORNE_DEVICE, BORNE_STATE or BORNE_SEQ")
print(f"{len(records)} records; events: {dict(events)}")
print(*problems[:12], sep="\n")
sys.exit(1 if problems else 0)
'
journal_fields() { box /opt/borne/venv/bin/python -c "$JOURNAL_FIELDS_PY"; }
# nfcpy logs "no reader available on path usb" (at ERROR) at each of its polls, every
# 2 s while no NFC chip is plugged in: the box's small RAM journal would hold little else.
nfcpy_quiet() {
  local nfc n
  # Only meaningful while nfcpy looks for a chip (the image's config, no chip here).
  nfc=$(borne_cli status --json | json_get 's["devices"].get("nfc", {}).get("state")') || return 1
  equals "$nfc" unavailable || { echo "(the NFC reader must be configured and absent)"; return 1; }
  n=$(journal_count _SYSTEMD_UNIT=borne.service LOGGER=nfc.clf)
  [ "$n" -eq 0 ] || { echo "$n records from nfcpy's nfc.clf, e.g.:"; box journalctl -q -o cat --no-pager -n 2 _SYSTEMD_UNIT=borne.service LOGGER=nfc.clf; return 1; }
}

exposure() {  # online: systemd's view of the loaded unit, not the file
  local out score
  out=$(box systemd-analyze security --no-pager borne.service) || { echo "$out"; return 1; }
  score=$(sed -n 's/.*Overall exposure level for borne.service: \([0-9.]*\).*/\1/p' <<< "$out")
  figure "exposure: systemd-analyze security borne.service, inside the booted box: $score"
  awk -v s="$score" 'BEGIN { exit !(s != "" && s + 0 <= 2.0) }' || { echo "exposure '$score' above 2.0"; return 1; }
}

broken_config() {  # a broken file over the image's (the root is read-only: a bind mount)
  box sh -c 'printf "[daemon\nlog_level = 3\n" > /run/borne-broken.toml &&
             mount --bind -o ro /run/borne-broken.toml /etc/borne/borne.toml' || return 1
  box systemctl restart borne.service \
    || { box journalctl -q -o cat --no-pager -n 20 -u borne.service; return 1; }
  equals "$(box systemctl is-active borne.service)" active || return 1
  # Refused for the file's own fault, the TOML error, and not for another reason.
  equals "$(borne_cli status --json | json_get '(s["devices"]["config"]["state"], "not valid TOML" in s["devices"]["config"]["detail"])')" \
    "('error', True)" || return 1
  local doctor; doctor=$(borne_cli doctor || true)
  grep -q '\[config_invalid\]' <<< "$doctor" && grep -q '\[config_fallback\]' <<< "$doctor" \
    || { echo "$doctor"; return 1; }
}
config_taken() {  # no "config" device: the daemon runs on the file, not on its defaults
  local status; status=$(borne_cli status --json) || return 1
  equals "$(json_get 's["devices"].get("config", {}).get("detail")' <<< "$status")" None
}
config_restored() {
  box umount /etc/borne/borne.toml && box systemctl restart borne.service || return 1
  config_taken
}

timesync_bound() {  # borne-timesync-state.service ran at boot: the data partition's directory
  equals "$(box systemctl is-active borne-timesync-state.service)" active || return 1
  equals "$(box stat -c %d:%i /var/lib/systemd/timesync)" "$(stat -c %d:%i "$BOX_DATA/systemd-timesync")"
}
start_timesyncd() {  # timesyncd skips containers and needs CAP_SYS_TIME: lifted for this run
  box sh -c 'mkdir -p /run/systemd/system/systemd-timesyncd.service.d /run/systemd/timesyncd.conf.d &&
    printf "[Unit]\nConditionVirtualization=\nConditionCapability=\n[Service]\nAmbientCapabilities=\nCapabilityBoundingSet=\n" \
      > /run/systemd/system/systemd-timesyncd.service.d/check.conf &&
    printf "[Time]\nSaveIntervalSec=1\n" > /run/systemd/timesyncd.conf.d/check.conf' &&
  box systemctl daemon-reload && box systemctl start systemd-timesyncd.service
}
clock_saved() {  # timesyncd wrote its clock (SaveIntervalSec=, timer accuracy 10 s) to the data partition
  local clock=$BOX_DATA/systemd-timesync/clock
  [ -f "$clock" ] || { echo "no $clock"; box systemctl status --no-pager systemd-timesyncd.service; return 1; }
  [ "$(stat -c %Y "$clock")" -ge "$BOOT_EPOCH" ] \
    || { echo "$clock: $(stat -c %y "$clock"), older than this boot"; return 1; }
}

# --- the phase ---------------------------------------------------------------------
boot_checks() {
  WATCHDOG_S=$(sed -n 's/^WatchdogSec=\([0-9]*\)s\?$/\1/p' "$ROOT/etc/systemd/system/borne.service")
  : > "$WORK/figures"
  start_box
  check "boot: the read-only root boots under systemd-nspawn" booted
  check "boot: no failed unit but boot-firmware.mount and systemd-remount-fs (container)" no_failed_unit
  check "borne.service active (running), Type=notify" running_notify
  check "borne runs on the image's /etc/borne/borne.toml (no config error)" config_taken
  check "borne.service: 5 restarts, each to READY=1" ready_times
  check "clock: /var/lib/systemd/timesync is the data partition's, bound at boot" timesync_bound
  check "clock: systemd-timesyncd starts (container limits lifted)" start_timesyncd
  step "boot, READY x5"

  # 2 x WatchdogSec during which nothing restarts the daemon; the checks that leave
  # it running fit in the wait.
  check "watchdog: WatchdogSec=${WATCHDOG_S}s" watchdog_set
  local alone_t0; alone_t0=$(now_ms)
  ALONE_PID=$(prop MainPID || true); ALONE_RESTARTS=$(prop NRestarts || true)
  ALONE_PING=$(prop WatchdogTimestampMonotonic || true)
  check "carte Vitale in the box's reader (vpcd): decoded, card.decoded in the journal" card_read
  CARD_JOB=$(cat "$WORK/card.pid" 2>/dev/null || true)
  check "journal: no NIR, name or birth date of the card, nothing NIR-shaped from borne" no_identity_in_journal
  remove_card
  check "pcscd restarted by systemd: borne stays up, sees pcscd and its readers again" pcscd_restarted
  check "journal: native protocol, SYSLOG_IDENTIFIER/PRIORITY/LOGGER, BORNE_EVENT fields" journal_fields
  check "journal: nfcpy's 2-second 'no reader available' lines kept out" nfcpy_quiet
  check "systemd-analyze security borne.service (online): exposure 2.0 or lower" exposure
  check "a workstation pairs (borne pair open, borne client pair over https://127.0.0.1:8443)" pair_client
  CLIENT_ID=$(borne_cli clients list 2>/dev/null | awk 'NR == 1 {print $1}' || true)
  AUDIT_ENTRIES=$(audit_entries 2>/dev/null || true)
  local rest=$((alone_t0 + 2 * WATCHDOG_S * 1000 - $(now_ms)))
  [ "$rest" -gt 0 ] && sleep "$(seconds "$rest")"
  check "watchdog: a healthy daemon left alone $((2 * WATCHDOG_S)) s is never restarted" left_alone
  check "clock: timesyncd's clock file on the data partition, written during this boot" clock_saved
  step "left alone 2 x WatchdogSec"

  check "SIGKILL: systemd starts borne again (Result: signal)" \
    signalled KILL signal 15 "SIGKILL"
  check "after SIGKILL: the workstation still paired and served, audit chain intact" state_intact
  check "SIGSTOP: the watchdog kills borne, systemd starts it again (Result: watchdog)" \
    signalled STOP watchdog $((3 * WATCHDOG_S)) "SIGSTOP (watchdog)"
  check "broken borne.toml: borne active, status config error, doctor config_invalid/fallback" broken_config
  check "config restored: borne back on /etc/borne/borne.toml" config_restored
  step "SIGKILL, watchdog, config"

  # The end: as at a critical battery, the daemon's user asks and root's path unit powers off.
  local begun; begun=$(now_ms)
  remove_card
  box runuser -u borne -- touch /run/borne/poweroff-request
  box_stopped 30
  check "borne's power-off request (borne-poweroff.path): the box powers off cleanly ($(seconds $(($(now_ms) - begun))) s)" \
    equals "$BOX_RC" 0
  step "power off"
}
