/* s3xfer: allocators.
 *
 * Every constructor of the library takes a `struct s3x_allocator *` and keeps it; every byte the
 * object allocates goes through it. Three allocators ship:
 *   - the system allocator (malloc / posix_memalign), a process-wide static object;
 *   - a tracking allocator that wraps another and counts outstanding bytes, allocations and the
 *     peak, thread-safe, and reports what is still allocated (tests fail on any leaked byte);
 *   - a fail-the-Nth allocator that wraps another and fails allocation number N exactly once, so
 *     a test can sweep every allocation site of a code path (see tests/harness).
 *
 * An allocator implementation provides `acquire` (size > 0, alignment 0 = suitable for any C
 * object, otherwise a power of two multiple of sizeof(void *)) and `release`; `reallocate` is
 * optional and applies to unaligned allocations only. Memory from `acquire` is released with
 * `release`, whatever its alignment. Implementations must be thread-safe.
 */
#ifndef S3XFER_ALLOCATOR_H
#define S3XFER_ALLOCATOR_H

#include <s3xfer/exports.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct s3x_allocator;

struct s3x_allocator_vtable {
    /* Returns NULL when the memory cannot be had. size > 0. */
    void *(*acquire)(struct s3x_allocator *allocator, size_t size, size_t alignment);
    /* ptr is never NULL. */
    void (*release)(struct s3x_allocator *allocator, void *ptr);
    /* Optional. ptr from an unaligned acquire; returns NULL (ptr untouched) on failure. */
    void *(*reallocate)(struct s3x_allocator *allocator, void *ptr, size_t old_size, size_t new_size);
};

struct s3x_allocator {
    const struct s3x_allocator_vtable *vtable;
    void *impl;
};

/* The process-wide system allocator. Never NULL. */
S3X_API struct s3x_allocator *s3x_allocator_system(void);

/* NULL for size 0 or when the memory cannot be had. */
S3X_API void *s3x_mem_acquire(struct s3x_allocator *allocator, size_t size);
/* Zero-filled n * size bytes; NULL on overflow or failure. */
S3X_API void *s3x_mem_calloc(struct s3x_allocator *allocator, size_t n, size_t size);
/* alignment: a power of two >= sizeof(void *). NULL on a bad alignment or failure. */
S3X_API void *s3x_mem_acquire_aligned(struct s3x_allocator *allocator, size_t alignment, size_t size);
/* Grows or shrinks an unaligned allocation of old_size bytes. NULL on failure (ptr still valid).
 * ptr may be NULL (then it acquires). */
S3X_API void *s3x_mem_realloc(struct s3x_allocator *allocator, void *ptr, size_t old_size, size_t new_size);
/* NULL is allowed. */
S3X_API void s3x_mem_release(struct s3x_allocator *allocator, void *ptr);
/* A copy of the NUL-terminated string, or of its first n bytes (then NUL-terminated). */
S3X_API char *s3x_mem_strdup(struct s3x_allocator *allocator, const char *s);
S3X_API char *s3x_mem_strndup(struct s3x_allocator *allocator, const char *s, size_t n);

/* --- tracking allocator ------------------------------------------------------------------ */

struct s3x_tracking_stats {
    size_t outstanding_bytes;  /* requested bytes not yet released */
    size_t outstanding_count;  /* allocations not yet released */
    size_t peak_bytes;         /* maximum of outstanding_bytes so far */
    uint64_t total_count;      /* allocations made so far */
};

/* Creates a tracking allocator over `wrapped` (NULL = the system allocator). The tracking
 * allocator's own bookkeeping is not counted. Returns 0, S3X_ERR_OOM. */
S3X_API int s3x_tracking_allocator_new(struct s3x_allocator *wrapped, struct s3x_allocator **out);
S3X_API void s3x_tracking_allocator_stats(struct s3x_allocator *tracking, struct s3x_tracking_stats *out);
/* Writes one line per outstanding allocation (size, sequence number) to `sink` through `print`,
 * at most `max_lines` lines. Returns the number of outstanding allocations. */
S3X_API size_t s3x_tracking_allocator_report(struct s3x_allocator *tracking,
    void (*print)(void *sink, const char *line), void *sink, size_t max_lines);
/* Destroys the tracking allocator. Outstanding allocations are released to the wrapped allocator
 * (so a leak is counted, not repeated). Returns the number of bytes that were still outstanding. */
S3X_API size_t s3x_tracking_allocator_destroy(struct s3x_allocator *tracking);

/* --- fail-the-Nth allocator -------------------------------------------------------------- */

/* Wraps `wrapped` (NULL = system). Allocation number `fail_at` (1-based) made through it fails,
 * once; 0 means never fail. Returns 0, S3X_ERR_OOM. */
S3X_API int s3x_fail_nth_allocator_new(struct s3x_allocator *wrapped, uint64_t fail_at, struct s3x_allocator **out);
/* Resets the counter and sets a new allocation number to fail (0 = never). */
S3X_API void s3x_fail_nth_allocator_reset(struct s3x_allocator *fail_nth, uint64_t fail_at);
/* Allocations attempted since the last reset (the failed one included). */
S3X_API uint64_t s3x_fail_nth_allocator_count(struct s3x_allocator *fail_nth);
/* Whether the failure has been injected since the last reset. */
S3X_API bool s3x_fail_nth_allocator_fired(struct s3x_allocator *fail_nth);
S3X_API void s3x_fail_nth_allocator_destroy(struct s3x_allocator *fail_nth);

#endif
