/*
 * Misuse of every export, each with the exact result code the header
 * promises: NULL pointers, bad strings, wrong sizes, calls out of order,
 * bad pastes, broken state files. After each failure the handle must still
 * work, outputs must be untouched, and no secret may appear in any text.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gs_gcal.h"
#include "harness.h"

static emulator emu;

/* A pointer no library call may write into *out on error. */
static char sentinel_obj;
#define SENTINEL ((gs_gcal *)(void *)&sentinel_obj)

static const char BAD_UTF8[] = "\xff\xfe";
static const char WRONG_SECRET[] = "GOCSPX-wrong-secret-for-misuse";

/* Everything secret seen during the run: client secrets and pasted codes. */
static char secrets[32][1100];
static int nsecrets;

static void add_secret(const char *s) {
    if (nsecrets < 32 && s[0] != '\0')
        snprintf(secrets[nsecrets++], sizeof secrets[0], "%s", s);
}

/* Checks that no secret occurs in text the library showed. */
static void no_secret_in(const char *text, const char *where) {
    int i, leaked = 0;
    for (i = 0; i < nsecrets; i++) {
        if (strstr(text, secrets[i]) != NULL) {
            printf("# secret \"%s\" appears in %s: %s\n", secrets[i], where, text);
            leaked = 1;
        }
    }
    CHECK(!leaked);
}

/* The detail of a failure: non-empty, fits GS_GCAL_ERROR_SIZE, no secret. */
static void check_detail(gs_gcal *h) {
    char buf[1024];
    memset(buf, 'X', sizeof buf);
    EXPECT_RC(h, gs_gcal_last_error(h, buf, sizeof buf), GS_GCAL_OK);
    CHECK(memchr(buf, '\0', sizeof buf) != NULL);
    buf[sizeof buf - 1] = '\0';
    CHECK(strlen(buf) > 0 && strlen(buf) < GS_GCAL_ERROR_SIZE);
    no_secret_in(buf, "gs_gcal_last_error");
}

/* The raw value of ?key= or &key= in a URL. */
static int query_param(const char *url, const char *key, char *out, size_t cap) {
    size_t klen = strlen(key), n;
    const char *p = strchr(url, '?');
    while (p != NULL) {
        p++;
        if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
            p += klen + 1;
            n = strcspn(p, "&#");
            if (n >= cap)
                return -1;
            memcpy(out, p, n);
            out[n] = '\0';
            return 0;
        }
        p = strchr(p, '&');
    }
    return -1;
}

static void percent_decode(const char *in, char *out, size_t cap) {
    size_t n = 0;
    unsigned v;
    while (*in != '\0' && n + 1 < cap) {
        if (in[0] == '%' && isxdigit((unsigned char)in[1]) && isxdigit((unsigned char)in[2]) &&
            sscanf(in + 1, "%2x", &v) == 1) {
            out[n++] = (char)v;
            in += 3;
        } else {
            out[n++] = *in++;
        }
    }
    out[n] = '\0';
}

/* The admin's round trip: a fresh link, the consent page's decision, and
   the redirect URL the browser shows. Its code becomes a secret. */
static int consent_round(gs_gcal *h, const char *decision, char *redirect, size_t cap) {
    char url[2048], code[1100], plain[1100];
    int rc;
    redirect[0] = '\0';
    EXPECT_RC(h, gs_gcal_auth_url(h, url, sizeof url, NULL), GS_GCAL_OK);
    rc = h_consent(&emu, url, decision, redirect, cap);
    CHECK(rc == 0);
    if (rc == 0 && query_param(redirect, "code", code, sizeof code) == 0) {
        percent_decode(code, plain, sizeof plain);
        add_secret(code);
        add_secret(plain);
    }
    return rc;
}

/* One counter of the emulator's /control/requests (0 when absent). */
static int all_x(const char *buf, size_t n) {
    size_t i;
    for (i = 0; i < n; i++)
        if (buf[i] != 'X')
            return 0;
    return 1;
}

static gs_gcal_person invitees[2] = {
    {"1001", "john.doe@mycompanyabc.com", 0},
    {"1002", NULL, 0},
};

static void base_meeting(gs_gcal_meeting *m) {
    memset(m, 0, sizeof *m);
    m->struct_size = sizeof *m;
    m->meeting_id = "misuse-0001";
    m->subject = "Misuse review";
    m->start = "2024-04-29T10:00";
    m->end = "11:00";
    m->time_zone = "Etc/GMT-1";
    m->room = "6300";
    m->host.name = "1000";
    m->host.email = "host1000@mycompanyabc.com";
    m->invitees = invitees;
    m->invitee_count = 2;
    m->email_reminder_minutes = 60;
}

static gs_gcal_result push(gs_gcal *h, const gs_gcal_meeting *m) {
    char id[GS_GCAL_EVENT_ID_SIZE];
    return h_push(h, m, id, NULL, 0, NULL);
}

/* The version text and macros agree, and the combined macro is right. */
static void test_version(void) {
    char want[64];
    const char *v = gs_gcal_version();
    snprintf(want, sizeof want, "gs-gcal/%d.%d.%d ", GS_GCAL_VERSION_MAJOR,
             GS_GCAL_VERSION_MINOR, GS_GCAL_VERSION_PATCH);
    CHECK(v != NULL);
    if (v == NULL)
        return;
    CHECK(strncmp(v, want, strlen(want)) == 0);
    CHECK(strstr(v, " rustls/") != NULL);
    CHECK(strstr(v, " ureq/") != NULL);
    CHECK(GS_GCAL_VERSION_NUMBER ==
          ((GS_GCAL_VERSION_MAJOR << 16) | (GS_GCAL_VERSION_MINOR << 8) | GS_GCAL_VERSION_PATCH));
#if GS_GCAL_VERSION_NUMBER < 0x000100
#error "GS_GCAL_VERSION_NUMBER must be usable in #if and at least 0.1.0"
#endif
}

/* Every defined code has its own text; unknown codes get a generic one. */
static void test_strerror(void) {
    static const gs_gcal_result codes[] = {
        GS_GCAL_OK, GS_GCAL_NULL_ARGUMENT, GS_GCAL_INVALID_UTF8, GS_GCAL_BUFFER_TOO_SMALL,
        GS_GCAL_INVALID_ARGUMENT, GS_GCAL_TOO_LONG, GS_GCAL_STRUCT_SIZE, GS_GCAL_INVALID_TIME,
        GS_GCAL_INVALID_TIME_ZONE, GS_GCAL_INVALID_EMAIL, GS_GCAL_UNKNOWN_OPTION,
        GS_GCAL_INVALID_OPTION_VALUE, GS_GCAL_INSECURE_URL, GS_GCAL_CA_FILE,
        GS_GCAL_NOT_CONFIGURED, GS_GCAL_NOT_AUTHORIZED, GS_GCAL_REAUTH_REQUIRED,
        GS_GCAL_STATE_MISMATCH, GS_GCAL_ACCESS_DENIED, GS_GCAL_INVALID_GRANT,
        GS_GCAL_INVALID_CLIENT, GS_GCAL_DELETED_CLIENT, GS_GCAL_UNAUTHORIZED_CLIENT,
        GS_GCAL_REDIRECT_URI_MISMATCH, GS_GCAL_OAUTH_INVALID_REQUEST,
        GS_GCAL_ADMIN_POLICY_ENFORCED, GS_GCAL_ORG_INTERNAL, GS_GCAL_INVALID_SCOPE,
        GS_GCAL_NO_REFRESH_TOKEN, GS_GCAL_SCOPE_NOT_GRANTED, GS_GCAL_OAUTH_ERROR,
        GS_GCAL_CONNECT_FAILED, GS_GCAL_TIMEOUT, GS_GCAL_NETWORK_IO, GS_GCAL_HTTP_PROTOCOL,
        GS_GCAL_RESPONSE_TOO_LARGE, GS_GCAL_TLS_FAILED, GS_GCAL_CERT_UNTRUSTED,
        GS_GCAL_API_BAD_REQUEST, GS_GCAL_API_UNAUTHORIZED, GS_GCAL_API_FORBIDDEN,
        GS_GCAL_API_RATE_LIMITED, GS_GCAL_API_NOT_FOUND, GS_GCAL_API_CONFLICT,
        GS_GCAL_API_SERVER_ERROR, GS_GCAL_API_BAD_RESPONSE, GS_GCAL_STORAGE_IO,
        GS_GCAL_STATE_CORRUPT, GS_GCAL_STATE_LOCKED, GS_GCAL_INTERNAL, GS_GCAL_PENDING,
        GS_GCAL_CODE_ALREADY_USED, GS_GCAL_DEVICE_CODE_EXPIRED, GS_GCAL_DEVICE_NOT_STARTED,
        GS_GCAL_CLOCK_NOT_SET, GS_GCAL_BACKUP_MALFORMED, GS_GCAL_BACKUP_UNAUTHENTIC,
        GS_GCAL_QUEUED, GS_GCAL_API_QUOTA_EXCEEDED, GS_GCAL_OUTBOX_FULL, GS_GCAL_NOT_SYNCED,
    };
    static const gs_gcal_result unknown[] = {12345, -1, 99, 3, INT32_MIN, INT32_MAX};
    const char *generic = gs_gcal_strerror(12345);
    size_t i;
    CHECK(generic != NULL);
    if (generic == NULL)
        return;
    for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *t = gs_gcal_strerror(codes[i]);
        CHECK(t != NULL && t[0] != '\0' && strcmp(t, generic) != 0);
        if (t == NULL || strcmp(t, generic) == 0)
            printf("# code %d has no text of its own\n", (int)codes[i]);
    }
    for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *t = gs_gcal_strerror(unknown[i]);
        CHECK(t != NULL && strcmp(t, generic) == 0);
    }
}

/* A NULL handle is refused by every call and no output is touched;
   close(NULL) is a no-op; open with a NULL argument leaves *out alone. */
static void test_null_handle(void) {
    char buf[64], dir[512];
    size_t needed = 7777, count = 7777, skipped[2] = {7777, 7777};
    gs_gcal *h = SENTINEL;
    gs_gcal_meeting m;

    base_meeting(&m);
    memset(buf, 'X', sizeof buf);
    EXPECT_RC(NULL, gs_gcal_set_option(NULL, "timeout_ms", "1000"), GS_GCAL_NULL_ARGUMENT);
    EXPECT_RC(NULL, gs_gcal_set_client(NULL, emu.client_id, emu.client_secret, emu.redirect_uri),
              GS_GCAL_NULL_ARGUMENT);
    EXPECT_RC(NULL, gs_gcal_auth_url(NULL, buf, sizeof buf, &needed), GS_GCAL_NULL_ARGUMENT);
    EXPECT_RC(NULL, gs_gcal_authorize(NULL, "4/0Anotarealcode"), GS_GCAL_NULL_ARGUMENT);
    EXPECT_RC(NULL, h_push(NULL, &m, buf, skipped, 2, &count),
              GS_GCAL_NULL_ARGUMENT);
    EXPECT_RC(NULL, gs_gcal_status_json(NULL, buf, sizeof buf, &needed), GS_GCAL_NULL_ARGUMENT);
    EXPECT_RC(NULL, gs_gcal_last_error(NULL, buf, sizeof buf), GS_GCAL_NULL_ARGUMENT);
    CHECK(all_x(buf, sizeof buf));
    CHECK(needed == 7777 && count == 7777 && skipped[0] == 7777 && skipped[1] == 7777);
    gs_gcal_close(NULL);

    h_tempdir(dir, sizeof dir);
    EXPECT_RC(NULL, gs_gcal_open(NULL, &h), GS_GCAL_NULL_ARGUMENT);
    CHECK(h == SENTINEL);
    EXPECT_RC(NULL, gs_gcal_open(dir, NULL), GS_GCAL_NULL_ARGUMENT);
    EXPECT_RC(NULL, gs_gcal_open(BAD_UTF8, &h), GS_GCAL_INVALID_UTF8);
    CHECK(h == SENTINEL);
    EXPECT_RC(NULL, gs_gcal_open("", &h), GS_GCAL_INVALID_ARGUMENT);
    CHECK(h == SENTINEL);
    h_rmdir(dir);
}

/* One handle per state directory: a second open is refused (and leaves
   *out alone) until the first handle is closed. */
static void test_lock(void) {
    char dir[512];
    gs_gcal *first = NULL, *second = SENTINEL;

    h_tempdir(dir, sizeof dir);
    EXPECT_RC(NULL, gs_gcal_open(dir, &first), GS_GCAL_OK);
    if (first == NULL)
        goto cleanup;
    EXPECT_RC(NULL, gs_gcal_open(dir, &second), GS_GCAL_STATE_LOCKED);
    CHECK(second == SENTINEL);
    gs_gcal_close(first);
    first = NULL;
    second = NULL;
    EXPECT_RC(NULL, gs_gcal_open(dir, &second), GS_GCAL_OK);
    CHECK(second != NULL);
cleanup:
    gs_gcal_close(first);
    if (second != SENTINEL)
        gs_gcal_close(second);
    h_rmdir(dir);
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    CHECK(fwrite(text, 1, strlen(text), f) == strlen(text));
    CHECK(fclose(f) == 0);
}

static int file_equals(const char *path, const char *text) {
    char buf[256];
    size_t n;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return 0;
    n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return n == strlen(text) && memcmp(buf, text, n) == 0;
}

/* Finds the set-aside copy of a damaged state file in dir. */
static int find_aside(const char *dir, char *out, size_t cap) {
    DIR *d = opendir(dir);
    struct dirent *ent;
    int found = 0;
    if (d == NULL)
        return 0;
    while ((ent = readdir(d)) != NULL) {
        if (strncmp(ent->d_name, "gs_gcal.state.json.corrupt-", 27) == 0) {
            snprintf(out, cap, "%s/%s", dir, ent->d_name);
            found++;
        }
    }
    closedir(d);
    return found;
}

/* A damaged state file is refused with its own code, set aside byte for
   byte (never deleted), and the next open starts unconfigured with the
   status saying where the copy is; the refused open does not keep the
   directory locked. A state file of a newer format (a firmware downgrade)
   is refused with GS_GCAL_STATE_TOO_NEW and left exactly as it was. */
static void test_corrupt_state(void) {
    static const char *const bad[] = {"{\"version\":1,\"client\":{", "{\"version\":99}"};
    char dir[512], path[600], aside[800], status[4096];
    gs_gcal *h = SENTINEL;
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int newer = i == 1;
        h_tempdir(dir, sizeof dir);
        snprintf(path, sizeof path, "%s/gs_gcal.state.json", dir);
        write_file(path, bad[i]);
        h = SENTINEL;
        EXPECT_RC(NULL, gs_gcal_open(dir, &h), newer ? GS_GCAL_STATE_TOO_NEW : GS_GCAL_STATE_CORRUPT);
        CHECK(h == SENTINEL);
        if (newer) {
            CHECK(file_equals(path, bad[i]));
            CHECK(find_aside(dir, aside, sizeof aside) == 0);
            EXPECT_RC(NULL, gs_gcal_open(dir, &h), GS_GCAL_STATE_TOO_NEW);
            CHECK(file_equals(path, bad[i]));
            h_rmdir(dir);
            continue;
        }
        CHECK(!file_equals(path, bad[i]));
        CHECK(find_aside(dir, aside, sizeof aside) == 1 && file_equals(aside, bad[i]));
        h = NULL;
        EXPECT_RC(NULL, gs_gcal_open(dir, &h), GS_GCAL_OK);
        if (h != NULL && h != SENTINEL) {
            arena a = {0};
            const json *doc;
            EXPECT_RC(h, gs_gcal_status_json(h, status, sizeof status, NULL), GS_GCAL_OK);
            doc = h_json_parse(&a, status);
            CHECK(h_json_str_is(doc, "state", "unconfigured"));
            CHECK(h_json_find_has(doc, "set_aside", "file", ".corrupt-") != NULL);
            arena_free(&a);
            gs_gcal_close(h);
        }
        if (find_aside(dir, aside, sizeof aside) == 1)
            remove(aside);
        h_rmdir(dir);
    }
}

/* Without ca_file the built-in Mozilla roots do not trust the emulator's
   private CA; the link stays pending, so the same paste works once
   ca_file is set; "" brings the built-in roots back. */
static void test_untrusted_ca(void) {
    char dir[512], redirect[2048];
    gs_gcal *h = NULL;

    h_tempdir(dir, sizeof dir);
    EXPECT_RC(NULL, gs_gcal_open(dir, &h), GS_GCAL_OK);
    if (h == NULL)
        goto cleanup;
    EXPECT_RC(h, gs_gcal_set_option(h, "auth_endpoint", emu.auth_endpoint), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_set_option(h, "token_endpoint", emu.token_endpoint), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_set_option(h, "calendar_api_base", emu.calendar_api_base), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_set_client(h, emu.client_id, emu.client_secret, emu.redirect_uri),
              GS_GCAL_OK);
    if (consent_round(h, "allow", redirect, sizeof redirect) != 0)
        goto cleanup;
    EXPECT_RC(h, gs_gcal_authorize(h, redirect), GS_GCAL_CERT_UNTRUSTED);
    check_detail(h);
    EXPECT_RC(h, gs_gcal_set_option(h, "ca_file", emu.ca_file), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_authorize(h, redirect), GS_GCAL_OK);

    EXPECT_RC(h, gs_gcal_set_option(h, "ca_file", ""), GS_GCAL_OK);
    if (consent_round(h, "allow", redirect, sizeof redirect) != 0)
        goto cleanup;
    EXPECT_RC(h, gs_gcal_authorize(h, redirect), GS_GCAL_CERT_UNTRUSTED);
cleanup:
    gs_gcal_close(h);
    h_rmdir(dir);
}

/* Before set_client: no link, no authorization. */
static void test_unconfigured(gs_gcal *h) {
    char url[2048];
    EXPECT_RC(h, gs_gcal_auth_url(h, url, sizeof url, NULL), GS_GCAL_NOT_CONFIGURED);
    check_detail(h);
    EXPECT_RC(h, gs_gcal_authorize(h, "4/0Anotarealcode"), GS_GCAL_NOT_CONFIGURED);
}

/* set_client refuses NULL, non-UTF-8, overlong and retired values and
   keeps nothing of a refused call. */
static void test_client_args(gs_gcal *h) {
    char long_id[601], status[4096];
    memset(long_id, 'a', 600);
    long_id[600] = '\0';
    EXPECT_RC(h, gs_gcal_set_client(h, NULL, emu.client_secret, emu.redirect_uri),
              GS_GCAL_NULL_ARGUMENT);
    EXPECT_RC(h, gs_gcal_set_client(h, emu.client_id, NULL, emu.redirect_uri),
              GS_GCAL_NULL_ARGUMENT);
    EXPECT_RC(h, gs_gcal_set_client(h, emu.client_id, emu.client_secret, NULL),
              GS_GCAL_NULL_ARGUMENT);
    EXPECT_RC(h, gs_gcal_set_client(h, BAD_UTF8, emu.client_secret, emu.redirect_uri),
              GS_GCAL_INVALID_UTF8);
    EXPECT_RC(h, gs_gcal_set_client(h, long_id, emu.client_secret, emu.redirect_uri),
              GS_GCAL_TOO_LONG);
    EXPECT_RC(h, gs_gcal_set_client(h, emu.client_id, emu.client_secret,
                                    "urn:ietf:wg:oauth:2.0:oob"),
              GS_GCAL_INVALID_ARGUMENT);
    check_detail(h);
    EXPECT_RC(h, gs_gcal_status_json(h, status, sizeof status, NULL), GS_GCAL_OK);
    CHECK(h_text_str_is(status, "state", "unconfigured"));
}

/* Out of order: a bare code with no link outstanding, a push before
   authorization (nothing is sent); NULL, non-UTF-8 and overlong pastes. */
static void test_ordering(gs_gcal *h) {
    static char long_code[5001];
    gs_gcal_meeting m;
    long inserts = h_counter(&emu, "events.insert");
    memset(long_code, 'c', sizeof long_code - 1);
    base_meeting(&m);
    EXPECT_RC(h, gs_gcal_authorize(h, "4/0Anotarealcode"), GS_GCAL_INVALID_ARGUMENT);
    check_detail(h);
    EXPECT_RC(h, gs_gcal_authorize(h, NULL), GS_GCAL_NULL_ARGUMENT);
    EXPECT_RC(h, gs_gcal_authorize(h, BAD_UTF8), GS_GCAL_INVALID_UTF8);
    EXPECT_RC(h, gs_gcal_authorize(h, long_code), GS_GCAL_TOO_LONG);
    /* Not authorized yet: nothing is sent, the meeting waits (never lost). */
    EXPECT_RC(h, push(h, &m), GS_GCAL_QUEUED);
    check_detail(h);
    CHECK(h_counter(&emu, "events.insert") == inserts);
    /* A cancel queued behind that push is still validated first: an
       impossible occurrence or zone is refused, never "queued". */
    EXPECT_RC(h, gs_gcal_cancel_meeting(h, m.meeting_id, "2024-13-45T99:00", m.time_zone),
              GS_GCAL_INVALID_TIME);
    EXPECT_RC(h, gs_gcal_cancel_meeting(h, m.meeting_id, "2024-05-06T10:00", "Mars/Olympus"),
              GS_GCAL_INVALID_TIME_ZONE);
    EXPECT_RC(h, gs_gcal_cancel_meeting(h, m.meeting_id, "2024-05-06T10:00", NULL),
              GS_GCAL_NULL_ARGUMENT);
}

/* Asking for a size (NULL, 0) is an answer, not a failure: after a clean
   configuration it leaves no last error for the status page to show. */
static void test_size_query_is_not_an_error(void) {
    char dir[512], err[GS_GCAL_ERROR_SIZE], status[4096];
    gs_gcal *h = NULL;
    size_t needed = 0;

    h_tempdir(dir, sizeof dir);
    EXPECT_RC(NULL, gs_gcal_open(dir, &h), GS_GCAL_OK);
    if (h == NULL)
        return;
    EXPECT_RC(h, gs_gcal_set_client(h, emu.client_id, emu.client_secret, emu.redirect_uri), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_auth_url(h, NULL, 0, &needed), GS_GCAL_BUFFER_TOO_SMALL);
    CHECK(needed > 1);
    EXPECT_RC(h, gs_gcal_export(h, "a long passphrase", NULL, 0, &needed), GS_GCAL_BUFFER_TOO_SMALL);
    CHECK(needed > 1);
    EXPECT_RC(h, gs_gcal_last_error(h, err, sizeof err), GS_GCAL_OK);
    CHECK(err[0] == '\0');
    EXPECT_RC(h, gs_gcal_status_json(h, status, sizeof status, NULL), GS_GCAL_OK);
    CHECK(h_text_is_null(status, "last_error"));
    /* A real buffer that is too small still is a failure, with its text. */
    EXPECT_RC(h, gs_gcal_auth_url(h, err, 4, &needed), GS_GCAL_BUFFER_TOO_SMALL);
    EXPECT_RC(h, gs_gcal_last_error(h, err, sizeof err), GS_GCAL_OK);
    CHECK(strstr(err, "buffer too small") != NULL);
    gs_gcal_close(h);
    h_rmdir(dir);
}

/* snprintf-style buffers of auth_url: size query, one byte short
   (untouched), exact size; a refused call remembers no link. last_error
   truncates and wants a real buffer. */
static void test_buffers(gs_gcal *h) {
    static char buf[4096];
    char err[GS_GCAL_ERROR_SIZE], small[8];
    size_t needed = 0, again = 0;

    /* auth_url */
    EXPECT_RC(h, gs_gcal_auth_url(h, NULL, 0, &needed), GS_GCAL_BUFFER_TOO_SMALL);
    CHECK(needed > 1 && needed <= 1024);
    memset(buf, 'X', sizeof buf);
    EXPECT_RC(h, gs_gcal_auth_url(h, buf, needed - 1, &again), GS_GCAL_BUFFER_TOO_SMALL);
    CHECK(again == needed);
    CHECK(all_x(buf, sizeof buf));
    EXPECT_RC(h, gs_gcal_auth_url(h, NULL, sizeof buf, NULL), GS_GCAL_NULL_ARGUMENT);
    /* None of the refused calls left a link to redeem a bare code against. */
    EXPECT_RC(h, gs_gcal_authorize(h, "4/0Anotarealcode"), GS_GCAL_INVALID_ARGUMENT);
    EXPECT_RC(h, gs_gcal_auth_url(h, buf, needed, &again), GS_GCAL_OK);
    CHECK(again == needed && memchr(buf, '\0', needed) == buf + needed - 1);

    /* last_error: never too small, truncated and NUL-terminated. */
    EXPECT_RC(h, gs_gcal_last_error(h, err, sizeof err), GS_GCAL_OK);
    CHECK(strlen(err) > 4);
    memset(small, 'X', sizeof small);
    EXPECT_RC(h, gs_gcal_last_error(h, small, 1), GS_GCAL_OK);
    CHECK(small[0] == '\0' && small[1] == 'X');
    EXPECT_RC(h, gs_gcal_last_error(h, small, 5), GS_GCAL_OK);
    CHECK(strlen(small) == 4 && strncmp(small, err, 4) == 0);
    EXPECT_RC(h, gs_gcal_last_error(h, NULL, sizeof err), GS_GCAL_NULL_ARGUMENT);
    EXPECT_RC(h, gs_gcal_last_error(h, small, 0), GS_GCAL_NULL_ARGUMENT);
}

/* status_json's buffer protocol on a fresh handle (no failure yet): the
   size a query reports is the size the next call needs; one byte short is
   refused with the buffer untouched; the exact size works. */
static void test_status_buffer(void) {
    static char buf[4096];
    char dir[512];
    size_t needed = 0, again = 0;
    gs_gcal *h = NULL;

    h_tempdir(dir, sizeof dir);
    EXPECT_RC(NULL, gs_gcal_open(dir, &h), GS_GCAL_OK);
    if (h == NULL)
        goto cleanup;
    EXPECT_RC(h, gs_gcal_status_json(h, NULL, 0, &needed), GS_GCAL_BUFFER_TOO_SMALL);
    CHECK(needed > 1 && needed < sizeof buf);
    if (needed <= 1 || needed >= sizeof buf)
        goto cleanup;
    memset(buf, 'X', sizeof buf);
    EXPECT_RC(h, gs_gcal_status_json(h, buf, needed - 1, &again), GS_GCAL_BUFFER_TOO_SMALL);
    CHECK(all_x(buf, sizeof buf));
    /* A refused query is not recorded as the last error, which the
       document contains: the size reported stays true. */
    CHECK(again == needed);
    EXPECT_RC(h, gs_gcal_status_json(h, buf, needed, &again), GS_GCAL_OK);
    CHECK(memchr(buf, '\0', needed) == buf + needed - 1);
    EXPECT_RC(h, gs_gcal_status_json(h, NULL, sizeof buf, NULL), GS_GCAL_NULL_ARGUMENT);
cleanup:
    gs_gcal_close(h);
    h_rmdir(dir);
}

/* What an admin may paste wrongly, each mapped to its own code. */
static void test_paste_errors(gs_gcal *h) {
    char redirect[2048], foreign[2048];
    const char *sep = strchr(emu.redirect_uri, '?') ? "&" : "?";

    /* A redirect whose state this handle never issued. */
    snprintf(foreign, sizeof foreign, "%s%sstate=neverIssued0123&code=4%%2F0Aforeigncode&scope=x",
             emu.redirect_uri, sep);
    add_secret("4/0Aforeigncode");
    add_secret("4%2F0Aforeigncode");
    EXPECT_RC(h, gs_gcal_authorize(h, foreign), GS_GCAL_STATE_MISMATCH);
    check_detail(h);

    /* Deny on the consent page. */
    if (consent_round(h, "deny", redirect, sizeof redirect) == 0) {
        CHECK(strstr(redirect, "error=access_denied") != NULL);
        EXPECT_RC(h, gs_gcal_authorize(h, redirect), GS_GCAL_ACCESS_DENIED);
        check_detail(h);
    }

    /* A made-up code after a fresh link: Google says invalid_grant. */
    EXPECT_RC(h, gs_gcal_auth_url(h, redirect, sizeof redirect, NULL), GS_GCAL_OK);
    add_secret("4/0Anotarealcode");
    EXPECT_RC(h, gs_gcal_authorize(h, "4/0Anotarealcode"), GS_GCAL_INVALID_GRANT);
    check_detail(h);

    /* A mistyped secret: Google says invalid_client on a real code. */
    EXPECT_RC(h, gs_gcal_set_client(h, emu.client_id, WRONG_SECRET, emu.redirect_uri), GS_GCAL_OK);
    if (consent_round(h, "allow", redirect, sizeof redirect) == 0) {
        EXPECT_RC(h, gs_gcal_authorize(h, redirect), GS_GCAL_INVALID_CLIENT);
        check_detail(h);
    }

    /* A redirect URI not registered for the client: the consent page
       itself refuses, as Google's does. */
    EXPECT_RC(h, gs_gcal_set_client(h, emu.client_id, emu.client_secret,
                                    "https://pbx.example/not-registered"),
              GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_auth_url(h, foreign, sizeof foreign, NULL), GS_GCAL_OK);
    CHECK(h_consent(&emu, foreign, "allow", redirect, sizeof redirect) == -1);

    EXPECT_RC(h, gs_gcal_set_client(h, emu.client_id, emu.client_secret, emu.redirect_uri),
              GS_GCAL_OK);
}

/* set_option refuses bad keys and values and changes nothing when it
   does: afterwards the handle still authorizes against the emulator. */
static void test_options(gs_gcal *h) {
    static char huge[70001];
    char dir[512], path[600], status[4096], redirect[2048];

    memset(huge, 'a', sizeof huge - 1);
    EXPECT_RC(h, gs_gcal_set_option(h, NULL, "1000"), GS_GCAL_NULL_ARGUMENT);
    EXPECT_RC(h, gs_gcal_set_option(h, "timeout_ms", NULL), GS_GCAL_NULL_ARGUMENT);
    EXPECT_RC(h, gs_gcal_set_option(h, "calendar_id", BAD_UTF8), GS_GCAL_INVALID_UTF8);
    EXPECT_RC(h, gs_gcal_set_option(h, BAD_UTF8, "1000"), GS_GCAL_INVALID_UTF8);
    EXPECT_RC(h, gs_gcal_set_option(h, "calendar_id", huge), GS_GCAL_TOO_LONG);
    EXPECT_RC(h, gs_gcal_set_option(h, "colour", "blue"), GS_GCAL_UNKNOWN_OPTION);
    check_detail(h);
    EXPECT_RC(h, gs_gcal_set_option(h, "", "1"), GS_GCAL_UNKNOWN_OPTION);
    EXPECT_RC(h, gs_gcal_set_option(h, "timeout_ms", "0"), GS_GCAL_INVALID_OPTION_VALUE);
    EXPECT_RC(h, gs_gcal_set_option(h, "timeout_ms", "abc"), GS_GCAL_INVALID_OPTION_VALUE);
    EXPECT_RC(h, gs_gcal_set_option(h, "timeout_ms", "600001"), GS_GCAL_INVALID_OPTION_VALUE);
    EXPECT_RC(h, gs_gcal_set_option(h, "connect_timeout_ms", "0"),
              GS_GCAL_INVALID_OPTION_VALUE);
    EXPECT_RC(h, gs_gcal_set_option(h, "send_updates", "maybe"), GS_GCAL_INVALID_OPTION_VALUE);
    check_detail(h);
    EXPECT_RC(h, gs_gcal_set_option(h, "token_endpoint", "http://oauth2.googleapis.com/token"),
              GS_GCAL_INSECURE_URL);
    check_detail(h);
    EXPECT_RC(h, gs_gcal_set_option(h, "token_endpoint", "http://127.0.0.1:1/token"), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_set_option(h, "token_endpoint", emu.token_endpoint), GS_GCAL_OK);

    h_tempdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/missing.pem", dir);
    EXPECT_RC(h, gs_gcal_set_option(h, "ca_file", path), GS_GCAL_CA_FILE);
    check_detail(h);
    snprintf(path, sizeof path, "%s/nocert.pem", dir);
    write_file(path, "this is not a certificate\n");
    EXPECT_RC(h, gs_gcal_set_option(h, "ca_file", path), GS_GCAL_CA_FILE);
    h_rmdir(dir);

    /* Nothing changed: the calendar is still the default, and the
       emulator's CA, endpoints and timeouts still work. */
    EXPECT_RC(h, gs_gcal_status_json(h, status, sizeof status, NULL), GS_GCAL_OK);
    CHECK(h_text_str_is(status, "calendar_id", "primary"));
    if (consent_round(h, "allow", redirect, sizeof redirect) != 0)
        return;
    EXPECT_RC(h, gs_gcal_authorize(h, redirect), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_status_json(h, status, sizeof status, NULL), GS_GCAL_OK);
    CHECK(h_text_str_is(status, "state", "authorized"));
}

/* The code alone, decoded or as copied %2F-encoded from the address bar
   (with stray whitespace), redeems the newest link. */
static void test_bare_codes(gs_gcal *h) {
    char redirect[2048], code[1100], plain[1100], paste[1200];

    if (consent_round(h, "allow", redirect, sizeof redirect) != 0)
        return;
    CHECK(query_param(redirect, "code", code, sizeof code) == 0);
    percent_decode(code, plain, sizeof plain);
    CHECK(strstr(code, "%2F") != NULL && strchr(plain, '/') != NULL);
    EXPECT_RC(h, gs_gcal_authorize(h, plain), GS_GCAL_OK);

    if (consent_round(h, "allow", redirect, sizeof redirect) != 0)
        return;
    CHECK(query_param(redirect, "code", code, sizeof code) == 0);
    snprintf(paste, sizeof paste, "  %s\n", code);
    EXPECT_RC(h, gs_gcal_authorize(h, paste), GS_GCAL_OK);
}

/* Invalid meetings are refused before anything is sent; too-small
   outputs are refused before the push and left untouched. */
static void test_meetings(gs_gcal *h) {
    static char long_id[301];
    char before[4096], after[4096], id[GS_GCAL_EVENT_ID_SIZE];
    char err[GS_GCAL_ERROR_SIZE], cut[GS_GCAL_ERROR_SIZE];
    const char *e_acute;
    size_t skipped[4] = {7777, 7777, 7777, 7777}, count = 7777;
    gs_gcal_push_result result;
    long inserts;
    gs_gcal_person bad_email = {"1003", "john at example", 0};
    gs_gcal_person flagged = {"1004", "flagged@mycompanyabc.com", 1};
    gs_gcal_person no_email[2] = {{"1005", NULL, 0}, {"1006", "", 0}};
    gs_gcal_meeting m;

    memset(long_id, 'm', sizeof long_id - 1);
    CHECK(h_control(&emu, "GET", "/control/requests", NULL, before, sizeof before) == 200);

    base_meeting(&m);
    m.struct_size = 0;
    EXPECT_RC(h, push(h, &m), GS_GCAL_STRUCT_SIZE);
    check_detail(h);
    m.struct_size = sizeof m + 8;
    EXPECT_RC(h, push(h, &m), GS_GCAL_STRUCT_SIZE);
    EXPECT_RC(h, push(h, NULL), GS_GCAL_NULL_ARGUMENT);
    base_meeting(&m);
    m.meeting_id = NULL;
    EXPECT_RC(h, push(h, &m), GS_GCAL_NULL_ARGUMENT);
    m.meeting_id = long_id;
    EXPECT_RC(h, push(h, &m), GS_GCAL_TOO_LONG);
    base_meeting(&m);
    m.subject = BAD_UTF8;
    EXPECT_RC(h, push(h, &m), GS_GCAL_INVALID_UTF8);
    base_meeting(&m);
    m.end = "2024-04-29T09:00";
    EXPECT_RC(h, push(h, &m), GS_GCAL_INVALID_TIME);
    check_detail(h);
    m.start = "2023-02-29T10:00";
    m.end = "11:00";
    EXPECT_RC(h, push(h, &m), GS_GCAL_INVALID_TIME);
    base_meeting(&m);
    m.end = "25:00";
    EXPECT_RC(h, push(h, &m), GS_GCAL_INVALID_TIME);
    base_meeting(&m);
    m.time_zone = "GMT+1";
    EXPECT_RC(h, push(h, &m), GS_GCAL_INVALID_TIME_ZONE);
    check_detail(h);
    /* The detail quotes the zone; cut inside its "é", it ends before it. */
    m.time_zone = "Europe/B\xc3\xa9rlin";
    EXPECT_RC(h, push(h, &m), GS_GCAL_INVALID_TIME_ZONE);
    EXPECT_RC(h, gs_gcal_last_error(h, err, sizeof err), GS_GCAL_OK);
    e_acute = strstr(err, "\xc3\xa9");
    CHECK(e_acute != NULL);
    if (e_acute != NULL) {
        size_t at = (size_t)(e_acute - err);
        EXPECT_RC(h, gs_gcal_last_error(h, cut, at + 2), GS_GCAL_OK);
        CHECK(strlen(cut) == at && strncmp(cut, err, at) == 0);
    }
    base_meeting(&m);
    m.invitees = &bad_email;
    m.invitee_count = 1;
    EXPECT_RC(h, push(h, &m), GS_GCAL_INVALID_EMAIL);
    check_detail(h);
    base_meeting(&m);
    m.email_reminder_minutes = 40321;
    EXPECT_RC(h, push(h, &m), GS_GCAL_INVALID_ARGUMENT);
    base_meeting(&m);
    m.invitees = NULL;
    EXPECT_RC(h, push(h, &m), GS_GCAL_NULL_ARGUMENT);
    base_meeting(&m);
    m.invitees = &flagged;
    m.invitee_count = 1;
    EXPECT_RC(h, push(h, &m), GS_GCAL_INVALID_ARGUMENT);
    base_meeting(&m);
    m.host.flags = 2;
    EXPECT_RC(h, push(h, &m), GS_GCAL_INVALID_ARGUMENT);

    /* Outputs missing or too small: refused before any request, untouched. */
    base_meeting(&m);
    inserts = h_counter(&emu, "events.insert");
    memset(&result, 'X', sizeof result);
    result.struct_size = sizeof result + 8;
    EXPECT_RC(h, gs_gcal_push_meeting(h, &m, &result, skipped, 4), GS_GCAL_STRUCT_SIZE);
    CHECK(all_x(result.event_id, sizeof result.event_id) && skipped[0] == 7777);
    EXPECT_RC(h, gs_gcal_push_meeting(h, &m, NULL, NULL, 0), GS_GCAL_NULL_ARGUMENT);
    m.invitees = no_email;
    result.struct_size = sizeof result;
    EXPECT_RC(h, gs_gcal_push_meeting(h, &m, &result, skipped, 1), GS_GCAL_BUFFER_TOO_SMALL);
    CHECK(all_x(result.event_id, sizeof result.event_id) && skipped[0] == 7777);
    CHECK(h_counter(&emu, "events.insert") == inserts);

    /* Not one request reached the emulator for any of the above. */
    CHECK(h_control(&emu, "GET", "/control/requests", NULL, after, sizeof after) == 200);
    CHECK(strcmp(before, after) == 0);

    /* The handle is fine: what waited since before authorization is sent,
       then a valid meeting is pushed directly. */
    {
        size_t sent = 0, left = 99;
        EXPECT_RC(h, gs_gcal_sync(h, 10000, &sent, &left), GS_GCAL_OK);
        CHECK(sent == 1 && left == 0);
        inserts = h_counter(&emu, "events.insert");
    }
    EXPECT_RC(h, h_push(h, &m, id, skipped, 4, &count), GS_GCAL_OK);
    CHECK(count == 2 && skipped[0] == 0 && skipped[1] == 1);
    CHECK(strlen(id) == 42 && strncmp(id, "gs", 2) == 0);
    CHECK(h_counter(&emu, "events.insert") == inserts); /* sent by sync: an edit now, one PUT */
}

/* After all the failures, neither the detail nor the status shows a
   client secret or a pasted code. */
static void test_secrets(gs_gcal *h) {
    static char status[8192];
    char err[GS_GCAL_ERROR_SIZE];
    EXPECT_RC(h, gs_gcal_last_error(h, err, sizeof err), GS_GCAL_OK);
    no_secret_in(err, "gs_gcal_last_error");
    EXPECT_RC(h, gs_gcal_status_json(h, status, sizeof status, NULL), GS_GCAL_OK);
    no_secret_in(status, "gs_gcal_status_json");
    CHECK(nsecrets >= 10);
}

int main(void) {
    gs_gcal *h = NULL;
    char dir[512] = "";

    h_emulator(&emu);
    CHECK(h_control(&emu, "POST", "/control/reset", "", NULL, 0) == 200);
    add_secret(emu.client_secret);
    add_secret(WRONG_SECRET);

    test_version();
    test_strerror();
    test_null_handle();
    test_lock();
    test_corrupt_state();
    test_untrusted_ca();
    test_status_buffer();
    test_size_query_is_not_an_error();

    /* One handle walks from unconfigured to pushing, failing on the way. */
    h_tempdir(dir, sizeof dir);
    EXPECT_RC(NULL, gs_gcal_open(dir, &h), GS_GCAL_OK);
    if (h == NULL)
        goto cleanup;
    h_use_emulator(h, &emu);
    test_unconfigured(h);
    test_client_args(h);
    EXPECT_RC(h, gs_gcal_set_client(h, emu.client_id, emu.client_secret, emu.redirect_uri),
              GS_GCAL_OK);
    test_ordering(h);
    test_buffers(h);
    test_paste_errors(h);
    test_options(h);
    test_bare_codes(h);
    test_meetings(h);
    test_secrets(h);

cleanup:
    gs_gcal_close(h);
    if (dir[0] != '\0')
        h_rmdir(dir);
    return h_finish("test_misuse");
}
