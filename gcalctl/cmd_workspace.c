/* gcalctl command: set-service-account (Workspace mode). */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* set-service-account KEY.json|- [--subject EMAIL] */
int cmd_set_service_account(cli *c, int argc, char **argv) {
    const char *usage = "usage: set-service-account KEY.json|- [--subject EMAIL]";
    const char *path = NULL, *subject = NULL;
    char *key = NULL;
    size_t len = 0;
    gs_gcal_result rc;
    int i, err, code;
    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--subject") == 0 && i + 1 < argc)
            subject = argv[++i];
        else if (path == NULL && argv[i][0] != '-')
            path = argv[i];
        else if (path == NULL && strcmp(argv[i], "-") == 0)
            path = argv[i];
        else
            return usage_error(c, usage);
    }
    if (path == NULL)
        return usage_error(c, usage);
    if (subject == NULL)
        return usage_error(c, "--subject EMAIL is required: the Workspace user whose calendar holds "
                              "meetings without a host in the domain");
    if ((err = read_file(path, &key, &len)) != 0) {
        fprintf(stderr, PROG ": %s: %s\n", path, strerror(err));
        return EXIT_USAGE;
    }
    if ((code = open_handle(c, true, false, NULL)) != EXIT_DONE)
        goto cleanup;
    rc = gs_gcal_set_service_account(c->h, key, subject);
    if (rc != GS_GCAL_OK) {
        code = fail(c, rc, "saving the service account");
        goto cleanup;
    }
    if (c->json) {
        out_str(c, "mode", "workspace");
        out_str(c, "default_subject", subject);
    } else {
        printf("Service account saved: Workspace mode, default subject %s.\n", subject);
        printf("Next: grant domain-wide delegation (see `%s %s status`), then push.\n", PROG,
               c->state_dir);
    }
cleanup:
    if (key != NULL) {
        wipe(key, len);
        free(key);
    }
    return code;
}
