/* SPDX-License-Identifier: MIT */
/*
 * Writes the udev rules for the pad from the same VID:PID the daemon and
 * the firmware use (thermopad_proto.h), so that the rules cannot drift from
 * the code. Run at build time: rules_gen > 70-thermopad.rules
 *
 * The name sorts before the distribution's 73-seat-late.rules, which is
 * where a "uaccess" tag becomes an ACL for the person at the seat.
 */
#include <stdio.h>

#include "thermopad_proto.h"

int main(void)
{
	printf("# thermopad: the USB Peltier therapy pad (%04x:%04x).\n"
	       "# Generated from thermopad_proto.h at build time; edit the generator, not this file.\n"
	       "# Group thermopad may open the device (the daemon runs as user thermopad);\n"
	       "# uaccess gives the person at the seat access too; systemd starts the daemon\n"
	       "# when the pad arrives.\n"
	       "ACTION==\"remove\", GOTO=\"thermopad_end\"\n"
	       "SUBSYSTEM!=\"usb\", GOTO=\"thermopad_end\"\n"
	       "ENV{DEVTYPE}!=\"usb_device\", GOTO=\"thermopad_end\"\n"
	       "ATTR{idVendor}==\"%04x\", ATTR{idProduct}==\"%04x\", MODE=\"0660\", GROUP=\"thermopad\", "
	       "TAG+=\"uaccess\", TAG+=\"systemd\", ENV{SYSTEMD_WANTS}+=\"thermopadd.service\"\n"
	       "LABEL=\"thermopad_end\"\n",
	       TP_USB_VID, TP_USB_PID, TP_USB_VID, TP_USB_PID);
	return ferror(stdout) ? 1 : 0;
}
