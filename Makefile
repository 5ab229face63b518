# trustcache — build, test, benchmark, demo, install.
#
#   make            build/libtrustcache.so
#   make check      every test suite (unit, linkage, parity, sanitizers, Python)
#   make demo       requests loop against a local HTTPS server, without and with the shim
#   make bench      side-by-side timings and memory, without and with the shim
#   make install    PREFIX=/usr/local DESTDIR=
#
# Missing Debian packages are installed with apt-get when run as root;
# otherwise the exact apt-get command is printed and the target stops.

CC        ?= cc
BUILD     ?= build
PREFIX    ?= /usr/local
# The library's folder under PREFIX (a relative path): trustcache-run is
# installed knowing it.  The Debian package uses lib/<multiarch>/trustcache.
LIBSUBDIR ?= lib/trustcache
LIBDIR    := $(PREFIX)/$(LIBSUBDIR)
BINDIR    := $(PREFIX)/bin

# The version: TC_VERSION in shim/report/stats_dump.h is the only place it is
# written; the installed man pages and the Debian package take it from there.
VERSION   := $(shell sed -n 's/^.define TC_VERSION "\(.*\)"$$/\1/p' shim/report/stats_dump.h)

WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
BASEFLAGS := -std=gnu11 -D_GNU_SOURCE -Ishim -fPIC -fvisibility=hidden -pthread $(WARN)
OPTFLAGS  ?= -O2 -g
SHIM_LDLIBS := -ldl -lpthread

# One folder per layer (docs/DESIGN.md); sources include headers as "layer/file.h".
SHIM_SRCS := $(sort $(wildcard shim/*/*.c))
SHIM_HDRS := $(wildcard shim/*.h shim/*/*.h shim/*/*.def)

# Debian packages each group of targets needs (installed by the deps-* targets).
DEPS_BUILD := gcc make libssl-dev uthash-dev pkg-config
DEPS_CHECK := $(DEPS_BUILD) check openssl ca-certificates python3 python3-requests \
              valgrind patchelf libclang-rt-14-dev clang
DEPS_DEMO  := $(DEPS_BUILD) openssl ca-certificates python3 python3-requests

.PHONY: all check check-core bench demo install uninstall clean deps-build deps-check deps-demo
all: $(BUILD)/libtrustcache.so

# ---------------------------------------------------------------- packages
define need_pkgs
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "trustcache: installing Debian packages:$$missing"; \
	    (apt-get install -y -q $$missing || (apt-get update -q && apt-get install -y -q $$missing)) >$(BUILD)/apt.log 2>&1 \
	      || { cat $(BUILD)/apt.log; exit 1; }; \
	  else \
	    echo "trustcache: missing Debian packages. Run as root:"; \
	    echo "  apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
endef

$(BUILD):
	@mkdir -p $@

deps-build: | $(BUILD)
	$(call need_pkgs,$(DEPS_BUILD))
deps-check: | $(BUILD)
	$(call need_pkgs,$(DEPS_CHECK))
deps-demo: | $(BUILD)
	$(call need_pkgs,$(DEPS_DEMO))

# ---------------------------------------------------------------- the shim
# The export list is generated from the hook table, so the exported symbols
# can never drift from the hooks that exist.
$(BUILD)/exports.map: shim/ossl/ossl_api.def | $(BUILD)
	@{ echo "{ global:"; sed -n 's/^TC_HOOK(\([A-Za-z0-9_]*\)).*/  \1;/p' $<; echo "local: *; };"; } > $@

# $(1)=output .so  $(2)=extra flags
define build_shim
	$(CC) $(BASEFLAGS) $(OPTFLAGS) $(2) -shared -o $(1) $(SHIM_SRCS) \
	  -Wl,--version-script=$(BUILD)/exports.map -Wl,--no-undefined -Wl,-z,nodelete $(SHIM_LDLIBS)
endef

# SHIM_PREBUILT=/path/to/libtrustcache.so: take that shim as it is instead of
# building one (a shim built on another system, run here unchanged).
ifeq ($(SHIM_PREBUILT),)
$(BUILD)/libtrustcache.so: $(SHIM_SRCS) $(SHIM_HDRS) $(BUILD)/exports.map | deps-build
	$(call build_shim,$@,)
else
$(BUILD)/libtrustcache.so: $(SHIM_PREBUILT) | $(BUILD)
	cp $(SHIM_PREBUILT) $@
endif

# ASan+UBSan build: preload libasan first (see tests).  The same flags build
# the ASan fault-injection shim (mk/fault.mk).
SHIM_ASAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
                   -fno-sanitize-recover=undefined
$(BUILD)/asan/libtrustcache.so: $(SHIM_SRCS) $(SHIM_HDRS) $(BUILD)/exports.map | deps-build
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(SHIM_ASAN_FLAGS) \
	  -shared -o $@ $(SHIM_SRCS) -Wl,--version-script=$(BUILD)/exports.map $(SHIM_LDLIBS)

# TSan build.
$(BUILD)/tsan/libtrustcache.so: $(SHIM_SRCS) $(SHIM_HDRS) $(BUILD)/exports.map | deps-build
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) -O1 -g -fsanitize=thread -shared -o $@ $(SHIM_SRCS) \
	  -Wl,--version-script=$(BUILD)/exports.map $(SHIM_LDLIBS)

# ---------------------------------------------------------------- suites
# Each suite lives in its own fragment under mk/ and appends its target to
# CHECK_TARGETS (run by `make check`) or BENCH_TARGETS (run by `make bench`).
# Suites that only need the shim, OpenSSL and Python (no other servers) also
# go in CORE_TARGETS: `make check-core` runs them, inside other systems too.
CHECK_TARGETS :=
CORE_TARGETS  :=
BENCH_TARGETS :=
include $(sort $(wildcard mk/*.mk))

check: deps-check $(BUILD)/libtrustcache.so
	@set -e; for t in $(CHECK_TARGETS); do \
	  echo "==== $$t"; $(MAKE) --no-print-directory $$t; done
	@echo "==== make check: all suites passed"

check-core: deps-check $(BUILD)/libtrustcache.so
	@set -e; for t in $(CORE_TARGETS); do \
	  echo "==== $$t"; $(MAKE) --no-print-directory $$t; done

bench: deps-demo $(BUILD)/libtrustcache.so
	@set -e; for t in $(BENCH_TARGETS); do $(MAKE) --no-print-directory $$t; done

# install and uninstall: mk/install.mk

clean:
	rm -rf $(BUILD)/libtrustcache.so $(BUILD)/exports.map $(BUILD)/asan $(BUILD)/tsan $(BUILD)/obj $(BUILD)/tests
