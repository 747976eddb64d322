/*
 * Fault injection, the proof of "never lose a meeting": every fault the
 * emulator can play, against create, edit and cancel. For each: no crash,
 * no call over its bound, the answer is done or queued (or a named error
 * for what retrying cannot fix), and once the fault clears and
 * gs_gcal_sync runs, Google holds exactly one event per meeting with its
 * latest content and the outbox is empty. Also bad TLS, a refused port,
 * a CONNECT proxy (auth, refusal, death mid-tunnel), the status answering
 * while another thread is stuck in a call, and the outbox surviving a
 * restart.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gs_gcal.h"
#include "harness.h"

static emulator emu;
static char line_copy[8192];
static char buf[1 << 17];

/* Generous bounds: timeouts of the test handle, and slack for valgrind/qemu. */
#define TIMEOUT_MS "2500"
#define CALL_TIMEOUT_MS "6000"
#define BOUND_MS (6000 + 4000)

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static const char *startup(const char *key) {
    static char out[8][512];
    static int slot;
    char *o = out[slot++ % 8];
    if (h_json_string(line_copy, key, o, 512) != 0)
        o[0] = '\0';
    return o;
}

static void meeting(gs_gcal_meeting *m, const char *id, const char *subject) {
    memset(m, 0, sizeof *m);
    m->struct_size = sizeof *m;
    m->meeting_id = id;
    m->subject = subject;
    m->start = "2024-09-02T10:00";
    m->end = "11:00";
    m->time_zone = "Europe/Berlin";
}

struct want {
    const char *subject;
    int n;
};

static void count_confirmed(const json *ev, void *ctx) {
    struct want *w = ctx;
    if (h_json_str_is(ev, "status", "confirmed") && json_get(ev, "recurringEventId") == NULL &&
        (w->subject == NULL || h_json_str_is(ev, "summary", w->subject)))
        w->n++;
}

/* How many stored events (not exceptions) of a meeting are confirmed (and
   carry the summary `subject` when given). */
static int confirmed_with(const char *meeting_id, const char *subject) {
    struct want w = {subject, 0};
    if (h_control(&emu, "GET", "/control/events", NULL, buf, sizeof buf) != 200)
        return -1;
    if (h_each_event(buf, meeting_id, count_confirmed, &w) < 0)
        return -1;
    return w.n;
}

static void fault(const char *json) {
    char body[1024];
    snprintf(body, sizeof body,
             "{\"match\":{\"path_prefix\":\"/calendar/v3/\"},\"count\":1,\"fault\":%s}", json);
    POST_OK(&emu, "/control/fault", body);
}

/* Drains the outbox after the fault has cleared. */
static size_t drain(gs_gcal *h) {
    size_t left = 99, sent = 0;
    int i;
    POST_OK(&emu, "/control/clear_faults", "");
    for (i = 0; i < 4 && left > 0; i++) {
        EXPECT_RC(h, gs_gcal_retry_now(h), GS_GCAL_OK);
        EXPECT_RC(h, gs_gcal_sync(h, 20000, &sent, &left), GS_GCAL_OK);
    }
    return left;
}

static gs_gcal_result timed(gs_gcal_result rc, long started, const char *what, int line) {
    long took = now_ms() - started;
    h_check(took <= BOUND_MS, what, __FILE__, line);
    if (took > BOUND_MS)
        printf("# %s took %ld ms\n", what, took);
    return rc;
}

static const char *const faults[] = {
    "{\"kind\":\"reset_before\"}",
    "{\"kind\":\"reset_after\"}",
    "{\"kind\":\"reset_mid_response\"}",
    "{\"kind\":\"stall_headers\",\"seconds\":120}",
    "{\"kind\":\"trickle\",\"bytes_per_second\":40}",
    "{\"kind\":\"never_finish\"}",
    "{\"kind\":\"delay_after_apply\",\"seconds\":10}",
    "{\"kind\":\"status\",\"code\":500}",
    "{\"kind\":\"status\",\"code\":502}",
    "{\"kind\":\"status\",\"code\":503,\"apply\":true}",
    "{\"kind\":\"status\",\"code\":504}",
    "{\"kind\":\"rate_limit\",\"code\":429,\"retry_after\":\"1\"}",
    "{\"kind\":\"rate_limit\",\"code\":429,\"retry_after\":\"Wed, 21 Oct 2026 07:28:00 GMT\"}",
    "{\"kind\":\"rate_limit\",\"code\":429}",
    "{\"kind\":\"rate_limit\",\"code\":403,\"reason\":\"rateLimitExceeded\"}",
    "{\"kind\":\"rate_limit\",\"code\":403,\"reason\":\"userRateLimitExceeded\"}",
    "{\"kind\":\"unauthorized\"}",
    "{\"kind\":\"body\",\"status\":200,\"content_type\":\"application/json\",\"text\":\"{\\\"kind\\\":\\\"calendar#ev\"}",
    "{\"kind\":\"body\",\"status\":200,\"content_type\":\"application/json\",\"text\":\"not json\"}",
    "{\"kind\":\"body\",\"status\":200,\"content_type\":\"text/html\",\"text\":\"<html>Sign in</html>\"}",
    "{\"kind\":\"oversized\",\"bytes\":3000000}",
};
#define NFAULTS (sizeof faults / sizeof faults[0])

/* One fault against create, edit and cancel of fresh meetings. */
static void matrix(gs_gcal *h, size_t f) {
    char id[64], subject[64], event_id[GS_GCAL_EVENT_ID_SIZE];
    gs_gcal_meeting m;
    gs_gcal_result rc;
    long t;
    int op;
    for (op = 0; op < 3; op++) {
        snprintf(id, sizeof id, "fault-%zu-%d", f, op);
        meeting(&m, id, "first");
        if (op > 0) /* edit and cancel start from a meeting Google has */
            EXPECT_RC(h, h_push(h, &m, event_id, NULL, 0, NULL), GS_GCAL_OK);
        fault(faults[f]);
        t = now_ms();
        if (op == 2) {
            rc = timed(gs_gcal_cancel_meeting(h, id, NULL, NULL), t, "cancel bounded", __LINE__);
        } else {
            snprintf(subject, sizeof subject, "latest %zu-%d", f, op);
            m.subject = subject;
            rc = timed(h_push(h, &m, event_id, NULL, 0, NULL), t, "push bounded", __LINE__);
        }
        if (rc != GS_GCAL_OK && rc != GS_GCAL_QUEUED) {
            printf("not ok - fault %s op %d returned %d\n", faults[f], op, (int)rc);
            h_failures++;
        }
        CHECK(drain(h) == 0);
        if (op == 2) {
            CHECK(confirmed_with(id, NULL) == 0);
            if (confirmed_with(id, NULL) != 0)
                printf("# fault %s: cancel returned %d, the event is still confirmed\n", faults[f], (int)rc);
        } else {
            CHECK(confirmed_with(id, subject) == 1 && confirmed_with(id, NULL) == 1);
        }
    }
}

static gs_gcal *handle_with(const char *dir_out_note, char *dir, size_t cap) {
    gs_gcal *h;
    (void)dir_out_note;
    h = h_open_authorized(&emu, dir, cap);
    if (h == NULL)
        return NULL;
    EXPECT_RC(h, gs_gcal_set_option(h, "timeout_ms", TIMEOUT_MS), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_set_option(h, "connect_timeout_ms", TIMEOUT_MS), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_set_option(h, "call_timeout_ms", CALL_TIMEOUT_MS), GS_GCAL_OK);
    return h;
}

/* Faults the answer for which is an error, not a queue. */
static void permanent_and_quota(gs_gcal *h) {
    char event_id[GS_GCAL_EVENT_ID_SIZE];
    gs_gcal_meeting m;
    size_t sent = 9, left = 9;
    meeting(&m, "forbidden-1", "x");
    fault("{\"kind\":\"rate_limit\",\"code\":403,\"reason\":\"forbidden\"}");
    EXPECT_RC(h, h_push(h, &m, event_id, NULL, 0, NULL), GS_GCAL_API_FORBIDDEN);
    POST_OK(&emu, "/control/clear_faults", "");
    /* Quota: queued, and all writes pause (status says until when). */
    meeting(&m, "quota-1", "q");
    fault("{\"kind\":\"rate_limit\",\"code\":403,\"reason\":\"quotaExceeded\"}");
    EXPECT_RC(h, h_push(h, &m, event_id, NULL, 0, NULL), GS_GCAL_QUEUED);
    EXPECT_RC(h, gs_gcal_sync(h, 5000, &sent, &left), GS_GCAL_OK);
    CHECK(gs_gcal_status_json(h, buf, sizeof buf, NULL) == GS_GCAL_OK);
    /* The direct push gave the quota class; sync keeps it waiting. */
    CHECK(h_text_int_is(buf, "health.outbox_depth", 1));
}

/* The Calendar API not enabled in the client's project: queued with the
   admin's action and kept until it is enabled, then sent. */
static void api_not_enabled(gs_gcal *h) {
    char event_id[GS_GCAL_EVENT_ID_SIZE];
    gs_gcal_meeting m;
    POST_OK(&emu, "/control/api_disabled", "{\"on\":true}");
    meeting(&m, "noapi-1", "api off");
    EXPECT_RC(h, h_push(h, &m, event_id, NULL, 0, NULL), GS_GCAL_QUEUED);
    CHECK(gs_gcal_last_error(h, buf, GS_GCAL_ERROR_SIZE) == GS_GCAL_OK &&
          strstr(buf, "Calendar API not enabled in the OAuth client's Cloud project 123456789012") &&
          strstr(buf, "Sync now") != NULL);
    CHECK(drain(h) == 1); /* still off: it waits */
    POST_OK(&emu, "/control/api_disabled", "{\"on\":false}");
    CHECK(drain(h) == 0);
    CHECK(confirmed_with("noapi-1", "api off") == 1);
}

/* Bad TLS and a closed port: queued, never a crash; fixed, it drains. */
static void tls_and_refused(gs_gcal *h) {
    static const char *const keys[] = {"tls_untrusted_base", "tls_wrong_host_base",
                                       "tls_expired_base", "refused_base"};
    char base[600], id[64], event_id[GS_GCAL_EVENT_ID_SIZE];
    gs_gcal_meeting m;
    size_t i;
    for (i = 0; i < 4; i++) {
        snprintf(base, sizeof base, "%s/calendar/v3", startup(keys[i]));
        snprintf(id, sizeof id, "badtls-%zu", i);
        EXPECT_RC(h, gs_gcal_set_option(h, "calendar_api_base", base), GS_GCAL_OK);
        meeting(&m, id, "tls");
        EXPECT_RC(h, h_push(h, &m, event_id, NULL, 0, NULL), GS_GCAL_QUEUED);
        CHECK(gs_gcal_last_error(h, buf, GS_GCAL_ERROR_SIZE) == GS_GCAL_OK && buf[0] != '\0');
    }
    EXPECT_RC(h, gs_gcal_set_option(h, "calendar_api_base", emu.calendar_api_base), GS_GCAL_OK);
    CHECK(drain(h) == 0);
    for (i = 0; i < 4; i++) {
        snprintf(id, sizeof id, "badtls-%zu", i);
        CHECK(confirmed_with(id, "tls") == 1);
    }
}

static void proxy(gs_gcal *h) {
    char url[600], event_id[GS_GCAL_EVENT_ID_SIZE];
    const char *p = startup("proxy");
    gs_gcal_meeting m;
    long tunnels = h_counter(&emu, "proxy.tunnel");
    /* Authenticated proxy: the requests go through it. */
    POST_OK(&emu, "/control/proxy", "{\"auth\":true,\"refuse\":false,\"die_mid_tunnel\":false}");
    snprintf(url, sizeof url, "http://%s:%s@%s", startup("proxy_user"), startup("proxy_password"),
             p + strlen("http://"));
    EXPECT_RC(h, gs_gcal_set_option(h, "proxy", url), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_set_option(h, "proxy", "socks5://nope:1"), GS_GCAL_INVALID_OPTION_VALUE);
    /* Plain http to a proxy on the network: its password would travel in clear. */
    EXPECT_RC(h, gs_gcal_set_option(h, "proxy", "http://u:p@proxy.example.com:3128"), GS_GCAL_INSECURE_URL);
    EXPECT_RC(h, gs_gcal_set_option(h, "proxy", "http://10.0.0.1:3128"), GS_GCAL_INSECURE_URL);
    meeting(&m, "proxied-1", "via proxy");
    EXPECT_RC(h, h_push(h, &m, event_id, NULL, 0, NULL), GS_GCAL_OK);
    CHECK(h_counter(&emu, "proxy.tunnel") > tunnels);
    /* Without the password: 407 → queued. */
    EXPECT_RC(h, gs_gcal_set_option(h, "proxy", p), GS_GCAL_OK);
    meeting(&m, "proxied-2", "no auth");
    EXPECT_RC(h, h_push(h, &m, event_id, NULL, 0, NULL), GS_GCAL_QUEUED);
    /* A refusing proxy, and one that dies mid-tunnel: queued. */
    EXPECT_RC(h, gs_gcal_set_option(h, "proxy", url), GS_GCAL_OK);
    POST_OK(&emu, "/control/proxy", "{\"refuse\":true}");
    meeting(&m, "proxied-3", "refused");
    EXPECT_RC(h, h_push(h, &m, event_id, NULL, 0, NULL), GS_GCAL_QUEUED);
    POST_OK(&emu, "/control/proxy", "{\"refuse\":false,\"die_mid_tunnel\":true}");
    meeting(&m, "proxied-4", "died");
    {
        gs_gcal_result rc = h_push(h, &m, event_id, NULL, 0, NULL);
        CHECK(rc == GS_GCAL_QUEUED || rc == GS_GCAL_OK);
    }
    /* no_proxy bypasses it; the proxy fixed, everything drains. */
    POST_OK(&emu, "/control/proxy", "{\"die_mid_tunnel\":false}");
    EXPECT_RC(h, gs_gcal_set_option(h, "no_proxy", "127.0.0.1"), GS_GCAL_OK);
    CHECK(drain(h) == 0);
    CHECK(confirmed_with("proxied-2", "no auth") == 1);
    CHECK(confirmed_with("proxied-3", "refused") == 1);
    CHECK(confirmed_with("proxied-4", "died") == 1);
    EXPECT_RC(h, gs_gcal_set_option(h, "proxy", ""), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_set_option(h, "no_proxy", ""), GS_GCAL_OK);
}

/* A thread stuck in a stalled call does not block the status page. */
static gs_gcal *stuck_handle;
static volatile int stuck_started, stuck_done;
static void *stuck(void *arg) {
    gs_gcal_meeting m;
    char event_id[GS_GCAL_EVENT_ID_SIZE];
    (void)arg;
    meeting(&m, "stuck-1", "stuck");
    __atomic_store_n(&stuck_started, 1, __ATOMIC_SEQ_CST);
    (void)h_push(stuck_handle, &m, event_id, NULL, 0, NULL);
    __atomic_store_n(&stuck_done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void status_while_stuck(gs_gcal *h) {
    pthread_t t;
    char detail[GS_GCAL_ERROR_SIZE];
    stuck_handle = h;
    fault("{\"kind\":\"stall_headers\",\"seconds\":120}");
    if (pthread_create(&t, NULL, stuck, NULL) != 0) {
        CHECK(0);
        return;
    }
    while (!__atomic_load_n(&stuck_started, __ATOMIC_SEQ_CST))
        sched_yield();
    EXPECT_RC(h, gs_gcal_status_json(h, buf, sizeof buf, NULL), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_last_error(h, detail, sizeof detail), GS_GCAL_OK);
    CHECK(!__atomic_load_n(&stuck_done, __ATOMIC_SEQ_CST));
    pthread_join(t, NULL);
    CHECK(drain(h) == 0);
    CHECK(confirmed_with("stuck-1", "stuck") == 1);
}

/* Queued operations survive the process: a child queues and exits; the
   parent opens the same directory and sends them. */
static void survives_restart(const char *dir) {
    pid_t child;
    int status = 0;
    fflush(stdout);
    child = fork();
    if (child == 0) {
        gs_gcal *h = NULL;
        gs_gcal_meeting m;
        char event_id[GS_GCAL_EVENT_ID_SIZE];
        int ok = gs_gcal_open(dir, &h) == GS_GCAL_OK;
        if (ok) {
            h_use_emulator(h, &emu);
            ok = gs_gcal_set_option(h, "calendar_api_base", startup("refused_base")) == GS_GCAL_OK;
            meeting(&m, "restart-q", "queued before the reboot");
            ok = ok && h_push(h, &m, event_id, NULL, 0, NULL) == GS_GCAL_QUEUED;
        }
        gs_gcal_close(h);
        fflush(stdout);
        _exit(ok ? 0 : 1);
    }
    CHECK(child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) &&
          WEXITSTATUS(status) == 0);
    {
        gs_gcal *h = NULL;
        size_t sent = 0, left = 9;
        EXPECT_RC(NULL, gs_gcal_open(dir, &h), GS_GCAL_OK);
        if (h == NULL)
            return;
        h_use_emulator(h, &emu);
        CHECK(gs_gcal_status_json(h, buf, sizeof buf, NULL) == GS_GCAL_OK &&
              h_text_int_is(buf, "health.outbox_depth", 1));
        EXPECT_RC(h, gs_gcal_retry_now(h), GS_GCAL_OK);
        EXPECT_RC(h, gs_gcal_sync(h, 20000, &sent, &left), GS_GCAL_OK);
        CHECK(sent == 1 && left == 0);
        CHECK(confirmed_with("restart-q", "queued before the reboot") == 1);
        gs_gcal_close(h);
    }
}

int main(void) {
    char dir[512] = "", dir2[512] = "";
    gs_gcal *h = NULL;
    size_t f;
    const char *line = getenv("GS_GCAL_EMULATOR");

    h_emulator(&emu);
    snprintf(line_copy, sizeof line_copy, "%s", line ? line : "");
    POST_OK(&emu, "/control/reset", "");
    h = handle_with("", dir, sizeof dir);
    if (h == NULL)
        goto cleanup;
    for (f = 0; f < NFAULTS; f++)
        matrix(h, f);
    tls_and_refused(h);
    proxy(h);
    status_while_stuck(h);
    api_not_enabled(h);
    permanent_and_quota(h);
    gs_gcal_close(h);
    h = NULL;
    h_rmdir(dir);
    dir[0] = '\0';

    /* A second directory for the restart check. */
    POST_OK(&emu, "/control/reset", "");
    h = handle_with("", dir2, sizeof dir2);
    if (h != NULL) {
        gs_gcal_close(h); /* authorized state on disk; the child reuses it */
        h = NULL;
        survives_restart(dir2);
    }
    printf("test_faults: matrix of %zu faults x 3 operations\n", (size_t)NFAULTS);

cleanup:
    gs_gcal_close(h);
    if (dir[0])
        h_rmdir(dir);
    if (dir2[0])
        h_rmdir(dir2);
    return h_finish("test_faults");
}
