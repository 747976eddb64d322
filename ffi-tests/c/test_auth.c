/*
 * Every authorization path a PBX meets, through the C API against the
 * emulator: options of the link, unticked permissions, single-use codes,
 * Google refusing the client or the grant (and the diagnosis the admin
 * sees), re-authorization, Reset (online and offline), the device flow,
 * and sealed backup/restore.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gs_gcal.h"
#include "harness.h"

static emulator emu;
static char body[1 << 16];

/* A fresh handle on a fresh directory, configured for the web client. */
/* A handle on a fresh directory, pointed at a reset emulator, no client. */
static gs_gcal *opened(char *dir, size_t cap) {
    gs_gcal *h = NULL;
    POST_OK(&emu, "/control/reset", "");
    h_tempdir(dir, cap);
    EXPECT_RC(NULL, gs_gcal_open(dir, &h), GS_GCAL_OK);
    if (h != NULL)
        h_use_emulator(h, &emu);
    return h;
}

static gs_gcal *fresh(char *dir, size_t cap) {
    gs_gcal *h = opened(dir, cap);
    if (h == NULL)
        return NULL;
    EXPECT_RC(h, gs_gcal_set_client(h, emu.client_id, emu.client_secret, emu.redirect_uri),
              GS_GCAL_OK);
    return h;
}

static void done(gs_gcal *h, const char *dir) {
    gs_gcal_close(h);
    h_rmdir(dir);
}

/* Link → consent (with a JSON body for the consent control) → redirect. */
static int consent(gs_gcal *h, const char *extra, char *redirect, size_t cap) {
    static char url[2048], req[4096], resp[4096];
    if (gs_gcal_auth_url(h, url, sizeof url, NULL) != GS_GCAL_OK)
        return -1;
    snprintf(req, sizeof req, "{\"url\":\"%s\",\"decision\":\"allow\"%s}", url, extra);
    if (h_control(&emu, "POST", "/control/consent", req, resp, sizeof resp) != 200)
        return -1;
    return h_json_string(resp, "redirect", redirect, cap);
}

static gs_gcal_result authorize(gs_gcal *h) {
    char redirect[2048];
    if (consent(h, "", redirect, sizeof redirect) != 0)
        return -1;
    return gs_gcal_authorize(h, redirect);
}

static gs_gcal_result push(gs_gcal *h) {
    char id[GS_GCAL_EVENT_ID_SIZE];
    gs_gcal_meeting m;
    memset(&m, 0, sizeof m);
    m.struct_size = sizeof m;
    m.meeting_id = "auth-1";
    m.subject = "Auth test";
    m.start = "2024-07-01T09:00";
    m.end = "10:00";
    m.time_zone = "Europe/Berlin";
    return h_push(h, &m, id, NULL, 0, NULL);
}

static int last_error_has(gs_gcal *h, const char *text) {
    char detail[GS_GCAL_ERROR_SIZE];
    return gs_gcal_last_error(h, detail, sizeof detail) == GS_GCAL_OK &&
           strstr(detail, text) != NULL;
}

/* login_hint and scopes options shape the link. */
static void test_link_options(void) {
    char dir[512], url[2048];
    gs_gcal *h = fresh(dir, sizeof dir);
    if (h == NULL)
        return;
    EXPECT_RC(h, gs_gcal_set_option(h, "login_hint", emu.account), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_set_option(h, "scopes",
                                    "openid  email https://www.googleapis.com/auth/calendar"),
              GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_set_option(h, "scopes", "   "), GS_GCAL_INVALID_OPTION_VALUE);
    EXPECT_RC(h, gs_gcal_auth_url(h, url, sizeof url, NULL), GS_GCAL_OK);
    CHECK(strstr(url, "login_hint=arthur.morgan%40mycompanyabc.com") != NULL);
    CHECK(strstr(url, "scope=openid+email+https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcalendar&") !=
          NULL);
    EXPECT_RC(h, authorize(h), GS_GCAL_OK);
    EXPECT_RC(h, push(h), GS_GCAL_OK);
    done(h, dir);
}

/* The admin unticks "see and edit events": a clear refusal, no tokens kept. */
static void test_unticked_scope(void) {
    char dir[512], redirect[2048];
    gs_gcal *h = fresh(dir, sizeof dir);
    if (h == NULL)
        return;
    CHECK(consent(h, ",\"grant_scopes\":[\"openid\",\"email\"]", redirect, sizeof redirect) == 0);
    EXPECT_RC(h, gs_gcal_authorize(h, redirect), GS_GCAL_SCOPE_NOT_GRANTED);
    CHECK(last_error_has(h, "unticked"));
    CHECK(h_status_str_is(h, "state", "configured"));
    done(h, dir);
}

/* RFC 6749 §5.1: a token answer may leave out "scope" (then the grant is
   what was asked) and "expires_in" (only recommended). Google sends both;
   a server that does not is still authorized, with the configured scopes
   and a default lifetime of an hour. */
static void test_minimal_token_answer(void) {
    char dir[512], redirect[2048];
    arena a = {0};
    const json *st;
    long long expires_in = 0;
    gs_gcal *h = fresh(dir, sizeof dir);
    if (h == NULL)
        return;
    CHECK(consent(h, "", redirect, sizeof redirect) == 0);
    POST_OK(&emu, "/control/fault",
            "{\"match\":{\"path_prefix\":\"/token\"},\"count\":1,\"fault\":{\"kind\":\"body\","
            "\"status\":200,\"text\":\"{\\\"access_token\\\":\\\"ya29.minimal\\\",\\\"token_type\\\":"
            "\\\"Bearer\\\",\\\"refresh_token\\\":\\\"1//minimal\\\"}\"}}");
    EXPECT_RC(h, gs_gcal_authorize(h, redirect), GS_GCAL_OK);
    st = h_status(h, &a);
    CHECK(h_json_str_is(st, "state", "authorized"));
    CHECK(h_json_str_is(st, "granted_scopes[2]", "https://www.googleapis.com/auth/calendar.events"));
    CHECK(h_json_bool_is(st, "read_only", 0) && h_json_bool_is(st, "presence.granted", 1));
    CHECK(h_json_int(st, "access_token_expires_in", &expires_in) == 0 && expires_in > 3500 &&
          expires_in <= 3600);
    arena_free(&a);
    done(h, dir);
}

/* A token endpoint that takes the client's credentials only by HTTP Basic
   (RFC 6749 §2.3.1 makes Basic the one way every server must take; Google
   takes both): refused in the form once, then sent by Basic, which the
   handle keeps to, so the refresh after a 401 is one request. Reset's
   revocation is then refused without the client's credentials (RFC 7009
   lets a server want them) and done with them. */
static void test_basic_only_token_endpoint(void) {
    char dir[512];
    long before;
    gs_gcal *h = fresh(dir, sizeof dir);
    if (h == NULL)
        return;
    POST_OK(&emu, "/control/basic_auth_only", "{\"on\":true}");
    before = h_counter(&emu, "token");
    EXPECT_RC(h, authorize(h), GS_GCAL_OK);
    CHECK(h_counter(&emu, "token") == before + 2);
    CHECK(h_status_str_is(h, "state", "authorized"));
    POST_OK(&emu, "/control/expire_tokens", "{}");
    before = h_counter(&emu, "token");
    EXPECT_RC(h, push(h), GS_GCAL_OK);
    CHECK(h_counter(&emu, "token") == before + 1);
    before = h_counter(&emu, "revoke");
    EXPECT_RC(h, gs_gcal_reset(h), GS_GCAL_OK);
    CHECK(h_counter(&emu, "revoke") == before + 2);
    CHECK(h_status_int_is(h, "pending_revocations", 0));
    POST_OK(&emu, "/control/basic_auth_only", "{\"on\":false}");
    done(h, dir);
}

/* The device flow with a server that authenticates the client at the
   device endpoint and the token endpoint by HTTP Basic only (RFC 8628
   §3.1; Google takes the client_id alone at the first): the start is
   refused once and taken by Basic, the polls go by Basic at once. */
static void test_basic_only_device_flow(void) {
    char dir[512], req[256];
    gs_gcal_device_code code;
    gs_gcal *h = opened(dir, sizeof dir);
    long starts;
    if (h == NULL)
        return;
    EXPECT_RC(h, gs_gcal_set_client(h, emu.device_client_id, emu.device_client_secret, ""), GS_GCAL_OK);
    POST_OK(&emu, "/control/basic_auth_only", "{\"on\":true}");
    POST_OK(&emu, "/control/device_interval", "{\"announced\":0,\"enforced\":0}");
    memset(&code, 0, sizeof code);
    code.struct_size = sizeof code;
    starts = h_counter(&emu, "device.code");
    EXPECT_RC(h, gs_gcal_device_start(h, &code), GS_GCAL_OK);
    CHECK(h_counter(&emu, "device.code") == starts + 2);
    EXPECT_RC(h, gs_gcal_device_poll(h), GS_GCAL_PENDING);
    CHECK(h_counter(&emu, "token.device") == 1);
    snprintf(req, sizeof req, "{\"user_code\":\"%s\",\"decision\":\"allow\"}", code.user_code);
    POST_OK(&emu, "/control/device", req);
    EXPECT_RC(h, gs_gcal_device_poll(h), GS_GCAL_OK);
    CHECK(h_counter(&emu, "token.device") == 2);
    CHECK(h_status_str_is(h, "state", "authorized"));
    POST_OK(&emu, "/control/basic_auth_only", "{\"on\":false}");
    done(h, dir);
}

/* A bare code pasted twice: the second paste is answered without Google. */
static void test_code_reuse(void) {
    char dir[512], redirect[2048], code[1024];
    const char *c, *end;
    int before;
    gs_gcal *h = fresh(dir, sizeof dir);
    if (h == NULL)
        return;
    CHECK(consent(h, "", redirect, sizeof redirect) == 0);
    c = strstr(redirect, "code=");
    CHECK(c != NULL);
    if (c == NULL)
        goto out;
    c += 5;
    end = strchr(c, '&');
    snprintf(code, sizeof code, "%.*s", (int)(end ? end - c : (long)strlen(c)), c);
    EXPECT_RC(h, gs_gcal_authorize(h, code), GS_GCAL_OK);
    before = h_counter(&emu, "token");
    EXPECT_RC(h, gs_gcal_authorize(h, code), GS_GCAL_CODE_ALREADY_USED);
    CHECK(h_counter(&emu, "token") == before);
out:
    done(h, dir);
}

/* Google refuses the client or the app: each its own code and advice. */
static void test_client_refusals(void) {
    char dir[512], redirect[2048], req[512];
    gs_gcal *h = fresh(dir, sizeof dir);
    if (h == NULL)
        return;
    CHECK(consent(h, "", redirect, sizeof redirect) == 0);
    POST_OK(&emu, "/control/admin_policy", "{\"on\":true}");
    EXPECT_RC(h, gs_gcal_authorize(h, redirect), GS_GCAL_ADMIN_POLICY_ENFORCED);
    CHECK(last_error_has(h, "Workspace administrator"));
    POST_OK(&emu, "/control/admin_policy", "{\"on\":false}");

    CHECK(consent(h, "", redirect, sizeof redirect) == 0);
    snprintf(req, sizeof req, "{\"client_id\":\"%s\"}", emu.client_id);
    POST_OK(&emu, "/control/delete_client", req);
    EXPECT_RC(h, gs_gcal_authorize(h, redirect), GS_GCAL_DELETED_CLIENT);
    CHECK(last_error_has(h, "30 days"));
    done(h, dir);
}

/* A refresh refused for good: the diagnosis names the cause, the handle
   moves to reauth_required, and nothing is retried until the admin acts. */
static void expect_reauth(const char *setup_path, const char *setup_body, const char *advance,
                          const char *diagnosis) {
    char dir[512];
    int before;
    gs_gcal *h = fresh(dir, sizeof dir);
    if (h == NULL)
        return;
    if (setup_path != NULL && strcmp(setup_path, "/control/testing_mode") == 0)
        POST_OK(&emu, setup_path, setup_body);
    EXPECT_RC(h, authorize(h), GS_GCAL_OK);
    EXPECT_RC(h, push(h), GS_GCAL_OK);
    if (setup_path != NULL && strcmp(setup_path, "/control/testing_mode") != 0)
        POST_OK(&emu, setup_path, setup_body);
    if (advance != NULL)
        POST_OK(&emu, "/control/advance_clock", advance);
    POST_OK(&emu, "/control/expire_tokens", "");
    /* The meeting is kept (queued) and the admin is told why. */
    EXPECT_RC(h, push(h), GS_GCAL_QUEUED);
    CHECK(last_error_has(h, diagnosis));
    CHECK(h_status_str_is(h, "state", "reauth_required"));
    CHECK(h_status_str_has(h, "reauth_reason", diagnosis));
    before = h_counter(&emu, "token");
    EXPECT_RC(h, push(h), GS_GCAL_QUEUED);
    EXPECT_RC(h, gs_gcal_sync(h, 5000, NULL, NULL), GS_GCAL_OK);
    CHECK(h_counter(&emu, "token") == before); /* never retried in a loop */
    /* Authorizing again mends it, and what waited is sent. */
    POST_OK(&emu, "/control/require_rapt", "{\"on\":false}");
    POST_OK(&emu, "/control/testing_mode", "{\"on\":false}");
    EXPECT_RC(h, authorize(h), GS_GCAL_OK);
    {
        size_t sent = 0, left = 99;
        EXPECT_RC(h, gs_gcal_sync(h, 5000, &sent, &left), GS_GCAL_OK);
        CHECK(sent == 1 && left == 0);
    }
    EXPECT_RC(h, push(h), GS_GCAL_OK);
    CHECK(h_status_str_is(h, "state", "authorized"));
    done(h, dir);
}

static void test_refresh_refusals(void) {
    /* Consent screen left in Testing: dead 7 days after consent (Google's clock). */
    expect_reauth("/control/testing_mode", "{\"on\":true}", "{\"seconds\":608400}", "Testing");
    /* Workspace session control. */
    expect_reauth("/control/require_rapt", "{\"on\":true}", NULL, "session control");
    /* The user removed the app's access. */
    expect_reauth("/control/revoke_grants", "", NULL, "expired or was revoked");
}

/* Re-authorizing the same account keeps the new grant alive: nothing is
   revoked (Google would revoke the user's whole grant to the project). */
static void test_reauthorize_same_account(void) {
    char dir[512];
    gs_gcal *h = fresh(dir, sizeof dir);
    if (h == NULL)
        return;
    EXPECT_RC(h, authorize(h), GS_GCAL_OK);
    EXPECT_RC(h, authorize(h), GS_GCAL_OK);
    CHECK(h_counter(&emu, "revoke") == 0);
    POST_OK(&emu, "/control/expire_tokens", "");
    EXPECT_RC(h, push(h), GS_GCAL_OK);
    done(h, dir);
}

/* Reset revokes at Google; offline it forgets anyway and retries later. */
static void test_reset(void) {
    char dir[512], dead[64];
    gs_gcal *h = fresh(dir, sizeof dir);
    if (h == NULL)
        return;
    EXPECT_RC(h, authorize(h), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_reset(h), GS_GCAL_OK);
    CHECK(h_counter(&emu, "revoke") == 1);
    CHECK(h_status_str_is(h, "state", "configured"));
    CHECK(h_status_int_is(h, "pending_revocations", 0));
    EXPECT_RC(h, push(h), GS_GCAL_QUEUED); /* kept until authorized again */
    if (h_control(&emu, "GET", "/control/grants", NULL, body, sizeof body) == 200) {
        /* No grant left unrevoked. */
        arena a = {0};
        const json *grants = h_json_parse(&a, body), *g;
        int live = 0;
        for (g = grants != NULL && grants->type == JSON_ARRAY ? grants->child : NULL; g != NULL;
             g = g->next)
            live += h_json_bool_is(g, "revoked", 0);
        CHECK(grants != NULL && grants->type == JSON_ARRAY && live == 0);
        arena_free(&a);
    }

    /* Offline: the revocation waits in the state file. */
    EXPECT_RC(h, authorize(h), GS_GCAL_OK);
    snprintf(dead, sizeof dead, "http://127.0.0.1:1/revoke");
    EXPECT_RC(h, gs_gcal_set_option(h, "revoke_endpoint", dead), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_reset(h), GS_GCAL_OK);
    CHECK(h_status_str_is(h, "state", "configured"));
    CHECK(h_status_int_is(h, "pending_revocations", 1));
    /* Google reachable again: the next sync sends it first. */
    EXPECT_RC(h, gs_gcal_set_option(h, "revoke_endpoint", emu.revoke_endpoint), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_sync(h, 5000, NULL, NULL), GS_GCAL_OK);
    CHECK(h_counter(&emu, "revoke") == 2);
    CHECK(h_status_int_is(h, "pending_revocations", 0));
    done(h, dir);
}

/* The device flow, Google's dialect: pending, interval, slow_down, approve. */
static void test_device_flow(void) {
    char dir[512];
    gs_gcal_device_code code;
    char req[256];
    int polls;
    gs_gcal *h = opened(dir, sizeof dir);

    if (h == NULL)
        return;
    EXPECT_RC(h, gs_gcal_device_poll(h), GS_GCAL_NOT_CONFIGURED);
    EXPECT_RC(h, gs_gcal_set_client(h, emu.device_client_id, emu.device_client_secret, ""),
              GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_device_poll(h), GS_GCAL_DEVICE_NOT_STARTED);
    memset(&code, 0, sizeof code);
    EXPECT_RC(h, gs_gcal_device_start(h, &code), GS_GCAL_STRUCT_SIZE);
    code.struct_size = sizeof code;

    /* Google's own 5 s interval: a second poll at once sends nothing. */
    EXPECT_RC(h, gs_gcal_device_start(h, &code), GS_GCAL_OK);
    CHECK(strlen(code.user_code) == 9 && code.user_code[4] == '-');
    CHECK(strcmp(code.verification_url, "https://www.google.com/device") == 0);
    CHECK(code.expires_in == 1800 && code.interval == 5);
    CHECK(h_status_str_is(h, "device.user_code", code.user_code));
    EXPECT_RC(h, gs_gcal_device_poll(h), GS_GCAL_PENDING);
    polls = h_counter(&emu, "token.device");
    CHECK(polls == 1);
    EXPECT_RC(h, gs_gcal_device_poll(h), GS_GCAL_PENDING);
    CHECK(h_counter(&emu, "token.device") == polls);

    /* A device that announces 0 s but enforces 60 s: slow_down adds 5 s. */
    POST_OK(&emu, "/control/device_interval", "{\"announced\":0,\"enforced\":60}");
    EXPECT_RC(h, gs_gcal_device_start(h, &code), GS_GCAL_OK);
    CHECK(code.interval == 0);
    EXPECT_RC(h, gs_gcal_device_poll(h), GS_GCAL_PENDING);
    EXPECT_RC(h, gs_gcal_device_poll(h), GS_GCAL_PENDING); /* slow_down */
    CHECK(h_status_int_is(h, "device.interval", 5));
    polls = h_counter(&emu, "token.device");
    EXPECT_RC(h, gs_gcal_device_poll(h), GS_GCAL_PENDING);
    CHECK(h_counter(&emu, "token.device") == polls);

    /* Approval, polled without waiting. */
    POST_OK(&emu, "/control/device_interval", "{\"announced\":0,\"enforced\":0}");
    EXPECT_RC(h, gs_gcal_device_start(h, &code), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_device_poll(h), GS_GCAL_PENDING);
    snprintf(req, sizeof req, "{\"user_code\":\"%s\",\"decision\":\"allow\"}", code.user_code);
    POST_OK(&emu, "/control/device", req);
    EXPECT_RC(h, gs_gcal_device_poll(h), GS_GCAL_OK);
    CHECK(h_status_str_is(h, "state", "authorized"));
    CHECK(h_status_str_is(h, "account", emu.account));
    CHECK(h_status_is_null(h, "device"));
    EXPECT_RC(h, push(h), GS_GCAL_OK);

    /* Denied, and expired (the emulator's clock moves past 30 minutes). */
    EXPECT_RC(h, gs_gcal_device_start(h, &code), GS_GCAL_OK);
    snprintf(req, sizeof req, "{\"user_code\":\"%s\",\"decision\":\"deny\"}", code.user_code);
    POST_OK(&emu, "/control/device", req);
    EXPECT_RC(h, gs_gcal_device_poll(h), GS_GCAL_ACCESS_DENIED);
    EXPECT_RC(h, gs_gcal_device_poll(h), GS_GCAL_DEVICE_NOT_STARTED);
    EXPECT_RC(h, gs_gcal_device_start(h, &code), GS_GCAL_OK);
    POST_OK(&emu, "/control/advance_clock", "{\"seconds\":1801}");
    EXPECT_RC(h, gs_gcal_device_poll(h), GS_GCAL_DEVICE_CODE_EXPIRED);
    /* A new start replaces the expired code without reopening. */
    EXPECT_RC(h, gs_gcal_device_start(h, &code), GS_GCAL_OK);

    /* Google's documented device-flow scope list excludes Calendar. */
    POST_OK(&emu, "/control/device_strict_scopes", "{\"on\":true}");
    EXPECT_RC(h, gs_gcal_device_start(h, &code), GS_GCAL_INVALID_SCOPE);
    CHECK(last_error_has(h, "Web application"));
    /* A Web client at the device endpoint. */
    EXPECT_RC(h, gs_gcal_set_client(h, emu.client_id, emu.client_secret, emu.redirect_uri),
              GS_GCAL_OK);
    POST_OK(&emu, "/control/device_strict_scopes", "{\"on\":false}");
    EXPECT_RC(h, gs_gcal_device_start(h, &code), GS_GCAL_INVALID_CLIENT);
    CHECK(last_error_has(h, "TVs and Limited Input devices"));
    done(h, dir);
}

/* Backup and restore: the restored PBX is authorized; a wrong passphrase
   or a modified blob changes nothing. */
static void test_backup(void) {
    static char blob[16384], bad[16384];
    char dir[512], dir2[512];
    size_t needed = 0;
    gs_gcal *h = fresh(dir, sizeof dir), *r = NULL;
    if (h == NULL)
        return;
    EXPECT_RC(h, authorize(h), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_export(h, "short", blob, sizeof blob, &needed),
              GS_GCAL_INVALID_ARGUMENT);
    EXPECT_RC(h, gs_gcal_export(h, "correct horse battery", NULL, 0, &needed),
              GS_GCAL_BUFFER_TOO_SMALL);
    CHECK(needed > 100 && needed < sizeof blob);
    EXPECT_RC(h, gs_gcal_export(h, "correct horse battery", blob, sizeof blob, NULL), GS_GCAL_OK);
    CHECK(strncmp(blob, "gsgcal-backup-v1:", 17) == 0);
    CHECK(strstr(blob, emu.client_secret) == NULL);

    h_tempdir(dir2, sizeof dir2);
    EXPECT_RC(NULL, gs_gcal_open(dir2, &r), GS_GCAL_OK);
    if (r == NULL)
        goto out;
    h_use_emulator(r, &emu);
    EXPECT_RC(r, gs_gcal_import(r, "wrong horse battery", blob), GS_GCAL_BACKUP_UNAUTHENTIC);
    memcpy(bad, blob, sizeof bad);
    bad[40] = bad[40] == 'A' ? 'B' : 'A';
    EXPECT_RC(r, gs_gcal_import(r, "correct horse battery", bad), GS_GCAL_BACKUP_UNAUTHENTIC);
    EXPECT_RC(r, gs_gcal_import(r, "correct horse battery", "not a backup"),
              GS_GCAL_BACKUP_MALFORMED);
    CHECK(h_status_str_is(r, "state", "unconfigured"));
    EXPECT_RC(r, gs_gcal_import(r, "correct horse battery", blob), GS_GCAL_OK);
    CHECK(h_status_str_is(r, "state", "authorized"));
    CHECK(h_status_str_is(r, "account", emu.account));
    EXPECT_RC(r, push(r), GS_GCAL_OK);
out:
    gs_gcal_close(r);
    h_rmdir(dir2);
    done(h, dir);
}

int main(void) {
    h_emulator(&emu);
    test_link_options();
    test_unticked_scope();
    test_minimal_token_answer();
    test_basic_only_token_endpoint();
    test_basic_only_device_flow();
    test_code_reuse();
    test_client_refusals();
    test_refresh_refusals();
    test_reauthorize_same_account();
    test_reset();
    test_device_flow();
    test_backup();
    return h_finish("test_auth");
}
