/* gcalctl: small utilities (growable strings, the arena), files, times. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Small utilities                                                          */
/* ------------------------------------------------------------------------ */

static void out_of_memory(void) {
    fputs(PROG ": out of memory\n", stderr);
    exit(EXIT_LOCAL);
}

void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        out_of_memory();
    return q;
}

char *xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    return memcpy(xrealloc(NULL, n), s, n);
}

/* Overwrites a secret; the volatile pointer keeps the compiler from
   dropping the stores as dead. */
void wipe(void *p, size_t n) {
    volatile unsigned char *v = p;
    while (n--)
        *v++ = 0;
}

/* A growable NUL-terminated string. */
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

void sb_puts(strbuf *b, const char *s) {
    sb_putn(b, s, strlen(s));
}

void sb_printf(strbuf *b, const char *fmt, ...) {
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
void sb_json_str(strbuf *b, const char *s) {
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

void sb_free(strbuf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* An arena: many small allocations, one free. The JSON reader uses it. */
void *arena_alloc(arena *a, size_t n) {
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

void arena_free(arena *a) {
    while (a->head != NULL) {
        arena_block *next = a->head->next;
        free(a->head);
        a->head = next;
    }
}

/* Reads a whole file ("-" is stdin) of at most MAX_FILE_SIZE bytes into *out
   (NUL-terminated, caller frees). Returns 0, or an errno value. */
int read_file(const char *path, char **out, size_t *len) {
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
int write_file_atomic(const char *path, const char *text) {
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
void format_utc(int64_t t, char *out, size_t cap) {
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400), y;
    int64_t secs = t - days * 86400;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(out, cap, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(secs / 3600),
             (int)(secs / 60 % 60), (int)(secs % 60));
}

/* Unix time as local time for people, e.g. "2024-04-29 10:00"; with
   time_only, "10:00". */
void format_local(int64_t t, bool time_only, char *out, size_t cap) {
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
bool parse_time(const char *s, bool end_of_day, int64_t *out) {
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
void format_duration(long long secs, char *out, size_t cap) {
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

double monotonic_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleeps up to `seconds`, returning early when interrupted. */
void nap(double seconds) {
    struct timespec ts;
    if (seconds <= 0)
        return;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL); /* EINTR on Ctrl-C: the caller checks `interrupted` */
}
