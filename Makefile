# gt - git-native plumbing for orchestrating coding agents.
#
#   make                 build lib/libgt.a and every command into bin/
#   make check           install missing Debian packages, build, run tests/run
#   make check-agents    the same build, then the real agent CLIs (claude, codex,
#                        gemini, opencode, pi) from npm into build/npm-agents
#                        (tests/agents/install.sh; needs npm and the registry)
#                        and tests/agents/t3000-agents.sh: each CLI run by gt
#                        against the fake provider (tests/fake/provider.py)
#   make demo            install missing Debian packages, build, run the demo
#   make install PREFIX=/usr/local DESTDIR=
#   make lint            clang-format check, cppcheck, shellcheck, the layers of lib/
#   make bench           run the benchmarks under bench/
#   make fuzz            libFuzzer (clang) on each tests/fuzz/ harness for
#                        FUZZ_SECONDS (60) each; FUZZ="json toml" picks some
#   DEVELOPER=1          warnings are errors
#   SANITIZE=address,undefined   build with sanitizers (.ci/run runs the tests
#                        so too, in a copy of the tree; SANITIZE_TESTS there
#                        names the tests/run prefixes, default all)
#   STATIC=0             link the commands dynamically (see "Static commands")
#   STATIC_GIT2=0        link libgit2 dynamically (loses the CA-bundle skip)
#   NONET=0              link the real libssh2/GSSAPI (see lib/base/nonet.c)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
CC ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g
STATIC ?= 1
STATIC_GIT2 ?= 1
NONET ?= 1
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0)

# Debian packages the build, the tests and the demo need.
DEB_BUILD = gcc make pkg-config libgit2-dev libcjson-dev libcurl4-openssl-dev libssl-dev zlib1g-dev \
	libncurses-dev libmicrohttpd-dev scdoc patch xz-utils
DEB_RUN = git jq tmux procps
DEB_LINT = clang-format cppcheck shellcheck
# the fake model server and fake agent CLIs the tests run (tests/fake/);
# graphviz for gt-graph --svg
DEB_TEST = python3 graphviz
# gt-dashboard's page in a real browser (tests/t2300-dashboard.sh)
DEB_TEST += chromium chromium-driver

override CFLAGS += -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter -Wformat=2 -Wvla -MMD -MP -Ilib \
	-DGT_VERSION='"$(VERSION)"' -DGT_DATADIR='"$(DATADIR)/gt"'
ifeq ($(DEVELOPER),1)
override CFLAGS += -Werror
endif
ifneq ($(SANITIZE),)
override CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
override LDFLAGS += -fsanitize=$(SANITIZE)
endif

# Dependencies come from pkg-config; evaluated lazily so `make deps` can run
# before the packages exist.
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags libgit2 libcjson libcurl zlib 2>/dev/null)
LIBDIR_GIT2 = $(shell $(PKG_CONFIG) --variable=libdir libgit2 2>/dev/null)
GIT2_A = $(wildcard $(LIBDIR_GIT2)/libgit2.a)
# The mbedTLS initialiser exists only in mbedTLS builds of libgit2.
GIT2_WRAP = $(if $(GIT2_A),$(shell nm -g $(GIT2_A) 2>/dev/null | grep -q ' T git_mbedtls_stream_global_init$$' && echo yes))
# a static library if there is one, else the shared one
static_or_dyn = $(if $(wildcard $(LIBDIR_GIT2)/lib$(1).a),$(LIBDIR_GIT2)/lib$(1).a,-l$(1))
ifeq ($(STATIC_GIT2)$(if $(GIT2_A),y,n),1y)
# lib/base/nonet.c stands in for libssh2 and GSSAPI, which gt never uses through
# libgit2 and which cost ~1 ms of loading on every start
GIT2_NET = $(if $(filter 1,$(NONET)),build/nonet.o,-lssh2 -l:libgssapi_krb5.so.2)
GIT2_LIBS = $(GIT2_A) $(call static_or_dyn,mbedtls) $(call static_or_dyn,mbedx509) \
	$(call static_or_dyn,mbedcrypto) $(call static_or_dyn,http_parser) \
	$(call static_or_dyn,pcre2-8) $(GIT2_NET) -lrt -lpthread
GIT2_DEFS = $(if $(GIT2_WRAP),-DGT_WRAP_MBEDTLS)
GIT2_LDFLAGS = $(if $(GIT2_WRAP),-Wl$(comma)--wrap=git_mbedtls_stream_global_init -Wl$(comma)-u$(comma)__wrap_git_mbedtls_stream_global_init)
else
GIT2_LIBS = $(shell $(PKG_CONFIG) --libs libgit2 2>/dev/null)
GIT2_DEFS =
GIT2_LDFLAGS =
endif
comma := ,
# SHA-1/SHA-256 from OpenSSL's libcrypto (CPU SHA instructions), static
# where Debian ships libcrypto.a so no command pays for loading all of it
LIBDIR_CRYPTO = $(shell $(PKG_CONFIG) --variable=libdir libcrypto 2>/dev/null)
CRYPTO_LIBS = $(if $(wildcard $(LIBDIR_CRYPTO)/libcrypto.a),$(LIBDIR_CRYPTO)/libcrypto.a,-lcrypto)
LIBS = $(GIT2_LIBS) $(shell $(PKG_CONFIG) --libs libcjson zlib 2>/dev/null) $(CRYPTO_LIBS) -lm

# lib/ is one folder per layer, named bottom-up in lib/LAYERS (lib/README.md);
# one archive holds them all
LIB_LAYERS := $(shell sed -e 's/\#.*//' lib/LAYERS)
LIB_SRC := $(filter-out lib/base/nonet.c lib/base/static.c,$(foreach l,$(LIB_LAYERS),$(sort $(wildcard lib/$(l)/*.c))))
LIB_OBJ := $(LIB_SRC:%.c=build/%.o)
CMD_SRC := $(sort $(wildcard cmd/gt-*.c cmd/gt.c))
CMD_SH := $(sort $(wildcard cmd/gt-*.sh))
CMD_BIN := $(patsubst cmd/%.c,bin/%,$(CMD_SRC)) $(patsubst cmd/%.sh,bin/%,$(CMD_SH))
CLI_OBJ := $(patsubst %.c,build/%.o,$(sort $(wildcard cmd/cli*.c)))
TEST_SRC := $(sort $(wildcard tests/unit/*.c))
TEST_BIN := $(patsubst tests/unit/%.c,build/tests/%,$(TEST_SRC))
BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_BIN := $(patsubst bench/%.c,build/bench/%,$(BENCH_SRC))
MAN_SRC := $(sort $(wildcard man/*.scd))
MAN_OUT := $(patsubst man/%.scd,build/man/%,$(MAN_SRC))

.PHONY: all check check-agents check-build demo install lint bench bench-tools clean deps deps-lint man FORCE

all: lib/libgt.a $(CMD_BIN) $(TEST_BIN) man

build/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(GIT2_DEFS) -c -o $@ $<

# The version compiled in follows the tree: build/version is rewritten
# only when it changes, and what prints it is rebuilt then.
build/version: FORCE
	@mkdir -p $(@D)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' >$@
build/cmd/gt.o build/cmd/cli.o: build/version
FORCE:

build/nonet.o: lib/base/nonet.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

# Static commands.  A command linked statically starts without the dynamic
# loader, its relocations and symbol lookups and the mappings of five
# shared objects: with 64 agents writing flat out on 2 cores, ~0.35 ms less
# CPU a write (+10-12% writes/s, measured in README's figures).  Every
# library a command needs must then have a static build: Debian ships
# libgit2, zlib, OpenSSL's libcrypto and glibc so, but cJSON only shared, so
# `make deps` fetches Debian's own source of the installed libcjson-dev
# (tools/debian-source.sh: apt, signatures checked, Debian's patches) and
# it is compiled here.  Without it (offline), under sanitizers (no static
# ASan) or with STATIC=0 the commands are linked dynamically, as are the
# few that need libcurl, libmicrohttpd or ncurses.  lib/base/static.c
# answers libgit2's two calls into glibc's NSS.
CJSON_SRC = build/src/cjson
STATIC_OK := $(if $(filter 1,$(STATIC)),$(if $(SANITIZE),,$(if $(GIT2_A),$(if $(filter 1,$(STATIC_GIT2)),$(if $(filter 1,$(NONET)),$(if $(wildcard $(CJSON_SRC)/.done),1))))))
ifeq ($(STATIC_OK),1)
LIBDIR_Z = $(shell $(PKG_CONFIG) --variable=libdir zlib 2>/dev/null)
Z_A = $(or $(wildcard $(LIBDIR_Z)/libz.a),-lz)
CMD_LINK = -static -Wl,--wrap=getpwuid_r -Wl,--wrap=getaddrinfo -Wl,--wrap=freeaddrinfo
CMD_DEPS = build/static.o build/cjson/libcjson.a
CMD_LIBS = $(GIT2_LIBS) build/static.o build/cjson/libcjson.a $(Z_A) $(CRYPTO_LIBS) -lm
else
CMD_LINK =
CMD_DEPS =
CMD_LIBS = $(LIBS)
endif

build/static.o: lib/base/static.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

# Debian's cJSON, as Debian builds it (no gt warnings: not our code)
build/cjson/libcjson.a: $(CJSON_SRC)/.done
	@mkdir -p $(@D)
	$(CC) -O2 -g -std=c89 -c -o build/cjson/cJSON.o $(CJSON_SRC)/cJSON.c
	@rm -f $@ && $(AR) rcs $@ build/cjson/cJSON.o

# made aside and renamed: a link running meanwhile never sees half an archive
lib/libgt.a: $(LIB_OBJ) $(if $(filter 1,$(NONET)),build/nonet.o)
	@rm -f $@.tmp
	@$(AR) rcs $@.tmp $(LIB_OBJ) && mv $@.tmp $@ && echo "AR $@"

# `gt` itself is only a dispatcher: no libgit2, so it starts in ~0.5 ms.
bin/gt: build/cmd/gt.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $(if $(STATIC_OK),-static) -o $@ $^

bin/gt-%: build/cmd/gt-%.o $(CLI_OBJ) lib/libgt.a $(CMD_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $(CMD_LINK) $(GIT2_LDFLAGS) -o $@ $< $(CLI_OBJ) lib/libgt.a $(CMD_LIBS)

# only the commands that speak HTTP link libcurl (DESIGN.md, "Network"),
# only gt-dashboard serves it (libmicrohttpd), only gt-top draws a screen
# (ncurses, wide-character build): linked dynamically, these three
CURL_LIBS = $(shell $(PKG_CONFIG) --libs libcurl 2>/dev/null)
CURSES_LIBS = $(shell $(PKG_CONFIG) --libs ncursesw 2>/dev/null || echo -lncursesw)
HTTP_CMDS = bin/gt-run
DYN_CMDS = $(HTTP_CMDS) bin/gt-dashboard bin/gt-top
$(DYN_CMDS): CMD_LINK =
$(DYN_CMDS): CMD_LIBS = $(LIBS)
$(HTTP_CMDS): CMD_LIBS += $(CURL_LIBS)
bin/gt-dashboard: CMD_LIBS += $(shell $(PKG_CONFIG) --libs libmicrohttpd 2>/dev/null)
bin/gt-top: CMD_LIBS += $(CURSES_LIBS)

bin/gt-%: cmd/gt-%.sh
	@mkdir -p $(@D)
	cp $< $@
	chmod +x $@

# a test that needs an object outside libgt.a names it as a prerequisite
build/tests/%: tests/unit/%.c lib/libgt.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) $(GIT2_LDFLAGS) -o $@ $< $(filter %.o,$^) lib/libgt.a $(LIBS) $(CURL_LIBS)

# lib/base/static.c, beside glibc's own answers
build/tests/t-static: build/static.o

# benchmark helpers link exactly like the commands (the floor program must)
bench-tools: lib/libgt.a $(BENCH_BIN)
build/bench/%: bench/%.c bench/bench.h lib/libgt.a $(CMD_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(GIT2_DEFS) $(LDFLAGS) $(CMD_LINK) $(GIT2_LDFLAGS) -o $@ $< lib/libgt.a $(CMD_LIBS)

man: $(MAN_OUT)
build/man/%: man/%.scd
	@mkdir -p $(@D)
	scdoc < $< > $@.tmp && mv $@.tmp $@

# Installs what is missing: as root with apt-get, otherwise prints the
# exact command and stops.
deps:
	@missing=""; for p in $(DEB_BUILD) $(DEB_RUN) $(EXTRA_DEBS); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -qq --no-install-recommends $$missing; \
		else \
			echo "missing Debian packages; run:"; \
			echo "  sudo apt-get install -y$$missing"; exit 1; \
		fi; \
	fi
	@if [ "$(STATIC)" = 1 ] && [ ! -f $(CJSON_SRC)/.done ]; then \
		tools/debian-source.sh libcjson-dev $(CJSON_SRC) || \
			echo "make deps: no cJSON source: the commands will be linked dynamically"; \
	fi

deps-lint:
	@$(MAKE) --no-print-directory deps EXTRA_DEBS="$(DEB_LINT)"

check:
	@$(MAKE) --no-print-directory deps EXTRA_DEBS="$(DEB_TEST)"
	@$(MAKE) --no-print-directory all
	tests/run

# The real CLIs, in their structured modes, against the fake provider; a CLI
# that npm could not install is reported as skipped.  Offline, install.sh
# skips them all.  GT_AGENTS="claude pi" runs only those.
check-agents:
	@$(MAKE) --no-print-directory deps EXTRA_DEBS="$(DEB_TEST)"
	@$(MAKE) --no-print-directory all
	tests/agents/install.sh
	sh tests/agents/t3000-agents.sh

demo: deps
	@$(MAKE) --no-print-directory all
	bin/gt-demo $(DEMO_DIR)

# Each benchmark runs even when one before it failed (and one that is not
# there yet is skipped); the target fails at the end, naming the failures.
# GT_BENCH_N=1000000 make bench runs the ledger suite at a million beads.
BENCH_RUN := bench/ledger bench/workers.sh bench/flow.sh bench/formula.sh \
	bench/supervision.sh bench/runtimes.sh bench/sling.sh
bench: all bench-tools
	@failed=; for b in $(BENCH_RUN); do \
		if [ ! -e $$b ]; then echo "== $$b: not there, skipped"; continue; fi; \
		echo "== $$b"; t0=$$(date +%s); \
		GT_BENCH_NOBUILD=1 $$b || failed="$$failed $$b"; \
		echo "== $$b: $$(($$(date +%s) - t0)) s"; \
	done; \
	if [ -n "$$failed" ]; then echo "make bench: failed:$$failed" >&2; exit 1; fi

# Fuzzing (tests/fuzz/README): every tests/fuzz/<name>.c but replay.c is a
# libFuzzer harness.  `make fuzz` compiles lib/ again with clang into
# build/fuzz/ (coverage, ASan, UBSan: any report is a crash), links each
# harness with libFuzzer and runs it FUZZ_SECONDS on its saved corpus
# tests/fuzz/corpus/<name>/, keeping new inputs in build/fuzz/corpus/<name>/
# and crashes as build/fuzz/crash-<name>-*; FUZZ="json toml" runs only
# those.  The normal build links each harness with tests/fuzz/replay.c
# instead (build/fuzz-replay/<name>), which t0070 runs over the saved corpus.
DEB_FUZZ = clang libclang-rt-dev
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SRC := $(filter-out tests/fuzz/replay.c,$(sort $(wildcard tests/fuzz/*.c)))
FUZZ_NAMES := $(patsubst tests/fuzz/%.c,%,$(FUZZ_SRC))
FUZZ ?= $(FUZZ_NAMES)
# clang's -Wformat=2 also warns of the printf-like wrappers' vprintf calls
FUZZ_CFLAGS = $(CFLAGS) -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer -Wno-format-nonliteral
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build/fuzz/%.o)
FUZZ_LIBS = $(subst build/nonet.o,build/fuzz/nonet.o,$(LIBS))
FUZZ_REPLAY_OBJ := $(FUZZ_SRC:%.c=build/%.o) build/tests/fuzz/replay.o
FUZZ_REPLAY := $(FUZZ_NAMES:%=build/fuzz-replay/%)

.PHONY: fuzz fuzz-build fuzz-replay
all: fuzz-replay
fuzz-replay: $(FUZZ_REPLAY_OBJ) $(FUZZ_REPLAY)
build/fuzz-replay/%: build/tests/fuzz/%.o build/tests/fuzz/replay.o lib/libgt.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $(GIT2_LDFLAGS) -o $@ $< build/tests/fuzz/replay.o lib/libgt.a $(LIBS)

build/fuzz/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(PKG_CFLAGS) $(GIT2_DEFS) -c -o $@ $<
build/fuzz/nonet.o: lib/base/nonet.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<
build/fuzz/libgt.a: $(FUZZ_LIB_OBJ) $(if $(filter 1,$(NONET)),build/fuzz/nonet.o)
	@rm -f $@
	$(AR) rcs $@ $(FUZZ_LIB_OBJ)
# the harness objects are named so that make keeps them
fuzz-build: $(FUZZ:%=build/fuzz/tests/fuzz/%.o) $(FUZZ:%=build/fuzz/bin/%)
build/fuzz/bin/%: build/fuzz/tests/fuzz/%.o build/fuzz/libgt.a
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(GIT2_LDFLAGS) -o $@ $< build/fuzz/libgt.a $(FUZZ_LIBS)

fuzz:
	@$(MAKE) --no-print-directory deps EXTRA_DEBS="$(DEB_FUZZ)"
	@$(MAKE) --no-print-directory fuzz-build
	@failed=; for h in $(FUZZ); do \
		mkdir -p build/fuzz/corpus/$$h; \
		dict=; [ -f tests/fuzz/$$h.dict ] && dict=-dict=tests/fuzz/$$h.dict; \
		echo "fuzz: $$h for $(FUZZ_SECONDS)s (log: build/fuzz/$$h.log)"; \
		if build/fuzz/bin/$$h -max_total_time=$(FUZZ_SECONDS) -timeout=20 \
			-rss_limit_mb=2048 -artifact_prefix=build/fuzz/crash-$$h- $$dict \
			build/fuzz/corpus/$$h tests/fuzz/corpus/$$h >build/fuzz/$$h.log 2>&1; then \
			grep '^Done' build/fuzz/$$h.log; \
		else \
			tail -n 60 build/fuzz/$$h.log; failed="$$failed $$h"; \
		fi; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: failed:$$failed"; exit 1; fi

-include $(FUZZ_REPLAY_OBJ:.o=.d) $(patsubst %.o,%.d,$(wildcard build/fuzz/*/*/*.o))

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(DATADIR)/gt/formulas \
		$(DESTDIR)$(DATADIR)/gt/runtimes $(DESTDIR)$(DATADIR)/gt/web \
		$(DESTDIR)$(DATADIR)/bash-completion/completions \
		$(DESTDIR)$(DATADIR)/zsh/site-functions \
		$(DESTDIR)$(DATADIR)/fish/vendor_completions.d
	install -m 755 $(CMD_BIN) $(DESTDIR)$(BINDIR)/
	for m in $(MAN_OUT); do s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	install -m 644 completions/gt.bash $(DESTDIR)$(DATADIR)/bash-completion/completions/gt
	install -m 644 completions/_gt $(DESTDIR)$(DATADIR)/zsh/site-functions/_gt
	install -m 644 completions/gt.fish $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/gt.fish
	# bash-completion and fish load a file named after the command typed
	for c in $(filter-out gt,$(notdir $(CMD_BIN))); do \
		ln -sf gt $(DESTDIR)$(DATADIR)/bash-completion/completions/$$c; \
		ln -sf gt.fish $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/$$c.fish; done
	for f in formulas/*.toml; do [ -e "$$f" ] && install -m 644 $$f $(DESTDIR)$(DATADIR)/gt/formulas/; done; true
	install -m 644 runtimes/*.toml $(DESTDIR)$(DATADIR)/gt/runtimes/
	install -m 644 web/* $(DESTDIR)$(DATADIR)/gt/web/

# varFuncNullUB: gt_git() and gt_tmux() end their arguments with NULL, which
# glibc defines as a pointer (the functions carry the sentinel attribute)
lint: deps-lint
	clang-format --dry-run -Werror lib/*.h lib/*/*.c lib/*/*.h cmd/*.c cmd/*.h tests/unit/*.c tests/unit/*.h \
		tests/fuzz/*.c tests/fuzz/*.h
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--suppress=missingIncludeSystem --suppress=varFuncNullUB --inline-suppr -Ilib --library=.cppcheck.cfg \
		lib cmd tests/unit tests/fuzz
	shellcheck -x tools/*.sh tests/run tests/layers tests/*.sh tests/lib/*.sh tests/agents/*.sh cmd/*.sh bench/ledger bench/*.sh bench/naive/*.sh .ci/run hooks/*.sh
	tests/layers lib

clean:
	rm -rf build bin lib/libgt.a

-include $(LIB_OBJ:.o=.d) $(CMD_SRC:cmd/%.c=build/cmd/%.d) $(CLI_OBJ:.o=.d) $(TEST_BIN:=.d)
