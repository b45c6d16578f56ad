/* libFuzzer target: S3 XML response bodies through every response parser.
 *
 * Input: byte 0 picks where the body is split for incremental parsing (split = byte0 * len / 255),
 * the rest is the body. For each expected kind (NONE and every document) the body is parsed in one
 * shot and in two feeds; the two must agree exactly (same result code, same fields: a digest of
 * every string and number). Also checked:
 *   - the root sniffed without parsing agrees with the parser about <Error>;
 *   - the error record of a failed response builds from any body;
 *   - a ListParts result written back as a CompleteMultipartUpload body parses and returns the
 *     same ETags;
 *   - one parse under a fail-the-Nth allocator (N from the input) ends in success, S3X_ERR_OOM or
 *     S3X_ERR_PARSE with nothing left allocated.
 * Any disagreement traps. */
#include "common/common.h"
#include "s3/complete_body.h"
#include "s3/responses.h"
#include "s3/s3_error.h"
#include "s3/xml.h"

#include <s3xfer/allocator.h>
#include <s3xfer/error.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define S_CHECK(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (0)

/* --- digest of a parsed response (FNV-1a over every field) -------------------------------------- */

static uint64_t s_mix(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; ++i) {
        h = (h ^ b[i]) * UINT64_C(0x100000001b3);
    }
    return h;
}

static uint64_t s_str(uint64_t h, const char *s) {
    return s == NULL ? s_mix(h, "\xff", 1) : s_mix(h, s, strlen(s) + 1);
}

static uint64_t s_num(uint64_t h, uint64_t v) {
    return s_mix(h, &v, sizeof(v));
}

static uint64_t s_sums(uint64_t h, const struct s3x_s3_checksums *c) {
    h = s_str(h, c->crc32);
    h = s_str(h, c->crc32c);
    h = s_str(h, c->crc64nvme);
    h = s_str(h, c->sha1);
    h = s_str(h, c->sha256);
    return s_str(h, c->type);
}

static uint64_t s_prefixes(uint64_t h, const struct s3x_s3_common_prefix *p, size_t n) {
    h = s_num(h, n);
    for (size_t i = 0; i < n; ++i) {
        h = s_str(h, p[i].prefix);
    }
    return h;
}

static uint64_t s_digest_lists(uint64_t h, const struct s3x_s3_response *r) {
    switch (r->kind) {
    case S3X_S3_RESPONSE_LIST_OBJECTS_V2: {
        const struct s3x_s3_list_objects_v2 *l = &r->u.list_objects_v2;
        const char *s[] = {l->name, l->prefix, l->delimiter, l->continuation_token, l->next_continuation_token,
            l->start_after, l->encoding_type};
        for (size_t i = 0; i < S3X_ARRAY_LEN(s); ++i) {
            h = s_str(h, s[i]);
        }
        h = s_num(s_num(s_num(h, l->key_count), l->max_keys), l->is_truncated);
        h = s_num(h, l->contents_count);
        for (size_t i = 0; i < l->contents_count; ++i) {
            const struct s3x_s3_object *o = &l->contents[i];
            h = s_str(s_str(s_str(h, o->key), o->etag), o->last_modified_raw);
            h = s_str(s_str(s_str(h, o->storage_class), o->checksum_algorithm), o->checksum_type);
            h = s_num(s_num(h, o->size), (uint64_t)o->last_modified);
        }
        return s_prefixes(h, l->common_prefixes, l->common_prefixes_count);
    }
    case S3X_S3_RESPONSE_LIST_PARTS: {
        const struct s3x_s3_list_parts *l = &r->u.list_parts;
        h = s_str(s_str(s_str(h, l->bucket), l->key), l->upload_id);
        h = s_str(s_str(s_str(h, l->storage_class), l->checksum_algorithm), l->checksum_type);
        h = s_num(s_num(s_num(h, l->part_number_marker), l->next_part_number_marker), l->max_parts);
        h = s_num(s_num(h, l->is_truncated), l->parts_count);
        for (size_t i = 0; i < l->parts_count; ++i) {
            const struct s3x_s3_part *p = &l->parts[i];
            h = s_num(s_num(s_num(h, p->part_number), p->size), (uint64_t)p->last_modified);
            h = s_sums(s_str(s_str(h, p->etag), p->last_modified_raw), &p->checksums);
        }
        return h;
    }
    case S3X_S3_RESPONSE_LIST_MULTIPART_UPLOADS: {
        const struct s3x_s3_list_multipart_uploads *l = &r->u.list_uploads;
        const char *s[] = {l->bucket, l->key_marker, l->upload_id_marker, l->next_key_marker, l->next_upload_id_marker,
            l->prefix, l->delimiter, l->encoding_type};
        for (size_t i = 0; i < S3X_ARRAY_LEN(s); ++i) {
            h = s_str(h, s[i]);
        }
        h = s_num(s_num(s_num(h, l->max_uploads), l->is_truncated), l->uploads_count);
        for (size_t i = 0; i < l->uploads_count; ++i) {
            const struct s3x_s3_upload *u = &l->uploads[i];
            h = s_str(s_str(s_str(h, u->key), u->upload_id), u->initiated_raw);
            h = s_str(s_str(s_num(h, (uint64_t)u->initiated), u->storage_class), u->checksum_algorithm);
        }
        return s_prefixes(h, l->common_prefixes, l->common_prefixes_count);
    }
    case S3X_S3_RESPONSE_LIST_BUCKETS: {
        const struct s3x_s3_list_buckets *l = &r->u.list_buckets;
        h = s_num(s_str(s_str(h, l->continuation_token), l->prefix), l->buckets_count);
        for (size_t i = 0; i < l->buckets_count; ++i) {
            const struct s3x_s3_bucket *b = &l->buckets[i];
            h = s_str(s_str(s_str(h, b->name), b->creation_date_raw), b->region);
            h = s_num(h, (uint64_t)b->creation_date);
        }
        return h;
    }
    default: return h;
    }
}

static uint64_t s_digest(const struct s3x_s3_response *r) {
    uint64_t h = s_num(UINT64_C(0xcbf29ce484222325), (uint64_t)r->kind);
    switch (r->kind) {
    case S3X_S3_RESPONSE_ERROR: {
        const struct s3x_s3_error_doc *e = &r->u.error;
        const char *s[] = {e->code, e->message, e->request_id, e->host_id, e->resource, e->key, e->bucket_name,
            e->region, e->endpoint};
        for (size_t i = 0; i < S3X_ARRAY_LEN(s); ++i) {
            h = s_str(h, s[i]);
        }
        return h;
    }
    case S3X_S3_RESPONSE_INITIATE_MULTIPART_UPLOAD:
        return s_str(s_str(s_str(h, r->u.initiate.bucket), r->u.initiate.key), r->u.initiate.upload_id);
    case S3X_S3_RESPONSE_COMPLETE_MULTIPART_UPLOAD: {
        const struct s3x_s3_complete_multipart_upload *c = &r->u.complete;
        h = s_str(s_str(s_str(s_str(h, c->location), c->bucket), c->key), c->etag);
        return s_sums(h, &c->checksums);
    }
    case S3X_S3_RESPONSE_COPY_OBJECT:
    case S3X_S3_RESPONSE_COPY_PART: {
        const struct s3x_s3_copy_result *c = &r->u.copy;
        h = s_num(s_str(s_str(h, c->etag), c->last_modified_raw), (uint64_t)c->last_modified);
        return s_sums(h, &c->checksums);
    }
    default: return s_digest_lists(h, r);
    }
}

/* --- checks ------------------------------------------------------------------------------------- */

static int s_parse_split(struct s3x_allocator *a, enum s3x_s3_response_kind kind, const char *body, size_t len,
    size_t split, struct s3x_s3_response *out) {
    struct s3x_s3_response_parser *p = NULL;
    int rc = s3x__s3_response_parser_new(a, kind, &p);
    if (rc == 0) {
        rc = s3x__s3_response_parser_feed(p, body, split);
    }
    if (rc == 0) {
        rc = s3x__s3_response_parser_feed(p, body + split, len - split);
    }
    if (rc == 0) {
        rc = s3x__s3_response_parser_finish(p, out);
    } else {
        memset(out, 0, sizeof(*out));
    }
    s3x__s3_response_parser_destroy(p);
    return rc;
}

struct s_etags {
    const struct s3x_s3_list_parts *parts;
    size_t next;
    bool mismatch;
};

static int s_etag_end(struct s3x_xml_parser *p, size_t depth, const char *name, const char *text, size_t len,
    void *user) {
    S3X_UNUSED(p);
    S3X_UNUSED(len);
    struct s_etags *e = user;
    if (depth == 3 && strcmp(name, "ETag") == 0) {
        if (e->next >= e->parts->parts_count || strcmp(text, e->parts->parts[e->next].etag) != 0) {
            e->mismatch = true;
        }
        e->next += 1;
    }
    return 0;
}

/* ListParts -> CompleteMultipartUpload body -> the same ETags, when the parts are writable. */
static void s_round_trip_parts(struct s3x_allocator *a, const struct s3x_s3_list_parts *l) {
    if (l->parts_count == 0 || l->parts_count > 64) {
        return;
    }
    struct s3x_s3_complete_part parts[64];
    for (size_t i = 0; i < l->parts_count; ++i) {
        parts[i] = (struct s3x_s3_complete_part){.part_number = l->parts[i].part_number, .etag = l->parts[i].etag,
            .checksum_crc32 = l->parts[i].checksums.crc32, .checksum_crc32c = l->parts[i].checksums.crc32c,
            .checksum_crc64nvme = l->parts[i].checksums.crc64nvme, .checksum_sha1 = l->parts[i].checksums.sha1,
            .checksum_sha256 = l->parts[i].checksums.sha256};
    }
    struct s3x_s3_buf buf;
    s3x__s3_buf_init(&buf, a);
    size_t size = 0;
    int rc = s3x__s3_complete_body_size(parts, l->parts_count, true, &size);
    int wrc = s3x__s3_complete_body_write(parts, l->parts_count, true, &buf);
    S_CHECK(rc == wrc);
    if (wrc == 0) {
        S_CHECK(buf.len == size);
        struct s_etags e = {.parts = l};
        struct s3x_xml_handler h = {.on_end = s_etag_end};
        S_CHECK(s3x__xml_parse(a, &h, NULL, &e, buf.data, buf.len) == 0);
        S_CHECK(!e.mismatch && e.next == l->parts_count);
    } else {
        S_CHECK(wrc == S3X_ERR_INVALID_ARGUMENT && buf.len == 0);
    }
    s3x__s3_buf_clean_up(&buf);
}

static void s_check_kind(struct s3x_allocator *a, enum s3x_s3_response_kind kind, const char *body, size_t len,
    size_t split) {
    struct s3x_s3_response one, two;
    int rc1 = s3x__s3_response_parse(a, kind, body, len, &one);
    int rc2 = s_parse_split(a, kind, body, len, split, &two);
    S_CHECK(rc1 == rc2);
    S_CHECK(rc1 == 0 || rc1 == S3X_ERR_PARSE);
    if (rc1 == 0) {
        S_CHECK(one.kind == two.kind && s_digest(&one) == s_digest(&two));
        S_CHECK(one.kind != S3X_S3_RESPONSE_NONE);
        bool sniffed = s3x__s3_response_is_error(body, len);
        S_CHECK(sniffed == (one.kind == S3X_S3_RESPONSE_ERROR));
        if (kind == S3X_S3_RESPONSE_NONE && one.kind == S3X_S3_RESPONSE_LIST_PARTS) {
            s_round_trip_parts(a, &one.u.list_parts);
        }
    } else {
        S_CHECK(one.kind == S3X_S3_RESPONSE_NONE && two.kind == S3X_S3_RESPONSE_NONE);
    }
    s3x__s3_response_clean_up(&one);
    s3x__s3_response_clean_up(&two);
}

/* One parse with allocation number `fail_at` failing: a clean result and nothing left over. */
static void s_check_oom(const char *body, size_t len, uint64_t fail_at) {
    struct s3x_allocator *tracking = NULL;
    struct s3x_allocator *fail = NULL;
    if (s3x_tracking_allocator_new(NULL, &tracking) != 0) {
        return;
    }
    if (s3x_fail_nth_allocator_new(tracking, fail_at, &fail) == 0) {
        struct s3x_s3_response r;
        int rc = s3x__s3_response_parse(fail, S3X_S3_RESPONSE_NONE, body, len, &r);
        S_CHECK(rc == 0 || rc == S3X_ERR_PARSE || rc == S3X_ERR_OOM);
        S_CHECK(rc != S3X_ERR_OOM || s3x_fail_nth_allocator_fired(fail));
        s3x__s3_response_clean_up(&r);
        s3x_fail_nth_allocator_destroy(fail);
    }
    struct s3x_tracking_stats stats;
    s3x_tracking_allocator_stats(tracking, &stats);
    S_CHECK(stats.outstanding_count == 0);
    s3x_tracking_allocator_destroy(tracking);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) {
        return 0;
    }
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    size_t split = (size_t)data[0] * len / 255;
    struct s3x_allocator *a = s3x_allocator_system();
    for (int kind = 0; kind < S3X_S3_RESPONSE_KIND_COUNT; ++kind) {
        s_check_kind(a, (enum s3x_s3_response_kind)kind, body, len, split);
    }

    struct s3x_s3_error_info info;
    int status = 200 + (int)(data[0] % 4) * 101; /* 200, 301, 402, 503 */
    S_CHECK(s3x__s3_error_info_init(&info, a, status, body, len, "req", NULL) == 0);
    S_CHECK(info.error >= 400 && info.error <= 499 && info.request_id != NULL);
    s3x__s3_error_info_clean_up(&info);

    s_check_oom(body, len, 1 + (uint64_t)(data[0] % 32));
    return 0;
}
