/*
 * Crash safety: a child process pushes and edits meetings (some reach
 * Google, some are queued because the Calendar endpoint is unreachable)
 * while the parent kills it with SIGKILL at random moments. After every
 * kill the state directory opens cleanly; at the end, once the outbox is
 * drained, Google holds exactly one event per meeting, with the last
 * version the child reported as done or queued (or the one in flight when
 * it died) — nothing reported is lost. Rounds: GS_GCAL_CRASH_ROUNDS
 * (default 500; `make soak` runs 10000).
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gs_gcal.h"
#include "harness.h"

#define MEETINGS 5

static emulator emu;
static char refused[512];

/* The child: never returns; reports each finished call on `out`. */
static void child(const char *dir, int round, int out) {
    gs_gcal *h = NULL;
    char subject[64], id[16], line[128], event_id[GS_GCAL_EVENT_ID_SIZE], good[512];
    gs_gcal_meeting m;
    unsigned seed = (unsigned)round * 2654435761u;
    int k;
    if (gs_gcal_open(dir, &h) != GS_GCAL_OK)
        _exit(3);
    h_use_emulator(h, &emu);
    snprintf(good, sizeof good, "%s", emu.calendar_api_base);
    if (gs_gcal_set_option(h, "timeout_ms", "3000") != GS_GCAL_OK)
        _exit(4);
    for (k = 0; k < 1000; k++) {
        gs_gcal_result rc;
        seed = seed * 1103515245u + 12345u;
        /* A third of the time Google is unreachable: the push is queued. */
        if (gs_gcal_set_option(h, "calendar_api_base", (seed >> 16) % 3 == 0 ? refused : good) !=
            GS_GCAL_OK)
            _exit(5);
        snprintf(id, sizeof id, "crash-%d", k % MEETINGS);
        snprintf(subject, sizeof subject, "v%06d-%04d", round, k);
        memset(&m, 0, sizeof m);
        m.struct_size = sizeof m;
        m.meeting_id = id;
        m.subject = subject;
        m.start = "2024-10-07T09:00";
        m.end = "10:00";
        m.time_zone = "Europe/Berlin";
        rc = h_push(h, &m, event_id, NULL, 0, NULL);
        snprintf(line, sizeof line, "%s %s %d\n", id, subject, (int)rc);
        if (write(out, line, strlen(line)) < 0)
            _exit(6);
        if (k % 3 == 2)
            if (gs_gcal_sync(h, 2000, NULL, NULL) != GS_GCAL_OK)
                _exit(7);
    }
    _exit(0);
}

static void summary_of(const json *ev, void *ctx) {
    char *out = ctx;
    const char *s = json_str(ev, "summary");
    if (s != NULL)
        snprintf(out, 16, "%.12s", s);
}

int main(void) {
    char dir[512] = "", last[MEETINGS][32], buf[256];
    static char events[1 << 18];
    const char *env = getenv("GS_GCAL_CRASH_ROUNDS");
    int rounds = env ? atoi(env) : 500, round, i, kills = 0;
    unsigned seed = 12345;
    gs_gcal *h;
    const char *line = getenv("GS_GCAL_EMULATOR");

    h_emulator(&emu);
    if (h_json_string(line, "refused_base", refused, sizeof refused - 16) != 0)
        return 2;
    strcat(refused, "/calendar/v3");
    memset(last, 0, sizeof last);
    h_post(&emu, "/control/reset", "", __FILE__, __LINE__);
    h = h_open_authorized(&emu, dir, sizeof dir);
    if (h == NULL)
        return h_finish("test_crash");
    gs_gcal_close(h);

    for (round = 0; round < rounds; round++) {
        int fds[2], wanted, got = 0;
        pid_t pid;
        FILE *in;
        if (pipe(fds) != 0)
            break;
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
            close(fds[0]);
            child(dir, round, fds[1]);
        }
        close(fds[1]);
        seed = seed * 1103515245u + 12345u;
        wanted = 1 + (int)((seed >> 16) % 6);
        in = fdopen(fds[0], "r");
        while (in != NULL && got < wanted && fgets(buf, sizeof buf, in) != NULL) {
            char id[32], subject[32];
            int rc;
            if (sscanf(buf, "%31s %31s %d", id, subject, &rc) == 3 &&
                (rc == GS_GCAL_OK || rc == GS_GCAL_QUEUED)) {
                i = atoi(id + strlen("crash-"));
                if (i >= 0 && i < MEETINGS)
                    snprintf(last[i], sizeof last[i], "%s", subject);
            } else {
                printf("not ok - round %d: child reported %s", round, buf);
                h_failures++;
            }
            got++;
        }
        kill(pid, SIGKILL); /* mid-call: the child is in its next operation */
        waitpid(pid, NULL, 0);
        if (in != NULL)
            fclose(in);
        kills++;
        /* The state opens cleanly after every kill. */
        h = NULL;
        EXPECT_RC(NULL, gs_gcal_open(dir, &h), GS_GCAL_OK);
        gs_gcal_close(h);
    }

    /* Drain what waits, then check Google against what was reported. */
    h = NULL;
    EXPECT_RC(NULL, gs_gcal_open(dir, &h), GS_GCAL_OK);
    if (h != NULL) {
        size_t left = 1;
        h_use_emulator(h, &emu);
        for (i = 0; i < 5 && left > 0; i++) {
            EXPECT_RC(h, gs_gcal_retry_now(h), GS_GCAL_OK);
            EXPECT_RC(h, gs_gcal_sync(h, 30000, NULL, &left), GS_GCAL_OK);
        }
        CHECK(left == 0);
        gs_gcal_close(h);
    }
    CHECK(h_control(&emu, "GET", "/control/events", NULL, events, sizeof events) == 200);
    for (i = 0; i < MEETINGS; i++) {
        char id[64], stored[16] = "";
        if (last[i][0] == '\0')
            continue;
        snprintf(id, sizeof id, "crash-%d", i);
        CHECK(h_each_event(events, id, summary_of, stored) == 1);
        /* The last reported version, or a later one (the call in flight
           when the child died): the subjects sort by time. */
        h_check(strcmp(stored, last[i]) >= 0, "stored version >= last reported", __FILE__,
                __LINE__);
        if (strcmp(stored, last[i]) < 0)
            printf("# crash-%d: Google has %s, the child reported %s\n", i, stored, last[i]);
    }
    printf("test_crash: %d kills survived\n", kills);
    h_rmdir(dir);
    return h_finish("test_crash");
}
