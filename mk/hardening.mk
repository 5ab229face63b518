# Hardening suite: the shim in hostile surroundings.
#
#   make check-hardening   (in make check) two OpenSSL copies in one process
#                          (with the shim as built and its ASan build),
#                          fork under load, setuid clients, jemalloc/tcmalloc,
#                          bystanders and early constructors, a short TSan
#                          stress, memcheck; about three to four minutes
#   make stress            the TSan thread stress alone, for STRESS_SECONDS (30)
#   make bench-startup     (in make bench) /bin/true and sh -c : without and
#                          with the shim, medians side by side
#
#   HARDENING_PARTS="copies fork ..."   only these parts (see tests/hardening/run.sh)
#   HARDENING_STRESS_SECONDS=N          the stress part of check-hardening (8)
#   HARDENING_FORKS=N                   forks in the fork part (1000)
#   HARDENING_KEEP=1                    keep each part's temp directory
#   ALLOC_RUNS=N                        runs per allocator of the concurrent
#                                       first loads in the alloc part (100)
#   STARTUP_RUNS=N                      runs per command in bench-startup (2000)

HARDENING_OUT      := $(BUILD)/tests/hardening
HARDENING_KIT      := tests/hardening/lib/tk.c
HARDENING_KIT_DEPS := $(HARDENING_KIT) tests/hardening/lib/tk.h
HARDENING_CFLAGS   := -std=gnu11 -D_GNU_SOURCE -pthread $(WARN) -O1 -g -Itests/hardening/lib
HARDENING_PARTS    ?= copies copies-asan fork secure alloc startup stress valgrind
HARDENING_STRESS_SECONDS ?= 8
HARDENING_FORKS    ?= 1000
ALLOC_RUNS         ?= 100
STRESS_SECONDS     ?= 30
STARTUP_RUNS       ?= 2000
HARDENING_PKGS     := patchelf binutils libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0 valgrind util-linux \
                      python3 openssl gcc

CHECK_TARGETS += check-hardening
BENCH_TARGETS += bench-startup

HARDENING_BINS := $(addprefix $(HARDENING_OUT)/,forker secure-client libearly.so early_main \
                    stress stress-tsan handout handout-tsan first-loads libown_malloc.so)

.PHONY: check-hardening stress bench-startup deps-hardening deps-bench-startup

deps-hardening: | $(BUILD)
	$(call need_pkgs,$(HARDENING_PKGS))

deps-bench-startup: | $(BUILD)
	$(call need_pkgs,hyperfine python3)

# link_hardening OUTPUT SOURCES [FLAGS]: a test program with the kit, linked to the system OpenSSL.
define link_hardening
	@mkdir -p $(dir $(1))
	$(CC) $(HARDENING_CFLAGS) $(3) -o $(1) $(2) $(HARDENING_KIT) -lssl -lcrypto -ldl
endef

$(HARDENING_OUT)/forker: tests/hardening/fork/forker.c $(HARDENING_KIT_DEPS) | deps-build
	$(call link_hardening,$@,$<)
$(HARDENING_OUT)/secure-client: tests/hardening/secure/client.c $(HARDENING_KIT_DEPS) | deps-build
	$(call link_hardening,$@,$<)
$(HARDENING_OUT)/libearly.so: tests/hardening/startup/early.c $(HARDENING_KIT_DEPS) | deps-build
	$(call link_hardening,$@,$<,-shared -fPIC -fvisibility=hidden)
$(HARDENING_OUT)/early_main: tests/hardening/startup/early_main.c $(HARDENING_KIT_DEPS) | deps-build
	$(call link_hardening,$@,$<)
$(HARDENING_OUT)/stress: tests/hardening/stress/stress.c $(HARDENING_KIT_DEPS) | deps-build
	$(call link_hardening,$@,$<)
$(HARDENING_OUT)/stress-tsan: tests/hardening/stress/stress.c $(HARDENING_KIT_DEPS) | deps-build
	$(call link_hardening,$@,$<,-fsanitize=thread)
$(HARDENING_OUT)/handout: tests/hardening/stress/handout.c $(HARDENING_KIT_DEPS) | deps-build
	$(call link_hardening,$@,$<)
$(HARDENING_OUT)/handout-tsan: tests/hardening/stress/handout.c $(HARDENING_KIT_DEPS) | deps-build
	$(call link_hardening,$@,$<,-fsanitize=thread)
$(HARDENING_OUT)/first-loads: tests/hardening/alloc/first_loads.c $(HARDENING_KIT_DEPS) | deps-build
	$(call link_hardening,$@,$<)
# The replacement allocator stands alone: no kit, no OpenSSL.
$(HARDENING_OUT)/libown_malloc.so: tests/hardening/alloc/own_malloc.c | deps-build
	@mkdir -p $(dir $@)
	$(CC) $(HARDENING_CFLAGS) -shared -fPIC -fvisibility=hidden -o $@ $<

HARDENING_NEEDS := deps-check deps-hardening $(BUILD)/libtrustcache.so $(BUILD)/asan/libtrustcache.so \
                   $(BUILD)/tsan/libtrustcache.so \
                   $(BUILD)/tests/parity-harness $(HARDENING_BINS)

check-hardening: $(HARDENING_NEEDS)
	@CC="$(CC)" tests/hardening/run.sh --build $(BUILD) --parts "$(HARDENING_PARTS)" \
	  --stress-seconds $(HARDENING_STRESS_SECONDS) --forks $(HARDENING_FORKS) \
	  --alloc-runs $(ALLOC_RUNS)

stress: $(HARDENING_NEEDS)
	@CC="$(CC)" tests/hardening/run.sh --build $(BUILD) --parts stress --stress-seconds $(STRESS_SECONDS)

bench-startup: deps-bench-startup $(BUILD)/libtrustcache.so
	@python3 tests/hardening/startup/bench_startup.py --shim $(BUILD)/libtrustcache.so --runs $(STARTUP_RUNS)
