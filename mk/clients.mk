# Real clients under the shim: the examples under examples/ (each runnable on
# its own with `make -C examples/NAME run`), trustcache-run, and make install.
#
#   make check-clients     every example and make demo, small, driven and
#                          checked by tests/integration/clients/run.py
#                          (about 30 s once the packages are installed)
#   make check-run         trustcache-run, --check, make install into a
#                          temporary DESTDIR, the container entrypoint
#                          (signals, exit codes) -- quick, part of make check
#   CLIENTS_ARGS="NAME ..." only these tests (run.py --list shows them)
#
# The packages the clients need are installed by deps-clients; an example
# run on its own installs only its own (deps-pkgs PKGS="...").

DEPS_RUN     := shellcheck curl binutils file man-db gcc libc6-dev python3 openssl ca-certificates \
                libio-socket-ssl-perl
DEPS_CLIENTS := $(DEPS_RUN) postgresql ruby php-cli gnuplot-nox \
                python3-requests
CLIENTS_ARGS ?=
CLIENTS_PYTHON ?= python3

CHECK_TARGETS += check-run check-clients

.PHONY: deps-pkgs deps-run deps-clients check-clients check-run

# Installs PKGS="..." (used by the examples' Makefiles).
deps-pkgs: | $(BUILD)
	$(call need_pkgs,$(PKGS))

deps-run: | $(BUILD)
	$(call need_pkgs,$(DEPS_RUN))

deps-clients: | $(BUILD)
	$(call need_pkgs,$(DEPS_CLIENTS))

check-clients: deps-clients $(BUILD)/libtrustcache.so
	@$(CLIENTS_PYTHON) tests/integration/clients/run.py --suite examples \
	  --build $(BUILD) $(CLIENTS_ARGS)

check-run: deps-run $(BUILD)/libtrustcache.so
	@$(CLIENTS_PYTHON) tests/integration/clients/run.py --suite run \
	  --build $(BUILD) $(CLIENTS_ARGS)
