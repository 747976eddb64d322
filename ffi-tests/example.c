/* The README's first example: open, set the OAuth client, print the link. */
#include <stdio.h>
#include <string.h>
#include <gs_gcal.h>

int main(int argc, char **argv) {
    gs_gcal *h = NULL;
    char url[2048];
    size_t needed = 0;
    int rc = 1;

    if (argc != 4) {
        fprintf(stderr, "usage: %s STATE_DIR CLIENT_ID REDIRECT_URI (secret on stdin)\n", argv[0]);
        return 2;
    }
    char secret[256] = "";
    if (fgets(secret, sizeof secret, stdin) == NULL)
        return 2;
    secret[strcspn(secret, "\r\n")] = '\0';
    if (gs_gcal_open(argv[1], &h) != GS_GCAL_OK)
        return 1;
    if (gs_gcal_set_client(h, argv[2], secret, argv[3]) == GS_GCAL_OK &&
        gs_gcal_auth_url(h, url, sizeof url, &needed) == GS_GCAL_OK) {
        printf("Open this link, sign in and paste the code back:\n%s\n", url);
        rc = 0;
    } else {
        char why[GS_GCAL_ERROR_SIZE] = "";
        if (gs_gcal_last_error(h, why, sizeof why) != GS_GCAL_OK)
            why[0] = '\0';
        fprintf(stderr, "gs_gcal: %s\n", why);
    }
    gs_gcal_close(h);
    return rc;
}
