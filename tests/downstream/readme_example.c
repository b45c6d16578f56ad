/* Upload FILE to s3://BUCKET/KEY through a pool the application owns: a fixed 64 MiB arena. */
#include <s3xfer/s3xfer.h>
#include <stdio.h>

/* The client asks its pool factory for a pool; this factory hands it the application's own. */
static int my_pool(struct s3x_allocator *a, const struct s3x_pool_config *c, void *pool, struct s3x_pool **out) {
    (void)a, (void)c;
    *out = s3x_pool_acquire(pool);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 4) return fprintf(stderr, "usage: %s FILE BUCKET KEY\n", argv[0]), 2;
    struct s3x_pool_config pc = {.memory_limit_bytes = 64u << 20, .part_size_bytes = 8u << 20};
    struct s3x_pool *pool = NULL; /* one 64 MiB region: 8 part slots */
    struct s3x_client *client = NULL;
    struct s3x_transfer *t = NULL;
    int rc = s3x_arena_pool_new(s3x_allocator_system(), &pc, NULL, &pool);

    struct s3x_client_options co;
    s3x_client_options_init(&co); /* credentials, region, endpoint: from AWS_* and ~/.aws */
    co.part_size_bytes = pc.part_size_bytes, co.memory_limit_bytes = pc.memory_limit_bytes;
    co.pool_factory = &(struct s3x_pool_factory){.create = my_pool, .user_data = pool};
    if (rc == 0) rc = s3x_client_new(s3x_allocator_system(), &co, &client);

    struct s3x_transfer_options to;
    s3x_transfer_options_init(&to);
    to.kind = S3X_TRANSFER_PUT, to.file_path = argv[1], to.bucket = argv[2], to.key = argv[3];
    if (rc == 0) rc = s3x_transfer_start(client, &to, &t);
    if (rc == 0) {
        s3x_transfer_wait(t, UINT64_MAX); /* or be called back: to.on_done, to.on_progress */
        rc = s3x_transfer_result(t)->error;
    }
    struct s3x_pool_stats st = {.struct_size = sizeof(st)};
    if (rc == 0 && s3x_pool_stats(pool, &st) == 0)
        printf("uploaded; pool peak %zu of %zu bytes\n", st.peak_allocated_bytes, st.memory_limit_bytes);
    else
        fprintf(stderr, "%s\n", t ? s3x_transfer_result(t)->message : s3x_error_str(rc));
    s3x_transfer_release(t);
    s3x_client_release(client);
    s3x_pool_release(pool);
    return rc != 0;
}
