# `make demo`: a requests loop against a local HTTPS server (throwaway CA,
# no network), without and with the shim, dropping and then keeping its
# responses; a before/after table, the shim's own counters, and a plot of
# RSS against connections in $(DEMO_PLOT_DIR)/rss-vs-connections.png.

PY_MACHINE ?= python3
DEMO_COUNT ?= 300
DEMO_PLOT_DIR ?= $(BUILD)/demo

.PHONY: demo
.PHONY: deps-demo-plot
deps-demo-plot: | $(BUILD)
	$(call need_pkgs,gnuplot-nox)

demo: deps-demo deps-demo-plot $(BUILD)/libtrustcache.so
	@$(PY_MACHINE) examples/demo/demo.py --shim $(BUILD)/libtrustcache.so --count $(DEMO_COUNT) \
	  --python $(PY_MACHINE) --python /usr/bin/python3 --plot-dir $(DEMO_PLOT_DIR)
