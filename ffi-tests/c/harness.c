#define _POSIX_C_SOURCE 200809L
#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int h_failures = 0;
int h_checks = 0;

void h_check(int ok, const char *what, const char *file, int line) {
    h_checks++;
    if (!ok) {
        h_failures++;
        printf("not ok - %s (%s:%d)\n", what, file, line);
    }
}

void h_expect_rc(gs_gcal *h, gs_gcal_result got, gs_gcal_result want, const char *what,
                 const char *file, int line) {
    h_checks++;
    if (got != want) {
        char detail[GS_GCAL_ERROR_SIZE] = "";
        if (h != NULL && gs_gcal_last_error(h, detail, sizeof detail) != GS_GCAL_OK)
            detail[0] = '\0';
        h_failures++;
        printf("not ok - %s returned %d (%s), expected %d (%s) (%s:%d) detail: %s\n", what,
               (int)got, gs_gcal_strerror(got), (int)want, gs_gcal_strerror(want), file, line,
               detail);
    }
}

int h_finish(const char *suite) {
    printf("%s: %d checks, %d failed\n", suite, h_checks, h_failures);
    return h_failures == 0 ? 0 : 1;
}

const json *h_json_parse(arena *a, const char *text) {
    char err[200];
    const json *root;
    if (text == NULL) {
        printf("# h_json_parse: no text\n");
        return NULL;
    }
    root = json_parse(a, text, strlen(text), err, sizeof err);
    if (root == NULL)
        printf("# h_json_parse: not JSON: %s: %.200s\n", err, text);
    return root;
}

/* One step of a path: a member name (".name", "name" first, or
   "[\"name\"]") or an index ("[N]"). Returns the rest of the path, or NULL
   (printing why) when the path is malformed. */
static const char *path_step(const json *v, const char *p, const json **next) {
    char key[256];
    size_t n = 0;
    *next = NULL;
    if (p[0] == '[' && p[1] != '"') {
        char *end;
        unsigned long i = strtoul(p + 1, &end, 10);
        const json *e;
        if (end == p + 1 || *end != ']')
            return NULL;
        if (v != NULL && v->type == JSON_ARRAY)
            for (e = v->child; e != NULL; e = e->next)
                if (i-- == 0) {
                    *next = e;
                    break;
                }
        return end + 1;
    }
    if (p[0] == '[') { /* ["quoted name"] */
        for (p += 2; *p != '\0' && *p != '"'; p++)
            if (n + 1 < sizeof key)
                key[n++] = *p;
        if (p[0] != '"' || p[1] != ']')
            return NULL;
        p += 2;
    } else {
        if (*p == '.')
            p++;
        for (; *p != '\0' && *p != '.' && *p != '['; p++)
            if (n + 1 < sizeof key)
                key[n++] = *p;
        if (n == 0)
            return NULL;
    }
    key[n] = '\0';
    *next = json_get(v, key);
    return p;
}

const json *h_json_at(const json *v, const char *path) {
    const char *p = path;
    while (v != NULL && *p != '\0') {
        const json *next;
        if ((p = path_step(v, p, &next)) == NULL) {
            printf("# h_json_at: malformed path \"%s\"\n", path);
            return NULL;
        }
        v = next;
    }
    return v;
}

int h_json_str(const json *v, const char *path, char *buf, size_t cap) {
    const json *s = h_json_at(v, path);
    if (s == NULL || s->type != JSON_STRING || cap == 0 || strlen(s->text) >= cap)
        return -1;
    memcpy(buf, s->text, strlen(s->text) + 1);
    return 0;
}

int h_json_int(const json *v, const char *path, long long *out) {
    return json_as_int(h_json_at(v, path), out) ? 0 : -1;
}

int h_json_bool(const json *v, const char *path, int *out) {
    const json *b = h_json_at(v, path);
    if (b == NULL || b->type != JSON_BOOL)
        return -1;
    *out = b->boolean ? 1 : 0;
    return 0;
}

int h_json_is_null(const json *v, const char *path) {
    const json *n = h_json_at(v, path);
    return n != NULL && n->type == JSON_NULL;
}

long h_json_len(const json *v, const char *path) {
    const json *c = h_json_at(v, path);
    if (c == NULL || (c->type != JSON_ARRAY && c->type != JSON_OBJECT))
        return -1;
    return (long)c->count;
}

int h_json_str_is(const json *v, const char *path, const char *want) {
    const json *s = h_json_at(v, path);
    return s != NULL && s->type == JSON_STRING && strcmp(s->text, want) == 0;
}

int h_json_int_is(const json *v, const char *path, long long want) {
    long long n;
    return h_json_int(v, path, &n) == 0 && n == want;
}

int h_json_bool_is(const json *v, const char *path, int want) {
    int b;
    return h_json_bool(v, path, &b) == 0 && b == !!want;
}

const json *h_json_find(const json *v, const char *path, const char *key, const char *want) {
    const json *arr = h_json_at(v, path), *e;
    if (arr == NULL || arr->type != JSON_ARRAY)
        return NULL;
    for (e = arr->child; e != NULL; e = e->next)
        if (h_json_str_is(e, key, want))
            return e;
    return NULL;
}

const json *h_status(gs_gcal *h, arena *a) {
    size_t needed = 0;
    char *text;
    if (gs_gcal_status_json(h, NULL, 0, &needed) != GS_GCAL_BUFFER_TOO_SMALL || needed == 0)
        return NULL;
    text = arena_alloc(a, needed + 64); /* room for a second that changes a number */
    if (gs_gcal_status_json(h, text, needed + 64, NULL) != GS_GCAL_OK)
        return NULL;
    return h_json_parse(a, text);
}

int h_status_str_is(gs_gcal *h, const char *path, const char *want) {
    arena a = {0};
    int ok = h_json_str_is(h_status(h, &a), path, want);
    arena_free(&a);
    return ok;
}

int h_status_str_has(gs_gcal *h, const char *path, const char *part) {
    arena a = {0};
    const json *s = h_json_at(h_status(h, &a), path);
    int ok = s != NULL && s->type == JSON_STRING && strstr(s->text, part) != NULL;
    arena_free(&a);
    return ok;
}

int h_status_int_is(gs_gcal *h, const char *path, long long want) {
    arena a = {0};
    int ok = h_json_int_is(h_status(h, &a), path, want);
    arena_free(&a);
    return ok;
}

int h_status_is_null(gs_gcal *h, const char *path) {
    arena a = {0};
    int ok = h_json_is_null(h_status(h, &a), path);
    arena_free(&a);
    return ok;
}

long h_json_count(const json *v, const char *path, const char *key, const char *want) {
    const json *arr = h_json_at(v, path), *e;
    long n = 0;
    if (arr == NULL || arr->type != JSON_ARRAY)
        return -1;
    for (e = arr->child; e != NULL; e = e->next)
        n += h_json_str_is(e, key, want);
    return n;
}

const json *h_json_find_has(const json *v, const char *path, const char *key, const char *part) {
    const json *arr = h_json_at(v, path), *e, *s;
    if (arr == NULL || arr->type != JSON_ARRAY)
        return NULL;
    for (e = arr->child; e != NULL; e = e->next)
        if ((s = h_json_at(e, key)) != NULL && s->type == JSON_STRING && strstr(s->text, part))
            return e;
    return NULL;
}

int h_text_str_is(const char *text, const char *path, const char *want) {
    arena a = {0};
    int ok = h_json_str_is(h_json_parse(&a, text), path, want);
    arena_free(&a);
    return ok;
}

int h_text_int_is(const char *text, const char *path, long long want) {
    arena a = {0};
    int ok = h_json_int_is(h_json_parse(&a, text), path, want);
    arena_free(&a);
    return ok;
}

int h_text_is_null(const char *text, const char *path) {
    arena a = {0};
    int ok = h_json_is_null(h_json_parse(&a, text), path);
    arena_free(&a);
    return ok;
}

int h_text_bool_is(const char *text, const char *path, int want) {
    arena a = {0};
    int ok = h_json_bool_is(h_json_parse(&a, text), path, want);
    arena_free(&a);
    return ok;
}

int h_text_str_has(const char *text, const char *path, const char *part) {
    arena a = {0};
    const json *s = h_json_at(h_json_parse(&a, text), path);
    int ok = s != NULL && s->type == JSON_STRING && strstr(s->text, part) != NULL;
    arena_free(&a);
    return ok;
}

int h_json_string(const char *text, const char *key, char *out, size_t cap) {
    arena a = {0};
    const json *root = h_json_parse(&a, text);
    int rc = root != NULL ? h_json_str(json_get(root, key), "", out, cap) : -1;
    arena_free(&a);
    return rc;
}

/* Every library log line goes to $GS_GCAL_LOG_FILE (set by run.sh), so
   the runner's secret check covers the log output of every suite. */
static void log_to_file(void *userdata, int32_t level, const char *line) {
    fprintf((FILE *)userdata, "%d %s\n", (int)level, line);
}

void h_log_to_file(void) {
    const char *path = getenv("GS_GCAL_LOG_FILE");
    FILE *f;
    if (path == NULL || (f = fopen(path, "a")) == NULL)
        return;
    setvbuf(f, NULL, _IOLBF, 0); /* whole lines, even when a test is SIGKILLed */
    /* Kept open for the life of the process: the library may log until exit. */
    if (gs_gcal_set_log_callback(NULL, GS_GCAL_LOG_DEBUG, log_to_file, f) != GS_GCAL_OK)
        fclose(f);
}

void h_emulator(emulator *e) {
    const char *line = getenv("GS_GCAL_EMULATOR");
    h_log_to_file();
    memset(e, 0, sizeof *e);
    if (line == NULL) {
        fprintf(stderr, "GS_GCAL_EMULATOR is not set: run this test through ffi-tests/run.sh\n");
        exit(2);
    }
    if (h_json_string(line, "auth_endpoint", e->auth_endpoint, sizeof e->auth_endpoint) ||
        h_json_string(line, "token_endpoint", e->token_endpoint, sizeof e->token_endpoint) ||
        h_json_string(line, "calendar_api_base", e->calendar_api_base,
                      sizeof e->calendar_api_base) ||
        h_json_string(line, "ca_file", e->ca_file, sizeof e->ca_file) ||
        h_json_string(line, "client_id", e->client_id, sizeof e->client_id) ||
        h_json_string(line, "client_secret", e->client_secret, sizeof e->client_secret) ||
        h_json_string(line, "redirect_uri", e->redirect_uri, sizeof e->redirect_uri) ||
        h_json_string(line, "account", e->account, sizeof e->account) ||
        h_json_string(line, "device_endpoint", e->device_endpoint, sizeof e->device_endpoint) ||
        h_json_string(line, "revoke_endpoint", e->revoke_endpoint, sizeof e->revoke_endpoint) ||
        h_json_string(line, "device_client_id", e->device_client_id,
                      sizeof e->device_client_id) ||
        h_json_string(line, "device_client_secret", e->device_client_secret,
                      sizeof e->device_client_secret)) {
        fprintf(stderr, "GS_GCAL_EMULATOR is not the emulator's startup line\n");
        exit(2);
    }
    {
        arena a = {0};
        long long port = -1;
        if (h_json_int(h_json_parse(&a, line), "control_port", &port) != 0)
            port = -1;
        arena_free(&a);
        e->control_port = (int)port;
    }
}

int h_control(const emulator *e, const char *method, const char *path, const char *body,
              char *out, size_t cap) {
    struct sockaddr_in addr;
    char head[512];
    char *resp = NULL, *sep;
    size_t got = 0, size = 0, blen = body ? strlen(body) : 0;
    ssize_t n;
    int fd, status = -1;

    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)e->control_port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0)
        goto out;
    snprintf(head, sizeof head,
             "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n",
             method, path, blen);
    if (write(fd, head, strlen(head)) < 0 || (blen && write(fd, body, blen) < 0))
        goto out;
    /* The server closes after answering (Connection: close): read it all. */
    for (;;) {
        if (size - got < 65536) {
            char *grown = realloc(resp, size + (size < 65536 ? 65536 : size));
            if (grown == NULL)
                goto out;
            resp = grown;
            size += size < 65536 ? 65536 : size;
        }
        if ((n = read(fd, resp + got, size - 1 - got)) <= 0)
            break;
        got += (size_t)n;
    }
    resp[got] = '\0';
    if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1)
        status = -1;
    sep = strstr(resp, "\r\n\r\n");
    /* An answer cut to fit would read as some other document: refuse it. */
    if (out != NULL && cap > 0 && (size_t)snprintf(out, cap, "%s", sep ? sep + 4 : "") >= cap) {
        printf("# h_control: %s %s answered more than the %zu bytes given\n", method, path, cap);
        status = -1;
    }
out:
    free(resp);
    close(fd);
    return status;
}

void h_tempdir(char *out, size_t cap) {
    const char *base = getenv("TMPDIR");
    snprintf(out, cap, "%s/gs_gcal_test_XXXXXX", base ? base : "/tmp");
    if (mkdtemp(out) == NULL) {
        perror("mkdtemp");
        exit(2);
    }
}

void h_rmdir(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *ent;
    char path[1024];
    if (d == NULL)
        return;
    while ((ent = readdir(d)) != NULL) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

void h_use_emulator(gs_gcal *h, const emulator *e) {
    EXPECT_RC(h, gs_gcal_set_option(h, "auth_endpoint", e->auth_endpoint), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_set_option(h, "token_endpoint", e->token_endpoint), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_set_option(h, "calendar_api_base", e->calendar_api_base), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_set_option(h, "device_endpoint", e->device_endpoint), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_set_option(h, "revoke_endpoint", e->revoke_endpoint), GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_set_option(h, "ca_file", e->ca_file), GS_GCAL_OK);
}

int h_consent(const emulator *e, const char *auth_url, const char *decision, char *redirect,
              size_t cap) {
    static char body[8192], resp[8192];
    int status;
    /* auth URLs contain no characters needing JSON escapes besides none. */
    snprintf(body, sizeof body, "{\"url\":\"%s\",\"decision\":\"%s\"}", auth_url, decision);
    status = h_control(e, "POST", "/control/consent", body, resp, sizeof resp);
    if (status != 200)
        return -1;
    return h_json_string(resp, "redirect", redirect, cap);
}

gs_gcal_result h_push(gs_gcal *h, const gs_gcal_meeting *m, char *event_id, size_t *skipped,
                      size_t cap, size_t *count) {
    gs_gcal_push_result out;
    gs_gcal_result rc;
    memset(&out, 0, sizeof out);
    out.struct_size = sizeof out;
    rc = gs_gcal_push_meeting(h, m, &out, skipped, cap);
    if (rc == GS_GCAL_OK) {
        if (event_id != NULL)
            snprintf(event_id, GS_GCAL_EVENT_ID_SIZE, "%s", out.event_id);
        if (count != NULL)
            *count = out.skipped_count;
    }
    return rc;
}

void h_post(const emulator *e, const char *path, const char *json, const char *file, int line) {
    h_check(h_control(e, "POST", path, json, NULL, 0) == 200, path, file, line);
}

long h_counter(const emulator *e, const char *name) {
    static char body[1 << 16];
    arena a = {0};
    const json *root;
    long long n = 0;
    long rc = -1;
    if (h_control(e, "GET", "/control/requests", NULL, body, sizeof body) != 200)
        goto out;
    if ((root = h_json_parse(&a, body)) == NULL)
        goto out;
    if (json_get(root, name) != NULL && h_json_int(json_get(root, name), "", &n) != 0)
        goto out;
    rc = (long)n; /* 0 when absent */
out:
    arena_free(&a);
    return rc;
}

gs_gcal *h_open_authorized(const emulator *e, char *dir, size_t cap) {
    static char url[2048], redirect[2048];
    gs_gcal *h = NULL;
    h_tempdir(dir, cap);
    EXPECT_RC(NULL, gs_gcal_open(dir, &h), GS_GCAL_OK);
    if (h == NULL)
        return NULL;
    h_use_emulator(h, e);
    EXPECT_RC(h, gs_gcal_set_client(h, e->client_id, e->client_secret, e->redirect_uri),
              GS_GCAL_OK);
    EXPECT_RC(h, gs_gcal_auth_url(h, url, sizeof url, NULL), GS_GCAL_OK);
    CHECK(h_consent(e, url, "allow", redirect, sizeof redirect) == 0);
    EXPECT_RC(h, gs_gcal_authorize(h, redirect), GS_GCAL_OK);
    return h;
}

int h_each_event(const char *dump, const char *meeting_id,
                 void (*each)(const json *event, void *ctx), void *ctx) {
    arena a = {0};
    const json *root = h_json_parse(&a, dump), *cal, *ev;
    int n = 0;
    if (root == NULL || root->type != JSON_OBJECT) {
        n = -1;
        goto out;
    }
    for (cal = root->child; cal != NULL; cal = cal->next) {
        if (cal->type != JSON_ARRAY)
            continue;
        for (ev = cal->child; ev != NULL; ev = ev->next) {
            if (meeting_id != NULL &&
                !h_json_str_is(ev, "extendedProperties.private.gsGcalMeetingId", meeting_id))
                continue;
            n++;
            if (each != NULL)
                each(ev, ctx);
        }
    }
out:
    arena_free(&a);
    return n;
}
