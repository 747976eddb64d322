/* gcalctl: library helpers, the -v log, opening the state directory with its
   stored options, the emulator. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ------------------------------------------------------------------------ */
/* Library helpers                                                          */
/* ------------------------------------------------------------------------ */

/* Calls `fill` with a buffer that grows to the size the library asks for
   (the answer may grow between calls, hence a few rounds). On success *out
   is the text (NUL-terminated); the caller frees it. */
gs_gcal_result fetch_text(gs_gcal *h, fill_fn fill, const void *arg, char **out) {
    size_t cap = 16384, needed = 0;
    char *buf = NULL;
    gs_gcal_result rc = GS_GCAL_BUFFER_TOO_SMALL;
    int round;
    for (round = 0; round < 4 && rc == GS_GCAL_BUFFER_TOO_SMALL; round++) {
        buf = xrealloc(buf, cap);
        rc = fill(h, arg, buf, cap, &needed);
        cap = needed > cap ? needed : cap * 2;
    }
    if (rc != GS_GCAL_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    return rc;
}

static gs_gcal_result fill_status(gs_gcal *h, const void *arg, char *buf, size_t len,
                                  size_t *needed) {
    (void)arg;
    return gs_gcal_status_json(h, buf, len, needed);
}
/* The handle's status document, parsed (NULL when it cannot be had). The
   text stays in *text for embedding; free it, and the arena. */
const json *get_status(cli *c, arena *a, char **text) {
    char err[128];
    *text = NULL;
    if (fetch_text(c->h, fill_status, NULL, text) != GS_GCAL_OK)
        return NULL;
    return json_parse(a, *text, strlen(*text), err, sizeof err);
}

/* The status "state" ("authorized", ...) copied into out; "" if unknown. */
void get_state(cli *c, char *out, size_t cap) {
    arena a = {0};
    char *text = NULL;
    const char *s = json_str(get_status(c, &a, &text), "state");
    snprintf(out, cap, "%s", s ? s : "");
    free(text);
    arena_free(&a);
}

/* ------------------------------------------------------------------------ */
/* -v: the library's log lines on stderr                                    */
/* ------------------------------------------------------------------------ */

/* One library log line on stderr, as -v shows them. */
void log_line_to_stderr(int32_t level, const char *line) {
    static const char *const names[] = {"?", "error", "warn", "info", "debug"};
    fprintf(stderr, PROG ": [%s] %s\n", names[level >= 1 && level <= 4 ? level : 0], line);
}

/* A gs_gcal_log_fn. The library never puts a secret in a line. */
static void log_to_stderr(void *userdata, int32_t level, const char *line) {
    (void)userdata;
    log_line_to_stderr(level, line);
}

/* Routes the library's log to stderr for the whole process (h = NULL, so
   that gs_gcal_open's lines come too): -v info, -vv debug. */
void enable_library_log(int verbose) {
    if (verbose == 0)
        return;
    if (gs_gcal_set_log_callback(NULL, verbose >= 2 ? GS_GCAL_LOG_DEBUG : GS_GCAL_LOG_INFO,
                                 log_to_stderr, NULL) != GS_GCAL_OK)
        fputs(PROG ": warning: could not enable the library's log\n", stderr);
}

/* ------------------------------------------------------------------------ */
/* Opening the state directory; stored options; the emulator                */
/* ------------------------------------------------------------------------ */

/* A stored option's value as shown: a proxy URL may carry a password. */
const char *shown_value(const stored_option *o) {
    if (strcmp(o->key, "proxy") == 0 && strchr(o->value, '@') != NULL)
        return "(set, with credentials)";
    return o->value;
}

static void options_path(const cli *c, char *out, size_t cap) {
    snprintf(out, cap, "%s/" OPTIONS_FILE, c->state_dir);
}

/* Loads STATE_DIR/gcalctl.options ("key=value" lines, '#' comments). */
static int load_options(cli *c) {
    char path[4096], *text = NULL, *line, *next;
    size_t len, lineno = 0;
    int err, code = EXIT_DONE;
    options_path(c, path, sizeof path);
    err = read_file(path, &text, &len);
    if (err == ENOENT)
        return EXIT_DONE;
    if (err != 0)
        return fail_plain(c, EXIT_LOCAL, "reading %s: %s", path, strerror(err));
    for (line = text; *line != '\0'; line = next) {
        char *eq, *nl = strchr(line, '\n');
        next = nl ? nl + 1 : line + strlen(line);
        if (nl != NULL)
            *nl = '\0';
        lineno++;
        if (line[0] == '#' || line[0] == '\0')
            continue;
        eq = strchr(line, '=');
        if (eq == NULL || eq == line || c->option_count == MAX_OPTIONS) {
            code = fail_plain(c, EXIT_LOCAL, "%s: line %zu is not KEY=VALUE", path, lineno);
            break;
        }
        *eq = '\0';
        c->options[c->option_count].key = xstrdup(line);
        c->options[c->option_count].value = xstrdup(eq + 1);
        c->option_count++;
    }
    free(text);
    return code;
}

int save_options(cli *c) {
    char path[4096];
    strbuf b = {0};
    size_t i;
    int err;
    options_path(c, path, sizeof path);
    sb_puts(&b, "# gcalctl options, applied after every open; change them with\n"
                "# gcalctl STATE_DIR set-option KEY VALUE (or --unset KEY).\n");
    for (i = 0; i < c->option_count; i++)
        sb_printf(&b, "%s=%s\n", c->options[i].key, c->options[i].value);
    err = write_file_atomic(path, b.data);
    sb_free(&b);
    if (err != 0)
        return fail_plain(c, EXIT_LOCAL, "writing %s: %s", path, strerror(err));
    return EXIT_DONE;
}

/* Points the handle at the emulator: its startup line (the JSON line it
   prints when ready) names the endpoints and the CA that signed them. */
static int use_emulator(cli *c) {
    arena a = {0};
    char *text = NULL, err[160];
    const json *line;
    size_t len;
    int code = EXIT_DONE, e;
    static const char *const keys[] = {"auth_endpoint",   "token_endpoint",    "device_endpoint",
                                       "revoke_endpoint", "calendar_api_base", "ca_file"};
    size_t i;
    if (c->emulator_file != NULL) {
        if ((e = read_file(c->emulator_file, &text, &len)) != 0)
            return fail_plain(c, EXIT_LOCAL, "--emulator: %s: %s", c->emulator_file, strerror(e));
    } else {
        text = xstrdup(getenv("GS_GCAL_EMULATOR")); /* checked by main */
        len = strlen(text);
    }
    if ((line = json_parse(&a, text, len, err, sizeof err)) == NULL) {
        /* A file may hold more after the first line; parse only that. */
        char *nl = strchr(text, '\n');
        if (nl != NULL)
            line = json_parse(&a, text, (size_t)(nl - text), err, sizeof err);
    }
    if (line == NULL) {
        code = usage_error(c, "--emulator: not the emulator's startup line (%s)", err);
        goto cleanup;
    }
    for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *v = json_str(line, keys[i]);
        gs_gcal_result rc;
        if (v == NULL) {
            code = usage_error(c, "--emulator: the startup line has no \"%s\"", keys[i]);
            goto cleanup;
        }
        if ((rc = gs_gcal_set_option(c->h, keys[i], v)) != GS_GCAL_OK) {
            code = fail(c, rc, "--emulator: setting %s", keys[i]);
            goto cleanup;
        }
    }
cleanup:
    free(text);
    arena_free(&a);
    return code;
}

static int set_timeout(cli *c) {
    char v[32];
    gs_gcal_result rc;
    snprintf(v, sizeof v, "%ld", c->timeout_ms);
    if ((rc = gs_gcal_set_option(c->h, "timeout_ms", v)) != GS_GCAL_OK)
        return fail(c, rc, "--timeout %ld", c->timeout_ms);
    /* A request cannot be shorter than its connect: lower that too. */
    if (c->timeout_ms < 10000 &&
        (rc = gs_gcal_set_option(c->h, "connect_timeout_ms", v)) != GS_GCAL_OK)
        return fail(c, rc, "--timeout %ld", c->timeout_ms);
    return EXIT_DONE;
}

/*
 * Opens the handle on STATE_DIR and configures it: stored options (except
 * `skip_key`, which set-option is about to change; with `lenient` a stored
 * option the library refuses is a warning, so that set-option can repair
 * it), then --emulator, then --timeout. Only `create` commands (set-client,
 * import) make a missing STATE_DIR, so that a typo does not quietly start
 * an empty integration.
 */
int open_handle(cli *c, bool create, bool lenient, const char *skip_key) {
    struct stat st;
    gs_gcal_result rc;
    size_t i;
    int code;
    if (stat(c->state_dir, &st) != 0) {
        if (errno != ENOENT || !create)
            return fail_plain(c, EXIT_LOCAL, "state directory %s: %s%s", c->state_dir,
                              strerror(errno),
                              errno == ENOENT ? " (set-client or import creates it)" : "");
        if (mkdir(c->state_dir, 0700) != 0)
            return fail_plain(c, EXIT_LOCAL, "creating state directory %s: %s", c->state_dir,
                              strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        return fail_plain(c, EXIT_LOCAL, "state directory %s: not a directory", c->state_dir);
    }
    if ((rc = gs_gcal_open(c->state_dir, &c->h)) != GS_GCAL_OK)
        return fail(c, rc, "opening state directory %s", c->state_dir);
    if ((code = load_options(c)) != EXIT_DONE)
        return code;
    for (i = 0; i < c->option_count; i++) {
        const stored_option *o = &c->options[i];
        if (skip_key != NULL && strcmp(o->key, skip_key) == 0)
            continue;
        if ((rc = gs_gcal_set_option(c->h, o->key, o->value)) == GS_GCAL_OK)
            continue;
        if (lenient) {
            fprintf(stderr, PROG ": warning: stored option %s not applied: %s\n", o->key,
                    gs_gcal_strerror(rc));
            continue;
        }
        code = fail(c, rc, "stored option %s (from %s/" OPTIONS_FILE ")", o->key, c->state_dir);
        fprintf(stderr, PROG ": hint: change it with '" PROG " %s set-option %s VALUE' or "
                        "remove it with '" PROG " %s set-option --unset %s'\n",
                c->state_dir, o->key, c->state_dir, o->key);
        return code;
    }
    if (c->emulator && (code = use_emulator(c)) != EXIT_DONE)
        return code;
    if (c->timeout_ms > 0 && (code = set_timeout(c)) != EXIT_DONE)
        return code;
    return EXIT_DONE;
}
