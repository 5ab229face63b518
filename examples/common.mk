# Shared by every examples/NAME/Makefile: `make -C examples/NAME run`.
#
# The example's Makefile sets EX_PKGS (the Debian packages its clients need)
# and EX_SCRIPT (its driver), then includes this file.  `run` builds the
# shim through the top Makefile (which also installs missing packages, as
# root), then runs the driver with the shim and trustcache-run from this
# source tree.
#
#   EXAMPLE_ARGS="--count 50 --json out.json"   passed to the driver
#   BUILD=dir                                   the top Makefile's build dir

EX_DIR    := $(abspath $(dir $(firstword $(MAKEFILE_LIST))))
TOP       := $(abspath $(EX_DIR)/../..)
BUILD     ?= build
TOP_BUILD := $(if $(filter /%,$(BUILD)),$(BUILD),$(TOP)/$(BUILD))
SHIM      := $(TOP_BUILD)/libtrustcache.so
RUNNER    := $(TOP)/tools/trustcache-run
PYTHON    ?= python3
EX_PKGS   ?=
EXAMPLE_ARGS ?=

.PHONY: run shim
run: shim
	@$(PYTHON) $(EX_DIR)/$(EX_SCRIPT) --shim $(SHIM) --runner $(RUNNER) $(EXAMPLE_ARGS)

shim:
	@$(MAKE) -C $(TOP) --no-print-directory BUILD=$(BUILD) deps-pkgs PKGS="$(EX_PKGS)"
	@$(MAKE) -C $(TOP) --no-print-directory BUILD=$(BUILD) $(BUILD)/libtrustcache.so
