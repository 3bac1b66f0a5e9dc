/* SPDX-License-Identifier: MIT */
/*
 * NTC front end of the reference board (see fw_core.h): a 10 kohm, beta
 * 3950 thermistor to ground under a 10 kohm pull-up, read by a 16-bit
 * oversampled ADC. The beta equation is exact enough for a skin pad over
 * 0-100 C; a microcontroller with an FPU runs this as is.
 */
#include "fw_core.h"

#include <math.h>

#define NTC_R25 10000.0
#define NTC_BETA 3950.0
#define NTC_PULLUP 10000.0
#define KELVIN 273.15

int16_t fw_ntc_code_to_cc(uint16_t code)
{
	if (code < FW_ADC_SHORT_BELOW || code > FW_ADC_OPEN_ABOVE)
		return TP_TEMP_INVALID;
	double ratio = (double)code / (double)FW_ADC_MAX;
	double r = NTC_PULLUP * ratio / (1.0 - ratio);
	double inv_t = 1.0 / (25.0 + KELVIN) + log(r / NTC_R25) / NTC_BETA;
	double cc = (1.0 / inv_t - KELVIN) * 100.0;
	if (cc < TP_TEMP_MIN_CC || cc > TP_TEMP_MAX_CC)
		return TP_TEMP_INVALID;
	return (int16_t)lround(cc);
}

uint16_t fw_ntc_cc_to_code(int32_t cc)
{
	double t = cc / 100.0 + KELVIN;
	double r = NTC_R25 * exp(NTC_BETA * (1.0 / t - 1.0 / (25.0 + KELVIN)));
	double code = (double)FW_ADC_MAX * r / (r + NTC_PULLUP);
	if (code < 0.0)
		return 0;
	if (code > FW_ADC_MAX)
		return FW_ADC_MAX;
	return (uint16_t)lround(code);
}
