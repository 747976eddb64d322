/* gcalctl command: status. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* status: a summary for people; --json embeds the library's document. */
const char *state_words(const char *state) {
    if (state == NULL)
        return "unknown";
    if (strcmp(state, "unconfigured") == 0)
        return "Not configured (set-client)";
    if (strcmp(state, "configured") == 0)
        return "Configured, not authorized (auth-url + authorize, or device-login)";
    if (strcmp(state, "authorized") == 0)
        return "Authorized";
    if (strcmp(state, "reauth_required") == 0)
        return "Re-authorization required";
    return state;
}

static void print_health(const json *health) {
    const json *failure = json_get(health, "last_failure"), *parked = json_get(health, "parked"),
               *p;
    long long depth = json_int(health, "outbox_depth", 0);
    char d1[32], d2[32];
    if (depth == 0) {
        printf("Outbox:        empty\n");
    } else {
        format_duration(json_int(health, "outbox_oldest_age", 0), d1, sizeof d1);
        format_duration(json_int(health, "next_attempt_in", 0), d2, sizeof d2);
        printf("Outbox:        %lld waiting, oldest %s, next attempt in %s\n", depth, d1, d2);
    }
    if (json_str(health, "last_success_at"))
        printf("Last success:  %s\n", json_str(health, "last_success_at"));
    if (failure != NULL && failure->type == JSON_OBJECT)
        printf("Last failure:  %s (%s, %lld): %s\n", json_text(failure, "at"),
               json_text(failure, "class"), json_int(failure, "code", 0),
               json_text(failure, "message"));
    if (json_str(health, "circuit") && strcmp(json_str(health, "circuit"), "closed") != 0)
        printf("Connection:    %s%s%s\n", json_str(health, "circuit"),
               json_str(health, "circuit_open_until") ? ", paused until " : "",
               json_str(health, "circuit_open_until") ? json_str(health, "circuit_open_until")
                                                      : "");
    if (json_str(health, "quota_pause_until"))
        printf("Quota pause:   writes paused until %s\n", json_str(health, "quota_pause_until"));
    if (parked != NULL && parked->type == JSON_ARRAY && parked->count > 0) {
        printf("Parked:        %zu operation(s) Google refused for good (not retried):\n",
               parked->count);
        for (p = parked->child; p != NULL; p = p->next)
            printf("                 %s %s%s%s: %s\n", json_text(p, "op"),
                   json_text(p, "meeting_id"), json_str(p, "occurrence") ? " occurrence " : "",
                   json_text(p, "occurrence"), json_text(p, "message"));
    }
}

int cmd_status(cli *c, int argc, char **argv) {
    arena a = {0};
    char *text = NULL, d[32];
    const json *st, *v;
    size_t i;
    int code;
    (void)argv;
    if (argc != 0)
        return usage_error(c, "usage: status");
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        return code;
    st = get_status(c, &a, &text);
    if (st == NULL) {
        code = fail_plain(c, EXIT_FAILED, "reading the status: not readable");
        goto cleanup;
    }
    if (c->json) {
        out_raw(c, "status", text);
        out_key(c, "options");
        sb_puts(&c->out, "{");
        for (i = 0; i < c->option_count; i++) {
            if (i > 0)
                sb_puts(&c->out, ",");
            sb_json_str(&c->out, c->options[i].key);
            sb_puts(&c->out, ":");
            sb_json_str(&c->out, shown_value(&c->options[i]));
        }
        sb_puts(&c->out, "}");
        goto cleanup;
    }
    printf("State:         %s\n", state_words(json_str(st, "state")));
    if (json_str(st, "mode") && strcmp(json_str(st, "mode"), "workspace") == 0) {
        const json *w = json_get(st, "workspace");
        printf("Mode:          Workspace (service account %s)\n", json_text(w, "service_account"));
        printf("Default user:  %s\n", json_text(w, "default_subject"));
        printf("Delegation:    client ID %s, scopes %s\n", json_text(w, "client_id"),
               json_text(w, "delegation_scopes"));
    } else {
        printf("Mode:          OAuth user\n");
    }
    if (json_str(st, "account"))
        printf("Account:       %s\n", json_str(st, "account"));
    if (json_str(st, "reauth_reason"))
        printf("Action needed: %s\n", json_str(st, "reauth_reason"));
    if (json_str(st, "client_id")) {
        const char *redirect = json_str(st, "redirect_uri");
        printf("Client ID:     %s\n", json_str(st, "client_id"));
        if (redirect != NULL && redirect[0] != '\0')
            printf("Redirect URI:  %s (Web application)\n", redirect);
        else
            printf("Client type:   TVs and Limited Input devices (device-login)\n");
    }
    printf("Calendar:      %s\n", json_str(st, "calendar_id") ? json_str(st, "calendar_id") : "");
    if ((v = json_get(st, "access_token_expires_in")) != NULL && v->type == JSON_NUMBER) {
        format_duration(json_int(st, "access_token_expires_in", 0), d, sizeof d);
        printf("Access token:  valid %s (renewed automatically)\n", d);
    }
    if (json_str(st, "authorized_at"))
        printf("Authorized at: %s\n", json_str(st, "authorized_at"));
    if (json_str(st, "last_refresh_at"))
        printf("Last refresh:  %s\n", json_str(st, "last_refresh_at"));
    if (json_int(st, "pending_revocations", 0) > 0)
        printf("Revocations:   %lld waiting for Google to be reachable\n",
               json_int(st, "pending_revocations", 0));
    if ((v = json_get(st, "device")) != NULL && v->type == JSON_OBJECT)
        printf("Device login:  code %s at %s, %lld s left\n", json_text(v, "user_code"),
               json_text(v, "verification_url"), json_int(v, "expires_in", 0));
    print_health(json_get(st, "health"));
    if ((v = json_get(st, "last_error")) != NULL && v->type == JSON_OBJECT)
        printf("Last error:    %s (%lld)\n", json_text(v, "message"), json_int(v, "code", 0));
    for (i = 0; i < c->option_count; i++)
        printf("%s %s=%s\n", i == 0 ? "Options:      " : "              ", c->options[i].key,
               shown_value(&c->options[i]));
    printf("Library:       %s\n", gs_gcal_version());
cleanup:
    free(text);
    arena_free(&a);
    return code;
}

