# OpenSSL release matrix: the suites run again inside Debian systems that ship
# other OpenSSL releases than the host's, each kept in $(OSSL_DIR), twice:
#   native     the shim built there, against that release's headers;
#   hostbuilt  the shim built here, against this machine's OpenSSL headers,
#              loaded there unchanged (what a distribution upgrade does to an
#              installed shim).  The inner make is given SHIM_PREBUILT.
#
#   OPENSSL=1.1  Debian 11 (bullseye, 1.1.1w, Python 3.9): unit, linkage,
#                parity (two scenarios need OSSL_LIB_CTX: skipped by name),
#                the Python suite and the per-host accounting (with curl).  Only the native build: a .so linked
#                on Debian 12 needs GLIBC_2.34.
#   OPENSSL=3.5  Debian 13 (trixie)
#   OPENSSL=3.6  Debian sid
#   OPENSSL=4.0  Debian sid with experimental's OpenSSL 4.0 (OSSL_EXTRA_4.0).
#                Debian's python3 still links 3.6 there, so instead of the
#                Python suite a real client runs: the openssl CLI against a
#                local s_server, and a C program making one context per
#                handshake (check-cli, tests/integration/cli).
# Debian's 3.6 and 4.0 are linked -Bsymbolic: what `make check-symbolic`
# imitates on the host is simply how those systems are.
#
#   make check-openssl OPENSSL=V  prove the system is V, then both runs above
#   make check-openssl-all        every version in OSSL_VERSIONS, in turn
#   make bench-openssl OPENSSL=V  `make bench-core` inside, native build and host-
#                                 built .so (OSSL_BENCH=bench for every
#                                 row, where its servers exist)
#   make openssl-system OPENSSL=V only build (or reuse) the system
#   make clean-openssl OPENSSL=V  remove it (`make clean` keeps it: a cache)
#
# Each system is built once with debootstrap from the host's own Debian
# mirror, kept pristine in /var/cache/trustcache/systems (tools/debian-env),
# copied to $(OSSL_DIR), and reused while its stamp matches the suite and
# package list.  Inner builds live in the source tree, mounted at /src, so
# BUILD must be a path inside the tree.

OPENSSL       ?= 3.5
OSSL_VERSIONS := 1.1 3.5 3.6 4.0

# What every system needs for the core suites.  Other fragments may append.
OSSL_PKGS += python3 openssl ca-certificates gcc make libssl-dev uthash-dev check \
             python3-requests pkg-config libc6-dev

# Per version: the suite, extra packages from another suite, whether the
# system's python3 links that OpenSSL, and the suites run inside.
OSSL_SUITE_1.1  := bullseye
OSSL_SUITE_3.5  := trixie
OSSL_SUITE_3.6  := sid
OSSL_SUITE_4.0  := sid
OSSL_EXTRA_4.0  := experimental openssl,libssl-dev,libssl4
OSSL_PYTHON_1.1 := yes
OSSL_PYTHON_3.5 := yes
OSSL_PYTHON_3.6 := yes
OSSL_PYTHON_4.0 := no
OSSL_SUITES_1.1 := check-unit check-linkage check-parity check-python check-hosts
OSSL_PKGS_1.1   := curl
OSSL_SUITES_3.5 := check-core
OSSL_SUITES_3.6 := check-core
OSSL_SUITES_4.0 := check-unit check-parity check-cli

OSSL_DIR_1.1 := $(BUILD)/openssl-1.1
# glibc 2.31 there: a .so linked on Debian 12 (GLIBC_2.34 symbols) cannot load.
OSSL_HOSTBUILT_1.1 := no
OSSL_DIR_3.5 := $(BUILD)/debian13
OSSL_DIR_3.6 := $(BUILD)/openssl-3.6
OSSL_DIR_4.0 := $(BUILD)/openssl-4.0

OSSL_SUITE  = $(OSSL_SUITE_$(OPENSSL))
OSSL_DIR    = $(OSSL_DIR_$(OPENSSL))
OSSL_EXTRA  = $(OSSL_EXTRA_$(OPENSSL))
OSSL_SUITES = $(OSSL_SUITES_$(OPENSSL))
OSSL_ENV    = tools/debian-env --suite $(OSSL_SUITE) $(if $(OSSL_EXTRA),--extra $(OSSL_EXTRA))
OSSL_CHECK_ARGS = $(OPENSSL) $(if $(filter no,$(OSSL_PYTHON_$(OPENSSL))),--no-python)

# Where the host-built shim is placed inside the system.
OSSL_PREBUILT        := /opt/trustcache-hostbuilt/libtrustcache.so
OSSL_NATIVE_BUILD     = $(BUILD)/openssl-$(OPENSSL)-native
OSSL_HOSTBUILT_BUILD  = $(BUILD)/openssl-$(OPENSSL)-hostbuilt
# The inner make is told every package it needs is already there: the
# package set is fixed when the system is built, and host package names
# (clang-14, ...) do not all exist in newer Debian releases.
OSSL_ALL_PKGS = $(strip $(OSSL_PKGS) $(OSSL_PKGS_$(OPENSSL)))
OSSL_MAKE = make --no-print-directory DEPS_BUILD='$(OSSL_ALL_PKGS)' \
            DEPS_CHECK='$(OSSL_ALL_PKGS)' DEPS_DEMO='$(OSSL_ALL_PKGS)' \
            DEPS_HOSTS='$(OSSL_ALL_PKGS)' HOSTS_PROMTOOL=no

.PHONY: openssl-system clean-openssl check-openssl check-openssl-all bench-openssl \
        deps-openssl openssl-known openssl-build-inside-tree

deps-openssl: | $(BUILD)
	$(call need_pkgs,debootstrap)

openssl-known:
	@case " $(OSSL_VERSIONS) " in *" $(OPENSSL) "*) ;; *) \
	  echo "openssl: OPENSSL=$(OPENSSL) is not one of: $(OSSL_VERSIONS)" >&2; exit 1;; esac

# The inner build dirs must be reachable under /src.
openssl-build-inside-tree:
	@case "$(BUILD)" in /* | .. | ../* | */../* | */..) \
	  echo "openssl: BUILD=$(BUILD) must be a relative path inside the source tree" >&2; exit 1;; esac

openssl-system: openssl-known deps-openssl
	@start=$$(date +%s); $(OSSL_ENV) --create $(OSSL_DIR) $(OSSL_ALL_PKGS) && \
	  echo "openssl $(OPENSSL): system $(OSSL_DIR) ready in $$(($$(date +%s) - start)) s"

clean-openssl: openssl-known
	@tools/debian-env --remove $(OSSL_DIR)

# Every step's output is shown and also kept in OSSL_LOG, so the last line
# can total the "N passed, M failed" lines of all the steps.
OSSL_LOG = $(BUILD)/openssl-$(OPENSSL).log
ossl_step = { $(1) 2>&1; echo $$? >$(OSSL_LOG).rc; } | tee -a $(OSSL_LOG); \
	    test "$$(cat $(OSSL_LOG).rc)" = 0

check-openssl: openssl-known openssl-build-inside-tree openssl-system $(BUILD)/libtrustcache.so
	@rm -f $(OSSL_LOG) $(OSSL_HOSTBUILT_BUILD)/libtrustcache.so
	@$(call ossl_step,$(OSSL_ENV) --check $(OSSL_DIR) $(OSSL_CHECK_ARGS))
	@echo "==== OpenSSL $(OPENSSL): shim built against OpenSSL $(OPENSSL) ($(OSSL_NATIVE_BUILD))"
	@$(call ossl_step,$(OSSL_ENV) $(OSSL_DIR) -- $(OSSL_MAKE) BUILD=$(OSSL_NATIVE_BUILD) \
	  $(OSSL_SUITES))
ifeq ($(OSSL_HOSTBUILT_$(OPENSSL)),no)
	@echo "SKIP OpenSSL $(OPENSSL): the shim built on the host needs a newer glibc than this system's"
else
	@echo "==== OpenSSL $(OPENSSL): shim built on the host ($(BUILD)/libtrustcache.so, $(OSSL_HOSTBUILT_BUILD))"
	@install -D -m 0644 $(BUILD)/libtrustcache.so $(OSSL_DIR)$(OSSL_PREBUILT)
	@$(call ossl_step,$(OSSL_ENV) $(OSSL_DIR) -- $(OSSL_MAKE) BUILD=$(OSSL_HOSTBUILT_BUILD) \
	  SHIM_PREBUILT=$(OSSL_PREBUILT) $(OSSL_SUITES))
# The second run must have used the host's shim, not rebuilt one there.
	@if cmp -s $(BUILD)/libtrustcache.so $(OSSL_HOSTBUILT_BUILD)/libtrustcache.so; then \
	  printf '%s\n' "PASS hostbuilt run used the host's shim" "1 passed, 0 failed"; \
	else \
	  printf '%s\n' "FAIL hostbuilt run did not use the host's shim (SHIM_PREBUILT ignored?)" \
	    "0 passed, 1 failed"; fi | tee -a $(OSSL_LOG)
endif
	@awk '/^[0-9]+ passed, [0-9]+ failed/ { p += $$1; f += $$3 } \
	  END { printf "openssl $(OPENSSL): %d passed, %d failed\n", p, f; exit f > 0 }' $(OSSL_LOG)

check-openssl-all:
	@set -e; for v in $(OSSL_VERSIONS); do \
	  s=$$(date +%s); echo "==== check-openssl OPENSSL=$$v"; \
	  $(MAKE) --no-print-directory check-openssl OPENSSL=$$v; \
	  echo "openssl $$v: $$(($$(date +%s) - s)) s"; done

# `make bench-core` inside (OSSL_BENCH=bench for every row), on the
# shim built there and then on the host-built one.
OSSL_BENCH ?= bench-core
# BENCH_ARGS reaches the inner make (which starts with a clean environment).
OSSL_BENCH_ARGS = $(strip $(if $(filter no,$(OSSL_PYTHON_$(OPENSSL))),--no-python) $(BENCH_ARGS))
bench-openssl: openssl-known openssl-build-inside-tree openssl-system $(BUILD)/libtrustcache.so
	@echo "==== OpenSSL $(OPENSSL) bench: shim built against OpenSSL $(OPENSSL)"
	@$(OSSL_ENV) $(OSSL_DIR) -- $(OSSL_MAKE) BUILD=$(OSSL_NATIVE_BUILD) \
	  BENCH_ARGS='$(OSSL_BENCH_ARGS)' $(OSSL_BENCH)
ifneq ($(OSSL_HOSTBUILT_$(OPENSSL)),no)
	@echo "==== OpenSSL $(OPENSSL) bench: shim built on the host"
	@install -D -m 0644 $(BUILD)/libtrustcache.so $(OSSL_DIR)$(OSSL_PREBUILT)
	@$(OSSL_ENV) $(OSSL_DIR) -- $(OSSL_MAKE) BUILD=$(OSSL_HOSTBUILT_BUILD) \
	  SHIM_PREBUILT=$(OSSL_PREBUILT) \
	  BENCH_ARGS='$(OSSL_BENCH_ARGS)' $(OSSL_BENCH)
endif
