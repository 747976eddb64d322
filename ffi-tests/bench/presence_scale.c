/*
 * presence_scale: the presence rows of `make bench` (issue 15). Sets a
 * directory of N extensions (ext00000@pbx.example.com ...; bench.py has
 * made their calendars in the emulator with /control/directory and one
 * busy period each), refreshes it with gs_gcal_presence_refresh until every
 * address is answered, then asks gs_gcal_presence_get for a few addresses.
 *
 *   presence_scale STATE_DIR TOKEN_URL CALENDAR_API_BASE CA_FILE N WARMUP
 *
 * WARMUP 1: first refreshes a directory of one address, so the TCP + TLS
 * handshake (and any token refresh) happen before the measured refresh of
 * N, which then runs on the kept-alive connection; WARMUP 0: the measured
 * refresh opens the connection itself (the requests/connections row).
 *
 * Prints "key value" lines (the refresh report, the state of each get);
 * with -DGS_BENCH the phases are callgrind dumps (bench_common.h): "setup",
 * "warmup", "set" (gs_gcal_presence_set of N), "refresh", then around each
 * lone gs_gcal_presence_get call "pre_<name>" and "<name>"; with
 * -DGS_BENCH_HEAP each phase also prints its peak and live heap.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_common.h"
#include "gs_gcal.h"

struct args {
    char **argv;
};

static int fail(gs_gcal *h, gs_gcal_result rc, const char *what) {
    char detail[GS_GCAL_ERROR_SIZE] = "";
    if (h != NULL && gs_gcal_last_error(h, detail, sizeof detail) != GS_GCAL_OK)
        detail[0] = '\0';
    fprintf(stderr, "presence_scale: %s: %s (%d) %s\n", what, gs_gcal_strerror(rc), (int)rc, detail);
    return 1;
}

/* Refreshes until every address is answered; sums the reports. */
static gs_gcal_result refresh_all(gs_gcal *h, gs_gcal_presence_report *sum) {
    gs_gcal_presence_report r;
    gs_gcal_result rc;
    int rounds = 0;
    memset(sum, 0, sizeof *sum);
    do {
        memset(&r, 0, sizeof r);
        r.struct_size = sizeof r;
        if ((rc = gs_gcal_presence_refresh(h, 600000, &r)) != GS_GCAL_OK)
            return rc;
        sum->requests += r.requests;
        sum->refreshed += r.refreshed;
        sum->unknown += r.unknown;
        sum->remaining = r.remaining;
    } while (r.remaining > 0 && ++rounds < 20);
    return GS_GCAL_OK;
}

static const char *state_name(uint32_t s) {
    return s == GS_GCAL_PRESENCE_BUSY ? "busy" : s == GS_GCAL_PRESENCE_FREE ? "free" : "unknown";
}

static int body(void *p) {
    char **argv = ((struct args *)p)->argv;
    const char *dir = argv[1];
    int n = atoi(argv[5]), warmup = atoi(argv[6]), i;
    gs_gcal *h = NULL;
    gs_gcal_result rc;
    gs_gcal_presence_report sum;
    gs_gcal_presence pr;
    char **names;
    const char **list;
    int64_t busy_at = (int64_t)time(NULL) + 5400; /* inside every extension's busy period */
    struct {
        const char *phase;
        int index; /* -1: an address not in the directory */
    } gets[4] = {{"get_first", 0}, {"get_middle", n / 2}, {"get_last", n - 1}, {"get_unlisted", -1}};

    if (n < 1)
        return 2;
    names = calloc((size_t)n, sizeof *names);
    list = calloc((size_t)n, sizeof *list);
    if (names == NULL || list == NULL)
        return 1;
    for (i = 0; i < n; i++) {
        names[i] = malloc(32);
        if (names[i] == NULL)
            return 1;
        snprintf(names[i], 32, "ext%05d@pbx.example.com", i);
        list[i] = names[i];
    }
    if ((rc = gs_gcal_open(dir, &h)) != GS_GCAL_OK)
        return fail(NULL, rc, "open");
    if ((rc = gs_gcal_set_option(h, "token_endpoint", argv[2])) != GS_GCAL_OK ||
        (rc = gs_gcal_set_option(h, "calendar_api_base", argv[3])) != GS_GCAL_OK ||
        (rc = gs_gcal_set_option(h, "ca_file", argv[4])) != GS_GCAL_OK ||
        /* 10,000 addresses under callgrind take a while. */
        (rc = gs_gcal_set_option(h, "call_timeout_ms", "600000")) != GS_GCAL_OK ||
        (rc = gs_gcal_set_option(h, "timeout_ms", "600000")) != GS_GCAL_OK)
        return fail(h, rc, "set_option");
    bench_phase("setup");
    if (warmup) {
        if ((rc = gs_gcal_presence_set(h, list, 1)) != GS_GCAL_OK)
            return fail(h, rc, "presence_set (warm-up)");
        if ((rc = refresh_all(h, &sum)) != GS_GCAL_OK)
            return fail(h, rc, "presence_refresh (warm-up)");
    }
    bench_phase("warmup");
    if ((rc = gs_gcal_presence_set(h, list, (size_t)n)) != GS_GCAL_OK)
        return fail(h, rc, "presence_set");
    bench_phase("set");
    if ((rc = refresh_all(h, &sum)) != GS_GCAL_OK)
        return fail(h, rc, "presence_refresh");
    bench_phase("refresh");
    printf("requests %u\nrefreshed %u\nunknown %u\nremaining %u\n", sum.requests, sum.refreshed, sum.unknown,
           sum.remaining);
    for (i = 0; i < 4; i++) {
        const char *who = gets[i].index >= 0 ? list[gets[i].index] : "nobody@pbx.example.com";
        memset(&pr, 0, sizeof pr);
        pr.struct_size = sizeof pr;
        bench_phase("pre_get");
        rc = gs_gcal_presence_get(h, who, busy_at, &pr);
        bench_phase(gets[i].phase);
        if (rc != GS_GCAL_OK)
            return fail(h, rc, "presence_get");
        printf("%s %s %s\n", gets[i].phase, state_name(pr.state), pr.reason[0] ? pr.reason : "-");
    }
    gs_gcal_close(h);
    bench_phase("close");
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(list);
    return 0;
}

int main(int argc, char **argv) {
    struct args a = {argv};
    if (argc != 7) {
        fprintf(stderr, "usage: presence_scale STATE_DIR TOKEN_URL CALENDAR_API_BASE CA_FILE N WARMUP\n");
        return 2;
    }
    bench_phase("start");
#ifdef GS_BENCH
    return bench_run(body, &a);
#else
    return body(&a);
#endif
}
