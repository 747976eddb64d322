/*
 * A PBX fresh from a cold boot, before NTP: run under faketime with a date
 * long before the library was built. Every network call answers "time not
 * synchronized" instead of a baffling certificate error, and nothing is
 * sent. (`make ctest-clock` runs it; it needs libfaketime.)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gs_gcal.h"
#include "harness.h"

int main(void) {
    emulator emu;
    gs_gcal *h = NULL;
    char dir[512], url[2048], detail[GS_GCAL_ERROR_SIZE], counters[1024];
    gs_gcal_device_code code;

    h_emulator(&emu);
    if (time(NULL) > 1000000000L + 10L * 365 * 86400) {
        printf("test_clock: not under faketime (the clock looks real); run via make ctest-clock\n");
        return 1;
    }
    h_tempdir(dir, sizeof dir);
    CHECK(h_control(&emu, "POST", "/control/reset", "", NULL, 0) == 200);
    EXPECT_RC(NULL, gs_gcal_open(dir, &h), GS_GCAL_OK);
    if (h == NULL)
        goto cleanup;
    h_use_emulator(h, &emu);
    EXPECT_RC(h, gs_gcal_set_client(h, emu.client_id, emu.client_secret, emu.redirect_uri),
              GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_auth_url(h, url, sizeof url, NULL), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_authorize(h, "4/0Aanycode"), GS_GCAL_CLOCK_NOT_SET);
    CHECK(gs_gcal_last_error(h, detail, sizeof detail) == GS_GCAL_OK &&
          strstr(detail, "time not synchronized") != NULL);
    memset(&code, 0, sizeof code);
    code.struct_size = sizeof code;
    EXPECT_RC(h, gs_gcal_device_start(h, &code), GS_GCAL_CLOCK_NOT_SET);
    /* Nothing reached "Google". */
    CHECK(h_control(&emu, "GET", "/control/requests", NULL, counters, sizeof counters) == 200);
    {
        arena a = {0};
        const json *doc = h_json_parse(&a, counters);
        CHECK(doc != NULL && json_get(doc, "token") == NULL);
        arena_free(&a);
    }
cleanup:
    gs_gcal_close(h);
    h_rmdir(dir);
    return h_finish("test_clock");
}
