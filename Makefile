# cntpd — GNU make build.
#
#   make            build/cntpd (optimised, -Werror)
#   make asan       build/asan/cntpd (ASan+UBSan), used by the tests
#   make test       every suite: unit (cmocka, ASan), integration (real peers)
#   make bench      scripts/bench-server.sh
#   make install    PREFIX=/usr/local DESTDIR=

CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
VERSION := 0.1.0

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wformat=2 -Wno-format-nonliteral
CSTD    := -std=c11 -D_GNU_SOURCE -DCNTPD_VERSION=\"$(VERSION)\"
OPT     ?= -O2 -g
CFLAGS  ?=
ALL_CFLAGS = $(CSTD) $(WARN) $(OPT) $(CFLAGS) -iquote src -iquote agent -MMD -MP

EVENT_LIBS  := $(shell pkg-config --libs libevent_core libevent_extra 2>/dev/null || echo -levent_core -levent_extra)
CRYPTO_LIBS := -lcrypto
SNMP_LIBS   := -lnetsnmpagent -lnetsnmp
CMOCKA_LIBS := -lcmocka
LIBM        := -lm

SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# Engine sources: everything in src/ except the program entry point. The
# engine links without libevent except for the files named in EVENT_SRC.
ENGINE_SRC := $(filter-out src/main.c,$(wildcard src/*.c))
AGENT_SRC  := $(wildcard agent/*.c)
MAIN_SRC   := src/main.c
TOOL_SRC   := $(wildcard tests/tools/*.c)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)

B  := build
BA := build/asan

obj = $(patsubst %.c,$(1)/%.o,$(2))

.PHONY: all asan test unit integration bench clean install tools demo
# Keep object files make considers intermediate (tools, unit tests): they
# are reused by the next build.
.SECONDARY:
all: $(B)/cntpd tools

asan: $(BA)/cntpd

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BA)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -c -o $@ $<

$(B)/cntpd: $(call obj,$(B),$(ENGINE_SRC) $(AGENT_SRC) $(MAIN_SRC))
	$(CC) $(OPT) -o $@ $^ $(SNMP_LIBS) $(EVENT_LIBS) $(CRYPTO_LIBS) $(LIBM)

$(BA)/cntpd: $(call obj,$(BA),$(ENGINE_SRC) $(AGENT_SRC) $(MAIN_SRC))
	$(CC) $(OPT) $(SAN_FLAGS) -o $@ $^ $(SNMP_LIBS) $(EVENT_LIBS) $(CRYPTO_LIBS) $(LIBM)

# Test tools (load generator, junk sender): one binary per file, linked with
# the engine's pure modules they use.
TOOL_LINK := $(call obj,$(B),src/ntp_time.c src/ntp_pkt.c)
$(B)/tools/%: $(B)/tests/tools/%.o $(TOOL_LINK)
	@mkdir -p $(dir $@)
	$(CC) $(OPT) -o $@ $^ $(LIBM)
# Tools that need more of the engine name it here.
$(B)/tools/ntp_shmwriter: $(call obj,$(B),src/shmtime.c)
tools: $(patsubst tests/tools/%.c,$(B)/tools/%,$(TOOL_SRC))

# Unit tests: each tests/unit/test_X.c names the engine modules it links
# with in a header comment line " * Links: mod1 mod2 ..." (so a test stays
# hermetic: fakes for everything else live in the test file itself).
UNIT_NAMES := $(patsubst tests/unit/%.c,%,$(UNIT_SRC))
UNIT_BINS  := $(addprefix $(BA)/unit/,$(UNIT_NAMES))
# A name with a slash is a path from the top (agent/mib_values); else src/NAME.
unit_links = $(foreach m,$(shell sed -n 's/^ \* *Links: *//p' tests/unit/$(1).c),$(if $(findstring /,$(m)),$(BA)/$(m).o,$(BA)/src/$(m).o))
define unit_rule
$(BA)/unit/$(1): $(BA)/tests/unit/$(1).o $(call unit_links,$(1))
	@mkdir -p $$(dir $$@)
	$$(CC) $$(OPT) $$(SAN_FLAGS) -o $$@ $$^ $$(CRYPTO_LIBS) $$(CMOCKA_LIBS) $$(LIBM)
endef
$(foreach t,$(UNIT_NAMES),$(eval $(call unit_rule,$(t))))

unit: $(UNIT_BINS)
	@tests/run-suite.sh unit $(UNIT_BINS)

integration: $(B)/cntpd $(BA)/cntpd tools
	@tests/integration/run.sh

test: $(UNIT_BINS) $(B)/cntpd $(BA)/cntpd tools $(B)/sim/cntpd-sim
	@tests/run-all.sh $(UNIT_BINS)

bench: $(B)/cntpd tools
	scripts/bench-server.sh

demo: $(B)/cntpd
	scripts/demo.sh

# Install: the daemon, its MIB modules (a private directory, so the minimal
# base modules in mibs/ never shadow the system's), man pages, an example
# configuration, a systemd unit (unprivileged user, CAP_SYS_TIME and
# CAP_NET_BIND_SERVICE only) and the sysusers.d entry creating that user.
# The configuration itself (SYSCONFDIR/cntpd.conf) is the admin's.
SBINDIR        ?= $(PREFIX)/sbin
DATADIR        ?= $(PREFIX)/share
MANDIR         ?= $(DATADIR)/man
MIBDIR         ?= $(DATADIR)/cntpd/mibs
DOCDIR         ?= $(DATADIR)/doc/cntpd
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR    ?= $(PREFIX)/lib/sysusers.d
SYSCONFDIR     ?= /etc
DIST           := scripts/dist

install: $(B)/cntpd
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MIBDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(SYSUSERSDIR)
	install -m 755 $(B)/cntpd $(DESTDIR)$(SBINDIR)/cntpd
	install -m 644 mibs/* $(DESTDIR)$(MIBDIR)/
	install -m 644 $(DIST)/cntpd.8 $(DESTDIR)$(MANDIR)/man8/cntpd.8
	install -m 644 $(DIST)/cntpd.conf.5 $(DESTDIR)$(MANDIR)/man5/cntpd.conf.5
	install -m 644 $(DIST)/cntpd.conf.example $(DESTDIR)$(DOCDIR)/cntpd.conf.example
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		$(DIST)/cntpd.service >$(DESTDIR)$(SYSTEMDUNITDIR)/cntpd.service
	chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/cntpd.service
	install -m 644 $(DIST)/cntpd.sysusers $(DESTDIR)$(SYSUSERSDIR)/cntpd.conf

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)

# --- simulator (tests/sim; owned by the simulator, self-contained) --------
# build/sim/cntpd-sim: the engine (every src/*.c but the OS-facing ones,
# whose interfaces tests/sim implements on virtual time) with the simulated
# scheduler, clock, network and resolver. No libevent.
SIM_OS_SRC     := src/main.c src/sched_ev.c src/ntp_io.c src/resolve_ev.c src/clock_sys.c
SIM_ENGINE_SRC := $(filter-out $(SIM_OS_SRC),$(wildcard src/*.c))
SIM_SRC        := $(wildcard tests/sim/*.c)

.PHONY: sim sim-asan sim-check
sim: $(B)/sim/cntpd-sim
sim-asan: $(BA)/sim/cntpd-sim

$(B)/sim/cntpd-sim: $(call obj,$(B),$(SIM_ENGINE_SRC) $(SIM_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(OPT) -o $@ $^ $(CRYPTO_LIBS) $(LIBM)

$(BA)/sim/cntpd-sim: $(call obj,$(BA),$(SIM_ENGINE_SRC) $(SIM_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(OPT) $(SAN_FLAGS) -o $@ $^ $(CRYPTO_LIBS) $(LIBM)

sim-check: $(B)/sim/cntpd-sim
	$(B)/sim/cntpd-sim --check
# --- end simulator ---------------------------------------------------------
