# The README's two commands on a fresh machine:
#
#   make check-fresh     a minimal Debian 12 system (debootstrap minbase plus
#                        make, git and ca-certificates; built once and cached
#                        under /var/cache/trustcache/systems), a fresh copy of
#                        it per run, the committed HEAD cloned into it, then
#                        `make demo` and `make check` there as root, every
#                        line shown (tests/fresh/run.sh)
#   FRESH_TARGETS="check-run"   other targets instead (`make TARGET` for
#                        each, in turn, on the same fresh copy)
#
# Not in CHECK_TARGETS: it runs `make check` itself.  CI runs it from .ci/run.

FRESH_TARGETS ?= demo check

.PHONY: check-fresh deps-fresh
deps-fresh: | $(BUILD)
	$(call need_pkgs,debootstrap git)

check-fresh: deps-fresh
	@bash tests/fresh/run.sh $(foreach t,$(FRESH_TARGETS),"make $(t)")
