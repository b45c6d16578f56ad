/* Built against the INSTALLED s3xfer (find_package and pkg-config): checks that the headers
 * compile on their own, that the shared library exports what they declare, and that a few calls
 * behave. Needs no server. Exits 0 when every check passes. */
#include <s3xfer/s3xfer.h>

#include <stdio.h>
#include <string.h>

static int s_failures;

static void s_check(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "downstream_check: FAILED: %s\n", what);
        ++s_failures;
    }
}

static void s_pool(struct s3x_allocator *a) {
    struct s3x_pool_config pc = {.memory_limit_bytes = 2u << 20, .part_size_bytes = 1u << 20};
    struct s3x_pool *pool = NULL;
    s_check(s3x_default_pool_new(a, &pc, &pool) == 0, "default pool created");
    if (pool == NULL) {
        return;
    }
    struct s3x_pool_reserve_options part = {.size_bytes = 1u << 20};
    struct s3x_future *r1 = s3x_pool_reserve(pool, &part);
    struct s3x_future *r2 = s3x_pool_reserve(pool, &part);
    struct s3x_future *r3 = s3x_pool_reserve(pool, &part); /* over the limit: waits */
    s_check(s3x_future_is_done(r1) && s3x_future_is_done(r2) && !s3x_future_is_done(r3), "third reservation waits");
    struct s3x_ticket *t1 = NULL;
    s_check(s3x_ticket_take(r1, &t1) == 0, "ticket taken");
    void *buf = NULL;
    s_check(s3x_ticket_claim(t1, &buf) == 0 && buf != NULL, "ticket claimed");
    if (buf != NULL) {
        memset(buf, 0xab, 1u << 20);
    }
    t1 = s3x_ticket_release(t1); /* frees room: the waiting reservation is granted */
    s_check(s3x_future_is_done(r3) && s3x_future_error(r3) == 0, "waiting reservation granted after release");
    struct s3x_pool_stats st;
    memset(&st, 0, sizeof(st));
    st.struct_size = sizeof(st);
    s_check(s3x_pool_stats(pool, &st) == 0 && st.peak_allocated_bytes <= st.memory_limit_bytes, "peak within limit");
    s3x_future_release(r1);
    s3x_future_release(r2);
    s3x_future_release(r3);
    s3x_pool_release(pool);
}

static void s_checksum(void) {
    struct s3x_checksum_state cs;
    uint8_t digest[S3X_CHECKSUM_MAX_DIGEST_SIZE];
    size_t len = 0;
    int rc = s3x_checksum_init(&cs, S3X_CHECKSUM_CRC32C);
    rc = rc != 0 ? rc : s3x_checksum_update(&cs, "123456789", 9);
    rc = rc != 0 ? rc : s3x_checksum_final(&cs, digest, &len);
    s_check(rc == 0 && len == 4 && digest[0] == 0xe3 && digest[1] == 0x06 && digest[2] == 0x92 && digest[3] == 0x83,
        "CRC32C of \"123456789\" is e3069283");
    s3x_checksum_clean_up(&cs);
}

static void s_client(struct s3x_allocator *a) {
    struct s3x_client_options co;
    s3x_client_options_init(&co);
    co.config.access_key_id = "AKIDEXAMPLE";
    co.config.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    co.config.region = "eu-west-1";
    co.config.endpoint_url = "http://127.0.0.1:9";
    co.config.credentials_file = "/nonexistent";
    co.config.config_file = "/nonexistent";
    co.memory_limit_bytes = 16u << 20;
    struct s3x_client *client = NULL;
    s_check(s3x_client_new(a, &co, &client) == 0, "client created");
    if (client != NULL) {
        s_check(s3x_client_part_size(client) == S3X_PART_SIZE_DEFAULT, "default part size");
        s_check(s3x_client_memory_limit(client) == (16u << 20), "memory limit kept");
        s_check(strcmp(s3x_client_region(client), "eu-west-1") == 0, "region kept");
    }
    s3x_client_release(client);
    co.memory_limit_bytes = 1u << 20; /* below one part */
    client = NULL;
    s_check(s3x_client_new(a, &co, &client) == S3X_ERR_INVALID_ARGUMENT && client == NULL, "limit below a part refused");
}

int main(void) {
    struct s3x_allocator *tracking = NULL;
    s_check(strcmp(s3x_version(), S3XFER_VERSION_STRING) == 0, "library and header versions agree");
    s_check(strcmp(s3x_error_name(S3X_ERR_S3_NO_SUCH_KEY), "S3X_ERR_S3_NO_SUCH_KEY") == 0, "error names");
    s_check(s3x_tracking_allocator_new(NULL, &tracking) == 0, "tracking allocator");
    if (tracking != NULL) {
        s_pool(tracking);
        s_client(tracking);
        s_check(s3x_tracking_allocator_destroy(tracking) == 0, "nothing leaked");
    }
    s_checksum();
    if (s_failures == 0) {
        printf("downstream_check: s3xfer %s: all checks passed\n", s3x_version());
    }
    return s_failures == 0 ? 0 : 1;
}
