# Per-target settings for cross-building with Debian's cross gcc (no Docker).
# TRIPLE_<name>: Rust target; CROSS_<name>: gcc prefix; QEMU_<name>: how the
# test programs run on the host.
TRIPLE_armv7   := armv7-unknown-linux-gnueabihf
CROSS_armv7    := arm-linux-gnueabihf-
QEMU_armv7     := qemu-arm -L /usr/arm-linux-gnueabihf
# armv7 code is Thumb-2 (issue 7): -C target-feature=+thumb-mode on the
# armv7-unknown-linux-gnueabihf target makes our code and every dependency
# Thumb-2, ~330 KB (19 %) smaller than ARM mode, on any ARMv7-A, with or
# without NEON (the target's baseline: VFPv3-D16, no NEON). Debian's armhf
# gcc emits Thumb-2 by default too, so ring's C is already Thumb. The
# prebuilt std stays ARM mode (ARM/Thumb interworking is the linker's job).
# Not chosen: thumbv7neon-unknown-linux-gnueabihf (~95 KB smaller still,
# its std is Thumb too, and both size budgets of issue 7 met) requires
# NEON, which Debian's armhf baseline and some Cortex-A9 PBX SoCs lack
# (SIGILL). rustc calls thumb-mode an
# "unstable feature" and warns; it is what rustc's own thumbv7* targets
# set. Firmware builds that run cargo themselves must set the same flags.
#
# Both ARM targets also remap the crate registry's absolute source paths
# (/root/.cargo/registry/src/index.crates.io-<hash>/ureq-3.5.1/src/run.rs)
# to crate-relative ones (ureq-3.5.1/src/run.rs) in panic locations: 181
# such strings were 17 KB of the armv7 program, and a reproducible firmware
# build keeps the build machine's paths out anyway (like gcc's
# -ffile-prefix-map). rustc's stable --remap-path-prefix; the last match
# wins. crates.io's directory names are listed, not only found: on a fresh
# machine they do not exist yet when make reads this file, and the flags
# must not change between the first build and the next (a rebuild).
CARGO_HOME     ?= $(HOME)/.cargo
CRATES_IO_SRC  := $(CARGO_HOME)/registry/src/index.crates.io-1949cf8c6b5b557f/ \
                  $(CARGO_HOME)/registry/src/index.crates.io-6f17d22bba15001f/
REMAP_REGISTRY := --remap-path-prefix=$(CARGO_HOME)/registry/src/= \
                  $(foreach d,$(sort $(CRATES_IO_SRC) $(wildcard $(CARGO_HOME)/registry/src/*/)),--remap-path-prefix=$(d)=)
ARMV7_RUSTFLAGS := -C target-feature=+thumb-mode $(REMAP_REGISTRY)
export CARGO_TARGET_ARMV7_UNKNOWN_LINUX_GNUEABIHF_RUSTFLAGS := $(ARMV7_RUSTFLAGS)
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS := $(REMAP_REGISTRY)

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
