/*
 * A hostile state directory (issue 17). For every file the library
 * touches (state, its .tmp, journal, its compaction .tmp, cache, its
 * .tmp, lock): a symlink to a file outside (never followed: the outside
 * file keeps its bytes and mode, the secret never lands there, the lock
 * is not taken on it), a FIFO (every call returns within a bound, alarm()
 * in a forked child, no sleeps), a pre-existing 0666 .tmp (the result is
 * 0600). Also: umask 000 (directory created 0700), an existing 0755
 * directory (tightened to 0700), a 1 GiB sparse state file and a symlink
 * to /dev/zero as state file (700/701, child peak RSS small), ca_file
 * /dev/zero and a FIFO (203, promptly), a FIFO as a zoneinfo file, two
 * damaged state files in one second (both kept), and a damaged journal
 * line in the middle (set aside, reported in the status under "set_aside").
 * Every scenario runs in a forked child; GS_GCAL_NO_PTRACE=1 (valgrind,
 * qemu) skips the memory-bound scenarios with a SKIP line.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "durable.h"
#include "gs_gcal.h"
#include "harness.h"

#ifdef __SANITIZE_ADDRESS__
/* An unbounded read must end in a report, not in eating the machine. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "max_allocation_size_mb=512"; }
#endif

static emulator emu;
static char refused[512];
static char buf[1 << 16];
static char outside_dir[512];
#define OUTSIDE_TEXT "OUTSIDE\n"

/* Peak RSS limit above the baseline child (KiB). */
#define RSS_SLACK_KB (48L * 1024)

static const char *const targets[] = {
    D_STATE, D_STATE ".tmp", D_JOURNAL, D_JOURNAL ".tmp", D_CACHE, D_CACHE ".tmp", D_LOCK,
};
#define NTARGETS (sizeof targets / sizeof targets[0])


/* Runs fn(arg) in a child bounded by alarm(bound_s); returns 1 when the
   child passed; *rss_kb receives its peak RSS. */
static int in_child(const char *name, void (*fn)(const char *), const char *arg, unsigned bound_s,
                    long *rss_kb) {
    int status = 0;
    long rss;
    pid_t pid;
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        h_failures = 0;
        alarm(bound_s);
#ifndef __SANITIZE_ADDRESS__
        if (!d_emulated()) {
            /* An unbounded read aborts the child instead of eating the machine. */
            struct rlimit lim = {1536UL << 20, 1536UL << 20};
            setrlimit(RLIMIT_AS, &lim);
        }
#endif
        fn(arg);
        fflush(stdout);
        _exit(h_failures == 0 ? 0 : 1);
    }
    rss = d_child_maxrss(pid, &status);
    if (rss_kb != NULL)
        *rss_kb = rss;
    h_checks++;
    if (WIFSIGNALED(status)) {
        printf("not ok - %s: %s\n", name,
               WTERMSIG(status) == SIGALRM ? "a call blocked (no answer within the bound)"
                                           : strsignal(WTERMSIG(status)));
        h_failures++;
        return 0;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        printf("not ok - %s: see above\n", name);
        h_failures++;
        return 0;
    }
    return 1;
}

static unsigned bound(void) { return d_emulated() ? 120 : 5; }

/* Every write the library makes: state (set_client), journal appends and
   a compaction (34 queued edits), cache (sync_events). Results are not
   checked: a refusal is fine, blocking or writing through is not. */
/* The answer does not matter here, only that there is one. */
static void ignore(gs_gcal_result rc) { (void)rc; }

static void touch_everything(const char *dir) {
    gs_gcal *h = NULL;
    gs_gcal_meeting m;
    char subject[32];
    gs_gcal_result rc;
    int i;
    rc = gs_gcal_open(dir, &h);
    if (rc != GS_GCAL_OK) {
        h_check(rc == GS_GCAL_STORAGE_IO || rc == GS_GCAL_STATE_CORRUPT, "open refuses with 700/701",
                __FILE__, __LINE__);
        return;
    }
    h_use_emulator(h, &emu);
    ignore(gs_gcal_set_client(h, emu.client_id, emu.client_secret, emu.redirect_uri));
    ignore(gs_gcal_set_option(h, "calendar_api_base", refused));
    for (i = 0; i < 34; i++) {
        snprintf(subject, sizeof subject, "hostile v%02d", i);
        d_meeting(&m, "hostile-1", subject);
        (void)h_push(h, &m, NULL, NULL, 0, NULL);
    }
    ignore(gs_gcal_set_option(h, "calendar_api_base", emu.calendar_api_base));
    ignore(gs_gcal_sync_events(h, buf, sizeof buf, NULL));
    gs_gcal_close(h);
}

static void outside_path(char *out, size_t cap) { snprintf(out, cap, "%s/outside", outside_dir); }

static void reset_outside(void) {
    char path[600];
    outside_path(path, sizeof path);
    unlink(path);
    if (d_spit(outside_dir, "outside", OUTSIDE_TEXT, strlen(OUTSIDE_TEXT)) != 0 || chmod(path, 0644))
        CHECK(!"outside file");
}

/* The lock must not be taken on the outside file: runs in the child, with
   the handle open. */
static void lock_not_followed(const char *dir) {
    gs_gcal *h = NULL;
    char path[600];
    int fd;
    if (gs_gcal_open(dir, &h) != GS_GCAL_OK)
        return; /* refusing is fine */
    outside_path(path, sizeof path);
    fd = open(path, O_RDONLY);
    h_check(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0, "the lock is not taken through a symlink",
            __FILE__, __LINE__);
    if (fd >= 0)
        close(fd);
    gs_gcal_close(h);
}

static void symlinks(void) {
    size_t t;
    for (t = 0; t < NTARGETS; t++) {
        char dir[512], link[700], path[600], name[128], *got;
        size_t len;
        struct stat st;
        d_fresh_dir(dir, sizeof dir);
        reset_outside();
        outside_path(path, sizeof path);
        snprintf(link, sizeof link, "%s/%s", dir, targets[t]);
        unlink(link);
        if (symlink(path, link) != 0) {
            CHECK(!"symlink");
            continue;
        }
        snprintf(name, sizeof name, "symlink as %s", targets[t]);
        in_child(name, touch_everything, dir, bound(), NULL);
        if (strcmp(targets[t], D_LOCK) == 0)
            in_child("symlink as lock: flock", lock_not_followed, dir, bound(), NULL);
        got = d_slurp(outside_dir, "outside", &len);
        if (got == NULL || strcmp(got, OUTSIDE_TEXT) != 0) {
            printf("not ok - symlink as %s: the file outside was written through (%zu bytes%s)\n",
                   targets[t], len, got && strstr(got, emu.client_secret) ? ", with the secret" : "");
            h_failures++;
        }
        h_checks++;
        free(got);
        if (stat(path, &st) != 0 || (st.st_mode & 07777) != 0644) {
            printf("not ok - symlink as %s: the file outside was chmod'ed to %04o\n", targets[t],
                   (unsigned)(st.st_mode & 07777));
            h_failures++;
        }
        h_checks++;
        h_rmdir(dir);
    }
}

static void fifos(void) {
    size_t t;
    for (t = 0; t < NTARGETS; t++) {
        char dir[512], path[700], name[128];
        d_fresh_dir(dir, sizeof dir);
        snprintf(path, sizeof path, "%s/%s", dir, targets[t]);
        unlink(path);
        if (mkfifo(path, 0600) != 0) {
            CHECK(!"mkfifo");
            continue;
        }
        snprintf(name, sizeof name, "FIFO as %s", targets[t]);
        in_child(name, touch_everything, dir, bound(), NULL);
        h_rmdir(dir);
    }
}

/* A leftover .tmp of mode 0666: what it becomes must be 0600. */
static void loose_tmp(void) {
    const char *final[3] = {D_STATE, D_JOURNAL, D_CACHE};
    int i;
    for (i = 0; i < 3; i++) {
        char dir[512], tmp[700], path[700], name[128];
        struct stat st;
        d_fresh_dir(dir, sizeof dir);
        snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, final[i]);
        if (d_spit(dir, strrchr(tmp, '/') + 1, "x", 1) != 0 || chmod(tmp, 0666) != 0) {
            CHECK(!"tmp");
            continue;
        }
        snprintf(name, sizeof name, "0666 %s.tmp", final[i]);
        in_child(name, touch_everything, dir, bound(), NULL);
        snprintf(path, sizeof path, "%s/%s", dir, final[i]);
        if (stat(path, &st) != 0 || (st.st_mode & 07777) != 0600) {
            printf("not ok - a 0666 %s.tmp was left: %s has mode %04o, expected 0600\n", final[i],
                   final[i], stat(path, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0u);
            h_failures++;
        }
        h_checks++;
        h_rmdir(dir);
    }
}

static void open_with_umask0(const char *dir) {
    gs_gcal *h = NULL;
    umask(0);
    EXPECT_RC(NULL, gs_gcal_open(dir, &h), GS_GCAL_OK);
    gs_gcal_close(h);
}

static void modes(void) {
    char base[512], dir[600];
    struct stat st;
    h_tempdir(base, sizeof base);
    snprintf(dir, sizeof dir, "%s/new", base);
    in_child("umask 000", open_with_umask0, dir, bound(), NULL);
    h_check(stat(dir, &st) == 0, "the directory was created", __FILE__, __LINE__);
    if ((st.st_mode & 07777) != 0700) {
        printf("not ok - created under umask 000: the state directory has mode %04o, expected "
               "0700\n", (unsigned)(st.st_mode & 07777));
        h_failures++;
    }
    h_checks++;
    h_rmdir(dir);
    if (mkdir(dir, 0755) != 0 || chmod(dir, 0755) != 0)
        CHECK(!"mkdir");
    in_child("existing 0755 directory", open_with_umask0, dir, bound(), NULL);
    if (stat(dir, &st) != 0 || (st.st_mode & 07777) != 0700) {
        printf("not ok - an existing 0755 state directory stays %04o, expected tightened to "
               "0700\n", (unsigned)(st.st_mode & 07777));
        h_failures++;
    }
    h_checks++;
    h_rmdir(dir);
    h_rmdir(base);
}

/* ---- bounded reads ------------------------------------------------- */

static void open_refused(const char *dir) {
    gs_gcal *h = NULL;
    gs_gcal_result rc = gs_gcal_open(dir, &h);
    if (rc != GS_GCAL_STORAGE_IO && rc != GS_GCAL_STATE_CORRUPT) {
        printf("not ok - open returned %d (%s), expected 700 or 701\n", (int)rc, gs_gcal_strerror(rc));
        h_failures++;
    }
    h_checks++;
    gs_gcal_close(h);
}

static void just_open(const char *dir) {
    gs_gcal *h = NULL;
    ignore(gs_gcal_open(dir, &h));
    gs_gcal_close(h);
}

static void ca_file_refused(const char *path) {
    gs_gcal *h = NULL;
    char dir[512];
    h_tempdir(dir, sizeof dir);
    if (gs_gcal_open(dir, &h) != GS_GCAL_OK)
        return;
    EXPECT_RC(h, gs_gcal_set_option(h, "ca_file", path), GS_GCAL_CA_FILE);
    gs_gcal_close(h);
    h_rmdir(dir);
}

static char zone_dir[600];

static void push_with_fifo_zone(const char *dir) {
    gs_gcal *h = NULL;
    gs_gcal_meeting m;
    gs_gcal_result rc;
    if (gs_gcal_open(dir, &h) != GS_GCAL_OK)
        return;
    h_use_emulator(h, &emu);
    EXPECT_RC(h, gs_gcal_set_option(h, "zoneinfo_dir", zone_dir), GS_GCAL_OK);
    d_meeting(&m, "fifo-zone", "zone is a FIFO");
    m.time_zone = "Europe/Berlin";
    rc = h_push(h, &m, NULL, NULL, 0, NULL);
    h_check(rc == GS_GCAL_INVALID_TIME_ZONE || rc == GS_GCAL_STORAGE_IO,
            "a FIFO as zone file: 107 or 700", __FILE__, __LINE__);
    gs_gcal_close(h);
}

static void bounded_reads(void) {
    char dir[512], path[700], zi[700];
    long base_rss = 0, rss = 0;
    int fd;

    /* ca_file FIFO: no memory involved, runs everywhere. */
    h_tempdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/ca.fifo", dir);
    CHECK(mkfifo(path, 0600) == 0);
    in_child("ca_file is a FIFO", ca_file_refused, path, bound(), NULL);
    h_rmdir(dir);

    /* zoneinfo file FIFO. */
    d_fresh_dir(dir, sizeof dir);
    snprintf(zone_dir, sizeof zone_dir, "%s/zi", dir);
    snprintf(zi, sizeof zi, "%s/Europe", zone_dir);
    CHECK(mkdir(zone_dir, 0700) == 0 && mkdir(zi, 0700) == 0);
    snprintf(zi, sizeof zi, "%s/Europe/Berlin", zone_dir);
    CHECK(mkfifo(zi, 0600) == 0);
    in_child("a FIFO as zoneinfo file Europe/Berlin", push_with_fifo_zone, dir, bound(), NULL);
    unlink(zi);
    snprintf(zi, sizeof zi, "%s/Europe", zone_dir);
    rmdir(zi);
    rmdir(zone_dir);
    h_rmdir(dir);

    if (d_emulated()) {
        printf("SKIP: 1 GiB state file, /dev/zero as state file and as ca_file: peak RSS is not "
               "measurable under valgrind/qemu\n");
        return;
    }
    /* Baseline: a child that opens a normal directory. */
    d_fresh_dir(dir, sizeof dir);
    in_child("baseline open", just_open, dir, bound(), &base_rss);
    h_rmdir(dir);

    d_fresh_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/%s", dir, D_STATE);
    fd = open(path, O_WRONLY | O_TRUNC);
    CHECK(fd >= 0 && ftruncate(fd, 1L << 30) == 0);
    if (fd >= 0)
        close(fd);
    if (in_child("1 GiB sparse state file", open_refused, dir, bound(), &rss) &&
        rss > base_rss + RSS_SLACK_KB) {
        printf("not ok - 1 GiB sparse state file: peak RSS %ld KiB (baseline %ld KiB, cap +%ld)\n",
               rss, base_rss, RSS_SLACK_KB);
        h_failures++;
    }
    h_checks++;
    h_rmdir(dir);

    d_fresh_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/%s", dir, D_STATE);
    unlink(path);
    CHECK(symlink("/dev/zero", path) == 0);
    if (in_child("state file is a symlink to /dev/zero", open_refused, dir, bound(), &rss) &&
        rss > base_rss + RSS_SLACK_KB) {
        printf("not ok - /dev/zero as state file: peak RSS %ld KiB (baseline %ld KiB)\n", rss,
               base_rss);
        h_failures++;
    }
    h_checks++;
    h_rmdir(dir);

    if (in_child("ca_file=/dev/zero", ca_file_refused, "/dev/zero", bound(), &rss) &&
        rss > base_rss + RSS_SLACK_KB) {
        printf("not ok - ca_file=/dev/zero: peak RSS %ld KiB (baseline %ld KiB)\n", rss, base_rss);
        h_failures++;
    }
    h_checks++;
}

/* ---- set aside, never dropped ------------------------------------ */

static int count_corrupt(const char *dir, const char *prefix) {
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && strstr(e->d_name, ".corrupt-"))
            n++;
    closedir(d);
    return n;
}

static void corrupt_twice(void) {
    char dir[512];
    int attempt, n = 0;
    for (attempt = 0; attempt < 3; attempt++) {
        gs_gcal *h = NULL;
        time_t t0;
        h_tempdir(dir, sizeof dir);
        t0 = time(NULL);
        d_spit(dir, D_STATE, "{\"version\":1,\"clie", 18);
        EXPECT_RC(NULL, gs_gcal_open(dir, &h), GS_GCAL_STATE_CORRUPT);
        gs_gcal_close(h);
        h = NULL;
        d_spit(dir, D_STATE, "{\"version\":1,\"toke", 18);
        EXPECT_RC(NULL, gs_gcal_open(dir, &h), GS_GCAL_STATE_CORRUPT);
        gs_gcal_close(h);
        n = count_corrupt(dir, D_STATE);
        h_rmdir(dir);
        if (time(NULL) == t0)
            break; /* both in one second: the case that matters */
    }
    if (n != 2) {
        printf("not ok - two damaged state files in one second: %d .corrupt file(s) kept, "
               "expected 2\n", n);
        h_failures++;
    }
    h_checks++;
}

/* A journal line in the middle that cannot be read is set aside and
   reported, the lines around it kept. */
static void journal_middle(void) {
    char dir[512], *j = NULL, *bad = NULL;
    size_t len;
    gs_gcal *h = NULL;
    gs_gcal_meeting m;
    char *nl;
    d_fresh_dir(dir, sizeof dir);
    if (gs_gcal_open(dir, &h) != GS_GCAL_OK)
        goto cleanup;
    h_use_emulator(h, &emu);
    EXPECT_RC(h, gs_gcal_set_option(h, "calendar_api_base", refused), GS_GCAL_OK);
    d_meeting(&m, "middle-1", "first");
    EXPECT_RC(h, h_push(h, &m, NULL, NULL, 0, NULL), GS_GCAL_QUEUED);
    d_meeting(&m, "middle-2", "second");
    EXPECT_RC(h, h_push(h, &m, NULL, NULL, 0, NULL), GS_GCAL_QUEUED);
    gs_gcal_close(h);
    h = NULL;
    j = d_slurp(dir, D_JOURNAL, &len);
    nl = j ? strchr(j, '\n') : NULL;
    CHECK(nl != NULL);
    if (nl == NULL)
        goto cleanup;
    /* first line, a damaged line, second line */
    static const char damaged[] = "{\"put\":{\"seq\":77,\"meeting_id\":\x01garbage}\n";
    bad = malloc(len + 64);
    if (bad == NULL)
        goto cleanup;
    memcpy(bad, j, (size_t)(nl - j + 1));
    memcpy(bad + (nl - j + 1), damaged, strlen(damaged));
    memcpy(bad + (nl - j + 1) + strlen(damaged), nl + 1, len - (size_t)(nl - j + 1));
    d_spit(dir, D_JOURNAL, bad, len + strlen(damaged));
    EXPECT_RC(NULL, gs_gcal_open(dir, &h), GS_GCAL_OK);
    if (h != NULL) {
        CHECK(d_depth(h) == 2);
        arena a = {0};
        const json *status = h_status(h, &a);
        /* set_aside lists the journal's copy: [{"file":"<journal>.corrupt-<time>",...}] */
        int reported = h_json_find_has(status, "set_aside", "file", D_JOURNAL ".corrupt-") != NULL;
        CHECK(status != NULL);
        arena_free(&a);
        if (!reported) {
            printf("not ok - a damaged journal line in the middle is not reported in the status "
                   "(\"set_aside\")\n");
            h_failures++;
        }
        h_checks++;
        gs_gcal_close(h);
    }
    if (count_corrupt(dir, D_JOURNAL) != 1) {
        printf("not ok - a damaged journal line in the middle was dropped, not set aside into "
               "%s.corrupt-*\n", D_JOURNAL);
        h_failures++;
    }
    h_checks++;
cleanup:
    free(j);
    free(bad);
    h_rmdir(dir);
}

int main(void) {
    h_emulator(&emu);
    if (d_refused(refused, sizeof refused) != 0)
        return 2;
    if (d_authorize_once(&emu) != 0)
        return h_finish("test_hostile_dir");
    h_tempdir(outside_dir, sizeof outside_dir);

    symlinks();
    fifos();
    loose_tmp();
    modes();
    bounded_reads();
    corrupt_twice();
    journal_middle();

    h_rmdir(outside_dir);
    free(d_authorized_state);
    return h_finish("test_hostile_dir");
}
