/*
 * gcalctl - administer a gs-gcal Google Calendar integration from a shell.
 *
 *   gcalctl [OPTIONS] STATE_DIR COMMAND [ARGS]
 *
 * Built on the public C API only (include/gs_gcal.h), this is also the
 * reference example of using it: open a handle on a state directory, set
 * the options (they are not persisted by the library), call, report
 * failures with gs_gcal_strerror() and gs_gcal_last_error(), close. See
 * docs/gcalctl.md for every command, the meeting JSON schema, the --json
 * shapes and the exit codes; cli.h for the files of the program.
 *
 * This file: the global options, the command table, --help, main.
 *
 * Secrets (client secret, codes, tokens, passphrases) are never printed,
 * never taken from argv where avoidable, and wiped from memory after use.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Set by SIGINT/SIGTERM; long waits check it. The handler is reset after the
   first signal, so a second Ctrl-C ends the program at once (the library's
   state and outbox survive being killed at any moment). */
volatile sig_atomic_t interrupted;

static void on_signal(int sig) {
    (void)sig;
    interrupted = 1;
}

/* ------------------------------------------------------------------------ */
/* main                                                                     */
/* ------------------------------------------------------------------------ */

static const char usage_text[] =
    "usage: " PROG " [OPTIONS] STATE_DIR COMMAND [ARGS]\n"
    "\n"
    "Administers the gs-gcal Google Calendar integration kept in STATE_DIR.\n"
    "\n"
    "Set up and authorize:\n"
    "  set-client CLIENT_ID SECRET|- [REDIRECT_URI]\n"
    "  set-service-account KEY.json|- --subject EMAIL  Workspace mode (service account)\n"
    "                       store the OAuth client ('-': read the secret from stdin;\n"
    "                       no REDIRECT_URI for a TVs and Limited Input client)\n"
    "  auth-url             print the authorization link to open (Web client)\n"
    "  authorize CODE|ADDRESS|-\n"
    "                       redeem the code, or the whole address the browser landed on\n"
    "  device-login         show a code to enter at Google's device page; wait for approval\n"
    "  status               state, account, outbox health (--json: the status document)\n"
    "  reset                revoke the authorization at Google and forget it\n"
    "  export FILE|-        write the integration sealed with a passphrase (backup)\n"
    "  import FILE|-        restore such a backup\n"
    "  set-option KEY VALUE store an option for every later command (--unset KEY)\n"
    "\n"
    "Meetings:\n"
    "  push MEETING.json|-  create or update a meeting's event (schema: docs/gcalctl.md)\n"
    "  cancel MEETING_ID [OCCURRENCE TIME_ZONE]\n"
    "                       delete a meeting's event, or one occurrence\n"
    "  sync [BUDGET_MS]     send what waits in the outbox now (default 30000 ms)\n"
    "\n"
    "Reading the calendar:\n"
    "  calendars            calendars the account can see\n"
    "  events FROM TO [CALENDAR]\n"
    "                       events in a window; FROM/TO are YYYY-MM-DD (TO inclusive)\n"
    "                       or RFC 3339\n"
    "  sync-events          update the local copy of read_calendars; report drift\n"
    "  busy [TIME [CALENDAR]]\n"
    "                       presence at TIME (default now; YYYY-MM-DD, RFC 3339, @SECONDS)\n"
    "  presence EMAIL...    the extensions' free/busy now (freebusy.query)\n"
    "  replies MEETING_ID   each invitee's answer to a pushed meeting\n"
    "\n"
    "Checking what Google accepts:\n"
    "  probe                throw-away meetings settle Google's undocumented corners (time\n"
    "                       zones, occurrence ids, device-flow scopes); all deleted again;\n"
    "                       prints a report for a bug report\n"
    "\n"
    "Options (before STATE_DIR):\n"
    "  --emulator[=FILE]    use the Google emulator: its startup line from FILE or from\n"
    "                       $GS_GCAL_EMULATOR sets the endpoints and the CA\n"
    "  --json               print one JSON object on stdout\n"
    "  -v, --verbose        the library's log on stderr (-vv: debug)\n"
    "  --timeout MS         longest time a network request may take\n"
    "  -h, --help           this help;  --version: versions\n"
    "\n"
    "Secrets are never taken from options: the client secret with '-' from stdin,\n"
    "backup passphrases from $GCALCTL_PASSPHRASE, a prompt without echo, or stdin.\n"
    "\n"
    "Exit status:\n"
    "  0    done\n"
    "  1    the operation failed (Google refused it, network, wrong code, ...)\n"
    "  2    usage error or invalid input (command line, meeting file, values)\n"
    "  3    queued: stored durably, 'sync' sends it when Google can be reached\n"
    "  4    not configured or not authorized: set-client, then authorize\n"
    "       (a push or cancel is stored and waits for that)\n"
    "  5    local error: state directory (missing, locked, damaged) or a file\n"
    "  130  interrupted (Ctrl-C)\n";

typedef struct command {
    const char *name;
    int (*run)(cli *c, int argc, char **argv);
} command;

static const command commands[] = {
    {"set-client", cmd_set_client},   {"auth-url", cmd_auth_url},
    {"authorize", cmd_authorize},     {"device-login", cmd_device_login},
    {"status", cmd_status},           {"reset", cmd_reset},
    {"export", cmd_export},           {"import", cmd_import},
    {"set-option", cmd_set_option},   {"push", cmd_push},
    {"cancel", cmd_cancel},           {"sync", cmd_sync},
    {"calendars", cmd_calendars},     {"events", cmd_events},
    {"sync-events", cmd_sync_events}, {"busy", cmd_busy},
    {"set-service-account", cmd_set_service_account},
    {"presence", cmd_presence},       {"replies", cmd_replies},
    {"probe", cmd_probe},
};

/* Parses the global options; returns the index of STATE_DIR, or -1 after
   printing help or the version (exit 0), or -2 on a usage error. */
static int parse_global_options(cli *c, int argc, char **argv) {
    int i;
    for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            return i + 1;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_text, stdout);
            return -1;
        }
        if (strcmp(a, "--version") == 0) {
            printf(PROG " %d.%d.%d\n%s\n", GS_GCAL_VERSION_MAJOR, GS_GCAL_VERSION_MINOR,
                   GS_GCAL_VERSION_PATCH, gs_gcal_version());
            return -1;
        }
        if (strcmp(a, "--json") == 0) {
            c->json = true;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            c->verbose++;
        } else if (strcmp(a, "-vv") == 0) {
            c->verbose += 2;
        } else if (strcmp(a, "--emulator") == 0) {
            c->emulator = true;
        } else if (strncmp(a, "--emulator=", 11) == 0 && a[11] != '\0') {
            c->emulator = true;
            c->emulator_file = a + 11;
        } else if (strcmp(a, "--timeout") == 0 || strncmp(a, "--timeout=", 10) == 0) {
            const char *v = a[9] == '=' ? a + 10 : (i + 1 < argc ? argv[++i] : "");
            char *end;
            errno = 0;
            c->timeout_ms = strtol(v, &end, 10);
            if (errno != 0 || end == v || *end != '\0' || c->timeout_ms < 1 ||
                c->timeout_ms > 600000) {
                usage_error(c, "--timeout takes milliseconds, 1 to 600000");
                return -2;
            }
        } else {
            usage_error(c, "unknown option %s", a);
            return -2;
        }
    }
    return i;
}

int main(int argc, char **argv) {
    cli c;
    struct sigaction sa, old;
    const command *cmd = NULL;
    int first, code;
    size_t i;

    memset(&c, 0, sizeof c);
    c.command = "";
    c.err_code = -1;
    first = parse_global_options(&c, argc, argv);
    if (first == -1)
        return EXIT_DONE;
    if (first == -2) {
        code = EXIT_USAGE;
        goto cleanup;
    }
    if (argc - first < 2) {
        code = usage_error(&c, argc - first == 1 ? "missing COMMAND after STATE_DIR"
                                                 : "missing STATE_DIR and COMMAND");
        goto cleanup;
    }
    c.state_dir = argv[first];
    c.command = argv[first + 1];
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, c.command) == 0)
            cmd = &commands[i];
    if (cmd == NULL) {
        code = usage_error(&c, "unknown command \"%s\"", c.command);
        goto cleanup;
    }
    if (c.emulator && c.emulator_file == NULL &&
        (getenv("GS_GCAL_EMULATOR") == NULL || getenv("GS_GCAL_EMULATOR")[0] == '\0')) {
        code = usage_error(&c, "--emulator: GS_GCAL_EMULATOR is not set (give the emulator's "
                               "startup line there, or --emulator=FILE)");
        goto cleanup;
    }

    /* Ctrl-C and SIGTERM: let waits end cleanly (no SA_RESTART, so they
       wake up); a second one terminates at once (SA_RESETHAND). A SIGINT
       ignored from the start (a background job) stays ignored. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, NULL, &old) == 0 && old.sa_handler != SIG_IGN)
        sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    enable_library_log(c.verbose);
    code = cmd->run(&c, argc - first - 2, argv + first + 2);

cleanup:
    if (c.json)
        print_json_result(&c, code);
    gs_gcal_close(c.h); /* NULL is fine */
    for (i = 0; i < c.option_count; i++) {
        free(c.options[i].key);
        free(c.options[i].value);
    }
    sb_free(&c.out);
    return code;
}
