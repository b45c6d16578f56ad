/* Private helpers shared by every layer: reference counts, clocks, logging macros, checked
 * arithmetic. Never included by public headers. */
#ifndef S3XFER_SRC_COMMON_H
#define S3XFER_SRC_COMMON_H

#include <s3xfer/allocator.h>
#include <s3xfer/error.h>
#include <s3xfer/log.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define S3X_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define S3X_UNUSED(x) ((void)(x))
#define S3X_MIN(a, b) ((a) < (b) ? (a) : (b))
#define S3X_MAX(a, b) ((a) > (b) ? (a) : (b))
#define S3X_CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#if defined(__GNUC__)
#    define S3X_PRINTF(fmt_idx, args_idx) __attribute__((format(printf, fmt_idx, args_idx)))
#    define S3X_LIKELY(x) __builtin_expect(!!(x), 1)
#    define S3X_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#    define S3X_PRINTF(fmt_idx, args_idx)
#    define S3X_LIKELY(x) (x)
#    define S3X_UNLIKELY(x) (x)
#endif

/* --- reference count: starts at 1; release returns true when the count reached zero. ------ */
struct s3x_ref_count {
    atomic_size_t count;
};
void s3x__ref_init(struct s3x_ref_count *ref);
void s3x__ref_acquire(struct s3x_ref_count *ref);
bool s3x__ref_release(struct s3x_ref_count *ref);
size_t s3x__ref_get(const struct s3x_ref_count *ref);

/* --- clocks ---------------------------------------------------------------------------- */
uint64_t s3x__clock_mono_ns(void);
/* Wall clock, seconds since the epoch (for SigV4 dates). */
int64_t s3x__clock_wall_s(void);

/* --- checked arithmetic ---------------------------------------------------------------- */
static inline bool s3x__add_overflows(size_t a, size_t b, size_t *out) {
    return __builtin_add_overflow(a, b, out);
}
static inline bool s3x__mul_overflows(size_t a, size_t b, size_t *out) {
    return __builtin_mul_overflow(a, b, out);
}

/* --- logging ---------------------------------------------------------------------------- */
extern _Atomic int s3x__log_min_level;
void s3x__log_init_once(void);
void s3x__log(enum s3x_log_level level, const char *subsystem, const char *fmt, ...) S3X_PRINTF(3, 4);

static inline bool s3x__log_enabled(enum s3x_log_level level) {
    s3x__log_init_once();
    return (int)level >= atomic_load_explicit(&s3x__log_min_level, memory_order_relaxed);
}

#define S3X_LOG_AT_(level, subsystem, ...)                                                         \
    do {                                                                                           \
        if (s3x__log_enabled(level)) {                                                             \
            s3x__log((level), (subsystem), __VA_ARGS__);                                           \
        }                                                                                          \
    } while (0)
#define S3X_LOG_TRACEF(subsystem, ...) S3X_LOG_AT_(S3X_LOG_TRACE, subsystem, __VA_ARGS__)
#define S3X_LOG_DEBUGF(subsystem, ...) S3X_LOG_AT_(S3X_LOG_DEBUG, subsystem, __VA_ARGS__)
#define S3X_LOG_INFOF(subsystem, ...) S3X_LOG_AT_(S3X_LOG_INFO, subsystem, __VA_ARGS__)
#define S3X_LOG_WARNF(subsystem, ...) S3X_LOG_AT_(S3X_LOG_WARN, subsystem, __VA_ARGS__)
#define S3X_LOG_ERRORF(subsystem, ...) S3X_LOG_AT_(S3X_LOG_ERROR, subsystem, __VA_ARGS__)

#endif
