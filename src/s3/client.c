/* The client: configuration, one engine, one pool, I/O threads (see include/s3xfer/client.h).
 *
 * Construction order (teardown is the reverse): resolved configuration -> endpoint -> key cache
 * -> pool (factory) -> I/O executors -> engine. The engine goes first at teardown so no request
 * hook can run while the rest is freed; the pool is released last, and because every ticket holds
 * a pool reference, tickets an application kept (ticket hand-off) stay valid after the client.
 *
 * Derived memory limit, worked example: a container with memory.max = 4 GiB gives 1 GiB; a 64 GiB
 * host without a cgroup limit gives min(16 GiB, 2 GiB) = 2 GiB; a 48 MiB container with 8 MiB
 * parts gives max(12 MiB, 16 MiB) = 16 MiB (two parts).
 */
#include "client_impl.h"

#include "http/credentials.h"

#include <s3xfer/transfer.h>

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void s3x_client_options_init(struct s3x_client_options *o) {
    memset(o, 0, sizeof(*o));
    o->struct_size = sizeof(*o);
    o->part_size_bytes = S3X_PART_SIZE_DEFAULT;
    o->max_connections = S3X_CLIENT_MAX_CONNECTIONS_DEFAULT;
    o->checksum = S3X_CHECKSUM_CRC32C;
    o->checksum_in_complete = true;
    o->idle_trim_ms = S3X_CLIENT_IDLE_TRIM_MS_DEFAULT;
}

static uint64_t s_read_u64_file(const char *path) {
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return 0;
    }
    char line[64] = {0};
    uint64_t v = 0;
    if (fgets(line, sizeof(line), f) != NULL && strncmp(line, "max", 3) != 0) {
        v = strtoull(line, NULL, 10);
    }
    fclose(f);
    return v;
}

static uint64_t s_available_memory(void) {
    long pages = sysconf(_SC_PHYS_PAGES);
    long page = sysconf(_SC_PAGESIZE);
    uint64_t phys = (pages > 0 && page > 0) ? (uint64_t)pages * (uint64_t)page : 0;
    uint64_t cg = s_read_u64_file("/sys/fs/cgroup/memory.max");
    if (cg == 0) {
        cg = s_read_u64_file("/sys/fs/cgroup/memory/memory.limit_in_bytes");
    }
    if (cg != 0 && (phys == 0 || cg < phys)) {
        return cg;
    }
    return phys;
}

uint64_t s3x_default_memory_limit(uint64_t part_size_bytes) {
    if (part_size_bytes == 0) {
        part_size_bytes = S3X_PART_SIZE_DEFAULT;
    }
    uint64_t limit = s_available_memory() / S3X_CLIENT_MEMORY_FRACTION;
    limit = S3X_MIN(limit, S3X_CLIENT_MEMORY_LIMIT_MAX);
    return S3X_MAX(limit, 2 * part_size_bytes);
}

static void s_message(const struct s3x_client_options *o, const char *prefix, const char *detail) {
    if (o->error_message != NULL && o->error_message_size > 0) {
        snprintf(o->error_message, o->error_message_size, "%s%s", prefix, detail);
    }
}

static int s_validate(const struct s3x_client_options *o, uint64_t *part_size, uint64_t *limit) {
    *part_size = o->part_size_bytes == 0 ? S3X_PART_SIZE_DEFAULT : o->part_size_bytes;
    if (*part_size < S3X_PART_SIZE_MIN || *part_size > S3X_PART_SIZE_MAX) {
        s_message(o, "", "part size must be between 5 MiB and 5 GiB");
        return S3X_ERR_INVALID_ARGUMENT;
    }
    *limit = o->memory_limit_bytes == 0 ? s3x_default_memory_limit(*part_size) : o->memory_limit_bytes;
    if (*limit < *part_size) {
        s_message(o, "", "memory limit must be at least one part size");
        return S3X_ERR_INVALID_ARGUMENT;
    }
    if (*limit > SIZE_MAX / 2) {
        s_message(o, "", "memory limit is larger than this machine can address");
        return S3X_ERR_INVALID_ARGUMENT;
    }
    return 0;
}

static int s_setup_config(struct s3x_client *c, const struct s3x_client_options *o) {
    struct s3x_aws_config cfg;
    int rc = s3x_aws_config_resolve(c->allocator, &o->config, &cfg);
    if (rc == S3X_ERR_CREDENTIALS_NOT_FOUND && o->credentials_provider != NULL) {
        struct s3x_aws_config_options anon = o->config;
        anon.anonymous = true;
        rc = s3x_aws_config_resolve(c->allocator, &anon, &cfg);
    }
    if (rc != 0) {
        s_message(o, "", cfg.error_message[0] != '\0' ? cfg.error_message : s3x_error_str(rc));
        s3x_aws_config_clean_up(&cfg);
        return rc;
    }
    char err[256] = {0};
    rc = s3x__endpoint_init(&c->s3.endpoint, c->allocator, cfg.endpoint_url, cfg.region, cfg.addressing_style, err,
        sizeof(err));
    if (rc != 0) {
        s_message(o, "", err[0] != '\0' ? err : s3x_error_str(rc));
    } else {
        c->region = s3x_mem_strdup(c->allocator, cfg.region);
        c->s3.credentials = s3x_credentials_acquire(cfg.credentials);
        rc = c->region == NULL ? S3X_ERR_OOM : 0;
    }
    s3x_aws_config_clean_up(&cfg);
    c->s3.region = c->region;
    c->s3.credentials_provider = o->credentials_provider;
    c->s3.credentials_provider_user_data = o->credentials_provider_user_data;
    return rc;
}

/* The engine has been idle for idle_trim_ms (its thread): cached part buffers go back. */
static void s_on_idle(void *user_data) {
    struct s3x_client *c = user_data;
    size_t freed = s3x_pool_trim(c->pool);
    atomic_fetch_add_explicit(&c->idle_trims, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->idle_trimmed_bytes, freed, memory_order_relaxed);
    S3X_LOG_DEBUGF("client", "idle: the pool gave %zu bytes back", freed);
}

static int s_setup_runtime(struct s3x_client *c, const struct s3x_client_options *o) {
    int rc = s3x__sigv4_key_cache_new(c->allocator, &c->s3.key_cache);
    if (rc != 0) {
        return rc;
    }
    struct s3x_pool_config pc = {.memory_limit_bytes = (size_t)c->memory_limit, .part_size_bytes = (size_t)c->part_size};
    if (o->pool_factory != NULL) {
        rc = s3x_pool_factory_create(o->pool_factory, c->allocator, &pc, &c->pool);
    } else {
        rc = s3x_default_pool_new(c->allocator, &pc, &c->pool);
    }
    if (rc != 0) {
        s_message(o, "the buffer pool could not be created: ", s3x_error_str(rc));
        return rc;
    }
    for (size_t i = 0; i < S3X_CLIENT_IO_THREADS; ++i) {
        rc = s3x_thread_executor_new(c->allocator, &c->io[i]);
        if (rc != 0) {
            return rc;
        }
    }
    struct s3x_http_engine_options eo = {
        .max_connections = c->max_connections,
        .connect_timeout_ms = o->connect_timeout_ms,
        .stall_window_ms = o->stall_window_ms,
        .max_attempts = o->max_attempts,
        .retry_base_delay_ms = o->retry_base_delay_ms,
        .tls_verify_disable = o->tls_verify_disable,
        .ca_file = o->ca_file,
        .direct_receive_disable = o->direct_receive_disable,
        .on_idle = o->idle_trim_ms != S3X_IDLE_TRIM_NEVER ? s_on_idle : NULL,
        .on_idle_user_data = c,
        .idle_ms = o->idle_trim_ms,
    };
    rc = s3x__http_engine_new(c->allocator, &eo, &c->engine);
    c->s3.engine = c->engine;
    return rc;
}

static void s_destroy(struct s3x_client *c) {
    s3x__http_engine_destroy(c->engine);
    for (size_t i = 0; i < S3X_CLIENT_IO_THREADS; ++i) {
        if (c->io[i] != NULL) {
            s3x_thread_executor_destroy(c->io[i]);
        }
    }
    s3x__sigv4_key_cache_destroy(c->s3.key_cache);
    s3x_credentials_release(c->s3.credentials);
    s3x__endpoint_clean_up(&c->s3.endpoint);
    s3x_mem_release(c->allocator, c->region);
    s3x_pool_release(c->pool);
    s3x_mem_release(c->allocator, c);
}

int s3x_client_new(struct s3x_allocator *allocator, const struct s3x_client_options *o, struct s3x_client **out) {
    if (allocator == NULL || o == NULL || out == NULL || o->struct_size < sizeof(*o)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    *out = NULL;
    uint64_t part_size;
    uint64_t limit;
    int rc = s_validate(o, &part_size, &limit);
    if (rc != 0) {
        return rc;
    }
    struct s3x_client *c = s3x_mem_calloc(allocator, 1, sizeof(*c));
    if (c == NULL) {
        return S3X_ERR_OOM;
    }
    c->allocator = allocator;
    s3x__ref_init(&c->ref);
    c->s3.allocator = allocator;
    c->part_size = part_size;
    c->memory_limit = limit;
    c->multipart_threshold = o->multipart_threshold_bytes == 0 ? part_size : o->multipart_threshold_bytes;
    c->max_connections = o->max_connections == 0 ? S3X_CLIENT_MAX_CONNECTIONS_DEFAULT : o->max_connections;
    c->checksum = o->checksum;
    c->checksum_in_complete = o->checksum_in_complete;
    rc = s_setup_config(c, o);
    if (rc == 0) {
        rc = s_setup_runtime(c, o);
    }
    if (rc != 0) {
        s_destroy(c);
        return rc;
    }
    S3X_LOG_INFOF("client", "client ready: region %s, part size %llu, memory limit %llu, %u connections", c->region,
        (unsigned long long)c->part_size, (unsigned long long)c->memory_limit, c->max_connections);
    *out = c;
    return 0;
}

struct s3x_client *s3x_client_acquire(struct s3x_client *client) {
    if (client != NULL) {
        s3x__ref_acquire(&client->ref);
    }
    return client;
}

static void *s_destroy_thread(void *arg) {
    s_destroy(arg);
    return NULL;
}

static bool s_on_client_thread(struct s3x_client *c) {
    if (c->engine != NULL && s3x__http_engine_is_current(c->engine)) {
        return true;
    }
    for (size_t i = 0; i < S3X_CLIENT_IO_THREADS; ++i) {
        if (c->io[i] != NULL && s3x_thread_executor_is_current(c->io[i])) {
            return true;
        }
    }
    return false;
}

struct s3x_client *s3x_client_release(struct s3x_client *client) {
    if (client == NULL || !s3x__ref_release(&client->ref)) {
        return NULL;
    }
    /* The last reference can go on one of the client's own threads (an application released the
     * client and then a transfer while its callback ran): those threads cannot join themselves,
     * so a short-lived detached thread tears the client down. */
    if (s_on_client_thread(client)) {
        pthread_t thread;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&thread, &attr, s_destroy_thread, client);
        pthread_attr_destroy(&attr);
        if (rc == 0) {
            return NULL;
        }
        S3X_LOG_ERRORF("client", "cannot start a thread to destroy the client; it is leaked");
        return NULL;
    }
    s_destroy(client);
    return NULL;
}

struct s3x_pool *s3x_client_pool(struct s3x_client *client) {
    return client->pool;
}

uint64_t s3x_client_part_size(const struct s3x_client *client) {
    return client->part_size;
}

uint64_t s3x_client_memory_limit(const struct s3x_client *client) {
    return client->memory_limit;
}

const char *s3x_client_region(const struct s3x_client *client) {
    return client->region;
}

/* The size of the first version of struct s3x_client_stats: a smaller struct_size is refused. */
#define S_STATS_V1_SIZE (offsetof(struct s3x_client_stats, idle_trimmed_bytes) + sizeof(uint64_t))

int s3x_client_stats(const struct s3x_client *client, struct s3x_client_stats *out) {
    if (client == NULL || out == NULL || out->struct_size < S_STATS_V1_SIZE) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    struct s3x_http_engine_stats es;
    s3x__http_engine_stats(client->engine, &es);
    struct s3x_client_stats full = {
        .struct_size = sizeof(full),
        .http_requests = es.requests_completed,
        .http_attempts = es.attempts,
        .http_retries = es.retries,
        .stalls = es.stalls,
        .connections_opened = es.connections_opened,
        .direct_attempts = es.direct_attempts,
        .idle_trims = atomic_load_explicit(&client->idle_trims, memory_order_relaxed),
        .idle_trimmed_bytes = atomic_load_explicit(&client->idle_trimmed_bytes, memory_order_relaxed),
    };
    /* A caller built against a newer header gets the fields we know; the rest stay as it set them. */
    size_t n = S3X_MIN(out->struct_size, sizeof(full));
    memcpy(out, &full, n);
    out->struct_size = n;
    return 0;
}

struct s3x_executor *s3x__client_loop(struct s3x_client *client) {
    return s3x__http_engine_executor(client->engine);
}

struct s3x_executor *s3x__client_io(struct s3x_client *client) {
    unsigned i = atomic_fetch_add_explicit(&client->io_next, 1, memory_order_relaxed);
    return client->io[i % S3X_CLIENT_IO_THREADS];
}
