/* SPDX-License-Identifier: MIT */
#include "usb_descriptors.h"

#include <string.h>

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v & 0xff);
	b[1] = (uint8_t)(v >> 8);
}

static uint8_t bcd(uint8_t v)
{
	return (uint8_t)(((v / 10) % 10) << 4 | (v % 10));
}

size_t usbdesc_device(uint8_t *buf, size_t cap, uint8_t fw_major, uint8_t fw_minor)
{
	if (cap < USBDESC_DEVICE_LEN)
		return 0;
	buf[0] = USBDESC_DEVICE_LEN;
	buf[1] = 0x01; /* DEVICE */
	put16(buf + 2, 0x0200); /* USB 2.0 */
	buf[4] = 0x00; /* class per interface */
	buf[5] = 0x00;
	buf[6] = 0x00;
	buf[7] = 64; /* ep0 max packet */
	put16(buf + 8, TP_USB_VID);
	put16(buf + 10, TP_USB_PID);
	buf[12] = bcd(fw_minor);
	buf[13] = bcd(fw_major);
	buf[14] = USBDESC_STR_MANUFACTURER;
	buf[15] = USBDESC_STR_PRODUCT;
	buf[16] = USBDESC_STR_SERIAL;
	buf[17] = 1; /* one configuration */
	return USBDESC_DEVICE_LEN;
}

size_t usbdesc_config(uint8_t *buf, size_t cap)
{
	static const uint8_t config[USBDESC_CONFIG_TOTAL_LEN] = {
		/* configuration: 1 interface, value 1, bus powered, 100 mA: the
		 * module's power comes from the 12 V supply, not from USB */
		9, 0x02, USBDESC_CONFIG_TOTAL_LEN, 0, 1, 1, 0, 0x80, 50,
		/* interface 0: vendor specific, one endpoint */
		9, 0x04, TP_USB_INTERFACE, 0, 1, 0xff, 0x00, 0x00, 0,
		/* endpoint: telemetry, interrupt IN */
		7, 0x05, TP_EP_TELEMETRY, 0x03, TP_EP_TELEMETRY_SIZE, 0, TP_EP_TELEMETRY_INTERVAL,
	};
	if (cap < sizeof config)
		return 0;
	memcpy(buf, config, sizeof config);
	return sizeof config;
}

size_t usbdesc_string(uint8_t index, const char *serial, uint8_t *buf, size_t cap)
{
	const char *s;
	switch (index) {
	case 0:
		if (cap < 4)
			return 0;
		buf[0] = 4;
		buf[1] = 0x03;
		put16(buf + 2, 0x0409);
		return 4;
	case USBDESC_STR_MANUFACTURER: s = USBDESC_MANUFACTURER; break;
	case USBDESC_STR_PRODUCT: s = USBDESC_PRODUCT; break;
	case USBDESC_STR_SERIAL: s = serial; break;
	default: return 0;
	}
	size_t n = strlen(s), len = 2 + 2 * n;
	if (len > 255 || cap < len)
		return 0;
	buf[0] = (uint8_t)len;
	buf[1] = 0x03;
	for (size_t i = 0; i < n; i++) {
		buf[2 + 2 * i] = (uint8_t)s[i];
		buf[3 + 2 * i] = 0;
	}
	return len;
}
