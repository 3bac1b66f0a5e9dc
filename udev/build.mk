# udev rules, generated from the protocol header's VID:PID.
UDEV_RULES := $(B)/udev/70-thermopad.rules

$(B)/udev/rules_gen: $(call objs,udev/rules_gen.c)
	$(CC) $(LDFLAGS) -o $@ $^

$(UDEV_RULES): $(B)/udev/rules_gen
	$< >$@.tmp && mv $@.tmp $@

all: $(UDEV_RULES)

# AppStream metainfo: the same VID:PID as a modalias, for software centres.
METAINFO := $(B)/udev/org.thermopad.thermopad.metainfo.xml

$(B)/udev/metainfo_gen: $(call objs,udev/metainfo_gen.c)
	$(CC) $(LDFLAGS) -o $@ $^

$(METAINFO): $(B)/udev/metainfo_gen
	$< >$@.tmp && mv $@.tmp $@

all: $(METAINFO)
