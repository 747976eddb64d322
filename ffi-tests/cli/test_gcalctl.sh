#!/usr/bin/env bash
# gcalctl against the Google emulator: every command, its output and its
# exit code, the --json shapes, and the error paths. Run it through
# ffi-tests/run.sh, which starts the emulator and exports GS_GCAL_EMULATOR:
#
#   GCALCTL=build/x86_64-unknown-linux-gnu/gcalctl \
#       ffi-tests/run.sh target/release/gcal-emulator ffi-tests/cli/test_gcalctl.sh
#
# GCALCTL is a command line, so "qemu-arm -L /usr/arm-linux-gnueabihf
# build/armv7-unknown-linux-gnueabihf/gcalctl" works too. Everything
# gcalctl prints is copied into this script's output, where run.sh looks
# for every secret the emulator issued. No sleeps: waits are on a FIFO (the
# device code line), on `wait`, and on the emulator's answers.
set -u
export TZ=UTC LC_ALL=C
unset GCALCTL_PASSPHRASE

if [ -z "${GCALCTL:-}" ] || [ -z "${GS_GCAL_EMULATOR:-}" ]; then
    echo "test_gcalctl: set GCALCTL and run through ffi-tests/run.sh (GS_GCAL_EMULATOR)" >&2
    exit 2
fi
read -ra CLI <<<"$GCALCTL"

field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" <<<"$GS_GCAL_EMULATOR"; }
CLIENT_ID=$(field client_id)
SECRET=$(field client_secret)
REDIRECT=$(field redirect_uri)
ACCOUNT=$(field account)
AUTH_ENDPOINT=$(field auth_endpoint)
DEVICE_ID=$(field device_client_id)
DEVICE_SECRET=$(field device_client_secret)
CONTROL_PORT=$(sed -n 's/.*"control_port":\([0-9]*\).*/\1/p' <<<"$GS_GCAL_EMULATOR")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gcalctl_test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
printf '%s\n' "$SECRET" >"$tmp/secret"
printf '%s\n' "$DEVICE_SECRET" >"$tmp/device_secret"

checks=0
failures=0

# --- helpers -------------------------------------------------------------

# check WHAT CMD...: one expectation.
check() {
    checks=$((checks + 1))
    if ! "${@:2}"; then
        failures=$((failures + 1))
        # The line in this script's top level that led here.
        echo "not ok - $1 (line ${BASH_LINENO[${#BASH_LINENO[@]} - 2]})"
    fi
}
has() { grep -qF -- "$1" <<<"$2"; }
starts_with() { [[ $2 == "$1"* ]]; }
lacks() { ! grep -qF -- "$1" <<<"$2"; }
expect_rc() { check "exit code $1 (got $rc)" [ "$rc" -eq "$1" ]; }
expect_out() { check "stdout has: $1" has "$1" "$out"; }
expect_err() { check "stderr has: $1" has "$1" "$err"; }
expect_no_out() { check "stdout lacks: $1" lacks "$1" "$out"; }
matches() { grep -qE -- "$1" <<<"$2"; }
expect_out_re() { check "stdout matches: $1" matches "$1" "$out"; }
# A failure is one "gcalctl: ..." line (and maybe a hint line after it).
expect_error_line() {
    local lines
    lines=$(grep '^gcalctl: ' <<<"$err" | grep -v '^gcalctl: hint: ')
    check "one error line 'gcalctl: $1...'" [ "$(wc -l <<<"$lines")" -eq 1 ]
    check "error line is 'gcalctl: $1...'" starts_with "gcalctl: $1" "$lines"
}

# The command line as shown in the log: secrets and codes hidden.
redact() {
    local s=$*
    s=${s//"$SECRET"/<secret>}
    s=${s//"$DEVICE_SECRET"/<secret>}
    sed -E 's/code=[^& ]*/code=<redacted>/g' <<<"$s"
}

# Every run is verbose (-vv): the library's log lines are split off from
# stderr into $GS_GCAL_LOG_FILE (set by run.sh, which checks it for secrets
# too) and into $log; $err holds the rest.
LOG_FILE=${GS_GCAL_LOG_FILE:-$tmp/library.log}
LOG_LINE='^gcalctl: \[(error|warn|info|debug)\] '
split_log() {
    grep -E "$LOG_LINE" "$1" >>"$LOG_FILE"
    log=$(grep -E "$LOG_LINE" "$1")
    err=$(grep -vE "$LOG_LINE" "$1")
}

# gc [--in FILE] ARGS...: runs gcalctl; $out, $err, $log, $rc. Its output
# is copied into ours (where run.sh greps for leaked secrets).
gc() {
    local input=/dev/null
    if [ "${1:-}" = "--in" ]; then
        input=$2
        shift 2
    fi
    "${CLI[@]}" -vv "$@" <"$input" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    out=$(<"$tmp/out")
    split_log "$tmp/err"
    echo "\$ gcalctl $(redact "$@")  => $rc"
    sed 's/^/  | /' "$tmp/out"
    [ -z "$err" ] || sed 's/^/  ! /' <<<"$err"
}

# control METHOD PATH [BODY]: one request to the emulator's control port
# (bash /dev/tcp); the answer's body in $reply; true on HTTP 200.
control() {
    local body=${3:-} fd resp
    reply=""
    exec {fd}<>"/dev/tcp/127.0.0.1/$CONTROL_PORT" || return 1
    printf '%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
        "$1" "$2" "${#body}" "$body" >&"$fd"
    resp=$(cat <&"$fd")
    exec {fd}>&-
    reply=${resp#*$'\r\n\r\n'}
    [[ $resp == "HTTP/1.1 200"* ]]
}
control_ok() { check "control $1 $2" control "$@"; }

# How many stored events (masters and exceptions) carry PBX meeting $1.
stored_events() {
    control GET /control/events >/dev/null
    grep -o "\"gsGcalMeetingId\":\"$1\"" <<<"$reply" | wc -l
}

# How many events of the emulator (masters, occurrence exceptions) a probe
# made are not cancelled; $probe_made: how many it made at all. An event's
# members are in name order, so its own "status" is the first one after its
# gsGcalMeetingId ("responseStatus" of attendees does not match).
probe_live_events() {
    local line live=0
    probe_made=0
    control GET /control/events >/dev/null
    while IFS= read -r line; do
        probe_made=$((probe_made + 1))
        [ "$(grep -o '"status":"[a-z]*"' <<<"$line" | head -1)" = '"status":"cancelled"' ] ||
            live=$((live + 1))
    done < <(sed 's/"gsGcalMeetingId":"gcalctl-probe-/\n&/g' <<<"$reply" |
        grep '^"gsGcalMeetingId":"gcalctl-probe-')
    echo "$live"
}
expect_probe_cleaned() {
    local live
    live=$(probe_live_events)
    probe_live_events >/dev/null # for $probe_made (the line above ran in a subshell)
    check "the probe's events existed in the emulator (got $probe_made)" [ "$probe_made" -ge "$1" ]
    check "nothing the probe made remains (live: $live)" [ "$live" -eq 0 ]
}

# Plays the admin in the browser: consents to the link in $out; the
# redirect address (with its code: never printed) goes to the file $1.
consent_to() {
    control_ok POST /control/consent "{\"url\":\"$out\",\"decision\":\"allow\"}"
    sed -n 's/.*"redirect":"\([^"]*\)".*/\1/p' <<<"$reply" >"$1"
}

# A meeting file: ID SUBJECT START [more JSON members].
meeting() {
    cat <<EOF
{
  "meeting_id": "$1",
  "subject": "$2",
  "start": "$3",
  "end": "11:00",
  "time_zone": "Europe/Berlin",
  "room": "6300",
  "agenda": "Status of all projects",
  "host": {"name": "1000", "email": "host1000@mycompanyabc.com"},
  "invitees": [
    {"name": "1001", "email": "john.doe@mycompanyabc.com"},
    {"name": "1002"},
    {"name": "1003", "email": null}
  ],
  "email_reminder_minutes": 60${4:+,
  $4}
}
EOF
}

control_ok POST /control/reset ""

# --- the command line itself --------------------------------------------
echo "# usage, version, state directories"
gc --help
expect_rc 0
expect_out "Exit status"
expect_out "device-login"
gc --version
expect_rc 0
expect_out "gs-gcal/"
gc
expect_rc 2
expect_error_line "missing STATE_DIR"
gc "$tmp/x"
expect_rc 2
gc --bogus "$tmp/x" status
expect_rc 2
expect_error_line "unknown option --bogus"
gc "$tmp/x" frobnicate
expect_rc 2
expect_error_line 'unknown command "frobnicate"'
gc --timeout 0 "$tmp/x" status
expect_rc 2
gc --json "$tmp/x" frobnicate
expect_rc 2
expect_out '"ok":false'
expect_out '"exit_code":2'
(unset GS_GCAL_EMULATOR; "${CLI[@]}" --emulator "$tmp/x" status >/dev/null 2>"$tmp/err")
rc=$?
split_log "$tmp/err"
expect_rc 2
expect_err "GS_GCAL_EMULATOR is not set"

# Wrong state directories: missing (not created by mistake), not a directory.
gc --emulator "$tmp/missing" status
expect_rc 5
expect_error_line "state directory $tmp/missing: No such file or directory"
check "a missing state directory is not created" [ ! -e "$tmp/missing" ]
: >"$tmp/plainfile"
gc --emulator "$tmp/plainfile" status
expect_rc 5
expect_err "not a directory"

# --- set-client, not configured / not authorized -------------------------
echo "# set-client and the unauthorized paths"
mkdir "$tmp/empty"
gc --emulator "$tmp/empty" status
expect_rc 0
expect_out "Not configured"
gc --emulator "$tmp/empty" auth-url
expect_rc 4
expect_err "set-client"

W=$tmp/web
gc --in "$tmp/secret" --emulator "$W" set-client "$CLIENT_ID" - "$REDIRECT"
expect_rc 0
expect_out "saved (Web application)"
check "the state directory is private" [ "$(stat -c %a "$W")" = 700 ]
gc --emulator "$W" status
expect_rc 0
expect_out "Configured, not authorized"
expect_out "Client ID:     $CLIENT_ID"
gc --json --emulator "$W" status
expect_out '"state":"configured"'
expect_no_out "$SECRET"
gc --emulator "$W" events 2030-04-29 2030-04-30
expect_rc 4
expect_error_line "listing events: not authorized"
expect_err "hint: authorize: gcalctl $W auth-url"
gc --emulator "$W" calendars
expect_rc 4
gc --emulator "$W" busy
expect_rc 4
gc --in /dev/null --emulator "$W" set-client "$CLIENT_ID" - "$REDIRECT"
expect_rc 2
expect_err "no client secret on standard input"

# The secret on the command line works, with a warning.
U=$tmp/unauthorized
gc --emulator "$U" set-client "$CLIENT_ID" "$SECRET" "$REDIRECT"
expect_rc 0
expect_err "shows in ps and shell history"
# Not authorized: a push is kept and waits for the admin (exit 4).
meeting cli-wait "Waits" "2030-04-29T10:00" >"$tmp/wait.json"
gc --json --emulator "$U" push "$tmp/wait.json"
expect_rc 4
expect_out '"queued":true'
expect_err "hint: authorize"
gc --emulator "$U" sync
expect_rc 4
expect_out "1 still waiting"

# Real Google is the default: without --emulator the link is Google's.
gc "$W" auth-url
expect_rc 0
expect_out "https://accounts.google.com/o/oauth2/v2/auth?"

# --- auth-url, consent, authorize ---------------------------------------
echo "# auth-url and authorize"
gc --emulator "$W" auth-url
expect_rc 0
check "auth-url prints the emulator's link" has "$AUTH_ENDPOINT?" "$out"
check "auth-url prints one line" [ "$(wc -l <"$tmp/out")" -eq 1 ]
consent_to "$tmp/redirect"
gc --emulator "$W" authorize "$(<"$tmp/redirect")"
expect_rc 0
expect_out "Authorized as $ACCOUNT."
gc --emulator "$W" authorize "$(<"$tmp/redirect")"
expect_rc 1
expect_error_line "authorizing: "
# The address pasted on standard input, with --json.
gc --emulator "$W" auth-url
consent_to "$tmp/redirect2"
gc --in "$tmp/redirect2" --json --emulator "$W" authorize -
expect_rc 0
expect_out '"ok":true'
expect_out "\"account\":\"$ACCOUNT\""
gc --emulator "$W" status
expect_rc 0
expect_out "State:         Authorized"
expect_out "Account:       $ACCOUNT"
gc --json --emulator "$W" status
expect_out '"command":"status"'
expect_out '"state":"authorized"'
expect_out "\"account\":\"$ACCOUNT\""

# --- push, cancel, sync --------------------------------------------------
echo "# push and cancel"
meeting cli-1 "Weekly_Meeting" "2030-04-29T10:00" \
    '"repeat": "weekly", "repeat_end": "after", "repeat_count": 3' >"$tmp/m1.json"
gc --emulator "$W" push "$tmp/m1.json"
expect_rc 0
expect_out "Meeting cli-1 synced: event gs"
control GET /control/last_send_updates
check "send_updates is all by default" has '"events.insert":"all"' "$reply"
expect_out "Not invited (no e-mail): 1002 (invitees[1])"
expect_out "Not invited (no e-mail): 1003 (invitees[2])"
event_id=$(sed -n 's/.*synced: event \(gs[0-9a-f]*\).*/\1/p' <<<"$out")
check "an event id" [ ${#event_id} -eq 42 ]
# Again (from stdin, --json): the same event, updated, not a second one.
gc --in "$tmp/m1.json" --json --emulator "$W" push -
expect_rc 0
expect_out '"ok":true'
expect_out '"result":"synced"'
expect_out '"queued":false'
expect_out "\"event_id\":\"$event_id\""
expect_out '"html_link":"https://'
expect_out '"skipped":[{"index":1,"name":"1002"},{"index":2,"name":"1003"}]'
check "pushed twice, one event" [ "$(stored_events cli-1)" -eq 1 ]

gc --emulator "$W" events 2030-04-29 2030-05-13
expect_rc 0
expect_out "primary: 3 event(s) from 2030-04-29T00:00:00Z to 2030-05-14T00:00:00Z"
expect_out "2030-04-29 08:00 - 09:00  Weekly_Meeting  [meeting cli-1]"
expect_out "2030-05-13 08:00 - 09:00  Weekly_Meeting  [meeting cli-1]"
gc --json --emulator "$W" events 2030-04-29T00:00:00+02:00 2030-05-07T00:00:00Z
expect_rc 0
expect_out '"time_min":"2030-04-28T22:00:00Z"'
expect_out '"pbx_meeting_id":"cli-1"'
gc --emulator "$W" events 2030-05-01 tomorrow
expect_rc 2
expect_err "is not YYYY-MM-DD or RFC 3339"

# One occurrence, then presence from the local copy.
gc --emulator "$W" cancel cli-1 2030-05-06T10:00 Europe/Berlin
expect_rc 0
expect_out "Meeting cli-1 occurrence 2030-05-06T10:00 cancelled in Google Calendar"
gc --emulator "$W" events 2030-04-29 2030-05-13
expect_out "2 event(s)"
expect_no_out "2030-05-06 08:00"
gc --emulator "$W" cancel cli-1 2030-05-06T10:00
expect_rc 2

echo "# read side"
gc --emulator "$W" calendars
expect_rc 0
expect_out "* $ACCOUNT"
expect_out "Room 6300"
gc --json --emulator "$W" calendars
expect_out '"calendars":[{'
expect_out '"primary":true'
# Its meetings are in 2030: the local copy keeps ten years (the default is 400 days).
gc --emulator "$W" set-option read_horizon_days 3650
expect_rc 0
gc --emulator "$W" sync-events
expect_rc 0
expect_out "primary: full sync"
gc --json --emulator "$W" sync-events
expect_out '"report":{"calendars":[{'
expect_out '"full_sync":false'
gc --emulator "$W" busy 2030-04-29T08:30:00Z
expect_rc 0
expect_out "Busy until 2030-04-29 09:00"
gc --json --emulator "$W" busy 2030-05-06T08:30:00Z
expect_rc 0
expect_out '"busy":false'
expect_out '"until":"2030-05-13T08:00:00Z"'
expect_out '"refreshed":true'
gc --emulator "$W" busy yesterday
expect_rc 2

# Presence (freebusy.query) and the replies to a pushed meeting (issue 15).
echo "# presence and replies"
control_ok POST /control/directory '{"calendars":["ext1@mycompanyabc.com","ext2@mycompanyabc.com"]}'
from=$(date -u -d "@$(( $(date +%s) - 60 ))" +%FT%TZ)
to=$(date -u -d "@$(( $(date +%s) + 3600 ))" +%FT%TZ)
control_ok POST /control/put_event \
    "{\"calendar\":\"ext1@mycompanyabc.com\",\"event\":{\"id\":\"p1\",\"start\":{\"dateTime\":\"$from\"},\"end\":{\"dateTime\":\"$to\"}}}"
gc --emulator "$W" presence ext1@mycompanyabc.com ext2@mycompanyabc.com gone@mycompanyabc.com
expect_rc 0
expect_out "ext1@mycompanyabc.com: busy until"
expect_out "ext2@mycompanyabc.com: free (nothing busy ahead)"
expect_out "gone@mycompanyabc.com: unknown (notFound)"
gc --json --emulator "$W" presence EXT1@mycompanyabc.com
expect_rc 0
expect_out '"requests":1'
expect_out "\"state\":\"busy\",\"until\":\"$to\""
gc --emulator "$W" presence not-an-address
expect_rc 2
control_ok POST /control/edit_event \
    "{\"calendar\":\"primary\",\"id\":\"$event_id\",\"patch\":{\"attendees\":[{\"email\":\"john.doe@mycompanyabc.com\",\"responseStatus\":\"accepted\"}]}}"
gc --emulator "$W" replies cli-1
expect_rc 0
expect_out "john.doe@mycompanyabc.com"
expect_out "accepted"
gc --json --emulator "$W" replies cli-1
expect_out '"accepted":1'
gc --emulator "$W" replies no-such-meeting
expect_rc 2

# Google fails (503): pushes and cancels are queued (3); sync sends them.
echo "# offline: queued, then sync"
control_ok POST /control/fault \
    '{"match":{"path_prefix":"/calendar/v3/"},"count":0,"fault":{"kind":"status","code":503}}'
meeting cli-2 "Planning" "2030-05-02T10:00" \
    '"repeat": "daily", "repeat_end": "after", "repeat_count": 2' >"$tmp/m2.json"
gc --emulator "$W" push "$tmp/m2.json"
expect_rc 3
expect_out "Meeting cli-2 queued"
expect_out "Reason: "
gc --json --emulator "$W" cancel cli-1
expect_rc 3
expect_out '"result":"queued"'
expect_out '"exit_code":3'
gc --emulator "$W" sync 2000
expect_rc 3
expect_out "2 still waiting"
expect_err "sync: 2 operation(s) waiting"
expect_err "last failure: "
gc --emulator "$W" status
expect_out "Outbox:        2 waiting"
control_ok POST /control/clear_faults ""
gc --json --emulator "$W" sync
expect_rc 0
expect_out '"sent":2,"remaining":0'
expect_err "sync: round 1: sent 2, 0 waiting"
check "the queued push arrived" [ "$(stored_events cli-2)" -eq 1 ]
gc --emulator "$W" events 2030-04-29 2030-05-13
expect_out "2 event(s)"
expect_out "2030-05-03 08:00 - 09:00  Planning  [meeting cli-2]"
expect_no_out "[meeting cli-1]"
gc --emulator "$W" sync
expect_rc 0
expect_out "Sent 0, 0 still waiting."

# --- the meeting file's error paths -------------------------------------
echo "# bad meeting files"
gc --emulator "$W" push "$tmp/nonexistent.json"
expect_rc 5
expect_error_line "reading $tmp/nonexistent.json: No such file or directory"
printf '{"meeting_id": "x",\n  "start": "2030-01-01T10:00",, }' >"$tmp/garbage.json"
gc --emulator "$W" push "$tmp/garbage.json"
expect_rc 2
expect_error_line "$tmp/garbage.json: not valid JSON: line 2, column 31: expected a member name"
printf '\xff\xfe{}' >"$tmp/binary.json"
gc --emulator "$W" push "$tmp/binary.json"
expect_rc 2
expect_err "not valid UTF-8"
meeting x "Typo" "2030-01-01T10:00" '"subjet": "x"' >"$tmp/typo.json"
gc --json --emulator "$W" push "$tmp/typo.json"
expect_rc 2
expect_err 'line 16, column 3: unknown field "subjet"'
expect_out '"ok":false'
printf '{"meeting_id":"x","start":"2030-01-01T10:00","end":"11:00"}' >"$tmp/missing.json"
gc --emulator "$W" push "$tmp/missing.json"
expect_rc 2
expect_err 'missing field "time_zone"'
meeting x "Twice" "2030-01-01T10:00" '"email_reminder_minutes": 30' >"$tmp/twice.json"
gc --emulator "$W" push "$tmp/twice.json"
expect_rc 2
expect_err "line 16, column 3: duplicate member name"
meeting x "Types" "2030-01-01T10:00" >"$tmp/types.json"
sed -i 's/"email_reminder_minutes": 60/"email_reminder_minutes": "60"/' "$tmp/types.json"
gc --emulator "$W" push "$tmp/types.json"
expect_rc 2
expect_err '"email_reminder_minutes" must be a whole number'
meeting x "Person" "2030-01-01T10:00" '"host": "1000"' >"$tmp/person.json"
sed -i '/"host": {/d' "$tmp/person.json"
gc --emulator "$W" push "$tmp/person.json"
expect_rc 2
expect_err 'host must be an object'
meeting x "Repeat" "2030-01-01T10:00" '"repeat": "fortnightly"' >"$tmp/repeat.json"
gc --emulator "$W" push "$tmp/repeat.json"
expect_rc 2
expect_err '"repeat" must be one of none, daily'
# Valid JSON the library refuses: its code, text and detail.
meeting x "Zone" "2030-01-01T10:00" >"$tmp/zone.json"
sed -i 's|Europe/Berlin|Mars/Olympus_Mons|' "$tmp/zone.json"
gc --json --emulator "$W" push "$tmp/zone.json"
expect_rc 2
expect_error_line "push meeting \"x\": invalid time zone name — time_zone:"
expect_out '"code":107'
check "nothing was stored for bad input" [ "$(stored_events x)" -eq 0 ]

# --- set-option ---------------------------------------------------------
echo "# set-option"
gc --emulator "$W" set-option send_updates none
expect_rc 0
check "options stored privately" [ "$(stat -c %a "$W/gcalctl.options")" = 600 ]
gc --emulator "$W" push "$tmp/m2.json"
expect_rc 0
control GET /control/last_send_updates
check "the stored option applies to later runs" has '"events.update":"none"' "$reply"
# Someone edits the meeting in Google: sync-events reports the drift.
event2=$(sed -n 's/.*synced: event \(gs[0-9a-f]*\).*/\1/p' <<<"$out")
gc --emulator "$W" sync-events
control_ok POST /control/edit_event "{\"id\":\"$event2\",\"patch\":{\"summary\":\"Edited\"}}"
gc --emulator "$W" sync-events
expect_rc 0
expect_out "primary: changes only, "
expect_out "Drift: meeting cli-2 (event $event2) was modified in Google"
gc --emulator "$W" status
expect_out "send_updates=none"
gc --emulator "$W" set-option send_updates sometimes
expect_rc 2
expect_error_line "set-option send_updates: invalid option value"
gc --emulator "$W" set-option no_such_option 1
expect_rc 2
gc --emulator "$W" set-option proxy "http://user:pa55word-x@127.0.0.1:1"
expect_rc 0
gc --json --emulator "$W" status
expect_out '"proxy":"(set, with credentials)"'
expect_no_out "pa55word-x"
gc --emulator "$W" set-option --unset proxy
expect_rc 0
gc --emulator "$W" set-option --unset proxy
expect_rc 2
gc --emulator "$W" set-option --unset send_updates
expect_rc 0
check "unset options are gone" lacks "send_updates" "$(cat "$W/gcalctl.options")"

# Global options: --timeout, --emulator=FILE, -v (the library's log).
gc --timeout 5000 --emulator "$W" calendars
expect_rc 0
printf '%s\n' "$GS_GCAL_EMULATOR" >"$tmp/emulator.line"
gc --emulator="$tmp/emulator.line" "$W" calendars
expect_rc 0
expect_out "Room 6300"
# -v: the library's lines (every run above had -vv) at info level, none at debug.
"${CLI[@]}" -v --emulator "$W" calendars >/dev/null 2>"$tmp/err"
rc=$?
split_log "$tmp/err"
expect_rc 0
check "-v shows the library's info lines" has "gcalctl: [info] " "$log"
check "-v shows no debug lines" lacks "gcalctl: [debug] " "$log"

# --- export / import ----------------------------------------------------
echo "# export and import"
GCALCTL_PASSPHRASE="correct horse battery" gc --emulator "$W" export "$tmp/backup"
expect_rc 0
check "backup is private" [ "$(stat -c %a "$tmp/backup")" = 600 ]
check "backup is sealed" has "gsgcal-backup-v1:" "$(cat "$tmp/backup")"
check "backup hides the secret" lacks "$SECRET" "$(cat "$tmp/backup")"
GCALCTL_PASSPHRASE="short" gc --emulator "$W" export "$tmp/backup2"
expect_rc 2
expect_err "at least 8 characters"
R=$tmp/restored
GCALCTL_PASSPHRASE="wrong horse battery" gc --emulator "$R" import "$tmp/backup"
expect_rc 1
expect_error_line "import from $tmp/backup: wrong passphrase or modified backup"
gc --emulator "$R" status
expect_out "Not configured"
GCALCTL_PASSPHRASE="correct horse battery" gc --emulator "$R" import "$tmp/backup"
expect_rc 0
expect_out "Backup restored: Authorized as $ACCOUNT."
gc --emulator "$R" push "$tmp/m2.json"
expect_rc 0
check "the restored PBX updates the same event" [ "$(stored_events cli-2)" -eq 1 ]
# The passphrase as a line of standard input; the backup from stdin (with
# the passphrase in the environment then).
printf 'correct horse battery\n' >"$tmp/pass"
gc --in "$tmp/pass" --json --emulator "$tmp/restored2" import "$tmp/backup"
expect_rc 0
expect_out "\"account\":\"$ACCOUNT\""
GCALCTL_PASSPHRASE="correct horse battery" gc --in "$tmp/backup" --emulator "$tmp/restored3" import -
expect_rc 0
gc --in "$tmp/backup" --emulator "$tmp/restored4" import -
expect_rc 2
expect_err "GCALCTL_PASSPHRASE"

# --- reset ----------------------------------------------------------------
echo "# reset"
gc --emulator "$W" reset
expect_rc 0
expect_out "revoked at Google"
gc --emulator "$W" status
expect_out "Configured, not authorized"
gc --emulator "$W" calendars
expect_rc 4
gc --json --emulator "$R" reset
expect_rc 0
expect_out '"pending_revocations":0'

# --- probe ------------------------------------------------------------------
# Each of the emulator's switches for what Google leaves undocumented, in
# both positions: the report says what Google did, and nothing stays.
echo "# probe"
P=$tmp/probe
gc --in "$tmp/secret" --emulator "$P" set-client "$CLIENT_ID" - "$REDIRECT"
gc --emulator "$P" auth-url
consent_to "$tmp/redirect_probe"
gc --emulator "$P" authorize "$(<"$tmp/redirect_probe")"
expect_rc 0
gc --emulator "$P" probe extra
expect_rc 2
gc --emulator "$tmp/empty" probe
expect_rc 4
expect_error_line "probe: needs an authorized state directory (state: unconfigured)"
gc --emulator "$U" probe
expect_rc 4
expect_err "hint: authorize"

# Switches off: Google takes both zones and the computed occurrence ids.
control_ok POST /control/refuse_time_zones '{"zones":[]}'
control_ok POST /control/instance_ids '{"format":"google"}'
instances_before=$(control GET /control/requests && grep -o '"events.instances":[0-9]*' <<<"$reply")
gc --emulator "$P" probe
expect_rc 0
check "the report starts with its title" starts_with "gs-gcal probe report" "$out"
expect_out_re '^Library: +gs-gcal/'
expect_out_re '^Date: +20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$'
expect_out_re "^Account: +$ACCOUNT \(calendar primary\)"
expect_out_re '^Meetings: +gcalctl-probe-[0-9]+-[0-9]+-series, gcalctl-probe-[0-9]+-[0-9]+-single'
expect_out_re '^A1 time zone Etc/GMT-1: +accepted as is \[POST events \(insert\) -> 200; event gs'
expect_out_re '^A1 time zone Europe/Kyiv: +accepted as is \['
expect_out_re '^A3 occurrence edit: +computed id worked \[PUT computed id -> 200\]$'
expect_out_re '^A3 occurrence delete: +computed id worked \[DELETE computed id -> 204\]$'
expect_out_re '^A2 device-flow scopes: +not tested \(no device client configured\)'
expect_out_re '^Cleanup: +done: the 2 meeting\(s\) the probe created are deleted \[gcalctl-probe-[0-9]+-[0-9]+-series: DELETE event gs[0-9a-f]+ -> 204; gcalctl-probe-[0-9]+-[0-9]+-single: DELETE event gs[0-9a-f]+ -> 204\]$'
control GET /control/requests
check "no events.instances call with Google's ids" [ "$(grep -o '"events.instances":[0-9]*' <<<"$reply")" = "$instances_before" ]
expect_probe_cleaned 3
gc --json --emulator "$P" status
expect_out '"zone_substitutions":{}'
expect_out '"outbox_depth":0'

# Switches on: both zones refused, occurrence ids Google's own.
control_ok POST /control/refuse_time_zones '{"zones":["Etc/GMT-1","Europe/Kyiv"]}'
control_ok POST /control/instance_ids '{"format":"opaque"}'
gc --emulator "$P" probe
expect_rc 0
expect_out_re '^A1 time zone Etc/GMT-1: +refused by Google; the library sent Africa/Lagos instead \[POST events \(insert\) -> 400 [^,]*, POST events \(insert\) -> 200; status zone_substitutions: "Etc/GMT-1" -> "Africa/Lagos"\]$'
expect_out_re '^A1 time zone Europe/Kyiv: +refused by Google; the library sent Europe/Kiev instead \[.*"Europe/Kyiv" -> "Europe/Kiev"\]$'
expect_out_re '^A3 occurrence edit: +looked up via events.instances \(Google.s id gs[0-9a-f]+_t[0-9]+\) \[PUT computed id -> 404 notFound, GET events.instances -> 200, PUT Google.s id gs[0-9a-f]+_t[0-9]+ -> 200\]$'
expect_out_re '^A3 occurrence delete: +looked up via events.instances \[DELETE computed id -> 404 notFound, GET events.instances -> 200, DELETE Google.s id gs[0-9a-f]+_t[0-9]+ -> 204\]$'
expect_out_re '^Cleanup: +done'
expect_probe_cleaned 6
# Again: the refused zones are remembered (not re-tested); --json.
gc --json --emulator "$P" probe
expect_rc 0
expect_out '"ok":true'
expect_out '"command":"probe"'
expect_out "\"account\":\"$ACCOUNT\""
expect_out '{"zone":"Etc/GMT-1","substitute":"Africa/Lagos","result":"remembered"'
expect_out '{"zone":"Europe/Kyiv","substitute":"Europe/Kiev","result":"remembered"'
expect_out_re '"edit":\{"computed_id":"gs[0-9a-f]+_20[0-9]{6}T020000Z","result":"looked_up"'
expect_out_re '"delete":\{"computed_id":"gs[0-9a-f]+_20[0-9]{6}T020000Z","result":"looked_up"'
expect_out '"device_scopes":{"device_client":false,"accepted":null,"refused":[],"read_only":false,"user_code":null,"verification_url":null,"result":"not_tested"'
expect_out '"cleanup":{"result":"done"'
expect_probe_cleaned 9
control_ok POST /control/refuse_time_zones '{"zones":[]}'
control_ok POST /control/instance_ids '{"format":"google"}'

# Google unreachable (503): nothing could be tested (exit 3), the report
# still comes, and what waits in the outbox cancels itself once sent.
control_ok POST /control/fault \
    '{"match":{"path_prefix":"/calendar/v3/"},"count":0,"fault":{"kind":"status","code":503}}'
gc --json --emulator "$P" probe
expect_rc 3
expect_out '"ok":false'
expect_out '"exit_code":3'
expect_out '"cleanup":{"result":"queued"'
expect_out '{"zone":"Etc/GMT-1","substitute":null,"result":"queued"'
expect_error_line "probe: A1 time zone Etc/GMT-1: not tested: Google could not be reached"
control_ok POST /control/clear_faults ""
gc --emulator "$P" sync
expect_rc 0
expect_probe_cleaned 9

# --- device-login -------------------------------------------------------
echo "# device-login"
D=$tmp/device
gc --in "$tmp/device_secret" --emulator "$D" set-client "$DEVICE_ID" -
expect_rc 0
expect_out "(TVs and Limited Input devices)"
# Google's 5 s interval would make this slow; the emulator announces 0 (the
# CLI still waits 1 s between polls).
control_ok POST /control/device_interval '{"announced":0,"enforced":0}'
mkfifo "$tmp/fifo"

# device_login DECISION|signal: starts device-login in the background,
# reads its code from the FIFO, then has the emulator's user approve or
# deny it (or sends SIGINT), and waits for gcalctl. Sets $rc $out $err.
device_login() {
    local fd line code="" pid
    set -m # job control: the background gcalctl gets SIGINT like a foreground one
    "${CLI[@]}" -vv --emulator "$D" device-login >"$tmp/fifo" 2>"$tmp/err" </dev/null &
    pid=$!
    set +m
    exec {fd}<"$tmp/fifo"
    out=""
    while IFS= read -r -u "$fd" line; do
        out+="$line"$'\n'
        if [[ $line == "Code: "* ]]; then
            code=${line#Code: }
            break
        fi
    done
    check "device-login shows a code" [ -n "$code" ]
    if [ -n "$code" ]; then
        # While it waits, the state directory is in use.
        "${CLI[@]}" --emulator "$D" status >/dev/null 2>"$tmp/locked"
        check "locked while waiting (exit 5)" [ $? -eq 5 ]
        check "says it is in use" has "in use" "$(cat "$tmp/locked")"
        if [ "$1" = signal ]; then
            kill -INT "$pid"
        else
            control_ok POST /control/device "{\"user_code\":\"$code\",\"decision\":\"$1\"}"
        fi
    fi
    out+=$(cat <&"$fd")
    exec {fd}<&-
    wait "$pid"
    rc=$?
    split_log "$tmp/err"
    echo "\$ gcalctl --emulator $D device-login ($1)  => $rc"
    sed 's/^/  | /' <<<"$out"
    sed 's/^/  ! /' <<<"$err"
}
device_login allow
expect_rc 0
expect_out "open https://www.google.com/device and enter the code"
expect_out "Authorized as $ACCOUNT."
expect_err "Waiting for approval"
gc --emulator "$D" status
expect_out "State:         Authorized"
expect_out "TVs and Limited Input devices"
device_login deny
expect_rc 1
expect_error_line "device authorization: access was denied"
device_login signal
expect_rc 130
expect_error_line "interrupted: not authorized"
gc --emulator "$D" status
expect_rc 0

# probe with a device client: the scope set Google accepts, a code not waited for.
echo "# probe: device-flow scopes"
gc --emulator "$D" probe
expect_rc 0
expect_out_re '^A2 device-flow scopes: +Google accepted "openid email https://www.googleapis.com/auth/calendar.events https://www.googleapis.com/auth/calendar.calendarlist.readonly https://www.googleapis.com/auth/calendar.freebusy"; user code [^ ]+ \(not waited for\) \[status device.scopes; 0 set\(s\) refused before it; the code expires unused in [0-9]+ min\]$'
expect_out_re '^Device code [^ ]+ at https://www.google.com/device: not needed'
expect_out_re '^A1 time zone Etc/GMT-1: +accepted as is'
expect_out_re '^Cleanup: +done'
control_ok POST /control/device_refuse_scopes '{"scopes":["https://www.googleapis.com/auth/calendar.events"]}'
gc --json --emulator "$D" probe
expect_rc 0
expect_out '"device_scopes":{"device_client":true,"accepted":"openid email https://www.googleapis.com/auth/calendar","refused":["openid email https://www.googleapis.com/auth/calendar.events https://www.googleapis.com/auth/calendar.calendarlist.readonly https://www.googleapis.com/auth/calendar.freebusy"],"read_only":false,"user_code":"'
expect_out_re '"device_scopes":\{.*"result":"accepted","answer":"Google accepted .*; user code [^ ]+ \(not waited for\)","evidence":"status device.scopes; 1 set\(s\) refused before it: '
# Every set refused: Google's answer, reported (exit 0).
control_ok POST /control/device_refuse_scopes '{"scopes":["https://www.googleapis.com/auth/calendar.events","https://www.googleapis.com/auth/calendar","https://www.googleapis.com/auth/calendar.readonly"]}'
gc --emulator "$D" probe
expect_rc 0
expect_out_re '^A2 device-flow scopes: +Google refused every scope set \(4\): the device flow cannot be used'
control_ok POST /control/device_refuse_scopes '{"scopes":[]}'
expect_probe_cleaned 15
gc --emulator "$D" status
expect_out "State:         Authorized"

echo "test_gcalctl: $checks checks, $failures failed"
[ "$failures" -eq 0 ]
