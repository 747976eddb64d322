/*
 * The read side from C against the emulator: the calendars the account
 * sees, events in a window, incremental sync (one request when nothing
 * changed, 410 → full resync), presence answers across a table of event
 * shapes, and drift of pushed meetings edited or deleted in Google.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "gs_gcal.h"
#include "harness.h"

static emulator emu;
static char report[1 << 16];
static time_t base;

/* RFC 3339 UTC of base + seconds. */
static const char *at(long seconds, char *out, size_t cap) {
    time_t t = base + seconds;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return out;
}

/* Stores an event in the primary calendar as if made in Google. */
static void put(const char *id, long from, long to, const char *extra) {
    static char body[4096];
    char a[32], b[32];
    snprintf(body, sizeof body,
             "{\"calendar\":\"%s\",\"event\":{\"id\":\"%s\",\"summary\":\"%s\",\"status\":"
             "\"confirmed\",\"start\":{\"dateTime\":\"%s\"},\"end\":{\"dateTime\":\"%s\"}%s%s}}",
             emu.account, id, id, at(from, a, sizeof a), at(to, b, sizeof b), extra[0] ? "," : "",
             extra);
    POST_OK(&emu, "/control/put_event", body);
}

static gs_gcal_busy busy(gs_gcal *h, long offset, gs_gcal_result *rc) {
    gs_gcal_busy b;
    memset(&b, 0, sizeof b);
    b.struct_size = sizeof b;
    *rc = gs_gcal_busy_at(h, NULL, (int64_t)(base + offset), &b);
    return b;
}

static void expect_busy(gs_gcal *h, long offset, unsigned want_busy, unsigned want_ooo,
                        long want_until, int line) {
    gs_gcal_result rc;
    gs_gcal_busy b = busy(h, offset, &rc);
    h_check(rc == GS_GCAL_OK, "busy_at ok", __FILE__, line);
    h_check(b.busy == want_busy, "busy", __FILE__, line);
    h_check(b.out_of_office == want_ooo, "out_of_office", __FILE__, line);
    if (want_until >= 0)
        h_check(b.until == (int64_t)(base + want_until), "until", __FILE__, line);
}

/* The last report, parsed (NULL when the sync failed). */
static arena report_arena;
static const json *rep;

static gs_gcal_result sync(gs_gcal *h) {
    gs_gcal_result rc = gs_gcal_sync_events(h, report, sizeof report, NULL);
    arena_free(&report_arena);
    rep = rc == GS_GCAL_OK ? h_json_parse(&report_arena, report) : NULL;
    return rc;
}

int main(void) {
    char dir[512] = "", a[32], b[32], id[GS_GCAL_EVENT_ID_SIZE], req[512];
    static char buf[1 << 17];
    size_t needed = 0;
    long lists;
    gs_gcal_meeting m;
    gs_gcal *h = NULL;
    const long H = 3600;
    arena a_list = {0}; /* the listings (calendars, events) */
    const json *list;

    h_emulator(&emu);
    POST_OK(&emu, "/control/reset", "");
    base = (time(NULL) / H + 48) * H; /* two days ahead, on the hour */
    h = h_open_authorized(&emu, dir, sizeof dir);
    if (h == NULL)
        goto cleanup;

    /* The calendars the account can see. */
    EXPECT_RC(h, gs_gcal_list_calendars(h, buf, sizeof buf, NULL), GS_GCAL_OK);
    list = h_json_parse(&a_list, buf);
    CHECK(h_json_bool_is(h_json_find(list, "", "id", emu.account), "primary", 1));
    CHECK(h_json_find(list, "", "summary", "Room 6300") != NULL &&
          h_json_find(list, "", "summary", "Team") != NULL);

    EXPECT_RC(h, gs_gcal_busy_at(h, NULL, 0, NULL), GS_GCAL_NULL_ARGUMENT);
    {
        gs_gcal_result rc;
        busy(h, 0, &rc);
        CHECK(rc == GS_GCAL_NOT_SYNCED);
    }

    /* A table of event shapes. */
    put("busy1", 0, H, "");
    put("transparent1", 2 * H, 3 * H, "\"transparency\":\"transparent\"");
    snprintf(req, sizeof req,
             "\"attendees\":[{\"email\":\"%s\",\"self\":true,\"responseStatus\":\"declined\"}]",
             emu.account);
    put("declined1", 4 * H, 5 * H, req);
    put("ooo1", 6 * H, 8 * H, "\"eventType\":\"outOfOffice\"");
    put("wl1", 9 * H, 10 * H, "\"eventType\":\"workingLocation\"");
    put("tentative1", 11 * H, 12 * H, "\"status\":\"tentative\"");
    put("future1", 13 * H, 14 * H, "\"eventType\":\"somethingNew\",\"futureField\":{\"x\":1}");
    put("backtoback", 14 * H, 15 * H, "\"visibility\":\"private\"");

    /* A PBX meeting, repeating daily 3 times, in the same calendar. */
    memset(&m, 0, sizeof m);
    m.struct_size = sizeof m;
    m.meeting_id = "read-1";
    m.subject = "Standup";
    m.start = at(20 * H, a, sizeof a);
    a[16] = '\0'; /* local wall time YYYY-MM-DDTHH:MM in UTC */
    m.end = at(20 * H + 900, b, sizeof b);
    b[16] = '\0';
    m.time_zone = "UTC";
    m.repeat = GS_GCAL_REPEAT_DAILY;
    m.repeat_end = GS_GCAL_REPEAT_END_AFTER;
    m.repeat_count = 3;
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_OK);

    /* A single PBX meeting (Google answers its times with an offset). */
    m.meeting_id = "read-2";
    m.subject = "One-off";
    m.start = at(17 * H, a, sizeof a);
    a[16] = '\0';
    m.end = at(18 * H, b, sizeof b);
    b[16] = '\0';
    m.time_zone = "Etc/GMT-1"; /* UTC+1: local 17:00 is 16:00 UTC */
    m.repeat = GS_GCAL_REPEAT_NONE;
    EXPECT_RC(h, h_push(h, &m, NULL, NULL, 0, NULL), GS_GCAL_OK);
    m.meeting_id = "read-1";
    m.subject = "Standup";
    m.start = at(20 * H, a, sizeof a);
    a[16] = '\0';
    m.end = at(20 * H + 900, b, sizeof b);
    b[16] = '\0';
    m.time_zone = "UTC";
    m.repeat = GS_GCAL_REPEAT_DAILY;

    /* First sync: full; then presence from the cache. */
    EXPECT_RC(h, sync(h), GS_GCAL_OK);
    CHECK(h_json_bool_is(rep, "calendars[0].full_sync", 1));
    CHECK(h_json_len(rep, "drift") == 0);
    expect_busy(h, 30 * 60, 1, 0, H, __LINE__);            /* confirmed, opaque */
    expect_busy(h, 16 * H + 60, 1, 0, 17 * H, __LINE__);   /* the single PBX meeting */
    CHECK(h_json_int_is(rep, "calendars[0].skipped", 0) ||
          (rep != NULL && h_json_at(rep, "calendars[0].skipped") == NULL));
    expect_busy(h, 2 * H + 60, 0, 0, 6 * H, __LINE__);     /* transparent: free until ooo */
    expect_busy(h, 4 * H + 60, 0, 0, -1, __LINE__);        /* declined */
    expect_busy(h, 7 * H, 1, 1, 8 * H, __LINE__);          /* out of office */
    expect_busy(h, 9 * H + 60, 0, 0, -1, __LINE__);        /* working location */
    expect_busy(h, 11 * H + 60, 0, 0, -1, __LINE__);       /* tentative */
    expect_busy(h, 13 * H + 60, 1, 0, 15 * H, __LINE__);   /* unknown type, back to back */
    expect_busy(h, 20 * H + 60, 1, 0, 20 * H + 900, __LINE__); /* our meeting */
    expect_busy(h, 44 * H + 60, 1, 0, 44 * H + 900, __LINE__); /* its 2nd occurrence */

    /* Nothing changed: one request, and the cache file is not rewritten. */
    lists = h_counter(&emu, "events.list");
    {
        char path[600];
        struct stat before, after;
        snprintf(path, sizeof path, "%s/gs_gcal.cache.json", dir);
        CHECK(stat(path, &before) == 0);
        EXPECT_RC(h, sync(h), GS_GCAL_OK);
        CHECK(stat(path, &after) == 0);
        CHECK(before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
              before.st_mtim.tv_nsec == after.st_mtim.tv_nsec && before.st_ino == after.st_ino);
    }
    CHECK(h_counter(&emu, "events.list") == lists + 1);
    CHECK(h_json_bool_is(rep, "calendars[0].full_sync", 0) &&
          h_json_int_is(rep, "calendars[0].changed", 0));

    /* The pushed meeting edited in Google: reported once as drift. */
    snprintf(req, sizeof req,
             "{\"calendar\":\"%s\",\"id\":\"%s\",\"patch\":{\"summary\":\"Moved by a user\"}}",
             emu.account, id);
    POST_OK(&emu, "/control/edit_event", req);
    EXPECT_RC(h, gs_gcal_sync_events(h, NULL, 0, &needed), GS_GCAL_BUFFER_TOO_SMALL);
    EXPECT_RC(h, sync(h), GS_GCAL_OK); /* the undelivered drift comes again */
    CHECK(h_json_str_is(h_json_find(rep, "drift", "meeting_id", "read-1"), "change", "modified"));
    EXPECT_RC(h, sync(h), GS_GCAL_OK);
    CHECK(h_json_len(rep, "drift") == 0);
    /* Our own edit is not drift. */
    m.subject = "Standup (PBX edit)";
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_OK);
    EXPECT_RC(h, sync(h), GS_GCAL_OK);
    CHECK(h_json_len(rep, "drift") == 0);

    /* Events in a window: expanded, private titles hidden, PBX origin. */
    EXPECT_RC(h, gs_gcal_list_events(h, NULL, at(0, a, sizeof a), at(60 * H, b, sizeof b), buf,
                                     sizeof buf, NULL),
              GS_GCAL_OK);
    list = h_json_parse(&a_list, buf);
    CHECK(h_json_find(list, "events", "pbx_meeting_id", "read-1") != NULL);
    CHECK(h_json_find(list, "events", "event_type", "other") != NULL);
    CHECK(h_json_find(list, "events", "visibility", "private") != NULL);
    CHECK(h_json_count(list, "events", "summary", "backtoback") == 0);
    /* occurrences at +20 h and +44 h; the 3rd (+68 h) is outside */
    CHECK(h_json_count(list, "events", "pbx_meeting_id", "read-1") == 2);
    EXPECT_RC(h, gs_gcal_list_events(h, NULL, "tomorrow", at(72 * H, b, sizeof b), buf,
                                     sizeof buf, NULL),
              GS_GCAL_INVALID_TIME);

    /* Deleted in Google while our sync token expired: the full resync
       drops it and reports the drift. */
    POST_OK(&emu, "/control/invalidate_sync_tokens", "{}");
    snprintf(req, sizeof req, "{\"calendar\":\"%s\",\"id\":\"%s\"}", emu.account, id);
    POST_OK(&emu, "/control/delete_event", req);
    snprintf(req, sizeof req, "{\"calendar\":\"%s\",\"id\":\"busy1\"}", emu.account);
    POST_OK(&emu, "/control/delete_event", req);
    EXPECT_RC(h, sync(h), GS_GCAL_OK);
    CHECK(h_json_bool_is(rep, "calendars[0].full_sync", 1));
    CHECK(h_json_find(rep, "drift", "change", "deleted") != NULL);
    expect_busy(h, 30 * 60, 0, 0, -1, __LINE__);
    expect_busy(h, 20 * H + 60, 0, 0, -1, __LINE__);

    /* Several calendars: the shared one is synced too. */
    EXPECT_RC(h, gs_gcal_set_option(h, "read_calendars",
                                    "primary, c_shared0123456789@group.calendar.google.com"),
              GS_GCAL_OK);
    EXPECT_RC(h, sync(h), GS_GCAL_OK);
    CHECK(h_json_find(rep, "calendars", "calendar",
                      "c_shared0123456789@group.calendar.google.com") != NULL);
    {
        gs_gcal_busy bb;
        memset(&bb, 0, sizeof bb);
        bb.struct_size = sizeof bb;
        EXPECT_RC(h, gs_gcal_busy_at(h, "c_shared0123456789@group.calendar.google.com",
                                     (int64_t)base, &bb),
                  GS_GCAL_OK);
        CHECK(bb.busy == 0);
        EXPECT_RC(h, gs_gcal_busy_at(h, "other@example.com", (int64_t)base, &bb),
                  GS_GCAL_NOT_SYNCED);
    }

cleanup:
    gs_gcal_close(h);
    h_rmdir(dir);
    arena_free(&a_list);
    arena_free(&report_arena);
    return h_finish("test_read");
}
