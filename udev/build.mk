# udev rules, generated from the protocol header's VID:PID.
UDEV_RULES := $(B)/udev/70-thermopad.rules

$(B)/udev/rules_gen: $(call objs,udev/rules_gen.c)
	$(CC) $(LDFLAGS) -o $@ $^

$(UDEV_RULES): $(B)/udev/rules_gen
	$< >$@.tmp && mv $@.tmp $@

all: $(UDEV_RULES)
