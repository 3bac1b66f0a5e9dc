/* SPDX-License-Identifier: MIT */
/*
 * Writes the AppStream metainfo that announces the hardware thermopad
 * supports, from the same VID:PID as the udev rules (thermopad_proto.h):
 * software centres and `apt` front ends find the package by the device's
 * modalias. Run at build time: metainfo_gen > org.thermopad.thermopad.metainfo.xml
 */
#include <stdio.h>

#include "thermopad_proto.h"

int main(void)
{
	printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	       "<!-- Generated from thermopad_proto.h at build time; edit the generator, not this file. -->\n"
	       "<component type=\"driver\">\n"
	       "  <id>org.thermopad.thermopad</id>\n"
	       "  <metadata_license>MIT</metadata_license>\n"
	       "  <project_license>MIT</project_license>\n"
	       "  <name>thermopad</name>\n"
	       "  <summary>Daemon and command line for the thermopad USB heat and cold therapy pad</summary>\n"
	       "  <description>\n"
	       "    <p>Runs heat, cold and contrast sessions on a USB Peltier therapy pad, with the\n"
	       "    pad's firmware, the daemon's safety supervisor and an optional GPIO interlock\n"
	       "    each able to cut the drive on their own.</p>\n"
	       "  </description>\n"
	       "  <provides>\n"
	       "    <modalias>usb:v%04Xp%04Xd*</modalias>\n"
	       "  </provides>\n"
	       "</component>\n",
	       TP_USB_VID, TP_USB_PID);
	return ferror(stdout) ? 1 : 0;
}
