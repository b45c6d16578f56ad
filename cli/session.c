/* The session: the client built from the command line, the statistics of the run, --stats-json.
 *
 * The client is made on first need (cli_session_connect), after the command's arguments have been
 * checked: a malformed URL is a usage error even without credentials, and a dry run of a local
 * upload needs none. It gets exactly what the user said; everything left unsaid is resolved by the library
 * the way the AWS tools do it (environment, ~/.aws/credentials and ~/.aws/config, see
 * credentials.h): --endpoint-url, --region and --profile are explicit values that win over the
 * environment and the files.
 *
 * Statistics: every finished transfer adds its metrics (bytes, requests, retries, time its part
 * reservations waited for memory). The pool's peak comes from s3x_pool_stats at the end: it is
 * the most memory the pool ever held from the system, which the pool guarantees never exceeds
 * the limit. Example of the JSON for a 1 GiB upload with --memory-limit 64MiB:
 *   {"command": "cp", "exit_code": 0, "error": null, "objects": 1, "failed": 0,
 *    "bytes": 1073741824, "seconds": 4.21, "mb_per_s": 255.0, "mib_per_s": 243.2,
 *    "requests": 130, "retries": 0, "part_size": 8388608, "memory_limit": 67108864,
 *    "pool_peak_allocated": 67108864, "pool_peak_reserved": 67108864,
 *    "memory_wait_seconds": 31.5, "pool_waited_reservations": 112, ...}
 * memory_wait_seconds adds up the waits of all part reservations, which overlap, so it can exceed
 * the wall-clock seconds: it says how much of the work queued for memory, not how long the run was.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_session_open(struct cli_session *s, const struct cli_options *opt) {
    memset(s, 0, sizeof(*s));
    s->opt = opt;
    s->allocator = s3x_allocator_system();
    cli_progress_init(&s->progress, opt, NULL);
}

int cli_session_connect(struct cli_session *s) {
    if (s->client != NULL || s->connect_error != 0) {
        return s->connect_error;
    }
    const struct cli_options *opt = s->opt;
    struct s3x_client_options co;
    s3x_client_options_init(&co);
    co.config.endpoint_url = opt->endpoint_url;
    co.config.region = opt->region;
    co.config.profile = opt->profile;
    co.part_size_bytes = opt->part_size_bytes;
    co.memory_limit_bytes = opt->memory_limit_bytes;
    if (opt->max_connections != 0) {
        co.max_connections = opt->max_connections;
    }
    if (opt->checksum_set) {
        co.checksum = opt->checksum;
    }
    co.checksum_in_complete = !opt->no_checksum_in_complete;
    co.tls_verify_disable = opt->no_verify_ssl;
    co.direct_receive_disable = opt->no_direct;
    co.ca_file = opt->ca_bundle;
    char message[512] = "";
    co.error_message = message;
    co.error_message_size = sizeof(message);
    int rc = s3x_client_new(s->allocator, &co, &s->client);
    if (rc != 0) {
        s->client = NULL;
        s->connect_error = cli_report(rc, CLI_SIDE_REMOTE, NULL, "cannot set up the S3 client: %s",
            message[0] != '\0' ? message : s3x_error_str(rc));
        return s->connect_error;
    }
    s->progress.pool = s3x_client_pool(s->client);
    return 0;
}

void cli_session_close(struct cli_session *s) {
    s->client = s3x_client_release(s->client);
}

void cli_stats_add(struct cli_session *s, const struct s3x_transfer_metrics *m, bool ok, uint64_t bytes) {
    struct cli_stats *st = &s->stats;
    if (ok) {
        st->objects++;
        st->bytes += bytes;
    } else {
        st->failed++;
    }
    if (m != NULL) {
        st->requests += m->requests;
        st->retries += m->retries;
        st->memory_wait_ns += m->memory_wait_ns;
        if (m->peak_memory_bytes > st->peak_transfer_memory) {
            st->peak_transfer_memory = m->peak_memory_bytes;
        }
    }
}

static void s_json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p != 0; ++p) {
        if (*p == '"' || *p == '\\') {
            fprintf(f, "\\%c", *p);
        } else if (*p < 0x20) {
            fprintf(f, "\\u%04x", *p);
        } else {
            fputc(*p, f);
        }
    }
    fputc('"', f);
}

static void s_write(FILE *f, struct cli_session *s, int exit_code) {
    const struct cli_stats *st = &s->stats;
    uint64_t ns = st->last_end_ns > st->first_start_ns ? st->last_end_ns - st->first_start_ns : 0;
    double seconds = (double)ns / 1e9;
    double bps = seconds > 0.0 ? (double)st->bytes / seconds : 0.0;
    struct s3x_pool_stats ps;
    memset(&ps, 0, sizeof(ps));
    ps.struct_size = sizeof(ps);
    if (s->client == NULL || s3x_pool_stats(s3x_client_pool(s->client), &ps) != 0) {
        memset(&ps, 0, sizeof(ps));
    }
    struct s3x_client_stats cs = {.struct_size = sizeof(cs)};
    if (s->client == NULL || s3x_client_stats(s->client, &cs) != 0) {
        memset(&cs, 0, sizeof(cs));
    }
    fprintf(f, "{\n  \"command\": ");
    s_json_string(f, s->opt->command_name != NULL ? s->opt->command_name : "");
    fprintf(f, ",\n  \"exit_code\": %d,\n  \"error\": ", exit_code);
    if (cli_first_error()[0] != '\0') {
        s_json_string(f, cli_first_error());
    } else {
        fputs("null", f);
    }
    fprintf(f,
        ",\n  \"objects\": %llu,\n  \"failed\": %llu,\n  \"bytes\": %llu,\n  \"seconds\": %.3f,\n"
        "  \"mb_per_s\": %.1f,\n  \"mib_per_s\": %.1f,\n  \"requests\": %llu,\n  \"retries\": %llu,\n",
        (unsigned long long)st->objects, (unsigned long long)st->failed, (unsigned long long)st->bytes, seconds,
        bps / 1e6, bps / 1048576.0, (unsigned long long)st->requests, (unsigned long long)st->retries);
    fprintf(f,
        "  \"part_size\": %llu,\n  \"memory_limit\": %llu,\n  \"pool_peak_allocated\": %llu,\n"
        "  \"pool_peak_reserved\": %llu,\n  \"pool_peak_used\": %llu,\n  \"transfer_peak_memory\": %llu,\n"
        "  \"memory_wait_seconds\": %.3f,\n  \"pool_wait_seconds\": %.3f,\n  \"pool_waited_reservations\": %llu,\n"
        "  \"pool_system_allocations\": %llu,\n",
        (unsigned long long)(s->client != NULL ? s3x_client_part_size(s->client) : 0),
        (unsigned long long)(s->client != NULL ? s3x_client_memory_limit(s->client) : 0),
        (unsigned long long)ps.peak_allocated_bytes, (unsigned long long)ps.peak_reserved_bytes,
        (unsigned long long)ps.peak_used_bytes, (unsigned long long)st->peak_transfer_memory,
        (double)st->memory_wait_ns / 1e9, (double)ps.wait_ns_total / 1e9, (unsigned long long)ps.waited_count,
        (unsigned long long)ps.system_allocations);
    fprintf(f,
        "  \"http_attempts\": %llu,\n  \"http_stalls\": %llu,\n  \"connections_opened\": %llu,\n"
        "  \"direct_attempts\": %llu\n}\n",
        (unsigned long long)cs.http_attempts, (unsigned long long)cs.stalls, (unsigned long long)cs.connections_opened,
        (unsigned long long)cs.direct_attempts);
}

int cli_stats_write(struct cli_session *s, int exit_code) {
    const char *path = s->opt->stats_json;
    if (path == NULL) {
        return 0;
    }
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        int e = errno;
        return cli_report(e == ENOENT ? S3X_ERR_NOT_FOUND : S3X_ERR_IO, CLI_SIDE_LOCAL, NULL,
                   "--stats-json: cannot write '%s': %s", path, strerror(e)) != 0
                   ? CLI_EXIT_LOCAL_IO
                   : 0;
    }
    s_write(f, s, exit_code);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        cli_report(S3X_ERR_IO, CLI_SIDE_LOCAL, NULL, "--stats-json: writing '%s' failed", path);
        return CLI_EXIT_LOCAL_IO;
    }
    return 0;
}

void cli_say(struct cli_session *s, const char *fmt, ...) {
    if (s->opt->quiet || s->stdout_is_data) {
        return;
    }
    cli_progress_clear(&s->progress);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
}
