/*
 * Shared helpers of the C tests: expectations, the emulator's description
 * (from GS_GCAL_EMULATOR, set by ffi-tests/run.sh), a tiny HTTP client for
 * the emulator's plain-HTTP control port, and temporary state directories.
 */
#ifndef GS_GCAL_HARNESS_H
#define GS_GCAL_HARNESS_H

#include <stddef.h>
#include "gs_gcal.h"

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
/* Calls `each` for every event object of an emulator /control/events dump
   ({"calendar":[{event},...],...}) that contains `needle` (master events
   and exceptions alike); returns how many there were. `each` may be NULL. */
int h_each_event(const char *dump, const char *needle, void (*each)(const char *event, void *ctx),
                 void *ctx);
/* Extracts the string value of "key" from flat JSON (handles \" \\ \/ escapes). */
int h_json_string(const char *json, const char *key, char *out, size_t cap);
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
