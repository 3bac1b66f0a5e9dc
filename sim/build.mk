# The simulated pad. libpad: firmware + model + sensors + faults (pure);
# libmodel_ini: pad descriptions from INI files.
EXTRA_CFLAGS_sim_ := $(call pkg_cflags,inih umockdev-1.0 libusb-1.0)

$(B)/libpad.a: $(call objs,sim/pad.c sim/faults.c sim/exposure.c)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(B)/libmodel_ini.a: $(call objs,sim/model_ini.c common/ini_util.c)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^


# The USB side: testbed, usbdevfs emulation, control socket.
$(B)/libsimusb.a: $(call objs,sim/simusb.c sim/usbfs.c sim/ctl.c sim/ctl_client.c)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

SIM_LIBS = $(B)/libsimusb.a $(B)/libmodel_ini.a $(PAD_LIBS)
SIM_LDLIBS = $(call pkg_libs,umockdev-1.0 gobject-2.0 glib-2.0 inih) -lpthread -lm

$(B)/thermopad-sim: $(call objs,sim/main.c) $(SIM_LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(SIM_LDLIBS)

# The poll shim is preloaded into arbitrary programs (shells, daemons):
# never built with sanitizers, always position-independent.
$(B)/libthermopad-simpoll.so: sim/simpoll.c
	@mkdir -p $(@D)
	$(CC) -D_GNU_SOURCE -std=c11 -O2 -g -fPIC -shared -Wall -Wextra -Werror -o $@ $< -ldl -lpthread

BINS += $(B)/thermopad-sim
LIBEXEC += $(B)/libthermopad-simpoll.so

$(B)/libsimctl.a: $(call objs,sim/ctl_client.c)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^
