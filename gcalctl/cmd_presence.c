/* gcalctl commands of presence and replies (issue 15): presence EMAIL...,
   replies MEETING_ID. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static gs_gcal_result fill_sync_events(gs_gcal *h, const void *arg, char *buf, size_t len,
                                       size_t *needed) {
    (void)arg;
    return gs_gcal_sync_events(h, buf, len, needed);
}

static gs_gcal_result fill_replies(gs_gcal *h, const void *arg, char *buf, size_t len,
                                   size_t *needed) {
    return gs_gcal_replies(h, (const char *)arg, buf, len, needed);
}

static const char *state_name(uint32_t s) {
    return s == GS_GCAL_PRESENCE_BUSY ? "busy" : s == GS_GCAL_PRESENCE_FREE ? "free" : "unknown";
}

/* presence EMAIL...: the extensions' free/busy now, asked of Google
   (freebusy.query, 50 addresses a request). The directory is not
   persisted, so each run sets it from the arguments. */
int cmd_presence(cli *c, int argc, char **argv) {
    gs_gcal_presence_report r;
    gs_gcal_result rc;
    strbuf arr = {0};
    int64_t now = 0;
    int code, i;
    if (argc < 1)
        return usage_error(c, "usage: presence EMAIL...");
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        return code;
    if ((rc = gs_gcal_presence_set(c->h, (const char *const *)argv, (size_t)argc)) != GS_GCAL_OK)
        return fail(c, rc, "presence");
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    if ((rc = gs_gcal_presence_refresh(c->h, 60000, &r)) != GS_GCAL_OK)
        return fail(c, rc, "presence: asking Google");
    parse_time("now", false, &now);
    sb_puts(&arr, "[");
    for (i = 0; i < argc; i++) {
        gs_gcal_presence p;
        char until[40] = "", local[40] = "";
        memset(&p, 0, sizeof p);
        p.struct_size = sizeof p;
        if ((rc = gs_gcal_presence_get(c->h, argv[i], now, &p)) != GS_GCAL_OK) {
            sb_free(&arr);
            return fail(c, rc, "presence %s", argv[i]);
        }
        if (p.until != 0) {
            format_utc(p.until, until, sizeof until);
            format_local(p.until, false, local, sizeof local);
        }
        if (c->json) {
            strbuf *b = &arr;
            sb_printf(b, "%s{\"email\":", i ? "," : "");
            sb_json_str(b, argv[i]);
            sb_printf(b, ",\"state\":\"%s\",\"until\":", state_name(p.state));
            if (p.until != 0)
                sb_json_str(b, until);
            else
                sb_puts(b, "null");
            sb_puts(b, ",\"reason\":");
            if (p.reason[0])
                sb_json_str(b, p.reason);
            else
                sb_puts(b, "null");
            sb_puts(b, "}");
        } else if (p.state == GS_GCAL_PRESENCE_BUSY) {
            printf("%s: busy until %s\n", argv[i], local);
        } else if (p.state == GS_GCAL_PRESENCE_FREE && p.until != 0) {
            printf("%s: free until %s\n", argv[i], local);
        } else if (p.state == GS_GCAL_PRESENCE_FREE) {
            printf("%s: free (nothing busy ahead)\n", argv[i]);
        } else {
            printf("%s: unknown (%s)\n", argv[i], p.reason);
        }
    }
    sb_puts(&arr, "]");
    if (c->json) {
        out_int(c, "requests", r.requests);
        out_raw(c, "presence", arr.data);
    }
    sb_free(&arr);
    return EXIT_DONE;
}

/* replies MEETING_ID: each invitee's answer to a pushed meeting, from the
   local copy refreshed first (sync-events). */
int cmd_replies(cli *c, int argc, char **argv) {
    char *report = NULL, *text = NULL, err[160];
    arena a = {0};
    const json *doc, *x;
    gs_gcal_result rc;
    int code;
    if (argc != 1)
        return usage_error(c, "usage: replies MEETING_ID");
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        return code;
    if ((rc = fetch_text(c->h, fill_sync_events, NULL, &report)) != GS_GCAL_OK)
        fprintf(stderr, PROG ": warning: could not refresh the local copy (%s); answering from it as it is\n",
                gs_gcal_strerror(rc));
    free(report);
    if ((rc = fetch_text(c->h, fill_replies, argv[0], &text)) != GS_GCAL_OK)
        return fail(c, rc, "replies %s", argv[0]);
    if (c->json) {
        out_raw(c, "replies", text);
    } else if ((doc = json_parse(&a, text, strlen(text), err, sizeof err)) != NULL) {
        const json *who = json_get(doc, "attendees");
        if (!json_true(doc, "found"))
            printf("meeting %s: not in the local copy (ended, or beyond read_horizon_days)\n", argv[0]);
        for (x = who ? who->child : NULL; x != NULL; x = x->next)
            printf("%-40s %s%s\n", json_text(x, "email"), json_text(x, "response"),
                   json_true(x, "resource") ? " (room)" : "");
    }
    free(text);
    arena_free(&a);
    return EXIT_DONE;
}
