/*
 * Helpers shared by the durability tests (test_torn, test_fullfs,
 * test_hostile_dir, test_paging): whole-file copies of state-directory
 * files, the outbox depth from the status JSON, events counted in the
 * emulator, and a child's peak memory. Header-only (static inline), so
 * the build rule stays "one test file + $(HARNESS)".
 */
#ifndef GS_GCAL_DURABLE_H
#define GS_GCAL_DURABLE_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gs_gcal.h"
#include "harness.h"

#define D_STATE "gs_gcal.state.json"
#define D_JOURNAL "gs_gcal.outbox.jsonl"
#define D_CACHE "gs_gcal.cache.json"
#define D_LOCK "gs_gcal.lock"

/* A file's bytes (malloc'ed; *len its size; NULL when absent). */
static inline char *d_slurp(const char *dir, const char *name, size_t *len) {
    char path[1024];
    struct stat st;
    char *buf = NULL;
    size_t got = 0;
    ssize_t n;
    int fd;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    *len = 0;
    fd = open(path, O_RDONLY | O_NOFOLLOW);
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        goto out;
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL)
        goto out;
    while (got < (size_t)st.st_size && (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
        got += (size_t)n;
    buf[got] = '\0';
    *len = got;
out:
    close(fd);
    return buf;
}

/* Replaces dir/name with len bytes of data (plain write, mode 0600). */
static inline int d_spit(const char *dir, const char *name, const char *data, size_t len) {
    char path[1024];
    size_t done = 0;
    ssize_t n;
    int fd;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -1;
    while (done < len && (n = write(fd, data + done, len - done)) > 0)
        done += (size_t)n;
    close(fd);
    return done == len ? 0 : -1;
}

/* The state file of a handle authorized at the (reset) emulator, kept in
   memory so that every scenario starts from a fresh directory already
   authorized (d_fresh_dir) without redoing consent. */
static char *d_authorized_state;
static size_t d_authorized_len;

static inline int d_authorize_once(const emulator *e) {
    char dir[512];
    gs_gcal *h;
    POST_OK(e, "/control/reset", "");
    h = h_open_authorized(e, dir, sizeof dir);
    if (h == NULL)
        return -1;
    gs_gcal_close(h);
    d_authorized_state = d_slurp(dir, D_STATE, &d_authorized_len);
    h_rmdir(dir);
    CHECK(d_authorized_state != NULL);
    return d_authorized_state == NULL ? -1 : 0;
}

/* A fresh directory holding only the authorized state file. */
static inline void d_fresh_dir(char *dir, size_t cap) {
    h_tempdir(dir, cap);
    if (d_spit(dir, D_STATE, d_authorized_state, d_authorized_len) != 0)
        CHECK(!"cannot write the state file");
}

static inline long d_size(const char *dir, const char *name) {
    char path[1024];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return lstat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Lines (newline-terminated) in a file; -1 when absent. */
static inline long d_lines(const char *dir, const char *name) {
    size_t len, i;
    long n = 0;
    char *b = d_slurp(dir, name, &len);
    if (b == NULL)
        return -1;
    for (i = 0; i < len; i++)
        n += b[i] == '\n';
    free(b);
    return n;
}

/* health.outbox_depth of the handle's status; -1 when absent. */
static inline long d_depth(gs_gcal *h) {
    arena a = {0};
    long long depth = -1;
    if (h_json_int(h_status(h, &a), "health.outbox_depth", &depth) != 0)
        depth = -1;
    arena_free(&a);
    return (long)depth;
}

static inline void d_meeting(gs_gcal_meeting *m, const char *id, const char *subject) {
    memset(m, 0, sizeof *m);
    m->struct_size = sizeof *m;
    m->meeting_id = id;
    m->subject = subject;
    m->start = "2024-09-02T10:00";
    m->end = "11:00";
    m->time_zone = "Etc/GMT-1";
}

struct d_found {
    int n;
    char subject[64];
};

static inline void d_found_one(const json *ev, void *ctx) {
    struct d_found *f = ctx;
    const char *s = json_str(ev, "summary");
    if (!h_json_str_is(ev, "status", "confirmed"))
        return;
    f->n++;
    if (s != NULL)
        snprintf(f->subject, sizeof f->subject, "%s", s);
}

/* Confirmed events of meeting `id` in an emulator dump; the last one's
   subject goes to f->subject. */
static inline struct d_found d_find(const char *dump, const char *id) {
    struct d_found f;
    memset(&f, 0, sizeof f);
    h_each_event(dump, id, d_found_one, &f);
    return f;
}

/* The emulator's refused port as a Calendar API base (startup line). */
static inline int d_refused(char *out, size_t cap) {
    const char *line = getenv("GS_GCAL_EMULATOR");
    if (line == NULL || cap < 32 || h_json_string(line, "refused_base", out, cap - 16) != 0)
        return -1;
    strcat(out, "/calendar/v3");
    return 0;
}

/* Peak RSS (KiB) of a waited-for child. */
static inline long d_child_maxrss(pid_t pid, int *status) {
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    if (wait4(pid, status, 0, &ru) != pid)
        return -1;
    return ru.ru_maxrss;
}

/* True when running under valgrind or qemu-user, where strace, unshare
   and mount cannot work (set by the Makefile for those runs). */
static inline int d_emulated(void) {
    const char *v = getenv("GS_GCAL_NO_PTRACE");
    return v != NULL && *v != '\0' && strcmp(v, "0") != 0;
}

#endif
