# Unit tests of the shim's pure parts, and the linkage check of the library.
#
#   make check-unit        tests/unit (check framework): config, fingerprint,
#                          bundle cache, stats rendering and writing, linked
#                          straight from shim/ sources with the shim's flags
#   make check-unit-asan   the same tests built with ASan+UBSan
#   make check-linkage     tests/linkage/check.sh on $(BUILD)/libtrustcache.so:
#                          no DT_NEEDED on OpenSSL, only the hooks exported,
#                          harmless in processes that never load OpenSSL
#
# CK_RUN_SUITE=name / CK_RUN_CASE=name (check's variables) narrow a run.

UNIT_OUT     := $(BUILD)/tests/unit
UNIT_SHIM    := shim/base/config.c shim/cache/fingerprint.c shim/cache/bundle_cache.c shim/base/stats.c shim/base/tc_hash.c \
                shim/report/stats_render.c shim/report/stats_dump.c
UNIT_SRCS    := $(sort $(filter-out %/test_hosts.c,$(wildcard tests/unit/*.c tests/unit/*/*.c)))
UNIT_DEPS    := $(UNIT_SRCS) $(UNIT_SHIM) $(wildcard tests/unit/*.h) $(SHIM_HDRS)
UNIT_PYTHON  ?= python3
UNIT_ASAN    := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
                -fno-sanitize-recover=undefined
# pkg-config runs when the recipe does, after deps-check has installed it.
# libcrypto is for the test binary's reference SHA-256 only.
unit_build = $(CC) $(BASEFLAGS) $(1) -Ishim -Itests/unit $$(pkg-config --cflags check) -o $(2) \
             $(UNIT_SRCS) $(UNIT_SHIM) $$(pkg-config --libs check) -lcrypto

CHECK_TARGETS += check-unit check-unit-asan check-linkage
CORE_TARGETS  += check-unit

.PHONY: check-unit check-unit-asan check-linkage deps-linkage

$(UNIT_OUT)/unit-tests: $(UNIT_DEPS) | deps-check
	@mkdir -p $(dir $@)
	$(call unit_build,$(OPTFLAGS),$@)

$(UNIT_OUT)/asan/unit-tests: $(UNIT_DEPS) | deps-check
	@mkdir -p $(dir $@)
	$(call unit_build,$(UNIT_ASAN),$@)

check-unit: $(UNIT_OUT)/unit-tests
	@TC_UNIT_PYTHON=$(UNIT_PYTHON) $(UNIT_OUT)/unit-tests

check-unit-asan: $(UNIT_OUT)/asan/unit-tests
	@TC_UNIT_PYTHON=$(UNIT_PYTHON) ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 $(UNIT_OUT)/asan/unit-tests

deps-linkage: | $(BUILD)
	$(call need_pkgs,binutils shellcheck)

check-linkage: deps-check deps-linkage $(BUILD)/libtrustcache.so
	@shellcheck tests/linkage/check.sh
	@bash tests/linkage/check.sh $(BUILD)/libtrustcache.so shim/ossl/ossl_api.def
