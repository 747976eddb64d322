/*
 * Authorization survives a restart: one process authorizes and pushes,
 * closes and exits; a new process opens the same state directory and
 * pushes without a new consent or code exchange. The child is made with
 * fork() (qemu-user cannot exec a foreign binary); the parent closed its
 * handle first, so the second process knows only what is on disk.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gs_gcal.h"
#include "harness.h"

static void meeting(gs_gcal_meeting *m, const char *subject) {
    memset(m, 0, sizeof *m);
    m->struct_size = sizeof *m;
    m->meeting_id = "restart-1";
    m->subject = subject;
    m->start = "2024-06-03T14:00";
    m->end = "15:00";
    m->time_zone = "Etc/GMT+5";
}

/* The first boot: configure, authorize, push. */
static void first_process(const emulator *emu, const char *dir) {
    gs_gcal *h = NULL;
    char url[2048], redirect[2048], id[GS_GCAL_EVENT_ID_SIZE];
    gs_gcal_meeting m;
    EXPECT_RC(NULL, gs_gcal_open(dir, &h), GS_GCAL_OK);
    if (h == NULL)
        return;
    h_use_emulator(h, emu);
    EXPECT_RC(h, gs_gcal_set_client(h, emu->client_id, emu->client_secret, emu->redirect_uri),
              GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_auth_url(h, url, sizeof url, NULL), GS_GCAL_OK);
    CHECK(h_consent(emu, url, "allow", redirect, sizeof redirect) == 0);
    EXPECT_RC(h, gs_gcal_authorize(h, redirect), GS_GCAL_OK);
    meeting(&m, "Before the reboot");
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_OK);
    gs_gcal_close(h);
}

/* After the reboot: only the state directory carries over. */
static int second_process(const emulator *emu, const char *dir) {
    gs_gcal *h = NULL;
    char status[4096], id[GS_GCAL_EVENT_ID_SIZE], counters[1024];
    gs_gcal_meeting m;
    EXPECT_RC(NULL, gs_gcal_open(dir, &h), GS_GCAL_OK);
    if (h == NULL)
        return h_finish("test_restart (second process)");
    h_use_emulator(h, emu);
    EXPECT_RC(h, gs_gcal_status_json(h, status, sizeof status, NULL), GS_GCAL_OK);
    CHECK(h_text_str_is(status, "state", "authorized"));
    CHECK(h_text_str_is(status, "account", emu->account));
    meeting(&m, "After the reboot");
    EXPECT_RC(h, h_push(h, &m, id, NULL, 0, NULL), GS_GCAL_OK);
    /* One code exchange in all: the second process did not re-authorize. */
    CHECK(h_control(emu, "GET", "/control/requests", NULL, counters, sizeof counters) == 200);
    CHECK(h_text_int_is(counters, "[\"token.authorization_code\"]", 1));
    gs_gcal_close(h);
    return h_finish("test_restart (second process)");
}

int main(void) {
    emulator emu;
    char dir[512];
    pid_t child;
    int status = 0;

    h_emulator(&emu);
    h_tempdir(dir, sizeof dir);
    CHECK(h_control(&emu, "POST", "/control/reset", "", NULL, 0) == 200);
    first_process(&emu, dir);

    fflush(stdout);
    child = fork();
    if (child == 0) {
        int rc = second_process(&emu, dir);
        fflush(stdout); /* _exit() does not flush stdio */
        _exit(rc);
    }
    CHECK(child > 0);
    if (child > 0) {
        CHECK(waitpid(child, &status, 0) == child);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    h_rmdir(dir);
    return h_finish("test_restart");
}
