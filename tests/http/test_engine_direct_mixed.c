/* Engine tests: direct connections (src/http/direct.c) and libcurl's own sharing one
 * max_connections, checked from outside: the process's open client sockets, and the server's count
 * of connections ever opened.
 */
#include "test_engine_direct_util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================================================
 * Mixed: dripping direct GETs hold every slot while uploads (curl's path) wait for them, then
 * more direct GETs. A sampler lists this process's open client sockets to the server in
 * /proc/net/tcp (ESTABLISHED, SYN_SENT, CLOSE_WAIT: an fd still held; a closed socket is in
 * FIN_WAIT or TIME_WAIT) every millisecond: never more than max_connections. The file is not a
 * snapshot: the kernel walks its hash buckets page by page, so one read can list a socket twice
 * (entries moved between pages) or list one just closed next to one just opened. So a socket
 * counts when it is in two consecutive reads (by local port): it was then open all the time from
 * the end of the first read to the start of the second, together with every other one counted.
 * The server's "connections" counts every connection ever opened: 4 for the drips, at most 4 more
 * when the uploads need curl's own, at most 2 more when the last GETs need direct ones again (idle
 * connections of the other kind must be closed to stay within the limit). Then two phases that
 * force each kind to make room for the other: 4 slow streamed POSTs (curl's path) hold every slot,
 * so every idle direct connection is closed; then 4 dripping GETs need 4 new direct connections
 * while curl keeps 4 idle ones of its own (curl must close them: direct connections count in its
 * total and per-host limits).
 */
enum { T_SAMPLE_MAX = 64 };

struct t_sampler {
    pthread_t thread;
    unsigned port;
    atomic_bool stop;
    atomic_int max_open;
    atomic_int samples;
};

/* The local ports of the open client sockets to `port`, each once; -1 if the file is missing. */
static int s_open_client_sockets(unsigned port, unsigned ports[T_SAMPLE_MAX]) {
    FILE *f = fopen("/proc/net/tcp", "r");
    if (f == NULL) {
        return -1;
    }
    char line[512];
    int n = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        unsigned local = 0, remote = 0, st = 0;
        if (sscanf(line, " %*u: %*x:%x %*x:%x %x", &local, &remote, &st) != 3 || remote != port ||
            local == port || (st != 1 && st != 2 && st != 8)) {
            continue;
        }
        bool seen = false;
        for (int i = 0; i < n && !seen; ++i) {
            seen = ports[i] == local;
        }
        if (!seen && n < T_SAMPLE_MAX) {
            ports[n++] = local;
        }
    }
    fclose(f);
    return n;
}

static void *s_sampler_run(void *arg) {
    struct t_sampler *s = arg;
    unsigned lists[2][T_SAMPLE_MAX];
    int counts[2] = {s_open_client_sockets(s->port, lists[0]), 0};
    for (int k = 1; !atomic_load(&s->stop); k ^= 1) {
        t_sleep_ms(1);
        counts[k] = s_open_client_sockets(s->port, lists[k]);
        int both = 0;
        for (int i = 0; i < counts[k]; ++i) {
            for (int j = 0; j < counts[k ^ 1]; ++j) {
                both += lists[k][i] == lists[k ^ 1][j];
            }
        }
        if (both > atomic_load(&s->max_open)) {
            atomic_store(&s->max_open, both);
        }
        atomic_fetch_add(&s->samples, 1);
    }
    return NULL;
}

struct t_put {
    struct t_req t; /* first: the util's hooks take it as user_data */
    uint64_t size, produced;
    atomic_int rewinds;
};

static int s_put_read(struct s3x_http_request *r, uint8_t *buf, size_t cap, size_t *out, void *user_data) {
    struct t_put *p = user_data;
    (void)r;
    size_t n = (size_t)T_MIN((uint64_t)cap, p->size - p->produced);
    for (size_t i = 0; i < n; ++i) {
        buf[i] = s3x_fault_pattern_byte(p->produced + i);
    }
    p->produced += n;
    *out = n;
    return 0;
}

static int s_put_rewind(struct s3x_http_request *r, void *user_data) {
    struct t_put *p = user_data;
    (void)r;
    p->produced = 0;
    atomic_fetch_add(&p->rewinds, 1);
    return 0;
}

/* A PUT of `mem` (its first `size` bytes), or without it a POST streaming `size` pattern bytes. */
static void s_upload(struct t_env *env, struct t_put *p, const uint8_t *mem, uint64_t size) {
    char url[160];
    struct s3x_http_request_options o;
    t_req_options(&p->t, &o, mem != NULL ? "PUT" : "POST", t_url(env, "/sink/mixed", url, sizeof(url)));
    p->size = size;
    if (mem != NULL) {
        o.body.kind = S3X_HTTP_BODY_MEMORY;
        o.body.data = mem;
        o.body.len = (size_t)size;
    } else {
        o.body.kind = S3X_HTTP_BODY_STREAM;
        o.body.content_length = size;
        o.body.read = s_put_read;
        o.body.rewind = s_put_rewind;
    }
    t_req_new(&p->t, env, &o);
    t_req_submit(&p->t);
}

static void test_direct_mixed(void **state) {
    struct s3x_http_engine_options eo = t_fast;
    eo.max_connections = 4;
    struct t_env env;
    t_env_start(&env, state, &eo);
    struct t_sampler smp = {.port = env.server.port};
    unsigned probe[T_SAMPLE_MAX];
    assert_true(s_open_client_sockets(smp.port, probe) >= 0);
    assert_int_equal(pthread_create(&smp.thread, NULL, s_sampler_run, &smp), 0);
    enum { DRIPS = 4, LATE = 2, PUTS = 3, POSTS = 3, SLOW = 4, AGAIN = 4 };
    static struct t_get gets[DRIPS + LATE], again[AGAIN];
    static struct t_put ups[PUTS + POSTS], slow[SLOW];
    memset(gets, 0, sizeof(gets));
    memset(ups, 0, sizeof(ups));
    memset(again, 0, sizeof(again));
    memset(slow, 0, sizeof(slow));
    uint8_t *mem = malloc(300000);
    assert_non_null(mem);
    for (size_t i = 0; i < 300000; ++i) {
        mem[i] = s3x_fault_pattern_byte(i);
    }
    for (int i = 0; i < DRIPS; ++i) {
        t_get_submit(&env, &gets[i], "/data/200000", 200000, "drip; chunk=8192; interval_ms=20", NULL);
    }
    for (int i = 0; i < PUTS + POSTS; ++i) {
        s_upload(&env, &ups[i], i < PUTS ? mem : NULL, i < PUTS ? 300000 : 500000);
    }
    for (int i = DRIPS; i < DRIPS + LATE; ++i) {
        t_get_submit(&env, &gets[i], "/data/1048583", T_MIB + 7, NULL, NULL);
    }
    t_done_wait(&env.done, DRIPS + LATE + PUTS + POSTS);
    long first = s3x_fault_server_stat(&env.server, "connections");
    for (int i = 0; i < SLOW; ++i) {
        slow[i].t.fault = "slow-upload";
        s_upload(&env, &slow[i], NULL, 300000);
    }
    t_done_wait(&env.done, DRIPS + LATE + PUTS + POSTS + SLOW);
    for (int i = 0; i < AGAIN; ++i) {
        t_get_submit(&env, &again[i], "/data/200000", 200000, "drip; chunk=16384; interval_ms=20", NULL);
    }
    t_done_wait(&env.done, DRIPS + LATE + PUTS + POSTS + SLOW + AGAIN);
    atomic_store(&smp.stop, true);
    pthread_join(smp.thread, NULL);
    for (int i = 0; i < AGAIN; ++i) {
        t_expect_ok(&again[i], 200, 0, 200000, 1);
    }
    for (int i = 0; i < SLOW; ++i) {
        assert_int_equal(slow[i].t.error, 0);
        assert_int_equal(slow[i].t.status, 200);
        assert_string_equal(s3x__http_request_response_header(slow[i].t.request, "x-sink-bytes"), "300000");
    }
    for (int i = 0; i < DRIPS + LATE; ++i) {
        t_expect_ok(&gets[i], 200, 0, i < DRIPS ? 200000 : T_MIB + 7, 1);
    }
    char want300[65], want500[65], bytes[32];
    t_pattern_sha256(300000, want300);
    t_pattern_sha256(500000, want500);
    for (int i = 0; i < PUTS + POSTS; ++i) {
        struct t_req *t = &ups[i].t;
        if (t->error != 0) {
            fail_msg("upload %d: %s: %s", i, s3x_error_name(t->error), t->curl_message);
        }
        assert_int_equal(t->status, 200);
        assert_int_equal(t->attempts, 1);
        snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)ups[i].size);
        assert_string_equal(s3x__http_request_response_header(t->request, "x-sink-bytes"), bytes);
        const char *sha = s3x__http_request_response_header(t->request, "x-sink-sha256");
        assert_string_equal(sha, i < PUTS ? want300 : want500);
    }
    struct s3x_http_engine_stats st = t_stats(&env);
    assert_int_equal(st.attempts, DRIPS + LATE + PUTS + POSTS + SLOW + AGAIN);
    /* PUT from memory: direct; POST streamed: curl */
    assert_int_equal(st.direct_attempts, DRIPS + LATE + PUTS + AGAIN);
    assert_true(atomic_load(&smp.samples) > 0);
    if (atomic_load(&smp.max_open) > 4) {
        fail_msg("%d client connections open at once with max_connections 4", atomic_load(&smp.max_open));
    }
    long connections = s3x_fault_server_stat(&env.server, "connections");
    if (first < 4 || first > 4 + 4 + 2 || connections - first < AGAIN || connections - first > SLOW + AGAIN) {
        fail_msg("%ld connections opened, %ld of them in the first phase", connections, first);
    }
    t_env_stop(&env);
    for (int i = 0; i < AGAIN; ++i) {
        t_get_release(&again[i]);
    }
    for (int i = 0; i < SLOW; ++i) {
        t_req_release(&slow[i].t);
    }
    for (int i = 0; i < DRIPS + LATE; ++i) {
        t_get_release(&gets[i]);
    }
    for (int i = 0; i < PUTS + POSTS; ++i) {
        t_req_release(&ups[i].t);
    }
    free(mem);
}

int main(int argc, char **argv) {
    static const struct CMUnitTest tests[] = {
        S3X_TEST(test_direct_mixed),
    };
    return S3X_TEST_MAIN(argc, argv, "http_engine_direct_mixed", tests);
}
