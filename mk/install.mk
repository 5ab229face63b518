# `make install PREFIX=/usr/local DESTDIR=` and `make uninstall`.
#
#   $(PREFIX)/lib/trustcache/libtrustcache.so   the library (its own directory,
#                                               so it is never on the linker's
#                                               default search path);
#                                               LIBSUBDIR=lib/x86_64-linux-gnu/trustcache
#                                               puts it elsewhere under PREFIX
#   $(PREFIX)/bin/trustcache-run                finds the library relative to
#   $(PREFIX)/bin/trustcache-stats              itself (LIBSUBDIR is written into
#                                               the installed copy), so any
#                                               PREFIX works
#   $(PREFIX)/share/man/man1/trustcache-run.1   the man pages, their footer
#   $(PREFIX)/share/man/man1/trustcache-stats.1 carrying VERSION (TC_VERSION in
#   $(PREFIX)/share/man/man7/trustcache.7       shim/report/stats_dump.h)
#
# DESTDIR stages the tree elsewhere (packaging, container image layers, tests);
# nothing in the installed files records it.

MANDIR      ?= $(PREFIX)/share/man
# Tools are installed only if present: another tool may not exist yet.
INSTALL_TOOLS = $(wildcard tools/trustcache-stats)
MAN_PAGES   := man/trustcache-run.1 man/trustcache-stats.1 man/trustcache.7
# A page's .TH line names the version it documents: written from VERSION.
install_man = sed '/^\.TH /s/"trustcache [^"]*"/"trustcache $(VERSION)"/' $(1) >$(2) && chmod 0644 $(2)

.PHONY: install uninstall

install: $(BUILD)/libtrustcache.so
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	install -m 0644 $(BUILD)/libtrustcache.so $(DESTDIR)$(LIBDIR)/libtrustcache.so
	sed 's|^LIB_SUBDIR=.*|LIB_SUBDIR=$(LIBSUBDIR)|' tools/trustcache-run >$(DESTDIR)$(BINDIR)/trustcache-run
	chmod 0755 $(DESTDIR)$(BINDIR)/trustcache-run
	$(if $(INSTALL_TOOLS),install -m 0755 $(INSTALL_TOOLS) $(DESTDIR)$(BINDIR)/)
	$(call install_man,man/trustcache-run.1,$(DESTDIR)$(MANDIR)/man1/trustcache-run.1)
	$(call install_man,man/trustcache-stats.1,$(DESTDIR)$(MANDIR)/man1/trustcache-stats.1)
	$(call install_man,man/trustcache.7,$(DESTDIR)$(MANDIR)/man7/trustcache.7)

# Names are listed, never globbed: uninstall removes only what install made.
uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libtrustcache.so
	rm -f $(DESTDIR)$(BINDIR)/trustcache-run $(DESTDIR)$(BINDIR)/trustcache-stats
	rm -f $(DESTDIR)$(MANDIR)/man1/trustcache-run.1 $(DESTDIR)$(MANDIR)/man1/trustcache-stats.1
	rm -f $(DESTDIR)$(MANDIR)/man7/trustcache.7
	-rmdir $(DESTDIR)$(LIBDIR) 2>/dev/null
