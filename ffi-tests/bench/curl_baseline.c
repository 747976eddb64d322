/*
 * curl_baseline: what a careful firmware C developer would write instead of
 * gs-gcal, on libcurl + OpenSSL: the same HTTPS requests with the same
 * bodies as push_one (a refresh-token grant when there is no access token,
 * then one events.insert per meeting, with the same deterministic event id,
 * the same JSON with keys in the same order, the same headers that matter),
 * one easy handle reused for every request (connection kept alive, TLS
 * session cached), HTTP/1.1, no "Expect: 100-continue", CA from the file
 * only (no CA directory scan), no proxy from the environment.
 *
 *   curl_baseline CREDS_FILE TOKEN_URL CALENDAR_API_BASE CA_FILE PREFIX COUNT
 *
 * CREDS_FILE holds three lines: client id, client secret, refresh token.
 * What it does not do that gs-gcal does (so the comparison flatters it):
 * validate the meeting, persist the refreshed token, classify errors,
 * handle 409 (an existing event) or 401 (refresh and retry), time zones.
 * Builds and measurement hooks as for push_one.c (bench_common.h).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/sha.h>

#include "bench_common.h"

struct args {
    char **argv;
};

/* A growable text buffer (the JSON builder's output and responses). */
struct buf {
    char *p;
    size_t len, cap;
};

static int buf_add(struct buf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        char *q;
        while (cap < b->len + n + 1)
            cap *= 2;
        q = realloc(b->p, cap);
        if (q == NULL)
            return -1;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

static int buf_str(struct buf *b, const char *s) { return buf_add(b, s, strlen(s)); }

/* A JSON string literal with the escapes serde_json writes. */
static int buf_json(struct buf *b, const char *s) {
    static const char hex[] = "0123456789abcdef";
    int rc = buf_add(b, "\"", 1);
    for (; *s && rc == 0; s++) {
        unsigned char c = (unsigned char)*s;
        char e[7] = {'\\', 0, 0, 0, 0, 0, 0};
        switch (c) {
        case '"': e[1] = '"'; rc = buf_add(b, e, 2); break;
        case '\\': e[1] = '\\'; rc = buf_add(b, e, 2); break;
        case '\n': e[1] = 'n'; rc = buf_add(b, e, 2); break;
        case '\r': e[1] = 'r'; rc = buf_add(b, e, 2); break;
        case '\t': e[1] = 't'; rc = buf_add(b, e, 2); break;
        case '\b': e[1] = 'b'; rc = buf_add(b, e, 2); break;
        case '\f': e[1] = 'f'; rc = buf_add(b, e, 2); break;
        default:
            if (c < 0x20) {
                e[1] = 'u'; e[2] = '0'; e[3] = '0'; e[4] = hex[c >> 4]; e[5] = hex[c & 15];
                rc = buf_add(b, e, 6);
            } else {
                rc = buf_add(b, (const char *)&c, 1);
            }
        }
    }
    return rc ? rc : buf_add(b, "\"", 1);
}

static size_t on_data(char *data, size_t size, size_t n, void *user) {
    return buf_add(user, data, size * n) == 0 ? size * n : 0;
}

/* The string value of "key" in a flat-enough JSON answer. */
static int json_get(const char *json, const char *key, char *out, size_t cap) {
    char pat[64];
    const char *p;
    size_t n = 0;
    snprintf(pat, sizeof pat, "\"%s\"", key);
    if ((p = strstr(json, pat)) == NULL)
        return -1;
    p += strlen(pat);
    while (*p == ' ' || *p == ':')
        p++;
    if (*p == '"') {
        for (p++; *p && *p != '"' && n + 1 < cap; p++)
            out[n++] = *p == '\\' && p[1] ? *++p : *p;
    } else {
        while ((*p == '-' || (*p >= '0' && *p <= '9')) && n + 1 < cap)
            out[n++] = *p++;
    }
    out[n] = '\0';
    return n ? 0 : -1;
}

/* gs-gcal's event id: "gs" + the first 160 bits of SHA-256 over
   length-prefixed ("gs-gcal/event/v1", instance id "", meeting id). */
static void event_id(const char *meeting_id, char out[43]) {
    const char *parts[3] = {"gs-gcal/event/v1", "", meeting_id};
    unsigned char msg[512], md[SHA256_DIGEST_LENGTH];
    size_t n = 0, i;
    int k;
    for (i = 0; i < 3; i++) {
        unsigned long long len = strlen(parts[i]);
        for (k = 7; k >= 0; k--)
            msg[n++] = (unsigned char)(len >> (8 * k));
        memcpy(msg + n, parts[i], len);
        n += len;
    }
    SHA256(msg, n, md);
    strcpy(out, "gs");
    for (i = 0; i < 20; i++)
        sprintf(out + 2 + 2 * i, "%02x", md[i]);
}

/* "YYYY-MM-DDTHH:MM" and "HH:MM" (same day, next day if not later) as
   "YYYY-MM-DDTHH:MM:SS" wall times. */
static int wall_times(const char *start, const char *end, char *s, char *e) {
    struct tm a, b;
    time_t t;
    memset(&a, 0, sizeof a);
    if (sscanf(start, "%4d-%2d-%2dT%2d:%2d", &a.tm_year, &a.tm_mon, &a.tm_mday, &a.tm_hour,
               &a.tm_min) != 5)
        return -1;
    a.tm_year -= 1900;
    a.tm_mon -= 1;
    b = a;
    if (sscanf(end, "%2d:%2d", &b.tm_hour, &b.tm_min) != 2)
        return -1;
    t = timegm(&b);
    if (t <= timegm(&a))
        t += 86400;
    gmtime_r(&t, &b);
    strftime(s, 20, "%Y-%m-%dT%H:%M:%S", &a);
    strftime(e, 20, "%Y-%m-%dT%H:%M:%S", &b);
    return 0;
}

struct person {
    const char *name, *email;
};

static int attendee(struct buf *b, const struct person *p, int *first) {
    int rc = 0;
    if (p->email == NULL || !*p->email)
        return 0;
    rc |= buf_str(b, *first ? "{\"displayName\":" : ",{\"displayName\":");
    rc |= buf_json(b, p->name);
    rc |= buf_str(b, ",\"email\":");
    rc |= buf_json(b, p->email);
    rc |= buf_str(b, "}");
    *first = 0;
    return rc;
}

/* The seed meeting's event, keys in serde_json's (sorted) order. */
static int event_json(struct buf *b, const char *meeting_id) {
    static const struct person host = {"1000", "host1000@mycompanyabc.com"};
    static const struct person invitees[4] = {
        {"1001", "john.doe@mycompanyabc.com"},
        {"1002", NULL},
        {"1003", "jane.roe@partner.example"},
        {"1004", NULL},
    };
    const char *tz = "Etc/GMT-1", *room = "6300", *agenda = "Status of all projects";
    char id[43], s[20], e[20], text[9000], minutes[16];
    int rc = 0, first = 1, i;
    if (wall_times("2024-04-29T10:00", "11:00", s, e) != 0)
        return -1;
    event_id(meeting_id, id);
    b->len = 0;
    rc |= buf_str(b, "{\"attendees\":[");
    rc |= attendee(b, &host, &first);
    for (i = 0; i < 4; i++)
        rc |= attendee(b, &invitees[i], &first);
    rc |= buf_str(b, "],\"description\":");
    snprintf(text, sizeof text, "%s\n\nJoin: dial meeting room %s.", agenda, room);
    rc |= buf_json(b, text);
    rc |= buf_str(b, ",\"end\":{\"dateTime\":");
    rc |= buf_json(b, e);
    rc |= buf_str(b, ",\"timeZone\":");
    rc |= buf_json(b, tz);
    rc |= buf_str(b, "},\"extendedProperties\":{\"private\":{\"gsGcalMeetingId\":");
    rc |= buf_json(b, meeting_id);
    rc |= buf_str(b, "}},\"id\":");
    rc |= buf_json(b, id);
    rc |= buf_str(b, ",\"location\":");
    snprintf(text, sizeof text, "Meeting room %s", room);
    rc |= buf_json(b, text);
    snprintf(minutes, sizeof minutes, "%d", 60);
    rc |= buf_str(b, ",\"reminders\":{\"overrides\":[{\"method\":\"email\",\"minutes\":");
    rc |= buf_str(b, minutes);
    rc |= buf_str(b, "}],\"useDefault\":false},\"start\":{\"dateTime\":");
    rc |= buf_json(b, s);
    rc |= buf_str(b, ",\"timeZone\":");
    rc |= buf_json(b, tz);
    rc |= buf_str(b, "},\"summary\":");
    rc |= buf_json(b, "Weekly_Meeting");
    rc |= buf_str(b, "}");
    return rc;
}

/* One POST on the shared handle; returns the HTTP status or -1. */
static long post(CURL *c, const char *url, struct curl_slist *headers, const char *body,
                 size_t len, struct buf *resp) {
    long status = -1;
    CURLcode rc;
    resp->len = 0;
    if (resp->p)
        resp->p[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        fprintf(stderr, "curl_baseline: %s: %s\n", url, curl_easy_strerror(rc));
        return -1;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

static int body(void *p) {
    char **argv = ((struct args *)p)->argv;
    const char *token_url = argv[2], *api = argv[3], *ca = argv[4], *prefix = argv[5];
    int count = atoi(argv[6]), i, rc = 1;
    char creds[3][1024], auth[8300] = "Authorization: Bearer ", url[1024], id[300], ev[64] = "";
    char *form = NULL, *e[3] = {NULL, NULL, NULL};
    struct buf resp = {NULL, 0, 0}, json = {NULL, 0, 0};
    struct curl_slist *form_h = NULL, *api_h = NULL;
    FILE *f = fopen(argv[1], "r");
    CURL *c;

    for (i = 0; i < 3; i++)
        if (f == NULL || fgets(creds[i], sizeof creds[i], f) == NULL)
            return fprintf(stderr, "curl_baseline: cannot read %s\n", argv[1]), 1;
        else
            creds[i][strcspn(creds[i], "\r\n")] = '\0';
    fclose(f);

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || (c = curl_easy_init()) == NULL)
        return 1;
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "gs-gcal/0.1.0");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    form_h = curl_slist_append(form_h, "Accept: application/json");
    form_h = curl_slist_append(form_h, "Content-Type: application/x-www-form-urlencoded");
    form_h = curl_slist_append(form_h, "Expect:");
    bench_phase("setup");

    /* The refresh-token grant: no access token survives a restart. */
    for (i = 0; i < 3; i++)
        e[i] = curl_easy_escape(c, creds[i], 0);
    if (asprintf(&form, "grant_type=refresh_token&refresh_token=%s&client_id=%s&client_secret=%s",
                 e[2], e[0], e[1]) < 0)
        goto out;
    if (post(c, token_url, form_h, form, strlen(form), &resp) != 200 ||
        json_get(resp.p, "access_token", auth + strlen(auth), sizeof auth - strlen(auth)) != 0) {
        fprintf(stderr, "curl_baseline: refresh failed: %s\n", resp.p ? resp.p : "");
        goto out;
    }
    api_h = curl_slist_append(api_h, auth);
    api_h = curl_slist_append(api_h, "Content-Type: application/json");
    api_h = curl_slist_append(api_h, "Expect:");
    snprintf(url, sizeof url, "%s/calendars/primary/events?sendUpdates=all", api);

    for (i = 1; i <= count; i++) {
        long status;
        snprintf(id, sizeof id, "%s-%04d", prefix, i);
        if (event_json(&json, id) != 0)
            goto out;
        status = post(c, url, api_h, json.p, json.len, &resp);
#ifdef GS_BENCH
        {
            char name[32];
            snprintf(name, sizeof name, "push%d", i);
            bench_phase(name);
        }
#endif
        if (status != 200 || json_get(resp.p, "id", ev, sizeof ev) != 0) {
            fprintf(stderr, "curl_baseline: insert answered %ld: %s\n", status,
                    resp.p ? resp.p : "");
            goto out;
        }
    }
    rc = 0;
out:
    for (i = 0; i < 3; i++)
        curl_free(e[i]);
    free(form);
    free(json.p);
    free(resp.p);
    curl_slist_free_all(form_h);
    curl_slist_free_all(api_h);
    curl_easy_cleanup(c);
    curl_global_cleanup();
    bench_phase("close");
    if (rc == 0)
        printf("pushed %d, last event %s\n", count, ev);
    return rc;
}

int main(int argc, char **argv) {
    struct args a = {argv};
    if (argc != 7) {
        fprintf(stderr, "usage: curl_baseline CREDS_FILE TOKEN_URL CALENDAR_API_BASE CA_FILE PREFIX COUNT\n");
        return 2;
    }
    bench_phase("start");
#ifdef GS_BENCH
    return bench_run(body, &a);
#else
    return body(&a);
#endif
}
