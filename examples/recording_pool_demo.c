/* Demo of the example recording pool, linked against the installed-style shared library only:
 * wraps the default pool, makes a few reservations (one waits, one is cancelled), prints the
 * recorded calls, and exits non-zero if the record is not what the contract says. */
#include "recording_pool.h"

#include <s3xfer/error.h>

#include <stdio.h>
#include <string.h>

static const char *s_kind_name(enum recording_pool_event_kind kind) {
    static const char *const names[] = {"reserve", "grant", "fail", "cancel", "unwanted", "claim", "release", "trim",
        "set_limit"};
    return kind < RECORDING_POOL_EVENT_KINDS ? names[kind] : "?";
}

static int s_expect(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "recording_pool_demo: FAILED: %s\n", what);
    }
    return ok ? 0 : 1;
}

int main(void) {
    struct s3x_allocator *allocator = s3x_allocator_system();
    struct s3x_pool_config config = {.memory_limit_bytes = 2u << 20, .part_size_bytes = 1u << 20};
    struct s3x_pool_factory inner_factory = {.create = NULL}; /* the default pool */
    struct s3x_pool *pool = NULL;
    int failures = 0;
    if (recording_pool_factory_create(allocator, &config, &inner_factory, &pool) != 0) {
        fprintf(stderr, "recording_pool_demo: cannot create the pool\n");
        return 1;
    }
    int transfer = 0;
    struct s3x_pool_reserve_options part = {.size_bytes = 1u << 20, .requester = &transfer};
    struct s3x_future *a = s3x_pool_reserve(pool, &part);
    struct s3x_future *b = s3x_pool_reserve(pool, &part);
    struct s3x_future *c = s3x_pool_reserve(pool, &part); /* the limit is 2 parts: c waits */
    struct s3x_future *d = s3x_pool_reserve(pool, &part); /* d waits behind c */
    failures += s_expect(s3x_future_is_done(a) && s3x_future_is_done(b) && !s3x_future_is_done(c),
        "a, b granted, c waits");
    struct s3x_ticket *ta = NULL;
    struct s3x_ticket *tb = NULL;
    void *buffer = NULL;
    s3x_ticket_take(a, &ta);
    s3x_ticket_take(b, &tb);
    failures += s_expect(s3x_ticket_claim(ta, &buffer) == 0 && buffer != NULL, "claim a");
    memset(buffer, 0xab, s3x_ticket_size(ta));
    failures += s_expect(s3x_future_complete_error(d, S3X_ERR_CANCELED), "cancel d");
    ta = s3x_ticket_release(ta); /* c gets a's memory */
    failures += s_expect(s3x_future_error(c) == 0, "c granted after a's release");
    tb = s3x_ticket_release(tb);
    struct s3x_ticket *tc = NULL;
    s3x_ticket_take(c, &tc);
    struct recording_pool_event events[32];
    size_t n = recording_pool_events(pool, events, 32);
    for (size_t i = 0; i < n && i < 32; ++i) {
        printf("%-9s %8zu bytes  %s\n", s_kind_name(events[i].kind), events[i].size,
            events[i].error ? s3x_error_name(events[i].error) : "");
    }
    failures += s_expect(recording_pool_count(pool, RECORDING_POOL_RESERVE) == 4, "4 reserves");
    failures += s_expect(recording_pool_count(pool, RECORDING_POOL_GRANT) == 3, "3 grants");
    failures += s_expect(recording_pool_count(pool, RECORDING_POOL_CANCEL) == 1, "1 cancel");
    failures += s_expect(recording_pool_count(pool, RECORDING_POOL_RELEASE) == 2, "2 releases so far");
    /* Release the pool before the last ticket: the ticket keeps both pools alive. */
    pool = s3x_pool_release(pool);
    s3x_ticket_release(tc); /* the last reference: the recording pool and the default pool go */
    s3x_future_release(a);
    s3x_future_release(b);
    s3x_future_release(c);
    s3x_future_release(d);
    return failures == 0 ? 0 : 1;
}
