# make install / uninstall, with PREFIX (default /usr/local) and DESTDIR.
# Installs what is built: programs, the simulator's preload shim, the
# built-in profiles, the default configuration (never over an existing
# one) and the documentation.
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib/thermopad
DATADIR ?= $(PREFIX)/share/thermopad
DOCDIR ?= $(PREFIX)/share/doc/thermopad
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
INSTALLED_DOCS := README.md LICENSE firmware-spec/PROTOCOL.md $(wildcard docs/*.md)

.PHONY: install uninstall
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(DATADIR)/profiles \
		$(DESTDIR)$(DATADIR)/pads $(DESTDIR)$(SYSCONFDIR)/thermopad $(DESTDIR)$(DOCDIR)
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(LIBEXEC) $(DESTDIR)$(LIBDIR)/
	install -m 0644 profiles/*.ini $(DESTDIR)$(DATADIR)/profiles/
	install -m 0644 sim/pads/*.ini $(DESTDIR)$(DATADIR)/pads/
	install -m 0644 $(INSTALLED_DOCS) $(DESTDIR)$(DOCDIR)/
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/thermopad/thermopad.conf ]; then \
		echo "keeping the existing $(SYSCONFDIR)/thermopad/thermopad.conf"; \
	else \
		install -m 0644 etc/thermopad.conf $(DESTDIR)$(SYSCONFDIR)/thermopad/thermopad.conf; \
	fi

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(BINS)))
	rm -f $(addprefix $(DESTDIR)$(LIBDIR)/,$(notdir $(LIBEXEC)))
	rm -f $(addprefix $(DESTDIR)$(DATADIR)/profiles/,$(notdir $(wildcard profiles/*.ini)))
	rm -f $(addprefix $(DESTDIR)$(DATADIR)/pads/,$(notdir $(wildcard sim/pads/*.ini)))
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(INSTALLED_DOCS)))
	@# the configuration is the administrator's: removed only if unchanged
	@if cmp -s etc/thermopad.conf $(DESTDIR)$(SYSCONFDIR)/thermopad/thermopad.conf; then \
		rm -f $(DESTDIR)$(SYSCONFDIR)/thermopad/thermopad.conf; fi
	-rmdir $(DESTDIR)$(DATADIR)/profiles $(DESTDIR)$(DATADIR)/pads $(DESTDIR)$(DATADIR) \
		$(DESTDIR)$(LIBDIR) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSCONFDIR)/thermopad 2>/dev/null
