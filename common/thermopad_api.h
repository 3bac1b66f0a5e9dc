/* SPDX-License-Identifier: MIT */
/*
 * The daemon's socket API, shared by thermopadd and thermopad: names, the
 * protocol version and the stable error codes. docs/api.md documents every
 * request.
 */
#ifndef THERMOPAD_API_H
#define THERMOPAD_API_H

#define THERMOPAD_VERSION "0.2.0"
#define API_VERSION 1
#define API_DEFAULT_SOCKET "/run/thermopad/thermopad.sock"
#define API_SOCKET_NAME "thermopad.sock"

/* error codes: stable, for scripts */
#define API_ERR_BAD_REQUEST "bad-request"
#define API_ERR_VERSION "unsupported-version"
#define API_ERR_UNKNOWN_COMMAND "unknown-command"
#define API_ERR_TOO_LARGE "too-large"
#define API_ERR_NOT_PERMITTED "not-permitted"
#define API_ERR_NO_PAD "no-pad"
#define API_ERR_PAD_AMBIGUOUS "pad-ambiguous"
#define API_ERR_FAULT_ACTIVE "fault-active"
#define API_ERR_UNKNOWN_PROFILE "unknown-profile"
#define API_ERR_INVALID_PROFILE "invalid-profile"
#define API_ERR_INVALID_OVERRIDE "invalid-override"
#define API_ERR_REFUSED "refused"
#define API_ERR_BUSY "busy"
#define API_ERR_INVALID_CONFIG "invalid-config"
#define API_ERR_NO_SESSION "no-session"
#define API_ERR_IDLE "idle-timeout"
#define API_ERR_INTERNAL "internal" /* a reply the daemon could not encode */

#endif
