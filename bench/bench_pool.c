/* Pool benchmark: reserve -> claim -> release cycles of 8 MiB tickets, against malloc/free.
 *
 * Prints `name value` lines (operations per second, higher is better):
 *   pool_default_ops_per_s_1thread / _2threads   the default pool: reserve (future), take the
 *                                                ticket, release the future, claim, write one byte,
 *                                                release the ticket
 *   pool_arena_ops_per_s_1thread / _2threads     the same on the fixed-arena pool
 *   malloc_free_ops_per_s_1thread / _2threads    malloc(8 MiB), write one byte, free: glibc's best
 *                                                case (its dynamic mmap threshold moves above 8 MiB
 *                                                after the first free, so the memory stays mapped)
 *   malloc_free_mmap_ops_per_s_1thread           the same with the mmap threshold pinned at its
 *                                                default 128 KiB (run on the main thread, whose
 *                                                heap can shrink): every cycle maps, faults one page
 *                                                and unmaps, which is what a pool saves (and what
 *                                                malloc does before the threshold has moved)
 * Each thread writes one byte per cycle into its buffer so neither side is a no-op the compiler
 * or the kernel can skip; pages are not otherwise touched (a transfer would touch them in both
 * cases). The pools' limits leave room for one ticket per thread: no waiting is measured.
 *
 * Usage: bench_pool [seconds per measurement, default 1] */
#include <s3xfer/error.h>
#include <s3xfer/pool.h>

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define TICKET_BYTES ((size_t)8 << 20)

static double s_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct worker {
    struct s3x_pool *pool; /* NULL: malloc/free */
    double seconds;
    unsigned long long ops;
    int errors;
    pthread_barrier_t *start;
};

static int s_pool_cycle(struct s3x_pool *pool, unsigned long long i) {
    struct s3x_pool_reserve_options o = {.size_bytes = TICKET_BYTES};
    struct s3x_future *f = s3x_pool_reserve(pool, &o);
    struct s3x_ticket *t = NULL;
    int rc = s3x_ticket_take(f, &t);
    s3x_future_release(f);
    if (rc != 0) {
        return rc;
    }
    void *b = NULL;
    rc = s3x_ticket_claim(t, &b);
    if (rc == 0) {
        ((volatile char *)b)[i & 4095] = (char)i;
    }
    s3x_ticket_release(t);
    return rc;
}

static void *s_worker(void *arg) {
    struct worker *w = arg;
    pthread_barrier_wait(w->start);
    double end = s_now() + w->seconds;
    unsigned long long ops = 0;
    while (s_now() < end) {
        for (int k = 0; k < 1024; ++k, ++ops) { /* read the clock once per 1024 cycles */
            if (w->pool != NULL) {
                w->errors += s_pool_cycle(w->pool, ops) != 0;
            } else {
                char *volatile b = malloc(TICKET_BYTES);
                if (b == NULL) {
                    w->errors++;
                    continue;
                }
                b[ops & 4095] = (char)ops;
                free(b);
            }
        }
    }
    w->ops = ops;
    return NULL;
}

static double s_run(struct s3x_pool *pool, int threads, double seconds) {
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    struct worker w[2];
    pthread_t th[2];
    for (int i = 0; i < threads; ++i) {
        w[i] = (struct worker){.pool = pool, .seconds = seconds, .start = &start};
        pthread_create(&th[i], NULL, s_worker, &w[i]);
    }
    double t0 = s_now();
    pthread_barrier_wait(&start);
    unsigned long long ops = 0;
    int errors = 0;
    for (int i = 0; i < threads; ++i) {
        pthread_join(th[i], NULL);
        ops += w[i].ops;
        errors += w[i].errors;
    }
    double elapsed = s_now() - t0;
    pthread_barrier_destroy(&start);
    if (errors != 0) {
        fprintf(stderr, "bench_pool: %d failed cycles\n", errors);
        exit(1);
    }
    return (double)ops / elapsed;
}

static struct s3x_pool *s_pool(bool arena) {
    struct s3x_pool_config c = {.memory_limit_bytes = 4 * TICKET_BYTES, .part_size_bytes = TICKET_BYTES};
    struct s3x_pool *p = NULL;
    int rc = arena ? s3x_arena_pool_new(s3x_allocator_system(), &c, NULL, &p)
                   : s3x_default_pool_new(s3x_allocator_system(), &c, &p);
    if (rc != 0) {
        fprintf(stderr, "bench_pool: cannot create the pool: %s\n", s3x_error_name(rc));
        exit(1);
    }
    return p;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    if (!(seconds > 0)) {
        fprintf(stderr, "usage: bench_pool [seconds per measurement]\n");
        return 2;
    }
    for (int arena = 0; arena < 2; ++arena) {
        struct s3x_pool *p = s_pool(arena != 0);
        s_run(p, 1, seconds / 10); /* warm-up: blocks, ticket and future caches */
        const char *name = arena ? "pool_arena" : "pool_default";
        printf("%s_ops_per_s_1thread %.0f\n", name, s_run(p, 1, seconds));
        printf("%s_ops_per_s_2threads %.0f\n", name, s_run(p, 2, seconds));
        s3x_pool_release(p);
    }
    s_run(NULL, 1, seconds / 10);
    printf("malloc_free_ops_per_s_1thread %.0f\n", s_run(NULL, 1, seconds));
    printf("malloc_free_ops_per_s_2threads %.0f\n", s_run(NULL, 2, seconds));
    /* Pinning the threshold also turns its dynamic adjustment off; trimming gives the grown heap
     * back, so 8 MiB no longer fits the heap's top and each malloc maps (and each free unmaps). */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    malloc_trim(0);
    /* On this (main) thread: worker threads' arenas keep their grown heaps whatever the threshold. */
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, 1);
    struct worker w = {.pool = NULL, .seconds = seconds, .start = &start};
    double t0 = s_now();
    s_worker(&w);
    printf("malloc_free_mmap_ops_per_s_1thread %.0f\n", (double)w.ops / (s_now() - t0));
    pthread_barrier_destroy(&start);
    return 0;
}
