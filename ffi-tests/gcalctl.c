/*
 * gcalctl - administer a gs-gcal Google Calendar integration from a shell.
 *
 *   gcalctl [OPTIONS] STATE_DIR COMMAND [ARGS]
 *
 * Built on the public C API only (include/gs_gcal.h), this is also the
 * reference example of using it: open a handle on a state directory, set
 * the options (they are not persisted by the library), call, report
 * failures with gs_gcal_strerror() and gs_gcal_last_error(), close. See
 * docs/gcalctl.md for every command, the meeting JSON schema, the --json
 * shapes and the exit codes.
 *
 * Layout of this file: small utilities (growable strings, an arena), a
 * strict JSON reader (meeting files, and the JSON the library returns) and
 * writer (--json), times, error reporting, the handle with its stored
 * options, one function per command, main.
 *
 * Secrets (client secret, codes, tokens, passphrases) are never printed,
 * never taken from argv where avoidable, and wiped from memory after use.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "gs_gcal.h"

/* Exit codes (documented in --help and docs/gcalctl.md). */
enum {
    EXIT_DONE = 0,         /* done */
    EXIT_FAILED = 1,       /* the operation failed: Google refused, network, ... */
    EXIT_USAGE = 2,        /* bad command line or invalid input */
    EXIT_QUEUED = 3,       /* accepted offline: stored, `sync` sends it later */
    EXIT_AUTH = 4,         /* not configured or not authorized: the admin must act */
    EXIT_LOCAL = 5,        /* local error: state directory, files */
    EXIT_INTERRUPTED = 130 /* Ctrl-C (128 + SIGINT, as shells report it) */
};

#define PROG "gcalctl"
/* Stored options, applied after every open (the library keeps none). */
#define OPTIONS_FILE "gcalctl.options"
#define MAX_OPTIONS 64
/* Largest meeting file or backup we read. */
#define MAX_FILE_SIZE (1 << 20)
/* Secrets, codes and passphrases typed or piped in. */
#define MAX_LINE 4096
/* Budget of `sync` when none is given, in ms. */
#define DEFAULT_SYNC_BUDGET 30000

/* Set by SIGINT/SIGTERM; long waits check it. The handler is reset after the
   first signal, so a second Ctrl-C ends the program at once (the library's
   state and outbox survive being killed at any moment). */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig) {
    (void)sig;
    interrupted = 1;
}

/* ------------------------------------------------------------------------ */
/* Small utilities                                                          */
/* ------------------------------------------------------------------------ */

static void out_of_memory(void) {
    fputs(PROG ": out of memory\n", stderr);
    exit(EXIT_LOCAL);
}

static void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        out_of_memory();
    return q;
}

static char *xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    return memcpy(xrealloc(NULL, n), s, n);
}

/* Overwrites a secret; the volatile pointer keeps the compiler from
   dropping the stores as dead. */
static void wipe(void *p, size_t n) {
    volatile unsigned char *v = p;
    while (n--)
        *v++ = 0;
}

/* A growable NUL-terminated string. */
typedef struct strbuf {
    char *data;
    size_t len, cap;
} strbuf;

static void sb_putn(strbuf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void sb_puts(strbuf *b, const char *s) {
    sb_putn(b, s, strlen(s));
}

static void sb_printf(strbuf *b, const char *fmt, ...) {
    char small[256];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        sb_putn(b, small, (size_t)n);
        return;
    }
    {
        char *big = xrealloc(NULL, (size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        sb_putn(b, big, (size_t)n);
        free(big);
    }
}

/* A JSON string literal for s (UTF-8 passes through); NULL gives null. */
static void sb_json_str(strbuf *b, const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    if (s == NULL) {
        sb_puts(b, "null");
        return;
    }
    sb_putn(b, "\"", 1);
    for (; *p; p++) {
        switch (*p) {
        case '"': sb_puts(b, "\\\""); break;
        case '\\': sb_puts(b, "\\\\"); break;
        case '\n': sb_puts(b, "\\n"); break;
        case '\r': sb_puts(b, "\\r"); break;
        case '\t': sb_puts(b, "\\t"); break;
        default:
            if (*p < 0x20)
                sb_printf(b, "\\u%04x", *p);
            else
                sb_putn(b, (const char *)p, 1);
        }
    }
    sb_putn(b, "\"", 1);
}

static void sb_free(strbuf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* An arena: many small allocations, one free. The JSON reader uses it. */
typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    max_align_t data[]; /* aligned for any node */
} arena_block;

typedef struct arena {
    arena_block *head;
} arena;

static void *arena_alloc(arena *a, size_t n) {
    const size_t align = _Alignof(max_align_t);
    void *p;
    n = (n + align - 1) / align * align;
    if (n == 0)
        n = align;
    if (a->head == NULL || a->head->cap - a->head->used < n) {
        size_t cap = n > 16384 ? n : 16384;
        arena_block *b = xrealloc(NULL, sizeof *b + cap);
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    p = (unsigned char *)a->head->data + a->head->used;
    a->head->used += n;
    return p;
}

static void arena_free(arena *a) {
    while (a->head != NULL) {
        arena_block *next = a->head->next;
        free(a->head);
        a->head = next;
    }
}

/* Reads a whole file ("-" is stdin) of at most MAX_FILE_SIZE bytes into *out
   (NUL-terminated, caller frees). Returns 0, or an errno value. */
static int read_file(const char *path, char **out, size_t *len) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0, got;
    int err = 0;
    if (f == NULL)
        return errno;
    do {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            buf = xrealloc(buf, cap);
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (n > MAX_FILE_SIZE) {
            err = EFBIG;
            break;
        }
    } while (got > 0);
    if (err == 0 && ferror(f))
        err = errno ? errno : EIO;
    if (f != stdin)
        fclose(f);
    if (err != 0) {
        free(buf);
        return err;
    }
    buf = xrealloc(buf, n + 1);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

/* Writes text to path atomically (a temporary file in the same directory,
   fsync, rename) with mode 0600; "-" writes to stdout. Returns 0 or errno. */
static int write_file_atomic(const char *path, const char *text) {
    size_t len = strlen(text), off = 0;
    char *tmp;
    int fd, err = 0;
    if (strcmp(path, "-") == 0) {
        if (fputs(text, stdout) == EOF || fflush(stdout) == EOF)
            return errno ? errno : EIO;
        return 0;
    }
    tmp = xrealloc(NULL, strlen(path) + 8);
    sprintf(tmp, "%s.XXXXXX", path);
    fd = mkstemp(tmp); /* mode 0600 */
    if (fd < 0) {
        err = errno;
        goto cleanup;
    }
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            err = errno;
            break;
        }
        off += (size_t)w;
    }
    if (err == 0 && fsync(fd) != 0)
        err = errno;
    if (close(fd) != 0 && err == 0)
        err = errno;
    if (err == 0 && rename(tmp, path) != 0)
        err = errno;
    if (err != 0)
        unlink(tmp);
cleanup:
    free(tmp);
    return err;
}

/* ------------------------------------------------------------------------ */
/* JSON reader                                                              */
/* ------------------------------------------------------------------------ */
/*
 * A strict RFC 8259 reader into a tree allocated from an arena: UTF-8
 * checked, escapes decoded (\u0000 refused: values become C strings),
 * duplicate member names refused, nesting at most 64 deep. Every node keeps
 * its byte offset so that messages can say "line L, column C".
 */
typedef enum json_type {
    JSON_NULL,
    JSON_BOOL,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
} json_type;

typedef struct json json;
struct json {
    json_type type;
    bool boolean;     /* JSON_BOOL */
    const char *text; /* JSON_STRING: decoded value; JSON_NUMBER: its literal */
    const char *key;  /* member name, inside an object */
    json *child;      /* first element or member */
    json *next;       /* next sibling */
    size_t count;     /* elements or members */
    size_t pos;       /* byte offset of the value in the document */
    size_t key_pos;   /* byte offset of the member name */
};

typedef struct json_parser {
    const char *doc, *p, *end;
    arena *arena;
    int depth;
    char error[160];
    size_t error_pos;
} json_parser;

#define JSON_MAX_DEPTH 64

/* "line L, column C" of a byte offset (columns count characters). */
static void json_where(const char *doc, size_t pos, char *out, size_t cap) {
    int line = 1, col = 1;
    size_t i;
    for (i = 0; i < pos && doc[i]; i++) {
        if (doc[i] == '\n') {
            line++;
            col = 1;
        } else if (((unsigned char)doc[i] & 0xC0) != 0x80) {
            col++;
        }
    }
    snprintf(out, cap, "line %d, column %d", line, col);
}

static bool json_fail(json_parser *jp, const char *at, const char *msg) {
    if (jp->error[0] == '\0') {
        snprintf(jp->error, sizeof jp->error, "%s", msg);
        jp->error_pos = (size_t)(at - jp->doc);
    }
    return false;
}

/* Length of the UTF-8 sequence at p (1..4), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end) {
    unsigned c = p[0], need, cp, i;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        need = 1, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        need = 2, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        need = 3, cp = c & 0x07;
    else
        return 0;
    if ((size_t)(end - p) <= need)
        return 0;
    for (i = 1; i <= need; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return need + 1;
}

static void json_ws(json_parser *jp) {
    while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' || *jp->p == '\r'))
        jp->p++;
}

static json *json_node(json_parser *jp, json_type type, const char *at) {
    json *n = arena_alloc(jp->arena, sizeof *n);
    memset(n, 0, sizeof *n);
    n->type = type;
    n->pos = (size_t)(at - jp->doc);
    return n;
}

static int hex4(const char *p) {
    int v = 0, i;
    for (i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

static char *put_utf8(char *o, unsigned long cp) {
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* A string at jp->p (on the opening quote); the decoded value goes to *out. */
static bool json_string_lit(json_parser *jp, const char **out) {
    const char *start = jp->p++, *scan;
    char *o, *val;
    /* The decoded text is never longer than the literal. */
    for (scan = jp->p; scan < jp->end && *scan != '"'; scan++)
        if (*scan == '\\' && scan + 1 < jp->end)
            scan++;
    if (scan >= jp->end)
        return json_fail(jp, start, "unterminated string");
    val = o = arena_alloc(jp->arena, (size_t)(scan - jp->p) + 1);
    while (*jp->p != '"') {
        const unsigned char c = (unsigned char)*jp->p;
        if (c < 0x20)
            return json_fail(jp, jp->p, "control character in a string (escape it)");
        if (c == '\\') {
            const char *esc = jp->p++;
            switch (*jp->p++) {
            case '"': *o++ = '"'; break;
            case '\\': *o++ = '\\'; break;
            case '/': *o++ = '/'; break;
            case 'b': *o++ = '\b'; break;
            case 'f': *o++ = '\f'; break;
            case 'n': *o++ = '\n'; break;
            case 'r': *o++ = '\r'; break;
            case 't': *o++ = '\t'; break;
            case 'u': {
                long cp = jp->end - jp->p >= 4 ? hex4(jp->p) : -1;
                if (cp < 0)
                    return json_fail(jp, esc, "\\u needs four hex digits");
                jp->p += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    long lo = (jp->end - jp->p >= 6 && jp->p[0] == '\\' && jp->p[1] == 'u')
                                  ? hex4(jp->p + 2)
                                  : -1;
                    if (lo < 0xDC00 || lo > 0xDFFF)
                        return json_fail(jp, esc, "unpaired UTF-16 surrogate in \\u escape");
                    jp->p += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    return json_fail(jp, esc, "unpaired UTF-16 surrogate in \\u escape");
                } else if (cp == 0) {
                    return json_fail(jp, esc, "\\u0000 is not allowed");
                }
                o = put_utf8(o, (unsigned long)cp);
                break;
            }
            default:
                return json_fail(jp, esc, "unknown escape in a string");
            }
        } else {
            *o++ = *jp->p++;
        }
    }
    *o = '\0';
    jp->p++; /* closing quote */
    *out = val;
    return true;
}

static bool json_value(json_parser *jp, json **out);

static bool json_number(json_parser *jp, json **out) {
    const char *start = jp->p;
    char *lit;
    if (jp->p < jp->end && *jp->p == '-')
        jp->p++;
    if (jp->p < jp->end && *jp->p == '0') {
        jp->p++;
    } else if (jp->p < jp->end && *jp->p >= '1' && *jp->p <= '9') {
        while (jp->p < jp->end && isdigit((unsigned char)*jp->p))
            jp->p++;
    } else {
        return json_fail(jp, start, "malformed number");
    }
    if (jp->p < jp->end && *jp->p == '.') {
        jp->p++;
        if (jp->p >= jp->end || !isdigit((unsigned char)*jp->p))
            return json_fail(jp, start, "malformed number");
        while (jp->p < jp->end && isdigit((unsigned char)*jp->p))
            jp->p++;
    }
    if (jp->p < jp->end && (*jp->p == 'e' || *jp->p == 'E')) {
        jp->p++;
        if (jp->p < jp->end && (*jp->p == '+' || *jp->p == '-'))
            jp->p++;
        if (jp->p >= jp->end || !isdigit((unsigned char)*jp->p))
            return json_fail(jp, start, "malformed number");
        while (jp->p < jp->end && isdigit((unsigned char)*jp->p))
            jp->p++;
    }
    *out = json_node(jp, JSON_NUMBER, start);
    lit = arena_alloc(jp->arena, (size_t)(jp->p - start) + 1);
    memcpy(lit, start, (size_t)(jp->p - start));
    lit[jp->p - start] = '\0';
    (*out)->text = lit;
    return true;
}

/* An array or object, jp->p on its opening bracket. */
static bool json_container(json_parser *jp, json **out) {
    const bool object = *jp->p == '{';
    const char close = object ? '}' : ']';
    json *n = json_node(jp, object ? JSON_OBJECT : JSON_ARRAY, jp->p), **tail = &n->child;
    if (++jp->depth > JSON_MAX_DEPTH)
        return json_fail(jp, jp->p, "nested too deeply");
    jp->p++;
    json_ws(jp);
    if (jp->p < jp->end && *jp->p == close) {
        jp->p++;
        jp->depth--;
        *out = n;
        return true;
    }
    for (;;) {
        const char *key = NULL, *key_at = jp->p;
        json *item;
        if (object) {
            json *m;
            if (jp->p >= jp->end || *jp->p != '"')
                return json_fail(jp, jp->p, "expected a member name in double quotes");
            if (!json_string_lit(jp, &key))
                return false;
            for (m = n->child; m != NULL; m = m->next)
                if (strcmp(m->key, key) == 0)
                    return json_fail(jp, key_at, "duplicate member name");
            json_ws(jp);
            if (jp->p >= jp->end || *jp->p != ':')
                return json_fail(jp, jp->p, "expected ':' after the member name");
            jp->p++;
        }
        if (!json_value(jp, &item))
            return false;
        item->key = key;
        item->key_pos = (size_t)(key_at - jp->doc);
        *tail = item;
        tail = &item->next;
        n->count++;
        json_ws(jp);
        if (jp->p < jp->end && *jp->p == ',') {
            jp->p++;
            json_ws(jp);
            continue;
        }
        if (jp->p < jp->end && *jp->p == close) {
            jp->p++;
            jp->depth--;
            *out = n;
            return true;
        }
        return json_fail(jp, jp->p, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static bool json_literal(json_parser *jp, const char *word, json **out, json_type t, bool b) {
    size_t n = strlen(word);
    if ((size_t)(jp->end - jp->p) < n || memcmp(jp->p, word, n) != 0)
        return json_fail(jp, jp->p, "unexpected character (not a JSON value)");
    *out = json_node(jp, t, jp->p);
    (*out)->boolean = b;
    jp->p += n;
    return true;
}

static bool json_value(json_parser *jp, json **out) {
    json_ws(jp);
    if (jp->p >= jp->end)
        return json_fail(jp, jp->p, "unexpected end of input");
    switch (*jp->p) {
    case '{':
    case '[':
        return json_container(jp, out);
    case '"': {
        const char *at = jp->p, *s;
        if (!json_string_lit(jp, &s))
            return false;
        *out = json_node(jp, JSON_STRING, at);
        (*out)->text = s;
        return true;
    }
    case 't': return json_literal(jp, "true", out, JSON_BOOL, true);
    case 'f': return json_literal(jp, "false", out, JSON_BOOL, false);
    case 'n': return json_literal(jp, "null", out, JSON_NULL, false);
    default:
        if (*jp->p == '-' || isdigit((unsigned char)*jp->p))
            return json_number(jp, out);
        return json_fail(jp, jp->p, "unexpected character (not a JSON value)");
    }
}

/* Parses doc[0..len) into a tree from `a`. On error returns NULL and writes
   "line L, column C: what" into err. */
static json *json_parse(arena *a, const char *doc, size_t len, char *err, size_t errcap) {
    json_parser jp;
    json *root = NULL;
    const unsigned char *u = (const unsigned char *)doc, *uend = u + len;
    char where[48];
    memset(&jp, 0, sizeof jp);
    jp.doc = jp.p = doc;
    jp.end = doc + len;
    jp.arena = a;
    while (u < uend) { /* all of it UTF-8 (RFC 8259 §8.1) */
        size_t n = utf8_seq(u, uend);
        if (n == 0) {
            json_fail(&jp, (const char *)u, "not valid UTF-8");
            goto out;
        }
        u += n;
    }
    if (len >= 3 && memcmp(doc, "\xEF\xBB\xBF", 3) == 0)
        jp.p += 3; /* a byte order mark, as some editors write */
    if (!json_value(&jp, &root))
        goto out;
    json_ws(&jp);
    if (jp.p != jp.end) {
        json_fail(&jp, jp.p, "unexpected text after the JSON value");
        root = NULL;
    }
out:
    if (jp.error[0] != '\0') {
        json_where(doc, jp.error_pos, where, sizeof where);
        snprintf(err, errcap, "%s: %s", where, jp.error);
        return NULL;
    }
    return root;
}

static const json *json_get(const json *obj, const char *key) {
    const json *m;
    if (obj == NULL || obj->type != JSON_OBJECT)
        return NULL;
    for (m = obj->child; m != NULL; m = m->next)
        if (strcmp(m->key, key) == 0)
            return m;
    return NULL;
}

/* The string member `key`, or NULL when absent, null or not a string. */
static const char *json_str(const json *obj, const char *key) {
    const json *v = json_get(obj, key);
    return v != NULL && v->type == JSON_STRING ? v->text : NULL;
}

/* A number node as a whole integer; false for fractions, exponents, overflow. */
static bool json_as_int(const json *v, long long *out) {
    char *end;
    long long n;
    if (v == NULL || v->type != JSON_NUMBER || strpbrk(v->text, ".eE") != NULL)
        return false;
    errno = 0;
    n = strtoll(v->text, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *out = n;
    return true;
}

/* The string member `key` for display: "" when absent (printf's %s must
   never get NULL). */
static const char *json_text(const json *obj, const char *key) {
    const char *s = json_str(obj, key);
    return s != NULL ? s : "";
}

static long long json_int(const json *obj, const char *key, long long dflt) {
    long long n;
    return json_as_int(json_get(obj, key), &n) ? n : dflt;
}

static bool json_true(const json *obj, const char *key) {
    const json *v = json_get(obj, key);
    return v != NULL && v->type == JSON_BOOL && v->boolean;
}

/* ------------------------------------------------------------------------ */
/* Times                                                                    */
/* ------------------------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d) {
    int64_t era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
    int64_t era, doe, yoe, doy, mp;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* Unix time as RFC 3339 UTC ("2024-04-29T08:00:00Z"). */
static void format_utc(int64_t t, char *out, size_t cap) {
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400), y;
    int64_t secs = t - days * 86400;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(out, cap, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(secs / 3600),
             (int)(secs / 60 % 60), (int)(secs % 60));
}

/* Unix time as local time for people, e.g. "2024-04-29 10:00"; with
   time_only, "10:00". */
static void format_local(int64_t t, bool time_only, char *out, size_t cap) {
    time_t tt = (time_t)t;
    struct tm tm;
    if ((int64_t)tt != t || localtime_r(&tt, &tm) == NULL) {
        format_utc(t, out, cap);
        return;
    }
    strftime(out, cap, time_only ? "%H:%M" : "%Y-%m-%d %H:%M", &tm);
}

static bool take_digits(const char **p, int n, int *out) {
    int v = 0, i;
    for (i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return true;
}

/*
 * A time given on the command line, as unix time:
 *   "now"; "@SECONDS" (unix time); "YYYY-MM-DD" (local midnight, or with
 *   end_of_day the next midnight, so that a date ending a window includes
 *   that day); "YYYY-MM-DDTHH:MM[:SS]" (local time); RFC 3339 with "Z" or
 *   an offset ("2024-04-29T10:00:00+02:00", fractions ignored).
 */
static bool parse_time(const char *s, bool end_of_day, int64_t *out) {
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0, oh, om;
    bool has_time = false;
    if (strcmp(s, "now") == 0) {
        *out = (int64_t)time(NULL);
        return true;
    }
    if (s[0] == '@') {
        char *end;
        long long v;
        errno = 0;
        v = strtoll(s + 1, &end, 10);
        if (errno != 0 || end == s + 1 || *end != '\0')
            return false;
        *out = v;
        return true;
    }
    if (!take_digits(&p, 4, &y) || *p++ != '-' || !take_digits(&p, 2, &mo) || *p++ != '-' ||
        !take_digits(&p, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return false;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        has_time = true;
        if (!take_digits(&p, 2, &h) || *p++ != ':' || !take_digits(&p, 2, &mi) || h > 23 ||
            mi > 59)
            return false;
        if (*p == ':') {
            p++;
            if (!take_digits(&p, 2, &sec) || sec > 60)
                return false;
            if (*p == '.') {
                p++;
                if (!isdigit((unsigned char)*p))
                    return false;
                while (isdigit((unsigned char)*p))
                    p++;
            }
        }
    }
    if (*p == '\0') { /* local time */
        struct tm tm;
        time_t t;
        memset(&tm, 0, sizeof tm);
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d + (!has_time && end_of_day ? 1 : 0);
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = sec;
        tm.tm_isdst = -1;
        t = mktime(&tm);
        if (t == (time_t)-1)
            return false;
        *out = (int64_t)t;
        return true;
    }
    if (!has_time)
        return false;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
        return true;
    if (*p == '+' || *p == '-') {
        const int sign = *p++ == '+' ? 1 : -1;
        if (take_digits(&p, 2, &oh) && *p++ == ':' && take_digits(&p, 2, &om) && *p == '\0' &&
            oh < 24 && om < 60) {
            *out -= sign * (int64_t)(oh * 3600 + om * 60);
            return true;
        }
    }
    return false;
}

/* "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
static void format_duration(long long secs, char *out, size_t cap) {
    if (secs < 0)
        secs = 0;
    if (secs < 60)
        snprintf(out, cap, "%lld s", secs);
    else if (secs < 3600)
        snprintf(out, cap, "%lld min", secs / 60);
    else if (secs < 86400)
        snprintf(out, cap, "%lld h %lld min", secs / 3600, secs / 60 % 60);
    else
        snprintf(out, cap, "%lld d %lld h", secs / 86400, secs / 3600 % 24);
}

static double monotonic_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleeps up to `seconds`, returning early when interrupted. */
static void nap(double seconds) {
    struct timespec ts;
    if (seconds <= 0)
        return;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL); /* EINTR on Ctrl-C: the caller checks `interrupted` */
}

/* ------------------------------------------------------------------------ */
/* The invocation: options, handle, output, errors                          */
/* ------------------------------------------------------------------------ */

typedef struct stored_option {
    char *key, *value;
} stored_option;

typedef struct cli {
    /* global options */
    bool json;                 /* --json: one JSON object on stdout */
    int verbose;               /* -v: library log lines on stderr */
    bool emulator;             /* --emulator[=FILE] */
    const char *emulator_file; /* NULL: $GS_GCAL_EMULATOR */
    long timeout_ms;           /* --timeout, 0 = library default */
    /* the command */
    const char *state_dir;
    const char *command;
    gs_gcal *h;
    stored_option options[MAX_OPTIONS]; /* from STATE_DIR/gcalctl.options */
    size_t option_count;
    /* --json: the success object being built, or the failure */
    strbuf out;
    bool failed;
    char err_message[768];
    char err_text[160];
    char err_detail[GS_GCAL_ERROR_SIZE];
    long err_code; /* library code, or -1 for the program's own errors */
    int err_exit;
} cli;

/* Which exit code a library result maps to. */
static int exit_code_for(gs_gcal_result rc) {
    if (rc == GS_GCAL_OK)
        return EXIT_DONE;
    if (rc == GS_GCAL_QUEUED)
        return EXIT_QUEUED;
    if (rc == GS_GCAL_NOT_CONFIGURED || rc == GS_GCAL_NOT_AUTHORIZED ||
        rc == GS_GCAL_REAUTH_REQUIRED)
        return EXIT_AUTH;
    if (rc == GS_GCAL_CA_FILE || rc == GS_GCAL_STORAGE_IO || rc == GS_GCAL_STATE_CORRUPT ||
        rc == GS_GCAL_STATE_LOCKED)
        return EXIT_LOCAL;
    /* Caller errors (100-199) and rejected option values (200-202): the
       command line or the input file is wrong. */
    if ((rc >= 100 && rc < 200) || rc == GS_GCAL_UNKNOWN_OPTION ||
        rc == GS_GCAL_INVALID_OPTION_VALUE || rc == GS_GCAL_INSECURE_URL)
        return EXIT_USAGE;
    return EXIT_FAILED;
}

/* Prints the admin action for a result, when there is an obvious one. */
static void print_hint(const cli *c, gs_gcal_result rc) {
    const char *d = c->state_dir;
    switch (rc) {
    case GS_GCAL_NOT_CONFIGURED:
        fprintf(stderr, PROG ": hint: enter the OAuth client first: " PROG " %s set-client "
                        "CLIENT_ID - [REDIRECT_URI]\n", d);
        break;
    case GS_GCAL_NOT_AUTHORIZED:
    case GS_GCAL_REAUTH_REQUIRED:
        fprintf(stderr, PROG ": hint: authorize: " PROG " %s auth-url, then " PROG " %s "
                        "authorize 'ADDRESS' (or " PROG " %s device-login)\n", d, d, d);
        break;
    case GS_GCAL_STATE_LOCKED:
        fputs(PROG ": hint: another program (the PBX service, another " PROG ") has the state "
                   "directory open; stop it or try again\n", stderr);
        break;
    case GS_GCAL_CLOCK_NOT_SET:
        fputs(PROG ": hint: set the system clock (NTP) and try again\n", stderr);
        break;
    default:
        break;
    }
}

/* Records a failure for --json and prints its one line on stderr. */
static int record_failure(cli *c, int exit_code, long code, const char *text, const char *detail,
                          const char *message) {
    c->failed = true;
    c->err_exit = exit_code;
    c->err_code = code;
    snprintf(c->err_message, sizeof c->err_message, "%s", message);
    snprintf(c->err_text, sizeof c->err_text, "%s", text ? text : "");
    snprintf(c->err_detail, sizeof c->err_detail, "%s", detail ? detail : "");
    fprintf(stderr, PROG ": %s\n", message);
    return exit_code;
}

/* Reports a failed library call:
     gcalctl: <what failed>: <gs_gcal_strerror> — <gs_gcal_last_error>
   and, where there is one, the admin action on a second line. Returns the
   exit code. */
static int fail(cli *c, gs_gcal_result rc, const char *fmt, ...) {
    char what[384], detail[GS_GCAL_ERROR_SIZE] = "", message[768];
    const char *text = gs_gcal_strerror(rc);
    va_list ap;
    int code;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (c->h != NULL && gs_gcal_last_error(c->h, detail, sizeof detail) != GS_GCAL_OK)
        detail[0] = '\0';
    if (detail[0] != '\0' && strcmp(detail, text) != 0)
        snprintf(message, sizeof message, "%s: %s \xE2\x80\x94 %s", what, text, detail);
    else
        snprintf(message, sizeof message, "%s: %s", what, text);
    code = record_failure(c, exit_code_for(rc), rc, text, detail, message);
    print_hint(c, rc);
    return code;
}

/* Reports an error of the program itself (usage, files). */
static int fail_plain(cli *c, int exit_code, const char *fmt, ...) {
    char message[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return record_failure(c, exit_code, -1, NULL, NULL, message);
}

static int usage_error(cli *c, const char *fmt, ...) {
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    fail_plain(c, EXIT_USAGE, "%s", message);
    fputs(PROG ": hint: see '" PROG " --help'\n", stderr);
    return EXIT_USAGE;
}

/* --json output: members of the result object, in order. */
static void out_key(cli *c, const char *key) {
    sb_puts(&c->out, ",");
    sb_json_str(&c->out, key);
    sb_puts(&c->out, ":");
}

static void out_str(cli *c, const char *key, const char *value) {
    out_key(c, key);
    sb_json_str(&c->out, value);
}

static void out_int(cli *c, const char *key, long long value) {
    out_key(c, key);
    sb_printf(&c->out, "%lld", value);
}

static void out_bool(cli *c, const char *key, bool value) {
    out_key(c, key);
    sb_puts(&c->out, value ? "true" : "false");
}

/* JSON text from the library, embedded as it is. */
static void out_raw(cli *c, const char *key, const char *json_text) {
    out_key(c, key);
    sb_puts(&c->out, json_text);
}

/* Prints the one JSON object of --json: the result, or the failure. */
static void print_json_result(cli *c, int exit_code) {
    strbuf b = {0};
    if (!c->failed) {
        sb_puts(&b, "{\"ok\":true,\"command\":");
        sb_json_str(&b, c->command);
        sb_printf(&b, ",\"exit_code\":%d", exit_code);
        if (c->out.data != NULL)
            sb_puts(&b, c->out.data);
        sb_puts(&b, "}");
    } else {
        sb_puts(&b, "{\"ok\":false,\"command\":");
        sb_json_str(&b, c->command[0] ? c->command : NULL);
        sb_printf(&b, ",\"exit_code\":%d,\"error\":{\"message\":", exit_code);
        sb_json_str(&b, c->err_message);
        if (c->err_code >= 0) {
            sb_printf(&b, ",\"code\":%ld,\"text\":", c->err_code);
            sb_json_str(&b, c->err_text);
            sb_puts(&b, ",\"detail\":");
            sb_json_str(&b, c->err_detail[0] ? c->err_detail : NULL);
        }
        sb_puts(&b, "}}");
    }
    puts(b.data);
    fflush(stdout);
    sb_free(&b);
}

/* Human output goes to stdout unless --json owns it; then to stderr. */
static FILE *human(const cli *c) {
    return c->json ? stderr : stdout;
}

/* ------------------------------------------------------------------------ */
/* Reading secrets and lines                                                */
/* ------------------------------------------------------------------------ */

typedef enum read_result {
    READ_OK,
    READ_EOF,
    READ_TOO_LONG,
    READ_INTERRUPTED,
    READ_ERROR
} read_result;

/* Reads one line from stdin into buf (without its line end). On a terminal
   it first prompts on stderr and, when `hide`, turns echo off while the
   line is typed (and back on, also on Ctrl-C). */
static read_result read_line(const char *prompt, bool hide, char *buf, size_t cap) {
    struct termios saved, quiet;
    bool restore = false;
    read_result r = READ_OK;
    size_t n;
    if (isatty(STDIN_FILENO)) {
        fputs(prompt, stderr);
        fflush(stderr);
        if (hide && tcgetattr(STDIN_FILENO, &saved) == 0) {
            quiet = saved;
            quiet.c_lflag &= ~(tcflag_t)ECHO;
            restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
        }
    }
    if (fgets(buf, (int)cap, stdin) == NULL) {
        r = interrupted ? READ_INTERRUPTED : ferror(stdin) ? READ_ERROR : READ_EOF;
        goto out;
    }
    n = strlen(buf);
    if (n > 0 && buf[n - 1] == '\n')
        buf[--n] = '\0';
    else if (!feof(stdin))
        r = READ_TOO_LONG;
    if (n > 0 && buf[n - 1] == '\r')
        buf[--n] = '\0';
out:
    if (restore) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        fputc('\n', stderr);
    }
    if (r != READ_OK)
        wipe(buf, cap);
    return r;
}

static int read_failure(cli *c, read_result r, const char *what) {
    switch (r) {
    case READ_INTERRUPTED:
        return fail_plain(c, EXIT_INTERRUPTED, "interrupted while reading the %s", what);
    case READ_TOO_LONG:
        return fail_plain(c, EXIT_USAGE, "the %s is longer than %d bytes", what, MAX_LINE - 2);
    case READ_EOF:
        return fail_plain(c, EXIT_USAGE, "no %s on standard input", what);
    default:
        return fail_plain(c, EXIT_LOCAL, "reading the %s from standard input: %s", what,
                          strerror(errno));
    }
}

/* The backup passphrase: $GCALCTL_PASSPHRASE; else a prompt without echo
   (twice when `confirm`); else one line of stdin. Never from argv. */
static int get_passphrase(cli *c, bool confirm, bool stdin_taken, char *buf, size_t cap) {
    const char *env = getenv("GCALCTL_PASSPHRASE");
    read_result r;
    if (env != NULL) {
        if (strlen(env) >= cap)
            return fail_plain(c, EXIT_USAGE, "GCALCTL_PASSPHRASE is too long");
        snprintf(buf, cap, "%s", env);
        return EXIT_DONE;
    }
    if (stdin_taken)
        return usage_error(c, "the backup is read from standard input: give the passphrase in "
                              "GCALCTL_PASSPHRASE");
    if ((r = read_line("Backup passphrase: ", true, buf, cap)) != READ_OK)
        return read_failure(c, r, "passphrase");
    if (confirm && isatty(STDIN_FILENO)) {
        char again[MAX_LINE];
        bool same;
        if ((r = read_line("Repeat the passphrase: ", true, again, sizeof again)) != READ_OK) {
            wipe(buf, cap);
            return read_failure(c, r, "passphrase");
        }
        same = strcmp(buf, again) == 0;
        wipe(again, sizeof again);
        if (!same) {
            wipe(buf, cap);
            return fail_plain(c, EXIT_USAGE, "the two passphrases differ");
        }
    }
    return EXIT_DONE;
}

/* ------------------------------------------------------------------------ */
/* Library helpers                                                          */
/* ------------------------------------------------------------------------ */

/* A function that writes text into a caller buffer, in the library's
   buf/len/needed convention. */
typedef gs_gcal_result (*fill_fn)(gs_gcal *h, const void *arg, char *buf, size_t len,
                                  size_t *needed);

/* Calls `fill` with a buffer that grows to the size the library asks for
   (the answer may grow between calls, hence a few rounds). On success *out
   is the text (NUL-terminated); the caller frees it. */
static gs_gcal_result fetch_text(gs_gcal *h, fill_fn fill, const void *arg, char **out) {
    size_t cap = 16384, needed = 0;
    char *buf = NULL;
    gs_gcal_result rc = GS_GCAL_BUFFER_TOO_SMALL;
    int round;
    for (round = 0; round < 4 && rc == GS_GCAL_BUFFER_TOO_SMALL; round++) {
        buf = xrealloc(buf, cap);
        rc = fill(h, arg, buf, cap, &needed);
        cap = needed > cap ? needed : cap * 2;
    }
    if (rc != GS_GCAL_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    return rc;
}

static gs_gcal_result fill_status(gs_gcal *h, const void *arg, char *buf, size_t len,
                                  size_t *needed) {
    (void)arg;
    return gs_gcal_status_json(h, buf, len, needed);
}

static gs_gcal_result fill_auth_url(gs_gcal *h, const void *arg, char *buf, size_t len,
                                    size_t *needed) {
    (void)arg;
    return gs_gcal_auth_url(h, buf, len, needed);
}

static gs_gcal_result fill_calendars(gs_gcal *h, const void *arg, char *buf, size_t len,
                                     size_t *needed) {
    (void)arg;
    return gs_gcal_list_calendars(h, buf, len, needed);
}

static gs_gcal_result fill_sync_events(gs_gcal *h, const void *arg, char *buf, size_t len,
                                       size_t *needed) {
    (void)arg;
    return gs_gcal_sync_events(h, buf, len, needed);
}

typedef struct window {
    const char *calendar, *time_min, *time_max;
} window;

static gs_gcal_result fill_events(gs_gcal *h, const void *arg, char *buf, size_t len,
                                  size_t *needed) {
    const window *w = arg;
    return gs_gcal_list_events(h, w->calendar, w->time_min, w->time_max, buf, len, needed);
}

static gs_gcal_result fill_export(gs_gcal *h, const void *arg, char *buf, size_t len,
                                  size_t *needed) {
    return gs_gcal_export(h, (const char *)arg, buf, len, needed);
}

/* The handle's status document, parsed (NULL when it cannot be had). The
   text stays in *text for embedding; free it, and the arena. */
static const json *get_status(cli *c, arena *a, char **text) {
    char err[128];
    *text = NULL;
    if (fetch_text(c->h, fill_status, NULL, text) != GS_GCAL_OK)
        return NULL;
    return json_parse(a, *text, strlen(*text), err, sizeof err);
}

/* The status "state" ("authorized", ...) copied into out; "" if unknown. */
static void get_state(cli *c, char *out, size_t cap) {
    arena a = {0};
    char *text = NULL;
    const char *s = json_str(get_status(c, &a, &text), "state");
    snprintf(out, cap, "%s", s ? s : "");
    free(text);
    arena_free(&a);
}

/* ------------------------------------------------------------------------ */
/* -v: the library's log lines on stderr                                    */
/* ------------------------------------------------------------------------ */

/* A gs_gcal_log_fn. The library never puts a secret in a line. */
static void log_to_stderr(void *userdata, int32_t level, const char *line) {
    static const char *const names[] = {"?", "error", "warn", "info", "debug"};
    (void)userdata;
    fprintf(stderr, PROG ": [%s] %s\n", names[level >= 1 && level <= 4 ? level : 0], line);
}

/* Routes the library's log to stderr for the whole process (h = NULL, so
   that gs_gcal_open's lines come too): -v info, -vv debug. */
static void enable_library_log(int verbose) {
    if (verbose == 0)
        return;
    if (gs_gcal_set_log_callback(NULL, verbose >= 2 ? GS_GCAL_LOG_DEBUG : GS_GCAL_LOG_INFO,
                                 log_to_stderr, NULL) != GS_GCAL_OK)
        fputs(PROG ": warning: could not enable the library's log\n", stderr);
}

/* ------------------------------------------------------------------------ */
/* Opening the state directory; stored options; the emulator                */
/* ------------------------------------------------------------------------ */

/* A stored option's value as shown: a proxy URL may carry a password. */
static const char *shown_value(const stored_option *o) {
    if (strcmp(o->key, "proxy") == 0 && strchr(o->value, '@') != NULL)
        return "(set, with credentials)";
    return o->value;
}

static void options_path(const cli *c, char *out, size_t cap) {
    snprintf(out, cap, "%s/" OPTIONS_FILE, c->state_dir);
}

/* Loads STATE_DIR/gcalctl.options ("key=value" lines, '#' comments). */
static int load_options(cli *c) {
    char path[4096], *text = NULL, *line, *next;
    size_t len, lineno = 0;
    int err, code = EXIT_DONE;
    options_path(c, path, sizeof path);
    err = read_file(path, &text, &len);
    if (err == ENOENT)
        return EXIT_DONE;
    if (err != 0)
        return fail_plain(c, EXIT_LOCAL, "reading %s: %s", path, strerror(err));
    for (line = text; *line != '\0'; line = next) {
        char *eq, *nl = strchr(line, '\n');
        next = nl ? nl + 1 : line + strlen(line);
        if (nl != NULL)
            *nl = '\0';
        lineno++;
        if (line[0] == '#' || line[0] == '\0')
            continue;
        eq = strchr(line, '=');
        if (eq == NULL || eq == line || c->option_count == MAX_OPTIONS) {
            code = fail_plain(c, EXIT_LOCAL, "%s: line %zu is not KEY=VALUE", path, lineno);
            break;
        }
        *eq = '\0';
        c->options[c->option_count].key = xstrdup(line);
        c->options[c->option_count].value = xstrdup(eq + 1);
        c->option_count++;
    }
    free(text);
    return code;
}

static int save_options(cli *c) {
    char path[4096];
    strbuf b = {0};
    size_t i;
    int err;
    options_path(c, path, sizeof path);
    sb_puts(&b, "# gcalctl options, applied after every open; change them with\n"
                "# gcalctl STATE_DIR set-option KEY VALUE (or --unset KEY).\n");
    for (i = 0; i < c->option_count; i++)
        sb_printf(&b, "%s=%s\n", c->options[i].key, c->options[i].value);
    err = write_file_atomic(path, b.data);
    sb_free(&b);
    if (err != 0)
        return fail_plain(c, EXIT_LOCAL, "writing %s: %s", path, strerror(err));
    return EXIT_DONE;
}

/* Points the handle at the emulator: its startup line (the JSON line it
   prints when ready) names the endpoints and the CA that signed them. */
static int use_emulator(cli *c) {
    arena a = {0};
    char *text = NULL, err[160];
    const json *line;
    size_t len;
    int code = EXIT_DONE, e;
    static const char *const keys[] = {"auth_endpoint",   "token_endpoint",    "device_endpoint",
                                       "revoke_endpoint", "calendar_api_base", "ca_file"};
    size_t i;
    if (c->emulator_file != NULL) {
        if ((e = read_file(c->emulator_file, &text, &len)) != 0)
            return fail_plain(c, EXIT_LOCAL, "--emulator: %s: %s", c->emulator_file, strerror(e));
    } else {
        text = xstrdup(getenv("GS_GCAL_EMULATOR")); /* checked by main */
        len = strlen(text);
    }
    if ((line = json_parse(&a, text, len, err, sizeof err)) == NULL) {
        /* A file may hold more after the first line; parse only that. */
        char *nl = strchr(text, '\n');
        if (nl != NULL)
            line = json_parse(&a, text, (size_t)(nl - text), err, sizeof err);
    }
    if (line == NULL) {
        code = usage_error(c, "--emulator: not the emulator's startup line (%s)", err);
        goto cleanup;
    }
    for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *v = json_str(line, keys[i]);
        gs_gcal_result rc;
        if (v == NULL) {
            code = usage_error(c, "--emulator: the startup line has no \"%s\"", keys[i]);
            goto cleanup;
        }
        if ((rc = gs_gcal_set_option(c->h, keys[i], v)) != GS_GCAL_OK) {
            code = fail(c, rc, "--emulator: setting %s", keys[i]);
            goto cleanup;
        }
    }
cleanup:
    free(text);
    arena_free(&a);
    return code;
}

static int set_timeout(cli *c) {
    char v[32];
    gs_gcal_result rc;
    snprintf(v, sizeof v, "%ld", c->timeout_ms);
    if ((rc = gs_gcal_set_option(c->h, "timeout_ms", v)) != GS_GCAL_OK)
        return fail(c, rc, "--timeout %ld", c->timeout_ms);
    /* A request cannot be shorter than its connect: lower that too. */
    if (c->timeout_ms < 10000 &&
        (rc = gs_gcal_set_option(c->h, "connect_timeout_ms", v)) != GS_GCAL_OK)
        return fail(c, rc, "--timeout %ld", c->timeout_ms);
    return EXIT_DONE;
}

/*
 * Opens the handle on STATE_DIR and configures it: stored options (except
 * `skip_key`, which set-option is about to change; with `lenient` a stored
 * option the library refuses is a warning, so that set-option can repair
 * it), then --emulator, then --timeout. Only `create` commands (set-client,
 * import) make a missing STATE_DIR, so that a typo does not quietly start
 * an empty integration.
 */
static int open_handle(cli *c, bool create, bool lenient, const char *skip_key) {
    struct stat st;
    gs_gcal_result rc;
    size_t i;
    int code;
    if (stat(c->state_dir, &st) != 0) {
        if (errno != ENOENT || !create)
            return fail_plain(c, EXIT_LOCAL, "state directory %s: %s%s", c->state_dir,
                              strerror(errno),
                              errno == ENOENT ? " (set-client or import creates it)" : "");
        if (mkdir(c->state_dir, 0700) != 0)
            return fail_plain(c, EXIT_LOCAL, "creating state directory %s: %s", c->state_dir,
                              strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        return fail_plain(c, EXIT_LOCAL, "state directory %s: not a directory", c->state_dir);
    }
    if ((rc = gs_gcal_open(c->state_dir, &c->h)) != GS_GCAL_OK)
        return fail(c, rc, "opening state directory %s", c->state_dir);
    if ((code = load_options(c)) != EXIT_DONE)
        return code;
    for (i = 0; i < c->option_count; i++) {
        const stored_option *o = &c->options[i];
        if (skip_key != NULL && strcmp(o->key, skip_key) == 0)
            continue;
        if ((rc = gs_gcal_set_option(c->h, o->key, o->value)) == GS_GCAL_OK)
            continue;
        if (lenient) {
            fprintf(stderr, PROG ": warning: stored option %s not applied: %s\n", o->key,
                    gs_gcal_strerror(rc));
            continue;
        }
        code = fail(c, rc, "stored option %s (from %s/" OPTIONS_FILE ")", o->key, c->state_dir);
        fprintf(stderr, PROG ": hint: change it with '" PROG " %s set-option %s VALUE' or "
                        "remove it with '" PROG " %s set-option --unset %s'\n",
                c->state_dir, o->key, c->state_dir, o->key);
        return code;
    }
    if (c->emulator && (code = use_emulator(c)) != EXIT_DONE)
        return code;
    if (c->timeout_ms > 0 && (code = set_timeout(c)) != EXIT_DONE)
        return code;
    return EXIT_DONE;
}

/* ------------------------------------------------------------------------ */
/* Commands: setting up and authorizing                                     */
/* ------------------------------------------------------------------------ */

/* set-client CLIENT_ID SECRET|- [REDIRECT_URI] */
static int cmd_set_client(cli *c, int argc, char **argv) {
    char secret[MAX_LINE];
    const char *redirect = argc > 2 ? argv[2] : "";
    gs_gcal_result rc;
    int code;
    if (argc < 2 || argc > 3)
        return usage_error(c, "usage: set-client CLIENT_ID SECRET|- [REDIRECT_URI]");
    if (strcmp(argv[1], "-") == 0) {
        read_result r = read_line("Client secret: ", true, secret, sizeof secret);
        if (r != READ_OK)
            return read_failure(c, r, "client secret");
    } else {
        if (strlen(argv[1]) >= sizeof secret)
            return usage_error(c, "the client secret is too long");
        snprintf(secret, sizeof secret, "%s", argv[1]);
        fputs(PROG ": note: a secret on the command line shows in ps and shell history; "
                   "give '-' to read it from standard input\n",
              stderr);
    }
    if ((code = open_handle(c, true, false, NULL)) != EXIT_DONE)
        goto cleanup;
    rc = gs_gcal_set_client(c->h, argv[0], secret, redirect);
    if (rc != GS_GCAL_OK) {
        code = fail(c, rc, "saving the OAuth client");
        goto cleanup;
    }
    if (c->json) {
        out_str(c, "client_id", argv[0]);
        out_str(c, "redirect_uri", redirect[0] ? redirect : NULL);
        out_str(c, "flow", redirect[0] ? "web" : "device");
    } else {
        printf("OAuth client %s saved (%s).\n", argv[0],
               redirect[0] ? "Web application" : "TVs and Limited Input devices");
        if (redirect[0])
            printf("Next: %s %s auth-url\n", PROG, c->state_dir);
        else
            printf("Next: %s %s device-login\n", PROG, c->state_dir);
    }
cleanup:
    wipe(secret, sizeof secret);
    return code;
}

/* auth-url: the link only on stdout, so that $(gcalctl DIR auth-url) works. */
static int cmd_auth_url(cli *c, int argc, char **argv) {
    char *url = NULL;
    gs_gcal_result rc;
    int code;
    (void)argv;
    if (argc != 0)
        return usage_error(c, "usage: auth-url");
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        return code;
    if ((rc = fetch_text(c->h, fill_auth_url, NULL, &url)) != GS_GCAL_OK)
        return fail(c, rc, "making the authorization link");
    if (c->json) {
        out_str(c, "url", url);
    } else {
        puts(url);
        if (isatty(STDOUT_FILENO))
            fprintf(stderr,
                    "Open the link, sign in and allow access; then paste the address the "
                    "browser lands on:\n  %s %s authorize 'ADDRESS'   (or: authorize - to "
                    "paste it on standard input)\n",
                    PROG, c->state_dir);
    }
    free(url);
    return EXIT_DONE;
}

/* After a successful authorization: who it is. */
static void report_authorized(cli *c) {
    arena a = {0};
    char *text = NULL;
    const json *st = get_status(c, &a, &text);
    const char *account = json_str(st, "account");
    if (c->json) {
        out_str(c, "state", json_str(st, "state"));
        out_str(c, "account", account);
    } else {
        printf("Authorized%s%s.\n", account ? " as " : "", account ? account : "");
    }
    free(text);
    arena_free(&a);
}

/* authorize CODE|URL|-: the code, or the whole redirect address; '-' reads
   it from stdin (keeps the single-use code out of ps). Never echoed. */
static int cmd_authorize(cli *c, int argc, char **argv) {
    char pasted[MAX_LINE];
    gs_gcal_result rc;
    int code;
    if (argc != 1)
        return usage_error(c, "usage: authorize CODE|ADDRESS|-");
    if (strcmp(argv[0], "-") == 0) {
        read_result r = read_line("Code or address: ", false, pasted, sizeof pasted);
        if (r != READ_OK)
            return read_failure(c, r, "code or address");
    } else {
        if (strlen(argv[0]) >= sizeof pasted)
            return usage_error(c, "the code or address is too long");
        snprintf(pasted, sizeof pasted, "%s", argv[0]);
    }
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        goto cleanup;
    if ((rc = gs_gcal_authorize(c->h, pasted)) != GS_GCAL_OK) {
        code = fail(c, rc, "authorizing");
        goto cleanup;
    }
    report_authorized(c);
cleanup:
    wipe(pasted, sizeof pasted);
    return code;
}

/* The device flow's current poll interval: it grows on Google's slow_down. */
static long device_interval(cli *c, long fallback) {
    arena a = {0};
    char *text = NULL;
    long long v = json_int(json_get(get_status(c, &a, &text), "device"), "interval", fallback);
    free(text);
    arena_free(&a);
    return (long)v;
}

/* Waits `seconds` before the next poll, showing how long the code stays
   valid: a live countdown on a terminal, a line a minute otherwise. */
static void wait_for_approval(double seconds, double deadline) {
    const bool tty = isatty(STDERR_FILENO);
    static double last_line;
    double until = monotonic_seconds() + seconds, now;
    while (!interrupted && (now = monotonic_seconds()) < until) {
        long left = (long)(deadline - now);
        if (left < 0)
            left = 0;
        if (tty) {
            fprintf(stderr, "\rWaiting for approval... the code expires in %ld:%02ld ", left / 60,
                    left % 60);
            fflush(stderr);
        } else if (now - last_line >= 60 || last_line == 0) {
            fprintf(stderr, "Waiting for approval (the code expires in %ld min %ld s)\n",
                    left / 60, left % 60);
            last_line = now;
        }
        /* Wake at the next whole second of the countdown, or at `until`. */
        nap(until - now < 1 ? until - now : 1 - ((now - (double)(long)now)));
    }
    if (tty)
        fputs("\r\033[K", stderr);
}

/* device-login: start the device flow, show the code, poll until the admin
   approves or denies, or the code expires. Ctrl-C stops it cleanly. */
static int cmd_device_login(cli *c, int argc, char **argv) {
    gs_gcal_device_code dc;
    gs_gcal_result rc;
    FILE *o = human(c);
    double deadline;
    long interval;
    int code;
    (void)argv;
    if (argc != 0)
        return usage_error(c, "usage: device-login");
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        return code;
    memset(&dc, 0, sizeof dc);
    dc.struct_size = sizeof dc;
    if ((rc = gs_gcal_device_start(c->h, &dc)) != GS_GCAL_OK)
        return fail(c, rc, "starting the device authorization");
    deadline = monotonic_seconds() + dc.expires_in;
    fprintf(o, "On any device, open %s and enter the code:\n", dc.verification_url);
    fprintf(o, "Code: %s\n", dc.user_code);
    fprintf(o, "(valid %u min)\n", dc.expires_in / 60);
    fflush(o); /* a script may be reading our output through a pipe */
    interval = dc.interval;
    for (;;) {
        /* Google's interval between polls (at least 1 s: never spin). */
        wait_for_approval(interval < 1 ? 1 : (double)interval, deadline);
        if (interrupted)
            return fail_plain(c, EXIT_INTERRUPTED,
                              "interrupted: not authorized; run device-login again for a new code");
        rc = gs_gcal_device_poll(c->h);
        if (rc == GS_GCAL_OK)
            break;
        if (rc != GS_GCAL_PENDING)
            return fail(c, rc, "device authorization");
        if (monotonic_seconds() > deadline + interval + 5)
            return fail_plain(c, EXIT_FAILED, "device authorization: the code expired; run "
                                              "device-login again for a new one");
        interval = device_interval(c, interval);
    }
    if (c->json)
        out_str(c, "verification_url", dc.verification_url);
    report_authorized(c);
    return EXIT_DONE;
}

/* status: a summary for people; --json embeds the library's document. */
static const char *state_words(const char *state) {
    if (state == NULL)
        return "unknown";
    if (strcmp(state, "unconfigured") == 0)
        return "Not configured (set-client)";
    if (strcmp(state, "configured") == 0)
        return "Configured, not authorized (auth-url + authorize, or device-login)";
    if (strcmp(state, "authorized") == 0)
        return "Authorized";
    if (strcmp(state, "reauth_required") == 0)
        return "Re-authorization required";
    return state;
}

static void print_health(const json *health) {
    const json *failure = json_get(health, "last_failure"), *parked = json_get(health, "parked"),
               *p;
    long long depth = json_int(health, "outbox_depth", 0);
    char d1[32], d2[32];
    if (depth == 0) {
        printf("Outbox:        empty\n");
    } else {
        format_duration(json_int(health, "outbox_oldest_age", 0), d1, sizeof d1);
        format_duration(json_int(health, "next_attempt_in", 0), d2, sizeof d2);
        printf("Outbox:        %lld waiting, oldest %s, next attempt in %s\n", depth, d1, d2);
    }
    if (json_str(health, "last_success_at"))
        printf("Last success:  %s\n", json_str(health, "last_success_at"));
    if (failure != NULL && failure->type == JSON_OBJECT)
        printf("Last failure:  %s (%s, %lld): %s\n", json_text(failure, "at"),
               json_text(failure, "class"), json_int(failure, "code", 0),
               json_text(failure, "message"));
    if (json_str(health, "circuit") && strcmp(json_str(health, "circuit"), "closed") != 0)
        printf("Connection:    %s%s%s\n", json_str(health, "circuit"),
               json_str(health, "circuit_open_until") ? ", paused until " : "",
               json_str(health, "circuit_open_until") ? json_str(health, "circuit_open_until")
                                                      : "");
    if (json_str(health, "quota_pause_until"))
        printf("Quota pause:   writes paused until %s\n", json_str(health, "quota_pause_until"));
    if (parked != NULL && parked->type == JSON_ARRAY && parked->count > 0) {
        printf("Parked:        %zu operation(s) Google refused for good (not retried):\n",
               parked->count);
        for (p = parked->child; p != NULL; p = p->next)
            printf("                 %s %s%s%s: %s\n", json_text(p, "op"),
                   json_text(p, "meeting_id"), json_str(p, "occurrence") ? " occurrence " : "",
                   json_text(p, "occurrence"), json_text(p, "message"));
    }
}

static int cmd_status(cli *c, int argc, char **argv) {
    arena a = {0};
    char *text = NULL, d[32];
    const json *st, *v;
    size_t i;
    int code;
    (void)argv;
    if (argc != 0)
        return usage_error(c, "usage: status");
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        return code;
    st = get_status(c, &a, &text);
    if (st == NULL) {
        code = fail_plain(c, EXIT_FAILED, "reading the status: not readable");
        goto cleanup;
    }
    if (c->json) {
        out_raw(c, "status", text);
        out_key(c, "options");
        sb_puts(&c->out, "{");
        for (i = 0; i < c->option_count; i++) {
            if (i > 0)
                sb_puts(&c->out, ",");
            sb_json_str(&c->out, c->options[i].key);
            sb_puts(&c->out, ":");
            sb_json_str(&c->out, shown_value(&c->options[i]));
        }
        sb_puts(&c->out, "}");
        goto cleanup;
    }
    printf("State:         %s\n", state_words(json_str(st, "state")));
    if (json_str(st, "account"))
        printf("Account:       %s\n", json_str(st, "account"));
    if (json_str(st, "reauth_reason"))
        printf("Action needed: %s\n", json_str(st, "reauth_reason"));
    if (json_str(st, "client_id")) {
        const char *redirect = json_str(st, "redirect_uri");
        printf("Client ID:     %s\n", json_str(st, "client_id"));
        if (redirect != NULL && redirect[0] != '\0')
            printf("Redirect URI:  %s (Web application)\n", redirect);
        else
            printf("Client type:   TVs and Limited Input devices (device-login)\n");
    }
    printf("Calendar:      %s\n", json_str(st, "calendar_id") ? json_str(st, "calendar_id") : "");
    if ((v = json_get(st, "access_token_expires_in")) != NULL && v->type == JSON_NUMBER) {
        format_duration(json_int(st, "access_token_expires_in", 0), d, sizeof d);
        printf("Access token:  valid %s (renewed automatically)\n", d);
    }
    if (json_str(st, "authorized_at"))
        printf("Authorized at: %s\n", json_str(st, "authorized_at"));
    if (json_str(st, "last_refresh_at"))
        printf("Last refresh:  %s\n", json_str(st, "last_refresh_at"));
    if (json_int(st, "pending_revocations", 0) > 0)
        printf("Revocations:   %lld waiting for Google to be reachable\n",
               json_int(st, "pending_revocations", 0));
    if ((v = json_get(st, "device")) != NULL && v->type == JSON_OBJECT)
        printf("Device login:  code %s at %s, %lld s left\n", json_text(v, "user_code"),
               json_text(v, "verification_url"), json_int(v, "expires_in", 0));
    print_health(json_get(st, "health"));
    if ((v = json_get(st, "last_error")) != NULL && v->type == JSON_OBJECT)
        printf("Last error:    %s (%lld)\n", json_text(v, "message"), json_int(v, "code", 0));
    for (i = 0; i < c->option_count; i++)
        printf("%s %s=%s\n", i == 0 ? "Options:      " : "              ", c->options[i].key,
               shown_value(&c->options[i]));
    printf("Library:       %s\n", gs_gcal_version());
cleanup:
    free(text);
    arena_free(&a);
    return code;
}

/* reset: revoke at Google and forget the tokens (kept as pending when offline). */
static int cmd_reset(cli *c, int argc, char **argv) {
    arena a = {0};
    char *text = NULL;
    const json *st;
    long long pending;
    gs_gcal_result rc;
    int code;
    (void)argv;
    if (argc != 0)
        return usage_error(c, "usage: reset");
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        return code;
    if ((rc = gs_gcal_reset(c->h)) != GS_GCAL_OK)
        return fail(c, rc, "reset");
    st = get_status(c, &a, &text);
    pending = json_int(st, "pending_revocations", 0);
    if (c->json) {
        out_str(c, "state", json_str(st, "state"));
        out_int(c, "pending_revocations", pending);
    } else if (pending > 0) {
        printf("Authorization forgotten; Google could not be reached, the revocation is sent "
               "with the next request (%lld waiting).\n",
               pending);
    } else {
        printf("Authorization revoked at Google and forgotten; the OAuth client stays.\n");
    }
    free(text);
    arena_free(&a);
    return EXIT_DONE;
}

/* export FILE|-: the sealed backup (one line). */
static int cmd_export(cli *c, int argc, char **argv) {
    char pass[MAX_LINE], *blob = NULL;
    gs_gcal_result rc;
    strbuf line = {0};
    int code, err;
    if (argc != 1)
        return usage_error(c, "usage: export FILE|-");
    if (c->json && strcmp(argv[0], "-") == 0)
        return usage_error(c, "export -: --json owns standard output; give a file");
    if ((code = get_passphrase(c, true, false, pass, sizeof pass)) != EXIT_DONE)
        return code;
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        goto cleanup;
    if ((rc = fetch_text(c->h, fill_export, pass, &blob)) != GS_GCAL_OK) {
        code = fail(c, rc, "export");
        goto cleanup;
    }
    sb_puts(&line, blob);
    sb_puts(&line, "\n");
    if ((err = write_file_atomic(argv[0], line.data)) != 0) {
        code = fail_plain(c, EXIT_LOCAL, "writing %s: %s", argv[0], strerror(err));
        goto cleanup;
    }
    if (c->json) {
        out_str(c, "file", argv[0]);
        out_int(c, "bytes", (long long)strlen(blob));
    } else if (strcmp(argv[0], "-") != 0) {
        printf("Backup written to %s (sealed with the passphrase; keep both).\n", argv[0]);
    }
cleanup:
    wipe(pass, sizeof pass);
    free(blob);
    sb_free(&line);
    return code;
}

/* import FILE|-: restore a backup; a wrong passphrase changes nothing. */
static int cmd_import(cli *c, int argc, char **argv) {
    char pass[MAX_LINE], *blob = NULL;
    size_t len;
    gs_gcal_result rc;
    int code, err;
    if (argc != 1)
        return usage_error(c, "usage: import FILE|-");
    if ((err = read_file(argv[0], &blob, &len)) != 0)
        return fail_plain(c, EXIT_LOCAL, "reading %s: %s", argv[0], strerror(err));
    while (len > 0 && isspace((unsigned char)blob[len - 1]))
        blob[--len] = '\0';
    if ((code = get_passphrase(c, false, strcmp(argv[0], "-") == 0, pass, sizeof pass)) !=
        EXIT_DONE)
        goto cleanup;
    if ((code = open_handle(c, true, false, NULL)) != EXIT_DONE)
        goto cleanup;
    if ((rc = gs_gcal_import(c->h, pass, blob)) != GS_GCAL_OK) {
        code = fail(c, rc, "import from %s", argv[0]);
        goto cleanup;
    }
    if (c->json) {
        out_str(c, "file", argv[0]);
        report_authorized(c);
    } else {
        arena a = {0};
        char *text = NULL;
        const json *st = get_status(c, &a, &text);
        printf("Backup restored: %s%s%s.\n", state_words(json_str(st, "state")),
               json_str(st, "account") ? " as " : "",
               json_str(st, "account") ? json_str(st, "account") : "");
        free(text);
        arena_free(&a);
    }
cleanup:
    wipe(pass, sizeof pass);
    free(blob);
    return code;
}

/* set-option KEY VALUE | set-option --unset KEY: checked by the library,
   stored in STATE_DIR/gcalctl.options, applied on every later run. */
static int cmd_set_option(cli *c, int argc, char **argv) {
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

/* ------------------------------------------------------------------------ */
/* The meeting file                                                         */
/* ------------------------------------------------------------------------ */
/*
 * A JSON object with the fields of gs_gcal_meeting (see docs/gcalctl.md):
 * strings as strings (null or absent for none), numbers as whole numbers,
 * `repeat`/`repeat_end` as names, `repeat_weekdays` as an array of day
 * names, host and invitees as {"name", "email"} objects, and
 * `share_password` (true) for the GS_GCAL_MEETING_SHARE_PASSWORD flag.
 * Unknown fields are refused, so that a typo is not silently ignored.
 */
typedef enum field_kind {
    F_TEXT,       /* string, or null when optional */
    F_UINT,       /* whole number 0..UINT32_MAX */
    F_FLAG,       /* true/false: a bit of `flags` */
    F_PERSON,     /* {"name", "email"} */
    F_PERSONS,    /* array of them */
    F_REPEAT,     /* repeat_names[] */
    F_REPEAT_END, /* repeat_end_names[] */
    F_WEEKDAYS    /* array of weekday_names[] */
} field_kind;

typedef struct meeting_field {
    const char *name;
    field_kind kind;
    size_t offset; /* into gs_gcal_meeting */
    bool required;
} meeting_field;

static const meeting_field meeting_fields[] = {
    {"meeting_id", F_TEXT, offsetof(gs_gcal_meeting, meeting_id), true},
    {"subject", F_TEXT, offsetof(gs_gcal_meeting, subject), false},
    {"start", F_TEXT, offsetof(gs_gcal_meeting, start), true},
    {"end", F_TEXT, offsetof(gs_gcal_meeting, end), true},
    {"time_zone", F_TEXT, offsetof(gs_gcal_meeting, time_zone), true},
    {"room", F_TEXT, offsetof(gs_gcal_meeting, room), false},
    {"agenda", F_TEXT, offsetof(gs_gcal_meeting, agenda), false},
    {"host", F_PERSON, offsetof(gs_gcal_meeting, host), false},
    {"invitees", F_PERSONS, offsetof(gs_gcal_meeting, invitees), false},
    {"email_reminder_minutes", F_UINT, offsetof(gs_gcal_meeting, email_reminder_minutes), false},
    {"participant_password", F_TEXT, offsetof(gs_gcal_meeting, participant_password), false},
    {"share_password", F_FLAG, offsetof(gs_gcal_meeting, flags), false},
    {"repeat", F_REPEAT, offsetof(gs_gcal_meeting, repeat), false},
    {"repeat_interval", F_UINT, offsetof(gs_gcal_meeting, repeat_interval), false},
    {"repeat_weekdays", F_WEEKDAYS, offsetof(gs_gcal_meeting, repeat_weekdays), false},
    {"repeat_end", F_REPEAT_END, offsetof(gs_gcal_meeting, repeat_end), false},
    {"repeat_count", F_UINT, offsetof(gs_gcal_meeting, repeat_count), false},
    {"repeat_until", F_TEXT, offsetof(gs_gcal_meeting, repeat_until), false},
    {"occurrence", F_TEXT, offsetof(gs_gcal_meeting, occurrence), false},
};

static const char *const repeat_names[] = {"none",           "daily",
                                           "weekly",         "weekdays",
                                           "monthly_by_day", "monthly_by_weekday",
                                           "yearly"};
static const char *const repeat_end_names[] = {"never", "after", "on_date"};
static const char *const weekday_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

/* A parsed meeting file: the struct, and what it points into. */
typedef struct meeting_file {
    gs_gcal_meeting m;
    gs_gcal_person *invitees;
    char *text;
    arena arena;
} meeting_file;

/* Writes "FILE: line L, column C: MESSAGE" about the byte at `pos` into err. */
static bool bad_at(const meeting_file *mf, const char *file, size_t pos, char *err, size_t cap,
                   const char *fmt, ...) {
    char where[48], msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_where(mf->text, pos, where, sizeof where);
    snprintf(err, cap, "%s: %s: %s", file, where, msg);
    return false;
}

/* A value of the wrong type or shape: points at the value. */
#define bad_field(mf, file, v, err, cap, ...) bad_at(mf, file, (v)->pos, err, cap, __VA_ARGS__)
/* A member that should not be there: points at its name. */
#define bad_member(mf, file, m, err, cap, ...) bad_at(mf, file, (m)->key_pos, err, cap, __VA_ARGS__)

static int name_index(const char *name, const char *const *names, int n) {
    int i;
    for (i = 0; i < n; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

static bool person_from_json(const meeting_file *mf, const char *file, const json *v,
                             const char *what, gs_gcal_person *p, char *err, size_t cap) {
    const json *m;
    memset(p, 0, sizeof *p);
    if (v->type != JSON_OBJECT)
        return bad_field(mf, file, v, err, cap, "%s must be an object {\"name\", \"email\"}",
                         what);
    for (m = v->child; m != NULL; m = m->next) {
        const char **dst = strcmp(m->key, "name") == 0    ? &p->name
                           : strcmp(m->key, "email") == 0 ? &p->email
                                                          : NULL;
        if (dst == NULL)
            return bad_member(mf, file, m, err, cap,
                              "unknown field \"%s\" in %s (known: name, email)", m->key, what);
        if (m->type != JSON_STRING && m->type != JSON_NULL)
            return bad_field(mf, file, m, err, cap, "%s.%s must be a string or null", what,
                             m->key);
        *dst = m->type == JSON_STRING ? m->text : NULL;
    }
    return true;
}

static bool field_from_json(meeting_file *mf, const char *file, const meeting_field *f,
                            const json *v, char *err, size_t cap) {
    void *dst = (char *)&mf->m + f->offset;
    long long n;
    int i;
    switch (f->kind) {
    case F_TEXT:
        if (v->type == JSON_NULL && !f->required) {
            *(const char **)dst = NULL;
            return true;
        }
        if (v->type != JSON_STRING || (f->required && v->text[0] == '\0'))
            return bad_field(mf, file, v, err, cap, "\"%s\" must be a%s string%s", f->name,
                             f->required ? " non-empty" : "", f->required ? "" : " or null");
        *(const char **)dst = v->text;
        return true;
    case F_UINT:
        if (!json_as_int(v, &n) || n < 0 || n > (long long)UINT32_MAX)
            return bad_field(mf, file, v, err, cap, "\"%s\" must be a whole number from 0 to %lu",
                             f->name, (unsigned long)UINT32_MAX);
        *(uint32_t *)dst = (uint32_t)n;
        return true;
    case F_FLAG:
        if (v->type != JSON_BOOL)
            return bad_field(mf, file, v, err, cap, "\"%s\" must be true or false", f->name);
        if (v->boolean)
            *(uint32_t *)dst |= GS_GCAL_MEETING_SHARE_PASSWORD;
        return true;
    case F_PERSON:
        return person_from_json(mf, file, v, "host", dst, err, cap);
    case F_PERSONS: {
        const json *item;
        size_t k = 0;
        if (v->type != JSON_ARRAY)
            return bad_field(mf, file, v, err, cap,
                             "\"invitees\" must be an array of {\"name\", \"email\"}");
        mf->invitees = xrealloc(NULL, (v->count ? v->count : 1) * sizeof *mf->invitees);
        for (item = v->child; item != NULL; item = item->next, k++) {
            char what[48];
            snprintf(what, sizeof what, "invitees[%zu]", k);
            if (!person_from_json(mf, file, item, what, &mf->invitees[k], err, cap))
                return false;
        }
        mf->m.invitees = mf->invitees;
        mf->m.invitee_count = v->count;
        return true;
    }
    case F_REPEAT:
    case F_REPEAT_END: {
        const char *const *names = f->kind == F_REPEAT ? repeat_names : repeat_end_names;
        int count = f->kind == F_REPEAT ? 7 : 3;
        if (v->type != JSON_STRING || (i = name_index(v->text, names, count)) < 0)
            return bad_field(mf, file, v, err, cap, "\"%s\" must be one of %s", f->name,
                             f->kind == F_REPEAT ? "none, daily, weekly, weekdays, "
                                                   "monthly_by_day, monthly_by_weekday, yearly"
                                                 : "never, after, on_date");
        *(uint32_t *)dst = (uint32_t)i; /* the names are in the order of the constants */
        return true;
    }
    case F_WEEKDAYS: {
        const json *d;
        if (v->type != JSON_ARRAY)
            return bad_field(mf, file, v, err, cap, "\"repeat_weekdays\" must be an array like "
                                                    "[\"mon\", \"wed\"]");
        for (d = v->child; d != NULL; d = d->next) {
            if (d->type != JSON_STRING || (i = name_index(d->text, weekday_names, 7)) < 0)
                return bad_field(mf, file, d, err, cap, "weekdays are mon, tue, wed, thu, fri, "
                                                        "sat, sun");
            *(uint32_t *)dst |= 1u << i; /* GS_GCAL_MONDAY = 1 ... GS_GCAL_SUNDAY = 64 */
        }
        return true;
    }
    }
    return false;
}

/* Reads and checks a meeting file ("-" is stdin). On failure err says
   what and where, and *exit_code is EXIT_LOCAL (unreadable) or EXIT_USAGE
   (not a valid meeting). */
static bool meeting_load(meeting_file *mf, const char *file, char *err, size_t cap,
                         int *exit_code) {
    const json *root, *m;
    size_t len, i;
    int e;
    memset(mf, 0, sizeof *mf);
    mf->m.struct_size = sizeof mf->m;
    *exit_code = EXIT_USAGE;
    if ((e = read_file(file, &mf->text, &len)) != 0) {
        snprintf(err, cap, "reading %s: %s", file, strerror(e));
        *exit_code = EXIT_LOCAL;
        return false;
    }
    {
        char perr[224];
        if ((root = json_parse(&mf->arena, mf->text, len, perr, sizeof perr)) == NULL) {
            snprintf(err, cap, "%s: not valid JSON: %s", file, perr);
            return false;
        }
    }
    if (root->type != JSON_OBJECT)
        return bad_field(mf, file, root, err, cap, "a meeting is a JSON object {...}");
    for (m = root->child; m != NULL; m = m->next) {
        const meeting_field *f = NULL;
        for (i = 0; i < sizeof meeting_fields / sizeof meeting_fields[0]; i++)
            if (strcmp(m->key, meeting_fields[i].name) == 0)
                f = &meeting_fields[i];
        if (f == NULL)
            return bad_member(mf, file, m, err, cap, "unknown field \"%s\"", m->key);
        if (!field_from_json(mf, file, f, m, err, cap))
            return false;
    }
    for (i = 0; i < sizeof meeting_fields / sizeof meeting_fields[0]; i++)
        if (meeting_fields[i].required && json_get(root, meeting_fields[i].name) == NULL)
            return bad_field(mf, file, root, err, cap, "missing field \"%s\"",
                             meeting_fields[i].name);
    return true;
}

static void meeting_free(meeting_file *mf) {
    free(mf->invitees);
    free(mf->text);
    arena_free(&mf->arena);
}

/* ------------------------------------------------------------------------ */
/* Commands: meetings                                                       */
/* ------------------------------------------------------------------------ */

/* The exit code for a push/cancel that was queued: 4 when it waits for
   the admin to authorize, 3 when it waits for Google. */
static int queued_exit(cli *c) {
    char state[32];
    get_state(c, state, sizeof state);
    return strcmp(state, "authorized") == 0 ? EXIT_QUEUED : EXIT_AUTH;
}

/* push MEETING.json|- */
static int cmd_push(cli *c, int argc, char **argv) {
    meeting_file mf;
    gs_gcal_push_result r;
    size_t *skipped = NULL, i, count;
    char err[512], detail[GS_GCAL_ERROR_SIZE] = "";
    gs_gcal_result rc;
    int code;
    if (argc != 1)
        return usage_error(c, "usage: push MEETING.json|-");
    if (!meeting_load(&mf, argv[0], err, sizeof err, &code)) {
        fail_plain(c, code, "%s", err);
        goto cleanup;
    }
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        goto cleanup;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    skipped = xrealloc(NULL, (mf.m.invitee_count ? mf.m.invitee_count : 1) * sizeof *skipped);
    rc = gs_gcal_push_meeting(c->h, &mf.m, &r, skipped, mf.m.invitee_count);
    if (rc != GS_GCAL_OK && rc != GS_GCAL_QUEUED) {
        code = fail(c, rc, "push meeting \"%s\"", mf.m.meeting_id);
        goto cleanup;
    }
    code = rc == GS_GCAL_OK ? EXIT_DONE : queued_exit(c);
    if (rc == GS_GCAL_QUEUED && gs_gcal_last_error(c->h, detail, sizeof detail) != GS_GCAL_OK)
        detail[0] = '\0';
    count = r.skipped_count < mf.m.invitee_count ? r.skipped_count : mf.m.invitee_count;
    if (c->json) {
        out_str(c, "meeting_id", mf.m.meeting_id);
        out_str(c, "result", rc == GS_GCAL_OK ? "synced" : "queued");
        out_bool(c, "queued", rc == GS_GCAL_QUEUED);
        out_str(c, "event_id", r.event_id);
        out_str(c, "html_link", r.html_link[0] ? r.html_link : NULL);
        out_key(c, "skipped");
        sb_puts(&c->out, "[");
        for (i = 0; i < count; i++) {
            sb_printf(&c->out, "%s{\"index\":%zu,\"name\":", i ? "," : "", skipped[i]);
            sb_json_str(&c->out, mf.invitees[skipped[i]].name);
            sb_puts(&c->out, "}");
        }
        sb_puts(&c->out, "]");
        if (rc == GS_GCAL_QUEUED)
            out_str(c, "reason", detail);
    } else {
        if (rc == GS_GCAL_OK)
            printf("Meeting %s synced: event %s\n", mf.m.meeting_id, r.event_id);
        else
            printf("Meeting %s queued: event %s will be written %s\n", mf.m.meeting_id,
                   r.event_id,
                   code == EXIT_AUTH ? "once the integration is authorized"
                                     : "when Google can be reached ('sync' sends it)");
        if (r.html_link[0])
            printf("Link: %s\n", r.html_link);
        if (rc == GS_GCAL_QUEUED && detail[0])
            printf("Reason: %s\n", detail);
        for (i = 0; i < count; i++) {
            const char *name = mf.invitees[skipped[i]].name;
            printf("Not invited (no e-mail): %s (invitees[%zu])\n", name ? name : "(no name)",
                   skipped[i]);
        }
    }
    if (code == EXIT_AUTH)
        print_hint(c, GS_GCAL_NOT_AUTHORIZED);
cleanup:
    free(skipped);
    meeting_free(&mf);
    return code;
}

/* cancel MEETING_ID [OCCURRENCE TIME_ZONE] */
static int cmd_cancel(cli *c, int argc, char **argv) {
    const char *occurrence = argc == 3 ? argv[1] : NULL, *zone = argc == 3 ? argv[2] : NULL;
    char detail[GS_GCAL_ERROR_SIZE] = "";
    gs_gcal_result rc;
    int code;
    if (argc != 1 && argc != 3)
        return usage_error(c, "usage: cancel MEETING_ID [OCCURRENCE TIME_ZONE]");
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        return code;
    rc = gs_gcal_cancel_meeting(c->h, argv[0], occurrence, zone);
    if (rc != GS_GCAL_OK && rc != GS_GCAL_QUEUED)
        return fail(c, rc, "cancel meeting \"%s\"", argv[0]);
    code = rc == GS_GCAL_OK ? EXIT_DONE : queued_exit(c);
    if (rc == GS_GCAL_QUEUED && gs_gcal_last_error(c->h, detail, sizeof detail) != GS_GCAL_OK)
        detail[0] = '\0';
    if (c->json) {
        out_str(c, "meeting_id", argv[0]);
        out_str(c, "occurrence", occurrence);
        out_str(c, "result", rc == GS_GCAL_OK ? "synced" : "queued");
        out_bool(c, "queued", rc == GS_GCAL_QUEUED);
        if (rc == GS_GCAL_QUEUED)
            out_str(c, "reason", detail);
    } else {
        printf("Meeting %s%s%s %s\n", argv[0], occurrence ? " occurrence " : "",
               occurrence ? occurrence : "",
               rc == GS_GCAL_OK ? "cancelled in Google Calendar"
                                : "cancel queued ('sync' sends it)");
        if (rc == GS_GCAL_QUEUED && detail[0])
            printf("Reason: %s\n", detail);
    }
    return code;
}

/* sync [BUDGET_MS]: "Sync now" - clear backoffs, then send what waits,
   round after round while something goes out, within the budget. */
static int cmd_sync(cli *c, int argc, char **argv) {
    arena a = {0};
    char *text = NULL, *end;
    const json *st, *health, *parked_list;
    const char *state, *why;
    long budget = DEFAULT_SYNC_BUDGET;
    size_t sent = 0, remaining = 0, total = 0;
    long long waiting, parked;
    double started, left_ms;
    gs_gcal_result rc;
    int code, round;
    if (argc > 1)
        return usage_error(c, "usage: sync [BUDGET_MS]");
    if (argc == 1) {
        errno = 0;
        budget = strtol(argv[0], &end, 10);
        if (errno != 0 || *end != '\0' || budget < 1 || budget > 600000)
            return usage_error(c, "sync: the budget is 1 to 600000 ms");
    }
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        return code;
    if ((rc = gs_gcal_retry_now(c->h)) != GS_GCAL_OK)
        return fail(c, rc, "sync");
    waiting = json_int(json_get(get_status(c, &a, &text), "health"), "outbox_depth", 0);
    free(text);
    text = NULL;
    arena_free(&a);
    fprintf(stderr, "sync: %lld operation(s) waiting, budget %ld ms\n", waiting, budget);
    started = monotonic_seconds();
    for (round = 1;; round++) {
        left_ms = (double)budget - (monotonic_seconds() - started) * 1000;
        if (left_ms < 1)
            break;
        rc = gs_gcal_sync(c->h, (uint32_t)left_ms, &sent, &remaining);
        if (rc != GS_GCAL_OK)
            return fail(c, rc, "sync");
        total += sent;
        fprintf(stderr, "sync: round %d: sent %zu, %zu waiting\n", round, sent, remaining);
        if (sent == 0 || remaining == 0 || interrupted)
            break;
    }
    st = get_status(c, &a, &text);
    health = json_get(st, "health");
    parked_list = json_get(health, "parked");
    parked = parked_list != NULL ? (long long)parked_list->count : 0;
    state = json_text(st, "state");
    code = remaining == 0                     ? EXIT_DONE
           : strcmp(state, "authorized") == 0 ? EXIT_QUEUED
                                              : EXIT_AUTH;
    if (c->json) {
        out_int(c, "sent", (long long)total);
        out_int(c, "remaining", (long long)remaining);
        out_int(c, "parked", parked);
    } else {
        printf("Sent %zu, %zu still waiting", total, remaining);
        if (parked > 0)
            printf(", %lld parked (refused for good; see status)", parked);
        printf(".\n");
    }
    if (remaining > 0) {
        why = json_str(json_get(health, "last_failure"), "message");
        if (why != NULL)
            fprintf(stderr, "sync: still waiting; last failure: %s\n", why);
        if (code == EXIT_AUTH)
            print_hint(c, GS_GCAL_NOT_AUTHORIZED);
    }
    if (interrupted)
        code = fail_plain(c, EXIT_INTERRUPTED, "sync interrupted; what was not sent stays in "
                                               "the outbox");
    free(text);
    arena_free(&a);
    return code;
}

/* ------------------------------------------------------------------------ */
/* Commands: reading the calendar                                           */
/* ------------------------------------------------------------------------ */

static int cmd_calendars(cli *c, int argc, char **argv) {
    arena a = {0};
    char *text = NULL, err[160];
    const json *list, *cal;
    gs_gcal_result rc;
    int code;
    (void)argv;
    if (argc != 0)
        return usage_error(c, "usage: calendars");
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        return code;
    if ((rc = fetch_text(c->h, fill_calendars, NULL, &text)) != GS_GCAL_OK)
        return fail(c, rc, "listing calendars");
    if (c->json) {
        out_raw(c, "calendars", text);
        goto cleanup;
    }
    if ((list = json_parse(&a, text, strlen(text), err, sizeof err)) == NULL ||
        list->type != JSON_ARRAY) {
        code = fail_plain(c, EXIT_FAILED, "listing calendars: unreadable answer");
        goto cleanup;
    }
    for (cal = list->child; cal != NULL; cal = cal->next) {
        const char *role = json_str(cal, "access_role"), *name = json_str(cal, "summary");
        const char *zone = json_str(cal, "time_zone");
        printf("%s %-44s %-8s %s", json_true(cal, "primary") ? "*" : " ", json_text(cal, "id"),
               role ? role : "-", name ? name : "");
        if (zone != NULL)
            printf(" (%s)", zone);
        printf("\n");
    }
    if (list->count == 0)
        printf("No calendars.\n");
cleanup:
    free(text);
    arena_free(&a);
    return code;
}

/* One event for people: "2024-04-29 10:00-11:00  Subject  [meeting 6300-0001]". */
static void print_event(const json *ev) {
    const char *start = json_str(ev, "start"), *end = json_str(ev, "end");
    const char *summary = json_str(ev, "summary"), *status = json_str(ev, "status");
    char a[40], b[40];
    int64_t ts, te;
    if (json_true(ev, "all_day") || start == NULL || end == NULL ||
        !parse_time(start, false, &ts) || !parse_time(end, false, &te)) {
        snprintf(a, sizeof a, "%s", start ? start : "?");
        snprintf(b, sizeof b, "all day");
    } else {
        format_local(ts, false, a, sizeof a);
        format_local(te, false, b, sizeof b);
        if (strncmp(a, b, 10) == 0) /* the same day: only the end's time */
            format_local(te, true, b, sizeof b);
    }
    printf("%s - %s  %s", a, b, summary ? summary : "(private)");
    if (status != NULL && strcmp(status, "confirmed") != 0)
        printf("  [%s]", status);
    if (json_str(ev, "pbx_meeting_id"))
        printf("  [meeting %s]", json_str(ev, "pbx_meeting_id"));
    printf("\n");
}

/* events FROM TO [CALENDAR] */
static int cmd_events(cli *c, int argc, char **argv) {
    arena a = {0};
    char *text = NULL, from[40], to[40], err[160];
    const json *doc, *events, *ev;
    int64_t t0, t1;
    window w;
    gs_gcal_result rc;
    int code;
    if (argc < 2 || argc > 3)
        return usage_error(c, "usage: events FROM TO [CALENDAR]");
    if (!parse_time(argv[0], false, &t0))
        return usage_error(c, "events: FROM \"%s\" is not YYYY-MM-DD or RFC 3339", argv[0]);
    if (!parse_time(argv[1], true, &t1))
        return usage_error(c, "events: TO \"%s\" is not YYYY-MM-DD or RFC 3339", argv[1]);
    if (t1 <= t0)
        return usage_error(c, "events: TO must be after FROM");
    format_utc(t0, from, sizeof from);
    format_utc(t1, to, sizeof to);
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        return code;
    w.calendar = argc == 3 ? argv[2] : NULL;
    w.time_min = from;
    w.time_max = to;
    if ((rc = fetch_text(c->h, fill_events, &w, &text)) != GS_GCAL_OK)
        return fail(c, rc, "listing events");
    if (c->json) {
        out_str(c, "time_min", from);
        out_str(c, "time_max", to);
        out_raw(c, "result", text);
        goto cleanup;
    }
    doc = json_parse(&a, text, strlen(text), err, sizeof err);
    events = json_get(doc, "events");
    if (events == NULL || events->type != JSON_ARRAY) {
        code = fail_plain(c, EXIT_FAILED, "listing events: unreadable answer");
        goto cleanup;
    }
    printf("%s: %zu event(s) from %s to %s\n",
           json_str(doc, "calendar") ? json_str(doc, "calendar") : "calendar", events->count,
           from, to);
    for (ev = events->child; ev != NULL; ev = ev->next)
        print_event(ev);
cleanup:
    free(text);
    arena_free(&a);
    return code;
}

/* The drift of a sync_events report: pushed meetings changed in Google. */
static void print_drift(FILE *f, const json *report) {
    const json *drift = json_get(report, "drift"), *x;
    for (x = drift ? drift->child : NULL; x != NULL; x = x->next)
        fprintf(f, "Drift: meeting %s (event %s) was %s in Google\n", json_text(x, "meeting_id"),
                json_text(x, "event_id"), json_text(x, "change"));
}

/* Prints a sync_events report for people. */
static void print_sync_report(const json *report) {
    const json *cals = json_get(report, "calendars"), *x;
    for (x = cals ? cals->child : NULL; x != NULL; x = x->next)
        printf("%s: %s, %lld changed, %lld removed%s\n", json_text(x, "calendar"),
               json_true(x, "full_sync") ? "full sync" : "changes only",
               json_int(x, "changed", 0), json_int(x, "removed", 0),
               json_int(x, "skipped", 0) > 0 ? ", some items unreadable (skipped)" : "");
    print_drift(stdout, report);
}

/* sync-events: bring the local copy (read_calendars) up to date. */
static int cmd_sync_events(cli *c, int argc, char **argv) {
    arena a = {0};
    char *text = NULL, err[160];
    gs_gcal_result rc;
    int code;
    (void)argv;
    if (argc != 0)
        return usage_error(c, "usage: sync-events");
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        return code;
    if ((rc = fetch_text(c->h, fill_sync_events, NULL, &text)) != GS_GCAL_OK)
        return fail(c, rc, "sync-events");
    if (c->json)
        out_raw(c, "report", text);
    else
        print_sync_report(json_parse(&a, text, strlen(text), err, sizeof err));
    free(text);
    arena_free(&a);
    return EXIT_DONE;
}

/* busy [TIME [CALENDAR]]: presence, from the local copy refreshed first
   (when Google cannot be reached, from the copy as it is). The refresh
   delivers drift reports only once, so they are passed on, not dropped. */
static int cmd_busy(cli *c, int argc, char **argv) {
    const char *calendar = argc == 2 ? argv[1] : NULL;
    char *report = NULL, when[40], until[40], err[160];
    arena a = {0};
    gs_gcal_busy b;
    gs_gcal_result rc, refresh;
    int64_t t = 0;
    int code;
    if (argc > 2)
        return usage_error(c, "usage: busy [TIME [CALENDAR]]");
    if (!parse_time(argc > 0 ? argv[0] : "now", false, &t))
        return usage_error(c, "busy: \"%s\" is not now, @SECONDS, YYYY-MM-DD or RFC 3339",
                           argv[0]);
    if ((code = open_handle(c, false, false, NULL)) != EXIT_DONE)
        return code;
    refresh = fetch_text(c->h, fill_sync_events, NULL, &report);
    memset(&b, 0, sizeof b);
    b.struct_size = sizeof b;
    rc = gs_gcal_busy_at(c->h, calendar, t, &b);
    if (rc == GS_GCAL_NOT_SYNCED && refresh != GS_GCAL_OK) {
        code = fail(c, refresh, "busy: refreshing the local copy of the calendar");
        goto cleanup;
    }
    if (rc != GS_GCAL_OK) {
        code = fail(c, rc, "busy");
        goto cleanup;
    }
    if (refresh != GS_GCAL_OK)
        fprintf(stderr, PROG ": warning: could not refresh the local copy (%s); answering "
                        "from it as it is\n",
                gs_gcal_strerror(refresh));
    format_utc(t, when, sizeof when);
    if (b.until != 0)
        format_utc(b.until, until, sizeof until);
    if (c->json) {
        out_str(c, "calendar", calendar ? calendar : "primary");
        out_str(c, "time", when);
        out_bool(c, "busy", b.busy != 0);
        out_bool(c, "out_of_office", b.out_of_office != 0);
        out_str(c, "until", b.until != 0 ? until : NULL);
        out_bool(c, "refreshed", refresh == GS_GCAL_OK);
        if (report != NULL)
            out_raw(c, "sync_report", report);
    } else {
        char local[40] = "?";
        if (b.until != 0)
            format_local(b.until, false, local, sizeof local);
        if (b.busy)
            printf("Busy%s until %s\n", b.out_of_office ? " (out of office)" : "", local);
        else if (b.until != 0)
            printf("Free until %s\n", local);
        else
            printf("Free (nothing busy ahead)\n");
        if (report != NULL)
            print_drift(stderr, json_parse(&a, report, strlen(report), err, sizeof err));
    }
cleanup:
    free(report);
    arena_free(&a);
    return code;
}

/* ------------------------------------------------------------------------ */
/* main                                                                     */
/* ------------------------------------------------------------------------ */

static const char usage_text[] =
    "usage: " PROG " [OPTIONS] STATE_DIR COMMAND [ARGS]\n"
    "\n"
    "Administers the gs-gcal Google Calendar integration kept in STATE_DIR.\n"
    "\n"
    "Set up and authorize:\n"
    "  set-client CLIENT_ID SECRET|- [REDIRECT_URI]\n"
    "                       store the OAuth client ('-': read the secret from stdin;\n"
    "                       no REDIRECT_URI for a TVs and Limited Input client)\n"
    "  auth-url             print the authorization link to open (Web client)\n"
    "  authorize CODE|ADDRESS|-\n"
    "                       redeem the code, or the whole address the browser landed on\n"
    "  device-login         show a code to enter at Google's device page; wait for approval\n"
    "  status               state, account, outbox health (--json: the status document)\n"
    "  reset                revoke the authorization at Google and forget it\n"
    "  export FILE|-        write the integration sealed with a passphrase (backup)\n"
    "  import FILE|-        restore such a backup\n"
    "  set-option KEY VALUE store an option for every later command (--unset KEY)\n"
    "\n"
    "Meetings:\n"
    "  push MEETING.json|-  create or update a meeting's event (schema: docs/gcalctl.md)\n"
    "  cancel MEETING_ID [OCCURRENCE TIME_ZONE]\n"
    "                       delete a meeting's event, or one occurrence\n"
    "  sync [BUDGET_MS]     send what waits in the outbox now (default 30000 ms)\n"
    "\n"
    "Reading the calendar:\n"
    "  calendars            calendars the account can see\n"
    "  events FROM TO [CALENDAR]\n"
    "                       events in a window; FROM/TO are YYYY-MM-DD (TO inclusive)\n"
    "                       or RFC 3339\n"
    "  sync-events          update the local copy of read_calendars; report drift\n"
    "  busy [TIME [CALENDAR]]\n"
    "                       presence at TIME (default now; YYYY-MM-DD, RFC 3339, @SECONDS)\n"
    "\n"
    "Options (before STATE_DIR):\n"
    "  --emulator[=FILE]    use the Google emulator: its startup line from FILE or from\n"
    "                       $GS_GCAL_EMULATOR sets the endpoints and the CA\n"
    "  --json               print one JSON object on stdout\n"
    "  -v, --verbose        the library's log on stderr (-vv: debug)\n"
    "  --timeout MS         longest time a network request may take\n"
    "  -h, --help           this help;  --version: versions\n"
    "\n"
    "Secrets are never taken from options: the client secret with '-' from stdin,\n"
    "backup passphrases from $GCALCTL_PASSPHRASE, a prompt without echo, or stdin.\n"
    "\n"
    "Exit status:\n"
    "  0    done\n"
    "  1    the operation failed (Google refused it, network, wrong code, ...)\n"
    "  2    usage error or invalid input (command line, meeting file, values)\n"
    "  3    queued: stored durably, 'sync' sends it when Google can be reached\n"
    "  4    not configured or not authorized: set-client, then authorize\n"
    "       (a push or cancel is stored and waits for that)\n"
    "  5    local error: state directory (missing, locked, damaged) or a file\n"
    "  130  interrupted (Ctrl-C)\n";

typedef struct command {
    const char *name;
    int (*run)(cli *c, int argc, char **argv);
} command;

static const command commands[] = {
    {"set-client", cmd_set_client},   {"auth-url", cmd_auth_url},
    {"authorize", cmd_authorize},     {"device-login", cmd_device_login},
    {"status", cmd_status},           {"reset", cmd_reset},
    {"export", cmd_export},           {"import", cmd_import},
    {"set-option", cmd_set_option},   {"push", cmd_push},
    {"cancel", cmd_cancel},           {"sync", cmd_sync},
    {"calendars", cmd_calendars},     {"events", cmd_events},
    {"sync-events", cmd_sync_events}, {"busy", cmd_busy},
};

/* Parses the global options; returns the index of STATE_DIR, or -1 after
   printing help or the version (exit 0), or -2 on a usage error. */
static int parse_global_options(cli *c, int argc, char **argv) {
    int i;
    for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            return i + 1;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_text, stdout);
            return -1;
        }
        if (strcmp(a, "--version") == 0) {
            printf(PROG " %d.%d.%d\n%s\n", GS_GCAL_VERSION_MAJOR, GS_GCAL_VERSION_MINOR,
                   GS_GCAL_VERSION_PATCH, gs_gcal_version());
            return -1;
        }
        if (strcmp(a, "--json") == 0) {
            c->json = true;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            c->verbose++;
        } else if (strcmp(a, "-vv") == 0) {
            c->verbose += 2;
        } else if (strcmp(a, "--emulator") == 0) {
            c->emulator = true;
        } else if (strncmp(a, "--emulator=", 11) == 0 && a[11] != '\0') {
            c->emulator = true;
            c->emulator_file = a + 11;
        } else if (strcmp(a, "--timeout") == 0 || strncmp(a, "--timeout=", 10) == 0) {
            const char *v = a[9] == '=' ? a + 10 : (i + 1 < argc ? argv[++i] : "");
            char *end;
            errno = 0;
            c->timeout_ms = strtol(v, &end, 10);
            if (errno != 0 || end == v || *end != '\0' || c->timeout_ms < 1 ||
                c->timeout_ms > 600000) {
                usage_error(c, "--timeout takes milliseconds, 1 to 600000");
                return -2;
            }
        } else {
            usage_error(c, "unknown option %s", a);
            return -2;
        }
    }
    return i;
}

int main(int argc, char **argv) {
    cli c;
    struct sigaction sa, old;
    const command *cmd = NULL;
    int first, code;
    size_t i;

    memset(&c, 0, sizeof c);
    c.command = "";
    c.err_code = -1;
    first = parse_global_options(&c, argc, argv);
    if (first == -1)
        return EXIT_DONE;
    if (first == -2) {
        code = EXIT_USAGE;
        goto cleanup;
    }
    if (argc - first < 2) {
        code = usage_error(&c, argc - first == 1 ? "missing COMMAND after STATE_DIR"
                                                 : "missing STATE_DIR and COMMAND");
        goto cleanup;
    }
    c.state_dir = argv[first];
    c.command = argv[first + 1];
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, c.command) == 0)
            cmd = &commands[i];
    if (cmd == NULL) {
        code = usage_error(&c, "unknown command \"%s\"", c.command);
        goto cleanup;
    }
    if (c.emulator && c.emulator_file == NULL &&
        (getenv("GS_GCAL_EMULATOR") == NULL || getenv("GS_GCAL_EMULATOR")[0] == '\0')) {
        code = usage_error(&c, "--emulator: GS_GCAL_EMULATOR is not set (give the emulator's "
                               "startup line there, or --emulator=FILE)");
        goto cleanup;
    }

    /* Ctrl-C and SIGTERM: let waits end cleanly (no SA_RESTART, so they
       wake up); a second one terminates at once (SA_RESETHAND). A SIGINT
       ignored from the start (a background job) stays ignored. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, NULL, &old) == 0 && old.sa_handler != SIG_IGN)
        sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    enable_library_log(c.verbose);
    code = cmd->run(&c, argc - first - 2, argv + first + 2);

cleanup:
    if (c.json)
        print_json_result(&c, code);
    gs_gcal_close(c.h); /* NULL is fine */
    for (i = 0; i < c.option_count; i++) {
        free(c.options[i].key);
        free(c.options[i].value);
    }
    sb_free(&c.out);
    return code;
}
