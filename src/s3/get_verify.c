/* A download's check against the object's checksum (see get_verify.h and get.c's "Checksums").
 *
 * Example: a 20 MiB object uploaded by s3xfer with CRC32C has a FULL_OBJECT x-amz-checksum-crc32c.
 * Its download in 8 MiB parts gets no checksum with the ranged GETs, so get.c asks HeadObject for
 * it; each part's CRC32C is taken on the I/O thread as the part is written, and at the end
 * combine(combine(combine(0, c0, 8 MiB), c1, 8 MiB), c2, 4 MiB) must equal the header's value.
 */
#include "s3/get_verify.h"

#include "http/request.h"
#include "s3/get_impl.h"

#include <s3xfer/error.h>
#include <s3xfer/log.h>

#include <string.h>
#include <strings.h>

void s3x__get_verify_note(struct s3x__get_verify *v, struct s3x_http_request *http, bool multipart) {
    static const enum s3x_checksum_algorithm order[] = {S3X_CHECKSUM_CRC64NVME, S3X_CHECKSUM_CRC32C,
        S3X_CHECKSUM_CRC32, S3X_CHECKSUM_SHA1, S3X_CHECKSUM_SHA256};
    memset(v, 0, sizeof(*v));
    const char *type = s3x__http_request_response_header(http, "x-amz-checksum-type");
    if (type != NULL && strcasecmp(type, "COMPOSITE") == 0) {
        return;
    }
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); ++i) {
        const char *value = s3x__http_request_response_header(http, s3x_checksum_header_name(order[i]));
        if (value == NULL) {
            continue;
        }
        if (multipart && !s3x_checksum_supports_type(order[i], S3X_CHECKSUM_TYPE_FULL_OBJECT)) {
            continue; /* a SHA of the whole object cannot be built from parts written out of order */
        }
        int rc = s3x_checksum_value_parse(order[i], value, strlen(value), &v->want);
        if (rc == 0 && v->want.part_count > 0) {
            continue; /* composite "...-N": a hash of the parts' digests, not of these bytes */
        }
        v->active = true;
        v->unreadable = rc != 0;
        v->combine = multipart;
        v->want.algorithm = order[i];
        return;
    }
}

int s3x__get_verify_digest(const struct s3x__get_verify *v, const uint8_t *data, size_t len,
    struct s3x_checksum_value *out) {
    struct s3x_checksum_state st;
    int rc = s3x_checksum_init(&st, v->want.algorithm);
    if (rc == 0) {
        rc = s3x_checksum_update(&st, data, len);
    }
    if (rc == 0) {
        rc = s3x_checksum_final_value(&st, out);
    }
    s3x_checksum_clean_up(&st);
    return rc;
}

static int s_compare(const struct s3x__get_verify *v, const struct s3x_checksum_value *got) {
    if (v->unreadable || !s3x_checksum_value_equal(got, &v->want)) {
        return S3X_ERR_TRANSFER_CHECKSUM_MISMATCH;
    }
    return 0;
}

int s3x__get_verify_bytes(const struct s3x__get_verify *v, const uint8_t *data, size_t len) {
    struct s3x_checksum_value got;
    int rc = s3x__get_verify_digest(v, data, len, &got);
    return rc != 0 ? rc : s_compare(v, &got);
}

/* --- the object's checksum, for a download in parts ----------------------------------------- */

/* HeadObject answered (or failed): deliveries held for it start. */
static void s_on_head(struct s3x_s3_request *req, int error, const struct s3x_s3_error_info *info, void *user) {
    struct s3x__get *g = user;
    const struct s3x_http_result *res = s3x__http_request_result(s3x__s3_request_http(req));
    s3x__transfer_count_request(g->t, res != NULL ? res->attempts : 1);
    g->active--;
    g->head_pending = false;
    if (error == 0) {
        s3x__get_verify_note(&g->verify, s3x__s3_request_http(req), true);
        if (!g->verify.active) {
            S3X_LOG_DEBUGF("get", "%s: no full-object CRC to check the parts against", g->t->key);
        }
    } else if (!g->failing) {
        /* 412: the object was replaced. Parts still to come fail on their own If-Match; bytes
         * already fetched are the old version's, whose checksum is gone: unchecked. */
        S3X_LOG_WARNF("get", "%s: HeadObject failed (%s%s%s): the download is not checked against the object's "
            "checksum", g->t->key, s3x_error_name(error), info != NULL && info->code != NULL ? ", " : "",
            info != NULL && info->code != NULL ? info->code : "");
    }
    g->head = s3x__s3_request_release(g->head);
    if (g->dest == S3X__GET_FILE_RANDOM) {
        bool keep = !g->failing || g->pausing; /* paused: fetched parts are still worth writing */
        for (uint32_t i = 0; i < g->num_parts; ++i) {
            struct s3x__gpart *p = s3x__get_part_at(g, i);
            if (p->state != S3X__GPART_FETCHED) {
                continue;
            }
            if (keep) {
                s3x__get_start_delivery(g, p);
            } else {
                s3x__get_release_buffer(g, p);
                p->state = S3X__GPART_DONE;
            }
        }
    } else {
        s3x__get_deliver_ready(g);
    }
    s3x__get_pump(g);
    s3x__get_maybe_finish(g);
}

/* Part 0's ranged answer carried no checksum (S3 sends none for a partial range): HeadObject
 * gives the object's, guarded by the ETag like every part. Without it the download goes on
 * unchecked. */
void s3x__get_start_head(struct s3x__get *g) {
    struct s3x_sigv4_header headers[2] = {{"x-amz-checksum-mode", "ENABLED"}, {"If-Match", g->etag}};
    struct s3x_s3_request_options o = {
        .method = "HEAD",
        .bucket = g->t->bucket,
        .key = g->t->key,
        .headers = headers,
        .header_count = g->etag != NULL ? 2 : 1,
        .sink = {.kind = S3X_HTTP_SINK_MEMORY},
        .on_done = s_on_head,
        .user_data = g,
    };
    int rc = s3x__s3_request_new(&g->t->client->s3, &o, &g->head);
    if (rc == 0) {
        rc = s3x__s3_request_submit(g->head);
    }
    if (rc != 0) {
        g->head = s3x__s3_request_release(g->head);
        S3X_LOG_WARNF("get", "%s: HeadObject could not be sent (%s): the download is not checked against the "
            "object's checksum", g->t->key, s3x_error_name(rc));
        return;
    }
    g->head_pending = true;
    g->active++;
}

/* Every part written: their CRCs folded in order against the object's. */
void s3x__get_check_parts(struct s3x__get *g) {
    struct s3x_checksum_value acc = {.algorithm = g->verify.want.algorithm,
        .digest_len = s3x_checksum_digest_size(g->verify.want.algorithm)}; /* of nothing: all zero */
    int rc = 0;
    for (uint32_t i = 0; i < g->num_parts && rc == 0; ++i) {
        const struct s3x__gpart *p = s3x__get_part_at(g, i);
        rc = s3x_checksum_value_combine(&acc, &p->crc, p->len);
    }
    if (rc == 0) {
        rc = s_compare(&g->verify, &acc);
    }
    if (rc != 0) {
        s3x__get_fail(g, S3X_ERR_TRANSFER_CHECKSUM_MISMATCH, rc == S3X_ERR_TRANSFER_CHECKSUM_MISMATCH ? 0 : rc, NULL,
            g->verify.unreadable ? "the object's checksum header cannot be read"
                                 : "the data does not match the object's checksum",
            g->num_parts - 1);
        return;
    }
    S3X_LOG_DEBUGF("get", "%llu bytes in %u parts match their %s", (unsigned long long)g->size, g->num_parts,
        s3x_checksum_header_name(g->verify.want.algorithm));
}
