/* gcalctl: human and --json output, error reporting, reading secrets and lines. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Exit codes, errors, --json output                                        */
/* ------------------------------------------------------------------------ */

/* Which exit code a library result maps to. */
int exit_code_for(gs_gcal_result rc) {
    if (rc == GS_GCAL_OK)
        return EXIT_DONE;
    if (rc == GS_GCAL_QUEUED)
        return EXIT_QUEUED;
    if (rc == GS_GCAL_NOT_CONFIGURED || rc == GS_GCAL_NOT_AUTHORIZED ||
        rc == GS_GCAL_REAUTH_REQUIRED)
        return EXIT_AUTH;
    if (rc == GS_GCAL_CA_FILE || rc == GS_GCAL_STORAGE_IO || rc == GS_GCAL_STATE_CORRUPT ||
        rc == GS_GCAL_STATE_LOCKED)
        return EXIT_LOCAL;
    /* Caller errors (100-199) and rejected option values (200-202): the
       command line or the input file is wrong. */
    if ((rc >= 100 && rc < 200) || rc == GS_GCAL_UNKNOWN_OPTION ||
        rc == GS_GCAL_INVALID_OPTION_VALUE || rc == GS_GCAL_INSECURE_URL)
        return EXIT_USAGE;
    return EXIT_FAILED;
}

/* Prints the admin action for a result, when there is an obvious one. */
void print_hint(const cli *c, gs_gcal_result rc) {
    const char *d = c->state_dir;
    switch (rc) {
    case GS_GCAL_NOT_CONFIGURED:
        fprintf(stderr, PROG ": hint: enter the OAuth client first: " PROG " %s set-client "
                        "CLIENT_ID - [REDIRECT_URI]\n", d);
        break;
    case GS_GCAL_NOT_AUTHORIZED:
    case GS_GCAL_REAUTH_REQUIRED:
        fprintf(stderr, PROG ": hint: authorize: " PROG " %s auth-url, then " PROG " %s "
                        "authorize 'ADDRESS' (or " PROG " %s device-login)\n", d, d, d);
        break;
    case GS_GCAL_STATE_LOCKED:
        fputs(PROG ": hint: another program (the PBX service, another " PROG ") has the state "
                   "directory open; stop it or try again\n", stderr);
        break;
    case GS_GCAL_CLOCK_NOT_SET:
        fputs(PROG ": hint: set the system clock (NTP) and try again\n", stderr);
        break;
    default:
        break;
    }
}

/* Records a failure for --json and prints its one line on stderr. */
static int record_failure(cli *c, int exit_code, long code, const char *text, const char *detail,
                          const char *message) {
    c->failed = true;
    c->err_exit = exit_code;
    c->err_code = code;
    snprintf(c->err_message, sizeof c->err_message, "%s", message);
    snprintf(c->err_text, sizeof c->err_text, "%s", text ? text : "");
    snprintf(c->err_detail, sizeof c->err_detail, "%s", detail ? detail : "");
    fprintf(stderr, PROG ": %s\n", message);
    return exit_code;
}

/* Reports a failed library call:
     gcalctl: <what failed>: <gs_gcal_strerror> — <gs_gcal_last_error>
   and, where there is one, the admin action on a second line. Returns the
   exit code. */
int fail(cli *c, gs_gcal_result rc, const char *fmt, ...) {
    char what[384], detail[GS_GCAL_ERROR_SIZE] = "", message[768];
    const char *text = gs_gcal_strerror(rc);
    va_list ap;
    int code;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (c->h != NULL && gs_gcal_last_error(c->h, detail, sizeof detail) != GS_GCAL_OK)
        detail[0] = '\0';
    if (detail[0] != '\0' && strcmp(detail, text) != 0)
        snprintf(message, sizeof message, "%s: %s \xE2\x80\x94 %s", what, text, detail);
    else
        snprintf(message, sizeof message, "%s: %s", what, text);
    code = record_failure(c, exit_code_for(rc), rc, text, detail, message);
    print_hint(c, rc);
    return code;
}

/* Reports an error of the program itself (usage, files). */
int fail_plain(cli *c, int exit_code, const char *fmt, ...) {
    char message[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return record_failure(c, exit_code, -1, NULL, NULL, message);
}

int usage_error(cli *c, const char *fmt, ...) {
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    fail_plain(c, EXIT_USAGE, "%s", message);
    fputs(PROG ": hint: see '" PROG " --help'\n", stderr);
    return EXIT_USAGE;
}

/* --json output: members of the result object, in order. */
void out_key(cli *c, const char *key) {
    sb_puts(&c->out, ",");
    sb_json_str(&c->out, key);
    sb_puts(&c->out, ":");
}

void out_str(cli *c, const char *key, const char *value) {
    out_key(c, key);
    sb_json_str(&c->out, value);
}

void out_int(cli *c, const char *key, long long value) {
    out_key(c, key);
    sb_printf(&c->out, "%lld", value);
}

void out_bool(cli *c, const char *key, bool value) {
    out_key(c, key);
    sb_puts(&c->out, value ? "true" : "false");
}

/* JSON text from the library, embedded as it is. */
void out_raw(cli *c, const char *key, const char *json_text) {
    out_key(c, key);
    sb_puts(&c->out, json_text);
}

/* Prints the one JSON object of --json: the result, or the failure. */
void print_json_result(cli *c, int exit_code) {
    strbuf b = {0};
    if (!c->failed) {
        sb_puts(&b, "{\"ok\":true,\"command\":");
        sb_json_str(&b, c->command);
        sb_printf(&b, ",\"exit_code\":%d", exit_code);
        if (c->out.data != NULL)
            sb_puts(&b, c->out.data);
        sb_puts(&b, "}");
    } else {
        sb_puts(&b, "{\"ok\":false,\"command\":");
        sb_json_str(&b, c->command[0] ? c->command : NULL);
        sb_printf(&b, ",\"exit_code\":%d,\"error\":{\"message\":", exit_code);
        sb_json_str(&b, c->err_message);
        if (c->err_code >= 0) {
            sb_printf(&b, ",\"code\":%ld,\"text\":", c->err_code);
            sb_json_str(&b, c->err_text);
            sb_puts(&b, ",\"detail\":");
            sb_json_str(&b, c->err_detail[0] ? c->err_detail : NULL);
        }
        sb_puts(&b, "}");
        if (c->keep_output && c->out.data != NULL)
            sb_puts(&b, c->out.data);
        sb_puts(&b, "}");
    }
    puts(b.data);
    fflush(stdout);
    sb_free(&b);
}

/* Human output goes to stdout unless --json owns it; then to stderr. */
FILE *human(const cli *c) {
    return c->json ? stderr : stdout;
}
/* ------------------------------------------------------------------------ */
/* Reading secrets and lines                                                */
/* ------------------------------------------------------------------------ */

/* Reads one line from stdin into buf (without its line end). On a terminal
   it first prompts on stderr and, when `hide`, turns echo off while the
   line is typed (and back on, also on Ctrl-C). */
read_result read_line(const char *prompt, bool hide, char *buf, size_t cap) {
    struct termios saved, quiet;
    bool restore = false;
    read_result r = READ_OK;
    size_t n;
    if (isatty(STDIN_FILENO)) {
        fputs(prompt, stderr);
        fflush(stderr);
        if (hide && tcgetattr(STDIN_FILENO, &saved) == 0) {
            quiet = saved;
            quiet.c_lflag &= ~(tcflag_t)ECHO;
            restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
        }
    }
    if (fgets(buf, (int)cap, stdin) == NULL) {
        r = interrupted ? READ_INTERRUPTED : ferror(stdin) ? READ_ERROR : READ_EOF;
        goto out;
    }
    n = strlen(buf);
    if (n > 0 && buf[n - 1] == '\n')
        buf[--n] = '\0';
    else if (!feof(stdin))
        r = READ_TOO_LONG;
    if (n > 0 && buf[n - 1] == '\r')
        buf[--n] = '\0';
out:
    if (restore) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        fputc('\n', stderr);
    }
    if (r != READ_OK)
        wipe(buf, cap);
    return r;
}

int read_failure(cli *c, read_result r, const char *what) {
    switch (r) {
    case READ_INTERRUPTED:
        return fail_plain(c, EXIT_INTERRUPTED, "interrupted while reading the %s", what);
    case READ_TOO_LONG:
        return fail_plain(c, EXIT_USAGE, "the %s is longer than %d bytes", what, MAX_LINE - 2);
    case READ_EOF:
        return fail_plain(c, EXIT_USAGE, "no %s on standard input", what);
    default:
        return fail_plain(c, EXIT_LOCAL, "reading the %s from standard input: %s", what,
                          strerror(errno));
    }
}

/* The backup passphrase: $GCALCTL_PASSPHRASE; else a prompt without echo
   (twice when `confirm`); else one line of stdin. Never from argv. */
int get_passphrase(cli *c, bool confirm, bool stdin_taken, char *buf, size_t cap) {
    const char *env = getenv("GCALCTL_PASSPHRASE");
    read_result r;
    if (env != NULL) {
        if (strlen(env) >= cap)
            return fail_plain(c, EXIT_USAGE, "GCALCTL_PASSPHRASE is too long");
        snprintf(buf, cap, "%s", env);
        return EXIT_DONE;
    }
    if (stdin_taken)
        return usage_error(c, "the backup is read from standard input: give the passphrase in "
                              "GCALCTL_PASSPHRASE");
    if ((r = read_line("Backup passphrase: ", true, buf, cap)) != READ_OK)
        return read_failure(c, r, "passphrase");
    if (confirm && isatty(STDIN_FILENO)) {
        char again[MAX_LINE];
        bool same;
        if ((r = read_line("Repeat the passphrase: ", true, again, sizeof again)) != READ_OK) {
            wipe(buf, cap);
            return read_failure(c, r, "passphrase");
        }
        same = strcmp(buf, again) == 0;
        wipe(again, sizeof again);
        if (!same) {
            wipe(buf, cap);
            return fail_plain(c, EXIT_USAGE, "the two passphrases differ");
        }
    }
    return EXIT_DONE;
}
