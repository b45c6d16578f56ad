/* Helpers of the client tests that run against the fault server's S3 store (test_faults.c,
 * test_security.c, test_soak.c): a fault server, a bucket and a client per test, fault rules,
 * transfers with a deadline, and content checks.
 *
 *   struct ft_env e;
 *   struct s3x_client_options opt;
 *   ft_env_start(&e, state, NULL);                 // server + bucket + temp dir, no client yet
 *   ft_client_options(&e, &opt);                   // 5 MiB parts, 3 attempts, 1 s stall window
 *   ft_env_client(&e, &opt);
 *   ft_faults(&e, "[{\"match\":{\"op\":\"GetObject\"},\"nth\":2,\"fault\":\"slowdown\"}]");
 *   struct ft_outcome out;
 *   ft_run(&e, &transfer_options, 30000, &out);    // fails the test when it misses the deadline
 *   ft_env_stop(&e);
 */
#ifndef S3XFER_TESTS_S3_FAULT_TEST_UTIL_H
#define S3XFER_TESTS_S3_FAULT_TEST_UTIL_H

#include "s3_test_util.h"

#include "fault_server.h"

#include <stdbool.h>
#include <stdint.h>

#define FT_PART ((uint64_t)5 * 1024 * 1024)

struct ft_env {
    struct s3x_allocator *a;
    struct s3x_fault_server server;
    struct s3x_client *client;
    char bucket[32];
    char dir[64];
};

/* Starts the fault server (over HTTPS when `tls`), creates the bucket "faults" and a temporary
 * directory. No client yet. Fails the test on error. */
void ft_env_start(struct ft_env *e, void **state, bool tls);
/* Client options for the fault server: path style, any credentials, 5 MiB parts, a 6-part memory
 * limit, 4 connections, 3 attempts with 1 ms base delay, a 1 s stall window. */
void ft_client_options(const struct ft_env *e, struct s3x_client_options *opt);
/* Creates e->client (releasing any previous one). Fails the test on error. */
void ft_env_client(struct ft_env *e, const struct s3x_client_options *opt);
/* Releases the client, stops the server, removes the directory. */
void ft_env_stop(struct ft_env *e);

/* Sets the server's fault rules (JSON, see fault_server.py); "" or NULL clears them. */
void ft_faults(struct ft_env *e, const char *json);
/* A rule's counter ("matched" or "fired"). */
long ft_rule(struct ft_env *e, int index, const char *what);
/* Multipart uploads in progress in the bucket, through the client (ListMultipartUploads). */
size_t ft_uploads(struct ft_env *e);

/* The outcome of a transfer, copied before it is released. */
struct ft_outcome {
    int error;
    int http_status;
    char s3_code[64];
    char message[512];
    char etag[80];
    uint64_t object_size;
    int done_calls; /* on_done calls: must be exactly 1 */
    struct s3x_transfer_metrics metrics;
};

/* Runs one transfer (o->on_done must be unset: ft_run counts its calls) and waits for it at most
 * deadline_ms: a transfer that misses its deadline fails the test (a hang). One at a time. */
void ft_run(struct ft_env *e, const struct s3x_transfer_options *o, uint64_t deadline_ms, struct ft_outcome *out);

/* Transfer options for a file upload / download of `key` in the env's bucket. */
void ft_put_file_options(struct ft_env *e, struct s3x_transfer_options *o, const char *key, const char *path);
void ft_get_file_options(struct ft_env *e, struct s3x_transfer_options *o, const char *key, const char *path);
/* Uploads `size` pattern bytes of `seed` as `key` with no fault rules in place (fails the test
 * otherwise); the source file is removed afterwards. */
void ft_put_pattern(struct ft_env *e, const char *key, uint64_t size, uint32_t seed);
/* The object's bytes through a plain GET, checked against the pattern; also returns its ETag. */
void ft_assert_object(struct ft_env *e, const char *key, uint64_t size, uint32_t seed, char *etag, size_t etag_size);
/* Deletes the object (plain DELETE). */
void ft_delete(struct ft_env *e, const char *key);

/* S3's ETag of `size` pattern bytes of `seed` uploaded with `part_size` parts (0: one PutObject):
 * "md5" or "md5-of-md5s-N", with the quotes. */
void ft_expected_etag(uint64_t size, uint32_t seed, uint64_t part_size, char *out, size_t out_size);

#endif
