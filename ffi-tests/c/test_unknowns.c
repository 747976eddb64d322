/*
 * Issue 16 through the C API against the emulator: what Google leaves
 * undocumented (refused time zones, device-flow scopes, occurrence ids),
 * each in both positions of its emulator switch, and the defects a new
 * integrator found (e-mails with stray dots, revocations Google refused,
 * a refused partial grant, one-line fields, the account without an
 * `email` claim, what a NULL calendar id means).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gs_gcal.h"
#include "harness.h"

static emulator emu;
static char buf[1 << 17];

static gs_gcal *fresh(char *dir, size_t cap) {
    gs_gcal *h = NULL;
    POST_OK(&emu, "/control/reset", "");
    h_tempdir(dir, cap);
    EXPECT_RC(NULL, gs_gcal_open(dir, &h), GS_GCAL_OK);
    if (h == NULL)
        return NULL;
    h_use_emulator(h, &emu);
    return h;
}

static void done(gs_gcal *h, const char *dir) {
    gs_gcal_close(h);
    if (dir[0] != '\0')
        h_rmdir(dir);
}

static int consent(gs_gcal *h, const char *extra, char *redirect, size_t cap) {
    static char url[2048], req[4096], resp[4096];
    if (gs_gcal_auth_url(h, url, sizeof url, NULL) != GS_GCAL_OK)
        return -1;
    snprintf(req, sizeof req, "{\"url\":\"%s\",\"decision\":\"allow\"%s}", url, extra);
    if (h_control(&emu, "POST", "/control/consent", req, resp, sizeof resp) != 200)
        return -1;
    return h_json_string(resp, "redirect", redirect, cap);
}

/* The status's value at `path` is true/false (`want`), a list holding the
   string `item` (`item` not NULL), or an object or list of `len` members. */
static int status_bool_is(gs_gcal *h, const char *path, int want) {
    arena a = {0};
    int ok = h_json_bool_is(h_status(h, &a), path, want);
    arena_free(&a);
    return ok;
}

static int status_lists(gs_gcal *h, const char *path, const char *item) {
    arena a = {0};
    const json *v = h_json_at(h_status(h, &a), path), *e;
    int ok = 0;
    for (e = v != NULL && v->type == JSON_ARRAY ? v->child : NULL; e != NULL && !ok; e = e->next)
        ok = e->type == JSON_STRING && strcmp(e->text, item) == 0;
    arena_free(&a);
    return ok;
}

static long status_len(gs_gcal *h, const char *path) {
    arena a = {0};
    long n = h_json_len(h_status(h, &a), path);
    arena_free(&a);
    return n;
}

static int last_error_has(gs_gcal *h, const char *text) {
    char detail[GS_GCAL_ERROR_SIZE];
    return gs_gcal_last_error(h, detail, sizeof detail) == GS_GCAL_OK &&
           strstr(detail, text) != NULL;
}

/* How many of the emulator's grants have "revoked" = `revoked`; -1 when
   the list cannot be read. */
static long grants_revoked(int revoked) {
    arena a = {0};
    const json *root, *g;
    long n = -1;
    if (h_control(&emu, "GET", "/control/grants", NULL, buf, sizeof buf) == 200 &&
        (root = h_json_parse(&a, buf)) != NULL && root->type == JSON_ARRAY)
        for (n = 0, g = root->child; g != NULL; g = g->next)
            n += h_json_bool_is(g, "revoked", revoked);
    arena_free(&a);
    return n;
}

static void single(gs_gcal_meeting *m, const char *id) {
    memset(m, 0, sizeof *m);
    m->struct_size = sizeof *m;
    m->meeting_id = id;
    m->subject = "Issue 16";
    m->start = "2024-07-01T09:00";
    m->end = "10:00";
    m->time_zone = "Europe/Berlin";
}

static void weekly(gs_gcal_meeting *m, const char *id, const char *zone) {
    single(m, id);
    m->start = "2024-03-18T10:00";
    m->end = "11:00";
    m->time_zone = zone;
    m->repeat = GS_GCAL_REPEAT_WEEKLY;
    m->repeat_end = GS_GCAL_REPEAT_END_AFTER;
    m->repeat_count = 4;
}

/* The stored event whose "id" is exactly `id`, as JSON text ("" if none). */
/* Event `id` from the emulator's dump, whichever calendar holds it (NULL
   when none); valid until the next call. */
static const json *event(const char *id) {
    static arena a;
    const json *root, *cal, *ev;
    arena_free(&a);
    if (h_control(&emu, "GET", "/control/events", NULL, buf, sizeof buf) != 200 ||
        (root = h_json_parse(&a, buf)) == NULL)
        return NULL;
    for (cal = root->child; cal != NULL; cal = cal->next)
        for (ev = cal->type == JSON_ARRAY ? cal->child : NULL; ev != NULL; ev = ev->next)
            if (h_json_str_is(ev, "id", id))
                return ev;
    return NULL;
}

/* The string at `path` contains `part`. */
static int str_has(const json *v, const char *path, const char *part) {
    const json *s = h_json_at(v, path);
    return s != NULL && s->type == JSON_STRING && strstr(s->text, part) != NULL;
}

/* B1: stray dots are refused before anything is sent. */
static void test_email_dots(void) {
    static const char *bad[] = {"john@example..com", ".john@example.com", "john.@example.com"};
    char dir[512] = "", id[GS_GCAL_EVENT_ID_SIZE];
    gs_gcal_person p[1];
    gs_gcal_meeting m;
    size_t i;
    long inserts;
    gs_gcal *h;
    POST_OK(&emu, "/control/reset", "");
    h = h_open_authorized(&emu, dir, sizeof dir);
    if (h == NULL)
        return;
    inserts = h_counter(&emu, "events.insert");
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        single(&m, "dots");
        p[0].name = "1001";
        p[0].email = bad[i];
        p[0].flags = 0;
        m.invitees = p;
        m.invitee_count = 1;
        EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_INVALID_EMAIL);
        CHECK(last_error_has(h, "invitees[0].email"));
    }
    CHECK(h_counter(&emu, "events.insert") == inserts);
    p[0].email = "john.doe@example.com";
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_OK);
    done(h, dir);
}

/* B5: one-line fields refuse control characters; the agenda may have lines. */
static void test_one_line_fields(void) {
    char dir[512] = "", id[GS_GCAL_EVENT_ID_SIZE];
    gs_gcal_meeting m;
    gs_gcal *h;
    POST_OK(&emu, "/control/reset", "");
    h = h_open_authorized(&emu, dir, sizeof dir);
    if (h == NULL)
        return;
    single(&m, "lines");
    m.subject = "two\nlines";
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_INVALID_ARGUMENT);
    CHECK(last_error_has(h, "subject must not contain control characters"));
    single(&m, "lines");
    m.room = "63\t01";
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_INVALID_ARGUMENT);
    CHECK(last_error_has(h, "room must not contain control characters"));
    single(&m, "lines");
    m.agenda = "line 1\nline 2";
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_OK);
    done(h, dir);
}

/* B2: a revocation counts only when Google confirms it or calls the token dead. */
static void test_revocation_refused(void) {
    char dir[512] = "";
    gs_gcal *h;
    POST_OK(&emu, "/control/reset", "");
    h = h_open_authorized(&emu, dir, sizeof dir);
    if (h == NULL)
        return;
    POST_OK(&emu, "/control/fault",
            "{\"match\":{\"path_prefix\":\"/revoke\"},\"count\":1,\"fault\":{\"kind\":\"oauth_error\","
            "\"status\":400,\"error\":\"invalid_request\",\"description\":\"Bad Request\"}}");
    EXPECT_RC(h, gs_gcal_reset(h), GS_GCAL_OK);
    CHECK(h_status_int_is(h, "pending_revocations", 1));
    CHECK(h_status_str_is(h, "state", "configured"));
    CHECK(grants_revoked(0) > 0);
    /* 401 invalid_client, also with the client's credentials: still not
       done, and both faults were taken (faulted requests are not counted). */
    POST_OK(&emu, "/control/fault",
            "{\"match\":{\"path_prefix\":\"/revoke\"},\"count\":2,\"fault\":{\"kind\":\"oauth_error\","
            "\"status\":401,\"error\":\"invalid_client\",\"description\":\"Unauthorized\"}}");
    EXPECT_RC(h, gs_gcal_reset(h), GS_GCAL_OK);
    CHECK(h_status_int_is(h, "pending_revocations", 1));
    if (h_control(&emu, "GET", "/control/faults", NULL, buf, sizeof buf) == 200) {
        arena a = {0};
        CHECK(h_json_len(h_json_parse(&a, buf), "") == 0);
        arena_free(&a);
    } else {
        CHECK(0);
    }
    /* Refused without the client's credentials once, taken with them
       (an RFC 7009 server that authenticates clients): done. */
    POST_OK(&emu, "/control/fault",
            "{\"match\":{\"path_prefix\":\"/revoke\"},\"count\":1,\"fault\":{\"kind\":\"oauth_error\","
            "\"status\":401,\"error\":\"invalid_client\",\"description\":\"Unauthorized\"}}");
    EXPECT_RC(h, gs_gcal_reset(h), GS_GCAL_OK);
    CHECK(h_status_int_is(h, "pending_revocations", 0));
    CHECK(grants_revoked(1) > 0 && grants_revoked(0) == 0);
    done(h, dir);

    /* A token already dead at Google (400 invalid_token): done too. */
    POST_OK(&emu, "/control/reset", "");
    h = h_open_authorized(&emu, dir, sizeof dir);
    if (h == NULL)
        return;
    POST_OK(&emu, "/control/revoke_grants", "{}");
    EXPECT_RC(h, gs_gcal_reset(h), GS_GCAL_OK);
    CHECK(h_status_int_is(h, "pending_revocations", 0));
    CHECK(h_counter(&emu, "revoke") == 1);
    done(h, dir);
}

/* B2: an authorization without the calendar permission is revoked, not kept. */
static void test_partial_grant_revoked(void) {
    char dir[512], redirect[2048];
    gs_gcal *h = fresh(dir, sizeof dir);
    if (h == NULL)
        return;
    EXPECT_RC(h, gs_gcal_set_client(h, emu.client_id, emu.client_secret, emu.redirect_uri),
              GS_GCAL_OK);
    CHECK(consent(h, ",\"grant_scopes\":[\"openid\",\"email\"]", redirect, sizeof redirect) == 0);
    EXPECT_RC(h, gs_gcal_authorize(h, redirect), GS_GCAL_SCOPE_NOT_GRANTED);
    CHECK(h_counter(&emu, "revoke") == 1);
    CHECK(grants_revoked(1) > 0 && grants_revoked(0) == 0);
    CHECK(h_status_int_is(h, "pending_revocations", 0));
    CHECK(h_status_str_is(h, "state", "configured"));
    done(h, dir);
}

/* B5: no `email` claim in the ID token: the account comes from calendarList. */
static void test_account_without_email_claim(void) {
    char dir[512], redirect[2048];
    gs_gcal *h = fresh(dir, sizeof dir);
    if (h == NULL)
        return;
    EXPECT_RC(h, gs_gcal_set_client(h, emu.client_id, emu.client_secret, emu.redirect_uri),
              GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_set_option(h, "scopes",
                                    "openid https://www.googleapis.com/auth/calendar.events "
                                    "https://www.googleapis.com/auth/calendar.calendarlist.readonly"),
              GS_GCAL_OK);
    CHECK(consent(h, "", redirect, sizeof redirect) == 0);
    EXPECT_RC(h, gs_gcal_authorize(h, redirect), GS_GCAL_OK);
    CHECK(h_status_str_is(h, "account", emu.account));
    CHECK(h_counter(&emu, "calendarList.list") == 1);
    done(h, dir);
}

/* B5: a NULL calendar id reads "primary", whatever option calendar_id says. */
static void test_null_calendar_is_primary(void) {
    char dir[512] = "";
    gs_gcal *h;
    POST_OK(&emu, "/control/reset", "");
    h = h_open_authorized(&emu, dir, sizeof dir);
    if (h == NULL)
        return;
    EXPECT_RC(h, gs_gcal_set_option(h, "calendar_id",
                                    "c_shared0123456789@group.calendar.google.com"),
              GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_list_events(h, NULL, "2024-07-01T00:00:00Z", "2024-07-02T00:00:00Z",
                                     buf, sizeof buf, NULL),
              GS_GCAL_OK);
    CHECK(h_text_str_is(buf, "calendar", "primary"));
    done(h, dir);
}

/* A2: device-flow scopes stepped through in order; a read-only grant is a mode. */
static void test_device_scopes(void) {
    char dir[512], req[256], id[GS_GCAL_EVENT_ID_SIZE];
    gs_gcal_device_code code;
    gs_gcal_meeting m;
    gs_gcal *h = fresh(dir, sizeof dir);
    if (h == NULL)
        return;
    EXPECT_RC(h, gs_gcal_set_client(h, emu.device_client_id, emu.device_client_secret, ""),
              GS_GCAL_OK);
    memset(&code, 0, sizeof code);
    code.struct_size = sizeof code;
    POST_OK(&emu, "/control/device_interval", "{\"announced\":0,\"enforced\":0}");

    /* Switch off (Google lets Calendar scopes through): the first set, read-write. */
    EXPECT_RC(h, gs_gcal_device_start(h, &code), GS_GCAL_OK);
    CHECK(h_counter(&emu, "device.code") == 1);
    CHECK(h_status_str_has(h, "device.scopes", "openid email https://www.googleapis.com/auth/calendar.events "));

    /* Switch on: write scopes refused as Google's documentation says. */
    POST_OK(&emu, "/control/device_refuse_scopes",
            "{\"scopes\":[\"https://www.googleapis.com/auth/calendar.events\","
            "\"https://www.googleapis.com/auth/calendar\"]}");
    EXPECT_RC(h, gs_gcal_device_start(h, &code), GS_GCAL_OK);
    CHECK(h_counter(&emu, "device.code") == 4); /* set 1 and 2 refused, set 3 accepted */
    CHECK(h_status_str_is(h, "device.scopes", "openid email https://www.googleapis.com/auth/calendar.readonly "
                                              "https://www.googleapis.com/auth/calendar.events.readonly"));
    snprintf(req, sizeof req, "{\"user_code\":\"%s\",\"decision\":\"allow\"}", code.user_code);
    POST_OK(&emu, "/control/device", req);
    EXPECT_RC(h, gs_gcal_device_poll(h), GS_GCAL_OK);
    CHECK(h_status_str_is(h, "state", "authorized"));
    CHECK(status_bool_is(h, "read_only", 1));
    CHECK(status_lists(h, "granted_scopes", "https://www.googleapis.com/auth/calendar.readonly"));
    /* Reading works; writing answers why. */
    EXPECT_RC(h, gs_gcal_list_events(h, NULL, "2024-07-01T00:00:00Z", "2024-07-02T00:00:00Z",
                                     buf, sizeof buf, NULL),
              GS_GCAL_OK);
    single(&m, "ro-1");
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_READ_ONLY_GRANT);
    CHECK(last_error_has(h, "read-only"));
    EXPECT_RC(h, gs_gcal_cancel_meeting(h, "ro-1", NULL, NULL), GS_GCAL_READ_ONLY_GRANT);
    CHECK(h_status_int_is(h, "health.outbox_depth", 0));
    CHECK(strcmp(gs_gcal_strerror(GS_GCAL_READ_ONLY_GRANT),
                 "the authorization is read-only: pushing needs write access") == 0);

    /* Every set refused: one clear error naming them. */
    POST_OK(&emu, "/control/device_refuse_scopes",
            "{\"scopes\":[\"https://www.googleapis.com/auth/calendar.events\","
            "\"https://www.googleapis.com/auth/calendar\","
            "\"https://www.googleapis.com/auth/calendar.readonly\"]}");
    EXPECT_RC(h, gs_gcal_device_start(h, &code), GS_GCAL_INVALID_SCOPE);
    CHECK(last_error_has(h, "4 tried"));
    POST_OK(&emu, "/control/device_refuse_scopes", "{\"scopes\":[]}");
    done(h, dir);
}

/* A3: occurrence ids in both switch positions: computed, or asked of Google. */
static void test_occurrence_ids(void) {
    static const char *formats[] = {"google", "opaque"};
    char dir[512] = "", series[GS_GCAL_EVENT_ID_SIZE], id[GS_GCAL_EVENT_ID_SIZE], want[128];
    char req[64];
    gs_gcal_meeting m;
    gs_gcal *h;
    int i;
    for (i = 0; i < 2; i++) {
        long instances;
        POST_OK(&emu, "/control/reset", "");
        snprintf(req, sizeof req, "{\"format\":\"%s\"}", formats[i]);
        POST_OK(&emu, "/control/instance_ids", req);
        h = h_open_authorized(&emu, dir, sizeof dir);
        if (h == NULL)
            return;
        weekly(&m, "occ-1", "Europe/Berlin");
        EXPECT_RC(h, h_push(h, &m, series, NULL, 0, NULL), GS_GCAL_OK);
        instances = h_counter(&emu, "events.instances");
        /* Move the 2nd occurrence (10:00 CET = 09:00 UTC, 1711875600 - 7 d). */
        m.occurrence = "2024-03-25T10:00";
        m.start = "2024-03-25T15:00";
        m.end = "16:00";
        EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_OK);
        if (i == 0)
            snprintf(want, sizeof want, "%s_20240325T090000Z", series);
        else
            snprintf(want, sizeof want, "%s_t1711357200", series);
        CHECK(str_has(event(want), "start.dateTime", "2024-03-25T15:00:00"));
        /* Cancel the 3rd (after the DST change: 08:00 UTC). */
        EXPECT_RC(h, gs_gcal_cancel_meeting(h, "occ-1", "2024-04-01T10:00", "Europe/Berlin"),
                  GS_GCAL_OK);
        if (i == 0)
            snprintf(want, sizeof want, "%s_20240401T080000Z", series);
        else
            snprintf(want, sizeof want, "%s_t1711958400", series);
        CHECK(h_json_str_is(event(want), "status", "cancelled"));
        /* Google's format costs no lookup; the opaque one one per write. */
        CHECK(h_counter(&emu, "events.instances") - instances == (i == 0 ? 0 : 2));
        /* An occurrence not in the series: still not found. */
        m.occurrence = "2024-03-26T10:00";
        EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_API_NOT_FOUND);
        done(h, dir);
    }
    POST_OK(&emu, "/control/instance_ids", "{\"format\":\"google\"}");
}

/* A1: a zone Google refuses is sent once more as an equivalent one, remembered. */
static void test_refused_zones(void) {
    char dir[512] = "", series[GS_GCAL_EVENT_ID_SIZE], id[GS_GCAL_EVENT_ID_SIZE];
    gs_gcal_meeting m;
    gs_gcal *h;
    long inserts;
    POST_OK(&emu, "/control/reset", "");
    h = h_open_authorized(&emu, dir, sizeof dir);
    if (h == NULL)
        return;
    /* Switch off: Etc/GMT-1 goes as it is. */
    weekly(&m, "tz-0", "Etc/GMT-1");
    EXPECT_RC(h, h_push(h, &m, series, NULL, 0, NULL), GS_GCAL_OK);
    CHECK(h_json_str_is(event(series), "start.timeZone", "Etc/GMT-1"));
    CHECK(status_len(h, "zone_substitutions") == 0);

    /* Switch on: Google's exact 400, then the same-offset zone without DST. */
    POST_OK(&emu, "/control/refuse_time_zones", "{\"zones\":[\"Etc/GMT-1\",\"Europe/Kyiv\"]}");
    inserts = h_counter(&emu, "events.insert");
    weekly(&m, "tz-1", "Etc/GMT-1");
    EXPECT_RC(h, h_push(h, &m, series, NULL, 0, NULL), GS_GCAL_OK);
    CHECK(h_counter(&emu, "events.insert") - inserts == 2);
    CHECK(h_json_str_is(event(series), "start.timeZone", "Africa/Lagos"));
    CHECK(str_has(event(series), "start.dateTime", "2024-03-18T10:00:00"));
    CHECK(status_len(h, "zone_substitutions") == 1 &&
          h_status_str_is(h, "zone_substitutions[\"Etc/GMT-1\"]", "Africa/Lagos"));
    /* Remembered: the next meeting in that zone costs one request. */
    inserts = h_counter(&emu, "events.insert");
    weekly(&m, "tz-2", "Etc/GMT-1");
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_OK);
    CHECK(h_counter(&emu, "events.insert") - inserts == 1);
    /* One occurrence of the substituted series, by its original time (UTC+1). */
    m.occurrence = "2024-03-25T10:00";
    m.start = "2024-03-25T12:00";
    m.end = "13:00";
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_OK);
    /* A renamed zone: its other name. */
    single(&m, "tz-3");
    m.time_zone = "Europe/Kyiv";
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_OK);
    CHECK(h_json_str_is(event(id), "start.timeZone", "Europe/Kiev"));
    CHECK(str_has(event(id), "start.dateTime", "2024-07-01T09:00:00"));
    /* A zone with no equivalent (UTC-12): Google's refusal stands, nothing stored. */
    POST_OK(&emu, "/control/refuse_time_zones", "{\"zones\":[\"Etc/GMT+12\"]}");
    single(&m, "tz-4");
    m.time_zone = "Etc/GMT+12";
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_API_BAD_REQUEST);
    CHECK(last_error_has(h, "Invalid time zone definition for start time."));
    /* Persisted: a reopened handle still knows. */
    gs_gcal_close(h);
    h = NULL;
    EXPECT_RC(NULL, gs_gcal_open(dir, &h), GS_GCAL_OK);
    if (h != NULL)
        CHECK(h_status_str_is(h, "zone_substitutions[\"Europe/Kyiv\"]", "Europe/Kiev"));
    POST_OK(&emu, "/control/refuse_time_zones", "{\"zones\":[]}");
    done(h, dir);
}

int main(void) {
    h_emulator(&emu);
    test_email_dots();
    test_one_line_fields();
    test_revocation_refused();
    test_partial_grant_revoked();
    test_account_without_email_claim();
    test_null_calendar_is_primary();
    test_device_scopes();
    test_occurrence_ids();
    test_refused_zones();
    return h_finish("test_unknowns");
}
