/*
 * Meetings through their whole life, from C against the emulator: a weekly
 * series across a DST change, edits (full replacement), one occurrence
 * edited and one cancelled, the whole series cancelled and restored, a
 * restore Google refuses (new id generation), a lost answer retried, and
 * everything refused before the network.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gs_gcal.h"
#include "harness.h"

static emulator emu;
static char buf[1 << 17];

static arena dump_arena; /* the last dump event() parsed */

/* How many stored events (series masters and exceptions) are of meeting `id`. */
static int events_of(const char *id) {
    if (h_control(&emu, "GET", "/control/events", NULL, buf, sizeof buf) != 200)
        return -1;
    return h_each_event(buf, id, NULL, NULL);
}

/* The stored event whose "id" is exactly `id` (first match, any calendar);
   NULL when there is none. Valid until the next call. */
static const json *event(const char *id) {
    const json *dump, *cal, *ev;
    arena_free(&dump_arena);
    if (h_control(&emu, "GET", "/control/events", NULL, buf, sizeof buf) != 200)
        return NULL;
    dump = h_json_parse(&dump_arena, buf);
    for (cal = dump != NULL && dump->type == JSON_OBJECT ? dump->child : NULL; cal != NULL;
         cal = cal->next)
        if ((ev = h_json_find(cal, "", "id", id)) != NULL)
            return ev;
    return NULL;
}

/* Whether the string at path of the event `id` starts with / contains `text`. */
static int event_str_starts(const char *id, const char *path, const char *text) {
    const json *s = h_json_at(event(id), path);
    return s != NULL && s->type == JSON_STRING && strncmp(s->text, text, strlen(text)) == 0;
}

static int event_str_has(const char *id, const char *path, const char *text) {
    const json *s = h_json_at(event(id), path);
    return s != NULL && s->type == JSON_STRING && strstr(s->text, text) != NULL;
}

static void weekly(gs_gcal_meeting *m, gs_gcal_person *invitees, size_t n) {
    memset(m, 0, sizeof *m);
    m->struct_size = sizeof *m;
    m->meeting_id = "series-1";
    m->subject = "Jour fixe";
    m->start = "2024-03-18T10:00";
    m->end = "11:00";
    m->time_zone = "Europe/Berlin";
    m->room = "6301";
    m->invitees = invitees;
    m->invitee_count = n;
    m->email_reminder_minutes = 15;
    m->repeat = GS_GCAL_REPEAT_WEEKLY;
    m->repeat_end = GS_GCAL_REPEAT_END_ON_DATE;
    m->repeat_until = "2024-04-08";
}

int main(void) {
    char dir[512] = "", series[GS_GCAL_EVENT_ID_SIZE];
    char id[GS_GCAL_EVENT_ID_SIZE], id2[128], req[512];
    gs_gcal_person two[2] = {{"1001", "john.doe@mycompanyabc.com", 0},
                             {"1002", "jane.roe@partner.example", 0}};
    gs_gcal_meeting m;
    gs_gcal_push_result r;
    gs_gcal *h = NULL;
    long inserts;

    h_emulator(&emu);
    POST_OK(&emu, "/control/reset", "");
    h = h_open_authorized(&emu, dir, sizeof dir);
    if (h == NULL)
        goto cleanup;

    /* A weekly series until a date: a COUNT on local dates, with the zone. */
    weekly(&m, two, 2);
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    EXPECT_RC(h, gs_gcal_push_meeting(h, &m, &r, NULL, 0), GS_GCAL_OK);
    snprintf(series, sizeof series, "%s", r.event_id);
    CHECK(strncmp(r.html_link, "https://www.google.com/calendar/event?eid=", 42) == 0);
    CHECK(h_json_len(event(series), "recurrence") == 1 &&
          h_json_str_is(event(series), "recurrence[0]", "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4"));
    CHECK(h_json_str_is(event(series), "start.timeZone", "Europe/Berlin"));

    /* An edit is a full replacement: the removed invitee disappears. */
    m.invitee_count = 1;
    m.subject = "Jour fixe (new room)";
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_OK);
    CHECK(strcmp(id, series) == 0);
    CHECK(event(series) != NULL &&
          h_json_find(event(series), "attendees", "email", "jane.roe@partner.example") == NULL);
    CHECK(h_json_str_is(event(series), "summary", "Jour fixe (new room)"));
    CHECK(events_of("series-1") == 1);

    /* One occurrence moved, after the DST change: 10:00 CEST is 08:00 UTC. */
    m.occurrence = "2024-04-01T10:00";
    m.start = "2024-04-01T14:00";
    m.end = "15:00";
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_OK);
    snprintf(id2, sizeof id2, "%s_20240401T080000Z", series);
    CHECK(strcmp(id, id2) == 0);
    CHECK(event_str_starts(id2, "start.dateTime", "2024-04-01T14:00:00"));
    /* An occurrence that is not in the series is refused by Google. */
    m.occurrence = "2024-04-02T10:00";
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_API_NOT_FOUND);

    /* One occurrence cancelled, before the DST change: 09:00 UTC. */
    EXPECT_RC(h, gs_gcal_cancel_meeting(h, "series-1", "2024-03-25T10:00", "Europe/Berlin"),
              GS_GCAL_OK);
    snprintf(id2, sizeof id2, "%s_20240325T090000Z", series);
    CHECK(h_json_str_is(event(id2), "status", "cancelled"));
    CHECK(h_json_str_is(event(series), "status", "confirmed"));
    EXPECT_RC(h, gs_gcal_cancel_meeting(h, "series-1", "2024-03-25T10:00", NULL),
              GS_GCAL_NULL_ARGUMENT);

    /* The whole series cancelled; again is still done (Google: 410). */
    EXPECT_RC(h, gs_gcal_cancel_meeting(h, "series-1", NULL, NULL), GS_GCAL_OK);
    CHECK(h_json_str_is(event(series), "status", "cancelled"));
    EXPECT_RC(h, gs_gcal_cancel_meeting(h, "series-1", NULL, NULL), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_cancel_meeting(h, "never-pushed", NULL, NULL), GS_GCAL_OK);

    /* Pushed again: Google keeps the cancelled event, so it is restored. */
    weekly(&m, two, 2);
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_OK);
    CHECK(strcmp(id, series) == 0);
    CHECK(h_json_str_is(event(series), "status", "confirmed"));

    /* Deleted in Google's UI and Google refuses the restore: a new id, once. */
    snprintf(req, sizeof req, "{\"calendar\":\"%s\",\"id\":\"%s\"}", emu.account, series);
    POST_OK(&emu, "/control/delete_event", req);
    POST_OK(&emu, "/control/refuse_restore", "{\"on\":true}");
    inserts = h_counter(&emu, "events.insert");
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_OK);
    CHECK(h_counter(&emu, "events.insert") == inserts + 2); /* the refused id, then the new one */
    CHECK(strcmp(id, series) != 0 && strlen(id) == 42);
    CHECK(h_json_str_is(event(id), "status", "confirmed"));
    /* The new id is remembered: the next push updates it, no third event. */
    EXPECT_RC(h, h_push(h, &m, id2, NULL, 0, NULL), GS_GCAL_OK);
    CHECK(strcmp(id, id2) == 0);
    CHECK(h_counter(&emu, "events.insert") == inserts + 2);
    /* The one-PUT edit answered 404 (e.g. purged): the full path decides. */
    POST_OK(&emu, "/control/fault",
            "{\"match\":{\"path_prefix\":\"/calendar/v3/\"},\"count\":1,"
            "\"fault\":{\"kind\":\"status\",\"code\":404}}");
    EXPECT_RC(h, h_push(h, &m, id2, NULL, 0, NULL), GS_GCAL_OK);
    CHECK(strcmp(id, id2) == 0);
    CHECK(h_counter(&emu, "events.insert") == inserts + 3); /* answered 409: it exists, ours */
    CHECK(h_json_str_is(event(series), "status", "cancelled"));
    EXPECT_RC(h, gs_gcal_cancel_meeting(h, "series-1", NULL, NULL), GS_GCAL_OK);
    CHECK(h_json_str_is(event(id), "status", "cancelled"));
    POST_OK(&emu, "/control/refuse_restore", "{\"on\":false}");

    /* The answer to an insert is lost: the retry creates nothing extra. */
    memset(&m, 0, sizeof m);
    m.struct_size = sizeof m;
    m.meeting_id = "lost-answer";
    m.subject = "Retried";
    m.start = "2024-05-06T09:00";
    m.end = "09:30";
    m.time_zone = "Etc/GMT+5";
    inserts = h_counter(&emu, "events.insert");
    POST_OK(&emu, "/control/drop_next_response", "{\"count\":1}");
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_QUEUED);
    EXPECT_RC(h, gs_gcal_retry_now(h), GS_GCAL_OK); /* no waiting for the backoff */
    {
        size_t sent = 0, left = 99;
        EXPECT_RC(h, gs_gcal_sync(h, 10000, &sent, &left), GS_GCAL_OK);
        CHECK(sent == 1 && left == 0);
    }
    CHECK(h_counter(&emu, "events.insert") == inserts + 2);
    CHECK(events_of("lost-answer") == 1);
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_OK);

    /* Refused before the network: nothing reaches Google. */
    inserts = h_counter(&emu, "events.insert");
    weekly(&m, two, 2);
    m.start = "2024-03-31T02:30"; /* clocks jump 02:00 → 03:00 */
    m.end = "03:30";
    m.repeat = GS_GCAL_REPEAT_NONE;
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_INVALID_TIME);
    weekly(&m, two, 2);
    m.time_zone = "Europe/Atlantis";
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_INVALID_TIME_ZONE);
    weekly(&m, two, 2);
    m.repeat_weekdays = GS_GCAL_TUESDAY | GS_GCAL_THURSDAY; /* start is a Monday */
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_INVALID_ARGUMENT);
    weekly(&m, two, 2);
    m.repeat_until = "2024-03-01"; /* before the start: a repeat error, like all of them */
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_INVALID_ARGUMENT);
    weekly(&m, two, 2);
    m.repeat_until = "2024-02-30"; /* not a date: a time error */
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_INVALID_TIME);
    weekly(&m, two, 2);
    m.repeat = 99;
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_INVALID_ARGUMENT);
    weekly(&m, two, 2);
    m.repeat_end = GS_GCAL_REPEAT_END_AFTER;
    m.repeat_count = 0;
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_INVALID_ARGUMENT);
    weekly(&m, two, 2);
    m.flags = 0x80;
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_INVALID_ARGUMENT);
    CHECK(h_counter(&emu, "events.insert") == inserts);

    /* Etc/GMT-1 repeats too (inverted sign: UTC+01:00), and its instance
       ids use that offset; the participant password only when shared. */
    memset(&m, 0, sizeof m);
    m.struct_size = sizeof m;
    m.meeting_id = "gmt-1";
    m.subject = "Weekly_Meeting";
    m.start = "2024-04-29T10:00";
    m.end = "11:00";
    m.time_zone = "Etc/GMT-1";
    m.room = "6300";
    m.participant_password = "4711";
    m.flags = GS_GCAL_MEETING_SHARE_PASSWORD;
    m.repeat = GS_GCAL_REPEAT_WEEKDAYS;
    m.repeat_end = GS_GCAL_REPEAT_END_AFTER;
    m.repeat_count = 5;
    EXPECT_RC(h, h_push(h, &m, series, NULL, 0, NULL), GS_GCAL_OK);
    CHECK(h_json_find(event(series), "recurrence", "",
                      "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=5") != NULL);
    CHECK(event_str_has(series, "description", "participant password 4711"));
    EXPECT_RC(h, gs_gcal_cancel_meeting(h, "gmt-1", "2024-04-30T10:00", "Etc/GMT-1"), GS_GCAL_OK);
    snprintf(id2, sizeof id2, "%s_20240430T090000Z", series);
    CHECK(h_json_str_is(event(id2), "status", "cancelled"));

    /* Invitation policy applies to cancels too. */
    EXPECT_RC(h, gs_gcal_set_option(h, "send_updates", "none"), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_cancel_meeting(h, "gmt-1", NULL, NULL), GS_GCAL_OK);
    CHECK(h_control(&emu, "GET", "/control/last_send_updates", NULL, buf, sizeof buf) == 200);
    {
        arena a = {0};
        CHECK(h_json_str_is(h_json_parse(&a, buf), "[\"events.delete\"]", "none"));
        arena_free(&a);
    }

cleanup:
    gs_gcal_close(h);
    h_rmdir(dir);
    arena_free(&dump_arena);
    return h_finish("test_meetings");
}
