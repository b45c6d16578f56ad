/* Allocators: the system allocator, the tracking allocator and the fail-the-Nth allocator.
 *
 * Tracking layout. Each allocation of `size` bytes with alignment A (A = 0: 16) is one block of
 * the wrapped allocator:
 *
 *     base ... [padding] [struct s_track_header] [user bytes: size]
 *                                                ^ returned pointer p, p % A == 0
 *
 * The header sits right before p and records base, size and a sequence number; headers form a
 * doubly linked list under the tracker's mutex, so the tracker can report every outstanding
 * allocation and free them at destroy. Example: acquire(100, 4096) takes 100 + 64 + 4096 bytes
 * from the wrapped allocator and returns the first 4096-aligned address at least 64 bytes past
 * base. Invariant: outstanding_bytes == sum of header.size over the list, and
 * outstanding_count == length of the list.
 */
#include "common.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- system allocator --------------------------------------------------------------------- */

static void *s_system_acquire(struct s3x_allocator *allocator, size_t size, size_t alignment) {
    S3X_UNUSED(allocator);
    if (alignment == 0) {
        return malloc(size);
    }
    void *p = NULL;
    if (posix_memalign(&p, alignment, size) != 0) {
        return NULL;
    }
    return p;
}

static void s_system_release(struct s3x_allocator *allocator, void *ptr) {
    S3X_UNUSED(allocator);
    free(ptr);
}

static void *s_system_reallocate(struct s3x_allocator *allocator, void *ptr, size_t old_size, size_t new_size) {
    S3X_UNUSED(allocator);
    S3X_UNUSED(old_size);
    return realloc(ptr, new_size);
}

static const struct s3x_allocator_vtable s_system_vtable = {
    .acquire = s_system_acquire,
    .release = s_system_release,
    .reallocate = s_system_reallocate,
};

static struct s3x_allocator s_system_allocator = {.vtable = &s_system_vtable, .impl = NULL};

struct s3x_allocator *s3x_allocator_system(void) {
    return &s_system_allocator;
}

/* --- generic entry points ----------------------------------------------------------------- */

static bool s_valid_alignment(size_t alignment) {
    return alignment >= sizeof(void *) && (alignment & (alignment - 1)) == 0;
}

void *s3x_mem_acquire(struct s3x_allocator *allocator, size_t size) {
    if (allocator == NULL || size == 0) {
        return NULL;
    }
    return allocator->vtable->acquire(allocator, size, 0);
}

void *s3x_mem_calloc(struct s3x_allocator *allocator, size_t n, size_t size) {
    size_t total;
    if (s3x__mul_overflows(n, size, &total)) {
        return NULL;
    }
    void *p = s3x_mem_acquire(allocator, total);
    if (p != NULL) {
        memset(p, 0, total);
    }
    return p;
}

void *s3x_mem_acquire_aligned(struct s3x_allocator *allocator, size_t alignment, size_t size) {
    if (allocator == NULL || size == 0 || !s_valid_alignment(alignment)) {
        return NULL;
    }
    return allocator->vtable->acquire(allocator, size, alignment);
}

void *s3x_mem_realloc(struct s3x_allocator *allocator, void *ptr, size_t old_size, size_t new_size) {
    if (allocator == NULL || new_size == 0) {
        return NULL;
    }
    if (ptr == NULL) {
        return s3x_mem_acquire(allocator, new_size);
    }
    if (allocator->vtable->reallocate != NULL) {
        return allocator->vtable->reallocate(allocator, ptr, old_size, new_size);
    }
    void *p = s3x_mem_acquire(allocator, new_size);
    if (p != NULL) {
        memcpy(p, ptr, S3X_MIN(old_size, new_size));
        s3x_mem_release(allocator, ptr);
    }
    return p;
}

void s3x_mem_release(struct s3x_allocator *allocator, void *ptr) {
    if (allocator != NULL && ptr != NULL) {
        allocator->vtable->release(allocator, ptr);
    }
}

char *s3x_mem_strndup(struct s3x_allocator *allocator, const char *s, size_t n) {
    if (s == NULL) {
        return NULL;
    }
    char *p = s3x_mem_acquire(allocator, n + 1);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *s3x_mem_strdup(struct s3x_allocator *allocator, const char *s) {
    return s == NULL ? NULL : s3x_mem_strndup(allocator, s, strlen(s));
}

/* --- tracking allocator ------------------------------------------------------------------- */

#define S_TRACK_MAGIC 0x5333585452414b31ull /* "S3XTRAK1" */

struct s_track_header {
    struct s_track_header *prev;
    struct s_track_header *next;
    void *base;
    size_t size;
    uint64_t seq;
    uint64_t magic;
    uint64_t pad_[2]; /* keeps sizeof a multiple of 16 so unaligned user pointers stay 16-aligned */
};
_Static_assert(sizeof(struct s_track_header) % 16 == 0, "tracking header must keep 16-byte alignment");

struct s_tracker {
    struct s3x_allocator base;
    struct s3x_allocator *wrapped;
    pthread_mutex_t lock;
    /* synced: under lock */
    struct s_track_header list; /* sentinel */
    struct s3x_tracking_stats stats;
};

static struct s_tracker *s_tracker_of(struct s3x_allocator *allocator) {
    return (struct s_tracker *)allocator->impl;
}

static void *s_track_acquire(struct s3x_allocator *allocator, size_t size, size_t alignment) {
    struct s_tracker *t = s_tracker_of(allocator);
    size_t align = alignment == 0 ? 16 : alignment;
    size_t total;
    if (s3x__add_overflows(size, sizeof(struct s_track_header), &total) || s3x__add_overflows(total, align, &total)) {
        return NULL;
    }
    char *base = t->wrapped->vtable->acquire(t->wrapped, total, 0);
    if (base == NULL) {
        return NULL;
    }
    uintptr_t user = ((uintptr_t)base + sizeof(struct s_track_header) + align - 1) & ~(uintptr_t)(align - 1);
    struct s_track_header *h = (struct s_track_header *)(user - sizeof(struct s_track_header));
    h->base = base;
    h->size = size;
    h->magic = S_TRACK_MAGIC;

    pthread_mutex_lock(&t->lock);
    h->seq = ++t->stats.total_count;
    h->next = t->list.next;
    h->prev = &t->list;
    t->list.next->prev = h;
    t->list.next = h;
    t->stats.outstanding_bytes += size;
    t->stats.outstanding_count += 1;
    if (t->stats.outstanding_bytes > t->stats.peak_bytes) {
        t->stats.peak_bytes = t->stats.outstanding_bytes;
    }
    pthread_mutex_unlock(&t->lock);
    return (void *)user;
}

static struct s_track_header *s_header_of(void *ptr) {
    struct s_track_header *h = (struct s_track_header *)(void *)((char *)ptr - sizeof(struct s_track_header));
    if (h->magic != S_TRACK_MAGIC) {
        /* A pointer this allocator never returned, or a double release: memory is corrupt. This is a
         * test tool; stopping here beats corrupting the run. */
        fprintf(stderr, "s3xfer tracking allocator: release of unknown or already released pointer %p\n", ptr);
        abort();
    }
    return h;
}

static void s_track_release(struct s3x_allocator *allocator, void *ptr) {
    struct s_tracker *t = s_tracker_of(allocator);
    struct s_track_header *h = s_header_of(ptr);
    pthread_mutex_lock(&t->lock);
    h->prev->next = h->next;
    h->next->prev = h->prev;
    t->stats.outstanding_bytes -= h->size;
    t->stats.outstanding_count -= 1;
    pthread_mutex_unlock(&t->lock);
    h->magic = 0;
    t->wrapped->vtable->release(t->wrapped, h->base);
}

static void *s_track_reallocate(struct s3x_allocator *allocator, void *ptr, size_t old_size, size_t new_size) {
    S3X_UNUSED(old_size);
    struct s_track_header *h = s_header_of(ptr);
    void *p = s_track_acquire(allocator, new_size, 0);
    if (p != NULL) {
        memcpy(p, ptr, S3X_MIN(h->size, new_size));
        s_track_release(allocator, ptr);
    }
    return p;
}

static const struct s3x_allocator_vtable s_track_vtable = {
    .acquire = s_track_acquire,
    .release = s_track_release,
    .reallocate = s_track_reallocate,
};

int s3x_tracking_allocator_new(struct s3x_allocator *wrapped, struct s3x_allocator **out) {
    if (out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    *out = NULL;
    if (wrapped == NULL) {
        wrapped = s3x_allocator_system();
    }
    struct s_tracker *t = s3x_mem_calloc(wrapped, 1, sizeof(*t));
    if (t == NULL) {
        return S3X_ERR_OOM;
    }
    t->base.vtable = &s_track_vtable;
    t->base.impl = t;
    t->wrapped = wrapped;
    pthread_mutex_init(&t->lock, NULL);
    t->list.next = &t->list;
    t->list.prev = &t->list;
    *out = &t->base;
    return 0;
}

void s3x_tracking_allocator_stats(struct s3x_allocator *tracking, struct s3x_tracking_stats *out) {
    struct s_tracker *t = s_tracker_of(tracking);
    pthread_mutex_lock(&t->lock);
    *out = t->stats;
    pthread_mutex_unlock(&t->lock);
}

size_t s3x_tracking_allocator_report(struct s3x_allocator *tracking, void (*print)(void *sink, const char *line),
    void *sink, size_t max_lines) {
    struct s_tracker *t = s_tracker_of(tracking);
    size_t n = 0;
    char line[128];
    pthread_mutex_lock(&t->lock);
    for (struct s_track_header *h = t->list.next; h != &t->list; h = h->next) {
        if (print != NULL && n < max_lines) {
            snprintf(line, sizeof(line), "leaked %zu bytes (allocation #%llu) at %p", h->size,
                (unsigned long long)h->seq, (void *)(h + 1));
            print(sink, line);
        }
        ++n;
    }
    pthread_mutex_unlock(&t->lock);
    return n;
}

size_t s3x_tracking_allocator_destroy(struct s3x_allocator *tracking) {
    if (tracking == NULL) {
        return 0;
    }
    struct s_tracker *t = s_tracker_of(tracking);
    size_t leaked = t->stats.outstanding_bytes;
    struct s_track_header *h = t->list.next;
    while (h != &t->list) {
        struct s_track_header *next = h->next;
        h->magic = 0;
        t->wrapped->vtable->release(t->wrapped, h->base);
        h = next;
    }
    pthread_mutex_destroy(&t->lock);
    s3x_mem_release(t->wrapped, t);
    return leaked;
}

/* --- fail-the-Nth allocator ----------------------------------------------------------------- */

struct s_fail_nth {
    struct s3x_allocator base;
    struct s3x_allocator *wrapped;
    _Atomic uint64_t count;
    _Atomic uint64_t fail_at;
    atomic_bool fired;
};

static bool s_fail_now(struct s_fail_nth *f) {
    uint64_t n = atomic_fetch_add(&f->count, 1) + 1;
    if (n == atomic_load(&f->fail_at)) {
        atomic_store(&f->fired, true);
        return true;
    }
    return false;
}

static void *s_fail_acquire(struct s3x_allocator *allocator, size_t size, size_t alignment) {
    struct s_fail_nth *f = allocator->impl;
    if (s_fail_now(f)) {
        return NULL;
    }
    return f->wrapped->vtable->acquire(f->wrapped, size, alignment);
}

static void s_fail_release(struct s3x_allocator *allocator, void *ptr) {
    struct s_fail_nth *f = allocator->impl;
    f->wrapped->vtable->release(f->wrapped, ptr);
}

static void *s_fail_reallocate(struct s3x_allocator *allocator, void *ptr, size_t old_size, size_t new_size) {
    struct s_fail_nth *f = allocator->impl;
    if (s_fail_now(f)) {
        return NULL;
    }
    return s3x_mem_realloc(f->wrapped, ptr, old_size, new_size);
}

static const struct s3x_allocator_vtable s_fail_vtable = {
    .acquire = s_fail_acquire,
    .release = s_fail_release,
    .reallocate = s_fail_reallocate,
};

int s3x_fail_nth_allocator_new(struct s3x_allocator *wrapped, uint64_t fail_at, struct s3x_allocator **out) {
    if (out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    *out = NULL;
    if (wrapped == NULL) {
        wrapped = s3x_allocator_system();
    }
    struct s_fail_nth *f = s3x_mem_calloc(wrapped, 1, sizeof(*f));
    if (f == NULL) {
        return S3X_ERR_OOM;
    }
    f->base.vtable = &s_fail_vtable;
    f->base.impl = f;
    f->wrapped = wrapped;
    atomic_init(&f->count, 0);
    atomic_init(&f->fail_at, fail_at);
    atomic_init(&f->fired, false);
    *out = &f->base;
    return 0;
}

void s3x_fail_nth_allocator_reset(struct s3x_allocator *fail_nth, uint64_t fail_at) {
    struct s_fail_nth *f = fail_nth->impl;
    atomic_store(&f->fail_at, fail_at);
    atomic_store(&f->count, 0);
    atomic_store(&f->fired, false);
}

uint64_t s3x_fail_nth_allocator_count(struct s3x_allocator *fail_nth) {
    return atomic_load(&((struct s_fail_nth *)fail_nth->impl)->count);
}

bool s3x_fail_nth_allocator_fired(struct s3x_allocator *fail_nth) {
    return atomic_load(&((struct s_fail_nth *)fail_nth->impl)->fired);
}

void s3x_fail_nth_allocator_destroy(struct s3x_allocator *fail_nth) {
    if (fail_nth != NULL) {
        struct s_fail_nth *f = fail_nth->impl;
        s3x_mem_release(f->wrapped, f);
    }
}
