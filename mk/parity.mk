# Parity suite: scenarios covering every CA-loading route, bundle kind,
# rotation on disk, context isolation, threads and fork run without and with
# the shim; any difference in what a caller can observe (return values, error
# queue, store contents, verify results of real handshakes) fails, and so does
# a with-shim run whose stats show fewer avoided loads than the scenario needs.
#
#   make check-parity         the shim as built
#   make check-parity-asan    the ASan+UBSan shim, with an ASan harness
#   PARITY_ARGS="NAME ..."    only these scenarios
#   PARITY_THREADS=N          threads in the thread scenarios (default 8)
#   PARITY_KEEP=1             keep fixtures, transcripts and stats

PARITY_SRCS    := $(sort $(wildcard tests/parity/*.c))
PARITY_HDRS    := $(wildcard tests/parity/*.h)
PARITY_CFLAGS  := -std=gnu11 -D_GNU_SOURCE -pthread $(WARN) -O1 -g
PARITY_SANITIZE := -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
PARITY_THREADS ?= 8
PARITY_ARGS    ?=
# The ASan runtime has to come first among preloaded libraries.
PARITY_ASAN_RT ?= $(shell $(CC) -print-file-name=libasan.so)
# OpenSSL keeps allocations until exit, so leak checking stays off; any other
# ASan or UBSan finding stops the run.
PARITY_ASAN_ENV := ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 \
                   UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

CHECK_TARGETS += check-parity check-parity-asan
CORE_TARGETS  += check-parity

$(BUILD)/tests/parity-harness: $(PARITY_SRCS) $(PARITY_HDRS) | deps-build
	@mkdir -p $(dir $@)
	$(CC) $(PARITY_CFLAGS) -o $@ $(PARITY_SRCS) -lssl -lcrypto

$(BUILD)/tests/parity-harness-asan: $(PARITY_SRCS) $(PARITY_HDRS) | deps-build
	@mkdir -p $(dir $@)
	$(CC) $(PARITY_CFLAGS) $(PARITY_SANITIZE) -o $@ $(PARITY_SRCS) -lssl -lcrypto

.PHONY: check-parity check-parity-asan
check-parity: deps-check $(BUILD)/libtrustcache.so $(BUILD)/tests/parity-harness
	@tests/parity/run.sh --harness $(BUILD)/tests/parity-harness --shim $(BUILD)/libtrustcache.so \
	  --threads $(PARITY_THREADS) $(PARITY_ARGS)

check-parity-asan: deps-check $(BUILD)/asan/libtrustcache.so $(BUILD)/tests/parity-harness-asan
	@$(PARITY_ASAN_ENV) tests/parity/run.sh --harness $(BUILD)/tests/parity-harness-asan \
	  --shim $(BUILD)/asan/libtrustcache.so --preload-first $(PARITY_ASAN_RT) \
	  --threads $(PARITY_THREADS) $(PARITY_ARGS)
