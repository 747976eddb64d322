/*
 * Measurement hooks shared by push_one.c and curl_baseline.c, compiled in
 * only with -DGS_BENCH (the footprint builds have none of this):
 *
 *  - bench_phase("name"): ends the current phase. Under callgrind it dumps
 *    the instruction count since the previous phase (CALLGRIND_DUMP_STATS_AT,
 *    so each phase lands in its own callgrind.out.PID.N file). With
 *    -DGS_BENCH_HEAP it also prints the phase's peak live heap.
 *  - -DGS_BENCH_HEAP: malloc/calloc/realloc/free/posix_memalign/
 *    aligned_alloc/memalign are interposed in the executable (so libcurl,
 *    OpenSSL and the Rust library all go through them) and count live bytes
 *    as malloc_usable_size() reports them. Not for use under valgrind.
 *  - bench_run(fn, arg): runs the whole program body on one pthread. With
 *    BENCH_STACK=1 in the environment the thread gets a 1 MiB stack painted
 *    with a pattern, and after it ends the deepest overwritten byte gives
 *    the thread's peak stack, printed as "stack_peak_bytes N".
 * Everything is printed on stdout as "key value" lines for bench.py.
 */
#ifndef GS_BENCH_COMMON_H
#define GS_BENCH_COMMON_H

#ifdef GS_BENCH
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <valgrind/callgrind.h>

#ifdef GS_BENCH_HEAP
#include <malloc.h>
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);
static size_t heap_live, heap_peak;
static void heap_add(void *p) {
    if (p != NULL) {
        size_t now = __atomic_add_fetch(&heap_live, malloc_usable_size(p), __ATOMIC_RELAXED);
        size_t old = __atomic_load_n(&heap_peak, __ATOMIC_RELAXED);
        while (now > old &&
               !__atomic_compare_exchange_n(&heap_peak, &old, now, 0, __ATOMIC_RELAXED,
                                            __ATOMIC_RELAXED)) {
        }
    }
}
static void heap_sub(void *p) {
    if (p != NULL)
        __atomic_sub_fetch(&heap_live, malloc_usable_size(p), __ATOMIC_RELAXED);
}
void *malloc(size_t n) {
    void *p = __libc_malloc(n);
    heap_add(p);
    return p;
}
void *calloc(size_t n, size_t m) {
    void *p = __libc_calloc(n, m);
    heap_add(p);
    return p;
}
void *realloc(void *old, size_t n) {
    void *p;
    heap_sub(old);
    p = __libc_realloc(old, n);
    if (p == NULL && n != 0)
        heap_add(old); /* failed: the old block is still live */
    else
        heap_add(p);
    return p;
}
void free(void *p) {
    heap_sub(p);
    __libc_free(p);
}
void *memalign(size_t a, size_t n) {
    void *p = __libc_memalign(a, n);
    heap_add(p);
    return p;
}
void *aligned_alloc(size_t a, size_t n) { return memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    void *p = __libc_memalign(a, n);
    if (p == NULL)
        return 12; /* ENOMEM */
    heap_add(p);
    *out = p;
    return 0;
}
#endif /* GS_BENCH_HEAP */

static void bench_phase(const char *name) {
    CALLGRIND_DUMP_STATS_AT(name);
#ifdef GS_BENCH_HEAP
    printf("heap_peak %s %zu\n", name, __atomic_load_n(&heap_peak, __ATOMIC_RELAXED));
    printf("heap_live %s %zu\n", name, __atomic_load_n(&heap_live, __ATOMIC_RELAXED));
    __atomic_store_n(&heap_peak, __atomic_load_n(&heap_live, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
#endif
}

#define BENCH_STACK_SIZE (1u << 20)
#define BENCH_PAINT 0xA5

struct bench_call {
    int (*fn)(void *);
    void *arg;
    int rc;
};

static void *bench_trampoline(void *p) {
    struct bench_call *c = p;
    c->rc = c->fn(c->arg);
    return NULL;
}

/* Runs fn(arg) on a thread; returns how many bytes of its stack were
   written (-1 when not painting). */
static long bench_thread(int (*fn)(void *), void *arg, int paint, int *rc) {
    struct bench_call call = {fn, arg, 1};
    pthread_attr_t attr;
    pthread_t t;
    unsigned char *stack = NULL;
    long used = -1;
    pthread_attr_init(&attr);
    if (paint) {
        stack = mmap(NULL, BENCH_STACK_SIZE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (stack == MAP_FAILED)
            return -2;
        memset(stack, BENCH_PAINT, BENCH_STACK_SIZE);
        pthread_attr_setstack(&attr, stack, BENCH_STACK_SIZE);
    } else {
        pthread_attr_setstacksize(&attr, BENCH_STACK_SIZE);
    }
    if (pthread_create(&t, &attr, bench_trampoline, &call) != 0)
        return -2;
    pthread_join(t, NULL);
    if (paint) {
        size_t i = 0;
        while (i < BENCH_STACK_SIZE && stack[i] == BENCH_PAINT)
            i++;
        used = (long)(BENCH_STACK_SIZE - i);
        munmap(stack, BENCH_STACK_SIZE);
    }
    *rc = call.rc;
    return used;
}

static int bench_nothing(void *arg) {
    (void)arg;
    return 0;
}

/* Runs fn(arg) on a fresh thread; with BENCH_STACK=1 prints its peak stack
   less what an empty thread writes (glibc keeps the thread descriptor and
   static TLS at the top of a caller-provided stack). */
static int bench_run(int (*fn)(void *), void *arg) {
    int paint = getenv("BENCH_STACK") != NULL, rc = 1, ignored;
    struct rusage ru;
    long base = 0, used;
    if (paint)
        base = bench_thread(bench_nothing, NULL, 1, &ignored);
    used = bench_thread(fn, arg, paint, &rc);
    if (used == -2)
        return 1;
    if (paint) {
        printf("stack_thread_overhead_bytes %ld\n", base);
        printf("stack_peak_bytes %ld\n", used - base);
    }
    getrusage(RUSAGE_SELF, &ru);
    printf("maxrss_kb %ld\n", ru.ru_maxrss);
    return rc;
}
#else
#define bench_phase(name) ((void)0)
#endif /* GS_BENCH */

#endif
