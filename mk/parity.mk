# Parity suite: scenarios covering every CA-loading route, bundle kind,
# rotation on disk, context isolation, shared templates and copy-on-write,
# threads and fork run without and with the shim; any difference in what a
# caller can observe (return values, error queue, store contents, verify
# results of real handshakes) fails, and so does a with-shim run whose stats
# show fewer avoided loads or shared contexts than the scenario needs.
#
#   make check-parity         the shim as built (and once more with TRUSTCACHE_SHARE=0)
#   make check-parity-asan    the ASan+UBSan shim, with an ASan harness
#   make check-parity-tsan    the TSan shim, with a TSan harness, 16 threads
#   PARITY_ARGS="NAME ..."    only these scenarios
#   PARITY_THREADS=N          threads in the thread scenarios (default 8)
#   PARITY_TSAN_THREADS=N     the same for check-parity-tsan (default 16)
#   PARITY_SHARE=0            every with-shim run with TRUSTCACHE_SHARE=0
#   PARITY_KEEP=1             keep fixtures, transcripts and stats
#
#   make loop-sanitizers      (not in make check: long) the thread scenarios
#                             and the shared-template thread scenarios under
#                             the ASan and the TSan builds, LOOP_RUNS times
#                             each with LOOP_HOGS busy processes beside them;
#                             counts passed and failed runs (tests/parity/loop.sh)
#   LOOP_RUNS=N               runs per sanitizer and scenario set (default 100)
#   LOOP_HOGS=N               busy processes (default 2)
#   LOOP_SANITIZERS="asan tsan"  LOOP_SETS="threads share-threads"

PARITY_SRCS    := $(sort $(wildcard tests/parity/*.c))
PARITY_HDRS    := $(wildcard tests/parity/*.h)
PARITY_CFLAGS  := -std=gnu11 -D_GNU_SOURCE -pthread $(WARN) -O1 -g
PARITY_SANITIZE := -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
PARITY_THREADS ?= 8
PARITY_TSAN_THREADS ?= 16
PARITY_SHARE   ?= 1
PARITY_ARGS    ?=
# The ASan runtime has to come first among preloaded libraries.
PARITY_ASAN_RT ?= $(shell $(CC) -print-file-name=libasan.so)
# OpenSSL keeps allocations until exit, so leak checking stays off; any other
# ASan or UBSan finding stops the run.
PARITY_ASAN_ENV := ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 \
                   UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# The TSan runtime comes with the harness; OpenSSL itself is not
# instrumented, its locks are seen through the pthread interceptors but its
# atomics are not: tests/parity/tsan.supp says which one report that causes
# is suppressed, and why. Any other report ends the process, which fails the
# scenario.
PARITY_TSAN_ENV := TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 report_signal_unsafe=0 suppressions=$(abspath tests/parity/tsan.supp)"
PARITY_RUN = tests/parity/run.sh --share $(PARITY_SHARE)
LOOP_RUNS       ?= 100
LOOP_HOGS       ?= 2
LOOP_SANITIZERS ?= asan tsan
LOOP_SETS       ?= threads share-threads

CHECK_TARGETS += check-parity check-parity-asan check-parity-tsan
CORE_TARGETS  += check-parity

$(BUILD)/tests/parity-harness: $(PARITY_SRCS) $(PARITY_HDRS) | deps-build
	@mkdir -p $(dir $@)
	$(CC) $(PARITY_CFLAGS) -o $@ $(PARITY_SRCS) -lssl -lcrypto

$(BUILD)/tests/parity-harness-asan: $(PARITY_SRCS) $(PARITY_HDRS) | deps-build
	@mkdir -p $(dir $@)
	$(CC) $(PARITY_CFLAGS) $(PARITY_SANITIZE) -o $@ $(PARITY_SRCS) -lssl -lcrypto

$(BUILD)/tests/parity-harness-tsan: $(PARITY_SRCS) $(PARITY_HDRS) | deps-build
	@mkdir -p $(dir $@)
	$(CC) $(PARITY_CFLAGS) -fsanitize=thread -o $@ $(PARITY_SRCS) -lssl -lcrypto

.PHONY: check-parity check-parity-asan check-parity-tsan loop-sanitizers
check-parity: deps-check $(BUILD)/libtrustcache.so $(BUILD)/tests/parity-harness
	@$(PARITY_RUN) --harness $(BUILD)/tests/parity-harness --shim $(BUILD)/libtrustcache.so \
	  --threads $(PARITY_THREADS) $(PARITY_ARGS)

check-parity-asan: deps-check $(BUILD)/asan/libtrustcache.so $(BUILD)/tests/parity-harness-asan
	@$(PARITY_ASAN_ENV) $(PARITY_RUN) --harness $(BUILD)/tests/parity-harness-asan \
	  --shim $(BUILD)/asan/libtrustcache.so --preload-first $(PARITY_ASAN_RT) \
	  --threads $(PARITY_THREADS) --no-determinism $(PARITY_ARGS)

# Transcripts are compared as in check-parity; the plain run already shows
# they are deterministic, so that slow extra run is skipped here.
check-parity-tsan: deps-check $(BUILD)/tsan/libtrustcache.so $(BUILD)/tests/parity-harness-tsan
	@$(PARITY_TSAN_ENV) $(PARITY_RUN) --harness $(BUILD)/tests/parity-harness-tsan \
	  --shim $(BUILD)/tsan/libtrustcache.so --threads $(PARITY_TSAN_THREADS) --no-determinism \
	  $(PARITY_ARGS)

# The sanitizer options of check-parity-asan and check-parity-tsan; failing
# runs are kept in $(BUILD)/loop-sanitizers.
loop-sanitizers: deps-check $(BUILD)/asan/libtrustcache.so $(BUILD)/tsan/libtrustcache.so \
                 $(BUILD)/tests/parity-harness-asan $(BUILD)/tests/parity-harness-tsan
	@$(PARITY_ASAN_ENV) $(PARITY_TSAN_ENV) tests/parity/loop.sh --build $(BUILD) --runs $(LOOP_RUNS) \
	  --hogs $(LOOP_HOGS) --sanitizers "$(LOOP_SANITIZERS)" --sets "$(LOOP_SETS)" \
	  --threads $(PARITY_THREADS) --tsan-threads $(PARITY_TSAN_THREADS) --asan-rt $(PARITY_ASAN_RT)
