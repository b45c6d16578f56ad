/* A fixed-size object cache presented as an allocator: the pools give it to s3x_future_new, so the
 * futures of reservations are recycled and steady state allocates nothing.
 *
 * Layout: every object carries a 16-byte header before the memory handed out, recording whether it
 * is a cache-sized object (recycled on release) or a pass-through (released to the backing
 * allocator). Free cache-sized objects form an intrusive LIFO list through their first word.
 *
 * Lifetime invariant (synced: under `lock`):
 *   alive  <=>  !orphaned || outstanding > 0
 *   outstanding = objects acquired and not yet released (cached-size and pass-through)
 *   free_count = length of the free list <= max_cached
 * The thread that makes `alive` false (the owner orphaning it with nothing outstanding, or the
 * release of the last outstanding object after orphaning) frees the cache. Example: a pool makes a
 * cache, 3 futures are out when the pool is destroyed (orphan: outstanding 3, alive); the
 * application releases them: 2, 1, 0 -> the third release frees the free list and the cache.
 */
#include "object_cache.h"

#include <pthread.h>

#define S_HEADER_BYTES 16u
#define S_KIND_CACHED 1u
#define S_KIND_PASSTHROUGH 2u

struct s_header {
    size_t kind;
    size_t pad_;
};
_Static_assert(sizeof(struct s_header) == S_HEADER_BYTES, "header keeps objects 16-byte aligned");

struct s_free {
    struct s_free *next;
};

struct s_cache {
    struct s3x_allocator base;
    struct s3x_allocator *backing; /* immutable */
    size_t object_size;            /* immutable, includes the header */
    size_t max_cached;             /* immutable */
    pthread_spinlock_t lock; /* a handful of instructions inside: a spinlock costs one atomic, a mutex two */
    /* synced */
    struct s_free *free_list;
    size_t free_count;
    size_t outstanding;
    bool orphaned;
};

static void s_destroy(struct s_cache *c) {
    /* orphaned: the free list was emptied then, and nothing was recycled since */
    pthread_spin_destroy(&c->lock);
    s3x_mem_release(c->backing, c);
}

static void *s_acquire(struct s3x_allocator *allocator, size_t size, size_t alignment) {
    struct s_cache *c = allocator->impl;
    bool cached_size = size + S_HEADER_BYTES <= c->object_size && alignment <= S_HEADER_BYTES;
    struct s_header *h = NULL;
    pthread_spin_lock(&c->lock);
    if (cached_size && c->free_list != NULL) {
        struct s_free *f = c->free_list;
        c->free_list = f->next;
        c->free_count--;
        h = (struct s_header *)(void *)((char *)f - S_HEADER_BYTES);
    }
    c->outstanding++; /* counted before unlocking: the cache cannot go away under us */
    pthread_spin_unlock(&c->lock);
    if (h == NULL) {
        size_t bytes = cached_size ? c->object_size : size + S_HEADER_BYTES;
        if (!cached_size && (bytes < size || alignment > S_HEADER_BYTES)) {
            bytes = 0; /* overflow or an alignment we cannot honour: fail below */
        }
        h = bytes == 0 ? NULL : s3x_mem_acquire(c->backing, bytes);
        if (h == NULL) {
            pthread_spin_lock(&c->lock);
            c->outstanding--; /* the owner holds it alive while acquiring through it */
            pthread_spin_unlock(&c->lock);
            return NULL;
        }
        h->kind = cached_size ? S_KIND_CACHED : S_KIND_PASSTHROUGH;
    }
    return (char *)h + S_HEADER_BYTES;
}

static void s_release(struct s3x_allocator *allocator, void *ptr) {
    struct s_cache *c = allocator->impl;
    struct s_header *h = (struct s_header *)(void *)((char *)ptr - S_HEADER_BYTES);
    bool recycle = h->kind == S_KIND_CACHED;
    pthread_spin_lock(&c->lock);
    recycle = recycle && c->free_count < c->max_cached && !c->orphaned;
    if (recycle) {
        struct s_free *f = ptr;
        f->next = c->free_list;
        c->free_list = f;
        c->free_count++;
    }
    c->outstanding--;
    bool destroy = c->orphaned && c->outstanding == 0;
    pthread_spin_unlock(&c->lock);
    if (!recycle) {
        s3x_mem_release(c->backing, h);
    }
    if (destroy) {
        s_destroy(c);
    }
}

static const struct s3x_allocator_vtable s_vtable = {.acquire = s_acquire, .release = s_release};

int s3x__object_cache_new(struct s3x_allocator *backing, size_t object_size, size_t max_cached,
    struct s3x_allocator **out) {
    *out = NULL;
    struct s_cache *c = s3x_mem_calloc(backing, 1, sizeof(*c));
    if (c == NULL) {
        return S3X_ERR_OOM;
    }
    c->base.vtable = &s_vtable;
    c->base.impl = c;
    c->backing = backing;
    c->object_size = (object_size + S_HEADER_BYTES + 15u) & ~(size_t)15u;
    c->max_cached = max_cached;
    pthread_spin_init(&c->lock, PTHREAD_PROCESS_PRIVATE);
    *out = &c->base;
    return 0;
}

static void s_free_list(struct s_cache *c, struct s_free *f) {
    while (f != NULL) {
        struct s_free *next = f->next;
        s3x_mem_release(c->backing, (char *)f - S_HEADER_BYTES);
        f = next;
    }
}

size_t s3x__object_cache_trim(struct s3x_allocator *cache) {
    struct s_cache *c = cache->impl;
    pthread_spin_lock(&c->lock);
    struct s_free *f = c->free_list;
    size_t n = c->free_count;
    c->free_list = NULL;
    c->free_count = 0;
    pthread_spin_unlock(&c->lock);
    s_free_list(c, f);
    return n;
}

void s3x__object_cache_orphan(struct s3x_allocator *cache) {
    if (cache == NULL) {
        return;
    }
    struct s_cache *c = cache->impl;
    pthread_spin_lock(&c->lock);
    c->orphaned = true;
    struct s_free *f = c->free_list; /* nothing will be recycled any more: free the cached ones now */
    c->free_list = NULL;
    c->free_count = 0;
    bool destroy = c->outstanding == 0;
    pthread_spin_unlock(&c->lock);
    s_free_list(c, f);
    if (destroy) {
        s_destroy(c);
    }
}
