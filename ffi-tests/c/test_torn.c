/*
 * Torn journal appends and kills at every step of an append (issue 17).
 *
 * Part 1, torn at every byte: meeting A is queued (the Calendar API base
 * is the emulator's refused port), then one more append B (a new push, an
 * edit of A, or a cancel of A); the journal is cut back to every length
 * between "A only" and "A and B", as a power cut mid-append leaves it.
 * Then C is queued, the directory reopened and the outbox drained into
 * the emulator. Expected: A (its reported version) and C are there exactly
 * once, B's effect only when its line was complete, the outbox depth says
 * the same before the drain.
 *
 * Part 2, SIGKILL at every step (native only: strace): a child runs one
 * push/edit/compact/cancel cycle under `strace -e inject=SYSCALL:signal=
 * SIGKILL:when=N` for every N of every write/fsync/rename/ftruncate/
 * openat/unlink it makes, reporting each call's answer on a pipe; after
 * each kill the directory opens, and once drained Google holds everything
 * reported queued, once. GS_GCAL_TORN_STRIDE (default 1) steps the byte
 * offsets; GS_GCAL_NO_PTRACE=1 skips part 2 with a SKIP line.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "durable.h"
#include "gs_gcal.h"
#include "harness.h"

static emulator emu;
/* Set once three offsets of one kind failed: later details are not printed. */
static int quiet;
#define QPRINTF(...) (quiet ? 0 : printf(__VA_ARGS__))
static char refused[512];
static char dump[1 << 20];

/* Opens dir pointed at the emulator; `reachable` 0 points the Calendar
   API at the refused port so pushes are queued. */
static gs_gcal *open_dir(const char *dir, int reachable) {
    gs_gcal *h = NULL;
    if (gs_gcal_open(dir, &h) != GS_GCAL_OK)
        return NULL;
    h_use_emulator(h, &emu);
    if (!reachable)
        EXPECT_RC(h, gs_gcal_set_option(h, "calendar_api_base", refused), GS_GCAL_OK);
    return h;
}

static gs_gcal_result push(gs_gcal *h, const char *id, const char *subject) {
    gs_gcal_meeting m;
    d_meeting(&m, id, subject);
    return h_push(h, &m, NULL, NULL, 0, NULL);
}


/* Sends what waits; returns what remains (-1 on failure). */
static long drain(const char *dir) {
    gs_gcal *h = open_dir(dir, 1);
    size_t left = 99;
    int i;
    if (h == NULL)
        return -1;
    for (i = 0; i < 3 && left > 0; i++) {
        if (gs_gcal_retry_now(h) != GS_GCAL_OK || gs_gcal_sync(h, 20000, NULL, &left) != GS_GCAL_OK)
            left = 98;
    }
    gs_gcal_close(h);
    return (long)left;
}

static int events(void) {
    return h_control(&emu, "GET", "/control/events", NULL, dump, sizeof dump) == 200;
}

enum op { OP_PUSH, OP_EDIT, OP_CANCEL };
static const char *const op_name[] = {"push", "edit", "cancel"};

/* Every `stride` bytes, and always the last two offsets (B without its
   newline, B complete). */
static long next_k(long k, long stride, long whole) {
    if (k < whole - 1 && k + stride > whole - 1)
        return whole - 1;
    if (k < whole && k + stride > whole)
        return whole;
    return k + stride;
}

/* Part 1 for one kind of append B. */
static void torn(enum op op, long stride) {
    char dir[512];
    gs_gcal *h;
    char *journal = NULL, *state = NULL;
    size_t jlen = 0, slen = 0;
    long l0, l1, k, bad = 0, tried = 0, first_bad = -1, last_bad = -1;
    gs_gcal_result rc;

    d_fresh_dir(dir, sizeof dir);
    h = open_dir(dir, 0);
    if (h == NULL) {
        CHECK(!"open");
        goto cleanup;
    }
    EXPECT_RC(h, push(h, "torn-a", "A v1"), GS_GCAL_QUEUED);
    gs_gcal_close(h);
    l0 = d_size(dir, D_JOURNAL);
    h = open_dir(dir, 0);
    if (h == NULL) {
        CHECK(!"reopen");
        goto cleanup;
    }
    if (op == OP_PUSH)
        rc = push(h, "torn-b", "B v1");
    else if (op == OP_EDIT)
        rc = push(h, "torn-a", "A v2");
    else
        rc = gs_gcal_cancel_meeting(h, "torn-a", NULL, NULL);
    h_check(rc == GS_GCAL_QUEUED || (op == OP_CANCEL && rc == GS_GCAL_OK), "B answered queued",
            __FILE__, __LINE__);
    gs_gcal_close(h);
    journal = d_slurp(dir, D_JOURNAL, &jlen);
    state = d_slurp(dir, D_STATE, &slen);
    l1 = (long)jlen;
    CHECK(journal != NULL && state != NULL && l0 > 0 && l1 > l0);
    if (journal == NULL || state == NULL || l0 <= 0 || l1 <= l0)
        goto cleanup;
    printf("# torn %s: A is %ld bytes, B %ld bytes; cutting B at every %ld\n", op_name[op], l0,
           l1 - l0, stride);

    /* k == l1 - l0 is the control: B complete. */
    for (k = 0; k <= l1 - l0; k = next_k(k, stride, l1 - l0)) {
        int complete = k == l1 - l0, maybe = k == l1 - l0 - 1; /* all but its newline */
        long depth, want_depth;
        struct d_found a, b, c;
        int ok = 1;
        if (d_spit(dir, D_STATE, state, slen) != 0 ||
            d_spit(dir, D_JOURNAL, journal, (size_t)(l0 + k)) != 0) {
            CHECK(!"restore");
            break;
        }
        h = open_dir(dir, 0);
        if (h == NULL) {
            QPRINTF("not ok - torn %s at %ld: open failed\n", op_name[op], k);
            h_failures++;
            continue;
        }
        rc = push(h, "torn-c", "C v1");
        if (rc != GS_GCAL_QUEUED) {
            QPRINTF("not ok - torn %s at %ld: push C returned %d\n", op_name[op], k, (int)rc);
            ok = 0;
        }
        gs_gcal_close(h);
        h = open_dir(dir, 0);
        depth = h ? d_depth(h) : -1;
        gs_gcal_close(h);
        /* B complete: push 3, edit 2, cancel 1; torn: 2 (all but the
           newline: either). */
        want_depth = 2 + (complete ? (op == OP_PUSH) - (op == OP_CANCEL) : 0);
        if (depth != want_depth &&
            !(maybe && depth == 2 + (op == OP_PUSH) - (op == OP_CANCEL))) {
            QPRINTF("not ok - torn %s at %ld of %ld: outbox depth %ld after reopen, expected %ld\n",
                   op_name[op], k, l1 - l0, depth, want_depth);
            ok = 0;
        }
        if (drain(dir) != 0) {
            QPRINTF("not ok - torn %s at %ld: the outbox did not drain\n", op_name[op], k);
            ok = 0;
        }
        if (!events()) {
            CHECK(!"events");
            break;
        }
        a = d_find(dump, "torn-a");
        b = d_find(dump, "torn-b");
        c = d_find(dump, "torn-c");
        if (c.n != 1) {
            QPRINTF("not ok - torn %s at %ld of %ld: Google holds %d of C (queued and reported), "
                   "expected 1\n", op_name[op], k, l1 - l0, c.n);
            ok = 0;
        }
        if (op == OP_PUSH) {
            if (a.n != 1 || strcmp(a.subject, "A v1") != 0) {
                QPRINTF("not ok - torn push at %ld of %ld: Google holds %d of A (%s)\n", k, l1 - l0,
                       a.n, a.subject);
                ok = 0;
            }
            if (b.n != complete && !(maybe && b.n == 1)) {
                QPRINTF("not ok - torn push at %ld of %ld: Google holds %d of B, expected %d\n", k,
                       l1 - l0, b.n, complete);
                ok = 0;
            }
        } else if (op == OP_EDIT) {
            const char *want = complete ? "A v2" : "A v1";
            if (a.n != 1 || (strcmp(a.subject, want) != 0 && !(maybe && strcmp(a.subject, "A v2") == 0))) {
                QPRINTF("not ok - torn edit at %ld of %ld: Google holds %d of A (\"%s\"), expected "
                       "1 (\"%s\")\n", k, l1 - l0, a.n, a.subject, want);
                ok = 0;
            }
        } else {
            if (a.n != !complete && !(maybe && a.n == 0)) {
                QPRINTF("not ok - torn cancel at %ld of %ld: Google holds %d of A, expected %d\n", k,
                       l1 - l0, a.n, !complete);
                ok = 0;
            }
        }
        h_checks++;
        tried++;
        if (!ok) {
            h_failures++;
            if (bad++ == 0)
                first_bad = k;
            last_bad = k;
            if (bad == 3)
                printf("# torn %s: details of later failing offsets are not printed\n", op_name[op]);
        }
        quiet = bad >= 3;
        POST_OK(&emu, "/control/clear_events", "");
    }
    quiet = 0;
    if (bad > 0)
        printf("not ok - torn %s: %ld of %ld cut offsets lost or duplicated a meeting (first at "
               "byte %ld, last at %ld of %ld)\n", op_name[op], bad, tried, first_bad, last_bad,
               l1 - l0);
cleanup:
    free(journal);
    free(state);
    h_rmdir(dir);
}

/* ---- part 2: SIGKILL at every syscall of one cycle -------------------- */

/* The cycle, in the child: each call's answer goes to fd `out` as
   "<index> <meeting> <subject|-> <rc>". Starts from a journal of A's 64
   edits (66 lines: the header, the first put, one line per edit; the
   library compacts beyond 2 x live + 64 lines), so edit B compacts. */
#define CYCLE 5
static const char *const cyc_id[CYCLE] = {"kill-b", "kill-a", "kill-b", "kill-c", "kill-a"};
static const char *const cyc_subject[CYCLE] = {"B-v001", "A-v065", "B-v002", "C-v001", NULL};

static int cycle_child(const char *dir, int out) {
    gs_gcal *h = NULL;
    char line[128];
    int i;
    if (gs_gcal_open(dir, &h) != GS_GCAL_OK)
        return 3;
    h_use_emulator(h, &emu);
    if (gs_gcal_set_option(h, "calendar_api_base", refused) != GS_GCAL_OK)
        return 4;
    for (i = 0; i < CYCLE; i++) {
        gs_gcal_result rc = cyc_subject[i] ? push(h, cyc_id[i], cyc_subject[i])
                                           : gs_gcal_cancel_meeting(h, cyc_id[i], NULL, NULL);
        int n = snprintf(line, sizeof line, "%d %s %s %d\n", i, cyc_id[i],
                         cyc_subject[i] ? cyc_subject[i] : "-", (int)rc);
        /* An injected error may hit this write too: try again once. */
        if (write(out, line, (size_t)n) != n && write(out, line, (size_t)n) != n)
            return 5;
    }
    gs_gcal_close(h);
    return 0;
}

/* Runs the cycle in a child under strace with `inject` (NULL: a counting
   run writing strace -c output to `count_file`). Fills answered[] with the
   reported codes (-1 when not reported); returns the wait status. */
static int run_cycle(const char *self, const char *dir, const char *inject, const char *count_file,
                     int answered[CYCLE]) {
    int fds[2], status = -1, i;
    char buf[256], fdarg[16];
    FILE *in;
    pid_t pid;
    for (i = 0; i < CYCLE; i++)
        answered[i] = -1;
    if (pipe(fds) != 0)
        return -1;
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        char spec[256];
        close(fds[0]);
        snprintf(fdarg, sizeof fdarg, "%d", fds[1]);
        unsetenv("GS_GCAL_LOG_FILE"); /* only the library's own writes are counted */
        if (inject != NULL) {
            snprintf(spec, sizeof spec, "%s", inject);
            execl("/usr/bin/strace", "strace", "-f", "-qq", "-o", "/dev/null", "-e", spec, self,
                  "--cycle-child", dir, fdarg, (char *)NULL);
        } else {
            execl("/usr/bin/strace", "strace", "-f", "-qq", "-c", "-o", count_file, "-e",
                  "trace=write,fsync,fdatasync,rename,renameat,renameat2,ftruncate,openat,"
                  "unlink,unlinkat",
                  self, "--cycle-child", dir, fdarg, (char *)NULL);
        }
        _exit(127);
    }
    close(fds[1]);
    in = fdopen(fds[0], "r");
    while (in != NULL && fgets(buf, sizeof buf, in) != NULL) {
        int idx, rc;
        char id[32], subject[32];
        if (sscanf(buf, "%d %31s %31s %d", &idx, id, subject, &rc) == 4 && idx >= 0 && idx < CYCLE)
            answered[idx] = rc;
    }
    if (in != NULL)
        fclose(in);
    else
        close(fds[0]);
    waitpid(pid, &status, 0);
    return status;
}

/* The baseline of part 2: A queued and edited 32 times (65 journal lines). */
static int baseline(const char *dir, char **journal, size_t *jlen, char **state, size_t *slen) {
    gs_gcal *h = open_dir(dir, 0);
    char subject[32];
    int i;
    if (h == NULL)
        return -1;
    for (i = 0; i <= 64; i++) {
        snprintf(subject, sizeof subject, "A-v%03d", i);
        EXPECT_RC(h, push(h, "kill-a", subject), GS_GCAL_QUEUED);
    }
    gs_gcal_close(h);
    *journal = d_slurp(dir, D_JOURNAL, jlen);
    *state = d_slurp(dir, D_STATE, slen);
    return *journal && *state ? 0 : -1;
}

/* After a run: opens, drains, compares Google with what was reported.
   `finished`: the child ran to the end (no call was in flight). */
static int verify(const char *dir, const int answered[CYCLE], int finished, const char *what) {
    const char *ids[3] = {"kill-a", "kill-b", "kill-c"};
    /* Per meeting: last reported subject ("" = none: baseline for A), whether
       a later call was in flight, whether a reported cancel removed it. */
    char last[3][32] = {"A-v064", "", ""};
    int gone[3] = {0, 0, 0}, inflight[3] = {0, 0, 0}, failed[3] = {0, 0, 0};
    int i, m, ok = 1, flying = -1;
    gs_gcal *h = NULL;
    long depth;
    for (i = 0; i < CYCLE; i++)
        if (answered[i] < 0) {
            flying = finished ? -1 : i;
            break;
        }
    for (i = 0; i < CYCLE; i++) {
        m = cyc_id[i][5] - 'a';
        if (answered[i] == GS_GCAL_QUEUED || answered[i] == GS_GCAL_OK) {
            if (cyc_subject[i] != NULL) {
                snprintf(last[m], sizeof last[m], "%s", cyc_subject[i]);
                gone[m] = 0;
            } else {
                gone[m] = 1;
            }
            failed[m] = 0;
        } else if (answered[i] >= 0) {
            failed[m] = 1; /* answered an error: must have left no trace */
        } else if (i == flying) {
            inflight[m] = 1;
        }
    }
    if (gs_gcal_open(dir, &h) != GS_GCAL_OK) {
        printf("not ok - %s: the state directory does not open\n", what);
        return 0;
    }
    depth = d_depth(h);
    gs_gcal_close(h);
    if (depth < 0 || depth > 3) {
        printf("not ok - %s: outbox depth %ld (3 meetings at most)\n", what, depth);
        ok = 0;
    }
    if (drain(dir) != 0) {
        printf("not ok - %s: the outbox did not drain\n", what);
        ok = 0;
    }
    if (!events())
        return 0;
    for (m = 0; m < 3; m++) {
        struct d_found f = d_find(dump, ids[m]);
        int want_n = gone[m] || last[m][0] == '\0' ? 0 : 1;
        if (inflight[m]) {
            /* The call in flight may or may not have happened. */
            if (f.n > 1 || (f.n == 1 && last[m][0] && strcmp(f.subject, last[m]) < 0) ||
                (f.n == 0 && want_n == 1 && !(cyc_subject[flying] == NULL))) {
                printf("not ok - %s: %s: Google holds %d (\"%s\"), last reported \"%s\" "
                       "(a call in flight)\n", what, ids[m], f.n, f.subject, last[m]);
                ok = 0;
            }
        } else if (f.n != want_n || (want_n && strcmp(f.subject, last[m]) != 0)) {
            printf("not ok - %s: %s: Google holds %d (\"%s\"), expected %d (\"%s\")%s\n", what,
                   ids[m], f.n, f.subject, want_n, want_n ? last[m] : "",
                   failed[m] ? " after a call that answered an error" : "");
            ok = 0;
        }
    }
    return ok;
}

/* strace -c output: "% time seconds usecs/call calls [errors] syscall". */
static int counted(const char *file, char names[][32], long *calls, int cap) {
    FILE *f = fopen(file, "r");
    char line[256];
    int n = 0;
    if (f == NULL)
        return 0;
    while (n < cap && fgets(line, sizeof line, f) != NULL) {
        char tok[6][32];
        int t = sscanf(line, "%31s %31s %31s %31s %31s %31s", tok[0], tok[1], tok[2], tok[3],
                       tok[4], tok[5]);
        if (t < 5 || strchr("0123456789", tok[0][0]) == NULL || strcmp(tok[t - 1], "total") == 0)
            continue;
        snprintf(names[n], 32, "%s", tok[t - 1]);
        calls[n] = atol(tok[3]);
        if (calls[n] > 0)
            n++;
    }
    fclose(f);
    return n;
}

static void kill_loop(const char *self, const char *mode) {
    char dir[512], spec[128], count_file[600], names[16][32], what[200];
    char *journal = NULL, *state = NULL;
    size_t jlen = 0, slen = 0;
    long calls[16], n, kills = 0;
    int answered[CYCLE], status, nsys, s, enospc = strcmp(mode, "enospc") == 0;

    d_fresh_dir(dir, sizeof dir);
    if (baseline(dir, &journal, &jlen, &state, &slen) != 0) {
        CHECK(!"baseline");
        goto cleanup;
    }
    CHECK(d_lines(dir, D_JOURNAL) == 66);
    snprintf(count_file, sizeof count_file, "%s/strace-count.txt", dir);
    status = run_cycle(self, dir, NULL, count_file, answered);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    for (s = 0; s < CYCLE; s++)
        h_check(answered[s] == GS_GCAL_QUEUED || (s == 4 && answered[s] == GS_GCAL_OK),
                "the undisturbed cycle answers queued", __FILE__, __LINE__);
    /* The cycle compacted (edit B), then appended C and A's cancel. */
    h_check(d_lines(dir, D_JOURNAL) < 10, "the cycle compacts the journal", __FILE__, __LINE__);
    CHECK(verify(dir, answered, 1, "undisturbed cycle"));
    POST_OK(&emu, "/control/clear_events", "");
    nsys = counted(count_file, names, calls, 16);
    CHECK(nsys >= 3);
    for (s = 0; s < nsys; s++) {
        if (enospc && strcmp(names[s], "write") != 0 && strcmp(names[s], "fsync") != 0 &&
            strcmp(names[s], "fdatasync") != 0 && strncmp(names[s], "rename", 6) != 0)
            continue;
        printf("# %s: %s x%ld in one cycle\n", mode, names[s], calls[s]);
        for (n = 1; n <= calls[s]; n++) {
            if (d_spit(dir, D_STATE, state, slen) != 0 || d_spit(dir, D_JOURNAL, journal, jlen) != 0) {
                CHECK(!"restore");
                goto cleanup;
            }
            snprintf(spec, sizeof spec, "inject=%s:%s:when=%ld", names[s],
                     enospc ? "error=ENOSPC" : "signal=SIGKILL", n);
            status = run_cycle(self, dir, spec, NULL, answered);
            snprintf(what, sizeof what, "%s at %s #%ld (answers %d %d %d %d %d)",
                     enospc ? "ENOSPC" : "SIGKILL", names[s], n, answered[0], answered[1],
                     answered[2], answered[3], answered[4]);
            kills += WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 128 + 9);
            h_checks++;
            if (!verify(dir, answered, WIFEXITED(status) && WEXITSTATUS(status) == 0, what))
                h_failures++;
            POST_OK(&emu, "/control/clear_events", "");
        }
    }
    printf("# %s: %ld runs ended by SIGKILL\n", mode, kills);
cleanup:
    free(journal);
    free(state);
    h_rmdir(dir);
}

int main(int argc, char **argv) {
    const char *env = getenv("GS_GCAL_TORN_STRIDE");
    long stride = env ? atol(env) : 1;

    if (argc == 4 && strcmp(argv[1], "--cycle-child") == 0) {
        const char *line = getenv("GS_GCAL_EMULATOR");
        memset(&emu, 0, sizeof emu);
        /* h_emulator would route the log to a file: not in the counted child. */
        if (line == NULL || h_json_string(line, "token_endpoint", emu.token_endpoint, 256) ||
            h_json_string(line, "auth_endpoint", emu.auth_endpoint, 256) ||
            h_json_string(line, "calendar_api_base", emu.calendar_api_base, 256) ||
            h_json_string(line, "device_endpoint", emu.device_endpoint, 256) ||
            h_json_string(line, "revoke_endpoint", emu.revoke_endpoint, 256) ||
            h_json_string(line, "ca_file", emu.ca_file, 512) || d_refused(refused, sizeof refused))
            return 2;
        return cycle_child(argv[2], atoi(argv[3]));
    }
    if (stride < 1)
        stride = 1;
    h_emulator(&emu);
    if (d_refused(refused, sizeof refused) != 0)
        return 2;
    if (d_authorize_once(&emu) != 0)
        return h_finish("test_torn");

    torn(OP_PUSH, stride);
    torn(OP_EDIT, stride);
    torn(OP_CANCEL, stride);

    if (d_emulated() || access("/usr/bin/strace", X_OK) != 0) {
        printf("SKIP: SIGKILL/ENOSPC at every syscall: %s\n",
               d_emulated() ? "no ptrace under valgrind/qemu" : "/usr/bin/strace is missing");
    } else {
        char self[1024];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        CHECK(n > 0);
        if (n > 0) {
            self[n] = '\0';
            kill_loop(self, "sigkill");
            kill_loop(self, "enospc");
        }
    }
    free(d_authorized_state);
    return h_finish("test_torn");
}
