/*
 * gcalctl: declarations shared by its files. Include it first in every
 * file of gcalctl/ (it sets _POSIX_C_SOURCE before any system header).
 *
 *   main.c         global options, the command table, usage, main
 *   util.c         growable strings, the arena, files, times
 *   json.c         the JSON reader (json.h), on vendor/jsmn.h (MIT, vendor/README.md)
 *   output.c       human and --json output, error reporting, prompts
 *   handle.c       opening the handle, stored options, the emulator
 *   cmd_auth.c     set-client, auth-url, authorize, device-login, reset
 *   cmd_workspace.c set-service-account (Workspace mode)
 *   cmd_status.c   status
 *   cmd_backup.c   export, import
 *   cmd_options.c  set-option
 *   cmd_meetings.c the meeting file; push, cancel, sync
 *   cmd_read.c     calendars, events, sync-events, busy
 *   cmd_probe.c    probe (what Google leaves undocumented, settled live)
 */
#ifndef GCALCTL_CLI_H
#define GCALCTL_CLI_H

#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gs_gcal.h"
#include "json.h"

/* Exit codes (documented in --help and docs/gcalctl.md). */
enum {
    EXIT_DONE = 0,         /* done */
    EXIT_FAILED = 1,       /* the operation failed: Google refused, network, ... */
    EXIT_USAGE = 2,        /* bad command line or invalid input */
    EXIT_QUEUED = 3,       /* accepted offline: stored, `sync` sends it later */
    EXIT_AUTH = 4,         /* not configured or not authorized: the admin must act */
    EXIT_LOCAL = 5,        /* local error: state directory, files */
    EXIT_INTERRUPTED = 130 /* Ctrl-C (128 + SIGINT, as shells report it) */
};

#define PROG "gcalctl"
/* Stored options, applied after every open (the library keeps none). */
#define OPTIONS_FILE "gcalctl.options"
#define MAX_OPTIONS 64
/* Largest meeting file or backup we read. */
#define MAX_FILE_SIZE (1 << 20)
/* Secrets, codes and passphrases typed or piped in. */
#define MAX_LINE 4096
/* Budget of `sync` when none is given, in ms. */
#define DEFAULT_SYNC_BUDGET 30000

/* Set by SIGINT/SIGTERM (main.c); long waits check it. */
extern volatile sig_atomic_t interrupted;

/* A growable NUL-terminated string. */
typedef struct strbuf {
    char *data;
    size_t len, cap;
} strbuf;

typedef struct stored_option {
    char *key, *value;
} stored_option;

/* The invocation: options, handle, output, errors. */
typedef struct cli {
    /* global options */
    bool json;                 /* --json: one JSON object on stdout */
    int verbose;               /* -v: library log lines on stderr */
    bool emulator;             /* --emulator[=FILE] */
    const char *emulator_file; /* NULL: $GS_GCAL_EMULATOR */
    long timeout_ms;           /* --timeout, 0 = library default */
    /* the command */
    const char *state_dir;
    const char *command;
    gs_gcal *h;
    stored_option options[MAX_OPTIONS]; /* from STATE_DIR/gcalctl.options */
    size_t option_count;
    /* --json: the success object being built, or the failure */
    strbuf out;
    bool failed;
    char err_message[768];
    char err_text[160];
    char err_detail[GS_GCAL_ERROR_SIZE];
    long err_code; /* library code, or -1 for the program's own errors */
    int err_exit;
    bool keep_output; /* --json: print the members built even on failure */
} cli;

typedef enum read_result {
    READ_OK,
    READ_EOF,
    READ_TOO_LONG,
    READ_INTERRUPTED,
    READ_ERROR
} read_result;

/* A function that writes text into a caller buffer, in the library's
   buf/len/needed convention. */
typedef gs_gcal_result (*fill_fn)(gs_gcal *h, const void *arg, char *buf, size_t len,
                                  size_t *needed);

/* util.c */
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
void wipe(void *p, size_t n);
void sb_puts(strbuf *b, const char *s);
void sb_printf(strbuf *b, const char *fmt, ...);
void sb_json_str(strbuf *b, const char *s);
void sb_free(strbuf *b);
int read_file(const char *path, char **out, size_t *len);
int write_file_atomic(const char *path, const char *text);
void format_utc(int64_t t, char *out, size_t cap);
void format_local(int64_t t, bool time_only, char *out, size_t cap);
bool parse_time(const char *s, bool end_of_day, int64_t *out);
void format_duration(long long secs, char *out, size_t cap);
double monotonic_seconds(void);
void nap(double seconds);

/* output.c */
int exit_code_for(gs_gcal_result rc);
void print_hint(const cli *c, gs_gcal_result rc);
int fail(cli *c, gs_gcal_result rc, const char *fmt, ...);
int fail_plain(cli *c, int exit_code, const char *fmt, ...);
int usage_error(cli *c, const char *fmt, ...);
void out_key(cli *c, const char *key);
void out_str(cli *c, const char *key, const char *value);
void out_int(cli *c, const char *key, long long value);
void out_bool(cli *c, const char *key, bool value);
void out_raw(cli *c, const char *key, const char *json_text);
void print_json_result(cli *c, int exit_code);
FILE *human(const cli *c);
read_result read_line(const char *prompt, bool hide, char *buf, size_t cap);
int read_failure(cli *c, read_result r, const char *what);
int get_passphrase(cli *c, bool confirm, bool stdin_taken, char *buf, size_t cap);

/* handle.c */
gs_gcal_result fetch_text(gs_gcal *h, fill_fn fill, const void *arg, char **out);
const json *get_status(cli *c, arena *a, char **text);
void get_state(cli *c, char *out, size_t cap);
void log_line_to_stderr(int32_t level, const char *line);
void enable_library_log(int verbose);
const char *shown_value(const stored_option *o);
int save_options(cli *c);
int open_handle(cli *c, bool create, bool lenient, const char *skip_key);

/* cmd_auth.c */
int cmd_set_client(cli *c, int argc, char **argv);
int cmd_set_service_account(cli *c, int argc, char **argv);
int cmd_auth_url(cli *c, int argc, char **argv);
void report_authorized(cli *c);
int cmd_authorize(cli *c, int argc, char **argv);
int cmd_device_login(cli *c, int argc, char **argv);
int cmd_reset(cli *c, int argc, char **argv);

/* cmd_status.c */
const char *state_words(const char *state);
int cmd_status(cli *c, int argc, char **argv);

/* cmd_backup.c */
int cmd_export(cli *c, int argc, char **argv);
int cmd_import(cli *c, int argc, char **argv);

/* cmd_options.c */
int cmd_set_option(cli *c, int argc, char **argv);

/* cmd_meetings.c */
int cmd_push(cli *c, int argc, char **argv);
int cmd_cancel(cli *c, int argc, char **argv);
int cmd_sync(cli *c, int argc, char **argv);

/* cmd_read.c */
int cmd_calendars(cli *c, int argc, char **argv);
int cmd_events(cli *c, int argc, char **argv);
int cmd_sync_events(cli *c, int argc, char **argv);
int cmd_busy(cli *c, int argc, char **argv);

/* cmd_presence.c */
int cmd_presence(cli *c, int argc, char **argv);
int cmd_replies(cli *c, int argc, char **argv);
/* cmd_probe.c */
int cmd_probe(cli *c, int argc, char **argv);

#endif
