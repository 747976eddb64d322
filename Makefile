# gs-gcal: build, demo and tests. `make demo` and `make test` are the two
# commands a newcomer runs; both install or build what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := all
include cross/targets.mk

CARGO    ?= cargo
HOST     := $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p')
CSTRICT  := -std=c11 -Wall -Wextra -Wpedantic -Werror
# Large-file interfaces: 32-bit ARM readdir() fails on 64-bit inode numbers without them.
CINC     := -Iinclude -Iffi-tests/c -Igcalctl -D_FILE_OFFSET_BITS=64
EMU      := target/release/gcal-emulator
RUN      := ffi-tests/run.sh $(EMU)
CTESTS   := test_flow test_misuse test_threads test_restart test_auth test_meetings test_read test_faults test_log test_unknowns \
            test_hostile_dir test_paging test_workspace test_presence
# Need strace (ptrace) or a mount namespace: host only, `make ctest-durability`.
DTESTS   := test_torn test_fullfs
# The tests' harness and their JSON reader: gcalctl's (json.c on the
# vendored jsmn; util.c has its arena and xrealloc).
HARNESS  := ffi-tests/c/harness.c gcalctl/json.c gcalctl/util.c
CSRC     := $(wildcard ffi-tests/c/*.c ffi-tests/c/*.h ffi-tests/*.c) $(HARNESS) gcalctl/json.h \
            gcalctl/cli.h gcalctl/vendor/jsmn.h
VALGRIND := valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
            --suppressions=ffi-tests/valgrind.supp -q

# The link line of the static library, pinned per target (cross/<triple>.libs)
# and checked against `rustc --print native-static-libs` by `make linkline-check`.
libs = $(shell cat cross/$(1).libs) -Wl,--gc-sections

.PHONY: all lib lean header header-check docs-check emulator demo test setup setup-host cargo-test \
        ctest ctest-cli ctest-crash ctest-durability soak ctest-clock ctest-tsan ctest-asan ctest-valgrind armv7 aarch64 test-armv7 test-aarch64 \
        linkline-check size bench install install-check clean fuzz fuzz-long fuzz-build fuzz-setup fuzz-cmin FORCE

all: lib

# --- the library --------------------------------------------------------------
# Built with `cargo rustc` so rustc prints the native link line, which we keep.
lib: build/$(HOST)/libgs_gcal.a
build/%/libgs_gcal.a: FORCE
	@mkdir -p build/$*
	$(CARGO) rustc --release -p gs-gcal --lib --target $* -- --print native-static-libs \
	    2> >(tee build/$*/rustc.log >&2)
	@grep -o 'native-static-libs: .*' build/$*/rustc.log | sed 's/native-static-libs: //' \
	    > build/$*/native-static-libs.tmp || true
	@[ -s build/$*/native-static-libs.tmp ] && mv build/$*/native-static-libs.tmp \
	    build/$*/native-static-libs.txt || rm -f build/$*/native-static-libs.tmp
	cp -p target/$*/release/libgs_gcal.a $@

armv7: build/$(TRIPLE_armv7)/libgs_gcal.a
aarch64: build/$(TRIPLE_aarch64)/libgs_gcal.a

# The lean library: no embedded Mozilla roots (the firmware sets ca_file).
build/%/lean/libgs_gcal.a: FORCE
	@mkdir -p build/$*/lean
	$(CARGO) rustc --release -p gs-gcal --lib --target $* --no-default-features
	cp -p target/$*/release/libgs_gcal.a $@
lean: build/$(HOST)/lean/libgs_gcal.a build/$(TRIPLE_armv7)/lean/libgs_gcal.a \
    build/$(TRIPLE_aarch64)/lean/libgs_gcal.a

# --- header -------------------------------------------------------------------
header:
	cbindgen --config cbindgen.toml --crate gs-gcal --output include/gs_gcal.h

header-check:
	@tmp=$$(mktemp); cbindgen --config cbindgen.toml --crate gs-gcal --output $$tmp 2>/dev/null; \
	if cmp -s $$tmp include/gs_gcal.h; then echo "header-check: include/gs_gcal.h is current"; rm -f $$tmp; \
	else echo "header-check: include/gs_gcal.h is stale; run make header" >&2; diff -u include/gs_gcal.h $$tmp | head -40 >&2; rm -f $$tmp; exit 1; fi
	@bad=$$(grep -oE '^#define [A-Za-z_][A-Za-z0-9_]*|^typedef [^;]* \**[A-Za-z_][A-Za-z0-9_]*;|^(struct|enum) [A-Za-z_][A-Za-z0-9_]*|[A-Za-z_][A-Za-z0-9_]*\(' include/gs_gcal.h \
	    | sed -E 's/^#define //; s/^typedef .* \**([A-Za-z_0-9]+);/\1/; s/^(struct|enum) //; s/\($$//' \
	    | grep -vE '^(gs_gcal|GS_GCAL)' | grep -vE '^(__attribute__|warn_unused_result|defined|extern|sizeof)$$' | sort -u); \
	if [ -n "$$bad" ]; then echo "header-check: identifiers without the gs_gcal/GS_GCAL prefix: $$bad" >&2; exit 1; fi
	@printf '%s\n' '#define MAX_ENTRIES int' '#define MAX_COUNT int' '#define MAX_INTERVAL int' '#define WEEKDAYS_MON_FRI int' \
	    '#define SLOW_DOWN_STEP int' '#define DEFAULT_INTERVAL int' '#define QUOTA_PAUSE int' '#define DEFAULT_ITERATIONS int' \
	    '#define MAX_NAME int' '#define DEFAULT_DIR int' '#include "gs_gcal.h"' 'int main(void) { return 0; }' \
	    | gcc $(CSTRICT) -Iinclude -x c - -o /dev/null && echo "header-check: every identifier is prefixed; compiles beside a firmware's own MAX_ENTRIES & co"

# --- emulator (always a host program) ----------------------------------------
emulator: $(EMU)
$(EMU): FORCE
	$(CARGO) build --release -p gcal-emulator

# --- C programs: build/<triple>/<prog> (plain), build/asan|tsan/<prog> ----
# One rule per build, made by one template (as gcalctl's below):
# $(call cprog_rule,DIR,CC,FLAGS_VARIABLE,LIB_TRIPLE) makes build/DIR/<prog>
# from ffi-tests/c/<prog>.c and $(HARNESS) with CC and $(FLAGS_VARIABLE),
# linked with build/LIB_TRIPLE/libgs_gcal.a and that target's pinned link line.
C_FLAGS      := $(CSTRICT) -O2 $(CINC)
C_ASAN_FLAGS := $(CSTRICT) -g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
                -fno-sanitize-recover=all $(CINC)
C_TSAN_FLAGS := $(CSTRICT) -g -O1 -fsanitize=thread $(CINC)
define cprog_rule
build/$(1)/%: ffi-tests/c/%.c $$(CSRC) build/$(4)/libgs_gcal.a
	@mkdir -p build/$(1)
	$(2) $$($(3)) -o $$@ $$< $$(HARNESS) build/$(4)/libgs_gcal.a $$(call libs,$(4))
	$(if $(filter asan,$(1)),@nm $$@ | grep -q __asan_init || { echo "ASan not linked into $$@" >&2; exit 1; })
endef
$(eval $(call cprog_rule,$(HOST),gcc,C_FLAGS,$(HOST)))
$(eval $(call cprog_rule,asan,gcc,C_ASAN_FLAGS,$(HOST)))
# Several threads on one handle under ThreadSanitizer (`make ctest-tsan`).
$(eval $(call cprog_rule,tsan,gcc,C_TSAN_FLAGS,$(HOST)))
$(eval $(call cprog_rule,$(TRIPLE_armv7),$(CROSS_armv7)gcc,C_FLAGS,$(TRIPLE_armv7)))
$(eval $(call cprog_rule,$(TRIPLE_aarch64),$(CROSS_aarch64)gcc,C_FLAGS,$(TRIPLE_aarch64)))

# --- gcalctl, the admin CLI: public API only, no test harness ---------------
# Sources in gcalctl/ (one file per command group, cli.h shared, the
# vendored jsmn tokenizer in gcalctl/vendor/). One rule per build, made by
# one template: $(call gcalctl_rule,DIR,CC,FLAGS_VARIABLE,LIB_TRIPLE) makes
# build/DIR/gcalctl with CC and $(FLAGS_VARIABLE), linked with
# build/LIB_TRIPLE/libgs_gcal.a and that target's pinned link line.
CLI_SRC        := $(wildcard gcalctl/*.c)
CLI_DEPS       := $(CLI_SRC) $(wildcard gcalctl/*.h gcalctl/vendor/*.h) include/gs_gcal.h
CLI_FLAGS      := $(CSTRICT) -O2 -Iinclude -D_FILE_OFFSET_BITS=64
CLI_ASAN_FLAGS := $(CSTRICT) -g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
                  -fno-sanitize-recover=all -Iinclude -D_FILE_OFFSET_BITS=64
define gcalctl_rule
build/$(1)/gcalctl: $$(CLI_DEPS) build/$(4)/libgs_gcal.a
	@mkdir -p build/$(1)
	$(2) $$($(3)) -o $$@ $$(CLI_SRC) build/$(4)/libgs_gcal.a $$(call libs,$(4))
	$(if $(filter asan,$(1)),@nm $$@ | grep -q __asan_init || { echo "ASan not linked into $$@" >&2; exit 1; })
endef
$(eval $(call gcalctl_rule,$(HOST),gcc,CLI_FLAGS,$(HOST)))
$(eval $(call gcalctl_rule,asan,gcc,CLI_ASAN_FLAGS,$(HOST)))
$(eval $(call gcalctl_rule,$(TRIPLE_armv7),$(CROSS_armv7)gcc,CLI_FLAGS,$(TRIPLE_armv7)))
$(eval $(call gcalctl_rule,$(TRIPLE_aarch64),$(CROSS_aarch64)gcc,CLI_FLAGS,$(TRIPLE_aarch64)))

# --- demo ---------------------------------------------------------------------
setup-host:
	@cross/setup.sh host
setup:
	@cross/setup.sh all

demo: setup-host
	@mkdir -p build
	@echo "Building the library, the Google emulator and the demo (log: build/demo-build.log)..."
	@$(MAKE) --no-print-directory lib emulator build/$(HOST)/demo >build/demo-build.log 2>&1 \
	    || { cat build/demo-build.log; exit 1; }
	@$(RUN) --quiet build/$(HOST)/demo

# --- tests --------------------------------------------------------------------
test: setup
	$(MAKE) cargo-test header-check docs-check linkline-check ctest ctest-cli ctest-crash ctest-durability ctest-clock ctest-tsan ctest-asan ctest-valgrind \
	    test-armv7 test-aarch64 install-check
	@echo "make test: all suites passed"

cargo-test:
	$(CARGO) test --workspace
	$(CARGO) test -p gs-gcal --lib --no-default-features http::

ctest: lib emulator $(addprefix build/$(HOST)/,$(CTESTS))
	$(RUN) $(addprefix build/$(HOST)/,$(CTESTS))

# gcalctl, every command against the emulator (bash; GCALCTL may be a command line).
ctest-cli: lib emulator build/$(HOST)/gcalctl
	GCALCTL=build/$(HOST)/gcalctl $(RUN) ffi-tests/cli/test_gcalctl.sh

# SIGKILL at random moments (host only; `make soak` runs thousands of rounds).
ctest-crash: lib emulator build/$(HOST)/test_crash
	$(RUN) build/$(HOST)/test_crash

# Issue 17: a journal append torn at every byte, SIGKILL and ENOSPC at every
# syscall of a queue-and-compact cycle (strace), a full 256 KiB tmpfs in a
# private mount namespace (unshare). Host only; each prints SKIP where the
# kernel forbids what it needs.
ctest-durability: lib emulator $(addprefix build/$(HOST)/,$(DTESTS))
	$(RUN) $(addprefix build/$(HOST)/,$(DTESTS))

soak: lib emulator build/$(HOST)/test_crash
	GS_GCAL_CRASH_ROUNDS=10000 $(RUN) build/$(HOST)/test_crash

# A cold-booted PBX before NTP, faked with libfaketime (host only).
ctest-clock: lib emulator build/$(HOST)/test_clock
	$(RUN) --wrap "faketime 2001-01-01" build/$(HOST)/test_clock

# Several threads on one handle under ThreadSanitizer (the C side; the
# library's own locking is Rust's std Mutex).
ctest-tsan: lib emulator build/tsan/test_threads
	GS_GCAL_THREAD_ROUNDS=40 TSAN_OPTIONS="halt_on_error=1 suppressions=$(CURDIR)/ffi-tests/tsan.supp" \
	    $(RUN) build/tsan/test_threads

ctest-asan: lib emulator $(addprefix build/asan/,$(CTESTS))
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    $(RUN) $(addprefix build/asan/,$(CTESTS))

ctest-valgrind: lib emulator $(addprefix build/$(HOST)/,$(CTESTS))
	GS_GCAL_NO_PTRACE=1 $(RUN) --wrap "$(VALGRIND)" $(addprefix build/$(HOST)/,$(CTESTS))

test-armv7: armv7 emulator $(addprefix build/$(TRIPLE_armv7)/,$(CTESTS)) build/$(TRIPLE_armv7)/gcalctl
	GS_GCAL_NO_PTRACE=1 $(RUN) --wrap "$(QEMU_armv7)" $(addprefix build/$(TRIPLE_armv7)/,$(CTESTS))
	GCALCTL="$(QEMU_armv7) build/$(TRIPLE_armv7)/gcalctl" $(RUN) ffi-tests/cli/test_gcalctl.sh

test-aarch64: aarch64 emulator $(addprefix build/$(TRIPLE_aarch64)/,$(CTESTS)) build/$(TRIPLE_aarch64)/gcalctl
	GS_GCAL_NO_PTRACE=1 $(RUN) --wrap "$(QEMU_aarch64)" $(addprefix build/$(TRIPLE_aarch64)/,$(CTESTS))
	GCALCTL="$(QEMU_aarch64) build/$(TRIPLE_aarch64)/gcalctl" $(RUN) ffi-tests/cli/test_gcalctl.sh

# README documents every function and every result code of the header.
docs-check:
	@missing=$$(grep -oE '^#define GS_GCAL_[A-Z0-9_]+ -?[0-9]+$$|gs_gcal_[a-z_]+\(' include/gs_gcal.h \
	    | sed -E 's/^#define ([A-Z0-9_]+).*/\1/; s/\($$//' | sort -u \
	    | while read -r n; do grep -q "$$n" README.md || echo "$$n"; done); \
	if [ -n "$$missing" ]; then echo "docs-check: README.md lacks: $$missing" >&2; exit 1; fi; \
	echo "docs-check: README.md covers every function and code of the header"

# The pinned link lines must be what rustc says the library needs.
linkline-check: lib armv7 aarch64
	@for t in $(HOST) $(TRIPLE_armv7) $(TRIPLE_aarch64); do \
	    if ! cmp -s build/$$t/native-static-libs.txt cross/$$t.libs; then \
	        echo "linkline-check: $$t links with '$$(cat build/$$t/native-static-libs.txt)'," \
	             "but cross/$$t.libs says '$$(cat cross/$$t.libs)'" >&2; exit 1; fi; \
	    echo "linkline-check: $$t: $$(cat cross/$$t.libs)"; done

# Stripped sizes of the demo program with the library and of the same
# program's C parts alone (harness + an empty main), per ARM target.
size: armv7 aarch64 build/$(TRIPLE_armv7)/demo build/$(TRIPLE_aarch64)/demo
	@for n in armv7 aarch64; do \
	    t=$$([ $$n = armv7 ] && echo $(TRIPLE_armv7) || echo $(TRIPLE_aarch64)); \
	    p=$$([ $$n = armv7 ] && echo $(CROSS_armv7) || echo $(CROSS_aarch64)); \
	    echo 'int main(void){return 0;}' | $${p}gcc -O2 -x c - -o build/$$t/empty; \
	    $${p}strip -o build/$$t/demo.stripped build/$$t/demo; \
	    $${p}strip -o build/$$t/empty.stripped build/$$t/empty; \
	    printf '%-8s demo (with library): %8d bytes   empty C program: %6d bytes\n' $$n \
	        $$(stat -c %s build/$$t/demo.stripped) $$(stat -c %s build/$$t/empty.stripped); done

# --- install ------------------------------------------------------------------
# make install [TARGET=host|armv7|aarch64] [PREFIX=/usr/local] [DESTDIR=...]
# Puts libgs_gcal.a, gs_gcal.h, gs_gcal.pc (Libs.private = the pinned link
# line of the target) and the gcalctl CLI in the usual places.
TARGET     ?= host
PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR     ?= $(PREFIX)/bin
VERSION    := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
ITRIPLE     = $(if $(filter host,$(TARGET)),$(HOST),$(TRIPLE_$(TARGET)))

install:
	@[ -n "$(ITRIPLE)" ] || { echo "install: TARGET must be host, armv7 or aarch64" >&2; exit 2; }
	$(MAKE) --no-print-directory build/$(ITRIPLE)/libgs_gcal.a build/$(ITRIPLE)/gcalctl
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(BINDIR)
	install -m 644 build/$(ITRIPLE)/libgs_gcal.a $(DESTDIR)$(LIBDIR)/libgs_gcal.a
	install -m 644 include/gs_gcal.h $(DESTDIR)$(INCLUDEDIR)/gs_gcal.h
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|; s|@LIBS_PRIVATE@|$(shell cat cross/$(ITRIPLE).libs)|' \
	    cross/gs_gcal.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/gs_gcal.pc
	chmod 644 $(DESTDIR)$(LIBDIR)/pkgconfig/gs_gcal.pc
	install -m 755 build/$(ITRIPLE)/gcalctl $(DESTDIR)$(BINDIR)/gcalctl

# What a firmware developer does with README alone: install into a staging
# directory, build the README's example with pkg-config only (no paths
# into this tree), and run it — natively and for armv7 under qemu-user.
install-check: emulator
	@set -e; for t in host armv7; do \
	    stage=$(CURDIR)/build/install-check/$$t; rm -rf $$stage; \
	    $(MAKE) --no-print-directory install TARGET=$$t DESTDIR=$$stage PREFIX=/usr >/dev/null; \
	    cc=$$([ $$t = host ] && echo gcc || echo $(CROSS_armv7)gcc); \
	    run=$$([ $$t = host ] && echo || echo "$(QEMU_armv7)"); \
	    flags=$$(PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR=$$stage/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$$stage \
	        pkg-config --static --cflags --libs gs_gcal); \
	    $$cc $(CSTRICT) -O2 -o $$stage/example ffi-tests/example.c $$flags -Wl,--gc-sections; \
	    dir=$$(mktemp -d); \
	    out=$$(echo 's3cret-value' | $$run $$stage/example $$dir 123-abc.apps.googleusercontent.com \
	        https://pbx.example.com/oauth2callback); rm -rf $$dir; \
	    grep -q '^https://accounts.google.com/o/oauth2/v2/auth?.*client_id=123-abc.apps.googleusercontent.com' <<<"$$out" \
	        || { echo "install-check: $$t example printed: $$out" >&2; exit 1; }; \
	    grep -q 's3cret' <<<"$$out" && { echo "install-check: the secret was printed" >&2; exit 1; }; \
	    $$run $$stage/usr/bin/gcalctl --version >/dev/null; \
	    echo "install-check: $$t: installed, example built with pkg-config ($$flags) and run"; done

# --- fuzzing (issue 18) ---------------------------------------------------------
# cargo-fuzz (libFuzzer) on nightly, for fuzzing only: the library stays on
# stable. Debug assertions and overflow checks on (-a) in an optimized build
# (-O). One fuzz process at a time, at nice 15 (a shared machine). The
# corpora in fuzz/corpus/<target>/ grow as the fuzzer finds new paths;
# `make fuzz-cmin` minimizes them before a commit. `make test` replays them
# on stable (tests/fuzz_corpus.rs in cargo-test).
FUZZ_TARGETS ?= google rfc3339 json_diff authorize meeting import options tzif state_dir
FUZZ_SECONDS ?= 10
FUZZ_NICE    ?= nice -n 15
FUZZ_BUILD   := -a -O
FUZZ_ARGS    ?= -timeout=10 -rss_limit_mb=2048 -print_final_stats=1

fuzz-setup:
	@rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	@cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz

fuzz-build: fuzz-setup
	cd fuzz && $(FUZZ_NICE) cargo +nightly fuzz build $(FUZZ_BUILD)

fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
	    echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	    (cd fuzz && $(FUZZ_NICE) cargo +nightly fuzz run $(FUZZ_BUILD) $$t -- \
	        -max_total_time=$(FUZZ_SECONDS) $(FUZZ_ARGS)); done
	@echo "fuzz: $(FUZZ_TARGETS): no crash in $(FUZZ_SECONDS) s each"

fuzz-long:
	$(MAKE) fuzz FUZZ_SECONDS=600

fuzz-cmin: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
	    (cd fuzz && $(FUZZ_NICE) cargo +nightly fuzz cmin $(FUZZ_BUILD) $$t -- -timeout=10); \
	    echo "fuzz-cmin: $$t: $$(ls fuzz/corpus/$$t | wc -l) files"; done

# Footprint and speed against a libcurl baseline and Google's Python
# client (issue 7); installs what it needs, prints one table. Not a test.
bench: lib armv7 aarch64 lean emulator
	ffi-tests/bench/bench.sh

clean:
	$(CARGO) clean
	rm -rf build

FORCE:
