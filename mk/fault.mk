# Fault injection: a test build of the shim in which the Nth allocation,
# file-system call or OpenSSL call the shim makes on its own behalf fails
# (shim/ossl/fault.c), and a suite that fails every such point once, in turn, under
# parity scenarios, requiring OpenSSL's own transcript every time.
#
#   make check-fault          every failure point of the chosen scenarios
#   make check-fault-asan     the same with the shim and harness built with
#                             ASan+UBSan: a failure path that touches freed
#                             memory, leaks nothing visible, but corrupts
#                             the heap fails here
#   FAULT_ARGS="NAME ..."     only these parity scenarios
#   FAULT_JOBS=N              harness runs in parallel (default 2)
#
# Reproducing one failure by hand:
#   TC_FAULT_AT=N TC_FAULT_BACKTRACE=1 LD_PRELOAD=$(BUILD)/fault/libtrustcache.so \
#     $(BUILD)/tests/parity-harness --fixtures DIR --scratch DIR SCENARIO
# (fixtures: tests/parity/make-fixtures.sh DIR).

FAULT_SHIM  := $(BUILD)/fault/libtrustcache.so
FAULT_ASAN_SHIM := $(BUILD)/fault-asan/libtrustcache.so
FAULT_JOBS  ?= 2
FAULT_ARGS  ?=

CHECK_TARGETS += check-fault check-fault-asan

# The same sources as the shim; fault.c is empty without TC_FAULT_INJECTION.
$(FAULT_SHIM): $(SHIM_SRCS) $(SHIM_HDRS) $(BUILD)/exports.map | deps-build
	@mkdir -p $(dir $@)
	$(call build_shim,$@,-DTC_FAULT_INJECTION -include shim/base/fault.h)

$(FAULT_ASAN_SHIM): $(SHIM_SRCS) $(SHIM_HDRS) $(BUILD)/exports.map | deps-build
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(SHIM_ASAN_FLAGS) -DTC_FAULT_INJECTION -include shim/base/fault.h \
	  -shared -o $@ $(SHIM_SRCS) -Wl,--version-script=$(BUILD)/exports.map $(SHIM_LDLIBS)

.PHONY: check-fault check-fault-asan deps-fault
deps-fault: | $(BUILD)
	$(call need_pkgs,binutils python3)

check-fault: deps-check deps-fault $(FAULT_SHIM) $(BUILD)/tests/parity-harness
	@python3 tests/fault/run.py --harness $(BUILD)/tests/parity-harness --shim $(FAULT_SHIM) \
	  --jobs $(FAULT_JOBS) $(FAULT_ARGS)

check-fault-asan: deps-check deps-fault $(FAULT_ASAN_SHIM) $(BUILD)/tests/parity-harness-asan
	@$(PARITY_ASAN_ENV) python3 tests/fault/run.py --harness $(BUILD)/tests/parity-harness-asan \
	  --shim $(FAULT_ASAN_SHIM) --preload-first $(PARITY_ASAN_RT) --jobs $(FAULT_JOBS) $(FAULT_ARGS)
