/* SPDX-License-Identifier: MIT */
/*
 * The pad's USB descriptors, built from the protocol header: the single
 * source the simulator presents and PROTOCOL.md describes.
 */
#ifndef THERMOPAD_USB_DESCRIPTORS_H
#define THERMOPAD_USB_DESCRIPTORS_H

#include "thermopad_proto.h"

#define USBDESC_DEVICE_LEN 18
#define USBDESC_CONFIG_TOTAL_LEN (9 + 9 + 7)
#define USBDESC_STR_MANUFACTURER 1
#define USBDESC_STR_PRODUCT 2
#define USBDESC_STR_SERIAL 3
#define USBDESC_MANUFACTURER "thermopad project"
#define USBDESC_PRODUCT "thermopad Peltier therapy pad"

/* Each returns the bytes written, or 0 if cap is too small. */
size_t usbdesc_device(uint8_t *buf, size_t cap, uint8_t fw_major, uint8_t fw_minor);
size_t usbdesc_config(uint8_t *buf, size_t cap);
/* index 0 is the language list (US English); 1-3 as above; UTF-16LE. */
size_t usbdesc_string(uint8_t index, const char *serial, uint8_t *buf, size_t cap);

#endif
