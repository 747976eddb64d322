#!/usr/bin/env bash
# `make bench`: footprint and speed of gs-gcal, measured side by side with a
# libcurl + OpenSSL C baseline and Google's Python client, in one run
# (issue 7). Run from the repository root after `make lib armv7 aarch64
# emulator`; prints one table with PASS/FAIL against the issue's budgets.
#
# What is compared (every program pushes the demo's seed meeting; request
# bodies are checked byte-identical against a capture server):
#   push_one.c       the smallest C program pushing meetings with gs-gcal
#   curl_baseline.c  the same requests on libcurl + OpenSSL, written as a
#                    careful firmware developer would (one reused handle,
#                    HTTP/1.1, no Expect: 100-continue, CA file only)
#   python_peer.py   google-api-python-client + google-auth (httplib2),
#                    pinned in requirements.txt, in its own venv
# Each is built in up to four variants (bench_common.h): the plain footprint
# program; -DGS_BENCH_NO_LIBRARY (push_one with the library stubbed out, for
# the library's share); -DGS_BENCH (callgrind phase markers, stack painting);
# -DGS_BENCH_HEAP (an interposed malloc counting live bytes per phase).
#
# Rows and how they are measured:
#   footprint      stripped programs per target (and a lean library's, when
#                  build/<triple>/lean/libgs_gcal.a exists: built with
#                  --no-default-features once the embedded-roots feature
#                  exists; "n/a" otherwise); the baseline's libcurl,
#                  libssl and libcrypto .so sizes (Debian bookworm, armhf and
#                  arm64 downloaded with apt-get download, not installed) and
#                  the whole closure libcurl loads
#   requests       the emulator's /control/requests counters; TLS handshakes
#                  as TCP connections to its TLS port (its "connections"
#                  counter, checked against strace's connect() count)
#   instructions   callgrind, x86_64, per phase (process start-up, setup,
#                  first push with handshake and token refresh, median of
#                  pushes 2-20 on the kept-alive connection)
#   heap           the interposed counter per phase, and massif's peak of a
#                  whole one-push process
#   stack          peak stack of the thread making the calls (painted stack),
#                  x86_64 natively and armv7 under qemu-arm
#   python         peak RSS and wall time of a refresh + 20 inserts
#   wall           100 pushes, natively and under qemu-arm (ratios only)
#   workspace      (issue 14) push_one with GS_BENCH_SA_KEY (the emulator's
#                  service_account.json) on a fresh state directory: the first
#                  push signs an RS256 JWT and makes the jwt-bearer grant.
#                  Library share: nm symbol sizes of auth::service_account,
#                  oauth::jwt and ring's RSA signing in the unstripped armv7
#                  program; instructions by callgrind (x86_64) and by the
#                  qemu_insn.c TCG plugin under qemu-arm (armv7: whole
#                  process with 1 push minus with 0 pushes); heap by the
#                  interposed counter (x86_64 natively, armv7 under qemu-arm)
#   presence       (issue 15) presence_scale.c: a directory of 100/1000/10000
#                  extensions (the emulator's /control/directory, one busy
#                  period each), gs_gcal_presence_refresh on a kept-alive
#                  connection: requests and connections (emulator counters),
#                  callgrind instructions per extension, live heap of the
#                  table, gs_gcal_presence_get alone between two dumps
#   scaling        sync_scale.c queues 1/10/100/1000 meetings while Google is
#                  unreachable, then drains them with gs_gcal_sync: callgrind
#                  instructions and wall time per push, journal and state
#                  sizes (n/a with a library without gs_gcal_sync)
# A "cold" process starts with an expired access token (a PBX pushing hours
# after its last push), so its first push refreshes the token, like the
# baseline and the peer, which keep no access token, always do.
#
# Installs (printed as it goes): Debian packages it lacks (valgrind, strace,
# qemu-user, libcurl4-openssl-dev, libssl-dev, cross gcc); armhf/arm64
# libcurl + its libraries as .deb files unpacked under build/bench/sysroot-*
# (needs `dpkg --add-architecture`, done once); a venv under
# build/bench/venv from requirements.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=build/bench
HOST=x86_64-unknown-linux-gnu
ARMV7=armv7-unknown-linux-gnueabihf
AARCH64=aarch64-unknown-linux-gnu
EMU=target/release/gcal-emulator
say() { echo "bench: $*" >&2; }

for f in build/$HOST/libgs_gcal.a build/$ARMV7/libgs_gcal.a build/$AARCH64/libgs_gcal.a $EMU; do
    [ -e "$f" ] || { say "missing $f: run 'make lib armv7 aarch64 emulator' first"; exit 1; }
done
mkdir -p $B

# --- Debian packages -----------------------------------------------------------
need=()
for p in valgrind strace qemu-user libcurl4-openssl-dev libssl-dev gcc-arm-linux-gnueabihf \
         gcc-aarch64-linux-gnu libc6-dev-armhf-cross libc6-dev-arm64-cross binutils; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    say "installing (apt-get install): ${need[*]}"
    apt-get update -qq || say "apt-get update reported errors; trying anyway"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
fi

# --- the baseline's ARM libraries: downloaded and unpacked, not installed ----------
# Multiarch co-installation needs the same versions as the host's packages,
# which mirrors do not always have; the footprint and qemu runs only need the
# files.
for arch in armhf arm64; do
    root=$B/sysroot-$arch
    [ -f "$root/.done" ] && continue
    if ! dpkg --print-foreign-architectures | grep -qx $arch; then
        say "enabling Debian architecture $arch (dpkg --add-architecture $arch) to download its libcurl"
        dpkg --add-architecture $arch
        apt-get update -qq || say "apt-get update reported errors; trying anyway"
    fi
    pkgs=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
            --no-replaces --no-enhances --no-pre-depends libcurl4:$arch 2>/dev/null |
           grep -v '^ ' | grep ":$arch\$" | sort -u | grep -vE '^(libc6|gcc-12-base|libgcc-s1):' || true)
    if [ -z "$pkgs" ]; then
        say "no libcurl4:$arch in the package lists: the $arch baseline is skipped"
        continue
    fi
    say "downloading (apt-get download, unpacked under $root): libcurl4-openssl-dev:$arch libssl-dev:$arch" $pkgs
    rm -rf "$root" "$B/debs-$arch"
    mkdir -p "$root" "$B/debs-$arch"
    (cd "$B/debs-$arch" && apt-get download $pkgs libcurl4-openssl-dev:$arch libssl-dev:$arch >/dev/null 2>&1) ||
        { say "apt-get download failed for $arch: its baseline is skipped"; continue; }
    for d in "$B"/debs-$arch/*.deb; do dpkg-deb -x "$d" "$root"; done
    touch "$root/.done"
done

# --- the Python peer's venv ----------------------------------------------------
VENV_PY=""
if command -v python3 >/dev/null; then
    if ! cmp -s ffi-tests/bench/requirements.txt $B/venv/requirements.txt 2>/dev/null; then
        say "installing (pip, venv $B/venv): $(grep -v '^#' ffi-tests/bench/requirements.txt | tr '\n' ' ')"
        rm -rf $B/venv
        python3 -m venv $B/venv
        $B/venv/bin/pip install -q --disable-pip-version-check -r ffi-tests/bench/requirements.txt >&2
        cp ffi-tests/bench/requirements.txt $B/venv/requirements.txt
    fi
    VENV_PY=$PWD/$B/venv/bin/python
    say "python peer installed size: $(du -sh $B/venv/lib/python3*/site-packages | cut -f1)"
fi

# --- C programs ----------------------------------------------------------------
say "building the C programs"
mkdir -p $B/include
ln -sfn /usr/include/valgrind $B/include/valgrind   # callgrind.h for the cross builds too
CF="-std=c11 -Wall -Wextra -O2 -Iinclude -Iffi-tests/bench -Iffi-tests/c -I$B/include"
build() { # triple cc sysroot-arch
    local t=$1 cc=$2 arch=$3 out=$B/$1 libs
    libs="$(cat cross/$t.libs) -Wl,--gc-sections"
    mkdir -p "$out"
    $cc $CF -o $out/push_one ffi-tests/bench/push_one.c build/$t/libgs_gcal.a $libs
    $cc $CF -DGS_BENCH_NO_LIBRARY -o $out/push_one_nolib ffi-tests/bench/push_one.c
    $cc $CF -DGS_BENCH -o $out/push_one_bench ffi-tests/bench/push_one.c build/$t/libgs_gcal.a $libs -pthread
    if [ -f build/$t/lean/libgs_gcal.a ]; then
        $cc $CF -o $out/push_one_lean ffi-tests/bench/push_one.c build/$t/lean/libgs_gcal.a $libs
    fi
    local curl=(-lcurl -lcrypto)
    if [ -n "$arch" ]; then
        local r=$B/sysroot-$arch m
        m=$(basename "$(dirname "$(ls -d $r/usr/include/*/curl 2>/dev/null | head -1)")" 2>/dev/null || true)
        if [ ! -f "$r/.done" ] || [ -z "$m" ]; then
            rm -f $out/curl_baseline $out/curl_baseline_bench
            return 0
        fi
        curl=(-I$r/usr/include -I$r/usr/include/$m -L$r/usr/lib/$m
              -Wl,-rpath-link,$r/usr/lib/$m:$r/lib/$m -lcurl -lcrypto)
    fi
    $cc $CF -o $out/curl_baseline ffi-tests/bench/curl_baseline.c "${curl[@]}"
    $cc $CF -DGS_BENCH -o $out/curl_baseline_bench ffi-tests/bench/curl_baseline.c "${curl[@]}" -pthread
}
build $HOST gcc ""
build $ARMV7 arm-linux-gnueabihf-gcc armhf
build $AARCH64 aarch64-linux-gnu-gcc arm64
libs="$(cat cross/$HOST.libs) -Wl,--gc-sections"
gcc $CF -DGS_BENCH -DGS_BENCH_HEAP -o $B/$HOST/push_one_heap ffi-tests/bench/push_one.c \
    build/$HOST/libgs_gcal.a $libs -pthread
gcc $CF -DGS_BENCH -DGS_BENCH_HEAP -o $B/$HOST/curl_baseline_heap ffi-tests/bench/curl_baseline.c \
    -lcurl -lcrypto -pthread
if grep -q 'gs_gcal_sync(' include/gs_gcal.h; then   # the outbox (issue 5)
    gcc $CF -o $B/$HOST/sync_scale ffi-tests/bench/sync_scale.c build/$HOST/libgs_gcal.a $libs
    gcc $CF -DGS_BENCH -o $B/$HOST/sync_scale_bench ffi-tests/bench/sync_scale.c \
        build/$HOST/libgs_gcal.a $libs -pthread
else
    rm -f $B/$HOST/sync_scale $B/$HOST/sync_scale_bench
fi
# Workspace mode on armv7 (issue 14): the heap counter under qemu-arm.
arm-linux-gnueabihf-gcc $CF -DGS_BENCH -DGS_BENCH_HEAP -o $B/$ARMV7/push_one_heap ffi-tests/bench/push_one.c \
    build/$ARMV7/libgs_gcal.a $(cat cross/$ARMV7.libs) -Wl,--gc-sections -pthread
if grep -q 'gs_gcal_presence_refresh(' include/gs_gcal.h; then   # presence (issue 15)
    gcc $CF -o $B/$HOST/presence_scale ffi-tests/bench/presence_scale.c build/$HOST/libgs_gcal.a $libs
    gcc $CF -DGS_BENCH -o $B/$HOST/presence_scale_bench ffi-tests/bench/presence_scale.c \
        build/$HOST/libgs_gcal.a $libs -pthread
    gcc $CF -DGS_BENCH -DGS_BENCH_HEAP -o $B/$HOST/presence_scale_heap ffi-tests/bench/presence_scale.c \
        build/$HOST/libgs_gcal.a $libs -pthread
else
    rm -f $B/$HOST/presence_scale $B/$HOST/presence_scale_bench $B/$HOST/presence_scale_heap
fi
# Guest instruction counts on armv7 (valgrind has no armv7 host here): a
# qemu-user TCG plugin, built for the host's qemu-arm.
gcc -std=c11 -Wall -Wextra -O2 -shared -fPIC -o $B/qemu_insn.so ffi-tests/bench/qemu_insn.c
gcc -O2 -Wall -o $B/rusage_run ffi-tests/bench/rusage_run.c
# The tests' harness and its JSON reader (gcalctl's, as the Makefile's HARNESS).
gcc $CF -Iffi-tests/c -Igcalctl -o $B/bench_setup ffi-tests/bench/bench_setup.c ffi-tests/c/harness.c \
    gcalctl/json.c gcalctl/util.c build/$HOST/libgs_gcal.a $libs

# --- measure and print -------------------------------------------------------------
BENCH_BUILD=$B BENCH_EMULATOR=$EMU BENCH_VENV_PY=$VENV_PY exec python3 ffi-tests/bench/bench.py
