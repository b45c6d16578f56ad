/* A fresh process for the resume tests: resumes one transfer from a token file through the public
 * API only, and prints what it did.
 *
 *   resume_child put|get BUCKET KEY FILE TOKEN_FILE PART_SIZE
 *
 * The server comes from S3X_TEST_ENDPOINT, S3X_TEST_ACCESS_KEY, S3X_TEST_SECRET_KEY and
 * S3X_TEST_REGION. Prints one line, "error=E parts_total=N parts_skipped=S requests=R
 * retries=T bytes=B", and exits 0 when the transfer ran (whatever its outcome), 2 otherwise. */
#include <s3xfer/s3xfer.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *s_read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    char *text = calloc(1, 4u << 20);
    size_t n = text != NULL ? fread(text, 1, (4u << 20) - 1, f) : 0;
    fclose(f);
    if (text != NULL) {
        text[n] = '\0';
    }
    return text;
}

int main(int argc, char **argv) {
    if (argc != 7 || (strcmp(argv[1], "put") != 0 && strcmp(argv[1], "get") != 0)) {
        fprintf(stderr, "usage: resume_child put|get BUCKET KEY FILE TOKEN_FILE PART_SIZE\n");
        return 2;
    }
    char *token = s_read_file(argv[5]);
    if (token == NULL) {
        fprintf(stderr, "resume_child: cannot read %s\n", argv[5]);
        return 2;
    }
    struct s3x_client_options opt;
    s3x_client_options_init(&opt);
    opt.config.endpoint_url = getenv("S3X_TEST_ENDPOINT");
    opt.config.access_key_id = getenv("S3X_TEST_ACCESS_KEY");
    opt.config.secret_access_key = getenv("S3X_TEST_SECRET_KEY");
    opt.config.region = getenv("S3X_TEST_REGION");
    opt.config.addressing_style = S3X_ADDRESSING_PATH;
    opt.config.credentials_file = "/nonexistent/s3xfer-test-credentials";
    opt.config.config_file = "/nonexistent/s3xfer-test-config";
    opt.checksum_in_complete = false;
    opt.part_size_bytes = strtoull(argv[6], NULL, 10);
    opt.max_connections = 2;
    char message[256] = {0};
    opt.error_message = message;
    opt.error_message_size = sizeof(message);
    struct s3x_client *client = NULL;
    int rc = s3x_client_new(s3x_allocator_system(), &opt, &client);
    if (rc != 0) {
        fprintf(stderr, "resume_child: client: %s: %s\n", s3x_error_name(rc), message);
        free(token);
        return 2;
    }
    struct s3x_transfer_options o;
    s3x_transfer_options_init(&o);
    o.kind = strcmp(argv[1], "put") == 0 ? S3X_TRANSFER_PUT : S3X_TRANSFER_GET;
    o.bucket = argv[2];
    o.key = argv[3];
    o.file_path = argv[4];
    o.resume_token = token;
    struct s3x_transfer *t = NULL;
    rc = s3x_transfer_start(client, &o, &t);
    free(token);
    if (rc != 0) {
        printf("error=%d parts_total=0 parts_skipped=0 requests=0 retries=0 bytes=0\n", rc);
        s3x_client_release(client);
        return 0;
    }
    s3x_transfer_wait(t, UINT64_MAX);
    struct s3x_transfer_metrics m;
    s3x_transfer_metrics(t, &m);
    const struct s3x_transfer_result *r = s3x_transfer_result(t);
    if (r->error != 0) {
        fprintf(stderr, "resume_child: %s\n", r->message);
    }
    printf("error=%d parts_total=%llu parts_skipped=%llu requests=%llu retries=%llu bytes=%llu\n", r->error,
        (unsigned long long)m.parts_total, (unsigned long long)m.parts_skipped, (unsigned long long)m.requests,
        (unsigned long long)m.retries, (unsigned long long)r->object_size);
    s3x_transfer_release(t);
    s3x_client_release(client);
    return 0;
}
