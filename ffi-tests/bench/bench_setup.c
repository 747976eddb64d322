/*
 * bench_setup: authorizes a fresh state directory against the emulator
 * (consent and code exchange, through the test harness) and prints its
 * path. Not measured: the bench copies it for every run.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>

#include "harness.h"

int main(void) {
    emulator e;
    char dir[512];
    gs_gcal *h;
    h_emulator(&e);
    h = h_open_authorized(&e, dir, sizeof dir);
    if (h == NULL || h_failures > 0)
        return 1;
    gs_gcal_close(h);
    printf("%s\n", dir);
    return 0;
}
