/* Atomic reference counts and clocks.
 *
 * Reference counts start at 1. Acquire is relaxed (the caller already holds a reference, so the
 * object cannot vanish); release is acq_rel so that every write made by any holder happens-before
 * the destruction done by the thread that drops the last reference. */
#include "common.h"

#include <time.h>

void s3x__ref_init(struct s3x_ref_count *ref) {
    atomic_init(&ref->count, 1);
}

void s3x__ref_acquire(struct s3x_ref_count *ref) {
    atomic_fetch_add_explicit(&ref->count, 1, memory_order_relaxed);
}

bool s3x__ref_release(struct s3x_ref_count *ref) {
    return atomic_fetch_sub_explicit(&ref->count, 1, memory_order_acq_rel) == 1;
}

size_t s3x__ref_get(const struct s3x_ref_count *ref) {
    return atomic_load_explicit(&ref->count, memory_order_acquire);
}

uint64_t s3x__clock_mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t s3x__clock_wall_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}
