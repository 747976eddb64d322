# Per-target settings for cross-building with Debian's cross gcc (no Docker).
# TRIPLE_<name>: Rust target; CROSS_<name>: gcc prefix; QEMU_<name>: how the
# test programs run on the host.
TRIPLE_armv7   := armv7-unknown-linux-gnueabihf
CROSS_armv7    := arm-linux-gnueabihf-
QEMU_armv7     := qemu-arm -L /usr/arm-linux-gnueabihf

TRIPLE_aarch64 := aarch64-unknown-linux-gnu
CROSS_aarch64  := aarch64-linux-gnu-
QEMU_aarch64   := qemu-aarch64 -L /usr/aarch64-linux-gnu

# ring's build script compiles C and assembly: it needs the cross compiler.
# A staticlib needs no Rust linker, but cargo test/run for the target would.
export CC_armv7_unknown_linux_gnueabihf      := arm-linux-gnueabihf-gcc
export AR_armv7_unknown_linux_gnueabihf      := arm-linux-gnueabihf-ar
export CARGO_TARGET_ARMV7_UNKNOWN_LINUX_GNUEABIHF_LINKER := arm-linux-gnueabihf-gcc
export CC_aarch64_unknown_linux_gnu          := aarch64-linux-gnu-gcc
export AR_aarch64_unknown_linux_gnu          := aarch64-linux-gnu-ar
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER := aarch64-linux-gnu-gcc
