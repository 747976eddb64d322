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

/* How many stored events (series masters and exceptions) contain `text`. */
static int events_with(const char *text) {
    const char *p;
    int n = 0;
    if (h_control(&emu, "GET", "/control/events", NULL, buf, sizeof buf) != 200)
        return -1;
    for (p = buf; (p = strstr(p, text)) != NULL; p += strlen(text))
        n++;
    return n;
}

static const char *event_json(const char *id) {
    static char one[16384];
    char path[256];
    snprintf(path, sizeof path, "/control/events");
    if (h_control(&emu, "GET", path, NULL, buf, sizeof buf) != 200)
        return "";
    /* The stored event whose "id" is exactly `id` (first match). */
    {
        char pat[128];
        const char *at, *start, *end;
        int depth = 0;
        snprintf(pat, sizeof pat, "\"id\":\"%s\"", id);
        at = strstr(buf, pat);
        if (at == NULL)
            return "";
        for (start = at; start > buf && !(*start == '{' && depth == 0); start--) {
            if (*start == '}')
                depth++;
            else if (*start == '{')
                depth--;
        }
        for (end = start, depth = 0; *end; end++) {
            if (*end == '{')
                depth++;
            else if (*end == '}' && --depth == 0)
                break;
        }
        snprintf(one, sizeof one, "%.*s", (int)(end - start + 1), start);
    }
    return one;
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
    CHECK(strstr(event_json(series), "\"recurrence\":[\"RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4\"]") !=
          NULL);
    CHECK(strstr(event_json(series), "\"timeZone\":\"Europe/Berlin\"") != NULL);

    /* An edit is a full replacement: the removed invitee disappears. */
    m.invitee_count = 1;
    m.subject = "Jour fixe (new room)";
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_OK);
    CHECK(strcmp(id, series) == 0);
    CHECK(strstr(event_json(series), "jane.roe@partner.example") == NULL);
    CHECK(strstr(event_json(series), "Jour fixe (new room)") != NULL);
    CHECK(events_with("\"gsGcalMeetingId\":\"series-1\"") == 1);

    /* One occurrence moved, after the DST change: 10:00 CEST is 08:00 UTC. */
    m.occurrence = "2024-04-01T10:00";
    m.start = "2024-04-01T14:00";
    m.end = "15:00";
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_OK);
    snprintf(id2, sizeof id2, "%s_20240401T080000Z", series);
    CHECK(strcmp(id, id2) == 0);
    CHECK(strstr(event_json(id2), "2024-04-01T14:00:00") != NULL);
    /* An occurrence that is not in the series is refused by Google. */
    m.occurrence = "2024-04-02T10:00";
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_API_NOT_FOUND);

    /* One occurrence cancelled, before the DST change: 09:00 UTC. */
    EXPECT_RC(h, gs_gcal_cancel_meeting(h, "series-1", "2024-03-25T10:00", "Europe/Berlin"),
              GS_GCAL_OK);
    snprintf(id2, sizeof id2, "%s_20240325T090000Z", series);
    CHECK(strstr(event_json(id2), "\"status\":\"cancelled\"") != NULL);
    CHECK(strstr(event_json(series), "\"status\":\"confirmed\"") != NULL);
    EXPECT_RC(h, gs_gcal_cancel_meeting(h, "series-1", "2024-03-25T10:00", NULL),
              GS_GCAL_NULL_ARGUMENT);

    /* The whole series cancelled; again is still done (Google: 410). */
    EXPECT_RC(h, gs_gcal_cancel_meeting(h, "series-1", NULL, NULL), GS_GCAL_OK);
    CHECK(strstr(event_json(series), "\"status\":\"cancelled\"") != NULL);
    EXPECT_RC(h, gs_gcal_cancel_meeting(h, "series-1", NULL, NULL), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_cancel_meeting(h, "never-pushed", NULL, NULL), GS_GCAL_OK);

    /* Pushed again: Google keeps the cancelled event, so it is restored. */
    weekly(&m, two, 2);
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_OK);
    CHECK(strcmp(id, series) == 0);
    CHECK(strstr(event_json(series), "\"status\":\"confirmed\"") != NULL);

    /* Deleted in Google's UI and Google refuses the restore: a new id, once. */
    snprintf(req, sizeof req, "{\"calendar\":\"%s\",\"id\":\"%s\"}", emu.account, series);
    POST_OK(&emu, "/control/delete_event", req);
    POST_OK(&emu, "/control/refuse_restore", "{\"on\":true}");
    inserts = h_counter(&emu, "events.insert");
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_OK);
    CHECK(h_counter(&emu, "events.insert") == inserts + 2); /* the refused id, then the new one */
    CHECK(strcmp(id, series) != 0 && strlen(id) == 42);
    CHECK(strstr(event_json(id), "\"status\":\"confirmed\"") != NULL);
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
    CHECK(strstr(event_json(series), "\"status\":\"cancelled\"") != NULL);
    EXPECT_RC(h, gs_gcal_cancel_meeting(h, "series-1", NULL, NULL), GS_GCAL_OK);
    CHECK(strstr(event_json(id), "\"status\":\"cancelled\"") != NULL);
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
    CHECK(events_with("\"gsGcalMeetingId\":\"lost-answer\"") == 1);
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
    CHECK(strstr(event_json(series), "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=5") != NULL);
    CHECK(strstr(event_json(series), "participant password 4711") != NULL);
    EXPECT_RC(h, gs_gcal_cancel_meeting(h, "gmt-1", "2024-04-30T10:00", "Etc/GMT-1"), GS_GCAL_OK);
    snprintf(id2, sizeof id2, "%s_20240430T090000Z", series);
    CHECK(strstr(event_json(id2), "\"status\":\"cancelled\"") != NULL);

    /* Invitation policy applies to cancels too. */
    EXPECT_RC(h, gs_gcal_set_option(h, "send_updates", "none"), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_cancel_meeting(h, "gmt-1", NULL, NULL), GS_GCAL_OK);
    CHECK(h_control(&emu, "GET", "/control/last_send_updates", NULL, buf, sizeof buf) == 200);
    CHECK(strstr(buf, "\"events.delete\":\"none\"") != NULL);

cleanup:
    gs_gcal_close(h);
    h_rmdir(dir);
    return h_finish("test_meetings");
}
