/*
 * The read side is bounded per call (issue 17): the emulator serves
 * events.list as 40 pages of ~1 MiB each linked by nextPageToken
 * (/control/huge_pages). gs_gcal_list_events and gs_gcal_sync_events,
 * each in a forked child, must end with an answer (OK with "truncated":
 * true, or a specific error code, never a crash or a hang) and the
 * child's peak RSS must stay under the baseline + 32 MiB (the library
 * states a cap of about 8 MiB of response bodies per call). Under
 * valgrind/qemu (GS_GCAL_NO_PTRACE=1) the RSS bound is not checked.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "durable.h"
#include "gs_gcal.h"
#include "harness.h"

#define CAP_KB (32L * 1024) /* the stated ~8 MiB of bodies, with room for parsing */
#define PAGES 40
#define PAD (1000 * 1024) /* pages just under the library's 1 MiB per response */

#ifdef __SANITIZE_ADDRESS__
#define RSS_MEANINGFUL 0 /* ASan's quarantine keeps 256 MiB of freed memory */
#else
#define RSS_MEANINGFUL 1
#endif

static emulator emu;
static char *authorized_state;
static size_t authorized_len;
static char out[1 << 20];

static gs_gcal *open_fresh(char *dir, size_t cap) {
    gs_gcal *h = NULL;
    h_tempdir(dir, cap);
    if (d_spit(dir, D_STATE, authorized_state, authorized_len) != 0 ||
        gs_gcal_open(dir, &h) != GS_GCAL_OK)
        return NULL;
    h_use_emulator(h, &emu);
    EXPECT_RC(h, gs_gcal_set_option(h, "timeout_ms", "60000"), GS_GCAL_OK);
    return h;
}

/* In the child: one call; exit 0 when its answer is acceptable. */
static void one_call(int which) {
    char dir[512];
    size_t needed = 0;
    gs_gcal_result rc;
    gs_gcal *h = open_fresh(dir, sizeof dir);
    if (h == NULL)
        _exit(3);
    if (which == 0)
        rc = gs_gcal_list_events(h, NULL, "2024-06-01T00:00:00Z", "2024-07-01T00:00:00Z", out,
                                 sizeof out, &needed);
    else
        rc = gs_gcal_sync_events(h, out, sizeof out, &needed);
    if (rc == GS_GCAL_OK) {
        arena a = {0};
        /* list_events: {"truncated":true,...}; sync_events: per calendar */
        const json *doc = h_json_parse(&a, out);
        int truncated = h_json_bool_is(doc, which == 0 ? "truncated" : "calendars[0].truncated", 1);
        arena_free(&a);
        if (!truncated) {
            printf("not ok - %s: %d pages of 1 MiB answered OK without \"truncated\":true "
                   "(%zu bytes)\n", which ? "sync_events" : "list_events", PAGES, strlen(out));
            h_failures++;
        }
    } else if (rc == GS_GCAL_INTERNAL || rc == GS_GCAL_BUFFER_TOO_SMALL) {
        printf("not ok - %s returned %d (%s)\n", which ? "sync_events" : "list_events", (int)rc,
               gs_gcal_strerror(rc));
        h_failures++;
    } else {
        printf("# %s: %d (%s)\n", which ? "sync_events" : "list_events", (int)rc,
               gs_gcal_strerror(rc));
    }
    h_checks++;
    gs_gcal_close(h);
    h_rmdir(dir);
    fflush(stdout);
    _exit(h_failures ? 1 : 0);
}

static void baseline_call(void) {
    char dir[512];
    gs_gcal *h = open_fresh(dir, sizeof dir);
    gs_gcal_close(h);
    h_rmdir(dir);
    _exit(h == NULL ? 3 : 0);
}

static long run(int which, int *status) {
    pid_t pid;
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        alarm(d_emulated() ? 600 : 120);
        if (which < 0)
            baseline_call();
        one_call(which);
    }
    return d_child_maxrss(pid, status);
}

int main(void) {
    char dir[512], body[128];
    gs_gcal *h;
    long base, rss;
    int status = 0, which;
    h_emulator(&emu);
    POST_OK(&emu, "/control/reset", "");
    h = h_open_authorized(&emu, dir, sizeof dir);
    if (h == NULL)
        return h_finish("test_paging");
    gs_gcal_close(h);
    authorized_state = d_slurp(dir, D_STATE, &authorized_len);
    h_rmdir(dir);
    CHECK(authorized_state != NULL);
    if (authorized_state == NULL)
        return h_finish("test_paging");

    base = run(-1, &status);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    snprintf(body, sizeof body, "{\"pages\":%d,\"pad_bytes\":%d}", PAGES, PAD);
    POST_OK(&emu, "/control/huge_pages", body);
    for (which = 0; which < 2; which++) {
        const char *name = which ? "gs_gcal_sync_events" : "gs_gcal_list_events";
        rss = run(which, &status);
        h_checks++;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            printf("not ok - %s on %d pages of 1 MiB: %s\n", name, PAGES,
                   WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "see above");
            h_failures++;
        }
        printf("# %s: peak RSS %ld KiB (baseline %ld KiB)\n", name, rss, base);
        if (!d_emulated() && RSS_MEANINGFUL) {
            h_checks++;
            if (rss > base + CAP_KB) {
                printf("not ok - %s on %d pages of 1 MiB: peak RSS %ld KiB, over the baseline "
                       "%ld KiB + %ld KiB\n", name, PAGES, rss, base, CAP_KB);
                h_failures++;
            }
        }
    }
    if (d_emulated() || !RSS_MEANINGFUL)
        printf("SKIP: peak RSS bound (not measurable under valgrind/qemu/ASan)\n");
    POST_OK(&emu, "/control/huge_pages", "{\"pages\":0}");
    free(authorized_state);
    return h_finish("test_paging");
}
