#include "s3_test_util.h"

#include "s3/client_impl.h"
#include "s3/responses.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void s3x_test_client_options(struct s3x_client_options *opt) {
    const char *endpoint = getenv("S3X_TEST_ENDPOINT");
    if (endpoint == NULL || endpoint[0] == '\0') {
        const char *require = getenv("S3X_TEST_REQUIRE_SERVER");
        if (require != NULL && strcmp(require, "1") == 0) {
            fail_msg("S3X_TEST_REQUIRE_SERVER=1 but S3X_TEST_ENDPOINT is not set");
        }
        skip();
    }
    s3x_client_options_init(opt);
    opt->config.endpoint_url = endpoint;
    opt->config.access_key_id = getenv("S3X_TEST_ACCESS_KEY");
    opt->config.secret_access_key = getenv("S3X_TEST_SECRET_KEY");
    opt->config.region = getenv("S3X_TEST_REGION");
    opt->config.addressing_style = S3X_ADDRESSING_PATH;
    opt->config.credentials_file = "/nonexistent/s3xfer-test-credentials";
    opt->config.config_file = "/nonexistent/s3xfer-test-config";
    opt->checksum_in_complete = false;
    opt->max_connections = 8;
    opt->retry_base_delay_ms = 10;
}

struct s3x_client *s3x_test_client_new(struct s3x_allocator *a, const struct s3x_client_options *opt) {
    struct s3x_client *client = NULL;
    char msg[256] = {0};
    struct s3x_client_options o = *opt;
    o.error_message = msg;
    o.error_message_size = sizeof(msg);
    int rc = s3x_client_new(a, &o, &client);
    if (rc != 0) {
        fail_msg("s3x_client_new: %s: %s", s3x_error_name(rc), msg);
    }
    return client;
}

struct s_sync {
    atomic_int done;
    int error;
};

static void s_sync_done(struct s3x_s3_request *r, int error, const struct s3x_s3_error_info *info, void *user) {
    (void)r;
    (void)info;
    struct s_sync *s = user;
    s->error = error;
    atomic_store(&s->done, 1);
}

void s3x_test_create_bucket(struct s3x_client *client, char *name, size_t size) {
    static atomic_int counter;
    snprintf(name, size, "s3x-test-%d-%d", (int)getpid(), atomic_fetch_add(&counter, 1));
    struct s_sync sync = {0};
    struct s3x_s3_request_options o = {
        .method = "PUT",
        .bucket = name,
        .sink = {.kind = S3X_HTTP_SINK_MEMORY},
        .on_done = s_sync_done,
        .user_data = &sync,
    };
    struct s3x_s3_request *req = NULL;
    assert_int_equal(s3x__s3_request_new(&client->s3, &o, &req), 0);
    assert_int_equal(s3x__s3_request_submit(req), 0);
    uint64_t deadline = s3x_test_now_ms() + 30000;
    while (!atomic_load(&sync.done) && s3x_test_now_ms() < deadline) {
        usleep(1000);
    }
    assert_true(atomic_load(&sync.done));
    s3x__s3_request_release(req);
    if (sync.error != 0) {
        fail_msg("CreateBucket %s: %s", name, s3x_error_name(sync.error));
    }
}

int s3x_test_run_transfer(struct s3x_client *client, const struct s3x_transfer_options *o, uint64_t *out_size) {
    struct s3x_transfer *t = NULL;
    int rc = s3x_transfer_start(client, o, &t);
    if (rc != 0) {
        return rc;
    }
    assert_int_equal(s3x_transfer_wait(t, 300000), 0);
    const struct s3x_transfer_result *r = s3x_transfer_result(t);
    assert_non_null(r);
    rc = r->error;
    if (rc != 0) {
        print_message("transfer failed: %s\n", r->message);
    }
    if (out_size != NULL) {
        *out_size = r->object_size;
    }
    s3x_transfer_release(t);
    return rc;
}

uint8_t s3x_test_pattern_byte(uint64_t i, uint32_t seed) {
    uint64_t x = (i / 8 + 1) * 0x9E3779B97F4A7C15ull ^ ((uint64_t)seed << 32 | seed);
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 32;
    return (uint8_t)(x >> ((i % 8) * 8));
}

void s3x_test_write_pattern_file(const char *path, uint64_t size, uint32_t seed) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    uint8_t buf[65536];
    for (uint64_t off = 0; off < size;) {
        size_t n = (size_t)(size - off < sizeof(buf) ? size - off : sizeof(buf));
        for (size_t i = 0; i < n; ++i) {
            buf[i] = s3x_test_pattern_byte(off + i, seed);
        }
        assert_int_equal(fwrite(buf, 1, n, f), n);
        off += n;
    }
    assert_int_equal(fclose(f), 0);
}

void s3x_test_assert_pattern_file(const char *path, uint64_t size, uint32_t seed) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail_msg("%s does not exist", path);
    }
    uint8_t buf[65536];
    uint64_t off = 0;
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        for (size_t i = 0; i < n; ++i) {
            if (buf[i] != s3x_test_pattern_byte(off + i, seed)) {
                fclose(f);
                fail_msg("%s differs at byte %llu", path, (unsigned long long)(off + i));
            }
        }
        off += n;
    }
    fclose(f);
    assert_int_equal(off, size);
}

void s3x_test_temp_dir(char *out, size_t size) {
    snprintf(out, size, "/tmp/s3xfer-test-XXXXXX");
    assert_non_null(mkdtemp(out));
}

void s3x_test_rm_rf(const char *dir) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        return;
    }
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

int s3x_test_dir_entries(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            ++n;
        }
    }
    closedir(d);
    return n;
}

size_t s3x_test_count_multipart_uploads(struct s3x_client *client, const char *bucket) {
    struct s_sync sync = {0};
    struct s3x_query_param query[1] = {{"uploads", NULL}};
    struct s3x_s3_request_options o = {
        .method = "GET",
        .bucket = bucket,
        .query = query,
        .query_count = 1,
        .sink = {.kind = S3X_HTTP_SINK_MEMORY},
        .on_done = s_sync_done,
        .user_data = &sync,
    };
    struct s3x_s3_request *req = NULL;
    assert_int_equal(s3x__s3_request_new(&client->s3, &o, &req), 0);
    assert_int_equal(s3x__s3_request_submit(req), 0);
    uint64_t deadline = s3x_test_now_ms() + 30000;
    while (!atomic_load(&sync.done) && s3x_test_now_ms() < deadline) {
        usleep(1000);
    }
    assert_true(atomic_load(&sync.done));
    assert_int_equal(sync.error, 0);
    size_t len = 0;
    const uint8_t *body = s3x__http_request_response_body(s3x__s3_request_http(req), &len);
    struct s3x_s3_list_multipart_uploads r;
    assert_int_equal(s3x__s3_list_multipart_uploads_parse(client->allocator, body, len, &r), 0);
    size_t n = r.uploads_count;
    assert_false(r.is_truncated);
    s3x__s3_list_multipart_uploads_clean_up(client->allocator, &r);
    s3x__s3_request_release(req);
    return n;
}
