#!/usr/bin/env bash
# Runs C test programs against a fresh Google emulator.
#   ffi-tests/run.sh EMULATOR [--quiet] [--wrap "CMD ARGS"] PROGRAM...
# The emulator's startup line is passed to the programs in GS_GCAL_EMULATOR.
# --wrap runs each program under e.g. valgrind or qemu-arm. Prints
# "N passed, N failed" (unless --quiet) and exits non-zero when any failed,
# or when any secret the emulator issued appears in what was printed.
set -u
emu=$1
shift
quiet=""
if [ "${1:-}" = "--quiet" ]; then
    quiet=1
    shift
fi
wrap=""
if [ "${1:-}" = "--wrap" ]; then
    wrap=$2
    shift 2
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/gs_gcal_run.XXXXXX")
# The emulator reads our end of a pipe as its stdin and exits at EOF, so it
# never outlives this script, however the script ends.
coproc EMU { exec "$emu" --ca-dir "$dir" --exit-on-stdin-eof 2>"$dir/emulator.log"; }
if ! read -r -t 60 line <&"${EMU[0]}"; then
    echo "emulator did not start:" >&2
    cat "$dir/emulator.log" >&2
    exit 1
fi
export GS_GCAL_EMULATOR="$line"
# The programs send every library log line here (ffi-tests/c/harness.c),
# so the secret check below covers the log output too.
export GS_GCAL_LOG_FILE="$dir/library.log"
pass=0
fail=0
for prog in "$@"; do
    log="$dir/$(basename "$prog").log"
    # shellcheck disable=SC2086 # $wrap is a command line on purpose
    $wrap "$prog" 2>&1 | tee "$log"
    if [ "${PIPESTATUS[0]}" -eq 0 ]; then
        pass=$((pass + 1))
    else
        echo "FAILED: $wrap $prog" >&2
        fail=$((fail + 1))
    fi
done

# No secret the emulator ever issued or holds (client secrets, codes,
# tokens) may appear in anything the programs or the emulator printed.
port=$(sed -n 's/.*"control_port":\([0-9]*\).*/\1/p' <<<"$line")
secrets=""
if exec {ctl}<>"/dev/tcp/127.0.0.1/$port"; then
    printf 'GET /control/secrets HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&"$ctl"
    secrets=$(cat <&"$ctl" | sed -n 's/.*"secrets":\[\(.*\)\].*/\1/p' | tr ',' '\n' | sed 's/^ *"//; s/" *$//')
    exec {ctl}>&-
fi
if [ -z "$secrets" ]; then
    echo "FAILED: could not read the emulator's secrets to check the logs" >&2
    fail=$((fail + 1))
else
    leaks=0
    while IFS= read -r secret; do
        [ ${#secret} -ge 8 ] || continue
        for f in "$dir"/*.log; do
            if grep -qF -- "$secret" "$f"; then
                echo "FAILED: a secret (${#secret} chars) appears in $(basename "$f")" >&2
                leaks=$((leaks + 1))
            fi
        done
    done <<<"$secrets"
    [ "$leaks" -eq 0 ] || fail=$((fail + 1))
fi
# The log route itself must work, or the check above proves nothing.
if [ ! -s "$dir/library.log" ]; then
    echo "FAILED: the library logged nothing to GS_GCAL_LOG_FILE" >&2
    fail=$((fail + 1))
fi
pid=$EMU_PID
exec {EMU[1]}>&-
wait "$pid" 2>/dev/null
rm -rf "$dir"
[ -n "$quiet" ] || echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
