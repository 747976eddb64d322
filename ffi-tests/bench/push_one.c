/*
 * push_one: the smallest C program that pushes meetings into Google Calendar
 * with gs-gcal, as PBX firmware would: open the state directory (already
 * authorized), point the handle at the endpoints, push COUNT meetings, close.
 *
 *   push_one STATE_DIR TOKEN_URL CALENDAR_API_BASE CA_FILE PREFIX COUNT
 *
 * Meeting i is the demo's seed meeting with meeting id "PREFIX-iiii".
 * Builds (see bench.sh):
 *   default            the footprint program (what `strip` measures)
 *   -DGS_BENCH_NO_LIBRARY  the same program with the library calls stubbed
 *                      out: "program minus library" for the library's share
 *   -DGS_BENCH         phase markers for callgrind, stack painting, RSS
 *   -DGS_BENCH -DGS_BENCH_HEAP  plus the heap counter
 * curl_baseline.c is the same program on libcurl + OpenSSL.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

#ifndef GS_BENCH_NO_LIBRARY
#include "gs_gcal.h"
#else
/* The same program without the library: every call succeeds at once. */
#include <stddef.h>
#include <stdint.h>
typedef struct gs_gcal gs_gcal;
typedef int32_t gs_gcal_result;
#define GS_GCAL_OK 0
#define GS_GCAL_ERROR_SIZE 256
typedef struct gs_gcal_person { const char *name, *email; uint32_t flags; } gs_gcal_person;
typedef struct gs_gcal_meeting {
    uint32_t struct_size;
    const char *meeting_id, *subject, *start, *end, *time_zone, *room, *agenda;
    gs_gcal_person host;
    const gs_gcal_person *invitees;
    size_t invitee_count;
    uint32_t email_reminder_minutes;
    const char *participant_password;
    uint32_t flags, repeat, repeat_interval, repeat_weekdays, repeat_end, repeat_count;
    const char *repeat_until, *occurrence;
} gs_gcal_meeting;
typedef struct gs_gcal_push_result {
    uint32_t struct_size;
    char event_id[64];
    char html_link[512];
    size_t skipped_count;
} gs_gcal_push_result;
static volatile int stub_sink;
static gs_gcal_result gs_gcal_open(const char *d, gs_gcal **h) { stub_sink = d[0]; *h = (gs_gcal *)&stub_sink; return 0; }
static gs_gcal_result gs_gcal_set_option(gs_gcal *h, const char *k, const char *v) { (void)h; stub_sink = k[0] + v[0]; return 0; }
static gs_gcal_result gs_gcal_push_meeting(gs_gcal *h, const gs_gcal_meeting *m, gs_gcal_push_result *o, size_t *s, size_t c) { (void)h; (void)s; (void)c; stub_sink = m->meeting_id[0]; strcpy(o->event_id, "stub"); return 0; }
static gs_gcal_result gs_gcal_set_service_account(gs_gcal *h, const char *k, const char *s) { (void)h; stub_sink = k[0] + s[0]; return 0; }
static gs_gcal_result gs_gcal_last_error(const gs_gcal *h, char *b, size_t n) { (void)h; (void)n; b[0] = 0; return 0; }
static const char *gs_gcal_strerror(gs_gcal_result rc) { return rc ? "error" : "ok"; }
static void gs_gcal_close(gs_gcal *h) { (void)h; }
#endif

#include "seed_meeting.h"

struct args {
    char **argv;
};

static int fail(gs_gcal *h, gs_gcal_result rc, const char *what) {
    char detail[GS_GCAL_ERROR_SIZE] = "";
    if (h != NULL && gs_gcal_last_error(h, detail, sizeof detail) != GS_GCAL_OK)
        detail[0] = '\0';
    fprintf(stderr, "push_one: %s: %s (%d) %s\n", what, gs_gcal_strerror(rc), (int)rc, detail);
    return 1;
}

static gs_gcal_result push(gs_gcal *h, const char *prefix, int i, char *event_id) {
    char id[300];
    size_t skipped[4];
    gs_gcal_meeting m;
    gs_gcal_push_result out;
    gs_gcal_result rc;
    snprintf(id, sizeof id, "%s-%04d", prefix, i);
    seed_meeting(&m, id);
    memset(&out, 0, sizeof out);
    out.struct_size = sizeof out;
    rc = gs_gcal_push_meeting(h, &m, &out, skipped, 4);
    if (rc == GS_GCAL_OK)
        memcpy(event_id, out.event_id, sizeof out.event_id);
    return rc;
}

static int body(void *p) {
    char **argv = ((struct args *)p)->argv;
    const char *dir = argv[1], *prefix = argv[5];
    int count = atoi(argv[6]), i;
    gs_gcal *h = NULL;
    gs_gcal_result rc;
    char event_id[64] = "";

    rc = gs_gcal_open(dir, &h);
    if (rc != GS_GCAL_OK)
        return fail(NULL, rc, "open");
    if ((rc = gs_gcal_set_option(h, "token_endpoint", argv[2])) != GS_GCAL_OK ||
        (rc = gs_gcal_set_option(h, "calendar_api_base", argv[3])) != GS_GCAL_OK ||
        (rc = gs_gcal_set_option(h, "ca_file", argv[4])) != GS_GCAL_OK) {
        fail(h, rc, "set_option");
        gs_gcal_close(h);
        return 1;
    }
    /* Workspace mode (issue 14): GS_BENCH_SA_KEY names the emulator's key
       file; the first push then signs a JWT and fetches the host's token. */
    if (getenv("GS_BENCH_SA_KEY") != NULL) {
        static char key[16384];
        FILE *f = fopen(getenv("GS_BENCH_SA_KEY"), "rb");
        size_t n = f != NULL ? fread(key, 1, sizeof key - 1, f) : 0;
        if (f != NULL)
            fclose(f);
        key[n] = '\0';
        rc = gs_gcal_set_service_account(h, key, "pbx-admin@mycompanyabc.com");
        if (rc != GS_GCAL_OK) {
            fail(h, rc, "set_service_account");
            gs_gcal_close(h);
            return 1;
        }
    }
    bench_phase("setup");
    for (i = 1; i <= count; i++) {
        rc = push(h, prefix, i, event_id);
#ifdef GS_BENCH
        {
            char name[32];
            snprintf(name, sizeof name, "push%d", i);
            bench_phase(name);
        }
#endif
        if (rc != GS_GCAL_OK) {
            fail(h, rc, "push");
            gs_gcal_close(h);
            return 1;
        }
    }
    gs_gcal_close(h);
    bench_phase("close");
    printf("pushed %d, last event %s\n", count, event_id);
    return 0;
}

int main(int argc, char **argv) {
    struct args a = {argv};
    if (argc != 7) {
        fprintf(stderr, "usage: push_one STATE_DIR TOKEN_URL CALENDAR_API_BASE CA_FILE PREFIX COUNT\n");
        return 2;
    }
    bench_phase("start");
#ifdef GS_BENCH
    return bench_run(body, &a);
#else
    return body(&a);
#endif
}
