/* gcalctl commands: set-client, auth-url, authorize, device-login, reset. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static gs_gcal_result fill_auth_url(gs_gcal *h, const void *arg, char *buf, size_t len,
                                    size_t *needed) {
    (void)arg;
    return gs_gcal_auth_url(h, buf, len, needed);
}

/* set-client CLIENT_ID SECRET|- [REDIRECT_URI] */
int cmd_set_client(cli *c, int argc, char **argv) {
    char secret[MAX_LINE];
    const char *redirect = argc > 2 ? argv[2] : "";
    gs_gcal_result rc;
    int code;
    if (argc < 2 || argc > 3)
        return usage_error(c, "usage: set-client CLIENT_ID SECRET|- [REDIRECT_URI]");
    if (strcmp(argv[1], "-") == 0) {
        read_result r = read_line("Client secret: ", true, secret, sizeof secret);
        if (r != READ_OK)
            return read_failure(c, r, "client secret");
    } else {
        if (strlen(argv[1]) >= sizeof secret)
            return usage_error(c, "the client secret is too long");
        snprintf(secret, sizeof secret, "%s", argv[1]);
        fputs(PROG ": note: a secret on the command line shows in ps and shell history; "
                   "give '-' to read it from standard input\n",
              stderr);
    }
    if ((code = open_handle(c, true, false, NULL)) != EXIT_DONE)
        goto cleanup;
    rc = gs_gcal_set_client(c->h, argv[0], secret, redirect);
    if (rc != GS_GCAL_OK) {
        code = fail(c, rc, "saving the OAuth client");
        goto cleanup;
    }
    if (c->json) {
        out_str(c, "client_id", argv[0]);
        out_str(c, "redirect_uri", redirect[0] ? redirect : NULL);
        out_str(c, "flow", redirect[0] ? "web" : "device");
    } else {
        printf("OAuth client %s saved (%s).\n", argv[0],
               redirect[0] ? "Web application" : "TVs and Limited Input devices");
        if (redirect[0])
            printf("Next: %s %s auth-url\n", PROG, c->state_dir);
        else
            printf("Next: %s %s device-login\n", PROG, c->state_dir);
    }
cleanup:
    wipe(secret, sizeof secret);
    return code;
}

/* auth-url: the link only on stdout, so that $(gcalctl DIR auth-url) works. */
int cmd_auth_url(cli *c, int argc, char **argv) {
    char *url = NULL;
    gs_gcal_result rc;
    int code;
    (void)argv;
    if (argc != 0)
        return usage_error(c, "usage: auth-url");
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        return code;
    if ((rc = fetch_text(c->h, fill_auth_url, NULL, &url)) != GS_GCAL_OK)
        return fail(c, rc, "making the authorization link");
    if (c->json) {
        out_str(c, "url", url);
    } else {
        puts(url);
        if (isatty(STDOUT_FILENO))
            fprintf(stderr,
                    "Open the link, sign in and allow access; then paste the address the "
                    "browser lands on:\n  %s %s authorize 'ADDRESS'   (or: authorize - to "
                    "paste it on standard input)\n",
                    PROG, c->state_dir);
    }
    free(url);
    return EXIT_DONE;
}

/* After a successful authorization: who it is. */
void report_authorized(cli *c) {
    arena a = {0};
    char *text = NULL;
    const json *st = get_status(c, &a, &text);
    const char *account = json_str(st, "account");
    if (c->json) {
        out_str(c, "state", json_str(st, "state"));
        out_str(c, "account", account);
    } else {
        printf("Authorized%s%s.\n", account ? " as " : "", account ? account : "");
    }
    free(text);
    arena_free(&a);
}

/* authorize CODE|URL|-: the code, or the whole redirect address; '-' reads
   it from stdin (keeps the single-use code out of ps). Never echoed. */
int cmd_authorize(cli *c, int argc, char **argv) {
    char pasted[MAX_LINE];
    gs_gcal_result rc;
    int code;
    if (argc != 1)
        return usage_error(c, "usage: authorize CODE|ADDRESS|-");
    if (strcmp(argv[0], "-") == 0) {
        read_result r = read_line("Code or address: ", false, pasted, sizeof pasted);
        if (r != READ_OK)
            return read_failure(c, r, "code or address");
    } else {
        if (strlen(argv[0]) >= sizeof pasted)
            return usage_error(c, "the code or address is too long");
        snprintf(pasted, sizeof pasted, "%s", argv[0]);
    }
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        goto cleanup;
    if ((rc = gs_gcal_authorize(c->h, pasted)) != GS_GCAL_OK) {
        code = fail(c, rc, "authorizing");
        goto cleanup;
    }
    report_authorized(c);
cleanup:
    wipe(pasted, sizeof pasted);
    return code;
}

/* The device flow's current poll interval: it grows on Google's slow_down. */
static long device_interval(cli *c, long fallback) {
    arena a = {0};
    char *text = NULL;
    long long v = json_int(json_get(get_status(c, &a, &text), "device"), "interval", fallback);
    free(text);
    arena_free(&a);
    return (long)v;
}

/* Waits `seconds` before the next poll, showing how long the code stays
   valid: a live countdown on a terminal, a line a minute otherwise. */
static void wait_for_approval(double seconds, double deadline) {
    const bool tty = isatty(STDERR_FILENO);
    static double last_line;
    double until = monotonic_seconds() + seconds, now;
    while (!interrupted && (now = monotonic_seconds()) < until) {
        long left = (long)(deadline - now);
        if (left < 0)
            left = 0;
        if (tty) {
            fprintf(stderr, "\rWaiting for approval... the code expires in %ld:%02ld ", left / 60,
                    left % 60);
            fflush(stderr);
        } else if (now - last_line >= 60 || last_line == 0) {
            fprintf(stderr, "Waiting for approval (the code expires in %ld min %ld s)\n",
                    left / 60, left % 60);
            last_line = now;
        }
        /* Wake at the next whole second of the countdown, or at `until`. */
        nap(until - now < 1 ? until - now : 1 - ((now - (double)(long)now)));
    }
    if (tty)
        fputs("\r\033[K", stderr);
}

/* device-login: start the device flow, show the code, poll until the admin
   approves or denies, or the code expires. Ctrl-C stops it cleanly. */
int cmd_device_login(cli *c, int argc, char **argv) {
    gs_gcal_device_code dc;
    gs_gcal_result rc;
    FILE *o = human(c);
    double deadline;
    long interval;
    int code;
    (void)argv;
    if (argc != 0)
        return usage_error(c, "usage: device-login");
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        return code;
    memset(&dc, 0, sizeof dc);
    dc.struct_size = sizeof dc;
    if ((rc = gs_gcal_device_start(c->h, &dc)) != GS_GCAL_OK)
        return fail(c, rc, "starting the device authorization");
    deadline = monotonic_seconds() + dc.expires_in;
    fprintf(o, "On any device, open %s and enter the code:\n", dc.verification_url);
    fprintf(o, "Code: %s\n", dc.user_code);
    fprintf(o, "(valid %u min)\n", dc.expires_in / 60);
    fflush(o); /* a script may be reading our output through a pipe */
    interval = dc.interval;
    for (;;) {
        /* Google's interval between polls (at least 1 s: never spin). */
        wait_for_approval(interval < 1 ? 1 : (double)interval, deadline);
        if (interrupted)
            return fail_plain(c, EXIT_INTERRUPTED,
                              "interrupted: not authorized; run device-login again for a new code");
        rc = gs_gcal_device_poll(c->h);
        if (rc == GS_GCAL_OK)
            break;
        if (rc != GS_GCAL_PENDING)
            return fail(c, rc, "device authorization");
        if (monotonic_seconds() > deadline + interval + 5)
            return fail_plain(c, EXIT_FAILED, "device authorization: the code expired; run "
                                              "device-login again for a new one");
        interval = device_interval(c, interval);
    }
    if (c->json)
        out_str(c, "verification_url", dc.verification_url);
    report_authorized(c);
    return EXIT_DONE;
}
/* reset: revoke at Google and forget the tokens (kept as pending when offline). */
int cmd_reset(cli *c, int argc, char **argv) {
    arena a = {0};
    char *text = NULL;
    const json *st;
    long long pending;
    gs_gcal_result rc;
    int code;
    (void)argv;
    if (argc != 0)
        return usage_error(c, "usage: reset");
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        return code;
    if ((rc = gs_gcal_reset(c->h)) != GS_GCAL_OK)
        return fail(c, rc, "reset");
    st = get_status(c, &a, &text);
    pending = json_int(st, "pending_revocations", 0);
    if (c->json) {
        out_str(c, "state", json_str(st, "state"));
        out_int(c, "pending_revocations", pending);
    } else if (pending > 0) {
        printf("Authorization forgotten; Google could not be reached, the revocation is sent "
               "with the next request (%lld waiting).\n",
               pending);
    } else {
        printf("Authorization revoked at Google and forgotten; the OAuth client stays.\n");
    }
    free(text);
    arena_free(&a);
    return EXIT_DONE;
}

