/*
 * Shared helpers of the C tests: expectations, the emulator's description
 * (from GS_GCAL_EMULATOR, set by ffi-tests/run.sh), a tiny HTTP client for
 * the emulator's plain-HTTP control port, temporary state directories, and
 * path accessors for JSON answers (status, listings, reports, dumps).
 */
#ifndef GS_GCAL_HARNESS_H
#define GS_GCAL_HARNESS_H

#include <stddef.h>
#include "gs_gcal.h"
/* JSON: gcalctl's strict reader (gcalctl/json.{c,h}, on the vendored jsmn),
   compiled into every test; the accessors below read its tree. */
#include "json.h"

/* The emulator's endpoints and test project, read from its startup line. */
typedef struct emulator {
    char auth_endpoint[256];
    char token_endpoint[256];
    char calendar_api_base[256];
    char ca_file[512];
    char client_id[256];
    char client_secret[256];
    char redirect_uri[256];
    char account[256];
    char device_endpoint[256];
    char revoke_endpoint[256];
    char device_client_id[256];
    char device_client_secret[256];
    int control_port;
} emulator;

extern int h_failures;
extern int h_checks;

/* Records one expectation; prints "not ok" with the location on failure. */
void h_check(int ok, const char *what, const char *file, int line);
#define CHECK(cond) h_check(!!(cond), #cond, __FILE__, __LINE__)
/* Expects an exact result code, and prints the handle's detail if it differs. */
void h_expect_rc(gs_gcal *h, gs_gcal_result got, gs_gcal_result want, const char *what,
                 const char *file, int line);
#define EXPECT_RC(h, call, want) h_expect_rc((h), (call), (want), #call, __FILE__, __LINE__)
/* Prints the summary line and returns the process exit code. */
int h_finish(const char *suite);

/* Routes every library log line (process-wide) to $GS_GCAL_LOG_FILE when
   set; h_emulator calls it. */
void h_log_to_file(void);
/* Reads GS_GCAL_EMULATOR; exits with a message when absent. */
void h_emulator(emulator *e);
/* One request to the control port; returns the HTTP status or -1. The
   response body (NUL-terminated, truncated to cap-1) goes to out if given. */
int h_control(const emulator *e, const char *method, const char *path, const char *body,
              char *out, size_t cap);
/* POSTs a JSON body to a control path and records a check that it answered 200. */
void h_post(const emulator *e, const char *path, const char *json, const char *file, int line);
#define POST_OK(e, path, json) h_post((e), (path), (json), __FILE__, __LINE__)
/* The emulator's request counter `name` (0 when absent, -1 on failure). */
long h_counter(const emulator *e, const char *name);
/* A fresh state directory (into dir) and a handle on it, pointed at the
   emulator, configured with its web client and authorized through consent.
   Returns NULL (with failed checks recorded) if any step fails. */
gs_gcal *h_open_authorized(const emulator *e, char *dir, size_t cap);
/* Parses a whole JSON document into a tree allocated from `a` (free it
   with arena_free). Returns NULL, printing why ("line L, column C: ..."),
   when text is NULL or not valid JSON. */
const json *h_json_parse(arena *a, const char *text);
/* The value at `path` below v, or NULL when any step is missing (or v is
   NULL). A path is member names and array indexes: "state",
   "health.last_failure.class", "events[0].summary", "[2]" (v an array);
   a member name with dots or brackets is quoted: "[\"events.insert\"]".
   "" is v itself. */
const json *h_json_at(const json *v, const char *path);
/* The string at path, copied into buf: 0, or -1 when absent, not a string
   or longer than cap-1. */
int h_json_str(const json *v, const char *path, char *buf, size_t cap);
/* The whole number at path: 0, or -1 when absent or not a whole number. */
int h_json_int(const json *v, const char *path, long long *out);
/* The boolean at path (1 or 0): 0, or -1 when absent or not a boolean. */
int h_json_bool(const json *v, const char *path, int *out);
/* Whether the value at path is present and null. */
int h_json_is_null(const json *v, const char *path);
/* Elements of the array (members of the object) at path; -1 when absent
   or neither. */
long h_json_len(const json *v, const char *path);
/* Whether the value at path is the string `want` / the whole number `want`
   / the boolean `want`. */
int h_json_str_is(const json *v, const char *path, const char *want);
int h_json_int_is(const json *v, const char *path, long long want);
int h_json_bool_is(const json *v, const char *path, int want);
/* The first element of the array at path whose string at `key` (a path
   inside the element) is `want`; NULL when none. */
const json *h_json_find(const json *v, const char *path, const char *key, const char *want);
/* How many elements of the array at path have the string `want` at `key`. */
long h_json_count(const json *v, const char *path, const char *key, const char *want);
/* The same as h_json_find, for the first element whose string at `key`
   contains `part`. */
const json *h_json_find_has(const json *v, const char *path, const char *key, const char *part);
/* The handle's status document (gs_gcal_status_json), parsed into `a`;
   NULL when the call fails or the answer is not JSON. */
const json *h_status(gs_gcal *h, arena *a);
/* Whether the status's string at path is `want` / contains `part`, its
   whole number at path is `want`, the value at path is null. */
int h_status_str_is(gs_gcal *h, const char *path, const char *want);
int h_status_str_has(gs_gcal *h, const char *path, const char *part);
int h_status_int_is(gs_gcal *h, const char *path, long long want);
int h_status_is_null(gs_gcal *h, const char *path);
/* The same on a JSON text at hand (parsed, checked, freed). */
int h_text_str_is(const char *text, const char *path, const char *want);
int h_text_int_is(const char *text, const char *path, long long want);
int h_text_is_null(const char *text, const char *path);
int h_text_bool_is(const char *text, const char *path, int want);
int h_text_str_has(const char *text, const char *path, const char *part);
/* Calls `each` for every event of an emulator /control/events dump
   ({"calendar":[{event},...],...}) whose extendedProperties.private.
   gsGcalMeetingId is `meeting_id` (every event when NULL), master events
   and exceptions alike; returns how many there were (-1 when the dump is
   not JSON). `each` may be NULL. */
int h_each_event(const char *dump, const char *meeting_id,
                 void (*each)(const json *event, void *ctx), void *ctx);
/* The string value of the top-level member `key` of a JSON object (the
   emulator's startup line, control answers): 0, or -1 when absent, not a
   string or too long. */
int h_json_string(const char *text, const char *key, char *out, size_t cap);
/* Creates a fresh private directory under $TMPDIR or /tmp. */
void h_tempdir(char *out, size_t cap);
/* Removes what h_tempdir created (files one level deep). */
void h_rmdir(const char *dir);
/* Points a handle at the emulator: endpoints and its CA. */
void h_use_emulator(gs_gcal *h, const emulator *e);
/* Pushes a meeting; copies the event id (if event_id is not NULL, at least
   GS_GCAL_EVENT_ID_SIZE bytes) and the skipped count (if count is not NULL). */
gs_gcal_result h_push(gs_gcal *h, const gs_gcal_meeting *m, char *event_id, size_t *skipped,
                      size_t cap, size_t *count);
/* Plays the administrator in the browser: sends the auth URL to the
   emulator's consent control and copies the redirect URL it returns. */
int h_consent(const emulator *e, const char *auth_url, const char *decision, char *redirect,
              size_t cap);

#endif
