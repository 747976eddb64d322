/* gcalctl: the JSON reader (json.h). */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* JSON reader                                                              */
/* ------------------------------------------------------------------------ */
/*
 * A strict RFC 8259 reader into a tree allocated from an arena: UTF-8
 * checked, escapes decoded (\u0000 refused: values become C strings),
 * duplicate member names refused, nesting at most 64 deep. Every node keeps
 * its byte offset so that messages can say "line L, column C".
 */
typedef struct json_parser {
    const char *doc, *p, *end;
    arena *arena;
    int depth;
    char error[160];
    size_t error_pos;
} json_parser;

#define JSON_MAX_DEPTH 64

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
json *json_parse(arena *a, const char *doc, size_t len, char *err, size_t errcap) {
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
