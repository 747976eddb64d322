/*
 * gcalctl: the JSON reader (json.h), on the vendored jsmn tokenizer
 * (vendor/jsmn.h, MIT; see vendor/README.md).
 *
 * jsmn finds the tokens: where each string, primitive, object and array
 * starts and ends, with brackets matched. It is lenient by design (even
 * with JSMN_STRICT it takes "[1 2]", "[1,]" or "{"a":1,,}"), and it
 * neither decodes nor checks strings. What makes the reader strict (RFC
 * 8259) is here:
 *   - the whole text is UTF-8 (checked first);
 *   - between two tokens there is only whitespace and exactly the one ',' or
 *     ':' the grammar wants there, so every byte of the document is either
 *     in a token or in such a checked gap; after the value, only whitespace;
 *   - primitives are exactly true, false, null or an RFC 8259 number;
 *   - strings are decoded: control characters refused, \u escapes paired
 *     into UTF-8 (\u0000 refused: values become C strings);
 *   - member names are unique; nesting is at most 64 deep.
 * jsmn runs in its default (non-strict) mode: with JSMN_STRICT it would
 * refuse a document that is one primitive at the end of the input, and
 * its own errors would say less; here every rule above has its message.
 * Where jsmn fails, the checks still run over the tokens it made, so the
 * fault reported is the first one in the text, whichever of the two sees
 * it (the messages are those of the hand-written reader this replaced).
 * Every node keeps its byte offset so that messages can say "line L,
 * column C".
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#include "vendor/jsmn.h"

#define JSON_MAX_DEPTH 64

typedef struct reader {
    const char *doc;
    size_t len;
    const jsmntok_t *tok;
    int ntok;
    arena *arena;
    size_t stop; /* where jsmn failed, SIZE_MAX when it did not */
    int depth;
    char error[160];
    size_t error_pos;
} reader;

/* "line L, column C" of a byte offset (columns count characters). */
void json_where(const char *doc, size_t pos, char *out, size_t cap) {
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

static bool fail_at(reader *r, size_t pos, const char *msg) {
    if (r->error[0] == '\0') {
        snprintf(r->error, sizeof r->error, "%s", msg);
        r->error_pos = pos;
    }
    return false;
}

static size_t skip_ws(const reader *r, size_t p) {
    while (p < r->len && (r->doc[p] == ' ' || r->doc[p] == '\t' || r->doc[p] == '\n' ||
                          r->doc[p] == '\r'))
        p++;
    return p;
}

/* Where token i's text starts (a string's opening quote) and ends (after a
   string's closing quote); SIZE_MAX past the last token. */
static size_t tok_from(const reader *r, int i) {
    if (i >= r->ntok)
        return SIZE_MAX;
    return (size_t)r->tok[i].start - (r->tok[i].type == JSMN_STRING ? 1 : 0);
}

static size_t tok_to(const reader *r, int i) {
    return (size_t)r->tok[i].end + (r->tok[i].type == JSMN_STRING ? 1 : 0);
}

static bool decode_string(reader *r, size_t at, const char **out);
static json *primitive(reader *r, size_t start, size_t end, const char *after);

/* Fails at p, where a value or member name should start, with `msg`. But
   where jsmn stopped, the token is missing because jsmn refused a string
   or primitive there: then what is wrong with that (`after`: what the
   context wants after a value; NULL where only a member name will do). */
static bool want_fail(reader *r, size_t p, const char *msg, const char *after) {
    const char *unused;
    size_t e = p;
    if (p != r->stop || p >= r->len)
        return fail_at(r, p, msg);
    if (r->doc[p] == '"')
        return decode_string(r, p, &unused) ? fail_at(r, p, msg) : false;
    if (after == NULL)
        return fail_at(r, p, msg);
    /* jsmn refuses a control or non-ASCII byte in a primitive: check the
       primitive up to it, then the byte is what comes after the value. */
    while (e < r->len && (unsigned char)r->doc[e] > 0x20 && (unsigned char)r->doc[e] < 0x7F &&
           strchr(",]}:", r->doc[e]) == NULL)
        e++;
    if (e == p || primitive(r, p, e, after) == NULL)
        return fail_at(r, p, msg);
    return fail_at(r, e, after);
}

/* What is wrong where a value should start: the end, or something else. */
static const char *no_value(const reader *r, size_t p) {
    return p >= r->len ? "unexpected end of input" : "unexpected character (not a JSON value)";
}

/* The gap from `from` to token `next`: whitespace, then `sep` (unless 0),
   then whitespace. Fails with `no_sep` where sep is missing, and with
   `no_next` (NULL: no_value) where something other than the token follows
   (`after`: see want_fail). */
static bool gap(reader *r, size_t from, int next, char sep, const char *no_sep,
                const char *no_next, const char *after) {
    size_t p = skip_ws(r, from);
    if (sep != 0) {
        if (p >= r->len || r->doc[p] != sep)
            return fail_at(r, p, no_sep);
        p = skip_ws(r, p + 1);
    }
    if (p != tok_from(r, next))
        return want_fail(r, p, no_next != NULL ? no_next : no_value(r, p), after);
    return true;
}

static json *new_node(reader *r, json_type type, size_t pos) {
    json *n = arena_alloc(r->arena, sizeof *n);
    memset(n, 0, sizeof *n);
    n->type = type;
    n->pos = pos;
    return n;
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

/* Decodes the string whose opening quote is at `at` into *out (from the
   arena). It also explains the strings jsmn refused (a bad escape, no
   closing quote, a NUL byte, where jsmn stops). */
static bool decode_string(reader *r, size_t at, const char **out) {
    const char *p = r->doc + at + 1, *end = r->doc + r->len, *scan;
    char *o, *val;
    /* The decoded text is never longer than the literal. */
    for (scan = p; scan < end && *scan != '"'; scan++)
        if (*scan == '\\' && scan + 1 < end)
            scan++;
    if (scan >= end)
        return fail_at(r, at, "unterminated string");
    val = o = arena_alloc(r->arena, (size_t)(scan - p) + 1);
    while (p < end && *p != '"') {
        const unsigned char c = (unsigned char)*p;
        if (c < 0x20)
            return fail_at(r, (size_t)(p - r->doc), "control character in a string (escape it)");
        if (c == '\\') {
            const size_t esc = (size_t)(p - r->doc);
            if (++p >= end)
                break;
            switch (*p++) {
            case '"': *o++ = '"'; break;
            case '\\': *o++ = '\\'; break;
            case '/': *o++ = '/'; break;
            case 'b': *o++ = '\b'; break;
            case 'f': *o++ = '\f'; break;
            case 'n': *o++ = '\n'; break;
            case 'r': *o++ = '\r'; break;
            case 't': *o++ = '\t'; break;
            case 'u': {
                long cp = end - p >= 4 ? hex4(p) : -1;
                if (cp < 0)
                    return fail_at(r, esc, "\\u needs four hex digits");
                p += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    long lo = (end - p >= 6 && p[0] == '\\' && p[1] == 'u') ? hex4(p + 2) : -1;
                    if (lo < 0xDC00 || lo > 0xDFFF)
                        return fail_at(r, esc, "unpaired UTF-16 surrogate in \\u escape");
                    p += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    return fail_at(r, esc, "unpaired UTF-16 surrogate in \\u escape");
                } else if (cp == 0) {
                    return fail_at(r, esc, "\\u0000 is not allowed");
                }
                o = put_utf8(o, (unsigned long)cp);
                break;
            }
            default:
                return fail_at(r, esc, "unknown escape in a string");
            }
        } else {
            *o++ = *p++;
        }
    }
    if (p >= end)
        return fail_at(r, at, "unterminated string");
    *o = '\0';
    *out = val;
    return true;
}

static bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

/* A primitive, doc[start..end): exactly a literal or a number. Text after
   one fails with `after` (what the context wants after a value). */
static json *primitive(reader *r, size_t start, size_t end, const char *after) {
    static const char *const words[] = {"true", "false", "null"};
    static const json_type types[] = {JSON_BOOL, JSON_BOOL, JSON_NULL};
    const char *s = r->doc + start, *p = s, *e = r->doc + end;
    json *n;
    size_t k;
    char *lit;
    for (k = 0; k < 3; k++) {
        size_t wl = strlen(words[k]);
        if (s[0] != words[k][0])
            continue;
        if (end - start < wl || memcmp(s, words[k], wl) != 0)
            break;
        if (end - start > wl)
            return fail_at(r, start + wl, after), NULL;
        n = new_node(r, types[k], start);
        n->boolean = k == 0;
        return n;
    }
    if (k < 3 || (*p != '-' && !is_digit(*p)))
        return fail_at(r, start, "unexpected character (not a JSON value)"), NULL;
    if (*p == '-')
        p++;
    if (p < e && *p == '0') {
        p++;
    } else if (p < e && *p >= '1' && *p <= '9') {
        while (p < e && is_digit(*p))
            p++;
    } else {
        return fail_at(r, start, "malformed number"), NULL;
    }
    if (p < e && *p == '.') {
        if (++p >= e || !is_digit(*p))
            return fail_at(r, start, "malformed number"), NULL;
        while (p < e && is_digit(*p))
            p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        if (p >= e || !is_digit(*p))
            return fail_at(r, start, "malformed number"), NULL;
        while (p < e && is_digit(*p))
            p++;
    }
    if (p < e)
        return fail_at(r, (size_t)(p - r->doc), after), NULL;
    n = new_node(r, JSON_NUMBER, start);
    lit = arena_alloc(r->arena, end - start + 1);
    memcpy(lit, s, end - start);
    lit[end - start] = '\0';
    n->text = lit;
    return n;
}

static json *value(reader *r, int i, const char *after, int *next);

/* Token i, an object or array, with its members or elements; *next is the
   token after all of them. */
static json *container(reader *r, int i, int *next) {
    const jsmntok_t *t = &r->tok[i];
    const bool object = t->type == JSMN_OBJECT;
    const char *const after = object ? "expected ',' or '}'" : "expected ',' or ']'";
    json *n = new_node(r, object ? JSON_OBJECT : JSON_ARRAY, (size_t)t->start), **tail = &n->child;
    size_t pos = (size_t)t->start + 1, p;
    int k, j = i + 1;
    if (++r->depth > JSON_MAX_DEPTH)
        return fail_at(r, (size_t)t->start, "nested too deeply"), NULL;
    for (k = 0; k < t->size; k++) {
        const size_t key_at = tok_from(r, j);
        const char *key = NULL;
        json *item, *m;
        int at;
        /* jsmn counts a value after a closed container's ':' (as in
           "[]:1") as its member; it is text after the value. */
        if (t->end >= 0 && key_at >= (size_t)t->end && key_at != SIZE_MAX)
            break;
        if (object) {
            if (!gap(r, pos, j, k > 0 ? ',' : 0, after, "expected a member name in double quotes",
                     NULL))
                return NULL;
            if (r->tok[j].type != JSMN_STRING)
                return fail_at(r, key_at, "expected a member name in double quotes"), NULL;
            if (!decode_string(r, key_at, &key))
                return NULL;
            for (m = n->child; m != NULL; m = m->next)
                if (strcmp(m->key, key) == 0)
                    return fail_at(r, key_at, "duplicate member name"), NULL;
            if (!gap(r, tok_to(r, j), j + 1, ':', "expected ':' after the member name", NULL, after))
                return NULL;
            j++;
        } else if (!gap(r, pos, j, k > 0 ? ',' : 0, after, NULL, after)) {
            return NULL;
        }
        at = j;
        if ((item = value(r, at, after, &j)) == NULL)
            return NULL;
        item->key = key;
        item->key_pos = key_at;
        *tail = item;
        tail = &item->next;
        n->count++;
        pos = tok_to(r, at);
    }
    /* Only whitespace before the closing bracket (not yet found when jsmn
       failed later on: see json_parse). */
    p = skip_ws(r, pos);
    if (t->end < 0 || p != (size_t)t->end - 1) {
        if (k > 0 && (p >= r->len || r->doc[p] != ','))
            return fail_at(r, p, after), NULL;
        if (k > 0)
            p = skip_ws(r, p + 1); /* a trailing comma: what it promised is missing */
        return want_fail(r, p, object ? "expected a member name in double quotes" : no_value(r, p),
                         object ? NULL : after),
               NULL;
    }
    r->depth--;
    *next = j;
    return n;
}

/* Token i, any value; *next is the token after it (and its contents). */
static json *value(reader *r, int i, const char *after, int *next) {
    const char *s;
    json *n;
    switch (r->tok[i].type) {
    case JSMN_OBJECT:
    case JSMN_ARRAY:
        return container(r, i, next);
    case JSMN_STRING:
        if (!decode_string(r, tok_from(r, i), &s))
            return NULL;
        n = new_node(r, JSON_STRING, tok_from(r, i));
        n->text = s;
        break;
    default:
        if ((n = primitive(r, tok_from(r, i), tok_to(r, i), after)) == NULL)
            return NULL;
        break;
    }
    *next = i + 1;
    return n;
}

json *json_parse(arena *a, const char *doc, size_t len, char *err, size_t errcap) {
    reader r;
    jsmn_parser jp;
    jsmntok_t *tok = NULL;
    json *root = NULL;
    const unsigned char *u = (const unsigned char *)doc, *uend = u + len;
    size_t start = 0, p;
    char where[48];
    int n, i, next;
    memset(&r, 0, sizeof r);
    r.doc = doc;
    r.len = len;
    r.arena = a;
    if (len > INT_MAX / 2) { /* jsmn's offsets are int */
        fail_at(&r, 0, "document too large");
        goto out;
    }
    while (u < uend) { /* all of it UTF-8 (RFC 8259 section 8.1) */
        size_t k = utf8_seq(u, uend);
        if (k == 0) {
            fail_at(&r, (size_t)(u - (const unsigned char *)doc), "not valid UTF-8");
            goto out;
        }
        u += k;
    }
    if (len >= 3 && memcmp(doc, "\xEF\xBB\xBF", 3) == 0)
        start = 3; /* a byte order mark, as some editors write */
    /* Count the tokens, then fill them in. When the count fails (at a
       string or primitive jsmn refuses), the tokens before that place are
       enough: the second pass fails there too, or earlier. */
    jsmn_init(&jp);
    n = jsmn_parse(&jp, doc + start, len - start, NULL, 0);
    if (n < 0) {
        size_t upto = jp.pos;
        jsmn_init(&jp);
        n = jsmn_parse(&jp, doc + start, upto, NULL, 0);
    }
    n = n < 0 ? 0 : n;
    tok = xrealloc(NULL, ((size_t)n + 1) * sizeof *tok);
    jsmn_init(&jp);
    n = jsmn_parse(&jp, doc + start, len - start, tok, (unsigned)n + 1);
    for (i = 0; i < (int)jp.toknext; i++) { /* offsets into doc, past the mark */
        tok[i].start += tok[i].start >= 0 ? (int)start : 0;
        tok[i].end += tok[i].end >= 0 ? (int)start : 0;
    }
    r.tok = tok;
    r.ntok = (int)jp.toknext;
    r.stop = n < 0 ? jp.pos + start : SIZE_MAX;
    /* Check what jsmn found, also when it failed: so the first fault in
       the text is the one reported. jsmn stops at a NUL byte; what follows
       it fails the check after the value. */
    if (gap(&r, start, 0, 0, NULL, NULL, "unexpected text after the JSON value") &&
        (root = value(&r, 0, "unexpected text after the JSON value", &next)) != NULL) {
        p = skip_ws(&r, tok_to(&r, 0));
        if (p != len)
            fail_at(&r, p, "unexpected text after the JSON value");
    }
    if (n < 0 && r.error[0] == '\0') /* not expected: the checks fail where jsmn did */
        fail_at(&r, r.stop, no_value(&r, r.stop));
out:
    free(tok);
    if (r.error[0] != '\0') {
        json_where(doc, r.error_pos, where, sizeof where);
        snprintf(err, errcap, "%s: %s", where, r.error);
        return NULL;
    }
    return root;
}

/* ------------------------------------------------------------------------ */
/* Reading the tree                                                         */
/* ------------------------------------------------------------------------ */

const json *json_get(const json *obj, const char *key) {
    const json *m;
    if (obj == NULL || obj->type != JSON_OBJECT)
        return NULL;
    for (m = obj->child; m != NULL; m = m->next)
        if (strcmp(m->key, key) == 0)
            return m;
    return NULL;
}

/* The string member `key`, or NULL when absent, null or not a string. */
const char *json_str(const json *obj, const char *key) {
    const json *v = json_get(obj, key);
    return v != NULL && v->type == JSON_STRING ? v->text : NULL;
}

/* A number node as a whole integer; false for fractions, exponents, overflow. */
bool json_as_int(const json *v, long long *out) {
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
const char *json_text(const json *obj, const char *key) {
    const char *s = json_str(obj, key);
    return s != NULL ? s : "";
}

long long json_int(const json *obj, const char *key, long long dflt) {
    long long n;
    return json_as_int(json_get(obj, key), &n) ? n : dflt;
}

bool json_true(const json *obj, const char *key) {
    const json *v = json_get(obj, key);
    return v != NULL && v->type == JSON_BOOL && v->boolean;
}
