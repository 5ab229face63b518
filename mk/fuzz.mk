# Fuzzing with libFuzzer (clang), sanitizers on:
#
#   fuzz_config   TRUSTCACHE_* values into tc_config_parse (shim/base/config.c)
#   fuzz_stats    tc_stats_expand_path and the JSON rendering
#   fuzz_replay   a differential harness: bundle bytes through OpenSSL's own
#                 loader and through the shim's cache (miss, then hit), which
#                 must agree on return values, errors and store contents
#
#   make check-fuzz     a short run (60 s for the differential, 20 s per parser)
#   make fuzz           a long run: FUZZ_SECONDS each (default 600)
#
# fuzz_replay runs with a clang-built shim (ASan+UBSan, and coverage so that
# libFuzzer also learns from the shim's own branches) preloaded after clang's
# shared ASan runtime: gcc's libasan ($(BUILD)/asan) and clang's runtime
# cannot share a process.  Seeds come from tests/fuzz/make-corpus.sh; inputs
# libFuzzer finds interesting accumulate in $(BUILD)/fuzz/work.

FUZZ_DIR       := $(BUILD)/fuzz
FUZZ_CC        ?= clang
FUZZ_SECONDS   ?= 600
FUZZ_CHECK_REPLAY_SECONDS ?= 60
FUZZ_CHECK_PARSER_SECONDS ?= 20
FUZZ_CFLAGS    := -std=gnu11 -D_GNU_SOURCE -pthread $(WARN) -O1 -g -fno-omit-frame-pointer
FUZZ_SAN       := -fsanitize=address,undefined -fno-sanitize-recover=undefined
# Evaluated when a recipe runs, after deps-fuzz has installed clang.
FUZZ_ASAN_RT    = $$($(FUZZ_CC) -print-file-name=libclang_rt.asan-x86_64.so)
FUZZ_BINS      := $(FUZZ_DIR)/fuzz_config $(FUZZ_DIR)/fuzz_stats $(FUZZ_DIR)/fuzz_replay \
                  $(FUZZ_DIR)/libtrustcache-cov.so
FUZZ_STATS_SHIM := shim/report/stats_dump.c shim/report/stats_render.c shim/base/stats.c shim/base/config.c shim/base/tc_hash.c \
                   shim/cache/bundle_cache.c shim/cache/fingerprint.c

CHECK_TARGETS += check-fuzz

.PHONY: check-fuzz fuzz deps-fuzz fuzz-corpus
deps-fuzz: | $(BUILD)
	$(call need_pkgs,clang libclang-rt-14-dev llvm libssl-dev uthash-dev openssl)

$(FUZZ_DIR)/fuzz_config: tests/fuzz/fuzz_config.c shim/base/config.c shim/base/config.h | deps-fuzz
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -Ishim -o $@ \
	  tests/fuzz/fuzz_config.c shim/base/config.c

$(FUZZ_DIR)/fuzz_stats: tests/fuzz/fuzz_stats.c tests/fuzz/stub_ossl.c $(FUZZ_STATS_SHIM) \
                        $(SHIM_HDRS) | deps-fuzz
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -Ishim -o $@ \
	  tests/fuzz/fuzz_stats.c tests/fuzz/stub_ossl.c $(FUZZ_STATS_SHIM)

# -rdynamic: the preloaded shim's coverage counters register with libFuzzer.
$(FUZZ_DIR)/fuzz_replay: tests/fuzz/fuzz_replay.c | deps-fuzz
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -shared-libasan -rdynamic -o $@ $< \
	  -lssl -lcrypto -ldl -lm -Wl,-rpath,"$$(dirname $(FUZZ_ASAN_RT))"

$(FUZZ_DIR)/libtrustcache-cov.so: $(SHIM_SRCS) $(SHIM_HDRS) $(BUILD)/exports.map | deps-fuzz
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(BASEFLAGS) -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $(FUZZ_SAN) \
	  -shared-libasan -shared -o $@ $(SHIM_SRCS) -Wl,--version-script=$(BUILD)/exports.map \
	  $(SHIM_LDLIBS)

$(FUZZ_DIR)/corpus/.done: tests/fuzz/make-corpus.sh tests/parity/make-fixtures.sh | deps-fuzz
	@mkdir -p $(dir $@)
	@bash tests/fuzz/make-corpus.sh $(FUZZ_DIR)/corpus
	@touch $@

fuzz-corpus: $(FUZZ_DIR)/corpus/.done

check-fuzz: deps-fuzz $(FUZZ_BINS) $(FUZZ_DIR)/corpus/.done
	@bash tests/fuzz/run.sh --dir $(FUZZ_DIR) --asan-rt "$(FUZZ_ASAN_RT)" \
	  --replay-seconds $(FUZZ_CHECK_REPLAY_SECONDS) --parser-seconds $(FUZZ_CHECK_PARSER_SECONDS)

fuzz: deps-fuzz $(FUZZ_BINS) $(FUZZ_DIR)/corpus/.done
	@bash tests/fuzz/run.sh --dir $(FUZZ_DIR) --asan-rt "$(FUZZ_ASAN_RT)" \
	  --replay-seconds $(FUZZ_SECONDS) --parser-seconds $(FUZZ_SECONDS)
