/* Soak (issue 9, point 4): N transfers of random sizes and kinds with random cancels, several at
 * once, under a 32 MiB memory limit (5 MiB parts), against the S3 test server (Swift) and against
 * the fault server with random faults on.
 *
 * Kinds: upload from a file, upload from a stream, download to a file, download to an ordered
 * callback. Sizes: 0, exact multiples of the part size, or anything up to 3 parts + 4 KiB. A
 * quarter of the transfers are cancelled at a random moment in their first 0.2 s (half of those)
 * or 1.5 s. Objects live under 12 keys; a key carries one transfer at a time, and a download only
 * reads a key whose content is known (its last upload succeeded).
 *
 * Checked for every transfer: it completes before its deadline (a hang fails the test), on_done
 * fires exactly once, a success has the right bytes (the file compared, or the callback's bytes in
 * order), a failure is CANCELED or (fault server only) an error a fault explains, and a download
 * that did not succeed leaves no file. At the end: no file left but what the test made, no
 * multipart upload in progress (ListMultipartUploads), no ticket alive, no reservation pending,
 * pool peak <= 32 MiB, and (harness) no leaked byte.
 *
 * N: S3X_SOAK_TRANSFERS, default 100 (30 with S3X_TEST_SMALL=1, the sanitizer builds). Seed:
 * S3X_SOAK_SEED, default 1. Example: S3X_SOAK_TRANSFERS=1000 bin/test_soak test_soak_fault_server
 */
#include "fault_test_util.h"

#include <s3xfer/error.h>
#include <s3xfer/pool.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIMIT ((uint64_t)32 * 1024 * 1024)
#define IN_FLIGHT 6
#define KEYS 12
#define DEADLINE_MS 180000u

enum s_kind { K_PUT_FILE, K_PUT_STREAM, K_GET_FILE, K_GET_WRITE, K_KINDS };
static const char *const s_kind_names[K_KINDS] = {"file upload", "stream upload", "file download", "ordered download"};

enum s_key_state { KEY_NONE, KEY_KNOWN, KEY_UNKNOWN };

struct s_key {
    enum s_key_state state;
    bool busy;
    uint64_t size;
    uint32_t seed;
};

struct s_slot {
    bool used;
    int number;
    enum s_kind kind;
    int key;
    uint64_t size;
    uint32_t seed;
    struct s3x_transfer *t;
    uint64_t cancel_at_ms; /* 0: not cancelled */
    uint64_t deadline_ms;
    atomic_int done_calls;
    /* stream source */
    uint64_t pos;
    /* ordered sink */
    uint64_t next;
    uint64_t bytes;
    int mismatches;
    int out_of_order;
    char path[160];
};

struct s_soak {
    struct ft_env *e;
    bool faults;
    uint64_t rng;
    struct s_key keys[KEYS];
    struct s_slot slots[IN_FLIGHT];
    int started;
    int ok[K_KINDS];
    int cancelled;
    int failed;
    int errors[8];
    int error_counts[8];
    uint64_t bytes;
    uint64_t retries;
};

static uint64_t s_rand(struct s_soak *s) {
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    return s->rng;
}

static uint64_t s_env_u64(const char *name, uint64_t fallback) {
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? strtoull(v, NULL, 10) : fallback;
}

/* --- callbacks ------------------------------------------------------------------------------------ */

static void s_on_done(struct s3x_transfer *t, const struct s3x_transfer_result *r, void *user) {
    (void)t;
    (void)r;
    struct s_slot *slot = user;
    atomic_fetch_add(&slot->done_calls, 1);
}

static int s_read(struct s3x_transfer *t, uint8_t *buf, size_t cap, size_t *out_len, void *user) {
    (void)t;
    struct s_slot *slot = user;
    size_t n = cap < 1000000 ? cap : 1000000;
    if (n > slot->size - slot->pos) {
        n = (size_t)(slot->size - slot->pos);
    }
    for (size_t i = 0; i < n; ++i) {
        buf[i] = s3x_test_pattern_byte(slot->pos + i, slot->seed);
    }
    slot->pos += n;
    *out_len = n;
    return 0;
}

static int s_write(struct s3x_transfer *t, const uint8_t *data, size_t len, uint64_t offset, void *user) {
    (void)t;
    struct s_slot *slot = user;
    if (offset != slot->next) {
        slot->out_of_order++;
    }
    for (size_t i = 0; i < len; i += 509) { /* sampled: every 509th byte and the last */
        if (data[i] != s3x_test_pattern_byte(offset + i, slot->seed)) {
            slot->mismatches++;
            break;
        }
    }
    if (len > 0 && data[len - 1] != s3x_test_pattern_byte(offset + len - 1, slot->seed)) {
        slot->mismatches++;
    }
    slot->next = offset + len;
    slot->bytes += len;
    return 0;
}

/* --- starting ------------------------------------------------------------------------------------- */

static uint64_t s_random_size(struct s_soak *s) {
    uint64_t r = s_rand(s) % 10;
    if (r == 0) {
        return 0;
    }
    if (r == 1) {
        return (1 + s_rand(s) % 3) * FT_PART;
    }
    return s_rand(s) % (3 * FT_PART + 4096 + 1);
}

/* Picks a kind and a free key for it; false when nothing can start now. */
static bool s_pick(struct s_soak *s, enum s_kind *kind, int *key) {
    int first = (int)(s_rand(s) % KEYS);
    bool want_get = s_rand(s) % 2 == 0;
    for (int pass = 0; pass < 2; ++pass, want_get = !want_get) {
        for (int i = 0; i < KEYS; ++i) {
            int k = (first + i) % KEYS;
            if (s->keys[k].busy || (want_get && s->keys[k].state != KEY_KNOWN)) {
                continue;
            }
            *key = k;
            *kind = want_get ? (s_rand(s) % 2 ? K_GET_FILE : K_GET_WRITE) : (s_rand(s) % 2 ? K_PUT_FILE : K_PUT_STREAM);
            return true;
        }
    }
    return false;
}

static void s_start(struct s_soak *s, struct s_slot *slot, enum s_kind kind, int key) {
    struct ft_env *e = s->e;
    memset(slot, 0, sizeof(*slot));
    slot->used = true;
    slot->number = s->started++;
    slot->kind = kind;
    slot->key = key;
    s->keys[key].busy = true;
    char key_name[32];
    snprintf(key_name, sizeof(key_name), "soak/key-%02d", key);
    struct s3x_transfer_options o;
    s3x_transfer_options_init(&o);
    o.bucket = e->bucket;
    o.key = key_name;
    o.on_done = s_on_done;
    o.user_data = slot;
    snprintf(slot->path, sizeof(slot->path), "%s/t%d", e->dir, slot->number);
    if (kind == K_PUT_FILE || kind == K_PUT_STREAM) {
        slot->size = s_random_size(s);
        slot->seed = (uint32_t)(s_rand(s) | 1u);
        o.kind = S3X_TRANSFER_PUT;
        if (kind == K_PUT_FILE) {
            s3x_test_write_pattern_file(slot->path, slot->size, slot->seed);
            o.file_path = slot->path;
        } else {
            o.read = s_read;
        }
    } else {
        slot->size = s->keys[key].size;
        slot->seed = s->keys[key].seed;
        o.kind = S3X_TRANSFER_GET;
        if (kind == K_GET_FILE) {
            o.file_path = slot->path;
        } else {
            o.write = s_write;
        }
    }
    uint64_t now = s3x_test_now_ms();
    slot->deadline_ms = now + DEADLINE_MS;
    slot->cancel_at_ms = s_rand(s) % 4 == 0 ? now + 1 + s_rand(s) % (s_rand(s) % 2 ? 200 : 1500) : 0;
    int rc = s3x_transfer_start(e->client, &o, &slot->t);
    if (rc != 0) {
        fail_msg("transfer %d (%s of %llu bytes) did not start: %s", slot->number, s_kind_names[kind],
            (unsigned long long)slot->size, s3x_error_name(rc));
    }
}

/* --- finishing ------------------------------------------------------------------------------------ */

static bool s_fault_error(int error) {
    switch (error) {
    case S3X_ERR_S3_SLOW_DOWN:
    case S3X_ERR_S3_INTERNAL_ERROR:
    case S3X_ERR_S3_SERVICE_UNAVAILABLE:
    case S3X_ERR_HTTP_RECV:
    case S3X_ERR_HTTP_SEND:
    case S3X_ERR_HTTP_STALL:
        return true;
    default:
        return false;
    }
}

static void s_count_error(struct s_soak *s, int error) {
    for (size_t i = 0; i < 8; ++i) {
        if (s->errors[i] == error || s->errors[i] == 0) {
            s->errors[i] = error;
            s->error_counts[i]++;
            return;
        }
    }
}

static void s_verify_success(struct s_slot *slot, const struct s3x_transfer_result *r) {
    assert_int_equal(r->object_size, slot->size);
    if (slot->kind == K_GET_FILE) {
        s3x_test_assert_pattern_file(slot->path, slot->size, slot->seed);
    } else if (slot->kind == K_GET_WRITE) {
        assert_int_equal(slot->bytes, slot->size);
        assert_int_equal(slot->mismatches, 0);
        assert_int_equal(slot->out_of_order, 0);
    } else if (slot->kind == K_PUT_STREAM) {
        assert_int_equal(slot->pos, slot->size);
    }
}

static void s_finish(struct s_soak *s, struct s_slot *slot) {
    const struct s3x_transfer_result *r = s3x_transfer_result(slot->t);
    assert_non_null(r);
    assert_int_equal(atomic_load(&slot->done_calls), 1);
    struct s3x_transfer_metrics m;
    s3x_transfer_metrics(slot->t, &m);
    s->retries += m.retries;
    struct s_key *key = &s->keys[slot->key];
    bool put = slot->kind == K_PUT_FILE || slot->kind == K_PUT_STREAM;
    if (r->error == 0) {
        s_verify_success(slot, r);
        s->ok[slot->kind]++;
        s->bytes += slot->size;
        if (put) {
            *key = (struct s_key){.state = KEY_KNOWN, .size = slot->size, .seed = slot->seed};
        }
    } else {
        if (r->error == S3X_ERR_CANCELED) {
            s->cancelled++;
            assert_true(slot->cancel_at_ms != 0);
        } else {
            s->failed++;
            s_count_error(s, r->error);
            if (!s->faults || !s_fault_error(r->error)) {
                fail_msg("transfer %d (%s of %llu bytes) failed: %s [server's message: %s]", slot->number,
                    s_kind_names[slot->kind], (unsigned long long)slot->size, r->message, r->s3_message);
            }
        }
        if (slot->kind == K_GET_FILE) {
            assert_int_equal(access(slot->path, F_OK), -1); /* no partial file */
        }
        if (slot->kind == K_GET_WRITE) {
            assert_int_equal(slot->mismatches, 0); /* what was delivered was right */
            assert_int_equal(slot->out_of_order, 0);
        }
        if (put) {
            key->state = KEY_UNKNOWN; /* a single PutObject may or may not have replaced it */
        }
    }
    key->busy = false;
    unlink(slot->path);
    slot->t = s3x_transfer_release(slot->t);
    slot->used = false;
}

/* --- the loop ------------------------------------------------------------------------------------- */

static void s_soak(struct ft_env *e, bool faults, const char *label) {
    struct s_soak s;
    memset(&s, 0, sizeof(s));
    s.e = e;
    s.faults = faults;
    uint64_t seed = s_env_u64("S3X_SOAK_SEED", 1);
    s.rng = seed * 0x9E3779B97F4A7C15ull | 1u;
    const char *small = getenv("S3X_TEST_SMALL");
    int total = (int)s_env_u64("S3X_SOAK_TRANSFERS", small != NULL && strcmp(small, "1") == 0 ? 30 : 100);
    uint64_t t0 = s3x_test_now_ms();
    int finished = 0;
    while (finished < total) {
        bool idle = true;
        for (int i = 0; i < IN_FLIGHT; ++i) {
            struct s_slot *slot = &s.slots[i];
            if (!slot->used) {
                enum s_kind kind;
                int key;
                if (s.started < total && s_pick(&s, &kind, &key)) {
                    s_start(&s, slot, kind, key);
                    idle = false;
                }
                continue;
            }
            uint64_t now = s3x_test_now_ms();
            if (slot->cancel_at_ms != 0 && now >= slot->cancel_at_ms) {
                s3x_transfer_cancel(slot->t); /* idempotent: called again until it completes */
            }
            if (s3x_transfer_result(slot->t) != NULL) {
                s_finish(&s, slot);
                ++finished;
                idle = false;
            } else if (now > slot->deadline_ms) {
                fail_msg("transfer %d (%s of %llu bytes) missed its deadline: a hang", slot->number,
                    s_kind_names[slot->kind], (unsigned long long)slot->size);
            }
        }
        if (idle) {
            usleep(2000);
        }
    }
    uint64_t elapsed = s3x_test_now_ms() - t0;
    struct s3x_pool_stats st = {.struct_size = sizeof(st)};
    assert_int_equal(s3x_pool_stats(s3x_client_pool(e->client), &st), 0);
    size_t uploads = s3x_test_count_multipart_uploads(e->client, e->bucket);
    print_message("  %s: %d transfers (seed %llu) in %.1f s: ok %d file uploads, %d stream uploads, %d file downloads, "
                  "%d ordered downloads; %d cancelled; %d failed; %.1f MiB verified; %llu retries; pool peak %.1f of "
                  "%.1f MiB; %zu multipart uploads left\n",
        label, total, (unsigned long long)seed, (double)elapsed / 1000.0, s.ok[K_PUT_FILE], s.ok[K_PUT_STREAM],
        s.ok[K_GET_FILE], s.ok[K_GET_WRITE], s.cancelled, s.failed, (double)s.bytes / 1048576.0,
        (unsigned long long)s.retries, (double)st.peak_allocated_bytes / 1048576.0, (double)LIMIT / 1048576.0,
        uploads);
    for (size_t i = 0; i < 8 && s.errors[i] != 0; ++i) {
        print_message("    %d x %s\n", s.error_counts[i], s3x_error_name(s.errors[i]));
    }
    assert_int_equal(s.started, total);
    assert_int_equal(s.ok[0] + s.ok[1] + s.ok[2] + s.ok[3] + s.cancelled + s.failed, total);
    assert_int_equal(uploads, 0);
    assert_int_equal(st.live_tickets, 0);
    assert_int_equal(st.pending_count, 0);
    assert_true(st.peak_allocated_bytes <= LIMIT);
    assert_int_equal(s3x_test_dir_entries(e->dir), 0); /* no partial or temporary file */
    if (total >= 20) {
        assert_true(s.ok[K_PUT_FILE] + s.ok[K_PUT_STREAM] > 0 && s.ok[K_GET_FILE] + s.ok[K_GET_WRITE] > 0);
    }
}

static void s_limit_options(struct s3x_client_options *opt) {
    opt->part_size_bytes = FT_PART;
    opt->memory_limit_bytes = LIMIT;
    opt->max_connections = 8;
}

static void test_soak_s3_server(void **state) {
    struct s3x_client_options opt;
    s3x_test_client_options(&opt); /* skips without S3X_TEST_ENDPOINT */
    s_limit_options(&opt);
    struct ft_env e;
    memset(&e, 0, sizeof(e));
    e.a = s3x_test_allocator(state);
    e.client = s3x_test_client_new(e.a, &opt);
    s3x_test_create_bucket(e.client, e.bucket, sizeof(e.bucket));
    s3x_test_temp_dir(e.dir, sizeof(e.dir));
    s_soak(&e, false, "S3 test server");
    s3x_test_rm_rf(e.dir);
    e.client = s3x_client_release(e.client);
}

/* Random faults: each rule fires on a matching request with its probability. Faults that leave
 * the request executed but unanswered are kept to idempotent requests (GetObject, UploadPart,
 * PutObject); CreateMultipartUpload only gets faults that come before it executes (a lost
 * answer to it orphans an upload by S3's own semantics, see test_faults). */
static const char s_random_faults[] =
    "["
    "{\"match\":{\"op\":[\"GetObject\",\"PutObject\",\"UploadPart\",\"CreateMultipartUpload\","
    "\"CompleteMultipartUpload\",\"AbortMultipartUpload\"]},\"probability\":0.04,\"seed\":11,\"fault\":\"slowdown\"},"
    "{\"match\":{\"op\":[\"GetObject\",\"PutObject\",\"UploadPart\",\"CreateMultipartUpload\","
    "\"CompleteMultipartUpload\",\"AbortMultipartUpload\"]},\"probability\":0.03,\"seed\":12,\"fault\":\"internal\"},"
    "{\"match\":{\"op\":[\"GetObject\",\"PutObject\",\"UploadPart\",\"CreateMultipartUpload\","
    "\"CompleteMultipartUpload\",\"AbortMultipartUpload\"]},\"probability\":0.03,\"seed\":13,\"fault\":\"reset\"},"
    "{\"match\":{\"op\":\"GetObject\"},\"probability\":0.04,\"seed\":14,\"fault\":\"reset-mid-body\","
    "\"params\":{\"after\":100000}},"
    "{\"match\":{\"op\":\"GetObject\"},\"probability\":0.03,\"seed\":15,\"fault\":\"short-body\"},"
    "{\"match\":{\"op\":[\"GetObject\",\"UploadPart\"]},\"probability\":0.01,\"seed\":16,\"fault\":\"stall\","
    "\"params\":{\"after\":1000}},"
    "{\"match\":{\"op\":\"UploadPart\"},\"probability\":0.03,\"seed\":17,\"fault\":\"reset-upload\","
    "\"params\":{\"after\":100000}},"
    "{\"match\":{\"op\":[\"UploadPart\",\"PutObject\"]},\"probability\":0.03,\"seed\":18,\"fault\":\"lost-answer\"},"
    "{\"match\":{\"op\":\"CompleteMultipartUpload\"},\"probability\":0.1,\"seed\":19,\"fault\":\"error200\"}"
    "]";

static void test_soak_fault_server(void **state) {
    struct ft_env e;
    ft_env_start(&e, state, false);
    struct s3x_client_options opt;
    ft_client_options(&e, &opt);
    s_limit_options(&opt);
    opt.max_attempts = 4;
    ft_env_client(&e, &opt);
    ft_faults(&e, s_random_faults);
    s_soak(&e, true, "fault server");
    long fired = 0;
    for (int i = 0; i < 9; ++i) {
        fired += ft_rule(&e, i, "fired");
    }
    print_message("    %ld faults injected\n", fired);
    assert_true(fired > 0);
    ft_faults(&e, NULL);
    ft_env_stop(&e);
}

int main(int argc, char **argv) {
    static const struct CMUnitTest tests[] = {
        S3X_TEST(test_soak_s3_server),
        S3X_TEST(test_soak_fault_server),
    };
    return S3X_TEST_MAIN(argc, argv, "soak", tests);
}
