/* Transfers against the fault server's S3 store with faults injected per request (issue 9, point
 * 1): for each scenario a download and/or an upload through the client either recovers within the
 * retry budget with byte-identical data, or fails with the right error once the budget is spent.
 * Every case also checks: on_done fired exactly once, the transfer met its deadline (no hang), the
 * fault rule fired as often as the scenario says (so a case cannot pass without its fault), no
 * partial file, no multipart upload left behind (ListMultipartUploads), and, through the harness,
 * no leaked byte.
 *
 * Objects are 3 parts of 5 MiB (2 x 5 MiB + 7 bytes) unless a case says otherwise; the client
 * makes 3 attempts per request with a 1 ms base delay and a 1 s stall window. Example: "503 on the
 * 2nd GET" downloads parts 0, 1, 2; one of parts 1-2 gets a 503 and its retry succeeds, so the
 * rule matches 4 GETs and fires once. */
#include "fault_test_util.h"

#include <s3xfer/error.h>
#include <s3xfer/log.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OBJ (2 * FT_PART + 7)
#define ZERO_SHA256 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" /* 32 zero bytes, base64 */
#define ONE_PART (FT_PART / 2 + 3)

enum s_kind { K_GET_FILE, K_GET_WRITE, K_PUT_FILE, K_PUT_STREAM };

struct s_case {
    const char *name;
    enum s_kind kind;
    uint64_t size;
    const char *rules; /* JSON; rule 0 is the one counted */
    int error;         /* expected outcome */
    int http_status;   /* of the failure; 0: not checked */
    const char *s3_code; /* of the failure; NULL: not checked */
    long fired;        /* rule 0 fired this often; -1: at least once */
    long matched;      /* rule 0 matched this often; -1: not checked */
    uint32_t stall_window_ms; /* 0: the default of ft_client_options (1 s) */
    size_t uploads_left;      /* multipart uploads expected afterwards */
};

/* --- sources and sinks ---------------------------------------------------------------------------- */

struct s_sink {
    uint32_t seed;
    uint64_t next;
    uint64_t bytes;
    int mismatches;
    int out_of_order;
};

static int s_sink_write(struct s3x_transfer *t, const uint8_t *data, size_t len, uint64_t offset, void *user) {
    (void)t;
    struct s_sink *s = user;
    if (offset != s->next) {
        s->out_of_order++;
    }
    for (size_t i = 0; i < len; ++i) {
        if (data[i] != s3x_test_pattern_byte(offset + i, s->seed)) {
            s->mismatches++;
            break;
        }
    }
    s->next = offset + len;
    s->bytes += len;
    return 0;
}

struct s_source {
    uint32_t seed;
    uint64_t size;
    uint64_t pos;
};

static int s_source_read(struct s3x_transfer *t, uint8_t *buf, size_t cap, size_t *out_len, void *user) {
    (void)t;
    struct s_source *s = user;
    size_t n = cap < 300000 ? cap : 300000; /* partial reads */
    if (n > s->size - s->pos) {
        n = (size_t)(s->size - s->pos);
    }
    for (size_t i = 0; i < n; ++i) {
        buf[i] = s3x_test_pattern_byte(s->pos + i, s->seed);
    }
    s->pos += n;
    *out_len = n;
    return 0;
}

/* --- the case runner --------------------------------------------------------------------------- */

static long s_head_status(struct ft_env *e, const char *key) {
    char path[128];
    snprintf(path, sizeof(path), "/%s/%s", e->bucket, key);
    return s3x_fault_server_request(&e->server, "HEAD", path, NULL, NULL, 0);
}

static void s_check_outcome(struct ft_env *e, const struct s_case *c, const struct ft_outcome *out) {
    assert_int_equal(out->done_calls, 1);
    if (out->error != c->error) {
        fail_msg("%s: expected %s, got %s (%s)", c->name, s3x_error_name(c->error), s3x_error_name(out->error),
            out->message);
    }
    if (c->http_status != 0) {
        assert_int_equal(out->http_status, c->http_status);
    }
    if (c->s3_code != NULL) {
        assert_string_equal(out->s3_code, c->s3_code);
    }
    long fired = ft_rule(e, 0, "fired");
    long matched = ft_rule(e, 0, "matched");
    if (c->fired >= 0 ? fired != c->fired : fired < 1) {
        fail_msg("%s: rule 0 fired %ld times, expected %ld", c->name, fired, c->fired);
    }
    if (c->matched >= 0 && matched != c->matched) {
        char rules[2048] = {0};
        s3x_fault_server_request(&e->server, "GET", "/__faults", NULL, rules, sizeof(rules));
        fail_msg("%s: rule 0 matched %ld requests, expected %ld (%s in %llu ms, %llu requests, %llu retries; %s)",
            c->name, matched, c->matched, s3x_error_name(out->error),
            (unsigned long long)(out->metrics.elapsed_ns / 1000000u), (unsigned long long)out->metrics.requests,
            (unsigned long long)out->metrics.retries, rules);
    }
    print_message("  %-60s %-34s %5llu ms; rule 0 fired %ld/%ld\n", c->name, s3x_error_name(out->error),
        (unsigned long long)(out->metrics.elapsed_ns / 1000000u), fired, matched);
}

static void s_run_get(struct ft_env *e, const struct s_case *c, const char *key, uint32_t seed) {
    ft_put_pattern(e, key, c->size, seed);
    ft_faults(e, c->rules);
    struct s3x_transfer_options o;
    char dst[128];
    snprintf(dst, sizeof(dst), "%s/dst", e->dir);
    ft_get_file_options(e, &o, key, dst);
    struct s_sink sink = {.seed = seed};
    if (c->kind == K_GET_WRITE) {
        o.file_path = NULL;
        o.write = s_sink_write;
        o.user_data = &sink;
    }
    struct ft_outcome out;
    ft_run(e, &o, 60000, &out);
    s_check_outcome(e, c, &out);
    if (c->kind == K_GET_WRITE) {
        assert_int_equal(sink.out_of_order, 0);
        assert_int_equal(sink.mismatches, 0); /* every delivered byte is right, even on failure */
        if (c->error == 0) {
            assert_int_equal(sink.bytes, c->size);
        } else if (c->error == S3X_ERR_TRANSFER_CHECKSUM_MISMATCH && c->size <= FT_PART) {
            assert_int_equal(sink.bytes, 0); /* nothing unverified reached the consumer */
        } else if (c->error == S3X_ERR_TRANSFER_CHECKSUM_MISMATCH) {
            assert_int_equal(sink.bytes, c->size); /* in parts: checked once all went out */
        }
    } else if (c->error == 0) {
        assert_int_equal(out.object_size, c->size);
        s3x_test_assert_pattern_file(dst, c->size, seed);
        unlink(dst);
    }
    assert_int_equal(s3x_test_dir_entries(e->dir), 0); /* no partial or temporary file */
}

static void s_run_put(struct ft_env *e, const struct s_case *c, const char *key, uint32_t seed) {
    char src[128];
    snprintf(src, sizeof(src), "%s/src", e->dir);
    struct s_source source = {.seed = seed, .size = c->size};
    struct s3x_transfer_options o;
    ft_put_file_options(e, &o, key, src);
    if (c->kind == K_PUT_STREAM) {
        o.file_path = NULL;
        o.read = s_source_read;
        o.user_data = &source;
    } else {
        s3x_test_write_pattern_file(src, c->size, seed);
    }
    ft_faults(e, c->rules);
    struct ft_outcome out;
    ft_run(e, &o, 60000, &out);
    s_check_outcome(e, c, &out);
    ft_faults(e, NULL);
    unlink(src);
    if (c->error == 0) {
        char expected[80];
        char stored[80];
        ft_expected_etag(c->size, seed, c->size > FT_PART ? FT_PART : 0, expected, sizeof(expected));
        assert_string_equal(out.etag, expected); /* S3's ETag, as the server computed it */
        ft_assert_object(e, key, c->size, seed, stored, sizeof(stored));
        assert_string_equal(stored, expected);
    } else {
        assert_int_equal(s_head_status(e, key), 404); /* a failed upload creates no object */
    }
}

static void s_run_cases(void **state, const struct s_case *cases, size_t count) {
    struct ft_env e;
    ft_env_start(&e, state, false);
    for (size_t i = 0; i < count; ++i) {
        const struct s_case *c = &cases[i];
        struct s3x_client_options opt;
        ft_client_options(&e, &opt);
        if (c->stall_window_ms != 0) {
            opt.stall_window_ms = c->stall_window_ms;
        }
        ft_env_client(&e, &opt);
        char key[32];
        snprintf(key, sizeof(key), "case-%zu", i);
        uint32_t seed = (uint32_t)(1000 + i);
        if (c->kind == K_GET_FILE || c->kind == K_GET_WRITE) {
            s_run_get(&e, c, key, seed);
        } else {
            s_run_put(&e, c, key, seed);
        }
        ft_faults(&e, NULL);
        assert_int_equal(ft_uploads(&e), c->uploads_left);
        if (s_head_status(&e, key) == 200) {
            ft_delete(&e, key); /* keeps the server's memory small */
        }
    }
    ft_env_stop(&e);
}

#define RULE(op, extra, fault) "[{\"match\":{\"op\":\"" op "\"}" extra ",\"fault\":\"" fault "\"}]"
#define RULEP(op, extra, fault, params)                                                            \
    "[{\"match\":{\"op\":\"" op "\"}" extra ",\"fault\":\"" fault "\",\"params\":" params "}]"

/* --- downloads ----------------------------------------------------------------------------------- */

/* 503 SlowDown, 500 InternalError: retried; after the budget the S3 error with its status. */
static void test_get_server_errors(void **state) {
    static const struct s_case cases[] = {
        {"GET: 503 SlowDown on the 2nd GET", K_GET_FILE, OBJ, RULE("GetObject", ",\"nth\":2", "slowdown"), 0, 0,
            NULL, 1, 4, 0, 0},
        {"GET: 503 SlowDown on every GET", K_GET_FILE, OBJ, RULE("GetObject", "", "slowdown"), S3X_ERR_S3_SLOW_DOWN,
            503, "SlowDown", 3, 3, 0, 0},
        {"GET: 500 InternalError twice on part 1", K_GET_FILE, OBJ, RULE("GetObject", ",\"nth\":[1,2]", "internal"), 0,
            0, NULL, 2, 5, 0, 0},
        {"GET: 500 InternalError on every GET", K_GET_WRITE, OBJ, RULE("GetObject", "", "internal"),
            S3X_ERR_S3_INTERNAL_ERROR, 500, "InternalError", 3, 3, 0, 0},
        {"GET: 403 AccessDenied is not retried", K_GET_FILE, OBJ, RULE("GetObject", ",\"nth\":2", "denied"),
            S3X_ERR_S3_ACCESS_DENIED, 403, "AccessDenied", 1, -1, 0, 0},
    };
    s_run_cases(state, cases, sizeof(cases) / sizeof(cases[0]));
}

/* Connection resets before the headers and in the middle of the body, bodies shorter than their
 * Content-Length. curl may resend a request once by itself when a reused connection dies before
 * any answer, so "reset" cases count firings, not matches. */
static void test_get_connection_faults(void **state) {
    static const struct s_case cases[] = {
        {"GET: reset before the headers of the 2nd GET", K_GET_FILE, OBJ, RULE("GetObject", ",\"nth\":2", "reset"), 0,
            0, NULL, 1, -1, 0, 0},
        {"GET: reset before the headers, every GET", K_GET_FILE, OBJ, RULE("GetObject", "", "reset"),
            S3X_ERR_HTTP_RECV, 0, NULL, -1, -1, 0, 0},
        {"GET: reset after 1 MB of the 2nd GET's body", K_GET_FILE, OBJ,
            RULEP("GetObject", ",\"nth\":2", "reset-mid-body", "{\"after\":1000000}"), 0, 0, NULL, 1, 4, 0, 0},
        {"GET (ordered callback): reset mid-body of the 1st GET", K_GET_WRITE, OBJ,
            RULEP("GetObject", ",\"nth\":1", "reset-mid-body", "{\"after\":3000000}"), 0, 0, NULL, 1, 4, 0, 0},
        {"GET: reset mid-body, every GET", K_GET_FILE, OBJ,
            RULEP("GetObject", "", "reset-mid-body", "{\"after\":1000}"), S3X_ERR_HTTP_RECV, 0, NULL, 3, 3, 0, 0},
        {"GET: body shorter than Content-Length, GETs 1 and 3", K_GET_FILE, OBJ,
            RULE("GetObject", ",\"nth\":[1,3]", "short-body"), 0, 0, NULL, 2, 5, 0, 0},
        {"GET: body shorter than Content-Length, every GET", K_GET_WRITE, OBJ, RULE("GetObject", "", "short-body"),
            S3X_ERR_HTTP_RECV, 0, NULL, 3, 3, 0, 0},
    };
    s_run_cases(state, cases, sizeof(cases) / sizeof(cases[0]));
}

/* Stalls: headers then silence, and a slow drip at ~1 KB/s. With a short stall window a stalled
 * GET is abandoned (within one to two windows: the headers count as progress in the first) and
 * retried; a drip that still moves bytes within every window is slow but progressing; a drip
 * with a gap longer than the window is a stall. */
static void test_get_stalls(void **state) {
    static const struct s_case cases[] = {
        {"GET: stall after 100 kB of the 2nd GET", K_GET_FILE, OBJ,
            RULEP("GetObject", ",\"nth\":2", "stall", "{\"after\":100000}"), 0, 0, NULL, 1, 4, 500, 0},
        {"GET: headers then silence, every GET", K_GET_FILE, OBJ, RULE("GetObject", "", "stall"), S3X_ERR_HTTP_STALL,
            206, NULL, 3, 3, 500, 0},
        {"GET: 1 KB/s drip of 3 KB, 2.5 s window: slow, progressing", K_GET_FILE, OBJ,
            RULEP("GetObject", ",\"nth\":1", "drip", "{\"chunk\":1024,\"interval_ms\":1000,\"bytes\":3072}"), 0, 0, NULL,
            1, 3, 2500, 0},
        {"GET: 1 KB/s drip, 0.5 s window: a stall", K_GET_WRITE, OBJ,
            RULEP("GetObject", "", "drip", "{\"chunk\":1024,\"interval_ms\":1000}"), S3X_ERR_HTTP_STALL, 206, NULL, 3, 3,
            500, 0},
    };
    s_run_cases(state, cases, sizeof(cases) / sizeof(cases[0]));
}

/* The object is replaced after the first GET: the later parts carry If-Match with the first
 * part's ETag and get 412, so the download fails instead of mixing two versions. (A 2-part object
 * for the last case: its GETs are sequential, so "after the last part" is well defined.) */
static void test_get_object_changed(void **state) {
    static const struct s_case cases[] = {
        {"GET: object replaced after the 1st part (412 on If-Match)", K_GET_FILE, OBJ,
            RULE("GetObject", ",\"nth\":1", "replace"), S3X_ERR_TRANSFER_OBJECT_CHANGED, 412, "PreconditionFailed", 1, -1,
            0, 0},
        {"GET (ordered callback): object replaced after the 1st part", K_GET_WRITE, OBJ,
            RULE("GetObject", ",\"nth\":1", "replace"), S3X_ERR_TRANSFER_OBJECT_CHANGED, 412, "PreconditionFailed", 1, -1,
            0, 0},
        {"GET: 2-part object replaced after its last part: not a change", K_GET_FILE, FT_PART + 7,
            RULE("GetObject", ",\"nth\":2", "replace"), 0, 0, NULL, 1, 2, 0, 0},
    };
    s_run_cases(state, cases, sizeof(cases) / sizeof(cases[0]));
}

/* --- checksums ----------------------------------------------------------------------------------- */

static atomic_int s_verified; /* DEBUG messages of get.c saying the bytes matched their checksum */

static void s_count_verified(enum s3x_log_level level, const char *subsystem, const char *message, void *user) {
    (void)level;
    (void)user;
    if (strcmp(subsystem, "get") == 0 && strstr(message, "match their x-amz-checksum-") != NULL) {
        atomic_fetch_add(&s_verified, 1);
    }
}

/* A whole-object answer carrying a full-object x-amz-checksum-* is checked before any byte is
 * delivered. The server keeps the CRC32C the client sent with PutObject and returns it for
 * x-amz-checksum-mode: ENABLED; the "checksum" fault replaces it with a wrong one. Not retried:
 * the server sends the same checksum again. Parts of larger objects carry no checksum in S3 (a
 * partial range): a header there is not looked at; the object's FULL_OBJECT CRC32C (the upload
 * sent it at Complete) comes from HeadObject, each part's CRC is taken as it is written and the
 * folded value is compared at the end: a wrong one from HeadObject fails the download (no file;
 * to a callback the bytes went out, the error comes at the end); a HeadObject that fails leaves
 * the download unchecked but done. A server that ignores Range answers 200 with the whole
 * object: checked too when it fits one part, refused (HTTP_PROTOCOL) when not. */
static void test_get_checksums(void **state) {
    static const struct s_case cases[] = {
        {"GET: one-part object, right CRC32C: verified", K_GET_FILE, ONE_PART,
            RULE("GetObject", ",\"nth\":99", "checksum"), 0, 0, NULL, 0, 1, 0, 0},
        {"GET: one-part object, wrong CRC32C", K_GET_FILE, ONE_PART, RULE("GetObject", "", "checksum"),
            S3X_ERR_TRANSFER_CHECKSUM_MISMATCH, 0, NULL, 1, 1, 0, 0},
        {"GET (ordered callback): wrong CRC32C, nothing delivered", K_GET_WRITE, ONE_PART,
            RULE("GetObject", "", "checksum"), S3X_ERR_TRANSFER_CHECKSUM_MISMATCH, 0, NULL, 1, 1, 0, 0},
        {"GET: unreadable CRC32C header", K_GET_FILE, ONE_PART,
            RULEP("GetObject", "", "checksum", "{\"value\":\"not base64!\"}"), S3X_ERR_TRANSFER_CHECKSUM_MISMATCH, 0,
            NULL, 1, 1, 0, 0},
        {"GET: wrong SHA256 header", K_GET_FILE, ONE_PART,
            RULEP("GetObject", "", "checksum", "{\"alg\":\"sha256\",\"value\":\"" ZERO_SHA256 "\"}"),
            S3X_ERR_TRANSFER_CHECKSUM_MISMATCH, 0, NULL, 1, 1, 0, 0},
        {"GET: wrong checksum on a 3-part object's parts: ignored, HeadObject's verified", K_GET_FILE, OBJ,
            RULE("GetObject", "", "checksum"), 0, 0, NULL, 3, 3, 0, 0},
        {"GET: 3-part object, wrong CRC32C from HeadObject", K_GET_FILE, OBJ, RULE("HeadObject", "", "checksum"),
            S3X_ERR_TRANSFER_CHECKSUM_MISMATCH, 0, NULL, 1, 1, 0, 0},
        {"GET (ordered callback): 3-part object, wrong CRC32C from HeadObject", K_GET_WRITE, OBJ,
            RULE("HeadObject", "", "checksum"), S3X_ERR_TRANSFER_CHECKSUM_MISMATCH, 0, NULL, 1, 1, 0, 0},
        {"GET: 3-part object, unreadable CRC32C from HeadObject", K_GET_WRITE, OBJ,
            RULEP("HeadObject", "", "checksum", "{\"value\":\"not base64!\"}"), S3X_ERR_TRANSFER_CHECKSUM_MISMATCH, 0,
            NULL, 1, 1, 0, 0},
        {"GET: 3-part object, HeadObject fails every time: unchecked, done", K_GET_FILE, OBJ,
            RULE("HeadObject", "", "internal"), 0, 0, NULL, 3, 3, 0, 0},
        {"GET: Range ignored (200, whole object), right CRC32C: verified", K_GET_WRITE, ONE_PART,
            RULE("GetObject", "", "ignore-range"), 0, 0, NULL, 1, 1, 0, 0},
        {"GET: Range ignored on a 3-part object: refused, not retried", K_GET_FILE, OBJ,
            RULE("GetObject", "", "ignore-range"), S3X_ERR_HTTP_PROTOCOL, 0, NULL, 1, 1, 0, 0},
    };
    atomic_store(&s_verified, 0);
    s3x_log_set_sink(s_count_verified, NULL, S3X_LOG_DEBUG);
    s_run_cases(state, cases, sizeof(cases) / sizeof(cases[0]));
    s3x_log_set_sink(NULL, NULL, S3X_LOG_NONE);
    /* the first case (206 covering the object), the 3-part object through HeadObject and the 200
     * of the server that ignores Range */
    assert_int_equal(atomic_load(&s_verified), 3);
}

/* --- uploads ------------------------------------------------------------------------------------- */

static void test_put_server_errors(void **state) {
    static const struct s_case cases[] = {
        {"PUT: 503 SlowDown on the 2nd UploadPart", K_PUT_FILE, OBJ, RULE("UploadPart", ",\"nth\":2", "slowdown"), 0, 0,
            NULL, 1, 4, 0, 0},
        {"PUT: 503 SlowDown on every UploadPart: aborted", K_PUT_FILE, OBJ, RULE("UploadPart", "", "slowdown"),
            S3X_ERR_S3_SLOW_DOWN, 503, "SlowDown", -1, -1, 0, 0},
        {"PUT: 500 on CreateMultipartUpload once", K_PUT_FILE, OBJ,
            RULE("CreateMultipartUpload", ",\"nth\":1", "internal"), 0, 0, NULL, 1, 2, 0, 0},
        {"PUT: 500 on every CreateMultipartUpload", K_PUT_FILE, OBJ, RULE("CreateMultipartUpload", "", "internal"),
            S3X_ERR_S3_INTERNAL_ERROR, 500, "InternalError", 3, 3, 0, 0},
        {"PUT: 500 on CompleteMultipartUpload twice", K_PUT_FILE, OBJ,
            RULE("CompleteMultipartUpload", ",\"times\":2", "internal"), 0, 0, NULL, 2, 3, 0, 0},
        {"PUT: 500 on every CompleteMultipartUpload: aborted", K_PUT_FILE, OBJ,
            RULE("CompleteMultipartUpload", "", "internal"), S3X_ERR_S3_INTERNAL_ERROR, 500, "InternalError", 3, 3, 0, 0},
        {"PUT: one-part PutObject 503 once", K_PUT_FILE, ONE_PART, RULE("PutObject", ",\"nth\":1", "slowdown"), 0, 0,
            NULL, 1, 2, 0, 0},
        {"PUT (stream): 500 on the 3rd UploadPart", K_PUT_STREAM, OBJ, RULE("UploadPart", ",\"nth\":3", "internal"), 0,
            0, NULL, 1, 4, 0, 0},
    };
    s_run_cases(state, cases, sizeof(cases) / sizeof(cases[0]));
}

/* A 200 to CompleteMultipartUpload whose body is an <Error>: InternalError is retried,
 * InvalidPart is not (and the upload is aborted). */
static void test_put_complete_error_in_200(void **state) {
    static const struct s_case cases[] = {
        {"PUT: Complete 200 + <Error>InternalError once", K_PUT_FILE, OBJ,
            RULE("CompleteMultipartUpload", ",\"nth\":1", "error200"), 0, 0, NULL, 1, 2, 0, 0},
        {"PUT: Complete 200 + <Error>InternalError always", K_PUT_FILE, OBJ,
            RULE("CompleteMultipartUpload", "", "error200"), S3X_ERR_S3_INTERNAL_ERROR, 200, "InternalError", 3, 3, 0,
            0},
        {"PUT: Complete 200 + <Error>InvalidPart: not retried, aborted", K_PUT_FILE, OBJ,
            RULEP("CompleteMultipartUpload", "", "error200", "{\"code\":\"InvalidPart\"}"), S3X_ERR_S3_INVALID_PART, 200,
            "InvalidPart", 1, 1, 0, 0},
        {"PUT (stream): Complete 200 + <Error>InvalidPart", K_PUT_STREAM, OBJ,
            RULEP("CompleteMultipartUpload", "", "error200", "{\"code\":\"InvalidPart\"}"), S3X_ERR_S3_INVALID_PART, 200,
            "InvalidPart", 1, 1, 0, 0},
    };
    s_run_cases(state, cases, sizeof(cases) / sizeof(cases[0]));
}

/* Resets and stalls while a part body is on its way, and answers cut after the server stored the
 * part (UploadPart and PutObject are idempotent: the retry overwrites). */
static void test_put_connection_faults(void **state) {
    static const struct s_case cases[] = {
        {"PUT: reset before the answer of the 2nd UploadPart", K_PUT_FILE, OBJ, RULE("UploadPart", ",\"nth\":2", "reset"),
            0, 0, NULL, 1, -1, 0, 0},
        {"PUT: reset after 1 MB of the 2nd part's body", K_PUT_FILE, OBJ,
            RULEP("UploadPart", ",\"nth\":2", "reset-upload", "{\"after\":1000000}"), 0, 0, NULL, 1, -1, 0, 0},
        {"PUT: server stops reading after 1 MB (stall)", K_PUT_FILE, OBJ,
            RULEP("UploadPart", ",\"nth\":1", "stall-upload", "{\"after\":1000000}"), 0, 0, NULL, 1, 4, 0, 0},
        {"PUT: UploadPart stored, its answer lost (reset)", K_PUT_FILE, OBJ,
            RULE("UploadPart", ",\"nth\":1", "lost-answer"), 0, 0, NULL, 1, -1, 0, 0},
        {"PUT: PutObject stored, its answer lost (reset)", K_PUT_FILE, ONE_PART,
            RULE("PutObject", ",\"nth\":1", "lost-answer"), 0, 0, NULL, 1, -1, 0, 0},
        {"PUT: Complete done, its answer lost: the retry succeeds", K_PUT_FILE, OBJ,
            RULE("CompleteMultipartUpload", ",\"nth\":1", "lost-answer"), 0, 0, NULL, 1, -1, 0, 0},
        {"PUT: reset before any answer, every UploadPart: aborted", K_PUT_FILE, OBJ, RULE("UploadPart", "", "reset"),
            S3X_ERR_HTTP_RECV, 0, NULL, -1, -1, 0, 0},
        {"PUT: reset before the answer of CreateMultipartUpload", K_PUT_FILE, OBJ,
            RULE("CreateMultipartUpload", ",\"nth\":1", "reset"), 0, 0, NULL, 1, -1, 0, 0},
        {"PUT: reset before the answer of CompleteMultipartUpload", K_PUT_FILE, OBJ,
            RULE("CompleteMultipartUpload", ",\"nth\":1", "reset"), 0, 0, NULL, 1, -1, 0, 0},
        {"PUT (stream): silence instead of PutObject's answer", K_PUT_STREAM, ONE_PART,
            RULE("PutObject", ",\"nth\":1", "stall"), 0, 0, NULL, 1, 2, 0, 0},
    };
    s_run_cases(state, cases, sizeof(cases) / sizeof(cases[0]));
}

/* The checksums the client sends are right: this server verifies CRC32, SHA1 and SHA256 bodies
 * (BadDigest otherwise), for PutObject and every UploadPart. */
static void test_put_checksums_verified_by_server(void **state) {
    struct ft_env e;
    ft_env_start(&e, state, false);
    static const enum s3x_checksum_algorithm algs[] = {S3X_CHECKSUM_CRC32, S3X_CHECKSUM_SHA1, S3X_CHECKSUM_SHA256};
    static const uint64_t sizes[] = {ONE_PART, OBJ};
    for (size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); ++a) {
        struct s3x_client_options opt;
        ft_client_options(&e, &opt);
        opt.checksum = algs[a];
        ft_env_client(&e, &opt);
        for (size_t s = 0; s < 2; ++s) {
            uint32_t seed = (uint32_t)(50 + a * 2 + s);
            ft_put_pattern(&e, "checked", sizes[s], seed);
            ft_assert_object(&e, "checked", sizes[s], seed, NULL, 0);
        }
    }
    /* FULL_OBJECT checksums: a multipart upload sends the object's CRC, combined from its parts'
     * (the server verifies CRC32 at Complete); the download in parts folds the parts' CRCs and
     * compares them with HeadObject's; a client whose part covers the whole object then downloads
     * it in one answer carrying that CRC. Both verify, for every CRC (6 "match" messages). */
    atomic_store(&s_verified, 0);
    s3x_log_set_sink(s_count_verified, NULL, S3X_LOG_DEBUG);
    static const enum s3x_checksum_algorithm crcs[] = {S3X_CHECKSUM_CRC32, S3X_CHECKSUM_CRC32C,
        S3X_CHECKSUM_CRC64NVME};
    for (size_t a = 0; a < sizeof(crcs) / sizeof(crcs[0]); ++a) {
        struct s3x_client_options opt;
        ft_client_options(&e, &opt);
        opt.checksum = crcs[a];
        ft_env_client(&e, &opt);
        uint32_t seed = (uint32_t)(80 + a);
        ft_put_pattern(&e, "full-object", OBJ, seed);
        ft_assert_object(&e, "full-object", OBJ, seed, NULL, 0);
        opt.part_size_bytes = 64 * 1024 * 1024;
        opt.memory_limit_bytes = 64 * 1024 * 1024;
        ft_env_client(&e, &opt);
        ft_assert_object(&e, "full-object", OBJ, seed, NULL, 0);
    }
    s3x_log_set_sink(NULL, NULL, S3X_LOG_NONE);
    assert_int_equal(atomic_load(&s_verified), 6);
    ft_env_stop(&e);
}

/* Uploads the client cannot clean up, and says so (WARN log): an AbortMultipartUpload that fails
 * too (the transfer reports the UploadPart failure, not the abort's), and a
 * CreateMultipartUpload executed whose answer was lost (not idempotent: the retry starts a second
 * upload; the first one is unknown to the client). Counts are cumulative. */
static void test_put_uploads_left_behind(void **state) {
    static const struct s_case cases[] = {
        {"PUT: every UploadPart and AbortMultipartUpload 500", K_PUT_FILE, OBJ,
            "[{\"match\":{\"op\":\"UploadPart\"},\"fault\":\"internal\"},"
            "{\"match\":{\"op\":\"AbortMultipartUpload\"},\"fault\":\"internal\"}]",
            S3X_ERR_S3_INTERNAL_ERROR, 500, "InternalError", -1, -1, 0, 1},
        {"PUT: CreateMultipartUpload done, its answer lost", K_PUT_FILE, OBJ,
            RULE("CreateMultipartUpload", ",\"nth\":1", "lost-answer"), 0, 0, NULL, 1, -1, 0, 2},
    };
    s_run_cases(state, cases, sizeof(cases) / sizeof(cases[0]));
}

/* --- pause and resume through ListParts pages ------------------------------------------------- */

struct s_pauser {
    atomic_int calls;
};

/* After 3 of 8 parts: at most 4 more are in flight (2 connections + 2), so some are left. */
static void s_pause_after_3(struct s3x_transfer *t, uint64_t done, uint64_t total, void *user) {
    (void)total;
    struct s_pauser *p = user;
    if (done >= 3 * FT_PART && atomic_fetch_add(&p->calls, 1) == 0) {
        assert_int_equal(s3x_transfer_pause(t), 0);
    }
}

/* A paused upload of 8 parts resumes while the server answers ListParts 2 parts at a time (and
 * once with a 503): every page is read, the parts the token names are skipped, the rest sent, and
 * the object is the file (its multipart ETag proves the part layout). */
static void test_put_resume_across_list_pages(void **state) {
    struct ft_env e;
    ft_env_start(&e, state, false);
    struct s3x_client_options opt;
    ft_client_options(&e, &opt);
    opt.max_connections = 2;
    ft_env_client(&e, &opt);
    char src[128];
    snprintf(src, sizeof(src), "%s/src", e.dir);
    uint64_t size = 8 * FT_PART - 5;
    s3x_test_write_pattern_file(src, size, 91);

    struct s_pauser pauser = {0};
    struct s3x_transfer_options o;
    ft_put_file_options(&e, &o, "paged", src);
    o.on_progress = s_pause_after_3;
    o.user_data = &pauser;
    struct s3x_transfer *t = NULL;
    assert_int_equal(s3x_transfer_start(e.client, &o, &t), 0);
    assert_int_equal(s3x_transfer_wait(t, 60000), 0);
    assert_int_equal(s3x_transfer_result(t)->error, S3X_ERR_TRANSFER_PAUSED);
    struct s3x_transfer_metrics m;
    s3x_transfer_metrics(t, &m);
    char *token = strdup(s3x_transfer_resume_token(t));
    t = s3x_transfer_release(t);
    uint64_t done = m.parts_done;
    assert_true(done >= 3 && done < 8);
    assert_int_equal(ft_uploads(&e), 1);

    /* rule 0 (the 503) comes first: on the request both match, the first rule wins */
    ft_faults(&e, "[{\"match\":{\"op\":\"ListParts\"},\"nth\":2,\"fault\":\"slowdown\"},"
                  "{\"match\":{\"op\":\"ListParts\"},\"fault\":\"short-page\",\"params\":{\"size\":2}}]");
    ft_put_file_options(&e, &o, "paged", src);
    o.resume_token = token;
    struct ft_outcome out;
    ft_run(&e, &o, 60000, &out);
    assert_int_equal(out.done_calls, 1);
    if (out.error != 0) {
        fail_msg("resume failed: %s", out.message);
    }
    assert_int_equal(out.metrics.parts_skipped, done);
    assert_int_equal(out.metrics.parts_done, 8);
    /* pages of 2: ceil(done / 2) pages, one of them asked twice (the 503) */
    long pages = (long)((done + 1) / 2);
    assert_int_equal(ft_rule(&e, 0, "fired"), 1);
    assert_int_equal(ft_rule(&e, 1, "matched"), pages + 1);
    assert_int_equal(ft_rule(&e, 1, "fired"), pages);
    /* ListParts pages + the retry + the missing parts + Complete */
    assert_int_equal(out.metrics.requests, (uint64_t)pages + 1 + (8 - done) + 1);
    ft_faults(&e, NULL);
    char etag[80];
    char expected[80];
    ft_assert_object(&e, "paged", size, 91, etag, sizeof(etag));
    ft_expected_etag(size, 91, FT_PART, expected, sizeof(expected));
    assert_string_equal(etag, expected);
    assert_int_equal(ft_uploads(&e), 0);
    free(token);
    ft_env_stop(&e);
}

int main(int argc, char **argv) {
    static const struct CMUnitTest tests[] = {
        S3X_TEST(test_get_server_errors),
        S3X_TEST(test_get_connection_faults),
        S3X_TEST(test_get_stalls),
        S3X_TEST(test_get_object_changed),
        S3X_TEST(test_get_checksums),
        S3X_TEST(test_put_server_errors),
        S3X_TEST(test_put_complete_error_in_200),
        S3X_TEST(test_put_connection_faults),
        S3X_TEST(test_put_checksums_verified_by_server),
        S3X_TEST(test_put_uploads_left_behind),
        S3X_TEST(test_put_resume_across_list_pages),
    };
    return S3X_TEST_MAIN(argc, argv, "faults", tests);
}
