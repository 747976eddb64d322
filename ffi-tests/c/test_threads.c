/*
 * One handle shared by several threads (the PBX's web server, scheduler
 * and status page): calls are serialized inside the library, every push
 * lands once, and status/last-error queries run alongside; meanwhile two
 * more handles (tenants) are used from their own threads.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gs_gcal.h"
#include "harness.h"

#define PUSHERS 8
/* Rounds per thread: GS_GCAL_THREAD_ROUNDS (make ctest-tsan runs 40). */
static int ROUNDS = 5;

static gs_gcal *shared;
static int push_failures, status_failures;
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;

static void *pusher(void *arg) {
    int n = *(const int *)arg, r;
    char id[32], subject[64], event_id[GS_GCAL_EVENT_ID_SIZE];
    gs_gcal_meeting m;
    snprintf(id, sizeof id, "thread-%d", n);
    for (r = 0; r < ROUNDS; r++) {
        snprintf(subject, sizeof subject, "Meeting %d round %d", n, r);
        memset(&m, 0, sizeof m);
        m.struct_size = sizeof m;
        m.meeting_id = id;
        m.subject = subject;
        m.start = "2024-05-06T09:00";
        m.end = "09:30";
        m.time_zone = "Europe/Berlin";
        if (h_push(shared, &m, event_id, NULL, 0, NULL) !=
            GS_GCAL_OK) {
            pthread_mutex_lock(&count_lock);
            push_failures++;
            pthread_mutex_unlock(&count_lock);
        }
    }
    return NULL;
}

/* Events of a /control/events dump: how many are calendar#event, and how
   many of those have the summary `summary`. */
struct tally {
    const char *summary;
    int events, with_summary;
};

static void tally_one(const json *ev, void *ctx) {
    struct tally *t = ctx;
    if (!h_json_str_is(ev, "kind", "calendar#event"))
        return;
    t->events++;
    t->with_summary += h_json_str_is(ev, "summary", t->summary);
}

static void *watcher(void *arg) {
    char status[4096], detail[GS_GCAL_ERROR_SIZE];
    int i;
    (void)arg;
    for (i = 0; i < 50; i++) {
        if (gs_gcal_status_json(shared, status, sizeof status, NULL) != GS_GCAL_OK ||
            !h_text_str_is(status, "state", "authorized") ||
            gs_gcal_last_error(shared, detail, sizeof detail) != GS_GCAL_OK) {
            pthread_mutex_lock(&count_lock);
            status_failures++;
            pthread_mutex_unlock(&count_lock);
        }
    }
    return NULL;
}

/* A tenant: its own handle (CloudUCM hosts many), used by its own thread
   at the same time as the shared one. */
struct tenant {
    gs_gcal *h;
    char dir[512];
};

static void *tenant_pusher(void *arg) {
    struct tenant *t = arg;
    char subject[64], event_id[GS_GCAL_EVENT_ID_SIZE];
    gs_gcal_meeting m;
    int r;
    for (r = 0; r < ROUNDS; r++) {
        snprintf(subject, sizeof subject, "Tenant meeting round %d", r);
        memset(&m, 0, sizeof m);
        m.struct_size = sizeof m;
        m.meeting_id = "tenant-1"; /* the same PBX meeting id in both tenants */
        m.subject = subject;
        m.start = "2024-05-07T09:00";
        m.end = "09:30";
        m.time_zone = "Europe/Berlin";
        if (h_push(t->h, &m, event_id, NULL, 0, NULL) != GS_GCAL_OK) {
            pthread_mutex_lock(&count_lock);
            push_failures++;
            pthread_mutex_unlock(&count_lock);
        }
    }
    return NULL;
}

#define TENANTS 2

int main(void) {
    static char events[1 << 17];
    static struct tenant tenants[TENANTS];
    emulator emu;
    char dir[512] = "", counters[1024];
    pthread_t threads[PUSHERS + 1 + TENANTS];
    int ids[PUSHERS], i, started = 0;
    struct tally kinds = {NULL, 0, 0};

    h_emulator(&emu);
    if (getenv("GS_GCAL_THREAD_ROUNDS") != NULL && atoi(getenv("GS_GCAL_THREAD_ROUNDS")) > 0)
        ROUNDS = atoi(getenv("GS_GCAL_THREAD_ROUNDS"));
    CHECK(h_control(&emu, "POST", "/control/reset", "", NULL, 0) == 200);
    shared = h_open_authorized(&emu, dir, sizeof dir);
    if (shared == NULL)
        goto cleanup;
    for (i = 0; i < TENANTS; i++) {
        char instance[16];
        tenants[i].h = h_open_authorized(&emu, tenants[i].dir, sizeof tenants[i].dir);
        if (tenants[i].h == NULL)
            goto cleanup;
        snprintf(instance, sizeof instance, "ucm-%d", i);
        EXPECT_RC(tenants[i].h, gs_gcal_set_option(tenants[i].h, "instance_id", instance), GS_GCAL_OK);
    }

    for (i = 0; i < PUSHERS; i++) {
        ids[i] = i;
        if (pthread_create(&threads[started], NULL, pusher, &ids[i]) == 0)
            started++;
    }
    if (pthread_create(&threads[started], NULL, watcher, NULL) == 0)
        started++;
    for (i = 0; i < TENANTS; i++)
        if (pthread_create(&threads[started], NULL, tenant_pusher, &tenants[i]) == 0)
            started++;
    CHECK(started == PUSHERS + 1 + TENANTS);
    for (i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    CHECK(push_failures == 0);
    CHECK(status_failures == 0);

    /* Each meeting is one event, whatever the interleaving. */
    CHECK(h_control(&emu, "GET", "/control/events", NULL, events, sizeof events) == 200);
    {
        char last[64];
        snprintf(last, sizeof last, "Meeting 7 round %d", ROUNDS - 1);
        kinds.summary = last;
        h_each_event(events, NULL, tally_one, &kinds);
        CHECK(kinds.events == PUSHERS + TENANTS); /* one event per tenant for "tenant-1" */
        CHECK(kinds.with_summary > 0);
    }
    CHECK(h_control(&emu, "GET", "/control/requests", NULL, counters, sizeof counters) == 200);
    /* Each meeting is inserted once; every later round is one PUT. */
    CHECK(h_counter(&emu, "events.insert") == PUSHERS + TENANTS);
    CHECK(h_counter(&emu, "events.update") == (PUSHERS + TENANTS) * (ROUNDS - 1));

cleanup:
    gs_gcal_close(shared);
    h_rmdir(dir);
    for (i = 0; i < TENANTS; i++) {
        gs_gcal_close(tenants[i].h);
        if (tenants[i].dir[0])
            h_rmdir(tenants[i].dir);
    }
    return h_finish("test_threads");
}
