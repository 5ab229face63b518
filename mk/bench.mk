# `make bench`, core rows: context set-up in C and Python (P1), a requests
# loop, retained memory (P2), thread scaling (P7) and bundle sizes (P8), each
# without the shim, with it, and against a bare floor.
# BENCH_ARGS passes options through, e.g. BENCH_ARGS="--rows a,b --quick".

PY_MACHINE ?= python3
BENCH_ARGS ?=

BENCH_TARGETS += bench-core

$(BUILD)/bench/ctx_loop: tests/bench/ctx_loop.c | deps-build
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O2 -o $@ $< -lssl -lcrypto

# P7 (context set-up from 1, 2 and 16 threads, and the load step alone from
# 1 and 16) and P8 (bundles of 1 to 10,000 generated roots) rows.
$(BUILD)/bench/ctx_threads $(BUILD)/bench/gen_bundle: $(BUILD)/bench/%: tests/bench/%.c | deps-build
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE -pthread $(WARN) -O2 -o $@ $< -lssl -lcrypto

BENCH_TOOLS := $(BUILD)/bench/ctx_loop $(BUILD)/bench/ctx_threads $(BUILD)/bench/gen_bundle

.PHONY: bench-core
bench-core: deps-demo $(BUILD)/libtrustcache.so $(BENCH_TOOLS)
	@$(PY_MACHINE) tests/bench/bench.py --shim $(BUILD)/libtrustcache.so \
	  --ctx-loop $(BUILD)/bench/ctx_loop --ctx-threads $(BUILD)/bench/ctx_threads \
	  --gen-bundle $(BUILD)/bench/gen_bundle --python $(PY_MACHINE) $(BENCH_ARGS)

# Client rows (tests/bench/bench_clients.py): P3, a requests.get() loop
# under gc.disable() (req/s and RSS growth over 3,000 requests, and a loop
# that keeps its responses); P4, pgbench -C with sslmode=verify-full against
# a throwaway local PostgreSQL cluster.  BENCH_CLIENTS_ARGS="--rows P4 --quick".
BENCH_CLIENTS_ARGS ?=
BENCH_TARGETS += bench-clients

.PHONY: bench-clients deps-bench-clients
deps-bench-clients: | $(BUILD)
	$(call need_pkgs,postgresql)

bench-clients: deps-demo deps-bench-clients $(BUILD)/libtrustcache.so
	@$(PY_MACHINE) tests/bench/bench_clients.py --shim $(BUILD)/libtrustcache.so \
	  --python $(PY_MACHINE) $(BENCH_CLIENTS_ARGS)
