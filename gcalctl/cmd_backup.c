/* gcalctl commands: export and import (sealed backups). */
#include "cli.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static gs_gcal_result fill_export(gs_gcal *h, const void *arg, char *buf, size_t len,
                                  size_t *needed) {
    return gs_gcal_export(h, (const char *)arg, buf, len, needed);
}

/* export FILE|-: the sealed backup (one line). */
int cmd_export(cli *c, int argc, char **argv) {
    char pass[MAX_LINE], *blob = NULL;
    gs_gcal_result rc;
    strbuf line = {0};
    int code, err;
    if (argc != 1)
        return usage_error(c, "usage: export FILE|-");
    if (c->json && strcmp(argv[0], "-") == 0)
        return usage_error(c, "export -: --json owns standard output; give a file");
    if ((code = get_passphrase(c, true, false, pass, sizeof pass)) != EXIT_DONE)
        return code;
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        goto cleanup;
    if ((rc = fetch_text(c->h, fill_export, pass, &blob)) != GS_GCAL_OK) {
        code = fail(c, rc, "export");
        goto cleanup;
    }
    sb_puts(&line, blob);
    sb_puts(&line, "\n");
    if ((err = write_file_atomic(argv[0], line.data)) != 0) {
        code = fail_plain(c, EXIT_LOCAL, "writing %s: %s", argv[0], strerror(err));
        goto cleanup;
    }
    if (c->json) {
        out_str(c, "file", argv[0]);
        out_int(c, "bytes", (long long)strlen(blob));
    } else if (strcmp(argv[0], "-") != 0) {
        printf("Backup written to %s (sealed with the passphrase; keep both).\n", argv[0]);
    }
cleanup:
    wipe(pass, sizeof pass);
    free(blob);
    sb_free(&line);
    return code;
}

/* import FILE|-: restore a backup; a wrong passphrase changes nothing. */
int cmd_import(cli *c, int argc, char **argv) {
    char pass[MAX_LINE], *blob = NULL;
    size_t len;
    gs_gcal_result rc;
    int code, err;
    if (argc != 1)
        return usage_error(c, "usage: import FILE|-");
    if ((err = read_file(argv[0], &blob, &len)) != 0)
        return fail_plain(c, EXIT_LOCAL, "reading %s: %s", argv[0], strerror(err));
    while (len > 0 && isspace((unsigned char)blob[len - 1]))
        blob[--len] = '\0';
    if ((code = get_passphrase(c, false, strcmp(argv[0], "-") == 0, pass, sizeof pass)) !=
        EXIT_DONE)
        goto cleanup;
    if ((code = open_handle(c, true, false, NULL)) != EXIT_DONE)
        goto cleanup;
    if ((rc = gs_gcal_import(c->h, pass, blob)) != GS_GCAL_OK) {
        code = fail(c, rc, "import from %s", argv[0]);
        goto cleanup;
    }
    if (c->json) {
        out_str(c, "file", argv[0]);
        report_authorized(c);
    } else {
        arena a = {0};
        char *text = NULL;
        const json *st = get_status(c, &a, &text);
        printf("Backup restored: %s%s%s.\n", state_words(json_str(st, "state")),
               json_str(st, "account") ? " as " : "",
               json_str(st, "account") ? json_str(st, "account") : "");
        free(text);
        arena_free(&a);
    }
cleanup:
    wipe(pass, sizeof pass);
    free(blob);
    return code;
}

