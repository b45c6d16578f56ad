/* s3xfer: buffer pools — the interface, the default pool, the fixed-arena pool.
 *
 * Every part-sized buffer of a transfer comes from a pool, so the pool is where the memory budget is
 * enforced. The pool is an interface: an application can give the client its own pool (one budget
 * shared with its own cache, pinned or huge-page memory, a fixed arena). This comment is the
 * reference contract (docs/pool.md explains how to write a pool, with a worked example).
 *
 * OBJECTS
 *   A pool hands out tickets. A ticket is a promise of `size` bytes; claiming it yields the buffer
 *   (the same memory on every claim; a ticket may be released unclaimed). Releasing the last
 *   reference of a ticket gives the memory back to its pool.
 *
 *   Pool and ticket are public structs an implementation embeds in its own objects (so it can keep
 *   them on free lists). Each has a const vtable, an `impl` pointer, and library-owned fields: the
 *   reference count, and for a ticket its pool and size. There is one reference-counting model:
 *   the library counts (`s3x_pool_acquire` / `s3x_pool_release`, same for tickets) and calls the
 *   vtable's `destroy` exactly once, when the count reaches zero. Implementations never touch the
 *   count.
 *
 *   `s3x_pool_init` and `s3x_ticket_init` validate the vtable: a vtable missing a required function
 *   is refused with S3X_ERR_POOL_INVALID_VTABLE (a NULL object, vtable or allocator with
 *   S3X_ERR_INVALID_ARGUMENT), returned to the implementer at construction, never a crash later.
 *
 *   A ticket holds a reference on its pool (taken by s3x_ticket_init, dropped after the ticket's
 *   `destroy` returned), so pools and tickets may be released in any order.
 *
 * RESERVING
 *   `s3x_pool_reserve(pool, options)` returns a future of a ticket (take it with s3x_ticket_take).
 *   It may complete at once, or later when memory is released. It never returns NULL: every
 *   failure, even the failure to allocate the future, is a future completed with an error.
 *   The future's value is owned by the future until taken: a ticket nobody takes goes back to the
 *   pool when the future's last reference is released.
 *
 *   Errors: size 0 -> S3X_ERR_BUFFER_SIZE_ZERO; larger than the pool's limit (after the pool's own
 *   rounding, e.g. to the page size) -> S3X_ERR_BUFFER_TOO_LARGE; options.no_wait and the
 *   reservation cannot be granted now -> S3X_ERR_POOL_EXHAUSTED; out of memory -> S3X_ERR_OOM;
 *   pool destroyed while pending -> S3X_ERR_POOL_SHUTDOWN; NULL pool or options, unknown
 *   priority -> S3X_ERR_INVALID_ARGUMENT. The library checks size 0 and the arguments before the
 *   implementation is called; no assert or abort is reachable from any argument.
 *
 *   Fairness: a higher priority class is served first; within a class, reservations are granted
 *   in the order they were made (FIFO). A reservation that would fit is NOT granted ahead of an
 *   older waiting one of the same or a higher class (no barging), so a large part cannot starve
 *   behind a stream of small ones, and part N of a transfer gets memory before part N+1. One
 *   release may satisfy several waiters. A no_wait reservation obeys the same rule: it fails if
 *   an older reservation of its class or higher is waiting.
 *
 *   Cancelling: completing a pending reservation's future with an error (s3x_future_complete_error)
 *   cancels it. The pool drops it and its accounting stays exact. A ticket delivered into an
 *   already-completed future is released back at once (s3x_future_complete's contract), so a race
 *   between cancel and grant loses nothing. Releasing every reference of a pending future without
 *   cancelling it is allowed: the pool holds its own reference, grants it in turn, and the ticket
 *   goes straight back.
 *
 *   Threads: every function may be called from any thread. The future of a reservation granted
 *   later completes on the thread whose call made the memory available (a ticket release, a trim,
 *   a limit change, a cancellation), always after the pool's lock is released; its callback runs
 *   there too unless registered with an executor (the client registers with its event thread, so
 *   callbacks never re-enter the caller that released memory). A callback may reserve, claim and
 *   release on the same pool.
 *
 *   Destroying: a pool is destroyed when its last reference is released: the creator's and every
 *   live ticket's. Pending reservations hold no reference (an abandoned reservation must not keep a
 *   pool alive), so releasing your reference while tickets are out does not fail the waiters: they
 *   keep being served, in order, as tickets come back, and the pool is destroyed after the last
 *   ticket. A reservation still pending at destruction is completed with S3X_ERR_POOL_SHUTDOWN. In
 *   the pools shipped here that only happens to a reservation that could not be granted with every
 *   ticket returned (none can: anything <= limit fits an empty pool), so to stop waiters at once,
 *   cancel them. Releasing a pool reference from inside a callback is allowed.
 *
 * IMPLEMENTING A POOL (see docs/pool.md and examples/recording_pool.c)
 *   - `reserve` receives validated options (size > 0, known priority). It returns a future with one
 *     reference for the caller (never NULL; if it does, the library substitutes a future failed
 *     with S3X_ERR_INVALID_STATE). It delivers a ticket with s3x_pool_deliver, which completes the
 *     future with the ticket and the ticket's release as destructor, and returns false when the
 *     future was already completed (cancelled): the ticket has then been released already.
 *   - Never complete a future while holding a lock that a ticket release or a reserve takes: the
 *     future's callback may run inline and call back into the pool.
 *   - A pool may learn of cancellations at once with s3x_pool_watch_reservation (or notice later
 *     with s3x_future_is_done, or simply deliver and let the ticket come back).
 *   - Ticket `destroy` gives the memory back and may grant waiters (outside the pool's lock).
 *     `claim` returns the same buffer every time, at least `size` bytes; it may fail (lazy
 *     allocation) and the ticket stays valid.
 *   - `destroy` of the pool completes what is still pending with S3X_ERR_POOL_SHUTDOWN.
 *
 * THE DEFAULT POOL (s3x_default_pool_new)
 *   Hard limit: bytes obtained from the allocator for buffers — in use, reserved, cached free
 *   blocks, rounding waste, everything — never exceed memory_limit_bytes, at any instant
 *   (stats.peak_allocated_bytes proves it). Cached free blocks are returned to the system when a
 *   reservation needs their room, and by s3x_pool_trim. Any limit of at least one part (rounded
 *   up to the page size) works. Part-sized buffers (and sizes over half a part) come from blocks
 *   of one to eight part slots (never larger than a quarter of the limit, so small limits get
 *   blocks of one part); other sizes get their own allocation; all buffers are page-aligned.
 *   Reserve, claim and release make no system call and no allocation in steady state. The limit
 *   can be changed live: raising it grants waiters; lowering it returns cached blocks at once and
 *   otherwise takes effect as memory is released (no allocation happens above the new limit), and
 *   fails pending reservations that can no longer fit with S3X_ERR_BUFFER_TOO_LARGE.
 *
 * THE FIXED-ARENA POOL (s3x_arena_pool_new)
 *   One region allocated at creation (optionally huge pages, optionally locked in RAM) carved into
 *   part slots; never allocates buffer memory afterwards. Reservations up to one part; same
 *   fairness rules.
 */
#ifndef S3XFER_POOL_H
#define S3XFER_POOL_H

#include <s3xfer/allocator.h>
#include <s3xfer/exports.h>
#include <s3xfer/future.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct s3x_pool;
struct s3x_ticket;
struct s3x_pool_stats;

/* --- reservation options ------------------------------------------------------------------ */

/* Classes are served highest first; FIFO within a class. Zero-initialized options are NORMAL. */
enum s3x_pool_priority {
    S3X_POOL_PRIORITY_LOW = -1,   /* opportunistic: read-ahead, extra buffers beyond what progress needs */
    S3X_POOL_PRIORITY_NORMAL = 0, /* part buffers */
    S3X_POOL_PRIORITY_HIGH = 1,   /* a buffer needed for progress (a pushed-write stream's first buffer) */
};

struct s3x_pool_reserve_options {
    size_t size_bytes;               /* > 0 */
    enum s3x_pool_priority priority; /* default NORMAL */
    const void *requester;           /* opaque: who asks (the transfer), for pools fair across requesters */
    bool no_wait;                    /* fail with S3X_ERR_POOL_EXHAUSTED instead of waiting */
};

/* --- the implementer's side ---------------------------------------------------------------- */

struct s3x_pool_vtable {
    /* Required. Options are validated (size_bytes > 0, known priority). Returns a future (one
     * reference for the caller) that completes with a ticket (s3x_pool_deliver) or an error. */
    struct s3x_future *(*reserve)(struct s3x_pool *pool, const struct s3x_pool_reserve_options *options);
    /* Required. Called once, when the last reference is gone (no ticket is alive). Completes
     * pending reservations with S3X_ERR_POOL_SHUTDOWN and frees the implementation. */
    void (*destroy)(struct s3x_pool *pool);
    /* Optional. Returns cached, unused memory to the system; returns the number of bytes freed. */
    size_t (*trim)(struct s3x_pool *pool);
    /* Optional. Fills `out` (zeroed by the library, struct_size set to the library's size). */
    void (*stats)(struct s3x_pool *pool, struct s3x_pool_stats *out);
    /* Optional. Returns 0 or an error (S3X_ERR_INVALID_ARGUMENT for a limit the pool cannot use). */
    int (*set_memory_limit)(struct s3x_pool *pool, size_t memory_limit_bytes);
};

struct s3x_ticket_vtable {
    /* Required. Sets *out_buffer to the ticket's memory (>= size bytes), the same on every call.
     * Returns 0 or an error (the ticket stays valid). */
    int (*claim)(struct s3x_ticket *ticket, void **out_buffer);
    /* Required. Called once, when the last reference is gone: gives the memory back. The ticket's
     * pool is still alive during the call (the ticket's reference is dropped after it). */
    void (*destroy)(struct s3x_ticket *ticket);
};

/* Embedded in the implementation's pool object. */
struct s3x_pool {
    const struct s3x_pool_vtable *vtable;
    void *impl;
    /* library-owned: set by s3x_pool_init, never touched by the implementation */
    size_t private_ref_count; /* atomic, manipulated by the library only */
    struct s3x_allocator *allocator;
};

/* Embedded in the implementation's ticket object. */
struct s3x_ticket {
    const struct s3x_ticket_vtable *vtable;
    void *impl;
    /* library-owned: set by s3x_ticket_init */
    size_t private_ref_count; /* atomic, manipulated by the library only */
    struct s3x_pool *pool;
    size_t size;
};

/* Validates `vtable` (reserve and destroy required) and makes `pool` a live pool with one
 * reference. Returns 0, S3X_ERR_INVALID_ARGUMENT (NULL pool, vtable or allocator), or
 * S3X_ERR_POOL_INVALID_VTABLE (a required function is missing); on error `pool` is untouched
 * except that it is not usable. */
S3X_API int s3x_pool_init(struct s3x_pool *pool, struct s3x_allocator *allocator, const struct s3x_pool_vtable *vtable,
    void *impl);

/* Validates `vtable` (claim and destroy required) and makes `ticket` a live ticket of `size` bytes
 * with one reference; takes a reference on `pool`. Returns 0, S3X_ERR_INVALID_ARGUMENT (NULL
 * ticket, pool or vtable, size 0), or S3X_ERR_POOL_INVALID_VTABLE. On error no reference is
 * taken. */
S3X_API int s3x_ticket_init(struct s3x_ticket *ticket, struct s3x_pool *pool, const struct s3x_ticket_vtable *vtable,
    void *impl, size_t size);

/* Completes `reservation` with `ticket` (the future then owns the reference passed in; its
 * destructor releases the ticket). Returns true if delivered; false if the future had already
 * completed (cancelled) or is NULL, in which case the ticket has been released. */
S3X_API bool s3x_pool_deliver(struct s3x_future *reservation, struct s3x_ticket *ticket);

/* For implementers: a reservation future already completed with `error` (non-zero), allocated from
 * `allocator`. Never NULL: when it cannot be allocated, a shared static future failed with
 * S3X_ERR_OOM is returned (its acquire/release are no-ops). */
S3X_API struct s3x_future *s3x_pool_reservation_failed(struct s3x_allocator *allocator, int error);

typedef void(s3x_pool_watch_fn)(struct s3x_future *reservation, void *user_data);
/* For implementers: `fn` runs exactly once when `reservation` completes, whoever completes it (the
 * pool delivering, or the consumer cancelling), on the completing thread with no library lock
 * held, before the consumer's callback. One watch per future, set while it is pending. The pool
 * must hold a reference on the future until it completes it. Returns 0, S3X_ERR_INVALID_ARGUMENT,
 * or S3X_ERR_INVALID_STATE (already complete or already watched). */
S3X_API int s3x_pool_watch_reservation(struct s3x_future *reservation, s3x_pool_watch_fn *fn, void *user_data);

/* --- the user's side ---------------------------------------------------------------------- */

/* Never NULL; see RESERVING above. */
S3X_API struct s3x_future *s3x_pool_reserve(struct s3x_pool *pool, const struct s3x_pool_reserve_options *options);

/* Moves the ticket out of a completed reservation: 0 and *out_ticket set (the caller owns one
 * reference), or the reservation's error / S3X_ERR_FUTURE_NOT_DONE / S3X_ERR_FUTURE_VALUE_TAKEN /
 * S3X_ERR_INVALID_ARGUMENT with *out_ticket = NULL. */
S3X_API int s3x_ticket_take(struct s3x_future *reservation, struct s3x_ticket **out_ticket);

/* The ticket's memory, the same on every call. Returns 0, S3X_ERR_INVALID_ARGUMENT, or the pool's
 * error (the ticket stays valid); *out_buffer = NULL on error. */
S3X_API int s3x_ticket_claim(struct s3x_ticket *ticket, void **out_buffer);
/* The size reserved; 0 for NULL. */
S3X_API size_t s3x_ticket_size(const struct s3x_ticket *ticket);
S3X_API struct s3x_ticket *s3x_ticket_acquire(struct s3x_ticket *ticket);
/* Drops one reference; the last gives the memory back. NULL allowed; returns NULL. */
S3X_API struct s3x_ticket *s3x_ticket_release(struct s3x_ticket *ticket);

S3X_API struct s3x_pool *s3x_pool_acquire(struct s3x_pool *pool);
/* Drops one reference (see "Destroying" above). NULL allowed; returns NULL. */
S3X_API struct s3x_pool *s3x_pool_release(struct s3x_pool *pool);

/* Returns cached unused memory to the system; the number of bytes freed (0 for NULL or a pool
 * without trim). The client calls it on its event thread once it has held no request for
 * idle_trim_ms (client.h), so a pool's trim must not block for long. */
S3X_API size_t s3x_pool_trim(struct s3x_pool *pool);

/* Changes the memory limit of a live pool. Returns 0, S3X_ERR_INVALID_ARGUMENT, or
 * S3X_ERR_UNSUPPORTED (the pool has no set_memory_limit). */
S3X_API int s3x_pool_set_memory_limit(struct s3x_pool *pool, size_t memory_limit_bytes);

/* Flags in s3x_pool_stats.flags. */
#define S3X_POOL_STATS_HUGE_PAGES 0x1u    /* buffers are backed by huge pages */
#define S3X_POOL_STATS_MEMORY_LOCKED 0x2u /* buffers are locked in RAM (mlock) */

/* Versioned: set struct_size = sizeof(struct s3x_pool_stats) before calling s3x_pool_stats; the
 * library fills that many bytes (fields added later are appended). Fields a pool does not track
 * read 0. */
struct s3x_pool_stats {
    size_t struct_size;
    size_t memory_limit_bytes;
    size_t allocated_bytes;      /* obtained from the system now: reserved + cached + waste */
    size_t peak_allocated_bytes; /* <= the limit, unless the limit was lowered below it */
    size_t reserved_bytes;       /* sum of the sizes of live tickets (claimed or not) */
    size_t peak_reserved_bytes;
    size_t used_bytes; /* the part of reserved_bytes whose tickets have been claimed */
    size_t peak_used_bytes;
    size_t cached_bytes; /* free buffers kept for reuse (part slots and odd-sized buffers) */
    size_t live_tickets;
    size_t pending_count; /* reservations waiting */
    size_t pending_bytes;
    uint64_t granted_count;   /* reservations granted so far */
    uint64_t waited_count;    /* reservations that waited in the queue (then granted or failed) */
    uint64_t wait_ns_total;   /* total time reservations spent waiting for memory */
    uint64_t failed_count;    /* reservations the pool completed with an error */
    uint64_t cancelled_count; /* pending reservations completed with an error by their owner */
    uint64_t system_allocations;
    uint64_t system_frees;
    uint32_t flags; /* S3X_POOL_STATS_* */
};

/* Returns 0, S3X_ERR_INVALID_ARGUMENT (NULL, or struct_size smaller than the first version's), or
 * S3X_ERR_UNSUPPORTED (the pool keeps no statistics). */
S3X_API int s3x_pool_stats(struct s3x_pool *pool, struct s3x_pool_stats *out);

/* --- pool factories ----------------------------------------------------------------------- */

struct s3x_pool_config {
    size_t memory_limit_bytes; /* the hard cap; >= part_size_bytes rounded up to the page size */
    size_t part_size_bytes;    /* the size most reservations ask for; 0 = 8 MiB */
};

typedef int(s3x_pool_create_fn)(struct s3x_allocator *allocator, const struct s3x_pool_config *config, void *user_data,
    struct s3x_pool **out);

/* How a client is given a custom pool: it calls create(allocator, config, user_data, &pool). */
struct s3x_pool_factory {
    s3x_pool_create_fn *create;
    void *user_data;
};

/* Creates a pool through `factory` (NULL, or NULL create = the default pool). Returns 0 or the
 * factory's error; S3X_ERR_INVALID_STATE if the factory reported success without a pool. */
S3X_API int s3x_pool_factory_create(const struct s3x_pool_factory *factory, struct s3x_allocator *allocator,
    const struct s3x_pool_config *config, struct s3x_pool **out);

/* The default pool. Returns 0, S3X_ERR_INVALID_ARGUMENT (NULL argument, limit below one part,
 * sizes that overflow), S3X_ERR_OOM. */
S3X_API int s3x_default_pool_new(struct s3x_allocator *allocator, const struct s3x_pool_config *config,
    struct s3x_pool **out);

struct s3x_arena_pool_options {
    bool huge_pages;  /* try MAP_HUGETLB (2 MiB pages); falls back to normal pages if unavailable */
    bool lock_memory; /* mlock the region; creation fails with S3X_ERR_PERMISSION / S3X_ERR_SYS if refused */
};

/* The fixed-arena pool: floor(limit / part slot) part slots in one region. `options` may be NULL.
 * Returns 0, S3X_ERR_INVALID_ARGUMENT, S3X_ERR_OOM, S3X_ERR_PERMISSION, S3X_ERR_SYS. */
S3X_API int s3x_arena_pool_new(struct s3x_allocator *allocator, const struct s3x_pool_config *config,
    const struct s3x_arena_pool_options *options, struct s3x_pool **out);
/* s3x_pool_create_fn for the arena pool; user_data: a const struct s3x_arena_pool_options * or NULL. */
S3X_API int s3x_arena_pool_factory_create(struct s3x_allocator *allocator, const struct s3x_pool_config *config,
    void *user_data, struct s3x_pool **out);

#ifdef __cplusplus
}
#endif

#endif
