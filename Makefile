# tock: GNU make build.
#
#   make                 build build/tockd and build/tockctl (hardened flags)
#   make run             build and start tockd on the embedded quick-start configuration
#   make check           install missing packages (as root), build normal + ASan/UBSan,
#                        run every unit and integration test in both builds
#   make unit            build and run the unit tests of one build (BUILD=..., SAN=...)
#   make fuzz            build libFuzzer targets with clang and run each for FUZZ_SECONDS
#   make bench           throughput benchmark of tockd against chronyd -x
#   make install         install with PREFIX and DESTDIR
#
# Variables: BUILD (output dir, default build), SAN=1 (ASan+UBSan), WERROR=1 (-Werror).
# The build never sets _FILE_OFFSET_BITS: the clock-and-network simulator intercepts the
# plain symbols (doc/simulation.md).

BUILD  ?= build
SAN    ?= 0
WERROR ?= 0
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR  = $(PREFIX)/bin
SBINDIR = $(PREFIX)/sbin
MANDIR  = $(PREFIX)/share/man
DOCDIR  = $(PREFIX)/share/doc/tock
SYSCONFDIR ?= /etc
FUZZ_SECONDS ?= 30

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

WARN   := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
          -Wno-missing-field-initializers
ifeq ($(WERROR),1)
WARN   += -Werror
endif

CPPFLAGS_ALL := -D_GNU_SOURCE -DTOCK_VERSION='"$(VERSION)"' \
                -DTOCK_SYSCONFDIR='"$(SYSCONFDIR)"' -Isrc -MMD -MP
CFLAGS_ALL   := -std=c11 -g $(WARN) -fno-strict-aliasing
LDFLAGS_ALL  :=

ifeq ($(SAN),1)
CFLAGS_ALL  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=undefined
LDFLAGS_ALL += -fsanitize=address,undefined
else
# Hardened defaults: fortify, stack protector, PIE, full RELRO.
CPPFLAGS_ALL += -D_FORTIFY_SOURCE=2
CFLAGS_ALL   += -O2 -fstack-protector-strong -fPIE
LDFLAGS_ALL  += -pie -Wl,-z,relro,-z,now
endif

LIBS := -lssl -lcrypto -lnettle -lseccomp -lcap -lm

# Pure modules (no sockets, no clock reads): one static library, shared by the daemon,
# tockctl, the unit tests and the fuzz targets.
PURE_DIRS := src/util src/proto src/conf src/sync src/serve src/crypto src/monitor src/ops
PURE_SRC  := $(sort $(foreach d,$(PURE_DIRS),$(wildcard $(d)/*.c)))
DAEMON_SRC := $(filter-out src/daemon/main.c,$(sort $(wildcard src/daemon/*.c)))
CTL_SRC    := $(filter-out src/ctl/tockctl.c,$(sort $(wildcard src/ctl/*.c)))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
UNIT_HELPERS := $(filter-out $(UNIT_SRC),$(sort $(wildcard tests/unit/*.c)))
FUZZ_SRC   := $(sort $(wildcard tests/fuzz/fuzz_*.c))

# V=1 shows the full compiler command lines.
ifeq ($(V),1)
Q :=
else
Q := @
endif

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIBTOCK   := $(BUILD)/libtock.a
LIBTOCKD  := $(BUILD)/libtockd.a
LIBTOCKCTL := $(BUILD)/libtockctl.a
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

.PHONY: all run check unit integration fuzz bench install uninstall clean format format-check \
        deps shim
all: $(BUILD)/tockd $(BUILD)/tockctl

# Keep test objects (make would delete them as intermediates and rebuild every time).
.SECONDARY:

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CPPFLAGS) $(CFLAGS_ALL) $(CFLAGS) -c $< -o $@

$(LIBTOCK): $(call obj,$(PURE_SRC))
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(LIBTOCKD): $(call obj,$(DAEMON_SRC))
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(LIBTOCKCTL): $(call obj,$(CTL_SRC))
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/tockd: $(call obj,src/daemon/main.c) $(LIBTOCKD) $(LIBTOCK)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_ALL) $(CFLAGS) $(LDFLAGS_ALL) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tockctl: $(call obj,src/ctl/tockctl.c) $(LIBTOCKCTL) $(LIBTOCK)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_ALL) $(CFLAGS) $(LDFLAGS_ALL) $(LDFLAGS) -o $@ $^ $(LIBS)

# Unit tests: one cmocka program per tests/unit/test_*.c, linked with every library.
$(BUILD)/tests/%: $(call obj,tests/unit/%.c) $(call obj,$(UNIT_HELPERS)) $(LIBTOCKD) \
                  $(LIBTOCKCTL) $(LIBTOCK)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_ALL) $(CFLAGS) $(LDFLAGS_ALL) $(LDFLAGS) -o $@ $^ -lcmocka $(LIBS)

# The clock shim for tests of the system clock driver (LD_PRELOAD).
SHIM := $(BUILD)/tests/libclockshim.so
$(SHIM): tests/shim/clockshim.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -fPIC -shared -o $@ $< -ldl
shim: $(SHIM)

unit: $(UNIT_BINS)
	@scripts/run-unit.sh $(BUILD) $(UNIT_BINS)

integration: all $(if $(wildcard tests/shim/clockshim.c),$(SHIM))
	@TOCK_BUILD=$(abspath $(BUILD)) TOCK_SAN=$(SAN) scripts/run-integration.sh

run:
	@scripts/deps.sh build
	@$(MAKE) --no-print-directory all
	@scripts/quickstart.sh $(BUILD)

check:
	@scripts/check.sh

deps:
	@scripts/deps.sh

fuzz:
	@scripts/fuzz.sh $(FUZZ_SECONDS)

bench: all
	@bench/run.sh $(BUILD)

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 \
	           $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DOCDIR)/examples
	install -m 0755 $(BUILD)/tockd $(DESTDIR)$(SBINDIR)/tockd
	install -m 0755 $(BUILD)/tockctl $(DESTDIR)$(BINDIR)/tockctl
	install -m 0644 man/tockd.8 $(DESTDIR)$(MANDIR)/man8/tockd.8
	install -m 0644 man/tockctl.1 $(DESTDIR)$(MANDIR)/man1/tockctl.1
	install -m 0644 man/tock.conf.5 $(DESTDIR)$(MANDIR)/man5/tock.conf.5
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -m 0644 examples/* $(DESTDIR)$(DOCDIR)/examples/

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/tockd $(DESTDIR)$(BINDIR)/tockctl \
	      $(DESTDIR)$(MANDIR)/man8/tockd.8 $(DESTDIR)$(MANDIR)/man1/tockctl.1 \
	      $(DESTDIR)$(MANDIR)/man5/tock.conf.5
	rm -rf $(DESTDIR)$(DOCDIR)

format:
	clang-format -i $(shell git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $(shell git ls-files '*.c' '*.h')

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
