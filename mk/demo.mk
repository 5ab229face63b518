# `make demo`: a requests loop against a local HTTPS server (throwaway CA,
# no network), without and with the shim, then the shim's own counters.

PY_MACHINE ?= python3
DEMO_COUNT ?= 300

.PHONY: demo
demo: deps-demo $(BUILD)/libtrustcache.so
	@$(PY_MACHINE) examples/demo/demo.py --shim $(BUILD)/libtrustcache.so --count $(DEMO_COUNT) \
	  --python $(PY_MACHINE) --python /usr/bin/python3
