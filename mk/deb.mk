# The Debian package (debian/), built with Debian's own tools.
#
#   make deb           build/deb/<codename>/trustcache_<version>_<arch>.deb for
#                      the system this runs on (dpkg-buildpackage -b on a
#                      staging copy of the tree), then lintian on it
#   make deb-debian13  the same inside a Debian 13 (trixie) system built by
#                      tools/debian-env: build/deb/trixie/...
#   make check-deb     install the package into a fresh minimal Debian 12,
#                      use it, purge it (tests/deb/check.sh)
#
# The version has one source: TC_VERSION in shim/report/stats_dump.h, the version
# the shim reports in its stats.  debian/changelog is not kept in the tree:
# it is written into the staging copy from TC_VERSION, with the Debian
# revision 1+deb<N> for the Debian release N it is built on.

DEB_UPSTREAM := $(VERSION)
DEB_CODENAME := $(shell . /etc/os-release 2>/dev/null && echo "$${VERSION_CODENAME:-unstable}")
DEB_RELEASE  := $(shell . /etc/os-release 2>/dev/null && echo "$${VERSION_ID%%.*}")
DEB_REVISION ?= 1$(if $(DEB_RELEASE),+deb$(DEB_RELEASE))
DEB_VERSION  := $(DEB_UPSTREAM)-$(DEB_REVISION)
DEB_ARCH     := $(shell dpkg --print-architecture 2>/dev/null)
DEB_OUT       = $(BUILD)/deb/$(DEB_CODENAME)
DEB_STAGE     = $(DEB_OUT)/trustcache-$(DEB_UPSTREAM)
DEB_FILE      = $(DEB_OUT)/trustcache_$(DEB_VERSION)_$(DEB_ARCH).deb
# The changelog entry's date and commit: the tree's last commit (passed in
# from outside where there is no git, as in deb-debian13).
DEB_DATE     ?= $(shell git log -1 --format=%cD 2>/dev/null || date -R)
DEB_COMMIT   ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
DEB_MAINT    := $(shell sed -n 's/^Maintainer: //p' debian/control)
# What goes into the staging copy: everything the build and install use.
DEB_TREE     := Makefile README.md debian man mk shim tools
DEB_INPUTS    = Makefile README.md $(shell find debian man mk shim tools -type f)

DEPS_DEB ?= debhelper dpkg-dev fakeroot lintian binutils gcc make libc6-dev libssl-dev uthash-dev \
            pkg-config

CHECK_TARGETS += check-deb

.PHONY: deb deb-debian13 check-deb deps-deb print-deb
# The package's path (for scripts: examples/docker/rehearse.py).
print-deb:
	@echo $(DEB_FILE)

deps-deb: | $(BUILD)
	$(call need_pkgs,$(DEPS_DEB))

deb: $(DEB_FILE)

$(DEB_FILE): $(DEB_INPUTS) | deps-deb
	@test -n "$(DEB_UPSTREAM)" || { echo "deb: no TC_VERSION in shim/report/stats_dump.h" >&2; exit 1; }
	@rm -rf $(DEB_OUT) && mkdir -p $(DEB_STAGE)
	@cp -a $(DEB_TREE) $(DEB_STAGE)/
	@printf '%s\n' "trustcache ($(DEB_VERSION)) $(DEB_CODENAME); urgency=medium" "" \
	  "  * Built from the source tree at commit $(DEB_COMMIT) (version $(DEB_UPSTREAM)" \
	  "    from TC_VERSION in shim/report/stats_dump.h)." "" \
	  " -- $(DEB_MAINT)  $(DEB_DATE)" >$(DEB_STAGE)/debian/changelog
	@echo "deb: dpkg-buildpackage -b in $(DEB_STAGE) (log: $(DEB_OUT)/build.log)"
	@cd $(DEB_STAGE) && dpkg-buildpackage -b -us -uc >../build.log 2>&1 \
	  || { tail -n 40 ../build.log; exit 1; }
	@test -f $@ || { echo "deb: dpkg-buildpackage made no $@" >&2; ls $(DEB_OUT) >&2; exit 1; }
	@depends=$$(dpkg-deb -f $@ Depends); echo "deb: Depends: $$depends"; \
	  case "$$depends" in *libssl*) echo "deb: FAIL the package depends on libssl" >&2; exit 1;; esac
	@dpkg-deb -c $@ | awk '$$6 !~ /\/$$/ { print "deb:   " $$6 }'
	@rm -rf $(DEB_OUT)/contents && dpkg-deb -x $@ $(DEB_OUT)/contents && \
	  if readelf -dW $(DEB_OUT)/contents/usr/lib/*/trustcache/libtrustcache.so | grep -E 'NEEDED.*lib(ssl|crypto)'; then \
	    echo "deb: FAIL the library has a DT_NEEDED on OpenSSL" >&2; exit 1; \
	  else echo "deb: the library has no DT_NEEDED on OpenSSL"; fi; rm -rf $(DEB_OUT)/contents
	@lintian --fail-on error --info $@ >$(DEB_OUT)/lintian.txt 2>&1; rc=$$?; \
	  sed 's/^/deb: lintian: /' $(DEB_OUT)/lintian.txt; \
	  echo "deb: lintian: $$(grep -c '^E:' $(DEB_OUT)/lintian.txt) errors, $$(grep -c '^W:' $(DEB_OUT)/lintian.txt) warnings"; \
	  [ $$rc = 0 ] || { rm -f $@; exit 1; }
	@echo "deb: $@"

# Debian 13: a fresh copy of the trixie system of mk/openssl35.mk (the
# compiler and OpenSSL headers are there already), removed afterwards; the
# inner make installs the packaging tools with apt-get, as on any machine.
# (Not debootstrap --include: lintian's dependencies do not configure in
# debootstrap's single pass.)  The tree is mounted at /src, so BUILD must be
# inside it.
DEB13_DIR  = $(BUILD)/deb-debian13
DEB13_PKGS = $(D13_PKGS)
deb-debian13: d13-build-inside-tree deps-openssl35
	@tools/debian-env --remove $(DEB13_DIR)
	@tools/debian-env --suite trixie --create $(DEB13_DIR) $(DEB13_PKGS)
	@tools/debian-env $(DEB13_DIR) -- make --no-print-directory BUILD=$(BUILD) \
	  DEB_DATE='$(DEB_DATE)' DEB_COMMIT='$(DEB_COMMIT)' deb; rc=$$?; \
	  tools/debian-env --remove $(DEB13_DIR); exit $$rc

check-deb: $(DEB_FILE) deps-fresh
	@bash tests/deb/check.sh $(DEB_FILE)
