# xbdev top-level Makefile.
#
# Sources are found by wildcard so that adding a file needs no edit here:
#   lib/*.c            -> $(B)/libxbdev.a            (public header lib/xbdev.h)
#   cli/*.c            -> $(B)/xbdev
#   backend/main.c     -> $(B)/xbdev-blkback   (+ backend/*.c as a library)
#   frontend/main.c    -> $(B)/xbdev-blkfront  (+ frontend/*.c as a library)
#   daemon/*.c         -> $(B)/xbdevd          (when daemon/main.c exists)
#   systemd/*.service.in -> $(B)/*.service     (@SBINDIR@ filled in)
#   tests/unit/test-*.c -> $(B)/tests/test-*   (cmocka, run by check-unit)
#   tests/fuzz/fuzz-*.c -> $(B)/fuzz/fuzz-*    (libFuzzer, clang, make fuzz)
#
# make SANITIZE=1 builds with ASan+UBSan into build-asan/.

PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
SBINDIR     ?= $(PREFIX)/sbin
LIBEXECDIR  ?= $(PREFIX)/libexec/xbdev
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# libxl runs hotplug scripts from Xen's own script directory (made absolute
# under /etc/xen/scripts), whatever the PREFIX: not under PREFIX.
XEN_SCRIPTDIR ?= /etc/xen/scripts
# Debian: SYSTEMD_UNITDIR=/lib/systemd/system with PREFIX=/usr works too.
SYSTEMD_UNITDIR ?= $(PREFIX)/lib/systemd/system
DESTDIR     ?=

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.1.0)

ifeq ($(SANITIZE),1)
B       ?= build-asan
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
B       ?= build
SANFLAGS =
endif

CC      ?= cc
PKG_CONFIG ?= pkg-config
# CFLAGS, CPPFLAGS and LDFLAGS belong to whoever builds (`make CFLAGS=-O1`
# works): what the tree needs is in the XB_* variables, which come first so
# that the user's flags win.  Packagers who must not fail on a new
# compiler's warnings build with `make WERROR=`; CI keeps the default.
CFLAGS  ?= -O2 -g
WERROR  ?= -Werror
XB_CPPFLAGS = -D_GNU_SOURCE -DXBDEV_VERSION='"$(VERSION)"' \
	   -DXBDEV_LIBEXECDIR='"$(LIBEXECDIR)"' -Ilib \
	   $(if $(findstring _FORTIFY_SOURCE,$(CPPFLAGS) $(CFLAGS)),,-D_FORTIFY_SOURCE=2)
XB_CFLAGS = -std=gnu11 -Wall -Wextra $(WERROR) -Wno-unused-parameter \
	   -Wformat=2 -Wshadow -fstack-protector-strong $(SANFLAGS)
XB_LDFLAGS = $(SANFLAGS)
COMPILE = $(CC) $(XB_CPPFLAGS) $(PKG_CFLAGS) $(CPPFLAGS) $(XB_CFLAGS) $(CFLAGS)

# Libraries from their pkg-config files (Debian ships one for each); a
# missing .pc falls back to plain -lNAME: $(call pkg_libs,PACKAGE,NAME).
pkg_libs = $(or $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null),-l$(2))
pkg_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
PKGS      := xenstore xenlight xentoollog json-c xenevtchn xengnttab liburing
PKG_CFLAGS := $(foreach p,$(PKGS),$(call pkg_cflags,$(p)))
LIB_LIBS  := $(call pkg_libs,xenstore,xenstore) $(call pkg_libs,xenlight,xenlight) \
	     $(call pkg_libs,xentoollog,xentoollog) $(call pkg_libs,json-c,json-c)
FE_LIBS   := $(call pkg_libs,xenevtchn,xenevtchn) $(call pkg_libs,xengnttab,xengnttab)
BE_LIBS   := $(FE_LIBS) $(call pkg_libs,liburing,uring)
TEST_LIBS := $(call pkg_libs,cmocka,cmocka)

LIB_SRC   = $(wildcard lib/*.c)
CLI_SRC   = $(wildcard cli/*.c)
BE_SRC    = $(filter-out backend/main.c,$(wildcard backend/*.c))
FE_SRC    = $(filter-out frontend/main.c,$(wildcard frontend/*.c))
DAEMON_SRC = $(wildcard daemon/*.c)
UNIT_SRC  = $(wildcard tests/unit/test-*.c)
FUZZ_SRC  = $(wildcard tests/fuzz/fuzz-*.c)

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

BINS = $(B)/xbdev
ifneq ($(wildcard backend/main.c),)
BINS += $(B)/xbdev-blkback
endif
ifneq ($(wildcard frontend/main.c),)
BINS += $(B)/xbdev-blkfront
endif
# The resident service (system binary, with its systemd unit).
SBINS =
UNITS =
ifneq ($(wildcard daemon/main.c),)
SBINS += $(B)/xbdevd
UNITS += $(B)/xbdevd.service
endif
UNIT_BINS = $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))

.PHONY: FORCE all install check check-unit check-deb mutate check-lab check-lab-selftest soak asan demo fuzz clean lab-fetch \
	lab-image bench bench-quick deps
all: $(BINS) $(SBINS) $(UNITS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(COMPILE) -MMD -MP -c -o $@ $<

# Dependency files of the objects and of the unit tests (a test that
# #includes a .c file, like test-cli-json, is rebuilt when that file changes).
-include $(shell find $(B)/obj $(B)/tests -name '*.d' 2>/dev/null)

$(B)/libxbdev.a: $(call obj,$(LIB_SRC))
	@rm -f $@; $(AR) rcs $@ $^
$(B)/libbackend.a: $(call obj,$(BE_SRC))
	@rm -f $@; $(AR) rcs $@ $^ $(if $^,,)
$(B)/libfrontend.a: $(call obj,$(FE_SRC))
	@rm -f $@; $(AR) rcs $@ $^ $(if $^,,)

$(B)/xbdev: $(call obj,$(CLI_SRC)) $(B)/libxbdev.a
	$(CC) $(XB_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIB_LIBS)
$(B)/xbdev-blkback: $(call obj,backend/main.c) $(B)/libbackend.a $(B)/libxbdev.a
	$(CC) $(XB_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIB_LIBS) $(BE_LIBS) -lpthread
$(B)/xbdev-blkfront: $(call obj,frontend/main.c) $(B)/libfrontend.a $(B)/libxbdev.a
	$(CC) $(XB_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIB_LIBS) $(FE_LIBS)

$(B)/xbdevd: $(call obj,$(DAEMON_SRC)) $(B)/libxbdev.a
	$(CC) $(XB_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIB_LIBS)

# A unit names the installed binary, so it is made again whenever SBINDIR
# differs from the one it was made with (`make` then `make install
# PREFIX=/usr`): $(B)/sbindir keeps that one, rewritten only on a change.
$(B)/sbindir: FORCE
	@mkdir -p $(dir $@)
	@echo '$(SBINDIR)' | cmp -s - $@ || echo '$(SBINDIR)' > $@
$(B)/%.service: systemd/%.service.in $(B)/sbindir
	sed 's|@SBINDIR@|$(SBINDIR)|g' $< > $@.tmp && mv $@.tmp $@
FORCE:

$(B)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(B)/libbackend.a \
		$(B)/libfrontend.a $(B)/libxbdev.a
	@mkdir -p $(dir $@)
	$(COMPILE) -Ibackend -Ifrontend -MMD -MP -MF $@.d -MT $@ \
		$(XB_LDFLAGS) $(LDFLAGS) -o $@ $< $(filter %.a,$^) $(TEST_LIBS) \
		$(LIB_LIBS) $(BE_LIBS)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(XEN_SCRIPTDIR)
	install -m 755 $(B)/xbdev $(DESTDIR)$(BINDIR)/xbdev
	for b in $(filter-out $(B)/xbdev,$(BINS)); do \
		install -m 755 $$b $(DESTDIR)$(LIBEXECDIR)/ || exit 1; done
	for b in $(SBINS); do install -D -m 755 $$b \
		$(DESTDIR)$(SBINDIR)/$$(basename $$b) || exit 1; done
	for u in $(UNITS); do install -D -m 644 $$u \
		$(DESTDIR)$(SYSTEMD_UNITDIR)/$$(basename $$u) || exit 1; done
	install -m 755 hotplug/xbdev $(DESTDIR)$(XEN_SCRIPTDIR)/xbdev
	for m in $(wildcard man/*.1); do \
		install -m 644 $$m $(DESTDIR)$(MANDIR)/man1/ || exit 1; done
	for m in $(wildcard man/*.8); do \
		install -m 644 $$m $(DESTDIR)$(MANDIR)/man8/ || exit 1; done
	if [ -f completions/xbdev.bash ]; then install -m 644 \
		completions/xbdev.bash $(DESTDIR)$(BASHCOMPDIR)/xbdev; fi

# ---- tests ---------------------------------------------------------------
# Every runner prints TAP; tests/summarise.sh turns TAP into the one
# closing line "N passed, N failed[, N skipped]".
check-unit: all $(UNIT_BINS)
	@B=$(B) tests/run-unit.sh | tee $(B)/unit.tap | tests/summarise.sh

# The Debian package (debian/): built with dpkg-buildpackage in a scratch
# copy of the tree, lintian, unpacked and compared with make install's
# files (tests/pkg/deb.sh; about 30 s; installs dpkg-dev, debhelper and
# lintian when run as root and they are missing).
check-deb:
	@mkdir -p $(B)
	@tests/pkg/deb.sh | tee $(B)/deb.tap | tests/summarise.sh

# Mutation testing of the unit suite (tests/unit/mutations.txt), in a
# scratch copy of the tree; not part of check-unit or CI.
mutate:
	@tests/mutate.sh tests/unit/mutations.txt

# The lab's flavour, for check, check-lab, demo, bench and lab-*:
#   LAB_XEN=4.17 (default) Debian 12: Xen 4.17, Linux 6.1, the host's build
#   LAB_XEN=4.20           Debian 13: Xen 4.20, Linux 6.12, xbdev rebuilt in
#                          a cached trixie build root (tests/lab/common.sh)
LAB_XEN ?= 4.17
export LAB_XEN

# The lab also carries an ASan/UBSan build (/usr/libexec/xbdev-asan/ in
# dom0) so that hostile-guest scenarios run against a sanitized backend.
asan:
	@$(MAKE) --no-print-directory SANITIZE=1 B=$(B)-asan all

check-lab: deps all asan
	@mkdir -p $(B)
	@B=$(B) tests/lab/run.sh | tee $(B)/lab.tap | tests/summarise.sh

# The lab's own tests: a hanging scenario and a panicking guest must be
# reported as "not ok" with a reason (not in the default run: ~1 min).
check-lab-selftest: deps all
	@B=$(B) tests/lab/selftest.sh | tests/summarise.sh

# The long runs (tests/lab/soak: 200 + 200 attach/detach cycles, a
# 30-minute soak; about 50 minutes). make check runs their short variants
# (scenarios 70 and 71).
soak: deps all asan
	@mkdir -p $(B)
	@B=$(B) LAB_SOAK=1 LAB_TIMEOUT=$${LAB_TIMEOUT:-6000} tests/lab/run.sh | tee $(B)/soak.tap | tests/summarise.sh

# Fuzzing: every tests/fuzz/fuzz-*.c for FUZZ_SECONDS (make fuzz: 60 s
# each; make check runs a shorter pass of FUZZ_CHECK_SECONDS each).
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 30
fuzz: deps
	@B=$(B) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh | tests/summarise.sh

check: deps all asan $(UNIT_BINS)
	@mkdir -p $(B)
	@{ B=$(B) tests/run-unit.sh; \
	   tests/pkg/deb.sh; \
	   B=$(B) FUZZ_SECONDS=$(FUZZ_CHECK_SECONDS) tests/fuzz/run.sh; \
	   B=$(B) tests/lab/run.sh; } \
		| tee $(B)/check.tap | tests/summarise.sh

demo: deps all
	@B=$(B) tests/lab/demo.sh

bench: deps all
	@B=$(B) tests/lab/bench.sh
bench-quick: deps all
	@B=$(B) tests/lab/bench.sh --quick

deps:
	@tests/lab/host-deps.sh

lab-fetch:
	@tests/lab/fetch.sh
lab-image: all asan
	@B=$(B) tests/lab/image.sh

# B's sanitizer twin ($(B)-asan, made by `make asan`) goes with it.
clean:
	$(if $(filter-out / . ..,$(B)),,$(error refusing to clean B=$(B)))
	rm -rf $(B) $(B)-asan
