/* The fixed-arena pool: one region, allocated at creation, carved into part slots.
 *
 * Owns: the region (from the allocator, or mmap'ed with MAP_HUGETLB when huge pages are asked for
 * and available), one ticket object per slot (allocated at creation: ticket i always describes
 * slot i, so the free list of tickets is the free list of slots), the wait queue, and an object
 * cache for its futures. No buffer memory is allocated after creation; futures and waiter records
 * are recycled, allocated only on first use.
 *
 * Accounting identities (synced: under `lock`), checked by s3x__arena_pool_validate:
 *   (R1) free_count + live = nslots;   free list length = free_count
 *   (R2) reserved = sum(t.size) over live tickets;  waste = sum(slot_bytes - t.size) over live
 *   (R3) region_bytes = reserved + waste + free_count * slot_bytes + tail
 *        (tail = region_bytes - nslots * slot_bytes: rounding of a huge-page region)
 *   (R4) region_bytes <= limit;  used <= reserved
 * Example: limit 100 MiB, part 8 MiB -> 12 slots, region 96 MiB, tail 0. With huge pages (2 MiB),
 * 96 MiB is already a multiple: the same 12 slots. Limit 9 MiB, part 3 MiB + 1 byte -> slot
 * 3 MiB + 4 KiB, 2 slots, region 6 MiB + 8 KiB; with huge pages that would round to 8 MiB <= 9:
 * allowed, tail 2 MiB - 8 KiB.
 */
#include "pool_internal.h"

#include "../future/future_internal.h"
#include "object_cache.h"
#include "waitq.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(S3XFER_ASAN)
#    include <sanitizer/asan_interface.h>
#    define S_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#    define S_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#    define S_POISON(p, n) ((void)(p), (void)(n))
#    define S_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define S_SUBSYSTEM "pool"
#define S_DEFAULT_PART_BYTES ((size_t)8 << 20)
#define S_HUGE_PAGE_BYTES ((size_t)2 << 20) /* x86-64 and arm64 default huge page */
#define S_FUTURE_OBJECT_BYTES 512u
#define S_MAX_FREE_FUTURES 256u

struct s_arena;

struct s_arena_ticket {
    struct s3x_ticket base;
    struct s_arena *arena;
    char *buffer;
    struct s_arena_ticket *next; /* free list */
    int claimed;                 /* atomic */
    bool live;
};

struct s_arena {
    struct s3x_pool base;
    /* immutable */
    struct s3x_allocator *allocator;
    struct s3x_allocator *future_cache;
    char *region;
    size_t region_bytes;
    size_t slot_bytes;
    size_t nslots;
    size_t limit;
    bool mmapped;
    bool huge;
    bool locked;
    struct s_arena_ticket *tickets; /* nslots */
    pthread_mutex_t lock;
    struct s3x__waitq queue;
    /* synced */
    struct s_arena_ticket *free;
    size_t free_count;
    size_t live;
    size_t reserved;
    size_t peak_reserved;
    size_t waste;
    uint64_t granted_count;
    uint64_t failed_count;
    /* atomic */
    size_t used;
    size_t peak_used;
};

static int s_claim(struct s3x_ticket *base, void **out_buffer);
static void s_ticket_destroy(struct s3x_ticket *base);
static const struct s3x_ticket_vtable s_ticket_vtable = {.claim = s_claim, .destroy = s_ticket_destroy};

static struct s_arena_ticket *s_grant_synced(struct s_arena *a, size_t size) {
    struct s_arena_ticket *t = a->free;
    a->free = t->next;
    a->free_count--;
    (void)s3x_ticket_init(&t->base, &a->base, &s_ticket_vtable, t, size); /* complete vtable, size > 0 */
    __atomic_store_n(&t->claimed, 0, __ATOMIC_RELAXED);
    t->live = true;
    a->live++;
    a->reserved += size;
    a->peak_reserved = S3X_MAX(a->peak_reserved, a->reserved);
    a->waste += a->slot_bytes - size;
    a->granted_count++;
    return t;
}

/* Grants waiters in order while slots are free; completes them outside the lock. */
static void s_pump(struct s_arena *a) {
    bool more = true;
    while (more) {
        struct s3x__batch batch = {.count = 0};
        pthread_mutex_lock(&a->lock);
        struct s3x__waiter *w;
        while (!a->queue.shut && batch.count < S3X__WAITQ_BATCH && a->free != NULL &&
               (w = s3x__waitq_head_synced(&a->queue)) != NULL) {
            size_t size = w->size;
            struct s3x_future *f = s3x__waitq_pop_synced(&a->queue, w);
            s3x__batch_add(&batch, f, &s_grant_synced(a, size)->base, 0);
        }
        more = batch.count == S3X__WAITQ_BATCH;
        pthread_mutex_unlock(&a->lock);
        s3x__batch_run(&batch);
    }
}

static int s_claim(struct s3x_ticket *base, void **out_buffer) {
    struct s_arena_ticket *t = base->impl;
    S_UNPOISON(t->buffer, base->size);
    int expected = 0;
    if (__atomic_load_n(&t->claimed, __ATOMIC_ACQUIRE) == 0 &&
        __atomic_compare_exchange_n(&t->claimed, &expected, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        struct s_arena *a = t->arena;
        size_t used = __atomic_add_fetch(&a->used, base->size, __ATOMIC_RELAXED);
        size_t peak = __atomic_load_n(&a->peak_used, __ATOMIC_RELAXED);
        while (used > peak &&
               !__atomic_compare_exchange_n(&a->peak_used, &peak, used, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
        }
    }
    *out_buffer = t->buffer;
    return 0;
}

static void s_ticket_destroy(struct s3x_ticket *base) {
    struct s_arena_ticket *t = base->impl;
    struct s_arena *a = t->arena;
    if (__atomic_load_n(&t->claimed, __ATOMIC_ACQUIRE) != 0) {
        __atomic_fetch_sub(&a->used, base->size, __ATOMIC_RELAXED);
    }
    S_POISON(t->buffer, a->slot_bytes);
    pthread_mutex_lock(&a->lock);
    t->live = false;
    a->live--;
    a->reserved -= base->size;
    a->waste -= a->slot_bytes - base->size;
    t->next = a->free;
    a->free = t;
    a->free_count++;
    bool waiters = a->queue.count != 0;
    pthread_mutex_unlock(&a->lock);
    if (waiters) {
        s_pump(a);
    }
}

static struct s3x_future *s_reserve(struct s3x_pool *base, const struct s3x_pool_reserve_options *options) {
    struct s_arena *a = base->impl;
    struct s3x_future *f = NULL;
    if (s3x_future_new(a->future_cache, &f) != 0) {
        return s3x__future_static_error(S3X_ERR_OOM);
    }
    struct s_arena_ticket *t = NULL;
    int error = 0;
    pthread_mutex_lock(&a->lock);
    if (options->size_bytes > a->slot_bytes) {
        error = S3X_ERR_BUFFER_TOO_LARGE;
    } else if (a->free != NULL && !s3x__waitq_blocks_synced(&a->queue, options->priority)) {
        t = s_grant_synced(a, options->size_bytes);
    } else {
        error = options->no_wait ? S3X_ERR_POOL_EXHAUSTED : s3x__waitq_push_synced(&a->queue, f, options);
    }
    if (error != 0) {
        a->failed_count++;
    }
    pthread_mutex_unlock(&a->lock);
    if (t != NULL) {
        s3x__future_complete_unshared(f, &t->base, s3x__ticket_release_dtor);
    } else if (error != 0) {
        s3x_future_complete_error(f, error);
    }
    return f;
}

static size_t s_trim(struct s3x_pool *base) {
    struct s_arena *a = base->impl;
    pthread_mutex_lock(&a->lock);
    s3x__waitq_trim_synced(&a->queue);
    pthread_mutex_unlock(&a->lock);
    s3x__object_cache_trim(a->future_cache);
    return 0; /* the region is never given back while the pool lives */
}

static void s_stats(struct s3x_pool *base, struct s3x_pool_stats *out) {
    struct s_arena *a = base->impl;
    pthread_mutex_lock(&a->lock);
    out->memory_limit_bytes = a->limit;
    out->allocated_bytes = a->region_bytes;
    out->peak_allocated_bytes = a->region_bytes;
    out->reserved_bytes = a->reserved;
    out->peak_reserved_bytes = a->peak_reserved;
    out->cached_bytes = a->free_count * a->slot_bytes;
    out->live_tickets = a->live;
    out->pending_count = a->queue.count;
    out->pending_bytes = a->queue.bytes;
    out->granted_count = a->granted_count;
    out->waited_count = a->queue.popped_count;
    out->wait_ns_total = a->queue.wait_ns_total;
    out->failed_count = a->failed_count;
    out->cancelled_count = a->queue.cancelled_count;
    out->system_allocations = 1;
    pthread_mutex_unlock(&a->lock);
    out->used_bytes = __atomic_load_n(&a->used, __ATOMIC_RELAXED);
    out->peak_used_bytes = __atomic_load_n(&a->peak_used, __ATOMIC_RELAXED);
    out->flags = (a->huge ? S3X_POOL_STATS_HUGE_PAGES : 0u) | (a->locked ? S3X_POOL_STATS_MEMORY_LOCKED : 0u);
}

static void s_free_region(struct s_arena *a) {
    if (a->region == NULL) {
        return;
    }
    S_UNPOISON(a->region, a->region_bytes);
    if (a->locked) {
        munlock(a->region, a->region_bytes);
    }
    if (a->mmapped) {
        munmap(a->region, a->region_bytes);
    } else {
        s3x_mem_release(a->allocator, a->region);
    }
    a->region = NULL;
}

static void s_queue_pump(struct s3x__waitq *queue) {
    s_pump(S3X_CONTAINER_OF(queue, struct s_arena, queue));
}

static void s_queue_finalize(struct s3x__waitq *queue) {
    struct s_arena *a = S3X_CONTAINER_OF(queue, struct s_arena, queue);
    s3x__object_cache_orphan(a->future_cache);
    pthread_mutex_destroy(&a->lock);
    s3x_mem_release(a->allocator, a);
}

static const struct s3x__waitq_owner s_queue_owner = {.pump = s_queue_pump, .finalize = s_queue_finalize};

static void s_destroy(struct s3x_pool *base) {
    struct s_arena *a = base->impl;
    s3x__waitq_shutdown(&a->queue);
    s_free_region(a); /* no ticket is alive: each holds a pool reference */
    s3x_mem_release(a->allocator, a->tickets);
    s3x__waitq_owner_release(&a->queue); /* a may be freed from here on */
}

static const struct s3x_pool_vtable s_vtable = {
    .reserve = s_reserve,
    .destroy = s_destroy,
    .trim = s_trim,
    .stats = s_stats,
};

int s3x__arena_pool_validate(struct s3x_pool *pool) {
    if (pool == NULL || pool->vtable != &s_vtable) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    struct s_arena *a = pool->impl;
    size_t free_len = 0;
    size_t live = 0;
    size_t reserved = 0;
    pthread_mutex_lock(&a->lock);
    for (struct s_arena_ticket *t = a->free; t != NULL && free_len <= a->nslots; t = t->next) {
        free_len++;
    }
    for (size_t i = 0; i < a->nslots; ++i) {
        if (a->tickets[i].live) {
            live++;
            reserved += a->tickets[i].base.size;
        }
    }
    size_t tail = a->region_bytes - a->nslots * a->slot_bytes;
    size_t used = __atomic_load_n(&a->used, __ATOMIC_RELAXED);
    bool ok = free_len == a->free_count && live == a->live && a->free_count + a->live == a->nslots &&
              reserved == a->reserved && a->waste == live * a->slot_bytes - reserved &&
              a->region_bytes == a->reserved + a->waste + a->free_count * a->slot_bytes + tail &&
              a->region_bytes <= a->limit && used <= a->reserved;
    pthread_mutex_unlock(&a->lock);
    if (!ok) {
        S3X_LOG_ERRORF(S_SUBSYSTEM, "arena pool %p: accounting identities R1-R4 do not hold", (void *)a);
        return S3X_ERR_INVALID_STATE;
    }
    return 0;
}

/* --- construction ------------------------------------------------------------------------- */

static int s_map_region(struct s_arena *a, size_t page, const struct s3x_arena_pool_options *options) {
    size_t bytes = a->nslots * a->slot_bytes;
    if (options != NULL && options->huge_pages) {
        size_t huge = (bytes + S_HUGE_PAGE_BYTES - 1) & ~(S_HUGE_PAGE_BYTES - 1);
        void *p = huge <= a->limit && huge >= bytes
                      ? mmap(NULL, huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0)
                      : MAP_FAILED;
        if (p != MAP_FAILED) {
            a->region = p;
            a->region_bytes = huge;
            a->mmapped = true;
            a->huge = true;
        } else {
            S3X_LOG_INFOF(S_SUBSYSTEM, "arena pool: no huge pages for %zu bytes, using normal pages", huge);
        }
    }
    if (a->region == NULL) {
        a->region = s3x_mem_acquire_aligned(a->allocator, page, bytes);
        a->region_bytes = bytes;
        if (a->region == NULL) {
            return S3X_ERR_OOM;
        }
    }
    if (options != NULL && options->lock_memory) {
        if (mlock(a->region, a->region_bytes) != 0) {
            int e = errno;
            S3X_LOG_ERRORF(S_SUBSYSTEM, "arena pool: mlock of %zu bytes failed: %s (see RLIMIT_MEMLOCK)",
                a->region_bytes, strerror(e));
            return e == EPERM || e == ENOMEM ? S3X_ERR_PERMISSION : S3X_ERR_SYS;
        }
        a->locked = true;
    }
    S_POISON(a->region, a->region_bytes);
    return 0;
}

static int s_setup(struct s_arena *a, size_t page, const struct s3x_arena_pool_options *options) {
    a->tickets = s3x_mem_calloc(a->allocator, a->nslots, sizeof(*a->tickets));
    if (a->tickets == NULL ||
        s3x__object_cache_new(a->allocator, S_FUTURE_OBJECT_BYTES, S_MAX_FREE_FUTURES, &a->future_cache) != 0) {
        return S3X_ERR_OOM;
    }
    int rc = s_map_region(a, page, options);
    if (rc != 0) {
        return rc;
    }
    for (size_t i = a->nslots; i-- > 0;) { /* slot 0 on top */
        struct s_arena_ticket *t = &a->tickets[i];
        t->arena = a;
        t->buffer = a->region + i * a->slot_bytes;
        t->next = a->free;
        a->free = t;
    }
    a->free_count = a->nslots;
    return 0;
}

int s3x_arena_pool_new(struct s3x_allocator *allocator, const struct s3x_pool_config *config,
    const struct s3x_arena_pool_options *options, struct s3x_pool **out) {
    if (out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    *out = NULL;
    if (allocator == NULL || config == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    long page_l = sysconf(_SC_PAGESIZE);
    size_t page = page_l > 0 ? (size_t)page_l : 4096u;
    size_t part = config->part_size_bytes == 0 ? S_DEFAULT_PART_BYTES : config->part_size_bytes;
    size_t slot;
    if (s3x__add_overflows(part, page - 1, &slot) || config->memory_limit_bytes < (slot &= ~(page - 1))) {
        S3X_LOG_ERRORF(S_SUBSYSTEM, "arena pool: limit %zu is below one part of %zu bytes", config->memory_limit_bytes,
            part);
        return S3X_ERR_INVALID_ARGUMENT;
    }
    struct s_arena *a = s3x_mem_calloc(allocator, 1, sizeof(*a));
    if (a == NULL) {
        return S3X_ERR_OOM;
    }
    a->allocator = allocator;
    a->slot_bytes = slot;
    a->nslots = config->memory_limit_bytes / slot;
    a->limit = config->memory_limit_bytes;
    int rc = s_setup(a, page, options);
    if (rc != 0) {
        s_free_region(a);
        s3x_mem_release(allocator, a->tickets);
        s3x__object_cache_orphan(a->future_cache);
        s3x_mem_release(allocator, a);
        return rc;
    }
    pthread_mutex_init(&a->lock, NULL);
    (void)s3x_pool_init(&a->base, allocator, &s_vtable, a); /* complete vtable: cannot fail */
    s3x__waitq_init(&a->queue, &s_queue_owner, &a->base, &a->lock, allocator);
    S3X_LOG_DEBUGF(S_SUBSYSTEM, "arena pool %p: %zu slots of %zu bytes%s%s", (void *)a, a->nslots, slot,
        a->huge ? ", huge pages" : "", a->locked ? ", locked" : "");
    *out = &a->base;
    return 0;
}
