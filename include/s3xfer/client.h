/* s3xfer: the client.
 *
 * A client owns one transfer engine (one event thread and its connections), one buffer pool (the
 * default pool, or one made by the application's pool factory) and the resolved configuration
 * (credentials, region, endpoint). Any number of transfers run on it at once, all drawing their
 * part buffers from its pool, so the memory limit covers all of them together.
 *
 *   struct s3x_client_options opt;
 *   s3x_client_options_init(&opt);
 *   opt.config.endpoint_url = "http://127.0.0.1:9000";
 *   opt.memory_limit_bytes = 64 << 20;
 *   struct s3x_client *client = NULL;
 *   int rc = s3x_client_new(allocator, &opt, &client);
 *   ...
 *   client = s3x_client_release(client);   // waits for nothing: transfers hold their own reference
 *
 * The memory limit. `memory_limit_bytes` caps the bytes the pool obtains from the system for part
 * buffers (in use, reserved, cached, rounding waste). With 0 the client derives it: a quarter of
 * the memory available to the process (the cgroup limit when one is set, else physical memory),
 * clamped to [2 parts, 2 GiB]. Any value of at least one part is accepted.
 */
#ifndef S3XFER_CLIENT_H
#define S3XFER_CLIENT_H

#include <s3xfer/allocator.h>
#include <s3xfer/checksum.h>
#include <s3xfer/credentials.h>
#include <s3xfer/exports.h>
#include <s3xfer/pool.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct s3x_client;

#define S3X_PART_SIZE_DEFAULT ((uint64_t)8 * 1024 * 1024)
#define S3X_PART_SIZE_MIN ((uint64_t)5 * 1024 * 1024)         /* S3's minimum (all parts but the last) */
#define S3X_PART_SIZE_MAX ((uint64_t)5 * 1024 * 1024 * 1024)  /* S3's maximum part size */
#define S3X_MAX_PARTS 10000u
#define S3X_IDLE_TRIM_NEVER UINT32_MAX

struct s3x_client_options {
    size_t struct_size; /* set by s3x_client_options_init */

    /* Where and as whom: explicit values; the rest comes from the environment and the AWS files
     * (precedence in credentials.h). */
    struct s3x_aws_config_options config;
    /* Optional: called before signing each attempt, for credentials that change while the client
     * runs. Wins over `config`'s credentials. */
    s3x_credentials_provider_fn *credentials_provider;
    void *credentials_provider_user_data;

    uint64_t part_size_bytes;          /* default 8 MiB; 5 MiB .. 5 GiB */
    uint64_t memory_limit_bytes;       /* 0 = derived (see above); >= one part */
    uint64_t multipart_threshold_bytes; /* uploads of known size below this are one PutObject; 0 = part size */
    uint32_t max_connections;          /* default 16 */
    uint32_t max_attempts;             /* per request; default 5 */
    uint32_t retry_base_delay_ms;      /* default 100 */
    uint32_t connect_timeout_ms;       /* default 10 000 */
    uint32_t stall_window_ms;          /* a request moving no byte for this long is retried; default 30 000 */

    enum s3x_checksum_algorithm checksum; /* default CRC32C; NONE to send none */
    /* Put the per-part checksums into CompleteMultipartUpload's body (S3 wants them for
     * full-object checksums; OpenStack Swift rejects them). Default true. */
    bool checksum_in_complete;

    /* NULL: the default pool. The factory is called once, in s3x_client_new, with the memory
     * limit and part size above. */
    const struct s3x_pool_factory *pool_factory;

    bool tls_verify_disable; /* accept any certificate (self-signed test endpoints); default off */
    const char *ca_file;     /* extra CA bundle (PEM) */
    /* Part bodies move straight between their buffers and the socket on connections the library
     * drives itself over libcurl's connection ("direct connections": downloads received into the
     * part buffer, uploads sent from it; never with a proxy). True: every request goes through
     * libcurl's own transfer, one more copy per byte. Default false. */
    bool direct_receive_disable;
    /* After this long with no request in flight (and no work on the event thread), the client gives
     * the pool's cached buffers back to the system (s3x_pool_trim): a long-lived client holds part
     * memory while it transfers, not after. Default 5000 (0 also means the default);
     * S3X_IDLE_TRIM_NEVER: never. */
    uint32_t idle_trim_ms;

    /* Optional: receives a one-line explanation when s3x_client_new fails. */
    char *error_message;
    size_t error_message_size;
};

/* Fills `options` with the defaults. */
S3X_API void s3x_client_options_init(struct s3x_client_options *options);

/* Creates a client. Returns 0; S3X_ERR_INVALID_ARGUMENT (part size out of range, memory limit
 * below one part, ...), S3X_ERR_CREDENTIALS_NOT_FOUND, S3X_ERR_CONFIG_PARSE,
 * S3X_ERR_PROFILE_NOT_FOUND, S3X_ERR_HTTP_BAD_URL, S3X_ERR_OOM, S3X_ERR_SYS, or the pool factory's
 * error. */
S3X_API int s3x_client_new(struct s3x_allocator *allocator, const struct s3x_client_options *options,
    struct s3x_client **out);
S3X_API struct s3x_client *s3x_client_acquire(struct s3x_client *client);
/* Drops a reference; returns NULL; NULL allowed. The last reference stops the engine and the I/O
 * threads and waits for them (transfers still running hold their own client reference). When the
 * last reference goes on one of the client's own threads (from a callback), the teardown happens
 * on a short-lived thread of its own instead. */
S3X_API struct s3x_client *s3x_client_release(struct s3x_client *client);

/* The client's pool (borrowed; acquire it to keep it). */
S3X_API struct s3x_pool *s3x_client_pool(struct s3x_client *client);
S3X_API uint64_t s3x_client_part_size(const struct s3x_client *client);
S3X_API uint64_t s3x_client_memory_limit(const struct s3x_client *client);
S3X_API const char *s3x_client_region(const struct s3x_client *client);

/* Counters since s3x_client_new, exact once no transfer runs. Versioned like s3x_pool_stats: set
 * struct_size = sizeof(struct s3x_client_stats) before calling s3x_client_stats; the library fills
 * that many bytes (fields added later are appended). */
struct s3x_client_stats {
    size_t struct_size;
    uint64_t http_requests;      /* HTTP requests completed (a request counts once, with its retries) */
    uint64_t http_attempts;      /* tries of those requests: the first ones and the retries */
    uint64_t http_retries;       /* attempts started after a failed one */
    uint64_t stalls;             /* attempts cut because no byte moved for too long */
    uint64_t connections_opened; /* TCP (and TLS) connections opened */
    uint64_t direct_attempts;    /* attempts on direct connections (see direct_receive_disable) */
    uint64_t idle_trims;         /* times the pool was trimmed after idle_trim_ms without work */
    uint64_t idle_trimmed_bytes; /* bytes those trims gave back to the system */
};

/* Returns 0, or S3X_ERR_INVALID_ARGUMENT (NULL, or struct_size smaller than the first version's). */
S3X_API int s3x_client_stats(const struct s3x_client *client, struct s3x_client_stats *out);

/* The memory limit a client would derive (see above) for `part_size_bytes`. */
S3X_API uint64_t s3x_default_memory_limit(uint64_t part_size_bytes);

#ifdef __cplusplus
}
#endif

#endif
