# The physical model of the pad: pure (no I/O, no clock, no globals).
MODEL_SRCS := $(wildcard sim/model/*.c)

$(B)/libmodel.a: $(call objs,$(MODEL_SRCS))
	@mkdir -p $(@D)
	$(AR) rcs $@ $^
