# The simulated pad. libpad: firmware + model + sensors + faults (pure);
# libmodel_ini: pad descriptions from INI files.
EXTRA_CFLAGS_sim_ := $(call pkg_cflags,inih umockdev-1.0 libusb-1.0)

$(B)/libpad.a: $(call objs,sim/pad.c sim/faults.c)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(B)/libmodel_ini.a: $(call objs,sim/model_ini.c)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

# libpad needs, in link order:
PAD_LIBS = $(B)/libpad.a $(B)/libfirmware.a $(B)/libproto.a $(B)/libmodel.a
