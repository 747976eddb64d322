################################################################################
#
# gs-gcal
#
# Example package for a BR2_EXTERNAL tree: see cross/buildroot/README.md.
# Written against Buildroot's cargo-package infrastructure
# (package/pkg-cargo.mk, docs/manual/adding-packages-cargo.adoc); not built
# here.
#
################################################################################

GS_GCAL_VERSION = 0.1.0
# Replace with your repository and a tag or commit of it. For work on a
# local checkout, see GS_GCAL_OVERRIDE_SRCDIR in the README.
GS_GCAL_SITE = https://git.example.com/pbx/gs-gcal.git
GS_GCAL_SITE_METHOD = git
GS_GCAL_LICENSE = MIT or Apache-2.0, MIT (jsmn, vendored in gcalctl)
GS_GCAL_LICENSE_FILES = LICENSE-MIT LICENSE-APACHE gcalctl/vendor/LICENSE-jsmn

# A static library, header and .pc for the firmware's own programs; the
# target gets only the optional gcalctl tool.
GS_GCAL_INSTALL_STAGING = YES
GS_GCAL_INSTALL_TARGET = $(if $(BR2_PACKAGE_GS_GCAL_GCALCTL),YES,NO)

# The workspace also holds the test emulator: build only the library.
# The infrastructure adds --offline --locked and, unless BR2_ENABLE_DEBUG,
# --release; crates were vendored at download time.
GS_GCAL_CARGO_BUILD_OPTS = -p gs-gcal --lib
ifeq ($(BR2_PACKAGE_GS_GCAL_EMBEDDED_ROOTS),)
GS_GCAL_CARGO_BUILD_OPTS += --no-default-features
endif

# pkg-cargo.mk sets every CARGO_PROFILE_{DEV,RELEASE}_* from Buildroot's
# global options (opt level, LTO off unless BR2_ENABLE_LTO, 16 codegen
# units), which overrides Cargo.toml's size profile. GS_GCAL_CARGO_ENV
# comes later on the command line, so these win and the library is built
# as upstream measures it (opt-level z, fat LTO, one codegen unit).
# panic=unwind comes from Cargo.toml and must stay: the C boundary catches
# panics. Delete these three lines to follow Buildroot's settings.
GS_GCAL_CARGO_ENV = \
	CARGO_PROFILE_RELEASE_OPT_LEVEL=z \
	CARGO_PROFILE_RELEASE_LTO=true \
	CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1

# armv7 Thumb-2 code (smaller; under consideration upstream, not tested).
# On ARM pkg-cargo.mk already sets this variable to
# "-Clink-arg=-Wl,--allow-multiple-definition"; a later assignment replaces
# it, so the flag is repeated here.
#ifeq ($(BR2_ARM_INSTRUCTIONS_THUMB2),y)
#GS_GCAL_CARGO_ENV += \
#	CARGO_TARGET_$(call UPPERCASE,$(RUSTC_TARGET_NAME))_RUSTFLAGS="-Clink-arg=-Wl,--allow-multiple-definition -C target-feature=+thumb-mode"
#endif

GS_GCAL_LIB = $(@D)/target/$(RUSTC_TARGET_NAME)/$(if $(BR2_ENABLE_DEBUG),debug,release)/libgs_gcal.a

# What a program linking libgs_gcal.a needs besides it. Upstream pins the
# list per target in cross/<rust triple>.libs (checked against
# `rustc --print native-static-libs`); this is the glibc default when the
# target has no pinned file.
GS_GCAL_NATIVE_LIBS = -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc

# One shell line that sets $libs for the commands below.
GS_GCAL_NATIVE_LIBS_SH = libs="$$(cat $(@D)/cross/$(RUSTC_TARGET_NAME).libs 2>/dev/null)"; \
	[ -n "$$libs" ] || libs="$(GS_GCAL_NATIVE_LIBS)"

# gs_gcal.pc from upstream's template (cross/gs_gcal.pc.in, the same one
# `make install` fills): the native libraries are in Libs.private, so
# consumers call `pkg-config --static --libs gs_gcal`. Sources without the
# template get an equivalent file.
define GS_GCAL_WRITE_PC
	$(GS_GCAL_NATIVE_LIBS_SH); \
	if [ -f $(@D)/cross/gs_gcal.pc.in ]; then \
		sed -e 's|@PREFIX@|/usr|; s|@LIBDIR@|/usr/lib|; s|@INCLUDEDIR@|/usr/include|' \
			-e "s|@VERSION@|$(GS_GCAL_VERSION)|; s|@LIBS_PRIVATE@|$$libs|" \
			$(@D)/cross/gs_gcal.pc.in > $(@D)/gs_gcal.pc; \
	else \
		printf '%s\n' \
			'prefix=/usr' \
			'exec_prefix=$${prefix}' \
			'libdir=$${prefix}/lib' \
			'includedir=$${prefix}/include' \
			'' \
			'Name: gs_gcal' \
			'Description: Google Calendar integration for IP-PBX firmware (static library)' \
			'Version: $(GS_GCAL_VERSION)' \
			'Libs: -L$${libdir} -lgs_gcal' \
			"Libs.private: $$libs" \
			'Cflags: -I$${includedir}' \
			> $(@D)/gs_gcal.pc; \
	fi
endef
GS_GCAL_POST_BUILD_HOOKS += GS_GCAL_WRITE_PC

ifeq ($(BR2_PACKAGE_GS_GCAL_GCALCTL),y)
# gcalctl/*.c: a standalone C program using only gs_gcal.h (its vendored
# JSON tokenizer is in gcalctl/vendor/). Built into build/, as gcalctl/ is
# its source folder.
define GS_GCAL_BUILD_GCALCTL
	$(GS_GCAL_NATIVE_LIBS_SH); \
	mkdir -p $(@D)/build; \
	$(TARGET_CC) $(TARGET_CFLAGS) $(TARGET_LDFLAGS) -I$(@D)/include \
		-o $(@D)/build/gcalctl $(@D)/gcalctl/*.c \
		$(GS_GCAL_LIB) $$libs -Wl,--gc-sections
endef
GS_GCAL_POST_BUILD_HOOKS += GS_GCAL_BUILD_GCALCTL
endif

define GS_GCAL_INSTALL_STAGING_CMDS
	$(INSTALL) -D -m 0644 $(GS_GCAL_LIB) $(STAGING_DIR)/usr/lib/libgs_gcal.a
	$(INSTALL) -D -m 0644 $(@D)/include/gs_gcal.h \
		$(STAGING_DIR)/usr/include/gs_gcal.h
	$(INSTALL) -D -m 0644 $(@D)/gs_gcal.pc \
		$(STAGING_DIR)/usr/lib/pkgconfig/gs_gcal.pc
endef

# Replaces the infrastructure's `cargo install --bins`: the crate has no
# Rust binaries, and the library does not belong on the target.
define GS_GCAL_INSTALL_TARGET_CMDS
	$(if $(BR2_PACKAGE_GS_GCAL_GCALCTL),\
		$(INSTALL) -D -m 0755 $(@D)/build/gcalctl $(TARGET_DIR)/usr/bin/gcalctl)
endef

$(eval $(cargo-package))
