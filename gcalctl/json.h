/*
 * gcalctl's JSON reader: a strict RFC 8259 reader into a tree allocated
 * from an arena. UTF-8 checked, escapes decoded (\u0000 refused: values
 * become C strings), duplicate member names refused, nesting at most 64
 * deep. Every node keeps its byte offset so that messages can say
 * "line L, column C". Used for meeting files, the emulator's startup line
 * and the JSON documents the library returns.
 */
#ifndef GCALCTL_JSON_H
#define GCALCTL_JSON_H

#include <stdbool.h>
#include <stddef.h>

/* An arena: many small allocations, one free. The JSON reader uses it. */
typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    max_align_t data[]; /* aligned for any node */
} arena_block;

typedef struct arena {
    arena_block *head;
} arena;

void *arena_alloc(arena *a, size_t n);
void arena_free(arena *a);

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

/* Parses doc[0..len) into a tree from `a`. On error returns NULL and writes
   "line L, column C: what" into err. */
json *json_parse(arena *a, const char *doc, size_t len, char *err, size_t errcap);

/* "line L, column C" of a byte offset (columns count characters). */
void json_where(const char *doc, size_t pos, char *out, size_t cap);

/* The member `key` of an object; NULL when obj is NULL or not an object. */
const json *json_get(const json *obj, const char *key);
/* The string member `key`, or NULL when absent, null or not a string. */
const char *json_str(const json *obj, const char *key);
/* The string member `key` for display: "" when absent. */
const char *json_text(const json *obj, const char *key);
/* A number node as a whole integer; false for fractions, exponents, overflow. */
bool json_as_int(const json *v, long long *out);
/* The whole-number member `key`, or dflt. */
long long json_int(const json *obj, const char *key, long long dflt);
/* Whether the member `key` is true. */
bool json_true(const json *obj, const char *key);

#endif
