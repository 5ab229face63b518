# OpenSSL 3.5 proving ground: the core suites (CORE_TARGETS) run again inside
# a Debian 13 (trixie) system kept in $(D13_DIR), twice:
#   native     the shim built there, against OpenSSL 3.5 headers;
#   hostbuilt  the shim built here, against this machine's OpenSSL headers,
#              loaded there unchanged (what a distribution upgrade does to an
#              installed shim).  The inner make is given SHIM_PREBUILT.
#
#   make check-openssl35     both runs above, after proving the system is 3.5
#   make bench-openssl35     `make bench` inside, on the native build
#                            (D13_BENCH=bench-core for the context rows only)
#   make debian13            only build (or reuse) the system
#   make clean-debian13      remove it (`make clean` keeps it: it is a cache)
#
# The system is built once with debootstrap from the host's own Debian
# mirror, kept pristine in /var/cache/trustcache/systems (tools/debian-env),
# copied to $(D13_DIR), and reused while its stamp matches D13_PKGS.  Packages a core
# suite needs there go in D13_PKGS (other fragments may append to it).
# Inner builds live in the source tree, which is mounted at /src, so BUILD
# must be a path inside the tree.

D13_DIR   ?= $(BUILD)/debian13
D13_ENV   := tools/debian13-env
D13_PKGS  += python3 openssl ca-certificates gcc make libssl-dev uthash-dev check \
             python3-requests pkg-config libc6-dev
# Where the host-built shim is placed inside the system.
D13_PREBUILT      := /opt/trustcache-hostbuilt/libtrustcache.so
D13_NATIVE_BUILD   = $(BUILD)/d13-native
D13_HOSTBUILT_BUILD = $(BUILD)/d13-hostbuilt
# The inner make is told every package it needs is already there: the
# package set is fixed when the system is built (D13_PKGS), and host package
# names (clang-14, ...) do not all exist in Debian 13.
D13_MAKE = make --no-print-directory DEPS_BUILD='$(strip $(D13_PKGS))' \
           DEPS_CHECK='$(strip $(D13_PKGS))' DEPS_DEMO='$(strip $(D13_PKGS))'

.PHONY: debian13 clean-debian13 check-debian13 check-openssl35 bench-openssl35 \
        deps-openssl35 d13-build-inside-tree

deps-openssl35: | $(BUILD)
	$(call need_pkgs,debootstrap)

# The inner build dirs must be reachable under /src.
d13-build-inside-tree:
	@case "$(BUILD)" in /* | .. | ../* | */../* | */..) \
	  echo "openssl35: BUILD=$(BUILD) must be a relative path inside the source tree" >&2; exit 1;; esac

debian13: deps-openssl35
	@$(D13_ENV) --create $(D13_DIR) $(D13_PKGS)

clean-debian13:
	@$(D13_ENV) --remove $(D13_DIR)

# OpenSSL CLI, Python's ssl and a C program against libssl all say 3.5.
check-debian13: debian13
	@$(D13_ENV) --check $(D13_DIR)

# Every step's output is shown and also kept in D13_LOG, so the last line can
# total the "N passed, M failed" lines of all the steps.
D13_LOG = $(BUILD)/openssl35.log
d13_step = { $(1) 2>&1; echo $$? >$(D13_LOG).rc; } | tee -a $(D13_LOG); \
	   test "$$(cat $(D13_LOG).rc)" = 0

check-openssl35: d13-build-inside-tree debian13 $(BUILD)/libtrustcache.so
	@rm -f $(D13_LOG) $(D13_HOSTBUILT_BUILD)/libtrustcache.so
	@$(call d13_step,$(D13_ENV) --check $(D13_DIR))
	@echo "==== OpenSSL 3.5: shim built against OpenSSL 3.5 ($(D13_NATIVE_BUILD))"
	@$(call d13_step,$(D13_ENV) $(D13_DIR) -- $(D13_MAKE) BUILD=$(D13_NATIVE_BUILD) check-core)
	@echo "==== OpenSSL 3.5: shim built on the host ($(BUILD)/libtrustcache.so, $(D13_HOSTBUILT_BUILD))"
	@install -D -m 0644 $(BUILD)/libtrustcache.so $(D13_DIR)$(D13_PREBUILT)
	@$(call d13_step,$(D13_ENV) $(D13_DIR) -- $(D13_MAKE) BUILD=$(D13_HOSTBUILT_BUILD) \
	  SHIM_PREBUILT=$(D13_PREBUILT) check-core)
# The second run must have used the host's shim, not rebuilt one there.
	@if cmp -s $(BUILD)/libtrustcache.so $(D13_HOSTBUILT_BUILD)/libtrustcache.so; then \
	  printf '%s\n' "PASS hostbuilt run used the host's shim" "1 passed, 0 failed"; \
	else \
	  printf '%s\n' "FAIL hostbuilt run did not use the host's shim (SHIM_PREBUILT ignored?)" \
	    "0 passed, 1 failed"; fi | tee -a $(D13_LOG)
	@awk '/^[0-9]+ passed, [0-9]+ failed/ { p += $$1; f += $$3 } \
	  END { printf "openssl35: %d passed, %d failed\n", p, f; exit f > 0 }' $(D13_LOG)

D13_BENCH ?= bench
bench-openssl35: d13-build-inside-tree debian13
	@$(D13_ENV) $(D13_DIR) -- $(D13_MAKE) BUILD=$(D13_NATIVE_BUILD) $(D13_BENCH)
