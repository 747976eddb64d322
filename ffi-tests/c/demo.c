/*
 * The seed scenario, as the PBX administrator lives it, against the Google
 * emulator: enter the OAuth client, get the authorization link, allow
 * access, paste the address back, see "Authorized", schedule
 * "Weekly_Meeting" with "Sync to Google Calendar", and see the event as
 * Google stores it. Also the reference example of the C API.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "gs_gcal.h"
#include "harness.h"
#include "seed_meeting.h"

/* Prints a call's failure the way the PBX page would, and says whether it failed. */
static int failed(gs_gcal *h, gs_gcal_result rc, const char *action) {
    char detail[GS_GCAL_ERROR_SIZE] = "";
    if (rc == GS_GCAL_OK)
        return 0;
    if (h != NULL && gs_gcal_last_error(h, detail, sizeof detail) != GS_GCAL_OK)
        detail[0] = '\0';
    printf("  !! %s failed: %s (%d)\n     %s\n", action, gs_gcal_strerror(rc), (int)rc, detail);
    return 1;
}

/* Indents compact JSON for reading (strings are copied verbatim). */
static void print_json(const char *s, int indent) {
    int depth = 0, in_str = 0;
    printf("%*s", indent, "");
    for (; *s; s++) {
        char c = *s;
        if (in_str) {
            putchar(c);
            if (c == '\\' && s[1]) {
                putchar(*++s);
            } else if (c == '"') {
                in_str = 0;
            }
        } else if (c == '"') {
            in_str = 1;
            putchar(c);
        } else if (c == '{' || c == '[') {
            if (s[1] == (c == '{' ? '}' : ']')) {
                printf("%c%c", c, s[1]);
                s++;
                continue;
            }
            printf("%c\n%*s", c, indent + 2 * ++depth, "");
        } else if (c == '}' || c == ']') {
            printf("\n%*s%c", indent + 2 * --depth, "", c);
        } else if (c == ',') {
            printf(",\n%*s", indent + 2 * depth, "");
        } else if (c == ':') {
            printf(": ");
        } else {
            putchar(c);
        }
    }
    putchar('\n');
}

/* The redirect address with the code hidden: a code is a secret. */
static void print_redacted(const char *url) {
    const char *code = strstr(url, "code=");
    const char *end = code ? strchr(code, '&') : NULL;
    if (code == NULL) {
        printf("  %s\n", url);
        return;
    }
    printf("  %.*scode=<redacted>%s\n", (int)(code - url), url, end ? end : "");
}

int main(void) {
    static char events[1 << 16];
    emulator emu;
    gs_gcal *h = NULL;
    char dir[512], url[2048], redirect[2048], status[4096], account[256];
    char event_id[GS_GCAL_EVENT_ID_SIZE];
    size_t skipped[4], nskipped = 0, i;
    int rc = 1;
    gs_gcal_meeting m;

    h_emulator(&emu);
    h_tempdir(dir, sizeof dir);

    printf("== Google Services (Google emulated at %s) ==\n", emu.token_endpoint);
    if (failed(NULL, gs_gcal_open(dir, &h), "open"))
        goto cleanup;
    /* Point the library at the emulator instead of accounts.google.com. */
    if (failed(h, gs_gcal_set_option(h, "auth_endpoint", emu.auth_endpoint), "set_option") ||
        failed(h, gs_gcal_set_option(h, "token_endpoint", emu.token_endpoint), "set_option") ||
        failed(h, gs_gcal_set_option(h, "calendar_api_base", emu.calendar_api_base),
               "set_option") ||
        failed(h, gs_gcal_set_option(h, "ca_file", emu.ca_file), "set_option"))
        goto cleanup;

    printf("Client ID:     %s\nClient secret: ********\nRedirect URI:  %s\n", emu.client_id,
           emu.redirect_uri);
    if (failed(h, gs_gcal_set_client(h, emu.client_id, emu.client_secret, emu.redirect_uri),
               "Save"))
        goto cleanup;

    printf("\n[Get Authorization Code] Open this link, sign in and allow access:\n");
    if (failed(h, gs_gcal_auth_url(h, url, sizeof url, NULL), "Get Authorization Code"))
        goto cleanup;
    printf("  %s\n", url);

    printf("\nThe administrator signs in as %s and clicks Allow.\n", emu.account);
    if (h_consent(&emu, url, "allow", redirect, sizeof redirect) != 0) {
        printf("  !! the emulator's consent page refused the link\n");
        goto cleanup;
    }
    printf("The browser lands on the redirect URI; its address is pasted into the PBX:\n");
    print_redacted(redirect);
    if (failed(h, gs_gcal_authorize(h, redirect), "Authorize"))
        goto cleanup;
    if (failed(h, gs_gcal_status_json(h, status, sizeof status, NULL), "status") ||
        h_json_string(status, "account", account, sizeof account) != 0)
        goto cleanup;
    printf("\nAuthorized \xe2\x80\x94 account %s\n", account);
    printf("Status: %s\n", status);

    printf("\n== Schedule Meeting ==\n");
    seed_meeting(&m, "6300-0001");
    printf("Subject:          %s\n", m.subject);
    printf("Date:             2024-04-29  10:00 - 11:00   Time zone: %s (UTC+01:00)\n",
           m.time_zone);
    printf("Meeting room:     %s\n", m.room);
    printf("Host:             %s <%s>\n", m.host.name, m.host.email);
    printf("Invitees:        ");
    for (i = 0; i < m.invitee_count; i++)
        printf(" %s%s%s%s", m.invitees[i].name, m.invitees[i].email ? " <" : " (no e-mail)",
               m.invitees[i].email ? m.invitees[i].email : "", m.invitees[i].email ? ">" : "");
    printf("\nE-mail reminder:  %u minutes before\nAgenda:           %s\n",
           (unsigned)m.email_reminder_minutes, m.agenda);
    printf("Sync to Google Calendar: yes\n");

    if (failed(h, h_push(h, &m, event_id, skipped, 4, &nskipped),
               "Sync to Google Calendar"))
        goto cleanup;
    printf("\nSynced to Google Calendar: event %s\n", event_id);
    if (nskipped > 0) {
        printf("Not invited (no e-mail address):");
        for (i = 0; i < nskipped; i++)
            printf(" %s", m.invitees[skipped[i]].name);
        printf("\n");
    }

    printf("\nSaving it again (as the PBX does on every edit) updates the same event:\n");
    if (failed(h, h_push(h, &m, event_id, NULL, 0, NULL),
               "Sync to Google Calendar"))
        goto cleanup;
    printf("  event %s\n", event_id);

    printf("\n== The calendar as the emulated Google stores it ==\n");
    if (h_control(&emu, "GET", "/control/events", NULL, events, sizeof events) != 200)
        goto cleanup;
    print_json(events, 0);
    rc = 0;

cleanup:
    gs_gcal_close(h);
    h_rmdir(dir);
    return rc;
}
