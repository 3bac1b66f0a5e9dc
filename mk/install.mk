# make install / uninstall, with PREFIX (default /usr/local) and DESTDIR.
# Programs, the simulator's preload shim, the built-in profiles, the
# default configuration (never over an existing one), man pages, bash
# completion (bash, zsh, fish), udev rules, systemd units, sysusers.d and tmpfiles.d files.
# udev and systemd only read their own directories, so those come from
# pkg-config (overridable), not from PREFIX.
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib/thermopad
DATADIR ?= $(PREFIX)/share/thermopad
DOCDIR ?= $(PREFIX)/share/doc/thermopad
MANDIR ?= $(PREFIX)/share/man
METAINFODIR ?= $(PREFIX)/share/metainfo
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
pkgvar = $(or $(shell pkg-config --variable=$(2) $(1) 2>/dev/null),$(3))
UDEVRULESDIR ?= $(call pkgvar,udev,udevdir,/lib/udev)/rules.d
SYSTEMDUNITDIR ?= $(call pkgvar,systemd,systemdsystemunitdir,/lib/systemd/system)
SYSUSERSDIR ?= $(call pkgvar,systemd,sysusersdir,/usr/lib/sysusers.d)
TMPFILESDIR ?= $(call pkgvar,systemd,tmpfilesdir,/usr/lib/tmpfiles.d)
COMPLETIONDIR ?= $(call pkgvar,bash-completion,completionsdir,$(PREFIX)/share/bash-completion/completions)
# zsh reads vendor-completions under /usr and site-functions under
# /usr/local; fish reads vendor_completions.d in each XDG data directory
ZSHCOMPLETIONDIR ?= $(if $(filter /usr,$(PREFIX)),$(PREFIX)/share/zsh/vendor-completions,$(PREFIX)/share/zsh/site-functions)
FISHCOMPLETIONDIR ?= $(PREFIX)/share/fish/vendor_completions.d
INSTALLED_DOCS := README.md LICENSE firmware-spec/PROTOCOL.md $(wildcard docs/*.md)
MAN_PAGES := $(wildcard man/*.[1-8])

.PHONY: install uninstall
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(DATADIR)/profiles \
		$(DESTDIR)$(DATADIR)/pads $(DESTDIR)$(SYSCONFDIR)/thermopad $(DESTDIR)$(DOCDIR) \
		$(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
		$(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(COMPLETIONDIR) $(DESTDIR)$(METAINFODIR) \
		$(DESTDIR)$(ZSHCOMPLETIONDIR) $(DESTDIR)$(FISHCOMPLETIONDIR) \
		$(addprefix $(DESTDIR)$(MANDIR)/man,$(sort $(subst .,,$(suffix $(MAN_PAGES)))))
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(LIBEXEC) $(DESTDIR)$(LIBDIR)/
	install -m 0644 profiles/*.ini $(DESTDIR)$(DATADIR)/profiles/
	install -m 0644 sim/pads/*.ini $(DESTDIR)$(DATADIR)/pads/
	install -m 0644 $(INSTALLED_DOCS) $(DESTDIR)$(DOCDIR)/
	install -m 0644 $(UDEV_RULES) $(DESTDIR)$(UDEVRULESDIR)/
	install -m 0644 $(METAINFO) $(DESTDIR)$(METAINFODIR)/
	$(systemd_unit_subst) systemd/thermopadd.service.in >$(DESTDIR)$(SYSTEMDUNITDIR)/thermopadd.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/thermopadd.service
	install -m 0644 systemd/thermopadd.socket $(DESTDIR)$(SYSTEMDUNITDIR)/
	install -m 0644 systemd/thermopad.sysusers $(DESTDIR)$(SYSUSERSDIR)/thermopad.conf
	install -m 0644 systemd/thermopad.tmpfiles $(DESTDIR)$(TMPFILESDIR)/thermopad.conf
	$(if $(wildcard completion/thermopad.bash),install -m 0644 completion/thermopad.bash $(DESTDIR)$(COMPLETIONDIR)/thermopad)
	install -m 0644 completion/_thermopad $(DESTDIR)$(ZSHCOMPLETIONDIR)/_thermopad
	install -m 0644 completion/thermopad.fish $(DESTDIR)$(FISHCOMPLETIONDIR)/thermopad.fish
	$(foreach m,$(MAN_PAGES),install -m 0644 $(m) $(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/;)
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
	rm -f $(addprefix $(DESTDIR)$(UDEVRULESDIR)/,$(notdir $(UDEV_RULES)))
	rm -f $(addprefix $(DESTDIR)$(METAINFODIR)/,$(notdir $(METAINFO)))
	rm -f $(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(SYSTEMD_UNITS))
	rm -f $(DESTDIR)$(SYSUSERSDIR)/thermopad.conf $(DESTDIR)$(TMPFILESDIR)/thermopad.conf
	rm -f $(DESTDIR)$(COMPLETIONDIR)/thermopad
	rm -f $(DESTDIR)$(ZSHCOMPLETIONDIR)/_thermopad $(DESTDIR)$(FISHCOMPLETIONDIR)/thermopad.fish
	rm -f $(foreach m,$(MAN_PAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m)))
	@# the configuration is the administrator's: removed only if unchanged
	@if cmp -s etc/thermopad.conf $(DESTDIR)$(SYSCONFDIR)/thermopad/thermopad.conf; then \
		rm -f $(DESTDIR)$(SYSCONFDIR)/thermopad/thermopad.conf; fi
	-rmdir $(DESTDIR)$(DATADIR)/profiles $(DESTDIR)$(DATADIR)/pads $(DESTDIR)$(DATADIR) \
		$(DESTDIR)$(LIBDIR) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSCONFDIR)/thermopad 2>/dev/null

# for the install test: where udev's and systemd's files go on this machine
.PHONY: install-paths
install-paths:
	@echo "UDEVRULESDIR=$(UDEVRULESDIR) SYSTEMDUNITDIR=$(SYSTEMDUNITDIR) SYSUSERSDIR=$(SYSUSERSDIR)" \
		"TMPFILESDIR=$(TMPFILESDIR) COMPLETIONDIR=$(COMPLETIONDIR)"
