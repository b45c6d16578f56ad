/* Transfer benchmark driver: GETs and PUTs through the public API, timed, with CPU and memory.
 *
 * What it owns: one client, `--count` transfers of the same kind, at most `--in-flight` of them
 * running at once, and the figures printed at the end. It links only the public headers, like an
 * application would; bench/run drives it next to curl and aws-c-s3 (python3-awscrt).
 *
 *   bench_transfer get --endpoint http://127.0.0.1:80 --bucket bench --key obj2g --sink
 *   bench_transfer get ... --file /dev/shm/out          (GET into a file: temp file + rename)
 *   bench_transfer put ... --file /dev/shm/obj2g        (multipart PUT from a file)
 *   bench_transfer get ... --key small/obj --count 2000 --in-flight 32 --sink
 *                                                       (keys small/obj.0 .. small/obj.1999)
 * Options: --part-size, --memory-limit, --connections, --multipart-threshold take byte counts with
 * an optional K/M/G suffix (powers of 1024); --checksum none|crc32c|... (PUT; default none, so the
 * comparison with clients that send no checksum is even; say crc32c to measure the default).
 * --no-direct: downloads through libcurl's own transfer (the copy direct receive avoids).
 *
 * Output: `name value` lines, e.g. for a 2 GiB GET at 2 GB/s:
 *   bytes 2147483648
 *   seconds 1.0737            wall time from client creation to the last on_done
 *   mb_per_s 2000.0           bytes / seconds / 1e6
 *   cpu_s 0.52                user + system of the whole process (getrusage), all threads
 *   cpu_s_per_gib 0.52        cpu_s / (bytes / 2^30)
 *   peak_rss_mib 95.3         ru_maxrss
 *   pool_peak_allocated_bytes 67108864   from s3x_pool_stats: never above memory_limit_bytes
 * Invariants: every transfer's on_done fires exactly once; any failed transfer makes the exit
 * status 1 (after printing what failed), so a run never reports figures for a broken transfer.
 */
#include <s3xfer/s3xfer.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

struct s_opts {
    enum s3x_transfer_kind kind;
    const char *endpoint;
    const char *bucket;
    const char *key;
    const char *file;
    int sink;
    uint64_t part_size;
    uint64_t memory_limit;
    uint64_t multipart_threshold;
    uint32_t connections;
    uint32_t count;
    uint32_t in_flight;
    enum s3x_checksum_algorithm checksum;
    int no_direct;
};

/* One running transfer. `done` is set by on_done (event thread) under the shared lock. */
struct s_slot {
    struct s3x_transfer *transfer;
    int done;
    int error;
    uint64_t bytes;
    char message[256];
};

struct s_state {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    unsigned completed;
};

static struct s_state s_st = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};

static double s_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int s_usage(const char *why) {
    fprintf(stderr,
        "bench_transfer: %s\n"
        "usage: bench_transfer get|put --bucket B --key K (--file PATH | --sink)\n"
        "         [--endpoint URL] [--count N] [--in-flight M] [--part-size BYTES]\n"
        "         [--memory-limit BYTES] [--connections N] [--multipart-threshold BYTES]\n"
        "         [--checksum none|crc32c|crc32|crc64nvme|sha1|sha256] [--no-direct]\n",
        why);
    return 2;
}

/* "8M" -> 8388608. Returns 0 or -1. */
static int s_parse_bytes(const char *text, uint64_t *out) {
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || end == text) {
        return -1;
    }
    unsigned shift = 0;
    switch (*end) {
    case '\0': break;
    case 'K': case 'k': shift = 10; break;
    case 'M': case 'm': shift = 20; break;
    case 'G': case 'g': shift = 30; break;
    default: return -1;
    }
    if (*end != '\0' && end[1] != '\0') {
        return -1;
    }
    if (shift != 0 && v > (UINT64_MAX >> shift)) {
        return -1;
    }
    *out = (uint64_t)v << shift;
    return 0;
}

static int s_parse_u32(const char *text, uint32_t *out) {
    uint64_t v = 0;
    if (s_parse_bytes(text, &v) != 0 || v == 0 || v > UINT32_MAX) {
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

static int s_parse_args(int argc, char **argv, struct s_opts *o) {
    memset(o, 0, sizeof(*o));
    o->endpoint = "http://127.0.0.1:80";
    o->count = 1;
    o->in_flight = 1;
    o->checksum = S3X_CHECKSUM_NONE;
    if (argc < 2) {
        return s_usage("missing get|put");
    }
    if (strcmp(argv[1], "get") == 0) {
        o->kind = S3X_TRANSFER_GET;
    } else if (strcmp(argv[1], "put") == 0) {
        o->kind = S3X_TRANSFER_PUT;
    } else {
        return s_usage("first argument must be get or put");
    }
    for (int i = 2; i < argc; ++i) {
        const char *a = argv[i];
        if (strcmp(a, "--sink") == 0) {
            o->sink = 1;
            continue;
        }
        if (strcmp(a, "--no-direct") == 0) { /* downloads through libcurl's transfer (a copy) */
            o->no_direct = 1;
            continue;
        }
        if (i + 1 >= argc) {
            return s_usage("option without a value");
        }
        const char *v = argv[++i];
        int bad = 0;
        if (strcmp(a, "--endpoint") == 0) {
            o->endpoint = v;
        } else if (strcmp(a, "--bucket") == 0) {
            o->bucket = v;
        } else if (strcmp(a, "--key") == 0) {
            o->key = v;
        } else if (strcmp(a, "--file") == 0) {
            o->file = v;
        } else if (strcmp(a, "--part-size") == 0) {
            bad = s_parse_bytes(v, &o->part_size);
        } else if (strcmp(a, "--memory-limit") == 0) {
            bad = s_parse_bytes(v, &o->memory_limit);
        } else if (strcmp(a, "--multipart-threshold") == 0) {
            bad = s_parse_bytes(v, &o->multipart_threshold);
        } else if (strcmp(a, "--connections") == 0) {
            bad = s_parse_u32(v, &o->connections);
        } else if (strcmp(a, "--count") == 0) {
            bad = s_parse_u32(v, &o->count);
        } else if (strcmp(a, "--in-flight") == 0) {
            bad = s_parse_u32(v, &o->in_flight);
        } else if (strcmp(a, "--checksum") == 0) {
            bad = s3x_checksum_algorithm_parse(v, strlen(v), &o->checksum) != 0;
        } else {
            return s_usage("unknown option");
        }
        if (bad) {
            return s_usage("bad option value");
        }
    }
    if (o->bucket == NULL || o->key == NULL) {
        return s_usage("--bucket and --key are required");
    }
    if ((o->file != NULL) == (o->sink != 0)) {
        return s_usage("exactly one of --file and --sink");
    }
    if (o->sink && o->kind == S3X_TRANSFER_PUT) {
        return s_usage("--sink is for get");
    }
    return 0;
}

/* The discarding destination: takes the bytes in order, keeps nothing. */
static int s_discard(struct s3x_transfer *transfer, const uint8_t *data, size_t len, uint64_t offset,
    void *user_data) {
    (void)transfer;
    (void)data;
    (void)len;
    (void)offset;
    (void)user_data;
    return 0;
}

static void s_on_done(struct s3x_transfer *transfer, const struct s3x_transfer_result *result, void *user_data) {
    (void)transfer;
    struct s_slot *slot = user_data;
    pthread_mutex_lock(&s_st.lock);
    slot->error = result->error;
    slot->bytes = result->object_size;
    if (result->error != 0) {
        snprintf(slot->message, sizeof(slot->message), "%s (http %d, cause %s): %s", s3x_error_name(result->error),
            result->http_status, s3x_error_name(result->cause), result->message);
    }
    slot->done = 1;
    s_st.completed++;
    pthread_cond_broadcast(&s_st.cond);
    pthread_mutex_unlock(&s_st.lock);
}

static int s_start(struct s3x_client *client, const struct s_opts *o, uint32_t index, struct s_slot *slot) {
    char key[1024];
    if (o->count > 1) {
        snprintf(key, sizeof(key), "%s.%" PRIu32, o->key, index);
    } else {
        snprintf(key, sizeof(key), "%s", o->key);
    }
    struct s3x_transfer_options t;
    s3x_transfer_options_init(&t);
    t.kind = o->kind;
    t.bucket = o->bucket;
    t.key = key;
    if (o->sink) {
        t.write = s_discard;
    } else {
        t.file_path = o->file;
    }
    if (o->kind == S3X_TRANSFER_PUT) {
        t.checksum = o->checksum;
        t.checksum_set = true;
    }
    t.on_done = s_on_done;
    t.user_data = slot;
    memset(slot, 0, sizeof(*slot));
    int rc = s3x_transfer_start(client, &t, &slot->transfer);
    if (rc != 0) {
        fprintf(stderr, "bench_transfer: start %s: %s\n", key, s3x_error_name(rc));
    }
    return rc;
}

/* Waits for a slot whose transfer finished, releases it, accounts it. Returns the slot index. */
static uint32_t s_reap_one(struct s_slot *slots, uint32_t n, uint64_t *bytes, unsigned *failures) {
    pthread_mutex_lock(&s_st.lock);
    for (;;) {
        for (uint32_t i = 0; i < n; ++i) {
            if (slots[i].transfer != NULL && slots[i].done) {
                pthread_mutex_unlock(&s_st.lock);
                if (slots[i].error != 0) {
                    fprintf(stderr, "bench_transfer: transfer failed: %s\n", slots[i].message);
                    (*failures)++;
                }
                *bytes += slots[i].bytes;
                slots[i].transfer = s3x_transfer_release(slots[i].transfer);
                return i;
            }
        }
        pthread_cond_wait(&s_st.cond, &s_st.lock);
    }
}

static struct s3x_client *s_client(const struct s_opts *o) {
    struct s3x_client_options c;
    s3x_client_options_init(&c);
    c.config.endpoint_url = o->endpoint;
    c.config.addressing_style = S3X_ADDRESSING_PATH;
    c.config.region = "us-east-1";
    c.config.access_key_id = "bench";
    c.config.secret_access_key = "bench-secret";
    if (o->part_size != 0) {
        c.part_size_bytes = o->part_size;
    }
    c.memory_limit_bytes = o->memory_limit;
    c.direct_receive_disable = o->no_direct != 0;
    if (o->multipart_threshold != 0) {
        c.multipart_threshold_bytes = o->multipart_threshold;
    }
    if (o->connections != 0) {
        c.max_connections = o->connections;
    }
    c.checksum = o->checksum;
    c.checksum_in_complete = false;
    char why[256] = "";
    c.error_message = why;
    c.error_message_size = sizeof(why);
    struct s3x_client *client = NULL;
    int rc = s3x_client_new(s3x_allocator_system(), &c, &client);
    if (rc != 0) {
        fprintf(stderr, "bench_transfer: client: %s: %s\n", s3x_error_name(rc), why);
        return NULL;
    }
    return client;
}

static void s_report(struct s3x_client *client, uint64_t bytes, double seconds, uint32_t count) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu_user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6;
    double cpu_sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
    double gib = (double)bytes / (double)(1u << 30);
    struct s3x_pool_stats ps;
    memset(&ps, 0, sizeof(ps));
    ps.struct_size = sizeof(ps);
    int have_stats = s3x_pool_stats(s3x_client_pool(client), &ps) == 0;
    printf("objects %" PRIu32 "\n", count);
    printf("bytes %" PRIu64 "\n", bytes);
    printf("seconds %.4f\n", seconds);
    printf("mb_per_s %.1f\n", seconds > 0 ? (double)bytes / seconds / 1e6 : 0.0);
    printf("cpu_user_s %.3f\n", cpu_user);
    printf("cpu_sys_s %.3f\n", cpu_sys);
    printf("cpu_s %.3f\n", cpu_user + cpu_sys);
    printf("cpu_s_per_gib %.3f\n", gib > 0 ? (cpu_user + cpu_sys) / gib : 0.0);
    printf("peak_rss_mib %.1f\n", (double)ru.ru_maxrss / 1024.0);
    printf("part_size_bytes %" PRIu64 "\n", s3x_client_part_size(client));
    printf("memory_limit_bytes %" PRIu64 "\n", s3x_client_memory_limit(client));
    if (have_stats) {
        printf("pool_peak_allocated_bytes %zu\n", ps.peak_allocated_bytes);
        printf("pool_peak_reserved_bytes %zu\n", ps.peak_reserved_bytes);
        printf("pool_waited_count %" PRIu64 "\n", ps.waited_count);
        printf("pool_wait_ms %.1f\n", (double)ps.wait_ns_total / 1e6);
        printf("pool_system_allocations %" PRIu64 "\n", ps.system_allocations);
    }
}

int main(int argc, char **argv) {
    struct s_opts o;
    int rc = s_parse_args(argc, argv, &o);
    if (rc != 0) {
        return rc;
    }
    uint32_t n = o.in_flight < o.count ? o.in_flight : o.count;
    struct s_slot *slots = calloc(n, sizeof(*slots));
    if (slots == NULL) {
        fprintf(stderr, "bench_transfer: out of memory\n");
        return 1;
    }
    double t0 = s_now();
    struct s3x_client *client = s_client(&o);
    if (client == NULL) {
        free(slots);
        return 1;
    }
    uint64_t bytes = 0;
    unsigned failures = 0;
    uint32_t started = 0;
    uint32_t running = 0;
    for (uint32_t i = 0; i < n; ++i) {
        rc = s_start(client, &o, started, &slots[i]);
        if (rc != 0) {
            break;
        }
        started++;
        running++;
    }
    while (running > 0) {
        uint32_t i = s_reap_one(slots, n, &bytes, &failures);
        running--;
        if (rc == 0 && failures == 0 && started < o.count) {
            rc = s_start(client, &o, started, &slots[i]);
            if (rc == 0) {
                started++;
                running++;
            }
        }
    }
    double seconds = s_now() - t0;
    if (rc == 0 && failures == 0) {
        s_report(client, bytes, seconds, o.count);
    }
    client = s3x_client_release(client);
    free(slots);
    return rc == 0 && failures == 0 ? 0 : 1;
}
