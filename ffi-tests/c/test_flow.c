/*
 * The whole path through the public API against the emulator: configure,
 * authorize through the consent page, push the seed meeting, push it again
 * (one event), reopen from disk (still authorized), and read the status.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "gs_gcal.h"
#include "harness.h"
#include "seed_meeting.h"

static char events[1 << 16];

int main(void) {
    emulator emu;
    gs_gcal *h = NULL, *again = NULL;
    char dir[512], url[2048], redirect[2048], status[4096], event_id[GS_GCAL_EVENT_ID_SIZE];
    char event_id2[GS_GCAL_EVENT_ID_SIZE], counters[1024], value[256];
    size_t needed = 0, skipped[4] = {99, 99, 99, 99}, nskipped = 0;
    gs_gcal_person invitees[4] = {
        {"1001", "john.doe@mycompanyabc.com", 0},
        {"1002", NULL, 0},
        {"1003", "jane.roe@partner.example", 0},
        {"1004", "", 0},
    };
    gs_gcal_meeting m;
    arena a = {0};
    const json *doc, *ev;

    h_emulator(&emu);
    h_tempdir(dir, sizeof dir);
    CHECK(h_control(&emu, "POST", "/control/reset", "", NULL, 0) == 200);

    EXPECT_RC(NULL, gs_gcal_open(dir, &h), GS_GCAL_OK);
    if (h == NULL)
        goto cleanup;
    h_use_emulator(h, &emu);

    EXPECT_RC(h, gs_gcal_status_json(h, status, sizeof status, &needed), GS_GCAL_OK);
    doc = h_json_parse(&a, status);
    CHECK(h_json_str_is(doc, "state", "unconfigured"));
    CHECK(needed == strlen(status) + 1);

    EXPECT_RC(h, gs_gcal_set_client(h, emu.client_id, emu.client_secret, emu.redirect_uri),
              GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_status_json(h, status, sizeof status, NULL), GS_GCAL_OK);
    CHECK(h_json_str_is(h_json_parse(&a, status), "state", "configured"));
    CHECK(strstr(status, emu.client_secret) == NULL); /* nowhere in the text */

    /* The link: Google's auth endpoint with every required parameter. */
    EXPECT_RC(h, gs_gcal_auth_url(h, url, sizeof url, &needed), GS_GCAL_OK);
    CHECK(needed == strlen(url) + 1);
    CHECK(strncmp(url, emu.auth_endpoint, strlen(emu.auth_endpoint)) == 0);
    CHECK(strstr(url, "response_type=code") != NULL);
    CHECK(strstr(url, "access_type=offline") != NULL);
    CHECK(strstr(url, "prompt=consent") != NULL);
    CHECK(strstr(url, "state=") != NULL);
    CHECK(strstr(url, "code_challenge_method=S256") != NULL);

    /* The admin allows access and pastes the whole address-bar URL. */
    CHECK(h_consent(&emu, url, "allow", redirect, sizeof redirect) == 0);
    CHECK(strstr(redirect, "code=") != NULL);
    EXPECT_RC(h, gs_gcal_authorize(h, redirect), GS_GCAL_OK);
    /* Codes are single-use: a second paste of the same address is told so
       without asking Google (which would answer invalid_grant). */
    EXPECT_RC(h, gs_gcal_authorize(h, redirect), GS_GCAL_CODE_ALREADY_USED);

    EXPECT_RC(h, gs_gcal_status_json(h, status, sizeof status, NULL), GS_GCAL_OK);
    doc = h_json_parse(&a, status);
    CHECK(h_json_str_is(doc, "state", "authorized"));
    CHECK(h_json_str(doc, "account", value, sizeof value) == 0 && strcmp(value, emu.account) == 0);
    {
        /* 3599 s from Google's 3600, less the seconds the test took. */
        long long left = -1;
        CHECK(h_json_int(doc, "access_token_expires_in", &left) == 0 && left >= 3590 &&
              left <= 3599);
    }

    /* The seed meeting. */
    seed_meeting(&m, "6300-0001");
    m.invitees = invitees; /* the seed's, with "" for no e-mail */

    EXPECT_RC(h, h_push(h, &m, event_id, skipped, 4, &nskipped),
              GS_GCAL_OK);
    CHECK(nskipped == 2 && skipped[0] == 1 && skipped[1] == 3);
    CHECK(strlen(event_id) == 42 && strncmp(event_id, "gs", 2) == 0);

    /* Pushing the same meeting again leaves one event with the same id. */
    EXPECT_RC(h, h_push(h, &m, event_id2, NULL, 0, NULL),
              GS_GCAL_OK);
    CHECK(strcmp(event_id, event_id2) == 0);

    CHECK(h_control(&emu, "GET", "/control/events", NULL, events, sizeof events) == 200);
    /* Exactly one event in the whole dump: ours, in the account's calendar. */
    ev = h_json_at(json_get(h_json_parse(&a, events), emu.account), "[0]");
    CHECK(h_each_event(events, NULL, NULL, NULL) == 1 &&
          h_json_str_is(ev, "kind", "calendar#event"));
    CHECK(h_json_str_is(ev, "id", event_id));
    CHECK(h_json_str_is(ev, "summary", "Weekly_Meeting"));
    CHECK(h_json_str(ev, "start.dateTime", value, sizeof value) == 0 &&
          strncmp(value, "2024-04-29T10:00:00", 19) == 0);
    CHECK(h_json_str_is(ev, "start.timeZone", "Etc/GMT-1"));
    CHECK(h_json_find(ev, "attendees", "email", "host1000@mycompanyabc.com") != NULL);
    CHECK(h_json_find(ev, "attendees", "email", "jane.roe@partner.example") != NULL);
    CHECK(h_json_str_is(ev, "extendedProperties.private.gsGcalMeetingId", "6300-0001"));

    CHECK(h_control(&emu, "GET", "/control/requests", NULL, counters, sizeof counters) == 200);
    /* The second push is one PUT: the event is known to be ours. */
    doc = h_json_parse(&a, counters);
    CHECK(h_json_int_is(doc, "[\"events.insert\"]", 1));
    CHECK(h_json_int_is(doc, "[\"events.update\"]", 1));

    /* Google revokes the access token early (expiry, key rotation): the
       401 triggers one refresh (keeping the refresh token) and one retry. */
    CHECK(h_control(&emu, "POST", "/control/expire_tokens", "", NULL, 0) == 200);
    EXPECT_RC(h, h_push(h, &m, event_id2, NULL, 0, NULL),
              GS_GCAL_OK);
    CHECK(h_control(&emu, "GET", "/control/requests", NULL, counters, sizeof counters) == 200);
    CHECK(h_json_int_is(h_json_parse(&a, counters), "token", 2));
    EXPECT_RC(h, gs_gcal_status_json(h, status, sizeof status, NULL), GS_GCAL_OK);
    CHECK(h_json_str_is(h_json_parse(&a, status), "state", "authorized"));

    /* A reboot: a new handle on the same directory is still authorized and
       pushes without a new consent. The old handle holds the lock first. */
    EXPECT_RC(NULL, gs_gcal_open(dir, &again), GS_GCAL_STATE_LOCKED);
    CHECK(again == NULL);
    gs_gcal_close(h);
    h = NULL;
    EXPECT_RC(NULL, gs_gcal_open(dir, &again), GS_GCAL_OK);
    if (again == NULL)
        goto cleanup;
    h_use_emulator(again, &emu);
    EXPECT_RC(again, gs_gcal_status_json(again, status, sizeof status, NULL), GS_GCAL_OK);
    CHECK(h_json_str_is(h_json_parse(&a, status), "state", "authorized"));
    m.subject = "Weekly_Meeting (moved)";
    EXPECT_RC(again, h_push(again, &m, event_id2, NULL, 0, NULL),
              GS_GCAL_OK);
    CHECK(strcmp(event_id, event_id2) == 0);

cleanup:
    gs_gcal_close(h);
    gs_gcal_close(again);
    h_rmdir(dir);
    arena_free(&a);
    return h_finish("test_flow");
}
