/* The default pool: a hard memory cap, part slots carved from blocks, FIFO waiters.
 *
 * Owns: every buffer byte it obtains from its allocator (blocks of part slots and allocations of
 * their own for other sizes), its ticket objects (recycled on a free list), its futures' memory
 * (an object cache that outlives the pool while futures are alive), and the wait queue.
 * The accounting identities are written above `struct s3x__default_pool` (pool_default.h), with a
 * worked example; s3x__default_pool_validate checks them (after every operation in debug builds).
 *
 * Sizing. slot = part size rounded up to the page. A reservation of more than half a slot and at
 * most a slot takes a slot (the waste is counted); any other size ("odd") gets its own
 * page-rounded allocation. A new block holds min(8, limit / slot / 4, slots that fit under the
 * limit) slots, at least one: at 8 MiB parts, a 1 GiB limit gets 64 MiB blocks, a 16 MiB limit
 * blocks of one.
 *
 * Odd cache. A released odd buffer is kept (with its ticket object) in a small LRU cache, still
 * counted in `allocated`, and reused by a later odd reservation it fits with at most a quarter
 * of waste (best fit). Without it every small object or short last part cost an allocation, its
 * first-touch page faults (the memory was new) and a free: 2,000 PUTs of 1 MiB paid 2,000
 * mmap/munmap pairs and 512,000 page faults. The cache holds at most S3X__MAX_CACHED_ODD buffers
 * and a quarter of the limit; idle cached memory (odd buffers first, then cached blocks) is freed
 * whenever a reservation needs its room, so the hard cap and "an empty pool fits anything up to
 * the limit" are unchanged.
 *
 * Locking. One mutex guards everything except `used`/`peak_used` (atomics, updated by claim) and
 * a ticket's `claimed` flag. Futures are completed only after unlocking, from a batch collected
 * under the lock. Memory is returned to the allocator outside the lock: the bytes stay counted in
 * `allocated` (as `releasing`) until the free has returned, so the cap holds at every instant.
 * Allocation happens under the lock (it is rare: growth only; page faults come later, at the
 * user's first touch, outside).
 *
 * Steady state (reserve -> claim -> release of a part from a cached block, or of an odd size the
 * odd cache holds): the future comes from the object cache, the ticket from the free list (or the
 * odd cache), the slot from a block's free mask: no system call, no allocation.
 */
#include "pool_default.h"

#include "../future/future_internal.h"
#include "object_cache.h"

#include <stdlib.h>
#include <unistd.h>

#if defined(S3XFER_ASAN)
#    include <sanitizer/asan_interface.h>
#    define S_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#    define S_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#    define S_POISON(p, n) ((void)(p), (void)(n))
#    define S_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#if defined(S3XFER_POOL_MALLOC_EACH)
#    define S_MALLOC_EACH true
#else
#    define S_MALLOC_EACH false
#endif

#define S_SUBSYSTEM "pool"
#define S_DEFAULT_PART_BYTES ((size_t)8 << 20)
/* Blocks of several parts mean fewer allocations; more than 8 gains nothing measurable. */
#define S_MAX_PARTS_PER_BLOCK 8u
/* A block is at most a quarter of the limit, so a half-used block never pins most of the budget. */
#define S_MIN_BLOCKS_PER_LIMIT 4u
/* Recycled objects kept: enough for the concurrency of a client, small enough not to matter. */
#define S_MAX_FREE_TICKETS 256u
#define S_FUTURE_OBJECT_BYTES 512u
#define S_MAX_FREE_FUTURES 256u

enum s_grant { S_GRANTED, S_WAIT, S_RELEASE, S_FAILED };

/* Memory to return to the allocator outside the lock (already counted in `releasing`): blocks,
 * and ticket objects carrying odd buffers (the objects go back to the free list afterwards). */
struct s_release {
    struct s3x__block *blocks;
    struct s3x__default_ticket *odds;
};

static bool s_release_empty(const struct s_release *rel) {
    return rel->blocks == NULL && rel->odds == NULL;
}

#if !defined(NDEBUG)
static void s_check_synced(struct s3x__default_pool *p) {
    if (s3x__default_pool_validate_synced(p) != 0) {
        abort(); /* a broken accounting identity is a bug in this file, never the caller's input */
    }
}
#    define S_CHECK_SYNCED(p) s_check_synced(p)
#else
#    define S_CHECK_SYNCED(p) ((void)(p))
#endif

bool s3x__pool_malloc_each(void) {
    return S_MALLOC_EACH;
}

/* --- sizes ---------------------------------------------------------------------------------- */

static bool s_uses_slot(const struct s3x__default_pool *p, size_t size) {
    return !S_MALLOC_EACH && size > p->slot_bytes / 2 && size <= p->slot_bytes;
}

static size_t s_odd_bytes(const struct s3x__default_pool *p, size_t size) {
    if (S_MALLOC_EACH) {
        return size; /* exact, so sanitizers see an overflow past the end */
    }
    size_t rounded;
    if (s3x__add_overflows(size, p->page_bytes - 1, &rounded)) {
        return SIZE_MAX;
    }
    return rounded & ~(p->page_bytes - 1);
}

static size_t s_need(const struct s3x__default_pool *p, size_t size) {
    return s_uses_slot(p, size) ? p->slot_bytes : s_odd_bytes(p, size);
}

static unsigned s_parts_per_block(size_t slot_bytes, size_t limit) {
    size_t n = limit / slot_bytes / S_MIN_BLOCKS_PER_LIMIT;
    return (unsigned)S3X_MAX(1u, S3X_MIN(n, (size_t)S_MAX_PARTS_PER_BLOCK));
}

static size_t s_room_synced(const struct s3x__default_pool *p) {
    return p->allocated < p->limit ? p->limit - p->allocated : 0;
}

static void s_add_allocated_synced(struct s3x__default_pool *p, size_t bytes) {
    p->allocated += bytes;
    p->peak_allocated = S3X_MAX(p->peak_allocated, p->allocated);
    p->system_allocations++;
}

/* --- blocks ------------------------------------------------------------------------------- */

static void s_block_unlink(struct s3x__block *b) {
    b->prev->next = b->next;
    b->next->prev = b->prev;
}

static void s_block_push_synced(struct s3x__default_pool *p, struct s3x__block *b, unsigned list) {
    struct s3x__block *s = &p->lists[list];
    b->list = list;
    b->prev = s;
    b->next = s->next;
    s->next->prev = b;
    s->next = b;
    if (list == S3X__BLOCK_CACHED) {
        p->cached_bytes += b->bytes;
    }
}

/* Moves `b` to the list its free count calls for. */
static void s_block_relist_synced(struct s3x__default_pool *p, struct s3x__block *b) {
    unsigned list = b->nfree == 0 ? S3X__BLOCK_FULL : b->nfree == b->nslots ? S3X__BLOCK_CACHED : S3X__BLOCK_PARTIAL;
    if (list == b->list) {
        return;
    }
    s_block_unlink(b);
    if (b->list == S3X__BLOCK_CACHED) {
        p->cached_bytes -= b->bytes;
    }
    s_block_push_synced(p, b, list);
}

static struct s3x__block *s_block_new_synced(struct s3x__default_pool *p, unsigned nslots) {
    size_t bytes = p->slot_bytes * nslots; /* nslots * slot fits under the limit: no overflow */
    struct s3x__block *b = s3x_mem_acquire(p->allocator, sizeof(*b));
    char *base = s3x_mem_acquire_aligned(p->allocator, p->page_bytes, bytes);
    if (b == NULL || base == NULL) {
        s3x_mem_release(p->allocator, b);
        s3x_mem_release(p->allocator, base);
        return NULL;
    }
    S_POISON(base, bytes);
    *b = (struct s3x__block){
        .base = base,
        .bytes = bytes,
        .free_mask = nslots == 64 ? UINT64_MAX : ((uint64_t)1 << nslots) - 1,
        .nslots = nslots,
        .nfree = nslots,
    };
    s_block_push_synced(p, b, S3X__BLOCK_CACHED);
    s_add_allocated_synced(p, bytes);
    p->block_bytes += bytes;
    p->free_slot_bytes += bytes;
    return b;
}

/* --- the odd cache ----------------------------------------------------------------------- */

static void s_odd_uncache_synced(struct s3x__default_pool *p, struct s3x__default_ticket *t) {
    t->prev->next = t->next;
    t->next->prev = t->prev;
    p->cached_odd_bytes -= t->alloc_bytes;
    p->cached_odd_count--;
}

/* `t` (on no list) and its odd buffer go to `rel`, to be freed outside the lock. */
static void s_odd_to_release_synced(struct s3x__default_pool *p, struct s3x__default_ticket *t, struct s_release *rel) {
    p->releasing += t->alloc_bytes;
    t->next = rel->odds;
    rel->odds = t;
}

/* Evicts the least recently cached odd buffers beyond the cache's bounds. */
static void s_odd_cache_bound_synced(struct s3x__default_pool *p, struct s_release *rel) {
    while (p->cached_odd_count > S3X__MAX_CACHED_ODD || p->cached_odd_bytes > p->odd_cache_max) {
        struct s3x__default_ticket *lru = p->odd_cache.prev;
        s_odd_uncache_synced(p, lru);
        s_odd_to_release_synced(p, lru, rel);
    }
}

/* Keeps the released odd buffer of `t` (on no list, uncounted from odd_bytes) for reuse, or sends
 * it to `rel` when it may not stay; evicts the least recently cached beyond the cache's bounds. */
static void s_odd_cache_put_synced(struct s3x__default_pool *p, struct s3x__default_ticket *t, struct s_release *rel) {
    if (S_MALLOC_EACH || t->alloc_bytes > p->odd_cache_max || p->allocated - p->releasing > p->limit) {
        s_odd_to_release_synced(p, t, rel);
        return;
    }
    S_POISON(t->buffer, t->alloc_bytes);
    struct s3x__default_ticket *s = &p->odd_cache;
    t->prev = s;
    t->next = s->next;
    s->next->prev = t;
    s->next = t;
    p->cached_odd_bytes += t->alloc_bytes;
    p->cached_odd_count++;
    s_odd_cache_bound_synced(p, rel);
}

/* The cached buffer that fits `need` (page-rounded) best with at most need / 4 of waste, or NULL. */
static struct s3x__default_ticket *s_odd_cache_find_synced(struct s3x__default_pool *p, size_t need) {
    struct s3x__default_ticket *best = NULL;
    size_t most = need + need / 4;
    for (struct s3x__default_ticket *t = p->odd_cache.next; t != &p->odd_cache; t = t->next) {
        if (t->alloc_bytes >= need && t->alloc_bytes <= most && (best == NULL || t->alloc_bytes < best->alloc_bytes)) {
            best = t;
            if (t->alloc_bytes == need) {
                break;
            }
        }
    }
    return best;
}

/* Moves idle cached memory to `rel` until `bytes` are covered or none is left: odd buffers first
 * (least recently cached first; they are the least likely to be reused), then cached blocks
 * (least recently cached first). Returns the bytes moved. */
static size_t s_take_cached_synced(struct s3x__default_pool *p, size_t bytes, struct s_release *rel) {
    size_t taken = 0;
    while (taken < bytes && p->odd_cache.prev != &p->odd_cache) {
        struct s3x__default_ticket *t = p->odd_cache.prev;
        s_odd_uncache_synced(p, t);
        s_odd_to_release_synced(p, t, rel);
        taken += t->alloc_bytes;
    }
    struct s3x__block *s = &p->lists[S3X__BLOCK_CACHED];
    while (taken < bytes && s->prev != s) {
        struct s3x__block *b = s->prev;
        s_block_unlink(b);
        p->cached_bytes -= b->bytes;
        p->block_bytes -= b->bytes;
        p->free_slot_bytes -= b->bytes;
        p->releasing += b->bytes;
        taken += b->bytes;
        b->next = rel->blocks;
        rel->blocks = b;
    }
    return taken;
}

/* Above a lowered limit, cached memory goes back as soon as it is free. */
static void s_collect_excess_synced(struct s3x__default_pool *p, struct s_release *rel) {
    size_t staying = p->allocated - p->releasing;
    if (staying > p->limit) {
        s_take_cached_synced(p, staying - p->limit, rel);
    }
}

/* Room for `need` more bytes: S_GRANTED (it fits now), S_RELEASE (idle cached memory moved to
 * `rel`: free it and try again) or S_WAIT (memory in use, or already on its way back). */
static int s_make_room_synced(struct s3x__default_pool *p, size_t need, struct s_release *rel) {
    size_t room = s_room_synced(p);
    if (need <= room) {
        return S_GRANTED;
    }
    size_t shortfall = need - room;
    if (p->releasing >= shortfall || p->cached_bytes + p->cached_odd_bytes < shortfall - p->releasing) {
        return S_WAIT;
    }
    s_take_cached_synced(p, shortfall - p->releasing, rel);
    return S_RELEASE;
}

static void s_ticket_put_synced(struct s3x__default_pool *p, struct s3x__default_ticket *t);

/* Frees `rel` (no lock held), then uncounts it. Returns whether reservations are waiting. */
static bool s_release_memory(struct s3x__default_pool *p, struct s_release *rel) {
    size_t bytes = 0;
    uint64_t frees = 0;
    for (struct s3x__block *b = rel->blocks; b != NULL;) {
        struct s3x__block *next = b->next;
        S_UNPOISON(b->base, b->bytes);
        s3x_mem_release(p->allocator, b->base);
        bytes += b->bytes;
        frees++;
        s3x_mem_release(p->allocator, b);
        b = next;
    }
    for (struct s3x__default_ticket *t = rel->odds; t != NULL; t = t->next) {
        S_UNPOISON(t->buffer, t->alloc_bytes);
        s3x_mem_release(p->allocator, t->buffer);
        bytes += t->alloc_bytes;
        frees++;
    }
    pthread_mutex_lock(&p->lock);
    for (struct s3x__default_ticket *t = rel->odds; t != NULL;) {
        struct s3x__default_ticket *next = t->next;
        t->buffer = NULL;
        s_ticket_put_synced(p, t);
        t = next;
    }
    p->releasing -= bytes;
    p->allocated -= bytes;
    p->system_frees += frees;
    if (p->allocated <= p->limit) {
        p->ceiling = 0;
    }
    bool waiters = p->queue.count != 0;
    S_CHECK_SYNCED(p);
    pthread_mutex_unlock(&p->lock);
    return waiters;
}

/* --- tickets ------------------------------------------------------------------------------ */

static int s_ticket_claim(struct s3x_ticket *base, void **out_buffer);
static void s_ticket_destroy(struct s3x_ticket *base);
static const struct s3x_ticket_vtable s_ticket_vtable = {.claim = s_ticket_claim, .destroy = s_ticket_destroy};

static struct s3x__default_ticket *s_ticket_get_synced(struct s3x__default_pool *p) {
    struct s3x__default_ticket *t = p->free_tickets;
    if (t != NULL) {
        p->free_tickets = t->next;
        p->free_ticket_count--;
        return t;
    }
    return s3x_mem_acquire(p->allocator, sizeof(*t));
}

static void s_ticket_put_synced(struct s3x__default_pool *p, struct s3x__default_ticket *t) {
    if (p->free_ticket_count < S_MAX_FREE_TICKETS) {
        t->next = p->free_tickets;
        p->free_tickets = t;
        p->free_ticket_count++;
    } else {
        s3x_mem_release(p->allocator, t);
    }
}

/* Makes `t` (buffer, block, slot and alloc_bytes set) a live ticket of `size` bytes. */
static void s_ticket_grant_synced(struct s3x__default_pool *p, struct s3x__default_ticket *t, size_t size) {
    /* Cannot fail: the vtable is complete and size > 0. */
    (void)s3x_ticket_init(&t->base, &p->base, &s_ticket_vtable, t, size);
    t->pool = p;
    __atomic_store_n(&t->claimed, 0, __ATOMIC_RELAXED);
    t->next = p->live.next;
    t->prev = &p->live;
    p->live.next->prev = t;
    p->live.next = t;
    p->live_tickets++;
    p->reserved += size;
    p->peak_reserved = S3X_MAX(p->peak_reserved, p->reserved);
    p->waste += t->alloc_bytes - size;
    p->granted_count++;
}

static int s_grant_slot_synced(struct s3x__default_pool *p, size_t size, struct s3x__default_ticket **out,
    struct s_release *rel) {
    struct s3x__block *b = p->lists[S3X__BLOCK_PARTIAL].next;
    if (b == &p->lists[S3X__BLOCK_PARTIAL]) {
        b = p->lists[S3X__BLOCK_CACHED].next;
    }
    bool need_block = b == &p->lists[S3X__BLOCK_CACHED];
    if (need_block) {
        int g = s_make_room_synced(p, p->slot_bytes, rel); /* no cached block: only odd buffers can go */
        if (g != S_GRANTED) {
            return g;
        }
    }
    size_t fit = s_room_synced(p) / p->slot_bytes;
    struct s3x__default_ticket *t = s_ticket_get_synced(p);
    if (t == NULL) {
        return S_FAILED;
    }
    if (need_block && (b = s_block_new_synced(p, (unsigned)S3X_MIN(fit, (size_t)p->parts_per_block))) == NULL) {
        s_ticket_put_synced(p, t);
        return S_FAILED;
    }
    unsigned slot = (unsigned)__builtin_ctzll(b->free_mask);
    b->free_mask &= ~((uint64_t)1 << slot);
    b->nfree--;
    p->free_slot_bytes -= p->slot_bytes;
    s_block_relist_synced(p, b);
    t->block = b;
    t->slot = slot;
    t->buffer = b->base + (size_t)slot * p->slot_bytes;
    t->alloc_bytes = p->slot_bytes;
    s_ticket_grant_synced(p, t, size);
    *out = t;
    return S_GRANTED;
}

static int s_grant_odd_synced(struct s3x__default_pool *p, size_t size, struct s3x__default_ticket **out,
    struct s_release *rel) {
    size_t need = s_odd_bytes(p, size);
    struct s3x__default_ticket *t = S_MALLOC_EACH ? NULL : s_odd_cache_find_synced(p, need);
    if (t != NULL) {
        s_odd_uncache_synced(p, t); /* block NULL, buffer and alloc_bytes kept */
        p->odd_bytes += t->alloc_bytes;
        s_ticket_grant_synced(p, t, size);
        *out = t;
        return S_GRANTED;
    }
    int g = s_make_room_synced(p, need, rel);
    if (g != S_GRANTED) {
        return g;
    }
    t = s_ticket_get_synced(p);
    char *buffer = t == NULL ? NULL : s3x_mem_acquire_aligned(p->allocator, p->page_bytes, need);
    if (buffer == NULL) {
        if (t != NULL) {
            s_ticket_put_synced(p, t);
        }
        return S_FAILED;
    }
    S_POISON(buffer, need);
    s_add_allocated_synced(p, need);
    p->odd_bytes += need;
    t->block = NULL;
    t->slot = 0;
    t->buffer = buffer;
    t->alloc_bytes = need;
    s_ticket_grant_synced(p, t, size);
    *out = t;
    return S_GRANTED;
}

/* Grants `size` now if the memory is there: S_GRANTED (*out set); S_RELEASE (cached memory moved
 * to *rel: free it and retry); S_WAIT; S_FAILED (out of memory). */
static int s_try_grant_synced(struct s3x__default_pool *p, size_t size, struct s3x__default_ticket **out,
    struct s_release *rel) {
    return s_uses_slot(p, size) ? s_grant_slot_synced(p, size, out, rel) : s_grant_odd_synced(p, size, out, rel);
}

static int s_ticket_claim(struct s3x_ticket *base, void **out_buffer) {
    struct s3x__default_ticket *t = base->impl;
    S_UNPOISON(t->buffer, base->size); /* every call: idempotent, and a concurrent claimer is covered */
    if (__atomic_load_n(&t->claimed, __ATOMIC_ACQUIRE) == 0) {
        int expected = 0;
        if (__atomic_compare_exchange_n(&t->claimed, &expected, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            struct s3x__default_pool *p = t->pool;
            size_t used = __atomic_add_fetch(&p->used, base->size, __ATOMIC_RELAXED);
            size_t peak = __atomic_load_n(&p->peak_used, __ATOMIC_RELAXED);
            while (used > peak &&
                   !__atomic_compare_exchange_n(&p->peak_used, &peak, used, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
            }
        }
    }
    *out_buffer = t->buffer;
    return 0;
}

static void s_pump(struct s3x__default_pool *p);

static void s_ticket_destroy(struct s3x_ticket *base) {
    struct s3x__default_ticket *t = base->impl;
    struct s3x__default_pool *p = t->pool;
    size_t size = base->size;
    struct s_release rel = {.blocks = NULL, .odds = NULL};
    if (__atomic_load_n(&t->claimed, __ATOMIC_ACQUIRE) != 0) {
        __atomic_fetch_sub(&p->used, size, __ATOMIC_RELAXED); /* before `reserved`: used <= reserved */
    }
    pthread_mutex_lock(&p->lock);
    t->prev->next = t->next;
    t->next->prev = t->prev;
    p->live_tickets--;
    p->reserved -= size;
    p->waste -= t->alloc_bytes - size;
    struct s3x__block *b = t->block;
    if (b != NULL) {
        S_POISON(t->buffer, p->slot_bytes);
        b->free_mask |= (uint64_t)1 << t->slot;
        b->nfree++;
        p->free_slot_bytes += p->slot_bytes;
        s_block_relist_synced(p, b);
        s_ticket_put_synced(p, t);
    } else {
        p->odd_bytes -= t->alloc_bytes;
        s_odd_cache_put_synced(p, t, &rel);
    }
    s_collect_excess_synced(p, &rel);
    bool waiters = p->queue.count != 0;
    S_CHECK_SYNCED(p);
    pthread_mutex_unlock(&p->lock);
    if (!s_release_empty(&rel)) {
        waiters = s_release_memory(p, &rel);
    }
    if (waiters) {
        s_pump(p);
    }
}

/* --- waiters -------------------------------------------------------------------------------- */

/* Serves the queue in order while the head can be granted (no barging: the first head that has to
 * wait stops the loop, whatever its class). Fills `batch`; may move cached memory to `rel`. */
static void s_collect_synced(struct s3x__default_pool *p, struct s3x__batch *batch, struct s_release *rel) {
    struct s3x__waiter *w;
    while (batch->count < S3X__WAITQ_BATCH && s_release_empty(rel) && (w = s3x__waitq_head_synced(&p->queue)) != NULL) {
        size_t size = w->size;
        struct s3x__default_ticket *t = NULL;
        int g = s_need(p, size) > p->limit ? S_FAILED : s_try_grant_synced(p, size, &t, rel);
        if (g == S_WAIT || g == S_RELEASE) {
            break;
        }
        struct s3x_future *f = s3x__waitq_pop_synced(&p->queue, w);
        if (g == S_GRANTED) {
            s3x__batch_add(batch, f, &t->base, 0);
        } else {
            p->failed_count++;
            s3x__batch_add(batch, f, NULL, s_need(p, size) > p->limit ? S3X_ERR_BUFFER_TOO_LARGE : S3X_ERR_OOM);
        }
    }
}

/* Grants waiters until none can be; completes them outside the lock. No lock held. */
static void s_pump(struct s3x__default_pool *p) {
    for (;;) {
        struct s3x__batch batch = {.count = 0};
        struct s_release rel = {.blocks = NULL, .odds = NULL};
        pthread_mutex_lock(&p->lock);
        if (p->queue.shut) {
            pthread_mutex_unlock(&p->lock);
            return;
        }
        s_collect_synced(p, &batch, &rel);
        s_collect_excess_synced(p, &rel);
        S_CHECK_SYNCED(p);
        pthread_mutex_unlock(&p->lock);
        bool more = batch.count == S3X__WAITQ_BATCH;
        if (!s_release_empty(&rel)) {
            more = s_release_memory(p, &rel) || more;
        }
        s3x__batch_run(&batch);
        if (!more) {
            return;
        }
    }
}

static void s_queue_pump(struct s3x__waitq *queue) {
    s_pump(S3X_CONTAINER_OF(queue, struct s3x__default_pool, queue));
}

static void s_queue_finalize(struct s3x__waitq *queue) {
    struct s3x__default_pool *p = S3X_CONTAINER_OF(queue, struct s3x__default_pool, queue);
    s3x__object_cache_orphan(p->future_cache);
    pthread_mutex_destroy(&p->lock);
    s3x_mem_release(p->allocator, p);
}

static const struct s3x__waitq_owner s_queue_owner = {.pump = s_queue_pump, .finalize = s_queue_finalize};

/* --- pool operations ---------------------------------------------------------------------- */

/* One attempt: 0 (granted into *out, or queued), an error, or 0 with *rel filled (free that
 * memory and try again). */
static int s_reserve_synced(struct s3x__default_pool *p, const struct s3x_pool_reserve_options *options,
    struct s3x_future *f, struct s3x__default_ticket **out, struct s_release *rel) {
    size_t size = options->size_bytes;
    int error = 0;
    if (s_need(p, size) > p->limit) {
        error = S3X_ERR_BUFFER_TOO_LARGE;
    } else if (!s3x__waitq_blocks_synced(&p->queue, options->priority)) {
        int g = s_try_grant_synced(p, size, out, rel);
        if (g == S_GRANTED || g == S_RELEASE) {
            return 0;
        }
        error = g == S_FAILED ? S3X_ERR_OOM : 0;
    }
    if (error == 0) {
        error = options->no_wait ? S3X_ERR_POOL_EXHAUSTED : s3x__waitq_push_synced(&p->queue, f, options);
    }
    if (error != 0) {
        p->failed_count++;
    }
    return error;
}

static struct s3x_future *s_reserve(struct s3x_pool *base, const struct s3x_pool_reserve_options *options) {
    struct s3x__default_pool *p = base->impl;
    struct s3x_future *f = NULL;
    if (s3x_future_new(p->future_cache, &f) != 0) {
        return s3x__future_static_error(S3X_ERR_OOM);
    }
    struct s3x__default_ticket *t = NULL;
    bool waiters = false;
    pthread_mutex_lock(&p->lock);
    int error;
    for (;;) {
        struct s_release rel = {.blocks = NULL, .odds = NULL};
        error = s_reserve_synced(p, options, f, &t, &rel);
        if (s_release_empty(&rel)) {
            break;
        }
        pthread_mutex_unlock(&p->lock);
        waiters = s_release_memory(p, &rel) || waiters;
        pthread_mutex_lock(&p->lock);
    }
    S_CHECK_SYNCED(p);
    pthread_mutex_unlock(&p->lock);
    if (t != NULL) {
        /* The future is still ours alone: completing it cannot lose and needs no lock. */
        s3x__future_complete_unshared(f, &t->base, s3x__ticket_release_dtor);
    } else if (error != 0) {
        s3x_future_complete_error(f, error);
    }
    if (waiters) {
        s_pump(p); /* room we freed may serve others too */
    }
    return f;
}

static void s_free_tickets_synced(struct s3x__default_pool *p) {
    while (p->free_tickets != NULL) {
        struct s3x__default_ticket *t = p->free_tickets;
        p->free_tickets = t->next;
        s3x_mem_release(p->allocator, t);
    }
    p->free_ticket_count = 0;
}

static size_t s_trim(struct s3x_pool *base) {
    struct s3x__default_pool *p = base->impl;
    struct s_release rel = {.blocks = NULL, .odds = NULL};
    pthread_mutex_lock(&p->lock);
    size_t bytes = s_take_cached_synced(p, SIZE_MAX, &rel);
    pthread_mutex_unlock(&p->lock);
    bool waiters = !s_release_empty(&rel) && s_release_memory(p, &rel); /* odd tickets: to the free list */
    pthread_mutex_lock(&p->lock);
    s_free_tickets_synced(p);
    s3x__waitq_trim_synced(&p->queue);
    pthread_mutex_unlock(&p->lock);
    s3x__object_cache_trim(p->future_cache);
    if (waiters) {
        s_pump(p);
    }
    return bytes;
}

/* Pops waiters that can no longer fit under the limit into `batch`. Returns whether it filled. */
static bool s_fail_too_large_synced(struct s3x__default_pool *p, struct s3x__batch *batch) {
    struct s3x__waiter *w = s3x__waitq_head_synced(&p->queue);
    while (w != NULL && batch->count < S3X__WAITQ_BATCH) {
        struct s3x__waiter *next = s3x__waitq_next_synced(&p->queue, w);
        if (s_need(p, w->size) > p->limit) {
            p->failed_count++;
            s3x__batch_add(batch, s3x__waitq_pop_synced(&p->queue, w), NULL, S3X_ERR_BUFFER_TOO_LARGE);
        }
        w = next;
    }
    return batch->count == S3X__WAITQ_BATCH;
}

static int s_set_memory_limit(struct s3x_pool *base, size_t limit) {
    struct s3x__default_pool *p = base->impl;
    if (limit < p->slot_bytes) {
        return S3X_ERR_INVALID_ARGUMENT; /* at least one part */
    }
    bool more = true;
    bool first = true;
    while (more) {
        struct s3x__batch batch = {.count = 0};
        struct s_release rel = {.blocks = NULL, .odds = NULL};
        pthread_mutex_lock(&p->lock);
        if (first) {
            p->limit = limit;
            p->parts_per_block = s_parts_per_block(p->slot_bytes, limit);
            p->odd_cache_max = limit / S_MIN_BLOCKS_PER_LIMIT;
            s_odd_cache_bound_synced(p, &rel);
            p->ceiling = p->allocated > limit ? p->allocated : 0;
            first = false;
        }
        s_collect_excess_synced(p, &rel);
        more = s_fail_too_large_synced(p, &batch);
        S_CHECK_SYNCED(p);
        pthread_mutex_unlock(&p->lock);
        if (!s_release_empty(&rel)) {
            s_release_memory(p, &rel);
        }
        s3x__batch_run(&batch);
    }
    s_pump(p); /* a higher limit, or room just freed, may serve waiters */
    return 0;
}

static void s_destroy(struct s3x_pool *base) {
    struct s3x__default_pool *p = base->impl;
    s3x__waitq_shutdown(&p->queue);
    struct s_release rel = {.blocks = NULL, .odds = NULL};
    pthread_mutex_lock(&p->lock);
    if (p->live_tickets != 0) {
        /* Cannot happen: every live ticket holds a reference on the pool. */
        S3X_LOG_ERRORF(S_SUBSYSTEM, "default pool %p destroyed with %zu live tickets", (void *)p, p->live_tickets);
    }
    s_take_cached_synced(p, SIZE_MAX, &rel); /* no ticket is live: every block and odd buffer is cached */
    pthread_mutex_unlock(&p->lock);
    s_release_memory(p, &rel); /* odd buffers' ticket objects go to the free list ... */
    pthread_mutex_lock(&p->lock);
    s_free_tickets_synced(p); /* ... and are freed with it */
    pthread_mutex_unlock(&p->lock);
    s3x__waitq_owner_release(&p->queue); /* p may be freed from here on */
}

const struct s3x_pool_vtable s3x__default_pool_vtable = {
    .reserve = s_reserve,
    .destroy = s_destroy,
    .trim = s_trim,
    .stats = s3x__default_pool_stats,
    .set_memory_limit = s_set_memory_limit,
};

/* --- construction ------------------------------------------------------------------------- */

static int s_check_config(const struct s3x_pool_config *config, size_t page, size_t *slot_bytes) {
    size_t part = config->part_size_bytes == 0 ? S_DEFAULT_PART_BYTES : config->part_size_bytes;
    size_t rounded;
    if (s3x__add_overflows(part, page - 1, &rounded)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    *slot_bytes = rounded & ~(page - 1);
    if (config->memory_limit_bytes < *slot_bytes) {
        S3X_LOG_ERRORF(S_SUBSYSTEM, "memory limit %zu is below one part (%zu bytes rounded to the page)",
            config->memory_limit_bytes, *slot_bytes);
        return S3X_ERR_INVALID_ARGUMENT;
    }
    return 0;
}

int s3x_default_pool_new(struct s3x_allocator *allocator, const struct s3x_pool_config *config,
    struct s3x_pool **out) {
    if (out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    *out = NULL;
    if (allocator == NULL || config == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    long page = sysconf(_SC_PAGESIZE);
    size_t page_bytes = page > 0 ? (size_t)page : 4096u;
    size_t slot_bytes = 0;
    int rc = s_check_config(config, page_bytes, &slot_bytes);
    if (rc != 0) {
        return rc;
    }
    struct s3x__default_pool *p = s3x_mem_calloc(allocator, 1, sizeof(*p));
    if (p == NULL) {
        return S3X_ERR_OOM;
    }
    if (s3x__object_cache_new(allocator, S_FUTURE_OBJECT_BYTES, S_MAX_FREE_FUTURES, &p->future_cache) != 0) {
        s3x_mem_release(allocator, p);
        return S3X_ERR_OOM;
    }
    p->allocator = allocator;
    p->page_bytes = page_bytes;
    p->slot_bytes = slot_bytes;
    p->limit = config->memory_limit_bytes;
    p->parts_per_block = s_parts_per_block(slot_bytes, p->limit);
    p->odd_cache_max = p->limit / S_MIN_BLOCKS_PER_LIMIT;
    for (unsigned i = 0; i < S3X__BLOCK_LISTS; ++i) {
        p->lists[i].next = &p->lists[i];
        p->lists[i].prev = &p->lists[i];
    }
    p->live.next = &p->live;
    p->live.prev = &p->live;
    p->odd_cache.next = &p->odd_cache;
    p->odd_cache.prev = &p->odd_cache;
    pthread_mutex_init(&p->lock, NULL);
    (void)s3x_pool_init(&p->base, allocator, &s3x__default_pool_vtable, p); /* complete vtable: cannot fail */
    s3x__waitq_init(&p->queue, &s_queue_owner, &p->base, &p->lock, allocator);
    S3X_LOG_DEBUGF(S_SUBSYSTEM, "default pool %p: limit %zu, slot %zu, %u parts per block%s", (void *)p, p->limit,
        slot_bytes, p->parts_per_block, S_MALLOC_EACH ? ", one allocation per buffer" : "");
    *out = &p->base;
    return 0;
}
