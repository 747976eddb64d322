/* gcalctl: the meeting file; commands push, cancel, sync. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* The meeting file                                                         */
/* ------------------------------------------------------------------------ */
/*
 * A JSON object with the fields of gs_gcal_meeting (see docs/gcalctl.md):
 * strings as strings (null or absent for none), numbers as whole numbers,
 * `repeat`/`repeat_end` as names, `repeat_weekdays` as an array of day
 * names, host and invitees as {"name", "email"} objects, and
 * `share_password` (true) for the GS_GCAL_MEETING_SHARE_PASSWORD flag.
 * Unknown fields are refused, so that a typo is not silently ignored.
 */
typedef enum field_kind {
    F_TEXT,       /* string, or null when optional */
    F_UINT,       /* whole number 0..UINT32_MAX */
    F_FLAG,       /* true/false: a bit of `flags` */
    F_PERSON,     /* {"name", "email"} */
    F_PERSONS,    /* array of them */
    F_REPEAT,     /* repeat_names[] */
    F_REPEAT_END, /* repeat_end_names[] */
    F_WEEKDAYS    /* array of weekday_names[] */
} field_kind;

typedef struct meeting_field {
    const char *name;
    field_kind kind;
    size_t offset; /* into gs_gcal_meeting */
    bool required;
} meeting_field;

static const meeting_field meeting_fields[] = {
    {"meeting_id", F_TEXT, offsetof(gs_gcal_meeting, meeting_id), true},
    {"subject", F_TEXT, offsetof(gs_gcal_meeting, subject), false},
    {"start", F_TEXT, offsetof(gs_gcal_meeting, start), true},
    {"end", F_TEXT, offsetof(gs_gcal_meeting, end), true},
    {"time_zone", F_TEXT, offsetof(gs_gcal_meeting, time_zone), true},
    {"room", F_TEXT, offsetof(gs_gcal_meeting, room), false},
    {"agenda", F_TEXT, offsetof(gs_gcal_meeting, agenda), false},
    {"host", F_PERSON, offsetof(gs_gcal_meeting, host), false},
    {"invitees", F_PERSONS, offsetof(gs_gcal_meeting, invitees), false},
    {"email_reminder_minutes", F_UINT, offsetof(gs_gcal_meeting, email_reminder_minutes), false},
    {"participant_password", F_TEXT, offsetof(gs_gcal_meeting, participant_password), false},
    {"share_password", F_FLAG, offsetof(gs_gcal_meeting, flags), false},
    {"repeat", F_REPEAT, offsetof(gs_gcal_meeting, repeat), false},
    {"repeat_interval", F_UINT, offsetof(gs_gcal_meeting, repeat_interval), false},
    {"repeat_weekdays", F_WEEKDAYS, offsetof(gs_gcal_meeting, repeat_weekdays), false},
    {"repeat_end", F_REPEAT_END, offsetof(gs_gcal_meeting, repeat_end), false},
    {"repeat_count", F_UINT, offsetof(gs_gcal_meeting, repeat_count), false},
    {"repeat_until", F_TEXT, offsetof(gs_gcal_meeting, repeat_until), false},
    {"occurrence", F_TEXT, offsetof(gs_gcal_meeting, occurrence), false},
};

static const char *const repeat_names[] = {"none",           "daily",
                                           "weekly",         "weekdays",
                                           "monthly_by_day", "monthly_by_weekday",
                                           "yearly"};
static const char *const repeat_end_names[] = {"never", "after", "on_date"};
static const char *const weekday_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

/* A parsed meeting file: the struct, and what it points into. */
typedef struct meeting_file {
    gs_gcal_meeting m;
    gs_gcal_person *invitees;
    char *text;
    arena arena;
} meeting_file;

/* Writes "FILE: line L, column C: MESSAGE" about the byte at `pos` into err. */
static bool bad_at(const meeting_file *mf, const char *file, size_t pos, char *err, size_t cap,
                   const char *fmt, ...) {
    char where[48], msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_where(mf->text, pos, where, sizeof where);
    snprintf(err, cap, "%s: %s: %s", file, where, msg);
    return false;
}

/* A value of the wrong type or shape: points at the value. */
#define bad_field(mf, file, v, err, cap, ...) bad_at(mf, file, (v)->pos, err, cap, __VA_ARGS__)
/* A member that should not be there: points at its name. */
#define bad_member(mf, file, m, err, cap, ...) bad_at(mf, file, (m)->key_pos, err, cap, __VA_ARGS__)

static int name_index(const char *name, const char *const *names, int n) {
    int i;
    for (i = 0; i < n; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

static bool person_from_json(const meeting_file *mf, const char *file, const json *v,
                             const char *what, gs_gcal_person *p, char *err, size_t cap) {
    const json *m;
    memset(p, 0, sizeof *p);
    if (v->type != JSON_OBJECT)
        return bad_field(mf, file, v, err, cap, "%s must be an object {\"name\", \"email\"}",
                         what);
    for (m = v->child; m != NULL; m = m->next) {
        const char **dst = strcmp(m->key, "name") == 0    ? &p->name
                           : strcmp(m->key, "email") == 0 ? &p->email
                                                          : NULL;
        if (dst == NULL)
            return bad_member(mf, file, m, err, cap,
                              "unknown field \"%s\" in %s (known: name, email)", m->key, what);
        if (m->type != JSON_STRING && m->type != JSON_NULL)
            return bad_field(mf, file, m, err, cap, "%s.%s must be a string or null", what,
                             m->key);
        *dst = m->type == JSON_STRING ? m->text : NULL;
    }
    return true;
}

static bool field_from_json(meeting_file *mf, const char *file, const meeting_field *f,
                            const json *v, char *err, size_t cap) {
    void *dst = (char *)&mf->m + f->offset;
    long long n;
    int i;
    switch (f->kind) {
    case F_TEXT:
        if (v->type == JSON_NULL && !f->required) {
            *(const char **)dst = NULL;
            return true;
        }
        if (v->type != JSON_STRING || (f->required && v->text[0] == '\0'))
            return bad_field(mf, file, v, err, cap, "\"%s\" must be a%s string%s", f->name,
                             f->required ? " non-empty" : "", f->required ? "" : " or null");
        *(const char **)dst = v->text;
        return true;
    case F_UINT:
        if (!json_as_int(v, &n) || n < 0 || n > (long long)UINT32_MAX)
            return bad_field(mf, file, v, err, cap, "\"%s\" must be a whole number from 0 to %lu",
                             f->name, (unsigned long)UINT32_MAX);
        *(uint32_t *)dst = (uint32_t)n;
        return true;
    case F_FLAG:
        if (v->type != JSON_BOOL)
            return bad_field(mf, file, v, err, cap, "\"%s\" must be true or false", f->name);
        if (v->boolean)
            *(uint32_t *)dst |= GS_GCAL_MEETING_SHARE_PASSWORD;
        return true;
    case F_PERSON:
        return person_from_json(mf, file, v, "host", dst, err, cap);
    case F_PERSONS: {
        const json *item;
        size_t k = 0;
        if (v->type != JSON_ARRAY)
            return bad_field(mf, file, v, err, cap,
                             "\"invitees\" must be an array of {\"name\", \"email\"}");
        mf->invitees = xrealloc(NULL, (v->count ? v->count : 1) * sizeof *mf->invitees);
        for (item = v->child; item != NULL; item = item->next, k++) {
            char what[48];
            snprintf(what, sizeof what, "invitees[%zu]", k);
            if (!person_from_json(mf, file, item, what, &mf->invitees[k], err, cap))
                return false;
        }
        mf->m.invitees = mf->invitees;
        mf->m.invitee_count = v->count;
        return true;
    }
    case F_REPEAT:
    case F_REPEAT_END: {
        const char *const *names = f->kind == F_REPEAT ? repeat_names : repeat_end_names;
        int count = f->kind == F_REPEAT ? 7 : 3;
        if (v->type != JSON_STRING || (i = name_index(v->text, names, count)) < 0)
            return bad_field(mf, file, v, err, cap, "\"%s\" must be one of %s", f->name,
                             f->kind == F_REPEAT ? "none, daily, weekly, weekdays, "
                                                   "monthly_by_day, monthly_by_weekday, yearly"
                                                 : "never, after, on_date");
        *(uint32_t *)dst = (uint32_t)i; /* the names are in the order of the constants */
        return true;
    }
    case F_WEEKDAYS: {
        const json *d;
        if (v->type != JSON_ARRAY)
            return bad_field(mf, file, v, err, cap, "\"repeat_weekdays\" must be an array like "
                                                    "[\"mon\", \"wed\"]");
        for (d = v->child; d != NULL; d = d->next) {
            if (d->type != JSON_STRING || (i = name_index(d->text, weekday_names, 7)) < 0)
                return bad_field(mf, file, d, err, cap, "weekdays are mon, tue, wed, thu, fri, "
                                                        "sat, sun");
            *(uint32_t *)dst |= 1u << i; /* GS_GCAL_MONDAY = 1 ... GS_GCAL_SUNDAY = 64 */
        }
        return true;
    }
    }
    return false;
}

/* Reads and checks a meeting file ("-" is stdin). On failure err says
   what and where, and *exit_code is EXIT_LOCAL (unreadable) or EXIT_USAGE
   (not a valid meeting). */
static bool meeting_load(meeting_file *mf, const char *file, char *err, size_t cap,
                         int *exit_code) {
    const json *root, *m;
    size_t len, i;
    int e;
    memset(mf, 0, sizeof *mf);
    mf->m.struct_size = sizeof mf->m;
    *exit_code = EXIT_USAGE;
    if ((e = read_file(file, &mf->text, &len)) != 0) {
        snprintf(err, cap, "reading %s: %s", file, strerror(e));
        *exit_code = EXIT_LOCAL;
        return false;
    }
    {
        char perr[224];
        if ((root = json_parse(&mf->arena, mf->text, len, perr, sizeof perr)) == NULL) {
            snprintf(err, cap, "%s: not valid JSON: %s", file, perr);
            return false;
        }
    }
    if (root->type != JSON_OBJECT)
        return bad_field(mf, file, root, err, cap, "a meeting is a JSON object {...}");
    for (m = root->child; m != NULL; m = m->next) {
        const meeting_field *f = NULL;
        for (i = 0; i < sizeof meeting_fields / sizeof meeting_fields[0]; i++)
            if (strcmp(m->key, meeting_fields[i].name) == 0)
                f = &meeting_fields[i];
        if (f == NULL)
            return bad_member(mf, file, m, err, cap, "unknown field \"%s\"", m->key);
        if (!field_from_json(mf, file, f, m, err, cap))
            return false;
    }
    for (i = 0; i < sizeof meeting_fields / sizeof meeting_fields[0]; i++)
        if (meeting_fields[i].required && json_get(root, meeting_fields[i].name) == NULL)
            return bad_field(mf, file, root, err, cap, "missing field \"%s\"",
                             meeting_fields[i].name);
    return true;
}

static void meeting_free(meeting_file *mf) {
    free(mf->invitees);
    free(mf->text);
    arena_free(&mf->arena);
}

/* ------------------------------------------------------------------------ */
/* Commands: meetings                                                       */
/* ------------------------------------------------------------------------ */

/* The exit code for a push/cancel that was queued: 4 when it waits for
   the admin to authorize, 3 when it waits for Google. */
static int queued_exit(cli *c) {
    char state[32];
    get_state(c, state, sizeof state);
    return strcmp(state, "authorized") == 0 ? EXIT_QUEUED : EXIT_AUTH;
}

/* push MEETING.json|- */
int cmd_push(cli *c, int argc, char **argv) {
    meeting_file mf;
    gs_gcal_push_result r;
    size_t *skipped = NULL, i, count;
    char err[512], detail[GS_GCAL_ERROR_SIZE] = "";
    gs_gcal_result rc;
    int code;
    if (argc != 1)
        return usage_error(c, "usage: push MEETING.json|-");
    if (!meeting_load(&mf, argv[0], err, sizeof err, &code)) {
        fail_plain(c, code, "%s", err);
        goto cleanup;
    }
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        goto cleanup;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    skipped = xrealloc(NULL, (mf.m.invitee_count ? mf.m.invitee_count : 1) * sizeof *skipped);
    rc = gs_gcal_push_meeting(c->h, &mf.m, &r, skipped, mf.m.invitee_count);
    if (rc != GS_GCAL_OK && rc != GS_GCAL_QUEUED) {
        code = fail(c, rc, "push meeting \"%s\"", mf.m.meeting_id);
        goto cleanup;
    }
    code = rc == GS_GCAL_OK ? EXIT_DONE : queued_exit(c);
    if (rc == GS_GCAL_QUEUED && gs_gcal_last_error(c->h, detail, sizeof detail) != GS_GCAL_OK)
        detail[0] = '\0';
    count = r.skipped_count < mf.m.invitee_count ? r.skipped_count : mf.m.invitee_count;
    if (c->json) {
        out_str(c, "meeting_id", mf.m.meeting_id);
        out_str(c, "result", rc == GS_GCAL_OK ? "synced" : "queued");
        out_bool(c, "queued", rc == GS_GCAL_QUEUED);
        out_str(c, "event_id", r.event_id);
        out_str(c, "html_link", r.html_link[0] ? r.html_link : NULL);
        out_key(c, "skipped");
        sb_puts(&c->out, "[");
        for (i = 0; i < count; i++) {
            sb_printf(&c->out, "%s{\"index\":%zu,\"name\":", i ? "," : "", skipped[i]);
            sb_json_str(&c->out, mf.invitees[skipped[i]].name);
            sb_puts(&c->out, "}");
        }
        sb_puts(&c->out, "]");
        if (rc == GS_GCAL_QUEUED)
            out_str(c, "reason", detail);
    } else {
        if (rc == GS_GCAL_OK)
            printf("Meeting %s synced: event %s\n", mf.m.meeting_id, r.event_id);
        else
            printf("Meeting %s queued: event %s will be written %s\n", mf.m.meeting_id,
                   r.event_id,
                   code == EXIT_AUTH ? "once the integration is authorized"
                                     : "when Google can be reached ('sync' sends it)");
        if (r.html_link[0])
            printf("Link: %s\n", r.html_link);
        if (rc == GS_GCAL_QUEUED && detail[0])
            printf("Reason: %s\n", detail);
        for (i = 0; i < count; i++) {
            const char *name = mf.invitees[skipped[i]].name;
            printf("Not invited (no e-mail): %s (invitees[%zu])\n", name ? name : "(no name)",
                   skipped[i]);
        }
    }
    if (code == EXIT_AUTH)
        print_hint(c, GS_GCAL_NOT_AUTHORIZED);
cleanup:
    free(skipped);
    meeting_free(&mf);
    return code;
}

/* cancel MEETING_ID [OCCURRENCE TIME_ZONE] */
int cmd_cancel(cli *c, int argc, char **argv) {
    const char *occurrence = argc == 3 ? argv[1] : NULL, *zone = argc == 3 ? argv[2] : NULL;
    char detail[GS_GCAL_ERROR_SIZE] = "";
    gs_gcal_result rc;
    int code;
    if (argc != 1 && argc != 3)
        return usage_error(c, "usage: cancel MEETING_ID [OCCURRENCE TIME_ZONE]");
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        return code;
    rc = gs_gcal_cancel_meeting(c->h, argv[0], occurrence, zone);
    if (rc != GS_GCAL_OK && rc != GS_GCAL_QUEUED)
        return fail(c, rc, "cancel meeting \"%s\"", argv[0]);
    code = rc == GS_GCAL_OK ? EXIT_DONE : queued_exit(c);
    if (rc == GS_GCAL_QUEUED && gs_gcal_last_error(c->h, detail, sizeof detail) != GS_GCAL_OK)
        detail[0] = '\0';
    if (c->json) {
        out_str(c, "meeting_id", argv[0]);
        out_str(c, "occurrence", occurrence);
        out_str(c, "result", rc == GS_GCAL_OK ? "synced" : "queued");
        out_bool(c, "queued", rc == GS_GCAL_QUEUED);
        if (rc == GS_GCAL_QUEUED)
            out_str(c, "reason", detail);
    } else {
        printf("Meeting %s%s%s %s\n", argv[0], occurrence ? " occurrence " : "",
               occurrence ? occurrence : "",
               rc == GS_GCAL_OK ? "cancelled in Google Calendar"
                                : "cancel queued ('sync' sends it)");
        if (rc == GS_GCAL_QUEUED && detail[0])
            printf("Reason: %s\n", detail);
    }
    return code;
}

/* sync [BUDGET_MS]: "Sync now" - clear backoffs, then send what waits,
   round after round while something goes out, within the budget. */
int cmd_sync(cli *c, int argc, char **argv) {
    arena a = {0};
    char *text = NULL, *end;
    const json *st, *health, *parked_list;
    const char *state, *why;
    long budget = DEFAULT_SYNC_BUDGET;
    size_t sent = 0, remaining = 0, total = 0;
    long long waiting, parked;
    double started, left_ms;
    gs_gcal_result rc;
    int code, round;
    if (argc > 1)
        return usage_error(c, "usage: sync [BUDGET_MS]");
    if (argc == 1) {
        errno = 0;
        budget = strtol(argv[0], &end, 10);
        if (errno != 0 || *end != '\0' || budget < 1 || budget > 600000)
            return usage_error(c, "sync: the budget is 1 to 600000 ms");
    }
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        return code;
    if ((rc = gs_gcal_retry_now(c->h)) != GS_GCAL_OK)
        return fail(c, rc, "sync");
    waiting = json_int(json_get(get_status(c, &a, &text), "health"), "outbox_depth", 0);
    free(text);
    text = NULL;
    arena_free(&a);
    fprintf(stderr, "sync: %lld operation(s) waiting, budget %ld ms\n", waiting, budget);
    started = monotonic_seconds();
    for (round = 1;; round++) {
        left_ms = (double)budget - (monotonic_seconds() - started) * 1000;
        if (left_ms < 1)
            break;
        rc = gs_gcal_sync(c->h, (uint32_t)left_ms, &sent, &remaining);
        if (rc != GS_GCAL_OK)
            return fail(c, rc, "sync");
        total += sent;
        fprintf(stderr, "sync: round %d: sent %zu, %zu waiting\n", round, sent, remaining);
        if (sent == 0 || remaining == 0 || interrupted)
            break;
    }
    st = get_status(c, &a, &text);
    health = json_get(st, "health");
    parked_list = json_get(health, "parked");
    parked = parked_list != NULL ? (long long)parked_list->count : 0;
    state = json_text(st, "state");
    code = remaining == 0                     ? EXIT_DONE
           : strcmp(state, "authorized") == 0 ? EXIT_QUEUED
                                              : EXIT_AUTH;
    if (c->json) {
        out_int(c, "sent", (long long)total);
        out_int(c, "remaining", (long long)remaining);
        out_int(c, "parked", parked);
    } else {
        printf("Sent %zu, %zu still waiting", total, remaining);
        if (parked > 0)
            printf(", %lld parked (refused for good; see status)", parked);
        printf(".\n");
    }
    if (remaining > 0) {
        why = json_str(json_get(health, "last_failure"), "message");
        if (why != NULL)
            fprintf(stderr, "sync: still waiting; last failure: %s\n", why);
        if (code == EXIT_AUTH)
            print_hint(c, GS_GCAL_NOT_AUTHORIZED);
    }
    if (interrupted)
        code = fail_plain(c, EXIT_INTERRUPTED, "sync interrupted; what was not sent stays in "
                                               "the outbox");
    free(text);
    arena_free(&a);
    return code;
}
