/* gcalctl command: set-option (options stored in STATE_DIR/gcalctl.options). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* set-option KEY VALUE | set-option --unset KEY: checked by the library,
   stored in STATE_DIR/gcalctl.options, applied on every later run. */
int cmd_set_option(cli *c, int argc, char **argv) {
    const bool unset = argc == 2 && strcmp(argv[0], "--unset") == 0;
    const char *key = unset ? argv[1] : argv[0];
    gs_gcal_result rc;
    size_t i;
    int code;
    if (argc != 2)
        return usage_error(c, "usage: set-option KEY VALUE, or set-option --unset KEY");
    if (!unset && strchr(argv[1], '\n') != NULL)
        return usage_error(c, "set-option: a value cannot contain a line break");
    if (strchr(key, '=') != NULL || strchr(key, '\n') != NULL || key[0] == '#')
        return usage_error(c, "set-option: \"%s\" is not an option name", key);
    if ((code = open_handle(c, false, true, key)) != EXIT_DONE)
        return code;
    if (!unset && (rc = gs_gcal_set_option(c->h, key, argv[1])) != GS_GCAL_OK)
        return fail(c, rc, "set-option %s", key);
    for (i = 0; i < c->option_count && strcmp(c->options[i].key, key) != 0; i++)
        ;
    if (unset) {
        if (i == c->option_count)
            return fail_plain(c, EXIT_USAGE, "set-option --unset: %s is not stored", key);
        free(c->options[i].key);
        free(c->options[i].value);
        memmove(&c->options[i], &c->options[i + 1],
                (c->option_count - i - 1) * sizeof c->options[0]);
        c->option_count--;
    } else if (i < c->option_count) {
        free(c->options[i].value);
        c->options[i].value = xstrdup(argv[1]);
    } else {
        if (c->option_count == MAX_OPTIONS)
            return fail_plain(c, EXIT_LOCAL, "set-option: too many stored options");
        c->options[i].key = xstrdup(key);
        c->options[i].value = xstrdup(argv[1]);
        c->option_count++;
    }
    if ((code = save_options(c)) != EXIT_DONE)
        return code;
    if (c->json) {
        out_str(c, "key", key);
        out_bool(c, "stored", !unset);
    } else if (unset) {
        printf("Option %s removed; the library default applies.\n", key);
    } else {
        printf("Option %s stored; it applies to every later command.\n", key);
    }
    return EXIT_DONE;
}
