# systemd units. The service names installed paths, so install writes it
# from the template with the PREFIX of that install.
SYSTEMD_UNIT_TEMPLATES := systemd/thermopadd.service.in
SYSTEMD_UNITS := thermopadd.service thermopadd.socket
systemd_unit_subst = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'
