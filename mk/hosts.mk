# Connection accounting per host, pool churn, the leak view, and the stats
# formats (text, JSON, Prometheus) with periodic and signal dumps.
#
#   make check-hosts   tests/unit/contexts/test_hosts.c (its own program: host table,
#                      bounds, accounting from many threads, churn and leak
#                      rules, every format, a golden Prometheus document),
#                      plain and under ThreadSanitizer, then
#                      tests/integration/hosts/run.py (Python requests and curl
#                      against a local HTTPS server, pooled sessions, leaks
#                      under gc.disable(), periodic and signal dumps across
#                      fork, tools/trustcache-stats, promtool)
#   HOSTS_ARGS="NAME ..."  only these integration checks (run.py --list)
#
# promtool comes from Debian's prometheus package (about 19 MB): it is
# installed when apt-get can, without the recommended extras.  Where it
# cannot be, the Prometheus output is still checked by run.py's own parser and
# the promtool check is reported as SKIP.

DEPS_HOSTS      := curl python3 python3-requests openssl ca-certificates check pkg-config
HOSTS_PYTHON    ?= python3
HOSTS_ARGS      ?=
HOSTS_UNIT      := $(BUILD)/tests/hosts/unit-hosts
HOSTS_UNIT_TSAN := $(BUILD)/tests/hosts/unit-hosts-tsan
HOSTS_UNIT_SHIM := shim/contexts/hosts.c shim/contexts/acct.c shim/base/config.c shim/base/stats.c shim/report/stats_render.c shim/base/tc_hash.c \
                   shim/base/word_lock.c

CHECK_TARGETS += check-hosts

.PHONY: check-hosts deps-hosts

# HOSTS_PROMTOOL=no: do not try to install promtool (the checks that need
# it then say SKIP); the OpenSSL matrix systems run without it.
HOSTS_PROMTOOL ?= yes

deps-hosts: | $(BUILD)
	$(call need_pkgs,$(DEPS_HOSTS))
	@[ "$(HOSTS_PROMTOOL)" = no ] || command -v promtool >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || \
	  (apt-get install -y -q --no-install-recommends prometheus || \
	   (apt-get update -q && apt-get install -y -q --no-install-recommends prometheus)) \
	  >$(BUILD)/apt-prometheus.log 2>&1 || \
	  echo "trustcache: prometheus (promtool) could not be installed; see $(BUILD)/apt-prometheus.log"

# $(call hosts_unit_build,EXTRA_CFLAGS,OUTPUT)
define hosts_unit_build
	@mkdir -p $(dir $(2))
	$(CC) $(BASEFLAGS) $(1) -DTC_UNIT_HOSTS -Ishim $$(pkg-config --cflags check) -o $(2) \
	  tests/unit/contexts/test_hosts.c $(HOSTS_UNIT_SHIM) $$(pkg-config --libs check) -pthread
endef

$(HOSTS_UNIT): tests/unit/contexts/test_hosts.c $(HOSTS_UNIT_SHIM) $(SHIM_HDRS) | deps-hosts
	$(call hosts_unit_build,$(OPTFLAGS),$@)

$(HOSTS_UNIT_TSAN): tests/unit/contexts/test_hosts.c $(HOSTS_UNIT_SHIM) $(SHIM_HDRS) | deps-hosts
	$(call hosts_unit_build,-O1 -g -fsanitize=thread,$@)

check-hosts: deps-hosts $(BUILD)/libtrustcache.so $(HOSTS_UNIT) $(HOSTS_UNIT_TSAN)
	@TC_UNIT_PYTHON=$(HOSTS_PYTHON) $(HOSTS_UNIT)
	@TC_UNIT_PYTHON=$(HOSTS_PYTHON) TSAN_OPTIONS=halt_on_error=1 $(HOSTS_UNIT_TSAN)
	@$(HOSTS_PYTHON) tests/integration/hosts/run.py --shim $(BUILD)/libtrustcache.so \
	  --stats-tool tools/trustcache-stats $(HOSTS_ARGS)
