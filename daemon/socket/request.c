/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "thermopad_api.h"
#include "socket/request.h"

/* Field rules: what each command accepts. A field a command does not
 * list is ignored, so that an older daemon can serve a newer client. */
#define F_PAD 0x01
#define F_PROFILE 0x02 /* required */
#define F_TEXT 0x04
#define F_SETS 0x08
#define F_MINUTES 0x10 /* required */
#define F_DIRECTION 0x20 /* required */
#define F_RATE 0x40
#define F_SESSION 0x80 /* required, with offset and limit */
#define F_TEXT_REQUIRED 0x100

static const struct {
	const char *name;
	bool control;
	unsigned fields;
} commands[REQ_COUNT] = {
	[REQ_VERSION] = {"version", false, 0},
	[REQ_STATUS] = {"status", false, F_PAD},
	[REQ_DEVICES] = {"devices", false, 0},
	[REQ_START] = {"start", true, F_PAD | F_PROFILE | F_TEXT | F_SETS},
	[REQ_STOP] = {"stop", true, F_PAD},
	[REQ_PAUSE] = {"pause", true, F_PAD},
	[REQ_RESUME] = {"resume", true, F_PAD},
	[REQ_SKIP] = {"skip", true, F_PAD},
	[REQ_EXTEND] = {"extend", true, F_PAD | F_MINUTES},
	[REQ_CLEAR_FAULTS] = {"clear-faults", true, F_PAD},
	[REQ_TUNE] = {"tune", true, F_PAD | F_DIRECTION},
	[REQ_PROFILES_LIST] = {"profiles-list", false, 0},
	[REQ_PROFILES_SHOW] = {"profiles-show", false, F_PROFILE},
	[REQ_PROFILES_VALIDATE] = {"profiles-validate", false, F_PROFILE | F_TEXT | F_TEXT_REQUIRED | F_SETS},
	[REQ_RELOAD] = {"reload", true, 0},
	[REQ_SESSIONS_LIST] = {"sessions-list", false, 0},
	[REQ_SESSION_SAMPLES] = {"session-samples", false, F_SESSION},
	[REQ_SUBSCRIBE] = {"subscribe", false, F_RATE},
};

static int fail(struct request_error *err, const char *code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct request_error *err, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	err->code = code;
	return -1;
}

/* A name that can only be a file's base name: no path, no dot files. */
static bool plain_name(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n >= max || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return false;
	return true;
}

static int string_field(json_t *root, const char *key, bool required, const char **out, struct request_error *err)
{
	json_t *v = json_object_get(root, key);
	if (!v) {
		*out = NULL;
		return required ? fail(err, API_ERR_BAD_REQUEST, "missing \"%s\"", key) : 0;
	}
	if (!json_is_string(v))
		return fail(err, API_ERR_BAD_REQUEST, "\"%s\" must be a string", key);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail(err, API_ERR_BAD_REQUEST, "\"%s\" holds a NUL character", key);
	*out = json_string_value(v);
	return 0;
}

static int number_field(json_t *root, const char *key, double lo, double hi, double *out, struct request_error *err)
{
	json_t *v = json_object_get(root, key);
	if (!v)
		return fail(err, API_ERR_BAD_REQUEST, "missing \"%s\"", key);
	double x = json_number_value(v);
	if (!json_is_number(v) || !isfinite(x) || x < lo || x > hi)
		return fail(err, API_ERR_BAD_REQUEST, "\"%s\" must be a number from %g to %g", key, lo, hi);
	*out = x;
	return 0;
}

static int fields(struct request *r, unsigned f, struct request_error *err)
{
	json_t *root = r->root;
	if ((f & F_PAD) && string_field(root, "pad", false, &r->pad, err))
		return -1;
	if (r->pad && !plain_name(r->pad, 64))
		return fail(err, API_ERR_BAD_REQUEST, "\"pad\" is not a serial number");
	if ((f & F_PROFILE) && string_field(root, "profile", true, &r->profile, err))
		return -1;
	if (r->profile && !plain_name(r->profile, 32))
		return fail(err, API_ERR_BAD_REQUEST, "\"profile\" must be a name of 1-31 letters, digits, '-', '_' or '.'");
	if ((f & F_TEXT) && string_field(root, "profile_text", f & F_TEXT_REQUIRED, &r->profile_text, err))
		return -1;
	if (f & F_SETS) {
		json_t *sets = json_object_get(root, "set");
		if (sets && !json_is_array(sets))
			return fail(err, API_ERR_BAD_REQUEST, "\"set\" must be an array of \"KEY=VALUE\" strings");
		if (json_array_size(sets) > REQUEST_MAX_SETS)
			return fail(err, API_ERR_BAD_REQUEST, "at most %d overrides", REQUEST_MAX_SETS);
		size_t i;
		json_t *v;
		json_array_foreach(sets, i, v)
		{
			if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
				return fail(err, API_ERR_BAD_REQUEST, "\"set\" must be an array of \"KEY=VALUE\" strings");
			r->sets[r->nsets++] = json_string_value(v);
		}
	}
	if ((f & F_MINUTES) && number_field(root, "minutes", 0.1, 60.0, &r->minutes, err))
		return -1;
	if (f & F_DIRECTION) {
		const char *dir;
		if (string_field(root, "direction", true, &dir, err))
			return -1;
		if (strcmp(dir, "heat") && strcmp(dir, "cool"))
			return fail(err, API_ERR_BAD_REQUEST, "\"direction\" must be \"heat\" or \"cool\"");
		r->heat = !strcmp(dir, "heat");
	}
	if (f & F_RATE) {
		r->rate_hz = 1.0;
		if (json_object_get(root, "rate_hz") && number_field(root, "rate_hz", 0.1, 10.0, &r->rate_hz, err))
			return -1;
	}
	if (f & F_SESSION) {
		double off = 0, lim = 100000;
		if (string_field(root, "session", true, &r->session, err))
			return -1;
		if (!plain_name(r->session, 96))
			return fail(err, API_ERR_BAD_REQUEST, "\"session\" is not a session id");
		if (json_object_get(root, "offset") && number_field(root, "offset", 0, 1e9, &off, err))
			return -1;
		if (json_object_get(root, "limit") && number_field(root, "limit", 1, 100000, &lim, err))
			return -1;
		r->offset = (long)off;
		r->limit = (long)lim;
	}
	return 0;
}

int request_parse(const char *line, size_t len, struct request *out, json_t **id_out, struct request_error *err)
{
	memset(out, 0, sizeof *out);
	if (id_out)
		*id_out = NULL;
	json_error_t jerr;
	json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return fail(err, API_ERR_BAD_REQUEST, "not JSON: %s", jerr.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return fail(err, API_ERR_BAD_REQUEST, "a request is a JSON object");
	}
	out->root = root;
	out->id = json_object_get(root, "id");
	json_t *v = json_object_get(root, "v");
	const char *cmd = json_string_value(json_object_get(root, "cmd"));
	int rc = 0;
	if (!json_is_integer(v) || json_integer_value(v) != API_VERSION)
		rc = fail(err, API_ERR_VERSION, "this daemon speaks API version %d (\"v\":%d)", API_VERSION, API_VERSION);
	else if (!cmd)
		rc = fail(err, API_ERR_BAD_REQUEST, "missing \"cmd\"");
	else if (!json_is_integer(out->id) && !json_is_string(out->id))
		rc = fail(err, API_ERR_BAD_REQUEST, "\"id\" must be an integer or a string: the reply echoes it");
	if (rc == 0) {
		int i = 0;
		while (i < REQ_COUNT && strcmp(commands[i].name, cmd))
			i++;
		if (i == REQ_COUNT)
			rc = fail(err, API_ERR_UNKNOWN_COMMAND, "unknown command \"%.64s\"", cmd);
		else {
			out->cmd = (enum request_cmd)i;
			out->name = commands[i].name;
			out->control = commands[i].control;
			rc = fields(out, commands[i].fields, err);
		}
	}
	if (rc != 0) {
		if (id_out && out->id)
			*id_out = json_incref(out->id);
		request_free(out);
	}
	return rc;
}

void request_free(struct request *r)
{
	json_decref(r->root);
	memset(r, 0, sizeof *r);
}
