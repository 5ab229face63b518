# Python clients (ssl, urllib3, requests) with and without the shim:
# identical outcomes, and the shim's counters show the loads it avoided.
# Runs on the machine's python3 and on Debian's /usr/bin/python3 (urllib3 1.26).

PY_MACHINE ?= python3
PY_DEBIAN  ?= /usr/bin/python3

CHECK_TARGETS += check-python
CORE_TARGETS  += check-python

.PHONY: check-python
check-python: deps-check $(BUILD)/libtrustcache.so
	$(PY_MACHINE) tests/integration/python/run_checks.py --shim $(BUILD)/libtrustcache.so \
	  --python $(PY_MACHINE) --python $(PY_DEBIAN)
