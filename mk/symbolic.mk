# OpenSSL linked -Bsymbolic, on this machine: Debian's 3.6 and later bind
# OpenSSL's calls to itself inside each library, so no hook ever sees them.
# Copies of the host's libssl and libcrypto with DF_SYMBOLIC set in their
# dynamic section (tools/set-df-symbolic) make the host's OpenSSL 3.0 behave
# the same way, and the parity and Python suites run against them: a change
# that needs OpenSSL's inner calls to reach a hook fails here, on Debian 12.
#
#   make check-symbolic    parity (with TRUSTCACHE_SHARE=1 and 0 in one
#                          process) and Python suites on the -Bsymbolic copies,
#                          and the thread scenarios under TSan there (lazy
#                          loads are found by comparing a shared store before
#                          and after each verification on such builds)

SYMBOLIC_DIR  := $(BUILD)/symbolic
SYMBOLIC_LIBS := $(SYMBOLIC_DIR)/libcrypto.so.3 $(SYMBOLIC_DIR)/libssl.so.3
SYMBOLIC_ENV   = LD_LIBRARY_PATH=$(abspath $(SYMBOLIC_DIR))

# The scenarios where verifications on shared stores load through hash
# directories from many threads at once.
SYMBOLIC_TSAN_SCENARIOS := share-hashdir-lazy-threads share-handout-during-handshakes \
                           share-hashdir-enumerate share-hashdir-enumerate-shared \
                           share-verify-cb-threads threads-first-calls

CHECK_TARGETS += check-symbolic

.PHONY: check-symbolic

# The copies are of whatever libssl.so.3/libcrypto.so.3 the parity harness
# links (the host's).
$(SYMBOLIC_DIR)/%.so.3: tools/set-df-symbolic | deps-check
	@mkdir -p $(dir $@)
	@src=$$(ldd $(BUILD)/tests/parity-harness 2>/dev/null | awk '$$1 == "$*.so.3" { print $$3 }'); \
	  test -n "$$src" || src=$$(ldconfig -p | awk '$$1 == "$*.so.3" && /x86-64|64bit/ { print $$NF; exit }'); \
	  python3 tools/set-df-symbolic "$$src" $@

check-symbolic: deps-check $(BUILD)/libtrustcache.so $(BUILD)/tests/parity-harness $(SYMBOLIC_LIBS) \
                $(BUILD)/tsan/libtrustcache.so $(BUILD)/tests/parity-harness-tsan
	@for l in $(SYMBOLIC_LIBS); do \
	  readelf -d $$l | grep -q 'FLAGS.*SYMBOLIC' || { echo "FAIL $$l: no DF_SYMBOLIC"; exit 1; }; done
	@$(SYMBOLIC_ENV) ldd $(BUILD)/tests/parity-harness | grep -q '$(abspath $(SYMBOLIC_DIR))/libcrypto.so.3' \
	  || { echo "FAIL the harness does not load the -Bsymbolic copies"; exit 1; }
	@echo "==== parity on OpenSSL linked -Bsymbolic ($(SYMBOLIC_DIR))"
	@$(SYMBOLIC_ENV) $(PARITY_RUN) --harness $(BUILD)/tests/parity-harness \
	  --shim $(BUILD)/libtrustcache.so --threads $(PARITY_THREADS) $(PARITY_ARGS)
	@echo "==== Python on OpenSSL linked -Bsymbolic"
	@$(SYMBOLIC_ENV) $(PY_MACHINE) tests/integration/python/run_checks.py \
	  --shim $(BUILD)/libtrustcache.so --python $(PY_MACHINE) --python $(PY_DEBIAN)
	@echo "==== thread scenarios under TSan on OpenSSL linked -Bsymbolic"
	@$(SYMBOLIC_ENV) $(PARITY_TSAN_ENV) $(PARITY_RUN) --harness $(BUILD)/tests/parity-harness-tsan \
	  --shim $(BUILD)/tsan/libtrustcache.so --threads $(PARITY_TSAN_THREADS) --no-determinism \
	  $(SYMBOLIC_TSAN_SCENARIOS)
