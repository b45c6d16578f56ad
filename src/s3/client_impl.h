/* The client's internals, shared by the transfer files (transfer.c, get.c, put.c, ops.c). */
#ifndef S3XFER_S3_CLIENT_IMPL_H
#define S3XFER_S3_CLIENT_IMPL_H

#include <s3xfer/client.h>

#include "common/common.h"
#include "http/engine.h"
#include "s3/s3_request.h"

/* Disk reads and writes (and the application's stream callbacks) run on this many threads, never
 * on the event thread. Two keep a disk busy while one thread waits; more would only compete for
 * this machine's cores with the event thread. */
#define S3X_CLIENT_IO_THREADS 2
#define S3X_CLIENT_MAX_CONNECTIONS_DEFAULT 16
#define S3X_CLIENT_IDLE_TRIM_MS_DEFAULT 5000u
/* Derived memory limit: this fraction of the memory available, clamped below. */
#define S3X_CLIENT_MEMORY_FRACTION 4
#define S3X_CLIENT_MEMORY_LIMIT_MAX ((uint64_t)2 * 1024 * 1024 * 1024)

/* Immutable after s3x_client_new, except the reference count, the I/O round robin and the idle
 * trim counters. */
struct s3x_client {
    struct s3x_allocator *allocator;
    struct s3x_ref_count ref;
    struct s3x_http_engine *engine;
    struct s3x_executor *io[S3X_CLIENT_IO_THREADS];
    atomic_uint io_next;
    struct s3x_pool *pool;
    struct s3x_s3_context s3;
    char *region;
    uint64_t part_size;
    uint64_t memory_limit;
    uint64_t multipart_threshold;
    uint32_t max_connections;
    enum s3x_checksum_algorithm checksum;
    bool checksum_in_complete;
    _Atomic uint64_t idle_trims, idle_trimmed_bytes; /* written on the event thread */
};

/* The event thread's executor. */
struct s3x_executor *s3x__client_loop(struct s3x_client *client);
/* One of the I/O executors (round robin). */
struct s3x_executor *s3x__client_io(struct s3x_client *client);

#endif
