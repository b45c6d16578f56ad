/* The default pool's statistics and its accounting validator.
 *
 * The validator recomputes every sum of the identities written above `struct s3x__default_pool`
 * (pool_default.h) by walking the block lists, the live tickets and the wait queue, and compares.
 * It runs after every operation in debug builds (pool_default.c, S_CHECK_SYNCED) and tests call it
 * through s3x__default_pool_validate after every step of their randomized runs. Example of what it
 * catches: a release path that forgot `p->waste -= alloc - size` makes (A5) fail by exactly that
 * waste at the next check.
 */
#include "pool_default.h"

#define S_SUBSYSTEM "pool"

#define S_EXPECT(cond, ...)                                                                        \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            S3X_LOG_ERRORF(S_SUBSYSTEM, __VA_ARGS__);                                              \
            return S3X_ERR_INVALID_STATE;                                                          \
        }                                                                                          \
    } while (0)

struct s_sums {
    size_t block_bytes;
    size_t slots;
    size_t free_slots;
    size_t cached_bytes;
    size_t reserved;
    size_t waste;
    size_t odd_bytes;
    size_t tickets;
    size_t cached_odd_bytes;
    size_t cached_odd_count;
};

static int s_check_blocks(const struct s3x__default_pool *p, struct s_sums *sums) {
    for (unsigned list = 0; list < S3X__BLOCK_LISTS; ++list) {
        const struct s3x__block *s = &p->lists[list];
        for (const struct s3x__block *b = s->next; b != s; b = b->next) {
            unsigned expected = b->nfree == 0            ? S3X__BLOCK_FULL
                                : b->nfree == b->nslots ? S3X__BLOCK_CACHED
                                                        : S3X__BLOCK_PARTIAL;
            S_EXPECT(b->list == list && list == expected, "block %p on list %u, expected %u (nfree %u of %u)",
                (const void *)b, list, expected, b->nfree, b->nslots);
            S_EXPECT((unsigned)__builtin_popcountll(b->free_mask) == b->nfree, "block %p: mask and nfree disagree",
                (const void *)b);
            S_EXPECT(b->bytes == (size_t)b->nslots * p->slot_bytes, "block %p: bytes != nslots * slot",
                (const void *)b);
            sums->block_bytes += b->bytes;
            sums->slots += b->nslots;
            sums->free_slots += b->nfree;
            if (list == S3X__BLOCK_CACHED) {
                sums->cached_bytes += b->bytes;
            }
        }
    }
    return 0;
}

static int s_check_tickets(const struct s3x__default_pool *p, struct s_sums *sums) {
    for (const struct s3x__default_ticket *t = p->live.next; t != &p->live; t = t->next) {
        S_EXPECT(t->alloc_bytes >= t->base.size, "ticket %p: size %zu exceeds its memory %zu", (const void *)t,
            t->base.size, t->alloc_bytes);
        if (t->block != NULL) {
            S_EXPECT((t->block->free_mask & ((uint64_t)1 << t->slot)) == 0, "ticket %p: its slot is marked free",
                (const void *)t);
        } else {
            sums->odd_bytes += t->alloc_bytes;
        }
        sums->reserved += t->base.size;
        sums->waste += t->alloc_bytes - t->base.size;
        sums->tickets++;
    }
    return 0;
}

static int s_check_odd_cache(const struct s3x__default_pool *p, struct s_sums *sums) {
    for (const struct s3x__default_ticket *t = p->odd_cache.next; t != &p->odd_cache; t = t->next) {
        S_EXPECT(t->block == NULL && t->buffer != NULL && t->alloc_bytes > 0 && t->next->prev == t,
            "odd cache entry %p: not a linked odd buffer", (const void *)t);
        sums->cached_odd_bytes += t->alloc_bytes;
        sums->cached_odd_count++;
    }
    return 0;
}

static int s_check_queue(const struct s3x__waitq *q) {
    size_t count = 0;
    size_t bytes = 0;
    for (unsigned k = 0; k < S3X__WAITQ_CLASSES; ++k) {
        size_t n = 0;
        for (const struct s3x__waiter *w = q->classes[k].next; w != &q->classes[k]; w = w->next) {
            S_EXPECT(w->queued && w->klass == k, "waiter %p: flags disagree with its list", (const void *)w);
            bytes += w->size;
            ++n;
        }
        S_EXPECT(n == q->class_count[k], "wait class %u: %zu queued, count says %zu", k, n, q->class_count[k]);
        count += n;
    }
    S_EXPECT(count == q->count && bytes == q->bytes, "wait queue: %zu waiters / %zu bytes, counters %zu / %zu", count,
        bytes, q->count, q->bytes);
    S_EXPECT(q->records >= q->count, "wait queue: %zu records for %zu waiters", q->records, q->count);
    return 0;
}

int s3x__default_pool_validate_synced(struct s3x__default_pool *p) {
    struct s_sums s = {0};
    int rc = s_check_blocks(p, &s);
    if (rc == 0) {
        rc = s_check_tickets(p, &s);
    }
    if (rc == 0) {
        rc = s_check_odd_cache(p, &s);
    }
    if (rc == 0) {
        rc = s_check_queue(&p->queue);
    }
    if (rc != 0) {
        return rc;
    }
    S_EXPECT(p->allocated == p->block_bytes + p->odd_bytes + p->cached_odd_bytes + p->releasing,
        "(A1) allocated %zu != blocks %zu + odd %zu + cached odd %zu + releasing %zu", p->allocated, p->block_bytes,
        p->odd_bytes, p->cached_odd_bytes, p->releasing);
    S_EXPECT(p->block_bytes == s.block_bytes && s.block_bytes == s.slots * p->slot_bytes,
        "(A2) block bytes %zu, walked %zu", p->block_bytes, s.block_bytes);
    S_EXPECT(p->free_slot_bytes == s.free_slots * p->slot_bytes, "(A3) free slot bytes %zu, walked %zu",
        p->free_slot_bytes, s.free_slots * p->slot_bytes);
    S_EXPECT(p->cached_bytes == s.cached_bytes, "(A3) cached bytes %zu, walked %zu", p->cached_bytes, s.cached_bytes);
    S_EXPECT(p->reserved == s.reserved && p->live_tickets == s.tickets,
        "(A4) reserved %zu in %zu tickets, walked %zu in %zu", p->reserved, p->live_tickets, s.reserved, s.tickets);
    S_EXPECT(p->waste == s.waste && p->odd_bytes == s.odd_bytes, "(A4) waste %zu / odd %zu, walked %zu / %zu", p->waste,
        p->odd_bytes, s.waste, s.odd_bytes);
    S_EXPECT(p->cached_odd_bytes == s.cached_odd_bytes && p->cached_odd_count == s.cached_odd_count &&
                 s.cached_odd_count <= S3X__MAX_CACHED_ODD && s.cached_odd_bytes <= p->odd_cache_max,
        "(A4) odd cache %zu bytes in %zu buffers, walked %zu in %zu (at most %u buffers, %zu bytes)",
        p->cached_odd_bytes, p->cached_odd_count, s.cached_odd_bytes, s.cached_odd_count, S3X__MAX_CACHED_ODD,
        p->odd_cache_max);
    S_EXPECT(p->allocated == p->reserved + p->waste + p->free_slot_bytes + p->cached_odd_bytes + p->releasing,
        "(A5) allocated %zu != reserved %zu + waste %zu + free slots %zu + cached odd %zu + releasing %zu",
        p->allocated, p->reserved, p->waste, p->free_slot_bytes, p->cached_odd_bytes, p->releasing);
    S_EXPECT(p->allocated <= p->limit || p->allocated <= p->ceiling, "(A6) allocated %zu above limit %zu (ceiling %zu)",
        p->allocated, p->limit, p->ceiling);
    size_t used = __atomic_load_n(&p->used, __ATOMIC_RELAXED);
    S_EXPECT(used <= p->reserved, "(A7) used %zu > reserved %zu", used, p->reserved);
    S_EXPECT(p->peak_allocated >= p->allocated && p->peak_reserved >= p->reserved, "(A7) a peak is below its current");
    return 0;
}

int s3x__default_pool_validate(struct s3x_pool *pool) {
    if (pool == NULL || pool->vtable != &s3x__default_pool_vtable) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    struct s3x__default_pool *p = pool->impl;
    pthread_mutex_lock(&p->lock);
    int rc = s3x__default_pool_validate_synced(p);
    pthread_mutex_unlock(&p->lock);
    return rc;
}

void s3x__default_pool_stats(struct s3x_pool *pool, struct s3x_pool_stats *out) {
    struct s3x__default_pool *p = pool->impl;
    pthread_mutex_lock(&p->lock);
    out->memory_limit_bytes = p->limit;
    out->allocated_bytes = p->allocated;
    out->peak_allocated_bytes = p->peak_allocated;
    out->reserved_bytes = p->reserved;
    out->peak_reserved_bytes = p->peak_reserved;
    out->cached_bytes = p->cached_bytes + p->cached_odd_bytes;
    out->live_tickets = p->live_tickets;
    out->pending_count = p->queue.count;
    out->pending_bytes = p->queue.bytes;
    out->granted_count = p->granted_count;
    out->waited_count = p->queue.popped_count;
    out->wait_ns_total = p->queue.wait_ns_total;
    out->failed_count = p->failed_count;
    out->cancelled_count = p->queue.cancelled_count;
    out->system_allocations = p->system_allocations;
    out->system_frees = p->system_frees;
    pthread_mutex_unlock(&p->lock);
    out->used_bytes = __atomic_load_n(&p->used, __ATOMIC_RELAXED);
    out->peak_used_bytes = __atomic_load_n(&p->peak_used, __ATOMIC_RELAXED);
    out->flags = 0;
}
