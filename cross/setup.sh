#!/usr/bin/env bash
# Installs what building and testing gs-gcal needs on Debian/Ubuntu.
#   cross/setup.sh host   C compiler and make: enough for `make` and `make demo`
#   cross/setup.sh all    + cross gcc, ARM libc, qemu-user, valgrind, faketime, pkg-config, rustup
#                         targets and the pinned cbindgen: `make test`
# As root (or with passwordless sudo) it installs; otherwise it prints the
# exact commands and fails.
set -eu
mode=${1:-all}
CBINDGEN_VERSION=0.29.4
DATEUTIL_VERSION=2.9.0.post0
RUST_TARGETS="armv7-unknown-linux-gnueabihf aarch64-unknown-linux-gnu"

need_pkgs=()
have() { command -v "$1" >/dev/null 2>&1; }
pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed' || need_pkgs+=("$1"); }

if ! have cargo || ! have rustup; then
    echo "setup: Rust (cargo, rustup) is missing; install it from https://rustup.rs" >&2
    exit 1
fi
pkg gcc
pkg make
pkg libc6-dev
if [ "$mode" = all ]; then
    for p in gcc-arm-linux-gnueabihf libc6-dev-armhf-cross binutils-arm-linux-gnueabihf \
             gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu \
             qemu-user valgrind faketime pkg-config strace python3; do
        pkg "$p"
    done
fi

if [ ${#need_pkgs[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then sudo=""; elif have sudo && sudo -n true 2>/dev/null; then sudo="sudo"; else
        echo "setup: missing Debian packages; run as root:" >&2
        echo "  apt-get update && apt-get install -y ${need_pkgs[*]}" >&2
        exit 1
    fi
    echo "setup: installing ${need_pkgs[*]}"
    # A stale index of some other architecture must not stop the install.
    $sudo apt-get update -qq || echo "setup: apt-get update reported errors; installing anyway" >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

if [ "$mode" = all ]; then
    # The RRULE differential tests (issue 16) check against python-dateutil.
    if ! python3 -c 'import dateutil' 2>/dev/null; then
        echo "setup: installing python-dateutil $DATEUTIL_VERSION"
        python3 -m pip install -q --disable-pip-version-check "python-dateutil==$DATEUTIL_VERSION" 2>/dev/null ||
            python3 -m pip install -q --user --disable-pip-version-check "python-dateutil==$DATEUTIL_VERSION" 2>/dev/null ||
            { [ "$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-dateutil >/dev/null; } ||
            { echo "setup: cannot install python-dateutil" >&2; exit 1; }
    fi
    installed=$(rustup target list --installed)
    for t in $RUST_TARGETS; do
        grep -qx "$t" <<<"$installed" || rustup target add "$t"
    done
    if ! have cbindgen || [ "$(cbindgen --version 2>/dev/null)" != "cbindgen $CBINDGEN_VERSION" ]; then
        echo "setup: installing cbindgen $CBINDGEN_VERSION"
        cargo install cbindgen --version "$CBINDGEN_VERSION" --locked --quiet
    fi
fi
