# A real client against a local `openssl s_server`, with and without the
# shim (tests/integration/cli): the openssl CLI's s_client, and a C program
# making one context per handshake.  Python only drives the processes, so
# this runs where Python links another OpenSSL than the one under test.
#
#   make check-cli

CHECK_TARGETS += check-cli
CORE_TARGETS  += check-cli

.PHONY: check-cli

$(BUILD)/tests/handshake_loop: tests/integration/cli/handshake_loop.c | deps-build
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O2 -o $@ $< -lssl -lcrypto

check-cli: deps-check $(BUILD)/libtrustcache.so $(BUILD)/tests/handshake_loop
	@$(PY_MACHINE) tests/integration/cli/check_cli.py --shim $(BUILD)/libtrustcache.so \
	  --loop $(BUILD)/tests/handshake_loop
