/*
 * Logging: the process-wide and per-handle callbacks, level filtering,
 * one line per Google call (method, URL without query values, status,
 * duration), the decision lines (done, queued), and no secret in any line.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "gs_gcal.h"
#include "harness.h"

typedef struct {
    char text[1 << 16];
    size_t len;
    int lines;
    int max_level_seen;
} sink;

static void collect(void *userdata, int32_t level, const char *line) {
    sink *s = userdata;
    int n = snprintf(s->text + s->len, sizeof s->text - s->len, "%d %s\n", (int)level, line);
    if (n > 0 && (size_t)n < sizeof s->text - s->len)
        s->len += (size_t)n;
    s->lines++;
    if (level > s->max_level_seen)
        s->max_level_seen = level;
    printf("log: %d %s\n", (int)level, line); /* the runner greps this for secrets */
}

static void reset(sink *s) {
    s->text[0] = '\0';
    s->len = 0;
    s->lines = 0;
    s->max_level_seen = 0;
}

static sink global_sink, handle_sink;
static char secrets[1 << 16];

/* No secret the emulator issued appears in what was logged. */
static int has_secret(const sink *s) {
    arena a = {0};
    const json *list = h_json_at(h_json_parse(&a, secrets), "secrets"), *one;
    int found = 0;
    if (list == NULL || list->type != JSON_ARRAY) {
        found = 1;
        goto out;
    }
    for (one = list->child; one != NULL && !found; one = one->next) {
        size_t n = one->type == JSON_STRING ? strlen(one->text) : 0;
        if (n >= 8 && n < 4096 && strstr(s->text, one->text) != NULL)
            found = 1;
    }
out:
    arena_free(&a);
    return found;
}

int main(void) {
    emulator emu;
    gs_gcal *h = NULL;
    char dir[512], event_id[GS_GCAL_EVENT_ID_SIZE];
    gs_gcal_person invitees[1] = {{"1001", "john.doe@mycompanyabc.com", 0}};
    gs_gcal_meeting m;

    h_emulator(&emu);
    CHECK(h_control(&emu, "POST", "/control/reset", "", NULL, 0) == 200);

    /* Process-wide callback at INFO: authorization and a push. */
    EXPECT_RC(NULL, gs_gcal_set_log_callback(NULL, GS_GCAL_LOG_INFO, collect, &global_sink), GS_GCAL_OK);
    h = h_open_authorized(&emu, dir, sizeof dir);
    if (h == NULL)
        goto cleanup;
    CHECK(strstr(global_sink.text, "3 google: POST ") != NULL);
    CHECK(strstr(global_sink.text, "/token -> 200 (") != NULL);

    memset(&m, 0, sizeof m);
    m.struct_size = sizeof m;
    m.meeting_id = "log-1";
    m.subject = "Logged meeting";
    m.start = "2031-04-29T10:00";
    m.end = "11:00";
    m.time_zone = "Etc/GMT-1";
    m.host.name = "1000";
    m.invitees = invitees;
    m.invitee_count = 1;
    reset(&global_sink);
    EXPECT_RC(h, h_push(h, &m, event_id, NULL, 0, NULL), GS_GCAL_OK);
    /* One line per call: method, URL with query names only, status, time. */
    CHECK(strstr(global_sink.text, "3 google: POST https://127.0.0.1:") != NULL);
    CHECK(strstr(global_sink.text, "/calendar/v3/calendars/primary/events?sendUpdates=\xe2\x80\xa6 -> 200 (") != NULL);
    CHECK(strstr(global_sink.text, "sendUpdates=all") == NULL);
    CHECK(strstr(global_sink.text, "3 push log-1: done, event ") != NULL);
    CHECK(strstr(global_sink.text, event_id) != NULL);
    CHECK(global_sink.max_level_seen == GS_GCAL_LOG_INFO);

    /* A callback of the handle's own wins; WARN filters out the INFO lines. */
    reset(&global_sink);
    EXPECT_RC(h, gs_gcal_set_log_callback(h, GS_GCAL_LOG_WARN, collect, &handle_sink), GS_GCAL_OK);
    m.subject = "Logged meeting, edited";
    EXPECT_RC(h, h_push(h, &m, NULL, NULL, 0, NULL), GS_GCAL_OK);
    CHECK(handle_sink.lines == 0);
    CHECK(global_sink.lines == 0);

    /* A failure that is queued: the call line with Google's reason and
       Retry-After, then the decision (WARN) with the reason. */
    EXPECT_RC(h, gs_gcal_set_log_callback(h, GS_GCAL_LOG_INFO, collect, &handle_sink), GS_GCAL_OK);
    POST_OK(&emu, "/control/fault",
            "{\"match\":{\"path_prefix\":\"/calendar/v3/\"},\"count\":1,\"fault\":"
            "{\"kind\":\"rate_limit\",\"code\":429,\"reason\":\"rateLimitExceeded\",\"retry_after\":\"7\"}}");
    m.subject = "Logged meeting, queued";
    EXPECT_RC(h, h_push(h, &m, NULL, NULL, 0, NULL), GS_GCAL_QUEUED);
    CHECK(strstr(handle_sink.text, " -> 429 rateLimitExceeded, Retry-After 7 s (") != NULL);
    CHECK(strstr(handle_sink.text, "2 push log-1: queued, next attempt in 7 s: ") != NULL);
    CHECK(handle_sink.max_level_seen == GS_GCAL_LOG_INFO);
    CHECK(global_sink.lines == 0);

    /* NULL puts the handle back on the process-wide callback. */
    EXPECT_RC(h, gs_gcal_set_log_callback(h, GS_GCAL_LOG_DEBUG, NULL, NULL), GS_GCAL_OK);
    reset(&handle_sink);
    {
        size_t sent = 0, remaining = 0;
        EXPECT_RC(h, gs_gcal_retry_now(h), GS_GCAL_OK);
        EXPECT_RC(h, gs_gcal_sync(h, 10000, &sent, &remaining), GS_GCAL_OK);
        CHECK(sent == 1 && remaining == 0);
    }
    CHECK(handle_sink.lines == 0);
    CHECK(strstr(global_sink.text, "3 sync: push log-1: sent, ") != NULL);

    /* Level 0 turns the process-wide callback off. */
    reset(&global_sink);
    EXPECT_RC(NULL, gs_gcal_set_log_callback(NULL, 0, collect, &global_sink), GS_GCAL_OK);
    EXPECT_RC(h, h_push(h, &m, NULL, NULL, 0, NULL), GS_GCAL_OK);
    CHECK(global_sink.lines == 0);

    /* The runner's file sink gets lines again once reinstalled. */
    h_log_to_file();
    EXPECT_RC(h, h_push(h, &m, NULL, NULL, 0, NULL), GS_GCAL_OK);

    /* Nothing logged so far carries a secret the emulator issued. */
    CHECK(h_control(&emu, "GET", "/control/secrets", NULL, secrets, sizeof secrets) == 200);
    {
        arena a = {0};
        const json *first = h_json_at(h_json_parse(&a, secrets), "secrets[0]");
        CHECK(first != NULL && first->type == JSON_STRING);
        arena_free(&a);
    }
    CHECK(!has_secret(&global_sink));
    CHECK(!has_secret(&handle_sink));

cleanup:
    gs_gcal_close(h);
    h_rmdir(dir);
    return h_finish("test_log");
}
