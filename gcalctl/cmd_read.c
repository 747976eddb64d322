/* gcalctl commands reading the calendar: calendars, events, sync-events, busy. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static gs_gcal_result fill_calendars(gs_gcal *h, const void *arg, char *buf, size_t len,
                                     size_t *needed) {
    (void)arg;
    return gs_gcal_list_calendars(h, buf, len, needed);
}

static gs_gcal_result fill_sync_events(gs_gcal *h, const void *arg, char *buf, size_t len,
                                       size_t *needed) {
    (void)arg;
    return gs_gcal_sync_events(h, buf, len, needed);
}

typedef struct window {
    const char *calendar, *time_min, *time_max;
} window;

static gs_gcal_result fill_events(gs_gcal *h, const void *arg, char *buf, size_t len,
                                  size_t *needed) {
    const window *w = arg;
    return gs_gcal_list_events(h, w->calendar, w->time_min, w->time_max, buf, len, needed);
}

int cmd_calendars(cli *c, int argc, char **argv) {
    arena a = {0};
    char *text = NULL, err[160];
    const json *list, *cal;
    gs_gcal_result rc;
    int code;
    (void)argv;
    if (argc != 0)
        return usage_error(c, "usage: calendars");
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        return code;
    if ((rc = fetch_text(c->h, fill_calendars, NULL, &text)) != GS_GCAL_OK)
        return fail(c, rc, "listing calendars");
    if (c->json) {
        out_raw(c, "calendars", text);
        goto cleanup;
    }
    if ((list = json_parse(&a, text, strlen(text), err, sizeof err)) == NULL ||
        list->type != JSON_ARRAY) {
        code = fail_plain(c, EXIT_FAILED, "listing calendars: unreadable answer");
        goto cleanup;
    }
    for (cal = list->child; cal != NULL; cal = cal->next) {
        const char *role = json_str(cal, "access_role"), *name = json_str(cal, "summary");
        const char *zone = json_str(cal, "time_zone");
        printf("%s %-44s %-8s %s", json_true(cal, "primary") ? "*" : " ", json_text(cal, "id"),
               role ? role : "-", name ? name : "");
        if (zone != NULL)
            printf(" (%s)", zone);
        printf("\n");
    }
    if (list->count == 0)
        printf("No calendars.\n");
cleanup:
    free(text);
    arena_free(&a);
    return code;
}

/* One event for people: "2024-04-29 10:00-11:00  Subject  [meeting 6300-0001]". */
static void print_event(const json *ev) {
    const char *start = json_str(ev, "start"), *end = json_str(ev, "end");
    const char *summary = json_str(ev, "summary"), *status = json_str(ev, "status");
    char a[40], b[40];
    int64_t ts, te;
    if (json_true(ev, "all_day") || start == NULL || end == NULL ||
        !parse_time(start, false, &ts) || !parse_time(end, false, &te)) {
        snprintf(a, sizeof a, "%s", start ? start : "?");
        snprintf(b, sizeof b, "all day");
    } else {
        format_local(ts, false, a, sizeof a);
        format_local(te, false, b, sizeof b);
        if (strncmp(a, b, 10) == 0) /* the same day: only the end's time */
            format_local(te, true, b, sizeof b);
    }
    printf("%s - %s  %s", a, b, summary ? summary : "(private)");
    if (status != NULL && strcmp(status, "confirmed") != 0)
        printf("  [%s]", status);
    if (json_str(ev, "pbx_meeting_id"))
        printf("  [meeting %s]", json_str(ev, "pbx_meeting_id"));
    printf("\n");
}

/* events FROM TO [CALENDAR] */
int cmd_events(cli *c, int argc, char **argv) {
    arena a = {0};
    char *text = NULL, from[40], to[40], err[160];
    const json *doc, *events, *ev;
    int64_t t0, t1;
    window w;
    gs_gcal_result rc;
    int code;
    if (argc < 2 || argc > 3)
        return usage_error(c, "usage: events FROM TO [CALENDAR]");
    if (!parse_time(argv[0], false, &t0))
        return usage_error(c, "events: FROM \"%s\" is not YYYY-MM-DD or RFC 3339", argv[0]);
    if (!parse_time(argv[1], true, &t1))
        return usage_error(c, "events: TO \"%s\" is not YYYY-MM-DD or RFC 3339", argv[1]);
    if (t1 <= t0)
        return usage_error(c, "events: TO must be after FROM");
    format_utc(t0, from, sizeof from);
    format_utc(t1, to, sizeof to);
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        return code;
    w.calendar = argc == 3 ? argv[2] : NULL;
    w.time_min = from;
    w.time_max = to;
    if ((rc = fetch_text(c->h, fill_events, &w, &text)) != GS_GCAL_OK)
        return fail(c, rc, "listing events");
    if (c->json) {
        out_str(c, "time_min", from);
        out_str(c, "time_max", to);
        out_raw(c, "result", text);
        goto cleanup;
    }
    doc = json_parse(&a, text, strlen(text), err, sizeof err);
    events = json_get(doc, "events");
    if (events == NULL || events->type != JSON_ARRAY) {
        code = fail_plain(c, EXIT_FAILED, "listing events: unreadable answer");
        goto cleanup;
    }
    printf("%s: %zu event(s) from %s to %s\n",
           json_str(doc, "calendar") ? json_str(doc, "calendar") : "calendar", events->count,
           from, to);
    for (ev = events->child; ev != NULL; ev = ev->next)
        print_event(ev);
cleanup:
    free(text);
    arena_free(&a);
    return code;
}

/* The drift of a sync_events report: pushed meetings changed in Google. */
static void print_drift(FILE *f, const json *report) {
    const json *drift = json_get(report, "drift"), *x;
    for (x = drift ? drift->child : NULL; x != NULL; x = x->next)
        fprintf(f, "Drift: meeting %s (event %s) was %s in Google\n", json_text(x, "meeting_id"),
                json_text(x, "event_id"), json_text(x, "change"));
}

/* Prints a sync_events report for people. */
static void print_sync_report(const json *report) {
    const json *cals = json_get(report, "calendars"), *x;
    for (x = cals ? cals->child : NULL; x != NULL; x = x->next)
        printf("%s: %s, %lld changed, %lld removed%s\n", json_text(x, "calendar"),
               json_true(x, "full_sync") ? "full sync" : "changes only",
               json_int(x, "changed", 0), json_int(x, "removed", 0),
               json_int(x, "skipped", 0) > 0 ? ", some items unreadable (skipped)" : "");
    print_drift(stdout, report);
}

/* sync-events: bring the local copy (read_calendars) up to date. */
int cmd_sync_events(cli *c, int argc, char **argv) {
    arena a = {0};
    char *text = NULL, err[160];
    gs_gcal_result rc;
    int code;
    (void)argv;
    if (argc != 0)
        return usage_error(c, "usage: sync-events");
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        return code;
    if ((rc = fetch_text(c->h, fill_sync_events, NULL, &text)) != GS_GCAL_OK)
        return fail(c, rc, "sync-events");
    if (c->json)
        out_raw(c, "report", text);
    else
        print_sync_report(json_parse(&a, text, strlen(text), err, sizeof err));
    free(text);
    arena_free(&a);
    return EXIT_DONE;
}

/* busy [TIME [CALENDAR]]: presence, from the local copy refreshed first
   (when Google cannot be reached, from the copy as it is). The refresh
   delivers drift reports only once, so they are passed on, not dropped. */
int cmd_busy(cli *c, int argc, char **argv) {
    const char *calendar = argc == 2 ? argv[1] : NULL;
    char *report = NULL, when[40], until[40], err[160];
    arena a = {0};
    gs_gcal_busy b;
    gs_gcal_result rc, refresh;
    int64_t t = 0;
    int code;
    if (argc > 2)
        return usage_error(c, "usage: busy [TIME [CALENDAR]]");
    if (!parse_time(argc > 0 ? argv[0] : "now", false, &t))
        return usage_error(c, "busy: \"%s\" is not now, @SECONDS, YYYY-MM-DD or RFC 3339",
                           argv[0]);
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        return code;
    refresh = fetch_text(c->h, fill_sync_events, NULL, &report);
    memset(&b, 0, sizeof b);
    b.struct_size = sizeof b;
    rc = gs_gcal_busy_at(c->h, calendar, t, &b);
    if (rc == GS_GCAL_NOT_SYNCED && refresh != GS_GCAL_OK) {
        code = fail(c, refresh, "busy: refreshing the local copy of the calendar");
        goto cleanup;
    }
    if (rc != GS_GCAL_OK) {
        code = fail(c, rc, "busy");
        goto cleanup;
    }
    if (refresh != GS_GCAL_OK)
        fprintf(stderr, PROG ": warning: could not refresh the local copy (%s); answering "
                        "from it as it is\n",
                gs_gcal_strerror(refresh));
    format_utc(t, when, sizeof when);
    if (b.until != 0)
        format_utc(b.until, until, sizeof until);
    if (c->json) {
        out_str(c, "calendar", calendar ? calendar : "primary");
        out_str(c, "time", when);
        out_bool(c, "busy", b.busy != 0);
        out_bool(c, "out_of_office", b.out_of_office != 0);
        out_str(c, "until", b.until != 0 ? until : NULL);
        out_bool(c, "refreshed", refresh == GS_GCAL_OK);
        if (report != NULL)
            out_raw(c, "sync_report", report);
    } else {
        char local[40] = "?";
        if (b.until != 0)
            format_local(b.until, false, local, sizeof local);
        if (b.busy)
            printf("Busy%s until %s\n", b.out_of_office ? " (out of office)" : "", local);
        else if (b.until != 0)
            printf("Free until %s\n", local);
        else
            printf("Free (nothing busy ahead)\n");
        if (report != NULL)
            print_drift(stderr, json_parse(&a, report, strlen(report), err, sizeof err));
    }
cleanup:
    free(report);
    arena_free(&a);
    return code;
}
