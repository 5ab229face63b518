# Static checks, in `make check`:
#   clang-format   every C file keeps the layout in .clang-format
#                  (`make format` rewrites them)
#   cppcheck       the shim's sources, warnings and portability
#   clang-tidy     the shim's sources, the checks in .clang-tidy
#   shellcheck     every shell script
#   layers         shim/ includes only downward (tests/lint/layers.sh states the
#                  rule); the check itself is shown to reject an upward include
# A finding that is wrong is silenced where it is, with a comment saying why.

DEPS_LINT    := clang-format clang-tidy cppcheck shellcheck libssl-dev uthash-dev
LINT_C_FILES  = $(shell find shim tests tools examples -name '*.[ch]' | sort)
LINT_SH_FILES = tools/trustcache-run tools/debian-env tools/debian13-env \
                $(shell find tests examples -name '*.sh' | sort)
LINT_CFLAGS  := -std=gnu11 -D_GNU_SOURCE -Ishim

# Not a core target: the layout is held with this system's clang-format
# (Debian 12, LLVM 14); other releases lay some casts out differently.
CHECK_TARGETS += check-lint

.PHONY: check-lint format deps-lint
deps-lint: | $(BUILD)
	$(call need_pkgs,$(DEPS_LINT))

check-lint: deps-lint
	@clang-format --dry-run -Werror $(LINT_C_FILES)
	@echo "lint: clang-format: $(words $(LINT_C_FILES)) files laid out as .clang-format says"
	@cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --inline-suppr --std=c11 -D_GNU_SOURCE -Ishim --suppress=missingIncludeSystem $(SHIM_SRCS)
	@echo "lint: cppcheck: $(words $(SHIM_SRCS)) shim sources clean"
	@clang-tidy --quiet $(SHIM_SRCS) -- $(LINT_CFLAGS) 2>/dev/null
	@echo "lint: clang-tidy: $(words $(SHIM_SRCS)) shim sources clean"
	@bash tests/lint/layers.sh shim
	@tmp=$$(mktemp -d) && cp -r shim "$$tmp/" && \
	  echo '#include "hooks/hook.h"' >> "$$tmp/shim/cache/bundle_cache.c" && \
	  if bash tests/lint/layers.sh "$$tmp/shim" 2>/dev/null; then rm -rf "$$tmp"; \
	    echo "lint: layers.sh accepted cache/ including hooks/" >&2; exit 1; fi; rm -rf "$$tmp"
	@shellcheck -x $(LINT_SH_FILES)
	@echo "lint: shellcheck: $(words $(LINT_SH_FILES)) scripts clean"

format:
	clang-format -i $(LINT_C_FILES)
