/* The default pool's objects, shared by pool_default.c (operations) and pool_default_check.c
 * (statistics and the accounting validator). */
#ifndef S3XFER_SRC_POOL_DEFAULT_H
#define S3XFER_SRC_POOL_DEFAULT_H

#include "pool_internal.h"
#include "waitq.h"

#include <pthread.h>

/* Which list a part block is on. */
enum s3x__block_list {
    S3X__BLOCK_PARTIAL = 0, /* 0 < nfree < nslots */
    S3X__BLOCK_FULL = 1,    /* nfree == 0 */
    S3X__BLOCK_CACHED = 2,  /* nfree == nslots: nothing in use, kept for reuse */
    S3X__BLOCK_LISTS = 3,
};

/* A region of nslots part slots obtained from the allocator in one piece. */
struct s3x__block {
    struct s3x__block *prev;
    struct s3x__block *next;
    char *base;
    size_t bytes;       /* nslots * slot_bytes */
    uint64_t free_mask; /* bit i set <=> slot i is free */
    unsigned nslots;    /* 1 .. S3X__MAX_PARTS_PER_BLOCK */
    unsigned nfree;
    unsigned list; /* enum s3x__block_list */
};

struct s3x__default_pool;

/* A ticket object is on exactly one of: the live list (granted), the odd cache (not granted; it
 * keeps its odd buffer for reuse), the free list (no buffer), or a release batch. */
struct s3x__default_ticket {
    struct s3x_ticket base;
    struct s3x__default_pool *pool;
    struct s3x__block *block; /* NULL: an allocation of its own ("odd") */
    char *buffer;
    size_t alloc_bytes; /* slot_bytes, or the odd allocation's size */
    struct s3x__default_ticket *prev; /* live list or odd cache; `next` also links the free list */
    struct s3x__default_ticket *next;
    unsigned slot;
    int claimed; /* atomic: 1 once claimed */
};

/* Accounting identities (synced: under `lock`), checked by s3x__default_pool_validate:
 *
 *   (A1) allocated      = block_bytes + odd_bytes + cached_odd_bytes + releasing
 *   (A2) block_bytes    = sum(b.bytes) over blocks on the three lists = slot_bytes * sum(b.nslots)
 *   (A3) free_slot_bytes = slot_bytes * sum(b.nfree)
 *        cached_bytes   = sum(b.bytes) over CACHED blocks;  the list of b matches its nfree
 *   (A4) reserved       = sum(t.size) over live tickets;     live_tickets = length of live list
 *        waste          = sum(t.alloc_bytes - t.size) over live tickets
 *        odd_bytes      = sum(t.alloc_bytes) over live odd tickets
 *        cached_odd_bytes = sum(t.alloc_bytes) over the odd cache; cached_odd_count = its length
 *                          <= S3X__MAX_CACHED_ODD;  cached_odd_bytes <= odd_cache_max
 *   (A5) allocated      = reserved + waste + free_slot_bytes + cached_odd_bytes + releasing
 *   (A6) allocated <= limit, or allocated <= ceiling (the limit was lowered below what was
 *        allocated; nothing is allocated until allocated <= limit again)
 *   (A7) used <= reserved;  peaks >= currents
 *
 * Worked example: part 8 MiB (slot 8 MiB), limit 40 MiB -> 1 part per block (40/(8*4) = 1.25).
 * Reserve 8 MiB: a block of 1 slot is allocated (allocated 8, block_bytes 8, reserved 8). Reserve
 * 5 MiB (> half a part: takes a slot): allocated 16, reserved 13, waste 3. Reserve 20 KiB (odd):
 * its own 20 KiB allocation, allocated 16 MiB + 20 KiB. Release the 8 MiB ticket: its block is
 * CACHED (free_slot_bytes 8, cached 8, allocated unchanged). Reserve 30 MiB (odd, needs 30 MiB,
 * room is 40 - 16.02 = 23.98): the cached block is released (releasing 8, freed outside the
 * lock, then allocated 8 MiB + 20 KiB), room 31.98 -> granted: allocated 38 MiB + 20 KiB <= 40.
 * Release the 20 KiB ticket: its buffer goes to the odd cache (cached_odd 20 KiB, allocated
 * unchanged). Reserve 18 KiB: the cached 20 KiB buffer is reused (waste 2 KiB <= 18 KiB / 4), no
 * system call; release it again (cached). Reserve 2 MiB (odd: at most half a slot): room is
 * 40 - 38.02 = 1.98 MiB, so the idle cached buffer is freed first (odd cache before blocks), room
 * 2 MiB -> granted: allocated exactly 40 MiB.
 */
#define S3X__MAX_CACHED_ODD 64u
struct s3x__default_pool {
    struct s3x_pool base;
    /* immutable */
    struct s3x_allocator *allocator;
    struct s3x_allocator *future_cache;
    size_t page_bytes;
    size_t slot_bytes; /* the part size rounded up to the page size */
    pthread_mutex_t lock;
    struct s3x__waitq queue; /* synced under `lock` */
    /* synced */
    size_t limit;
    size_t ceiling;
    unsigned parts_per_block;
    size_t allocated;
    size_t peak_allocated;
    size_t block_bytes;
    size_t odd_bytes;
    size_t releasing;
    size_t free_slot_bytes;
    size_t cached_bytes;
    size_t cached_odd_bytes;
    size_t cached_odd_count;
    size_t odd_cache_max; /* bytes: a quarter of the limit, like a block */
    size_t reserved;
    size_t peak_reserved;
    size_t waste;
    size_t live_tickets;
    struct s3x__block lists[S3X__BLOCK_LISTS]; /* sentinels */
    struct s3x__default_ticket live;           /* sentinel of the live-ticket list */
    struct s3x__default_ticket odd_cache;      /* sentinel: free odd buffers, most recent first */
    struct s3x__default_ticket *free_tickets;
    size_t free_ticket_count;
    uint64_t granted_count;
    uint64_t failed_count;
    uint64_t system_allocations;
    uint64_t system_frees;
    /* atomic (claim runs without the lock) */
    size_t used;
    size_t peak_used;
};

extern const struct s3x_pool_vtable s3x__default_pool_vtable;

void s3x__default_pool_stats(struct s3x_pool *pool, struct s3x_pool_stats *out);
int s3x__default_pool_validate_synced(struct s3x__default_pool *p);

#endif
