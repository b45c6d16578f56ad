/* libFuzzer target: drives the default and arena pools through arbitrary operation sequences and
 * checks, after every operation, every accounting identity (the pools' validators), the hard cap,
 * and at the end that nothing leaked and everything came back.
 *
 * Input: byte 0 picks the pool (bit 0: arena) and its limit (1..8 parts of 16 KiB); then each
 * operation is 3 bytes: opcode, slot, argument. Slots hold one pending reservation and one ticket.
 * Operations: reserve (size class, priority, no_wait from the argument; some with a callback that
 * releases the ticket from inside the completion), take, claim+write, release, cancel, abandon,
 * trim, set the limit, drop the creator's pool reference early (tickets and futures go on).
 * A violated invariant traps, which libFuzzer reports with the input.
 *
 * Built as a libFuzzer binary with -DS3XFER_FUZZ=ON and clang (fuzz/CMakeLists.txt), and replayed
 * on seeded random inputs by the ordinary test suite (tests/pool/test_pool_fuzz_replay.c). */
#include <s3xfer/error.h>
#include <s3xfer/pool.h>

#include "pool/pool_internal.h"

#include <stdint.h>
#include <string.h>

#define F_PART ((size_t)16 * 1024)
#define F_SLOTS 6
#define F_MAX_LIMIT (8 * F_PART)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define F_CHECK(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (0)

struct f_state {
    struct s3x_pool *pool;    /* the creator's reference, NULL once dropped */
    struct s3x_pool *checked; /* kept for validation while the pool is alive */
    struct s3x_future *pending[F_SLOTS];
    struct s3x_ticket *held[F_SLOTS];
    size_t peak_limit;
    int inline_releases;
};

/* A callback that releases the granted ticket from inside the completion (re-entrancy). */
static void f_release_cb(struct s3x_future *f, void *user) {
    struct f_state *st = user;
    struct s3x_ticket *t = NULL;
    if (s3x_ticket_take(f, &t) == 0) {
        void *b = NULL;
        F_CHECK(s3x_ticket_claim(t, &b) == 0);
        memset(b, 0x3c, s3x_ticket_size(t));
        s3x_ticket_release(t);
        st->inline_releases++;
    }
    s3x_future_release(f);
}

static size_t f_size(uint8_t arg) {
    switch (arg & 3u) {
    case 0:
        return F_PART;
    case 1:
        return F_PART / 2 + 1 + (size_t)(arg >> 2) * 64; /* takes a slot */
    case 2:
        return 1 + (size_t)(arg >> 2) * 97; /* small: its own allocation */
    default:
        return F_PART + (size_t)(arg >> 2) * 1024; /* larger than a part */
    }
}

static void f_reserve(struct f_state *st, unsigned slot, uint8_t arg) {
    if (st->pool == NULL || st->pending[slot] != NULL) {
        return;
    }
    struct s3x_pool_reserve_options o = {
        .size_bytes = (arg & 0xc0u) == 0xc0u ? 0 : f_size(arg),
        .priority = (enum s3x_pool_priority)((int)(arg % 3u) - 1),
        .requester = st,
        .no_wait = (arg & 0x20u) != 0,
    };
    struct s3x_future *f = s3x_pool_reserve(st->pool, &o);
    F_CHECK(f != NULL);
    if ((arg & 0x10u) != 0) {
        /* hand our reference to a callback that releases whatever it gets */
        F_CHECK(s3x_future_on_done(f, NULL, f_release_cb, st) == 0);
        return;
    }
    st->pending[slot] = f;
}

static void f_take(struct f_state *st, unsigned slot) {
    struct s3x_future *f = st->pending[slot];
    if (f == NULL || !s3x_future_is_done(f) || st->held[slot] != NULL) {
        return;
    }
    int rc = s3x_ticket_take(f, &st->held[slot]);
    F_CHECK(rc == 0 || rc == S3X_ERR_POOL_EXHAUSTED || rc == S3X_ERR_BUFFER_TOO_LARGE ||
            rc == S3X_ERR_BUFFER_SIZE_ZERO || rc == S3X_ERR_CANCELED);
    F_CHECK((rc == 0) == (st->held[slot] != NULL));
    st->pending[slot] = s3x_future_release(f);
}

static void f_op(struct f_state *st, uint8_t op, unsigned slot, uint8_t arg) {
    switch (op % 10u) {
    case 0:
    case 1:
        f_reserve(st, slot, arg);
        break;
    case 2:
        f_take(st, slot);
        break;
    case 3:
        if (st->held[slot] != NULL) {
            void *b = NULL;
            F_CHECK(s3x_ticket_claim(st->held[slot], &b) == 0);
            memset(b, arg, s3x_ticket_size(st->held[slot]));
        }
        break;
    case 4:
        st->held[slot] = s3x_ticket_release(st->held[slot]);
        break;
    case 5:
        if (st->pending[slot] != NULL) {
            s3x_future_complete_error(st->pending[slot], S3X_ERR_CANCELED);
        }
        break;
    case 6:
        st->pending[slot] = s3x_future_release(st->pending[slot]); /* abandon */
        break;
    case 7:
        if (st->pool != NULL) {
            s3x_pool_trim(st->pool);
        }
        break;
    case 8:
        if (st->pool != NULL) {
            size_t limit = F_PART * (1u + arg % 8u);
            int rc = s3x_pool_set_memory_limit(st->pool, limit);
            F_CHECK(rc == 0 || rc == S3X_ERR_UNSUPPORTED);
            if (rc == 0 && limit > st->peak_limit) {
                st->peak_limit = limit;
            }
        }
        break;
    default:
        if (arg >= 0xf0 && st->pool != NULL) {
            st->pool = s3x_pool_release(st->pool); /* the rest runs on tickets' references */
            st->checked = NULL;
        }
        break;
    }
}

static void f_check(struct f_state *st) {
    if (st->checked == NULL) {
        return;
    }
    F_CHECK(s3x__pool_validate(st->checked) == 0);
    struct s3x_pool_stats s;
    memset(&s, 0, sizeof(s));
    s.struct_size = sizeof(s);
    F_CHECK(s3x_pool_stats(st->checked, &s) == 0);
    F_CHECK(s.peak_allocated_bytes <= st->peak_limit);
    F_CHECK(s.used_bytes <= s.reserved_bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) {
        return 0;
    }
    struct s3x_allocator *tracking = NULL;
    F_CHECK(s3x_tracking_allocator_new(NULL, &tracking) == 0);
    struct f_state st;
    memset(&st, 0, sizeof(st));
    struct s3x_pool_config c = {.memory_limit_bytes = F_PART * (1u + (data[0] >> 1) % 8u), .part_size_bytes = F_PART};
    st.peak_limit = c.memory_limit_bytes;
    int rc = (data[0] & 1u) ? s3x_arena_pool_new(tracking, &c, NULL, &st.pool)
                            : s3x_default_pool_new(tracking, &c, &st.pool);
    F_CHECK(rc == 0);
    st.checked = st.pool;
    for (size_t i = 1; i + 3 <= size; i += 3) {
        f_op(&st, data[i], data[i + 1] % F_SLOTS, data[i + 2]);
        f_check(&st);
    }
    for (unsigned k = 0; k < F_SLOTS; ++k) {
        if (st.pending[k] != NULL) {
            s3x_future_complete_error(st.pending[k], S3X_ERR_CANCELED);
            st.pending[k] = s3x_future_release(st.pending[k]);
        }
        st.held[k] = s3x_ticket_release(st.held[k]);
        f_check(&st);
    }
    if (st.checked != NULL) {
        struct s3x_pool_stats s;
        memset(&s, 0, sizeof(s));
        s.struct_size = sizeof(s);
        F_CHECK(s3x_pool_stats(st.checked, &s) == 0);
        F_CHECK(s.live_tickets == 0 && s.reserved_bytes == 0 && s.pending_count == 0);
    }
    s3x_pool_release(st.pool);
    F_CHECK(s3x_tracking_allocator_destroy(tracking) == 0); /* nothing leaked */
    return 0;
}
