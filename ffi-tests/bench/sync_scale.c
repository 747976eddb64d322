/*
 * sync_scale: the outbox's scaling row of `make bench`. Queues N meetings
 * while Google is unreachable (the Calendar API base points at a closed
 * loopback port), then points back at the emulator, clears backoffs
 * (gs_gcal_retry_now) and drains the outbox with gs_gcal_sync.
 *
 *   sync_scale STATE_DIR TOKEN_URL CALENDAR_API_BASE CA_FILE PREFIX N DEAD_API_BASE
 *
 * Prints "key value" lines: queue and drain wall times, the slowest queued
 * push, journal and state-file sizes; with -DGS_BENCH the phases "queue"
 * and "drain" are callgrind dumps (bench_common.h).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bench_common.h"
#include "gs_gcal.h"
#include "seed_meeting.h"

struct args {
    char **argv;
};

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long file_size(const char *dir, const char *name) {
    char path[1024];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

static int fail(gs_gcal *h, gs_gcal_result rc, const char *what) {
    char detail[GS_GCAL_ERROR_SIZE] = "";
    if (h != NULL && gs_gcal_last_error(h, detail, sizeof detail) != GS_GCAL_OK)
        detail[0] = '\0';
    fprintf(stderr, "sync_scale: %s: %s (%d) %s\n", what, gs_gcal_strerror(rc), (int)rc, detail);
    return 1;
}

static gs_gcal_result push(gs_gcal *h, const char *prefix, int i) {
    char id[300];
    size_t skipped[4];
    gs_gcal_meeting m;
    gs_gcal_push_result out;
    snprintf(id, sizeof id, "%s-%04d", prefix, i);
    seed_meeting(&m, id);
    memset(&out, 0, sizeof out);
    out.struct_size = sizeof out;
    return gs_gcal_push_meeting(h, &m, &out, skipped, 4);
}

static int body(void *p) {
    char **argv = ((struct args *)p)->argv;
    const char *dir = argv[1], *prefix = argv[5];
    int n = atoi(argv[6]), i, rounds = 0;
    gs_gcal *h = NULL;
    gs_gcal_result rc;
    double t0, t, slowest = 0, queue_s, drain_s;
    size_t sent = 0, total = 0, remaining = 1;

    if ((rc = gs_gcal_open(dir, &h)) != GS_GCAL_OK)
        return fail(NULL, rc, "open");
    if ((rc = gs_gcal_set_option(h, "token_endpoint", argv[2])) != GS_GCAL_OK ||
        (rc = gs_gcal_set_option(h, "ca_file", argv[4])) != GS_GCAL_OK ||
        (rc = gs_gcal_set_option(h, "calendar_api_base", argv[7])) != GS_GCAL_OK ||
        /* One gs_gcal_sync call may drain 1000 under callgrind (~50x slower). */
        (rc = gs_gcal_set_option(h, "call_timeout_ms", "600000")) != GS_GCAL_OK)
        return fail(h, rc, "set_option");
    bench_phase("setup");
    t0 = now_s();
    for (i = 1; i <= n; i++) {
        t = now_s();
        rc = push(h, prefix, i);
        t = now_s() - t;
        if (t > slowest)
            slowest = t;
        if (rc != GS_GCAL_QUEUED)
            return fail(h, rc, "push while Google is unreachable (expected QUEUED)");
    }
    queue_s = now_s() - t0;
    bench_phase("queue");
    printf("queued %d\nqueue_wall_s %.6f\nslowest_queue_push_s %.6f\n", n, queue_s, slowest);
    printf("journal_bytes %ld\nstate_bytes_queued %ld\n", file_size(dir, "gs_gcal.outbox.jsonl"),
           file_size(dir, "gs_gcal.state.json"));
    if ((rc = gs_gcal_set_option(h, "calendar_api_base", argv[3])) != GS_GCAL_OK ||
        (rc = gs_gcal_retry_now(h)) != GS_GCAL_OK)
        return fail(h, rc, "back online");
    bench_phase("switch");
    t0 = now_s();
    while (remaining > 0 && rounds++ < 10) {
        if ((rc = gs_gcal_sync(h, 600000, &sent, &remaining)) != GS_GCAL_OK)
            return fail(h, rc, "sync");
        total += sent;
        if (sent == 0 && remaining > 0 && gs_gcal_retry_now(h) != GS_GCAL_OK)
            break;
    }
    drain_s = now_s() - t0;
    bench_phase("drain");
    printf("sent %zu\nremaining %zu\ndrain_wall_s %.6f\n", total, remaining, drain_s);
    printf("journal_bytes_drained %ld\nstate_bytes_drained %ld\n",
           file_size(dir, "gs_gcal.outbox.jsonl"), file_size(dir, "gs_gcal.state.json"));
    if (remaining != 0 || total != (size_t)n) {
        static char status[1 << 16];
        if (gs_gcal_status_json(h, status, sizeof status, NULL) == GS_GCAL_OK)
            fprintf(stderr, "sync_scale: status after draining: %s\n", status);
        fail(h, GS_GCAL_OK, "outbox not drained");
        gs_gcal_close(h);
        return 1;
    }
    gs_gcal_close(h);
    return 0;
}

int main(int argc, char **argv) {
    struct args a = {argv};
    if (argc != 8) {
        fprintf(stderr, "usage: sync_scale STATE_DIR TOKEN_URL CALENDAR_API_BASE CA_FILE PREFIX N "
                        "DEAD_API_BASE\n");
        return 2;
    }
    bench_phase("start");
#ifdef GS_BENCH
    return bench_run(body, &a);
#else
    return body(&a);
#endif
}
