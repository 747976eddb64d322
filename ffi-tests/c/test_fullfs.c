/*
 * A full disk (issue 17): the test re-execs itself under `unshare -m
 * --propagation private`, mounts its own 256 KiB tmpfs and puts the state
 * directory there. For every amount of free space left by a filler file
 * (0 to 16 pages of 4 KiB; tmpfs allocates whole pages) and every
 * position of the journal's end within a page (0..7 earlier appends), it
 * runs set_client, a push, an edit, 34 edits (a compaction) and a cancel
 * on the nearly full disk, then frees the space, reopens, pushes once
 * more and drains into the emulator. Expected: what answered QUEUED/OK is
 * there at exactly that version; what answered 700 left nothing behind;
 * the push after freeing space is kept; nothing duplicated.
 * SKIP (a visible line, exit 0) where the kernel forbids the mount, or
 * with GS_GCAL_NO_PTRACE=1 (valgrind/qemu).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable.h"
#include "gs_gcal.h"
#include "harness.h"

static emulator emu;
static char refused[512];
static char *authorized_state;
static size_t authorized_len;
static char dump[1 << 20];
static char mnt[512], dir[600];

enum { MA, MB, MC, MD, MP, NM };
static const char *const ids[NM] = {"full-a", "full-b", "full-c", "full-d", "full-p"};

static gs_gcal *open_dir(int reachable, gs_gcal_result *rc) {
    gs_gcal *h = NULL;
    *rc = gs_gcal_open(dir, &h);
    if (*rc != GS_GCAL_OK)
        return NULL;
    h_use_emulator(h, &emu);
    if (!reachable && gs_gcal_set_option(h, "calendar_api_base", refused) != GS_GCAL_OK)
        CHECK(!"option");
    return h;
}

static gs_gcal_result push(gs_gcal *h, const char *id, const char *subject) {
    gs_gcal_meeting m;
    d_meeting(&m, id, subject);
    return h_push(h, &m, NULL, NULL, 0, NULL);
}

static void wipe(void) {
    char sub[700];
    h_rmdir(dir); /* files one level deep */
    snprintf(sub, sizeof sub, "%s/filler", mnt);
    unlink(sub);
    CHECK(mkdir(dir, 0700) == 0);
}

/* Fills the tmpfs, then gives back `free_pages` pages. */
static void fill(long free_pages) {
    static char chunk[65536];
    char path[700];
    long size = 0;
    ssize_t n;
    size_t step = sizeof chunk;
    int fd;
    snprintf(path, sizeof path, "%s/filler", mnt);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return;
    while (step >= 512) {
        n = write(fd, chunk, step);
        if (n > 0)
            size += n;
        else
            step /= 2;
    }
    if (ftruncate(fd, size > free_pages * 4096 ? size - free_pages * 4096 : 0) != 0)
        CHECK(!"ftruncate");
    close(fd);
}

static void unfill(void) {
    char path[700];
    snprintf(path, sizeof path, "%s/filler", mnt);
    unlink(path);
}

static int ok(gs_gcal_result rc) { return rc == GS_GCAL_OK || rc == GS_GCAL_QUEUED; }

/* One round; returns 1 when Google ends up holding what was reported. */
static int round_at(long free_pages, int pre) {
    char want[NM][32], subject[32], what[96];
    gs_gcal_result rc, answers[40];
    int i, nans = 0, good = 1;
    gs_gcal *h;
    size_t left = 99;

    memset(want, 0, sizeof want);
    snprintf(what, sizeof what, "%ld free pages, %d earlier appends", free_pages, pre);
    wipe();
    if (d_spit(dir, D_STATE, authorized_state, authorized_len) != 0)
        return 0;
    h = open_dir(0, &rc);
    if (h == NULL)
        return 0;
    EXPECT_RC(h, push(h, ids[MA], "A-0"), GS_GCAL_QUEUED);
    snprintf(want[MA], 32, "A-0");
    for (i = 0; i < pre; i++) {
        snprintf(subject, sizeof subject, "P-%d", i);
        EXPECT_RC(h, push(h, ids[MP], subject), GS_GCAL_QUEUED);
        snprintf(want[MP], 32, "%s", subject);
    }
    gs_gcal_close(h);

    fill(free_pages);
    h = open_dir(0, &rc);
    answers[nans++] = rc;
    if (h != NULL) {
        answers[nans++] = gs_gcal_set_client(h, emu.client_id, emu.client_secret, emu.redirect_uri);
        if (ok(rc = push(h, ids[MB], "B-1")))
            snprintf(want[MB], 32, "B-1");
        answers[nans++] = rc;
        if (ok(rc = push(h, ids[MA], "A-1")))
            snprintf(want[MA], 32, "A-1");
        answers[nans++] = rc;
        for (i = 1; i <= 34; i++) {
            snprintf(subject, sizeof subject, "C-%02d", i);
            if (ok(rc = push(h, ids[MC], subject)))
                snprintf(want[MC], 32, "%s", subject);
            if (nans < 38)
                answers[nans++] = rc;
        }
        if (ok(rc = gs_gcal_cancel_meeting(h, ids[MB], NULL, NULL)))
            want[MB][0] = '\0';
        answers[nans++] = rc;
        gs_gcal_close(h);
    }
    unfill();

    /* Space is back: the next push must be kept. */
    h = open_dir(0, &rc);
    if (h == NULL) {
        printf("not ok - %s: reopening after freeing space returned %d\n", what, (int)rc);
        return 0;
    }
    if ((rc = push(h, ids[MD], "D-1")) != GS_GCAL_QUEUED) {
        printf("not ok - %s: the push after freeing space returned %d\n", what, (int)rc);
        good = 0;
    }
    snprintf(want[MD], 32, "D-1");
    gs_gcal_close(h);
    h = open_dir(1, &rc);
    if (h == NULL)
        return 0;
    for (i = 0; i < 3 && left > 0; i++)
        if (gs_gcal_retry_now(h) != GS_GCAL_OK || gs_gcal_sync(h, 20000, NULL, &left) != GS_GCAL_OK)
            left = 98;
    gs_gcal_close(h);
    if (left != 0) {
        printf("not ok - %s: %zu left in the outbox after draining\n", what, left);
        good = 0;
    }
    if (h_control(&emu, "GET", "/control/events", NULL, dump, sizeof dump) != 200)
        return 0;
    for (i = 0; i < NM; i++) {
        struct d_found f = d_find(dump, ids[i]);
        int n = want[i][0] != '\0';
        if (f.n != n || (n && strcmp(f.subject, want[i]) != 0)) {
            int k;
            printf("not ok - %s: %s: Google holds %d (\"%s\"), expected %d (\"%s\"); answers:", what,
                   ids[i], f.n, f.subject, n, want[i]);
            for (k = 0; k < nans; k++)
                printf(" %d", (int)answers[k]);
            printf("\n");
            good = 0;
        }
    }
    POST_OK(&emu, "/control/clear_events", "");
    return good;
}

int main(int argc, char **argv) {
    char self[1024], sdir[512];
    gs_gcal *h;
    long pages, bad = 0, rounds = 0;
    int pre;
    ssize_t n;

    if (d_emulated()) {
        printf("SKIP: full disk: no mount namespace under valgrind/qemu\n");
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "--in-ns") != 0) {
        n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0) {
            printf("SKIP: full disk: /proc/self/exe unreadable\n");
            return 0;
        }
        self[n] = '\0';
        fflush(stdout);
        execl("/usr/bin/unshare", "unshare", "-m", "--propagation", "private", self, "--in-ns",
              (char *)NULL);
        printf("SKIP: full disk: cannot run unshare: %s\n", strerror(errno));
        return 0;
    }
    h_emulator(&emu);
    if (d_refused(refused, sizeof refused) != 0)
        return 2;
    h_tempdir(mnt, sizeof mnt);
    if (mount("tmpfs", mnt, "tmpfs", MS_NOSUID | MS_NODEV, "size=256k,mode=0700") != 0) {
        printf("SKIP: full disk: the kernel refuses a tmpfs mount here: %s\n", strerror(errno));
        rmdir(mnt);
        return 0;
    }
    snprintf(dir, sizeof dir, "%s/state", mnt);
    POST_OK(&emu, "/control/reset", "");
    h = h_open_authorized(&emu, sdir, sizeof sdir);
    if (h == NULL)
        goto cleanup;
    gs_gcal_close(h);
    authorized_state = d_slurp(sdir, D_STATE, &authorized_len);
    h_rmdir(sdir);
    if (authorized_state == NULL)
        goto cleanup;

    for (pages = 0; pages <= 16; pages++)
        for (pre = 0; pre < 8; pre++) {
            rounds++;
            h_checks++;
            if (!round_at(pages, pre)) {
                bad++;
                h_failures++;
            }
        }
    printf("# full disk: %ld of %ld rounds kept exactly what was reported\n", rounds - bad, rounds);
cleanup:
    h_rmdir(dir);
    unfill();
    if (umount(mnt) != 0)
        CHECK(!"umount");
    rmdir(mnt);
    free(authorized_state);
    return h_finish("test_fullfs");
}
