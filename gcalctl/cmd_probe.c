/*
 * gcalctl command: probe. With a real Google account, settles live what
 * Google does not document (issue 16 A1-A3) and prints a report for a bug
 * report:
 *
 *   A1  time zones: a weekly series in Etc/GMT-1 and a single meeting in
 *       Europe/Kyiv; the status's zone_substitutions (and the library's log
 *       line) say whether Google took each zone as is or which stand-in the
 *       library had to send.
 *   A3  occurrence ids: one occurrence edited, one deleted; the library's
 *       log of Google calls says whether the computed id
 *       <id>_YYYYMMDDTHHMMSSZ was enough or events.instances was asked.
 *   A2  device-flow scopes (device client only): a device authorization is
 *       started, not waited for; the status's device.scopes is the set
 *       Google accepted, the log names the refused ones.
 *
 * Everything it creates is cancelled at the end. Meeting ids are
 * gcalctl-probe-<unix time>-<pid>-series/-single. Exit 0 when every step got Google's answer.
 */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROBE_SUBJECT "gcalctl probe (throw-away, deleted at once)"
#define PROBE_AGENDA                                                                              \
    "Created by 'gcalctl probe' to test what Google Calendar accepts; deleted when the probe "   \
    "ends. If it is still here, delete it."
#define SERIES_ZONE "Etc/GMT-1" /* UTC+01:00 without DST (POSIX signs) */
#define SINGLE_ZONE "Europe/Kyiv"
#define WEEK (7 * 86400)

/* The library's log lines seen during one step (info and above). */
typedef struct capture {
    strbuf lines;
    int verbose;
} capture;

static void capture_reset(capture *cap) {
    cap->lines.len = 0;
    if (cap->lines.data != NULL)
        cap->lines.data[0] = '\0';
}

/* A gs_gcal_log_fn for the probe's handle: keeps the line for the report and
   still shows it on stderr with -v, as every command does. */
static void probe_log(void *userdata, int32_t level, const char *line) {
    capture *cap = userdata;
    if (cap->verbose >= (level >= GS_GCAL_LOG_DEBUG ? 2 : 1))
        log_line_to_stderr(level, line);
    if (level <= GS_GCAL_LOG_INFO) {
        sb_puts(&cap->lines, line);
        sb_puts(&cap->lines, "\n");
    }
}

/* The line of `lines` that contains `needle`, or NULL. */
static const char *find_line(const capture *cap, const char *needle) {
    return cap->lines.data != NULL ? strstr(cap->lines.data, needle) : NULL;
}

/* How many logged Google calls had `method` and a URL containing `part`. */
static int count_calls(const capture *cap, const char *method, const char *part) {
    const char *p = cap->lines.data;
    int n = 0;
    char prefix[32];
    snprintf(prefix, sizeof prefix, "google: %s ", method);
    while (p != NULL && *p != '\0') {
        const char *nl = strchr(p, '\n'), *arrow;
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (strncmp(p, prefix, strlen(prefix)) == 0 &&
            (arrow = strstr(p, " -> ")) != NULL && arrow < p + len) {
            const char *hit = strstr(p, part);
            if (hit != NULL && hit < arrow)
                n++;
        }
        p = nl ? nl + 1 : NULL;
    }
    return n;
}

/*
 * The Calendar calls of a step, one per log line "google: METHOD URL ->
 * STATUS[ reason] (N ms)", as "PUT computed id -> 404, GET events.instances
 * -> 200, ...": Calendar calls only, the URL's last segment named
 * (`computed` is the computed occurrence id, `series` the series' id: any
 * other id in an occurrence step is Google's), the answer kept.
 */
static void summarize_calls(const capture *cap, const char *computed, const char *series,
                            strbuf *out) {
    const char *p = cap->lines.data;
    bool first = true;
    while (p != NULL && *p != '\0') {
        const char *nl = strchr(p, '\n'), *sp, *arrow, *end, *seg, *q;
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char method[16], segment[128], answer[160];
        const char *events;
        if (strncmp(p, "google: ", 8) != 0 || (sp = strchr(p + 8, ' ')) == NULL ||
            (arrow = strstr(sp, " -> ")) == NULL || arrow >= p + len ||
            (size_t)(sp - p - 8) >= sizeof method || (events = strstr(sp, "/events")) == NULL ||
            events > arrow) {
            p = nl ? nl + 1 : NULL;
            continue;
        }
        snprintf(method, sizeof method, "%.*s", (int)(sp - p - 8), p + 8);
        /* The URL's path without its query; its last segment. */
        for (q = sp + 1; q < arrow && *q != '?'; q++)
            ;
        for (seg = q; seg > sp + 1 && seg[-1] != '/'; seg--)
            ;
        snprintf(segment, sizeof segment, "%.*s", (int)(q - seg), seg);
        /* The answer: the status and Google's reason, without "(N ms)". */
        end = p + len;
        while (end > arrow + 4 && *end != '(')
            end--;
        if (end > arrow + 4 && end[-1] == ' ')
            end--;
        else if (end <= arrow + 4)
            end = p + len;
        snprintf(answer, sizeof answer, "%.*s", (int)(end - arrow - 4), arrow + 4);
        sb_puts(out, first ? "" : ", ");
        first = false;
        if (strcmp(segment, "instances") == 0)
            sb_printf(out, "%s events.instances -> %s", method, answer);
        else if (computed != NULL && strcmp(segment, computed) == 0)
            sb_printf(out, "%s computed id -> %s", method, answer);
        else if (series != NULL && strcmp(segment, series) == 0)
            sb_printf(out, "%s series %s -> %s", method, segment, answer);
        else if (strcmp(segment, "events") == 0)
            sb_printf(out, "%s events (insert) -> %s", method, answer);
        else if (series != NULL)
            sb_printf(out, "%s Google's id %s -> %s", method, segment, answer);
        else
            sb_printf(out, "%s event %s -> %s", method, segment, answer);
        p = nl ? nl + 1 : NULL;
    }
    if (first)
        sb_puts(out, "no request to Google");
}

/* One step of the probe and what it found. */
typedef struct step {
    const char *name;    /* for the error line: "A1 Etc/GMT-1" */
    bool attempted;      /* the step was tried */
    bool answered;       /* Google answered the question (else: failed) */
    gs_gcal_result rc;   /* the library's result */
    char detail[GS_GCAL_ERROR_SIZE];
    const char *result;  /* keyword for --json */
    char answer[320];    /* for people */
    strbuf evidence;
} step;

static void step_result(step *s, bool answered, const char *result, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void step_result(step *s, bool answered, const char *result, const char *fmt, ...) {
    va_list ap;
    s->answered = answered;
    s->result = result;
    va_start(ap, fmt);
    vsnprintf(s->answer, sizeof s->answer, fmt, ap);
    va_end(ap);
}

/* A failed library call: the answer says why. */
static void step_failed(step *s) {
    if (s->rc == GS_GCAL_QUEUED)
        step_result(s, false, "queued",
                    "not tested: Google could not be reached, the request waits in the outbox%s%s%s",
                    s->detail[0] ? " (" : "", s->detail, s->detail[0] ? ")" : "");
    else
        step_result(s, false, "failed", "failed: %s%s%s", gs_gcal_strerror(s->rc),
                    s->detail[0] ? " \xE2\x80\x94 " : "", s->detail);
}

static void keep_detail(cli *c, step *s) {
    s->detail[0] = '\0';
    if (s->rc != GS_GCAL_OK && gs_gcal_last_error(c->h, s->detail, sizeof s->detail) != GS_GCAL_OK)
        s->detail[0] = '\0';
}

/* "YYYY-MM-DD" of unix time t (UTC). */
static void day_of(int64_t t, char *out, size_t cap) {
    char full[32];
    format_utc(t, full, sizeof full);
    snprintf(out, cap, "%.10s", full);
}

/* "YYYYMMDDTHHMMSSZ" of unix time t: the library's occurrence id suffix. */
static void basic_utc(int64_t t, char *out, size_t cap) {
    char f[32];
    format_utc(t, f, sizeof f);
    snprintf(out, cap, "%.4s%.2s%.2sT%.2s%.2s%.2sZ", f, f + 5, f + 8, f + 11, f + 14, f + 17);
}

/* zone_substitutions[zone] in the current status, copied ("" for none). */
static void substitution_of(cli *c, const char *zone, char *out, size_t cap) {
    arena a = {0};
    char *text = NULL;
    const char *v = json_str(json_get(get_status(c, &a, &text), "zone_substitutions"), zone);
    snprintf(out, cap, "%s", v ? v : "");
    free(text);
    arena_free(&a);
}

/* A1: one push in `zone`; sets *created when the meeting may exist. */
static void probe_zone(cli *c, capture *cap, step *s, const gs_gcal_meeting *m, char *event_id,
                       bool *created) {
    gs_gcal_push_result r;
    char before[64], after[64], used[64] = "";
    const char *line;
    char needle[128];
    s->attempted = true;
    substitution_of(c, m->time_zone, before, sizeof before);
    capture_reset(cap);
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    s->rc = gs_gcal_push_meeting(c->h, m, &r, NULL, 0);
    keep_detail(c, s);
    *created = s->rc == GS_GCAL_OK || s->rc == GS_GCAL_QUEUED;
    if (s->rc == GS_GCAL_OK)
        snprintf(event_id, GS_GCAL_EVENT_ID_SIZE, "%s", r.event_id);
    summarize_calls(cap, NULL, NULL, &s->evidence);
    substitution_of(c, m->time_zone, after, sizeof after);
    /* The library's line: "...: Google refused time zone Z; sending the equivalent Y (...". */
    snprintf(needle, sizeof needle, "Google refused time zone %s; sending the equivalent ",
             m->time_zone);
    if ((line = find_line(cap, needle)) != NULL) {
        size_t n = strcspn(line + strlen(needle), " \n");
        snprintf(used, sizeof used, "%.*s", (int)n, line + strlen(needle));
    } else if (after[0] != '\0' && strcmp(before, after) != 0) {
        snprintf(used, sizeof used, "%s", after);
    }
    if (s->rc == GS_GCAL_OK && used[0] != '\0') {
        step_result(s, true, "substituted", "refused by Google; the library sent %s instead",
                    used);
        sb_printf(&s->evidence, "; status zone_substitutions: \"%s\" -> \"%s\"", m->time_zone,
                  after[0] ? after : "(not recorded)");
    } else if (s->rc == GS_GCAL_OK && before[0] != '\0') {
        step_result(s, true, "remembered",
                    "not re-tested: Google refused it before, the library sends %s for it "
                    "(remembered)",
                    before);
        sb_printf(&s->evidence, "; status zone_substitutions: \"%s\" -> \"%s\" before the probe",
                  m->time_zone, before);
    } else if (s->rc == GS_GCAL_OK) {
        step_result(s, true, "accepted", "accepted as is");
        sb_printf(&s->evidence, "; event %s, no substitution in the status", r.event_id);
    } else if (s->rc == GS_GCAL_API_BAD_REQUEST &&
               strstr(s->detail, "Invalid time zone definition") != NULL) {
        step_result(s, true, "refused",
                    "refused by Google, and no equivalent zone fits (the push failed: %s)",
                    s->detail);
    } else {
        step_failed(s);
    }
}

/* A3: whether the computed occurrence id was enough (one step). */
static void occurrence_answer(step *s, const capture *cap, const char *method,
                              const char *google_id) {
    int lookups = count_calls(cap, "GET", "/instances");
    int writes = count_calls(cap, method, "/events/");
    if (lookups == 0) {
        step_result(s, true, "computed", "computed id worked");
    } else if (writes >= 2) {
        step_result(s, true, "looked_up", "looked up via events.instances%s%s%s",
                    google_id ? " (Google's id " : "", google_id ? google_id : "",
                    google_id ? ")" : "");
    } else {
        step_result(s, true, "not_found",
                    "not found: the computed id answered 404 and events.instances has no such "
                    "occurrence");
    }
}

static void probe_edit(cli *c, capture *cap, step *s, const gs_gcal_meeting *series,
                       const char *occurrence, const char *start, const char *computed,
                       const char *series_id) {
    gs_gcal_meeting m = *series;
    gs_gcal_push_result r;
    s->attempted = true;
    m.occurrence = occurrence;
    m.start = start;
    m.end = "04:30";
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    capture_reset(cap);
    s->rc = gs_gcal_push_meeting(c->h, &m, &r, NULL, 0);
    keep_detail(c, s);
    summarize_calls(cap, computed, series_id, &s->evidence);
    if (s->rc == GS_GCAL_OK)
        occurrence_answer(s, cap, "PUT", r.event_id);
    else if (s->rc == GS_GCAL_API_NOT_FOUND)
        step_result(s, true, "not_found",
                    "not found: neither the computed id nor events.instances found the "
                    "occurrence (%s)", s->detail);
    else
        step_failed(s);
}

static void probe_delete(cli *c, capture *cap, step *s, const char *meeting_id,
                         const char *occurrence, const char *computed, const char *series_id) {
    s->attempted = true;
    capture_reset(cap);
    s->rc = gs_gcal_cancel_meeting(c->h, meeting_id, occurrence, SERIES_ZONE);
    keep_detail(c, s);
    summarize_calls(cap, computed, series_id, &s->evidence);
    if (s->rc == GS_GCAL_OK)
        occurrence_answer(s, cap, "DELETE", NULL);
    else
        step_failed(s);
}

/* Whether a space-separated scope list grants writing events. */
static bool scopes_write(const char *scopes) {
    const char *p = scopes;
    while (p != NULL && *p != '\0') {
        size_t n = strcspn(p, " ");
        if ((n >= 14 && strncmp(p + n - 14, "/auth/calendar", 14) == 0) ||
            (n >= 21 && strncmp(p + n - 21, "/auth/calendar.events", 21) == 0))
            return true;
        p += n;
        p += strspn(p, " ");
    }
    return false;
}

/* A2: device-flow scopes, when the client is a device client. */
static void probe_device(cli *c, capture *cap, step *s, bool device_client, strbuf *refused,
                         char *scopes, size_t scopes_cap, gs_gcal_device_code *dc) {
    const char *p;
    static const char needle[] = "device flow: Google refused the scope set \"";
    int n = 0;
    if (!device_client) {
        step_result(s, true, "not_tested", "not tested (no device client configured)");
        sb_puts(&s->evidence, "the OAuth client has a redirect URI: a Web application client");
        return;
    }
    s->attempted = true;
    memset(dc, 0, sizeof *dc);
    dc->struct_size = sizeof *dc;
    capture_reset(cap);
    s->rc = gs_gcal_device_start(c->h, dc);
    keep_detail(c, s);
    for (p = find_line(cap, needle); p != NULL; p = strstr(p + 1, needle)) {
        const char *v = p + strlen(needle), *q = strchr(v, '"');
        if (q == NULL)
            break;
        if (n++ > 0)
            sb_puts(refused, "\n");
        sb_printf(refused, "%.*s", (int)(q - v), v);
    }
    if (s->rc == GS_GCAL_OK) {
        arena a = {0};
        char *text = NULL;
        const char *v = json_str(json_get(get_status(c, &a, &text), "device"), "scopes");
        snprintf(scopes, scopes_cap, "%s", v ? v : "");
        free(text);
        arena_free(&a);
        step_result(s, true, "accepted", "Google accepted \"%s\"%s; user code %s (not waited for)",
                    scopes, scopes_write(scopes) ? "" : " (read-only mode)", dc->user_code);
        sb_printf(&s->evidence, "status device.scopes; %d set(s) refused before it", n);
        if (n > 0) {
            sb_puts(&s->evidence, ": ");
            for (p = refused->data; p != NULL && *p != '\0';) {
                size_t len = strcspn(p, "\n");
                sb_printf(&s->evidence, "\"%.*s\"%s", (int)len, p, p[len] ? ", " : "");
                p += len + (p[len] ? 1 : 0);
            }
        }
        sb_printf(&s->evidence, "; the code expires unused in %u min", dc->expires_in / 60);
    } else if (s->rc == GS_GCAL_INVALID_SCOPE) {
        step_result(s, true, "all_refused",
                    "Google refused every scope set (%d): the device flow cannot be used", n);
        sb_printf(&s->evidence, "%s", s->detail);
    } else {
        step_failed(s);
    }
}

/* Cleanup: cancels each meeting the probe may have made. */
static void probe_cleanup(cli *c, capture *cap, step *s, char ids[][64], const bool *made,
                          int count) {
    int i, done = 0, queued = 0, tried = 0;
    s->attempted = true;
    s->rc = GS_GCAL_OK;
    for (i = 0; i < count; i++) {
        gs_gcal_result rc;
        if (!made[i])
            continue;
        tried++;
        capture_reset(cap);
        rc = gs_gcal_cancel_meeting(c->h, ids[i], NULL, NULL);
        if (s->evidence.len > 0)
            sb_puts(&s->evidence, "; ");
        sb_printf(&s->evidence, "%s: ", ids[i]);
        summarize_calls(cap, NULL, NULL, &s->evidence);
        if (rc == GS_GCAL_OK) {
            done++;
        } else {
            if (rc == GS_GCAL_QUEUED)
                queued++;
            if (s->rc == GS_GCAL_OK) {
                s->rc = rc;
                keep_detail(c, s);
            }
        }
    }
    if (tried == 0)
        step_result(s, true, "nothing", "nothing to clean up (the probe created nothing)");
    else if (done == tried)
        step_result(s, true, "done", "done: the %d meeting(s) the probe created are deleted",
                    tried);
    else if (queued > 0 && done + queued == tried)
        step_result(s, false, "queued",
                    "queued: %d deletion(s) wait in the outbox; 'sync' sends them", queued);
    else
        step_failed(s);
}

static void json_step(cli *c, const step *s) {
    sb_puts(&c->out, "\"result\":");
    sb_json_str(&c->out, s->result);
    sb_puts(&c->out, ",\"answer\":");
    sb_json_str(&c->out, s->answer);
    sb_puts(&c->out, ",\"evidence\":");
    sb_json_str(&c->out, s->evidence.data ? s->evidence.data : "");
    if (s->attempted && s->rc != GS_GCAL_OK) {
        sb_printf(&c->out, ",\"code\":%d,\"detail\":", (int)s->rc);
        sb_json_str(&c->out, s->detail[0] ? s->detail : NULL);
    }
}

int cmd_probe(cli *c, int argc, char **argv) {
    arena a = {0};
    const char *r;
    char *text = NULL, date[32], day[16], run_id[48], ids[2][64], series_id[GS_GCAL_EVENT_ID_SIZE] = "",
         single_id[GS_GCAL_EVENT_ID_SIZE] = "", series_start[24], single_start[24], occ[2][24],
         new_start[24], computed[2][GS_GCAL_EVENT_ID_SIZE + 24], stamp[24], scopes[512] = "";
    char account[320] = "", calendar[320] = "", state[32] = "";
    const char *redirect, *client_id;
    bool device_client, made[2] = {false, false};
    gs_gcal_meeting series, single;
    gs_gcal_device_code dc;
    capture cap = {{0}, 0};
    strbuf refused = {0};
    step steps[6];
    const json *st;
    int64_t now, base;
    gs_gcal_result rc;
    size_t i;
    int code, k;
    static const char *const labels[] = {
        "A1 time zone " SERIES_ZONE, "A1 time zone " SINGLE_ZONE, "A3 occurrence edit",
        "A3 occurrence delete",      "A2 device-flow scopes",     "Cleanup"};
    (void)argv;
    if (argc != 0)
        return usage_error(c, "usage: probe");
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        return code;
    memset(steps, 0, sizeof steps);
    for (i = 0; i < 6; i++) {
        steps[i].name = labels[i];
        steps[i].result = "not_tested";
    }

    /* Who and what: the probe needs an authorized state directory. */
    st = get_status(c, &a, &text);
    if (st == NULL) {
        code = fail_plain(c, EXIT_FAILED, "probe: the status is not readable");
        goto cleanup;
    }
    snprintf(state, sizeof state, "%s", json_text(st, "state"));
    snprintf(account, sizeof account, "%s", json_text(st, "account"));
    snprintf(calendar, sizeof calendar, "%s", json_text(st, "calendar_id"));
    client_id = json_str(st, "client_id");
    redirect = json_str(st, "redirect_uri");
    device_client = client_id != NULL && (redirect == NULL || redirect[0] == '\0');
    if (strcmp(state, "authorized") != 0) {
        rc = strcmp(state, "unconfigured") == 0      ? GS_GCAL_NOT_CONFIGURED
             : strcmp(state, "reauth_required") == 0 ? GS_GCAL_REAUTH_REQUIRED
                                                     : GS_GCAL_NOT_AUTHORIZED;
        code = fail(c, rc, "probe: needs an authorized state directory (state: %s)", state);
        goto cleanup;
    }
    /* "Now": backoffs from earlier failures do not hold the probe's calls. */
    if ((rc = gs_gcal_retry_now(c->h)) != GS_GCAL_OK) {
        code = fail(c, rc, "probe");
        goto cleanup;
    }
    cap.verbose = c->verbose;
    if (gs_gcal_set_log_callback(c->h, c->verbose >= 2 ? GS_GCAL_LOG_DEBUG : GS_GCAL_LOG_INFO,
                                 probe_log, &cap) != GS_GCAL_OK) {
        code = fail_plain(c, EXIT_FAILED, "probe: could not watch the library's log");
        goto cleanup;
    }

    /* The throw-away meetings, four weeks ahead at 03:00 local: a weekly
       series of 3 in Etc/GMT-1 (= 02:00 UTC) and a single meeting in
       Europe/Kyiv the next day. No invitees: nobody is notified. */
    now = (int64_t)time(NULL);
    format_utc(now, date, sizeof date);
    /* The process id too: two probes in one second do not share meetings. */
    snprintf(run_id, sizeof run_id, "gcalctl-probe-%lld-%ld", (long long)now, (long)getpid());
    snprintf(ids[0], sizeof ids[0], "%s-series", run_id);
    snprintf(ids[1], sizeof ids[1], "%s-single", run_id);
    base = (now / 86400 + 28) * 86400;
    day_of(base, day, sizeof day);
    snprintf(series_start, sizeof series_start, "%sT03:00", day);
    day_of(base + 86400, day, sizeof day);
    snprintf(single_start, sizeof single_start, "%sT03:00", day);
    for (k = 0; k < 2; k++) {
        day_of(base + (k + 1) * WEEK, day, sizeof day);
        snprintf(occ[k], sizeof occ[k], "%sT03:00", day);
    }
    day_of(base + WEEK, day, sizeof day);
    snprintf(new_start, sizeof new_start, "%sT04:00", day);

    memset(&series, 0, sizeof series);
    series.struct_size = sizeof series;
    series.meeting_id = ids[0];
    series.subject = PROBE_SUBJECT;
    series.agenda = PROBE_AGENDA;
    series.start = series_start;
    series.end = "03:30";
    series.time_zone = SERIES_ZONE;
    series.repeat = GS_GCAL_REPEAT_WEEKLY;
    series.repeat_end = GS_GCAL_REPEAT_END_AFTER;
    series.repeat_count = 3;
    single = series;
    single.meeting_id = ids[1];
    single.start = single_start;
    single.time_zone = SINGLE_ZONE;
    single.repeat = GS_GCAL_REPEAT_NONE;
    single.repeat_end = GS_GCAL_REPEAT_END_NEVER;
    single.repeat_count = 0;

    /* A1 */
    probe_zone(c, &cap, &steps[0], &series, series_id, &made[0]);
    probe_zone(c, &cap, &steps[1], &single, single_id, &made[1]);

    /* A3: the 2nd occurrence moved an hour later, the 3rd deleted. */
    for (k = 0; k < 2; k++) {
        basic_utc(base + (k + 1) * WEEK + 2 * 3600, stamp, sizeof stamp);
        snprintf(computed[k], sizeof computed[k], "%s_%s", series_id, stamp);
    }
    if (steps[0].rc == GS_GCAL_OK) {
        probe_edit(c, &cap, &steps[2], &series, occ[0], new_start, computed[0], series_id);
        probe_delete(c, &cap, &steps[3], ids[0], occ[1], computed[1], series_id);
    } else {
        for (k = 2; k < 4; k++) {
            step_result(&steps[k], false, "not_tested",
                        "not tested: the series in " SERIES_ZONE " could not be created");
        }
    }

    /* A2 */
    probe_device(c, &cap, &steps[4], device_client, &refused, scopes, sizeof scopes, &dc);

    /* Cleanup */
    probe_cleanup(c, &cap, &steps[5], ids, made, 2);
    if (gs_gcal_set_log_callback(c->h, 0, NULL, NULL) != GS_GCAL_OK)
        fputs(PROG ": warning: could not restore the library's log\n", stderr);

    /* The first step that did not get Google's answer decides the exit code. */
    for (i = 0; i < 6 && code == EXIT_DONE; i++) {
        step *s = &steps[i];
        if (s->answered || !s->attempted)
            continue;
        code = exit_code_for(s->rc == GS_GCAL_OK ? GS_GCAL_INTERNAL : s->rc);
        fail_plain(c, code, "probe: %s: %s", s->name, s->answer);
        c->err_code = s->rc;
        snprintf(c->err_text, sizeof c->err_text, "%s", gs_gcal_strerror(s->rc));
        snprintf(c->err_detail, sizeof c->err_detail, "%s", s->detail);
        print_hint(c, s->rc);
    }
    c->keep_output = true; /* --json: the report also when a step failed */

    if (c->json) {
        out_str(c, "library", gs_gcal_version());
        out_str(c, "date", date);
        out_str(c, "account", account[0] ? account : NULL);
        out_str(c, "calendar_id", calendar);
        out_key(c, "meeting_ids");
        sb_puts(&c->out, "[");
        sb_json_str(&c->out, ids[0]);
        sb_puts(&c->out, ",");
        sb_json_str(&c->out, ids[1]);
        sb_puts(&c->out, "]");
        out_key(c, "time_zones");
        sb_puts(&c->out, "[");
        for (k = 0; k < 2; k++) {
            char used[64] = "";
            sb_puts(&c->out, k ? ",{\"zone\":" : "{\"zone\":");
            sb_json_str(&c->out, k ? SINGLE_ZONE : SERIES_ZONE);
            substitution_of(c, k ? SINGLE_ZONE : SERIES_ZONE, used, sizeof used);
            sb_puts(&c->out, ",\"substitute\":");
            sb_json_str(&c->out, used[0] && (strcmp(steps[k].result, "substituted") == 0 ||
                                             strcmp(steps[k].result, "remembered") == 0)
                                     ? used
                                     : NULL);
            sb_puts(&c->out, ",");
            json_step(c, &steps[k]);
            sb_puts(&c->out, "}");
        }
        sb_puts(&c->out, "]");
        out_key(c, "occurrence_ids");
        sb_puts(&c->out, "{\"computed_format\":\"<id>_YYYYMMDDTHHMMSSZ\"");
        for (k = 0; k < 2; k++) {
            sb_puts(&c->out, k ? ",\"delete\":{\"computed_id\":" : ",\"edit\":{\"computed_id\":");
            sb_json_str(&c->out, series_id[0] ? computed[k] : NULL);
            sb_puts(&c->out, ",");
            json_step(c, &steps[2 + k]);
            sb_puts(&c->out, "}");
        }
        sb_puts(&c->out, "}");
        out_key(c, "device_scopes");
        sb_puts(&c->out, "{\"device_client\":");
        sb_puts(&c->out, device_client ? "true" : "false");
        sb_puts(&c->out, ",\"accepted\":");
        sb_json_str(&c->out, scopes[0] ? scopes : NULL);
        sb_puts(&c->out, ",\"refused\":[");
        for (r = refused.data, k = 0; r != NULL && *r != '\0'; k++) {
            size_t len = strcspn(r, "\n");
            char one[512];
            snprintf(one, sizeof one, "%.*s", (int)len, r);
            sb_puts(&c->out, k ? "," : "");
            sb_json_str(&c->out, one);
            r += len + (r[len] ? 1 : 0);
        }
        sb_puts(&c->out, "],\"read_only\":");
        sb_puts(&c->out, scopes[0] && !scopes_write(scopes) ? "true" : "false");
        sb_puts(&c->out, ",\"user_code\":");
        sb_json_str(&c->out, steps[4].rc == GS_GCAL_OK && steps[4].attempted ? dc.user_code
                                                                              : NULL);
        sb_puts(&c->out, ",\"verification_url\":");
        sb_json_str(&c->out, steps[4].rc == GS_GCAL_OK && steps[4].attempted
                                 ? dc.verification_url
                                 : NULL);
        sb_puts(&c->out, ",");
        json_step(c, &steps[4]);
        sb_puts(&c->out, "}");
        out_key(c, "cleanup");
        sb_puts(&c->out, "{");
        json_step(c, &steps[5]);
        sb_puts(&c->out, "}");
    } else {
        printf("gs-gcal probe report\n");
        printf("Library:   %s\n", gs_gcal_version());
        printf("Date:      %s\n", date);
        printf("Account:   %s (calendar %s)\n", account[0] ? account : "(unknown)", calendar);
        printf("Meetings:  %s, %s (throw-away; %s and %s)\n", ids[0], ids[1], series_start,
               single_start);
        for (i = 0; i < 6; i++) {
            char label[40];
            snprintf(label, sizeof label, "%s:", labels[i]);
            printf("%-27s %s%s%s%s\n", label, steps[i].answer,
                   steps[i].evidence.len ? " [" : "",
                   steps[i].evidence.len ? steps[i].evidence.data : "",
                   steps[i].evidence.len ? "]" : "");
        }
        if (steps[4].attempted && steps[4].rc == GS_GCAL_OK)
            printf("Device code %s at %s: not needed, let it expire (nothing polls for it; "
                   "the authorization in use stays).\n",
                   dc.user_code, dc.verification_url);
    }

cleanup:
    free(text);
    arena_free(&a);
    sb_free(&cap.lines);
    sb_free(&refused);
    for (i = 0; i < 6; i++)
        sb_free(&steps[i].evidence);
    return code;
}
