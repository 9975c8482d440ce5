# xbdev top-level Makefile.
#
# Sources are found by wildcard so that adding a file needs no edit here:
#   lib/*.c            -> $(B)/libxbdev.a            (public header lib/xbdev.h)
#   cli/*.c            -> $(B)/xbdev
#   backend/main.c     -> $(B)/xbdev-blkback   (+ backend/*.c as a library)
#   frontend/main.c    -> $(B)/xbdev-blkfront  (+ frontend/*.c as a library)
#   tests/unit/test-*.c -> $(B)/tests/test-*   (cmocka, run by check-unit)
#   tests/fuzz/fuzz-*.c -> $(B)/fuzz/fuzz-*    (libFuzzer, clang, make fuzz)
#
# make SANITIZE=1 builds with ASan+UBSan into build-asan/.

PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
LIBEXECDIR  ?= $(PREFIX)/libexec/xbdev
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
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
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	   -Wformat=2 -Wshadow -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
	   -D_GNU_SOURCE -DXBDEV_VERSION='"$(VERSION)"' \
	   -DXBDEV_LIBEXECDIR='"$(LIBEXECDIR)"' -Ilib $(SANFLAGS)
LDFLAGS += $(SANFLAGS)

LIB_LIBS  = -lxenstore -lxenlight -lxentoollog -ljson-c
BE_LIBS   = -lxenevtchn -lxengnttab -luring
FE_LIBS   = -lxenevtchn -lxengnttab

LIB_SRC   = $(wildcard lib/*.c)
CLI_SRC   = $(wildcard cli/*.c)
BE_SRC    = $(filter-out backend/main.c,$(wildcard backend/*.c))
FE_SRC    = $(filter-out frontend/main.c,$(wildcard frontend/*.c))
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
UNIT_BINS = $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))

.PHONY: all install check check-unit check-lab check-lab-selftest asan demo fuzz clean lab-fetch \
	lab-image bench bench-quick deps
all: $(BINS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

$(B)/libxbdev.a: $(call obj,$(LIB_SRC))
	@rm -f $@; $(AR) rcs $@ $^
$(B)/libbackend.a: $(call obj,$(BE_SRC))
	@rm -f $@; $(AR) rcs $@ $^ $(if $^,,)
$(B)/libfrontend.a: $(call obj,$(FE_SRC))
	@rm -f $@; $(AR) rcs $@ $^ $(if $^,,)

$(B)/xbdev: $(call obj,$(CLI_SRC)) $(B)/libxbdev.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_LIBS)
$(B)/xbdev-blkback: $(call obj,backend/main.c) $(B)/libbackend.a $(B)/libxbdev.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_LIBS) $(BE_LIBS) -lpthread
$(B)/xbdev-blkfront: $(call obj,frontend/main.c) $(B)/libfrontend.a $(B)/libxbdev.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_LIBS) $(FE_LIBS)

$(B)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(B)/libbackend.a \
		$(B)/libfrontend.a $(B)/libxbdev.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -Ibackend -Ifrontend -o $@ \
		$(filter-out %.h,$^) -lcmocka \
		$(LIB_LIBS) $(BE_LIBS) $(FE_LIBS)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR)
	install -m 755 $(B)/xbdev $(DESTDIR)$(BINDIR)/xbdev
	for b in $(filter-out $(B)/xbdev,$(BINS)); do \
		install -m 755 $$b $(DESTDIR)$(LIBEXECDIR)/ || exit 1; done
	for m in $(wildcard man/*.1); do \
		install -m 644 $$m $(DESTDIR)$(MANDIR)/man1/ || exit 1; done
	if [ -f completions/xbdev.bash ]; then install -m 644 \
		completions/xbdev.bash $(DESTDIR)$(BASHCOMPDIR)/xbdev; fi

# ---- tests ---------------------------------------------------------------
# Every runner prints TAP; tests/summarise.sh turns TAP into the one
# closing line "N passed, N failed[, N skipped]".
check-unit: all $(UNIT_BINS)
	@B=$(B) tests/run-unit.sh | tee $(B)/unit.tap | tests/summarise.sh

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

# Fuzzing: every tests/fuzz/fuzz-*.c for FUZZ_SECONDS (make fuzz: 60 s
# each; make check runs a shorter pass of FUZZ_CHECK_SECONDS each).
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 30
fuzz: deps
	@B=$(B) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh | tests/summarise.sh

check: deps all asan $(UNIT_BINS)
	@mkdir -p $(B)
	@{ B=$(B) tests/run-unit.sh; \
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

clean:
	rm -rf build build-asan
