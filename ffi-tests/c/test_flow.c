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

    h_emulator(&emu);
    h_tempdir(dir, sizeof dir);
    CHECK(h_control(&emu, "POST", "/control/reset", "", NULL, 0) == 200);

    EXPECT_RC(NULL, gs_gcal_open(dir, &h), GS_GCAL_OK);
    if (h == NULL)
        goto cleanup;
    h_use_emulator(h, &emu);

    EXPECT_RC(h, gs_gcal_status_json(h, status, sizeof status, &needed), GS_GCAL_OK);
    CHECK(strstr(status, "\"state\":\"unconfigured\"") != NULL);
    CHECK(needed == strlen(status) + 1);

    EXPECT_RC(h, gs_gcal_set_client(h, emu.client_id, emu.client_secret, emu.redirect_uri),
              GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_status_json(h, status, sizeof status, NULL), GS_GCAL_OK);
    CHECK(strstr(status, "\"state\":\"configured\"") != NULL);
    CHECK(strstr(status, emu.client_secret) == NULL);

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
    CHECK(strstr(status, "\"state\":\"authorized\"") != NULL);
    CHECK(h_json_string(status, "account", value, sizeof value) == 0 &&
          strcmp(value, emu.account) == 0);
    CHECK(strstr(status, "\"access_token_expires_in\":359") != NULL);

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
    {
        /* Exactly one event, with our id, in the account's calendar. */
        const char *kind = "\"kind\":\"calendar#event\"", *p = events;
        int n = 0;
        while ((p = strstr(p, kind)) != NULL) {
            n++;
            p += strlen(kind);
        }
        CHECK(n == 1);
        CHECK(strstr(events, event_id) != NULL);
    }
    CHECK(strstr(events, "\"summary\": \"Weekly_Meeting\"") != NULL ||
          strstr(events, "\"summary\":\"Weekly_Meeting\"") != NULL);
    CHECK(strstr(events, "2024-04-29T10:00:00") != NULL);
    CHECK(strstr(events, "Etc/GMT-1") != NULL);
    CHECK(strstr(events, "host1000@mycompanyabc.com") != NULL);
    CHECK(strstr(events, "jane.roe@partner.example") != NULL);
    CHECK(strstr(events, "6300-0001") != NULL);

    CHECK(h_control(&emu, "GET", "/control/requests", NULL, counters, sizeof counters) == 200);
    /* The second push is one PUT: the event is known to be ours. */
    CHECK(strstr(counters, "\"events.insert\":1") != NULL ||
          strstr(counters, "\"events.insert\": 1") != NULL);
    CHECK(strstr(counters, "\"events.update\":1") != NULL ||
          strstr(counters, "\"events.update\": 1") != NULL);

    /* Google revokes the access token early (expiry, key rotation): the
       401 triggers one refresh (keeping the refresh token) and one retry. */
    CHECK(h_control(&emu, "POST", "/control/expire_tokens", "", NULL, 0) == 200);
    EXPECT_RC(h, h_push(h, &m, event_id2, NULL, 0, NULL),
              GS_GCAL_OK);
    CHECK(h_control(&emu, "GET", "/control/requests", NULL, counters, sizeof counters) == 200);
    CHECK(strstr(counters, "\"token\":2") != NULL);
    EXPECT_RC(h, gs_gcal_status_json(h, status, sizeof status, NULL), GS_GCAL_OK);
    CHECK(strstr(status, "\"state\":\"authorized\"") != NULL);

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
    CHECK(strstr(status, "\"state\":\"authorized\"") != NULL);
    m.subject = "Weekly_Meeting (moved)";
    EXPECT_RC(again, h_push(again, &m, event_id2, NULL, 0, NULL),
              GS_GCAL_OK);
    CHECK(strcmp(event_id, event_id2) == 0);

cleanup:
    gs_gcal_close(h);
    gs_gcal_close(again);
    h_rmdir(dir);
    return h_finish("test_flow");
}
