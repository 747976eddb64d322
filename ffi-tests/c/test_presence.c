/*
 * Presence, replies and the bounded read side from C against the emulator
 * (issue 15): hundreds of extensions with mixed per-calendar errors in
 * batches of 50, busy/free at the edges of merged periods, Google's busy
 * rules (transparent, declined, cancelled), the round robin under a short
 * budget, the missing free/busy scope, invitees' replies after they answer,
 * the read horizon and a page over the body cap.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gs_gcal.h"
#include "harness.h"

#define N_EXT 300
#define H 3600L
#define DAY 86400L

static emulator emu;
static time_t base;
static char body[16384];
static char buf[1 << 17];

static const char *at(long seconds, char *out, size_t cap) {
    time_t t = base + seconds;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return out;
}

static const char *ext(int i, char *out, size_t cap) {
    snprintf(out, cap, "ext%03d@pbx.example.com", i);
    return out;
}

/* An event in calendar `cal` as if made in Google. */
static void put(const char *cal, const char *id, long from, long to, const char *extra) {
    char a[32], b[32];
    snprintf(body, sizeof body,
             "{\"calendar\":\"%s\",\"event\":{\"id\":\"%s\",\"summary\":\"%s\",\"start\":{\"dateTime\":"
             "\"%s\"},\"end\":{\"dateTime\":\"%s\"}%s%s}}",
             cal, id, id, at(from, a, sizeof a), at(to, b, sizeof b), extra[0] ? "," : "", extra);
    POST_OK(&emu, "/control/put_event", body);
}

static gs_gcal_presence get(gs_gcal *h, const char *email, long offset, gs_gcal_result *rc) {
    gs_gcal_presence p;
    memset(&p, 0x55, sizeof p);
    p.struct_size = sizeof p;
    *rc = gs_gcal_presence_get(h, email, (int64_t)(base + offset), &p);
    return p;
}

static void expect(gs_gcal *h, const char *email, long offset, uint32_t state, long until,
                   const char *reason, int line) {
    gs_gcal_result rc;
    gs_gcal_presence p = get(h, email, offset, &rc);
    h_check(rc == GS_GCAL_OK, "presence_get ok", __FILE__, line);
    h_check(p.state == state, "state", __FILE__, line);
    if (state != GS_GCAL_PRESENCE_UNKNOWN)
        h_check(p.until == (until ? (int64_t)(base + until) : 0), "until", __FILE__, line);
    h_check(strcmp(p.reason, reason) == 0, "reason", __FILE__, line);
    if (state != GS_GCAL_PRESENCE_UNKNOWN)
        h_check(p.known_until >= (int64_t)(base + 10 * H) && p.refreshed_at > 0, "known_until", __FILE__,
                line);
}

/* A handle authorized with the scopes of before presence (no free/busy). */
static gs_gcal *open_without_freebusy(char *dir, size_t cap) {
    static char url[2048], redirect[2048];
    gs_gcal *h = NULL;
    h_tempdir(dir, cap);
    EXPECT_RC(NULL, gs_gcal_open(dir, &h), GS_GCAL_OK);
    if (h == NULL)
        return NULL;
    h_use_emulator(h, &emu);
    EXPECT_RC(h, gs_gcal_set_option(h, "scopes",
                                    "openid email https://www.googleapis.com/auth/calendar.events "
                                    "https://www.googleapis.com/auth/calendar.calendarlist.readonly"),
              GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_set_client(h, emu.client_id, emu.client_secret, emu.redirect_uri), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_auth_url(h, url, sizeof url, NULL), GS_GCAL_OK);
    CHECK(h_consent(&emu, url, "allow", redirect, sizeof redirect) == 0);
    EXPECT_RC(h, gs_gcal_authorize(h, redirect), GS_GCAL_OK);
    return h;
}

/* The whole number at `path` of a JSON text; -1 when it is not there. */
static long long json_number(const char *text, const char *path) {
    arena a = {0};
    long long n = -1;
    if (h_json_int(h_json_parse(&a, text), path, &n) != 0)
        n = -1;
    arena_free(&a);
    return n;
}

/* Whether no calendar of a sync report says "truncated": true (and there is one). */
static int untruncated(const char *text) {
    arena a = {0};
    const json *c = h_json_at(h_json_parse(&a, text), "calendars");
    int n = 0, ok = c != NULL && c->type == JSON_ARRAY;
    for (c = ok ? c->child : NULL; c != NULL; c = c->next, n++)
        ok = ok && h_json_bool_is(c, "truncated", 0);
    arena_free(&a);
    return ok && n > 0;
}

/* Whether the report's attendee `email` answered `response`. */
static int attendee_is(const char *text, const char *email, const char *response) {
    arena a = {0};
    const json *at = h_json_find(h_json_parse(&a, text), "attendees", "email", email);
    int ok = h_json_str_is(at, "response", response) && h_json_bool_is(at, "resource", 0);
    arena_free(&a);
    return ok;
}

static void presence(void) {
    char dir[512] = "", e[64], e2[160];
    static char names[N_EXT][64];
    const char *list[N_EXT + 1];
    gs_gcal_presence_report r;
    gs_gcal_result rc;
    gs_gcal_presence p;
    gs_gcal *h = NULL;
    long calls, conns;
    int i, n;

    /* 250 calendars exist; 20 of them fail inside Google; 50 do not exist. */
    n = snprintf(body, sizeof body, "{\"calendars\":[");
    for (i = 0; i < 250; i++)
        n += snprintf(body + n, sizeof body - n, "%s\"%s\"", i ? "," : "", ext(i, e, sizeof e));
    n += snprintf(body + n, sizeof body - n, "],\"errors\":{");
    for (i = 200; i < 220; i++)
        n += snprintf(body + n, sizeof body - n, "%s\"%s\":\"internalError\"", i > 200 ? "," : "",
                      ext(i, e, sizeof e));
    snprintf(body + n, sizeof body - n, "}}");
    POST_OK(&emu, "/control/directory", body);

    /* Busy 600–1800 and 1800–2400 (merged), 3000–3600; Google's rules. */
    for (i = 0; i < 10; i++) {
        ext(i, e, sizeof e);
        put(e, "a", 600, 1800, "");
        put(e, "b", 1800, 2400, "");
        put(e, "c", 3000, 3600, "");
    }
    put(ext(10, e, sizeof e), "t", 0, 4 * H, "\"transparency\":\"transparent\"");
    snprintf(e2, sizeof e2, "\"attendees\":[{\"email\":\"%s\",\"responseStatus\":\"declined\"}]",
             ext(11, e, sizeof e));
    put(e, "d", 0, 4 * H, e2);
    put(ext(12, e, sizeof e), "x", 0, 4 * H, "\"status\":\"cancelled\"");
    put(ext(13, e, sizeof e), "w", 0, 4 * H, "\"eventType\":\"workingLocation\"");
    snprintf(e2, sizeof e2, "\"attendees\":[{\"email\":\"%s\",\"responseStatus\":\"tentative\"}]",
             ext(14, e, sizeof e));
    put(e, "m", 0, H, e2);

    h = h_open_authorized(&emu, dir, sizeof dir);
    if (h == NULL)
        goto cleanup;
    for (i = 0; i < N_EXT; i++)
        list[i] = ext(i, names[i], sizeof names[i]);
    list[N_EXT] = "EXT000@PBX.example.com"; /* a duplicate in another case */

    /* Before any address is set, or refreshed. */
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    EXPECT_RC(h, gs_gcal_presence_refresh(h, 1000, &r), GS_GCAL_OK);
    CHECK(r.requests == 0);
    EXPECT_RC(h, gs_gcal_presence_set(h, list, N_EXT + 1), GS_GCAL_OK);
    expect(h, list[0], 0, GS_GCAL_PRESENCE_UNKNOWN, 0, "notRefreshed", __LINE__);
    {
        const char *bad[2] = {"ok@pbx.example.com", "not an address"};
        EXPECT_RC(h, gs_gcal_presence_set(h, bad, 2), GS_GCAL_INVALID_EMAIL);
        EXPECT_RC(h, gs_gcal_presence_set(h, NULL, 3), GS_GCAL_NULL_ARGUMENT);
    }

    /* A budget of 0 reaches nobody; the whole directory needs 6 requests. */
    EXPECT_RC(h, gs_gcal_presence_refresh(h, 0, &r), GS_GCAL_OK);
    CHECK(r.requests == 0 && r.remaining == N_EXT);
    calls = h_counter(&emu, "freebusy.query");
    conns = h_counter(&emu, "connections");
    EXPECT_RC(h, gs_gcal_presence_refresh(h, 30000, &r), GS_GCAL_OK);
    CHECK(r.requests == 6 && r.refreshed == N_EXT && r.remaining == 0);
    CHECK(r.unknown == 70); /* 20 internalError + 50 notFound */
    CHECK(h_counter(&emu, "freebusy.query") - calls == 6);
    CHECK(h_counter(&emu, "connections") - conns <= 1);
    printf("# %d addresses: %u requests, %ld new connections\n", N_EXT, r.requests,
           h_counter(&emu, "connections") - conns);

    /* Period edges: [start, end) and merged back-to-back periods. */
    expect(h, list[3], 0, GS_GCAL_PRESENCE_FREE, 600, "", __LINE__);
    expect(h, list[3], 599, GS_GCAL_PRESENCE_FREE, 600, "", __LINE__);
    expect(h, list[3], 600, GS_GCAL_PRESENCE_BUSY, 2400, "", __LINE__);
    expect(h, list[3], 1800, GS_GCAL_PRESENCE_BUSY, 2400, "", __LINE__);
    expect(h, list[3], 2399, GS_GCAL_PRESENCE_BUSY, 2400, "", __LINE__);
    expect(h, list[3], 2400, GS_GCAL_PRESENCE_FREE, 3000, "", __LINE__);
    expect(h, list[3], 3600, GS_GCAL_PRESENCE_FREE, 0, "", __LINE__);
    expect(h, "Ext003@PBX.Example.com", 700, GS_GCAL_PRESENCE_BUSY, 2400, "", __LINE__);
    /* Transparent, declined, cancelled, working location: free; tentative: busy. */
    for (i = 10; i < 14; i++)
        expect(h, list[i], 60, GS_GCAL_PRESENCE_FREE, 0, "", __LINE__);
    expect(h, list[14], 60, GS_GCAL_PRESENCE_BUSY, H, "", __LINE__);
    expect(h, list[100], 60, GS_GCAL_PRESENCE_FREE, 0, "", __LINE__);
    /* Per-calendar errors, and what the library itself does not know. */
    expect(h, list[205], 60, GS_GCAL_PRESENCE_UNKNOWN, 0, "internalError", __LINE__);
    expect(h, list[260], 60, GS_GCAL_PRESENCE_UNKNOWN, 0, "notFound", __LINE__);
    expect(h, "nobody@pbx.example.com", 60, GS_GCAL_PRESENCE_UNKNOWN, 0, "notListed", __LINE__);
    expect(h, list[3], 2 * DAY, GS_GCAL_PRESENCE_UNKNOWN, 0, "outsideWindow", __LINE__);
    /* Misuse: outputs untouched. */
    p = get(h, NULL, 0, &rc);
    CHECK(rc == GS_GCAL_NULL_ARGUMENT);
    EXPECT_RC(h, gs_gcal_presence_get(h, list[0], 0, NULL), GS_GCAL_NULL_ARGUMENT);
    p.struct_size = 3;
    CHECK(gs_gcal_presence_get(h, list[0], 0, &p) == GS_GCAL_STRUCT_SIZE);
    CHECK(gs_gcal_presence_get(NULL, list[0], 0, &p) == GS_GCAL_NULL_ARGUMENT);
    r.struct_size = 1;
    EXPECT_RC(h, gs_gcal_presence_refresh(h, 1000, &r), GS_GCAL_STRUCT_SIZE);

    /* A change in Google shows after the next refresh (busy now until 1200). */
    put(list[100], "new", -60, 1200, "");
    EXPECT_RC(h, gs_gcal_presence_refresh(h, 30000, NULL), GS_GCAL_OK);
    expect(h, list[100], 60, GS_GCAL_PRESENCE_BUSY, 1200, "", __LINE__);

    /* A Google failure: the error, then a backoff without a request. */
    POST_OK(&emu, "/control/fault",
            "{\"match\":{\"path_prefix\":\"/calendar/v3/freeBusy\"},\"count\":1,\"fault\":{\"kind\":\"status\",\"code\":503}}");
    calls = h_counter(&emu, "freebusy.query");
    EXPECT_RC(h, gs_gcal_presence_refresh(h, 30000, NULL), GS_GCAL_API_SERVER_ERROR);
    EXPECT_RC(h, gs_gcal_presence_refresh(h, 30000, NULL), GS_GCAL_API_SERVER_ERROR);
    CHECK(h_counter(&emu, "freebusy.query") - calls <= 1);
    /* What was known stays readable meanwhile. */
    expect(h, list[3], 700, GS_GCAL_PRESENCE_BUSY, 2400, "", __LINE__);
    POST_OK(&emu, "/control/clear_faults", "");

cleanup:
    gs_gcal_close(h);
    h_rmdir(dir);
}

static void scope_missing(void) {
    char dir[512] = "", a[32], b[32], id[GS_GCAL_EVENT_ID_SIZE];
    const char *one[1] = {"ext001@pbx.example.com"};
    gs_gcal_meeting m;
    gs_gcal_presence p;
    gs_gcal *h = open_without_freebusy(dir, sizeof dir);
    if (h == NULL)
        goto cleanup;
    EXPECT_RC(h, gs_gcal_presence_set(h, one, 1), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_presence_refresh(h, 5000, NULL), GS_GCAL_PRESENCE_NOT_GRANTED);
    memset(&p, 0, sizeof p);
    p.struct_size = sizeof p;
    CHECK(gs_gcal_presence_get(h, one[0], (int64_t)base, &p) == GS_GCAL_PRESENCE_NOT_GRANTED);
    EXPECT_RC(h, gs_gcal_status_json(h, buf, sizeof buf, NULL), GS_GCAL_OK);
    CHECK(h_text_str_is(buf, "presence.note", "authorize again to enable presence"));
    CHECK(h_text_bool_is(buf, "presence.granted", 0));
    /* Everything else keeps working. */
    memset(&m, 0, sizeof m);
    m.struct_size = sizeof m;
    m.meeting_id = "scope-1";
    m.subject = "Still pushed";
    m.start = at(5 * H, a, sizeof a);
    a[16] = '\0';
    m.end = at(6 * H, b, sizeof b);
    b[16] = '\0';
    m.time_zone = "UTC";
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_sync_events(h, buf, sizeof buf, NULL), GS_GCAL_OK);
cleanup:
    gs_gcal_close(h);
    h_rmdir(dir);
}

static void replies_and_horizon(void) {
    char dir[512] = "", a[32], b[32], id[GS_GCAL_EVENT_ID_SIZE];
    static char big[6000];
    gs_gcal_person people[3];
    gs_gcal_meeting m;
    gs_gcal_busy bz;
    gs_gcal *h = h_open_authorized(&emu, dir, sizeof dir);
    int i;
    if (h == NULL)
        goto cleanup;

    /* Replies: needsAction after the push, then what the invitees answered. */
    memset(people, 0, sizeof people);
    people[0].email = "anna@example.com";
    people[1].email = "bert@example.com";
    people[2].email = "carl@example.com";
    memset(&m, 0, sizeof m);
    m.struct_size = sizeof m;
    m.meeting_id = "reply-1";
    m.subject = "Budget";
    m.start = at(3 * H, a, sizeof a);
    a[16] = '\0';
    m.end = at(4 * H, b, sizeof b);
    b[16] = '\0';
    m.time_zone = "UTC";
    m.invitees = people;
    m.invitee_count = 3;
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_replies(h, "reply-1", buf, sizeof buf, NULL), GS_GCAL_NOT_SYNCED);
    EXPECT_RC(h, gs_gcal_sync_events(h, buf, sizeof buf, NULL), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_replies(h, "reply-1", buf, sizeof buf, NULL), GS_GCAL_OK);
    CHECK(json_number(buf, "counts.needsAction") == 3 && h_text_bool_is(buf, "found", 1));
    snprintf(body, sizeof body,
             "{\"calendar\":\"primary\",\"id\":\"%s\",\"patch\":{\"attendees\":["
             "{\"email\":\"anna@example.com\",\"responseStatus\":\"accepted\"},"
             "{\"email\":\"bert@example.com\",\"responseStatus\":\"declined\"},"
             "{\"email\":\"carl@example.com\",\"responseStatus\":\"tentative\"}]}}",
             id);
    POST_OK(&emu, "/control/edit_event", body);
    EXPECT_RC(h, gs_gcal_sync_events(h, buf, sizeof buf, NULL), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_replies(h, "reply-1", buf, sizeof buf, NULL), GS_GCAL_OK);
    CHECK(json_number(buf, "counts.accepted") == 1 && json_number(buf, "counts.declined") == 1 &&
          json_number(buf, "counts.tentative") == 1 && json_number(buf, "counts.needsAction") == 0);
    CHECK(attendee_is(buf, "anna@example.com", "accepted") && attendee_is(buf, "bert@example.com", "declined"));
    EXPECT_RC(h, gs_gcal_replies(h, "never-pushed", buf, sizeof buf, NULL), GS_GCAL_INVALID_ARGUMENT);
    EXPECT_RC(h, gs_gcal_replies(h, NULL, buf, sizeof buf, NULL), GS_GCAL_NULL_ARGUMENT);

    /* The horizon: a never-ending daily series and events beyond 30 days. */
    EXPECT_RC(h, gs_gcal_set_option(h, "read_horizon_days", "30"), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_set_option(h, "read_horizon_days", "0"), GS_GCAL_INVALID_OPTION_VALUE);
    put("primary", "near1", 10 * DAY, 10 * DAY + H, "");
    put("primary", "far1", 40 * DAY, 40 * DAY + H, "");
    put("primary", "daily1", 5 * H, 6 * H, "\"recurrence\":[\"RRULE:FREQ=DAILY\"]");
    POST_OK(&emu, "/control/invalidate_sync_tokens", "{}"); /* a full sync within the horizon */
    EXPECT_RC(h, gs_gcal_sync_events(h, buf, sizeof buf, NULL), GS_GCAL_OK);
    CHECK(h_text_bool_is(buf, "calendars[0].full_sync", 1));
    CHECK(json_number(buf, "calendars[0].changed") <= 40);
    memset(&bz, 0, sizeof bz);
    bz.struct_size = sizeof bz;
    EXPECT_RC(h, gs_gcal_busy_at(h, NULL, (int64_t)(base + 10 * DAY + 60), &bz), GS_GCAL_OK);
    CHECK(bz.busy == 1);
    EXPECT_RC(h, gs_gcal_busy_at(h, NULL, (int64_t)(base + 20 * DAY + 5 * H + 60), &bz), GS_GCAL_OK);
    CHECK(bz.busy == 1);
    EXPECT_RC(h, gs_gcal_busy_at(h, NULL, (int64_t)(base + 40 * DAY + 60), &bz), GS_GCAL_OK);
    CHECK(bz.busy == 0);
    EXPECT_RC(h, gs_gcal_busy_at(h, NULL, (int64_t)(base + 35 * DAY + 5 * H + 60), &bz), GS_GCAL_OK);
    CHECK(bz.busy == 0);
    /* Deltas of the series (all its occurrences) stay within the horizon. */
    POST_OK(&emu, "/control/edit_event", "{\"calendar\":\"primary\",\"id\":\"daily1\",\"patch\":{\"summary\":\"Daily (edited)\"}}");
    EXPECT_RC(h, gs_gcal_sync_events(h, buf, sizeof buf, NULL), GS_GCAL_OK);
    printf("# incremental sync of a never-ending series: %s\n", buf);
    EXPECT_RC(h, gs_gcal_busy_at(h, NULL, (int64_t)(base + 35 * DAY + 5 * H + 60), &bz), GS_GCAL_OK);
    CHECK(bz.busy == 0);

    /* 300 events of 5 KB: 250 a page would pass the 1 MiB body cap; the
       sync asks smaller pages and completes. */
    memset(big, 'x', sizeof big - 1);
    big[5000] = '\0';
    for (i = 0; i < 300; i++) {
        char ev[32], extra[6100];
        snprintf(ev, sizeof ev, "big%03d", i);
        snprintf(extra, sizeof extra, "\"description\":\"%s\"", big);
        put("primary", ev, 2 * DAY + i * 60, 2 * DAY + i * 60 + 30, extra);
    }
    EXPECT_RC(h, gs_gcal_sync_events(h, buf, sizeof buf, NULL), GS_GCAL_OK);
    CHECK(untruncated(buf));
    CHECK(json_number(buf, "calendars[0].changed") >= 300);
cleanup:
    gs_gcal_close(h);
    h_rmdir(dir);
}

int main(void) {
    h_emulator(&emu);
    POST_OK(&emu, "/control/reset", "");
    base = (time(NULL) / 60 + 60) * 60; /* an hour ahead, on the minute */
    presence();
    scope_missing();
    replies_and_horizon();
    return h_finish("test_presence");
}
