/*
 * Workspace mode (issue 14): a service account with domain-wide delegation
 * writes each meeting into its host's own calendar. Against the emulator,
 * which generates the service account's key and writes the key file as
 * Google Cloud Console downloads it next to its CA.
 *
 * Covers: configuration from a real-format key file (and every refusal),
 * pushes impersonating two hosts, edit/cancel/restore in the host's
 * calendar, host change (moved, no duplicate), unknown and external host
 * fallback, resource rooms, each diagnosis (unauthorized_client, Invalid
 * JWT Signature., the JWT time window, forbiddenForServiceAccounts), crash
 * safety of a host change through the outbox, export/import, switching
 * modes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "harness.h"

#define DEFAULT_SUBJECT "pbx-admin@mycompanyabc.com"
#define JOHN "john.doe@mycompanyabc.com"
#define JANE "jane.roe@mycompanyabc.com"
#define ROOM "mycompanyabc.com_188abcdef@resource.calendar.google.com"
/* The scopes the admin enters for the client ID: those the status lists. */
#define ALL_SCOPES                                                                          \
    "[\"https://www.googleapis.com/auth/calendar.events\","                                 \
    "\"https://www.googleapis.com/auth/calendar.calendarlist.readonly\","                   \
    "\"https://www.googleapis.com/auth/calendar.freebusy\"]"

static emulator emu;
static char key_json[16384];
static char status[65536];
static char dump[1 << 23]; /* every calendar of the emulator, also after other suites */

static int read_file(const char *path, char *out, size_t cap) {
    FILE *f = fopen(path, "rb");
    size_t n;
    if (f == NULL)
        return -1;
    n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
    return 0;
}

/* A key file of the emulator's ready line: `which` is its member name. */
static int emulator_key(const char *which, char *out, size_t cap) {
    char path[512];
    const char *line = getenv("GS_GCAL_EMULATOR");
    if (line == NULL || h_json_string(line, which, path, sizeof path) != 0)
        return -1;
    return read_file(path, out, cap);
}

static const char *status_of(gs_gcal *h) {
    size_t needed = 0;
    if (gs_gcal_status_json(h, status, sizeof status, &needed) != GS_GCAL_OK)
        status[0] = '\0';
    return status;
}

static const char *last_error(gs_gcal *h) {
    static char why[GS_GCAL_ERROR_SIZE];
    if (gs_gcal_last_error(h, why, sizeof why) != GS_GCAL_OK)
        why[0] = '\0';
    return why;
}

static gs_gcal *open_workspace(char *dir, size_t cap) {
    gs_gcal *h = NULL;
    h_tempdir(dir, cap);
    if (gs_gcal_open(dir, &h) != GS_GCAL_OK)
        return NULL;
    h_use_emulator(h, &emu);
    EXPECT_RC(h, gs_gcal_set_service_account(h, key_json, DEFAULT_SUBJECT), GS_GCAL_OK);
    return h;
}

static gs_gcal *reopen(const char *dir) {
    gs_gcal *h = NULL;
    if (gs_gcal_open(dir, &h) != GS_GCAL_OK)
        return NULL;
    h_use_emulator(h, &emu);
    return h;
}

/* What else a test wants of the meeting's event (read structurally). */
enum extra_kind { EXTRA_NONE, EXTRA_RESOURCE, EXTRA_TEXT, EXTRA_ATTENDEE };

struct tally {
    int confirmed, cancelled;
    enum extra_kind kind;
    const char *want;
    int extra_seen;
};

static int has_extra(const json *event, const struct tally *t) {
    char text[2048], path[64];
    long i, n;
    switch (t->kind) {
    case EXTRA_RESOURCE: /* a room attendee marked resource: true */
        n = h_json_len(event, "attendees");
        for (i = 0; i < n; i++) {
            snprintf(path, sizeof path, "attendees[%ld].resource", i);
            if (h_json_bool_is(event, path, 1))
                return 1;
        }
        return 0;
    case EXTRA_TEXT: /* in the summary or the description */
        return (h_json_str(event, "summary", text, sizeof text) == 0 && strstr(text, t->want) != NULL) ||
               (h_json_str(event, "description", text, sizeof text) == 0 && strstr(text, t->want) != NULL);
    case EXTRA_ATTENDEE:
        return h_json_find(event, "attendees", "email", t->want) != NULL;
    case EXTRA_NONE:
        break;
    }
    return 0;
}

static void tally_one(const json *event, void *ctx) {
    struct tally *t = ctx;
    if (h_json_str_is(event, "status", "cancelled"))
        t->cancelled++;
    else
        t->confirmed++;
    if (t->kind != EXTRA_NONE && has_extra(event, t))
        t->extra_seen++;
}

/* Events of meeting `id` in calendar `cal`, from the emulator's dump (one
   array per calendar; a calendar nothing was written to is absent). */
static struct tally in_calendar_x(const char *cal, const char *id, enum extra_kind kind, const char *want) {
    struct tally t = {0, 0, kind, want, 0};
    arena a = {0};
    const json *events = NULL, *ev;
    CHECK(h_control(&emu, "GET", "/control/events", NULL, dump, sizeof dump) == 200);
    events = json_get(h_json_parse(&a, dump), cal);
    for (ev = events != NULL ? events->child : NULL; ev != NULL; ev = ev->next)
        if (h_json_str_is(ev, "extendedProperties.private.gsGcalMeetingId", id))
            tally_one(ev, &t);
    arena_free(&a);
    return t;
}

static struct tally in_calendar(const char *cal, const char *id) {
    return in_calendar_x(cal, id, EXTRA_NONE, NULL);
}

static void meeting(gs_gcal_meeting *m, const char *id, const char *subject, const char *host) {
    memset(m, 0, sizeof *m);
    m->struct_size = sizeof *m;
    m->meeting_id = id;
    m->subject = subject;
    m->start = "2031-05-06T10:00";
    m->end = "11:00";
    m->time_zone = "Etc/GMT-1";
    m->host.name = "host";
    m->host.email = host;
}

static gs_gcal_result push(gs_gcal *h, const gs_gcal_meeting *m, gs_gcal_push_result *r) {
    memset(r, 0, sizeof *r);
    r->struct_size = sizeof *r;
    return gs_gcal_push_meeting(h, m, r, NULL, 0);
}

static size_t drain(gs_gcal *h) {
    size_t sent = 0, left = 99;
    EXPECT_RC(h, gs_gcal_retry_now(h), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_sync(h, 20000, &sent, &left), GS_GCAL_OK);
    return left;
}

static void emulator_defaults(void) {
    POST_OK(&emu, "/control/clear_faults", "");
    POST_OK(&emu, "/control/workspace",
            "{\"delegation\":" ALL_SCOPES ",\"key_deleted\":false,\"not_in_effect\":false}");
}

static void configure(void) {
    char dir[512], other[16384];
    gs_gcal *h = NULL;
    h_tempdir(dir, sizeof dir);
    if (gs_gcal_open(dir, &h) != GS_GCAL_OK) {
        CHECK(0);
        return;
    }
    h_use_emulator(h, &emu);
    EXPECT_RC(h, gs_gcal_set_service_account(h, NULL, DEFAULT_SUBJECT), GS_GCAL_NULL_ARGUMENT);
    EXPECT_RC(h, gs_gcal_set_service_account(h, key_json, NULL), GS_GCAL_NULL_ARGUMENT);
    EXPECT_RC(h, gs_gcal_set_service_account(h, "{not json", DEFAULT_SUBJECT),
              GS_GCAL_NOT_SERVICE_ACCOUNT_KEY);
    EXPECT_RC(h, gs_gcal_set_service_account(h, "{\"web\":{\"client_id\":\"x\"}}", DEFAULT_SUBJECT),
              GS_GCAL_NOT_SERVICE_ACCOUNT_KEY);
    CHECK(strstr(last_error(h), "OAuth client file") != NULL);
    EXPECT_RC(h, gs_gcal_set_service_account(h, "{\"type\":\"authorized_user\"}", DEFAULT_SUBJECT),
              GS_GCAL_NOT_SERVICE_ACCOUNT_KEY);
    /* The real file with its key damaged (a "\n" escape lost in copying). */
    snprintf(other, sizeof other, "%s", key_json);
    {
        char *k = strstr(other, "-----BEGIN PRIVATE KEY-----\\n");
        if (k != NULL)
            memcpy(k + 29, "!!!!", 4);
    }
    EXPECT_RC(h, gs_gcal_set_service_account(h, other, DEFAULT_SUBJECT), GS_GCAL_KEY_UNREADABLE);
    CHECK(emulator_key("service_account_key_ec", other, sizeof other) == 0);
    EXPECT_RC(h, gs_gcal_set_service_account(h, other, DEFAULT_SUBJECT), GS_GCAL_KEY_NOT_RSA);
    CHECK(emulator_key("service_account_key_1024", other, sizeof other) == 0);
    EXPECT_RC(h, gs_gcal_set_service_account(h, other, DEFAULT_SUBJECT), GS_GCAL_KEY_SIZE);
    EXPECT_RC(h, gs_gcal_set_service_account(h, key_json, "not-an-email"), GS_GCAL_INVALID_EMAIL);
    CHECK(h_text_str_is(status_of(h), "mode", "oauth_user"));
    EXPECT_RC(h, gs_gcal_set_service_account(h, key_json, DEFAULT_SUBJECT), GS_GCAL_OK);
    status_of(h);
    CHECK(h_text_str_is(status, "mode", "workspace"));
    CHECK(h_text_str_is(status, "state", "authorized"));
    CHECK(h_text_str_is(status, "workspace.service_account", "gs-gcal-pbx@pbx-project-4711.iam.gserviceaccount.com"));
    CHECK(h_text_str_is(status, "workspace.default_subject", DEFAULT_SUBJECT));
    CHECK(h_text_str_is(status, "workspace.client_id", "104711000000000000042"));
    CHECK(strstr(status, "PRIVATE KEY") == NULL);
    /* Persisted: a new handle on the directory is still in Workspace mode. */
    gs_gcal_close(h);
    h = reopen(dir);
    CHECK(h != NULL && h_text_str_is(status_of(h), "mode", "workspace"));
    /* Switching back is explicit: an OAuth client leaves Workspace mode. */
    EXPECT_RC(h, gs_gcal_set_client(h, emu.client_id, emu.client_secret, emu.redirect_uri), GS_GCAL_OK);
    status_of(h);
    CHECK(h_text_str_is(status, "mode", "oauth_user"));
    CHECK(strstr(status, "pbx-project-4711") == NULL);
    gs_gcal_close(h);
    h_rmdir(dir);
}

static void hosts_calendars(void) {
    char dir[512];
    gs_gcal_meeting m;
    gs_gcal_push_result r;
    struct tally t;
    long grants;
    gs_gcal *h = open_workspace(dir, sizeof dir);
    if (h == NULL)
        return;
    grants = h_counter(&emu, "token.jwt");
    meeting(&m, "ws-john", "John's sync", JOHN);
    EXPECT_RC(h, push(h, &m, &r), GS_GCAL_OK);
    CHECK(strcmp(r.calendar, JOHN) == 0);
    CHECK(r.flags == 0);
    meeting(&m, "ws-jane", "Jane's review", JANE);
    m.room = ROOM;
    EXPECT_RC(h, push(h, &m, &r), GS_GCAL_OK);
    CHECK(strcmp(r.calendar, JANE) == 0);
    CHECK(h_counter(&emu, "token.jwt") == grants + 2); /* one grant per impersonated user */
    t = in_calendar(JOHN, "ws-john");
    CHECK(t.confirmed == 1);
    t = in_calendar_x(JANE, "ws-jane", EXTRA_RESOURCE, NULL);
    CHECK(t.confirmed == 1 && t.extra_seen == 1);
    CHECK(in_calendar(DEFAULT_SUBJECT, "ws-john").confirmed == 0);

    /* Edit, cancel, restore: all in John's calendar, with the cached token. */
    meeting(&m, "ws-john", "John's sync (moved to 10:30)", JOHN);
    m.start = "2031-05-06T10:30";
    EXPECT_RC(h, push(h, &m, &r), GS_GCAL_OK);
    t = in_calendar_x(JOHN, "ws-john", EXTRA_TEXT, "moved to 10:30");
    CHECK(t.confirmed == 1 && t.extra_seen == 1);
    EXPECT_RC(h, gs_gcal_cancel_meeting(h, "ws-john", NULL, NULL), GS_GCAL_OK);
    t = in_calendar(JOHN, "ws-john");
    CHECK(t.confirmed == 0 && t.cancelled == 1);
    EXPECT_RC(h, push(h, &m, &r), GS_GCAL_OK);
    t = in_calendar(JOHN, "ws-john");
    CHECK(t.confirmed == 1);
    CHECK(h_counter(&emu, "token.jwt") == grants + 2);

    /* Host change: John → Jane moves the event, no duplicate. */
    meeting(&m, "ws-john", "Now hosted by Jane", JANE);
    EXPECT_RC(h, push(h, &m, &r), GS_GCAL_OK);
    CHECK(strcmp(r.calendar, JANE) == 0);
    t = in_calendar(JOHN, "ws-john");
    CHECK(t.confirmed == 0);
    t = in_calendar(JANE, "ws-john");
    CHECK(t.confirmed == 1);
    /* ... and a cancel follows it to Jane's calendar. */
    EXPECT_RC(h, gs_gcal_cancel_meeting(h, "ws-john", NULL, NULL), GS_GCAL_OK);
    CHECK(in_calendar(JANE, "ws-john").confirmed == 0);

    /* Unknown host of the domain: Google says "Invalid email or User ID". */
    meeting(&m, "ws-ghost", "Ghost", "ghost@mycompanyabc.com");
    EXPECT_RC(h, push(h, &m, &r), GS_GCAL_OK);
    CHECK(r.flags & GS_GCAL_PUSHED_HOST_FALLBACK);
    CHECK(strcmp(r.calendar, DEFAULT_SUBJECT) == 0);
    t = in_calendar_x(DEFAULT_SUBJECT, "ws-ghost", EXTRA_ATTENDEE, "ghost@mycompanyabc.com");
    CHECK(t.confirmed == 1 && t.extra_seen == 1); /* the host is a plain attendee */
    /* A host of another domain: no grant asked for. */
    grants = h_counter(&emu, "token.jwt");
    meeting(&m, "ws-partner", "Partner", "bob@partner.example");
    EXPECT_RC(h, push(h, &m, &r), GS_GCAL_OK);
    CHECK((r.flags & GS_GCAL_PUSHED_HOST_FALLBACK) && strcmp(r.calendar, DEFAULT_SUBJECT) == 0);
    CHECK(h_counter(&emu, "token.jwt") == grants);
    CHECK(in_calendar(DEFAULT_SUBJECT, "ws-partner").confirmed == 1);
    gs_gcal_close(h);
    h_rmdir(dir);
}

/* Occurrence changes of a series follow the host's calendar too. */
static void occurrences_in_host_calendar(void) {
    char dir[512];
    gs_gcal_meeting m;
    gs_gcal_push_result r;
    struct tally t;
    gs_gcal *h = open_workspace(dir, sizeof dir);
    if (h == NULL)
        return;
    meeting(&m, "ws-series", "Weekly with John", JOHN);
    m.repeat = GS_GCAL_REPEAT_WEEKLY;
    m.repeat_end = GS_GCAL_REPEAT_END_ON_DATE;
    m.repeat_until = "2031-05-27";
    EXPECT_RC(h, push(h, &m, &r), GS_GCAL_OK);
    CHECK(strcmp(r.calendar, JOHN) == 0);
    /* One occurrence moved: an exception in John's calendar. */
    m.occurrence = "2031-05-13T10:00";
    m.start = "2031-05-13T14:00";
    m.end = "15:00";
    EXPECT_RC(h, push(h, &m, &r), GS_GCAL_OK);
    CHECK(strcmp(r.calendar, JOHN) == 0);
    t = in_calendar_x(JOHN, "ws-series", EXTRA_TEXT, "Weekly with John");
    CHECK(t.confirmed == 2 && t.cancelled == 0);
    /* One occurrence cancelled, also there. */
    EXPECT_RC(h, gs_gcal_cancel_meeting(h, "ws-series", "2031-05-20T10:00", "Etc/GMT-1"), GS_GCAL_OK);
    t = in_calendar(JOHN, "ws-series");
    CHECK(t.confirmed == 2 && t.cancelled == 1);
    /* Nothing of it reached the default subject's calendar. */
    t = in_calendar(DEFAULT_SUBJECT, "ws-series");
    CHECK(t.confirmed == 0 && t.cancelled == 0);
    /* The whole series cancelled, in John's calendar. */
    EXPECT_RC(h, gs_gcal_cancel_meeting(h, "ws-series", NULL, NULL), GS_GCAL_OK);
    t = in_calendar(JOHN, "ws-series");
    CHECK(t.cancelled >= 2);
    gs_gcal_close(h);
    h_rmdir(dir);
}

static void diagnoses(void) {
    char dir[512];
    gs_gcal_meeting m;
    gs_gcal_push_result r;
    gs_gcal *h;

    /* unauthorized_client: no delegation for the client ID. */
    POST_OK(&emu, "/control/workspace", "{\"delegation\":null}");
    h = open_workspace(dir, sizeof dir);
    if (h == NULL)
        return;
    meeting(&m, "ws-diag", "Diagnosis", JOHN);
    EXPECT_RC(h, push(h, &m, &r), GS_GCAL_QUEUED);
    CHECK(strstr(last_error(h), "domain-wide delegation missing") != NULL);
    CHECK(strstr(last_error(h), "104711000000000000042") != NULL);
    CHECK(strstr(last_error(h), "https://www.googleapis.com/auth/calendar.events,") != NULL);
    status_of(h);
    /* The whole text, with Google's exact words, in the status. */
    CHECK(strstr(status, "https://www.googleapis.com/auth/calendar.events,"
                         "https://www.googleapis.com/auth/calendar.calendarlist.readonly") != NULL);
    CHECK(strstr(status, "Client is unauthorized to retrieve access tokens using this method") != NULL);
    CHECK(h_text_int_is(status, "workspace.token_failures[0].code", 340));
    CHECK(h_text_str_has(status, "workspace.token_failures[0].message", "domain-wide delegation missing"));
    CHECK(h_text_str_has(status, "workspace.delegation_scopes", "https://www.googleapis.com/auth/calendar.events,"));
    CHECK(strstr(status, "ya29.") == NULL);
    /* A scope missing from the delegation: the same diagnosis. */
    POST_OK(&emu, "/control/workspace", "{\"delegation\":[\"https://www.googleapis.com/auth/calendar.events\"]}");
    CHECK(drain(h) == 1);
    CHECK(strstr(status_of(h), "\"code\":340") != NULL);
    /* Fixed in the Admin console: the outbox sends it. */
    emulator_defaults();
    CHECK(drain(h) == 0);
    CHECK(in_calendar(JOHN, "ws-diag").confirmed == 1);
    CHECK(strstr(status_of(h), "\"token_failures\":[]") != NULL);
    gs_gcal_close(h);
    h_rmdir(dir);

    /* "Invalid JWT Signature.": the key was deleted in Cloud Console. */
    POST_OK(&emu, "/control/workspace", "{\"key_deleted\":true}");
    h = open_workspace(dir, sizeof dir);
    if (h == NULL)
        return;
    EXPECT_RC(h, push(h, &m, &r), GS_GCAL_QUEUED);
    CHECK(strstr(last_error(h), "deleted or disabled") != NULL);
    CHECK(strstr(last_error(h), "Invalid JWT Signature.") != NULL);
    CHECK(strstr(status_of(h), "\"code\":341") != NULL);
    emulator_defaults();
    CHECK(drain(h) == 0);

    /* The JWT's time window: Google's clock 2 h ahead of the PBX's. */
    POST_OK(&emu, "/control/advance_clock", "{\"seconds\":7200}");
    gs_gcal_close(h);
    h = reopen(dir); /* no cached token */
    meeting(&m, "ws-clock", "Clock", JANE);
    EXPECT_RC(h, push(h, &m, &r), GS_GCAL_QUEUED);
    CHECK(strstr(last_error(h), "time not synchronized") != NULL);
    CHECK(strstr(last_error(h), "short-lived token") != NULL);
    CHECK(strstr(status_of(h), "\"code\":502") != NULL); /* GS_GCAL_CLOCK_NOT_SET */
    POST_OK(&emu, "/control/advance_clock", "{\"seconds\":-7200}");
    CHECK(drain(h) == 0);

    /* 403 forbiddenForServiceAccounts: delegation not in effect yet. */
    POST_OK(&emu, "/control/workspace", "{\"not_in_effect\":true}");
    meeting(&m, "ws-effect", "Effect", JANE);
    EXPECT_RC(h, push(h, &m, &r), GS_GCAL_QUEUED);
    CHECK(strstr(last_error(h), "not in effect") != NULL);
    CHECK(strstr(last_error(h), "forbiddenForServiceAccounts") != NULL);
    emulator_defaults();
    CHECK(drain(h) == 0);
    CHECK(in_calendar(JANE, "ws-effect").confirmed == 1);

    /* The default subject is not a user: no fallback left, it waits. */
    EXPECT_RC(h, gs_gcal_set_service_account(h, key_json, "nobody@mycompanyabc.com"), GS_GCAL_OK);
    meeting(&m, "ws-nobody", "Nobody", NULL);
    EXPECT_RC(h, push(h, &m, &r), GS_GCAL_QUEUED);
    CHECK(strstr(status_of(h), "\"code\":342") != NULL);
    gs_gcal_close(h);
    h_rmdir(dir);
}

/* A host change interrupted after the old event was deleted: the new
   calendar's create is lost (before it reached Google, or its answer after),
   the handle is closed (a restart), the outbox finishes the move. */
static void crash_safety(const char *fault) {
    char dir[512], body[512];
    gs_gcal_meeting m;
    gs_gcal_push_result r;
    gs_gcal *h = open_workspace(dir, sizeof dir);
    if (h == NULL)
        return;
    meeting(&m, "ws-crash", "Crash", JOHN);
    EXPECT_RC(h, push(h, &m, &r), GS_GCAL_OK);
    snprintf(body, sizeof body,
             "{\"match\":{\"path_prefix\":\"/calendar/v3/calendars/primary/events\",\"method\":\"POST\"},"
             "\"count\":1,\"fault\":{\"kind\":\"%s\"}}",
             fault);
    POST_OK(&emu, "/control/fault", body);
    meeting(&m, "ws-crash", "Crash, now Jane's", JANE);
    EXPECT_RC(h, push(h, &m, &r), GS_GCAL_QUEUED);
    CHECK(in_calendar(JOHN, "ws-crash").confirmed == 0);
    gs_gcal_close(h);
    h = reopen(dir);
    CHECK(h != NULL);
    if (h == NULL)
        return;
    CHECK(drain(h) == 0);
    CHECK(in_calendar(JOHN, "ws-crash").confirmed == 0);
    CHECK(in_calendar(JANE, "ws-crash").confirmed == 1);
    /* The record followed: the cancel goes to Jane's calendar. */
    EXPECT_RC(h, gs_gcal_cancel_meeting(h, "ws-crash", NULL, NULL), GS_GCAL_OK);
    CHECK(in_calendar(JANE, "ws-crash").confirmed == 0);
    gs_gcal_close(h);
    h_rmdir(dir);
}

static void backup(void) {
    char dir[512], dir2[512];
    static char blob[65536];
    size_t needed = 0;
    gs_gcal_meeting m;
    gs_gcal_push_result r;
    gs_gcal *h2 = NULL, *h = open_workspace(dir, sizeof dir);
    if (h == NULL)
        return;
    EXPECT_RC(h, gs_gcal_export(h, "correct horse battery", blob, sizeof blob, &needed), GS_GCAL_OK);
    CHECK(strstr(blob, "PRIVATE KEY") == NULL);
    h_tempdir(dir2, sizeof dir2);
    if (gs_gcal_open(dir2, &h2) != GS_GCAL_OK) {
        CHECK(0);
        gs_gcal_close(h);
        return;
    }
    h_use_emulator(h2, &emu);
    EXPECT_RC(h2, gs_gcal_import(h2, "wrong passphrase", blob), GS_GCAL_BACKUP_UNAUTHENTIC);
    CHECK(strstr(status_of(h2), "\"mode\":\"oauth_user\"") != NULL);
    EXPECT_RC(h2, gs_gcal_import(h2, "correct horse battery", blob), GS_GCAL_OK);
    CHECK(strstr(status_of(h2), "\"mode\":\"workspace\"") != NULL);
    meeting(&m, "ws-restored", "Restored", JOHN);
    EXPECT_RC(h2, push(h2, &m, &r), GS_GCAL_OK);
    CHECK(strcmp(r.calendar, JOHN) == 0);
    CHECK(in_calendar(JOHN, "ws-restored").confirmed == 1);
    gs_gcal_close(h2);
    gs_gcal_close(h);
    h_rmdir(dir);
    h_rmdir(dir2);
}

/* Presence works in Workspace mode too (issue 15): freebusy.query as the
   default subject, whose token the JWT grant gives. */
static void presence_in_workspace_mode(void) {
    char dir[512];
    const char *emails[3] = {JOHN, JANE, "nobody@elsewhere.example"};
    gs_gcal_presence_report r;
    gs_gcal_presence p;
    long grants = h_counter(&emu, "token.jwt");
    size_t i;
    gs_gcal *h = open_workspace(dir, sizeof dir);
    if (h == NULL) {
        CHECK(0);
        return;
    }
    EXPECT_RC(h, gs_gcal_presence_set(h, emails, 3), GS_GCAL_OK);
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    EXPECT_RC(h, gs_gcal_presence_refresh(h, 10000, &r), GS_GCAL_OK);
    CHECK(r.requests == 1 && r.refreshed == 3 && r.remaining == 0);
    CHECK(h_counter(&emu, "token.jwt") == grants + 1); /* one grant, as the default subject */
    for (i = 0; i < 3; i++) {
        memset(&p, 0, sizeof p);
        p.struct_size = sizeof p;
        EXPECT_RC(h, gs_gcal_presence_get(h, emails[i], (int64_t)time(NULL), &p), GS_GCAL_OK);
        /* Known, or unknown with Google's per-calendar reason: never an
           authorization failure. */
        CHECK(p.state != GS_GCAL_PRESENCE_UNKNOWN || p.reason[0] != '\0');
    }
    gs_gcal_close(h);
    h_rmdir(dir);
}

int main(void) {
    h_emulator(&emu);
    if (emulator_key("service_account_key", key_json, sizeof key_json) != 0) {
        fprintf(stderr, "the emulator wrote no service_account_key\n");
        return 2;
    }
    CHECK(h_text_str_is(key_json, "type", "service_account"));
    emulator_defaults();
    configure();
    hosts_calendars();
    occurrences_in_host_calendar();
    presence_in_workspace_mode();
    diagnoses();
    emulator_defaults();
    crash_safety("reset_before");
    crash_safety("reset_after");
    backup();
    return h_finish("test_workspace");
}
