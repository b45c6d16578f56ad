/* Helpers of the client tests against the fault server's S3 store (see fault_test_util.h). */
#include "fault_test_util.h"

#include <s3xfer/error.h>

#include <openssl/evp.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void ft_env_start(struct ft_env *e, void **state, bool tls) {
    memset(e, 0, sizeof(*e));
    e->a = s3x_test_allocator(state);
    int rc = tls ? s3x_fault_server_start_tls(&e->server) : s3x_fault_server_start(&e->server);
    if (rc != 0) {
        fail_msg("the fault server did not start");
    }
    snprintf(e->bucket, sizeof(e->bucket), "faults");
    if (s3x_fault_server_create_bucket(&e->server, e->bucket) != 0) {
        fail_msg("CreateBucket on the fault server failed");
    }
    s3x_test_temp_dir(e->dir, sizeof(e->dir));
}

void ft_client_options(const struct ft_env *e, struct s3x_client_options *opt) {
    s3x_client_options_init(opt);
    opt->config.endpoint_url = e->server.base_url;
    opt->config.access_key_id = "AKIDFAULTSERVER";
    opt->config.secret_access_key = "fault-server-accepts-any-signature";
    opt->config.region = "us-east-1";
    opt->config.addressing_style = S3X_ADDRESSING_PATH;
    opt->config.credentials_file = "/nonexistent/s3xfer-test-credentials";
    opt->config.config_file = "/nonexistent/s3xfer-test-config";
    opt->part_size_bytes = FT_PART;
    opt->memory_limit_bytes = 6 * FT_PART;
    opt->max_connections = 4;
    opt->max_attempts = 3;
    opt->retry_base_delay_ms = 1;
    opt->stall_window_ms = 1000;
    if (e->server.tls) {
        opt->ca_file = s3x_fault_server_ca_file();
    }
}

void ft_env_client(struct ft_env *e, const struct s3x_client_options *opt) {
    e->client = s3x_client_release(e->client);
    e->client = s3x_test_client_new(e->a, opt);
}

void ft_env_stop(struct ft_env *e) {
    e->client = s3x_client_release(e->client);
    s3x_fault_server_stop(&e->server);
    s3x_test_rm_rf(e->dir);
}

void ft_faults(struct ft_env *e, const char *json) {
    int rc = (json == NULL || json[0] == '\0') ? s3x_fault_server_clear_faults(&e->server)
                                               : s3x_fault_server_set_faults(&e->server, json);
    if (rc != 0) {
        fail_msg("the fault server refused the rules %s", json != NULL ? json : "(clear)");
    }
}

long ft_rule(struct ft_env *e, int index, const char *what) {
    char name[64];
    snprintf(name, sizeof(name), "rule/%d/%s", index, what);
    long v = s3x_fault_server_stat(&e->server, name);
    assert_true(v >= 0);
    return v;
}

size_t ft_uploads(struct ft_env *e) {
    return s3x_test_count_multipart_uploads(e->client, e->bucket);
}

/* --- running transfers --------------------------------------------------------------------------- */

/* ft_run runs one transfer at a time: its on_done counts here (the transfer's user_data stays the
 * caller's, for its read/write callbacks). */
static atomic_int s_done_calls;

static void s_on_done(struct s3x_transfer *t, const struct s3x_transfer_result *r, void *user) {
    (void)t;
    (void)r;
    (void)user;
    atomic_fetch_add(&s_done_calls, 1);
}

void ft_run(struct ft_env *e, const struct s3x_transfer_options *o, uint64_t deadline_ms, struct ft_outcome *out) {
    memset(out, 0, sizeof(*out));
    assert_null(o->on_done);
    atomic_store(&s_done_calls, 0);
    struct s3x_transfer_options copy = *o;
    copy.on_done = s_on_done;
    struct s3x_transfer *t = NULL;
    out->error = s3x_transfer_start(e->client, &copy, &t);
    if (out->error != 0) {
        out->done_calls = -1; /* never started: on_done never fires */
        return;
    }
    if (s3x_transfer_wait(t, deadline_ms) != 0) {
        fail_msg("the transfer of %s missed its %llu ms deadline (a hang)", o->key, (unsigned long long)deadline_ms);
    }
    const struct s3x_transfer_result *r = s3x_transfer_result(t);
    assert_non_null(r);
    out->error = r->error;
    out->http_status = r->http_status;
    snprintf(out->s3_code, sizeof(out->s3_code), "%s", r->s3_code);
    snprintf(out->message, sizeof(out->message), "%s", r->message);
    snprintf(out->etag, sizeof(out->etag), "%s", r->etag);
    out->object_size = r->object_size;
    s3x_transfer_metrics(t, &out->metrics);
    s3x_transfer_release(t);
    out->done_calls = atomic_load(&s_done_calls);
}

void ft_put_file_options(struct ft_env *e, struct s3x_transfer_options *o, const char *key, const char *path) {
    s3x_transfer_options_init(o);
    o->kind = S3X_TRANSFER_PUT;
    o->bucket = e->bucket;
    o->key = key;
    o->file_path = path;
}

void ft_get_file_options(struct ft_env *e, struct s3x_transfer_options *o, const char *key, const char *path) {
    s3x_transfer_options_init(o);
    o->kind = S3X_TRANSFER_GET;
    o->bucket = e->bucket;
    o->key = key;
    o->file_path = path;
}

void ft_put_pattern(struct ft_env *e, const char *key, uint64_t size, uint32_t seed) {
    char src[128];
    snprintf(src, sizeof(src), "%s/.seed-%u", e->dir, seed);
    s3x_test_write_pattern_file(src, size, seed);
    ft_faults(e, NULL);
    struct s3x_transfer_options o;
    ft_put_file_options(e, &o, key, src);
    struct ft_outcome out;
    ft_run(e, &o, 60000, &out);
    unlink(src);
    if (out.error != 0) {
        fail_msg("seeding %s failed: %s", key, out.message);
    }
}

void ft_assert_object(struct ft_env *e, const char *key, uint64_t size, uint32_t seed, char *etag, size_t etag_size) {
    char dst[128];
    snprintf(dst, sizeof(dst), "%s/.check", e->dir);
    struct s3x_transfer_options o;
    ft_get_file_options(e, &o, key, dst);
    struct ft_outcome out;
    ft_run(e, &o, 60000, &out);
    if (out.error != 0) {
        fail_msg("reading %s back failed: %s", key, out.message);
    }
    assert_int_equal(out.object_size, size);
    s3x_test_assert_pattern_file(dst, size, seed);
    unlink(dst);
    if (etag != NULL) {
        snprintf(etag, etag_size, "%s", out.etag);
    }
}

void ft_delete(struct ft_env *e, const char *key) {
    char path[256];
    snprintf(path, sizeof(path), "/%s/%s", e->bucket, key);
    assert_int_equal(s3x_fault_server_request(&e->server, "DELETE", path, NULL, NULL, 0), 204);
}

/* --- S3's ETags ---------------------------------------------------------------------------------- */

static void s_md5_pattern(uint64_t offset, uint64_t len, uint32_t seed, uint8_t digest[16]) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_non_null(ctx);
    assert_int_equal(EVP_DigestInit_ex(ctx, EVP_md5(), NULL), 1);
    uint8_t buf[65536];
    for (uint64_t done = 0; done < len;) {
        size_t n = (size_t)(len - done < sizeof(buf) ? len - done : sizeof(buf));
        for (size_t i = 0; i < n; ++i) {
            buf[i] = s3x_test_pattern_byte(offset + done + i, seed);
        }
        assert_int_equal(EVP_DigestUpdate(ctx, buf, n), 1);
        done += n;
    }
    unsigned int out_len = 0;
    assert_int_equal(EVP_DigestFinal_ex(ctx, digest, &out_len), 1);
    EVP_MD_CTX_free(ctx);
}

static void s_hex(const uint8_t *d, size_t n, char *out) {
    for (size_t i = 0; i < n; ++i) {
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    }
}

void ft_expected_etag(uint64_t size, uint32_t seed, uint64_t part_size, char *out, size_t out_size) {
    uint8_t digest[16];
    char hex[33];
    if (part_size == 0 || size <= part_size) {
        s_md5_pattern(0, size, seed, digest);
        s_hex(digest, 16, hex);
        snprintf(out, out_size, "\"%s\"", hex);
        return;
    }
    uint64_t parts = (size + part_size - 1) / part_size;
    uint8_t *md5s = malloc((size_t)parts * 16);
    assert_non_null(md5s);
    for (uint64_t i = 0; i < parts; ++i) {
        uint64_t len = size - i * part_size < part_size ? size - i * part_size : part_size;
        s_md5_pattern(i * part_size, len, seed, md5s + i * 16);
    }
    unsigned int len = 0;
    assert_int_equal(EVP_Digest(md5s, (size_t)parts * 16, digest, &len, EVP_md5(), NULL), 1);
    free(md5s);
    s_hex(digest, 16, hex);
    snprintf(out, out_size, "\"%s-%llu\"", hex, (unsigned long long)parts);
}
