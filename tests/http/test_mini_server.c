/* t_mini, the scripted HTTP/1.1 server of the direct-receive tests: modes, invariants and an
 * example are in test_mini_server.h. Here: reading a request head, the answers, the threads.
 * Requests on one connection are read and answered in order by that connection's thread (the
 * clients never pipeline); a mode's answer ends in T_MINI_KEEP (read the next head), T_MINI_CLOSE
 * or T_MINI_RESET. Example: "trailers" for /100000 sends 13 chunks (12 of 7777 bytes, one of 6676:
 * "1E61;name=\"v\"" ... "1A14;name=\"v\"") and "0\r\nX-Trailer: done\r\n\r\n", and keeps the connection.
 */
#include "test_mini_server.h"

#include "test_engine_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define T_MIN(a, b) ((a) < (b) ? (a) : (b))

static bool s_send_all(int fd, const void *data, size_t len) {
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* Reads one request head (GETs carry no body; clients here never pipeline). 0 at EOF. */
/* Reads one request head and nothing past it (a request body stays in the socket for the mode
 * that reads it): peeks, then consumes exactly up to the blank line. */
static size_t s_mini_read_head(int fd, char *buf, size_t cap) {
    size_t len = 0;
    buf[0] = '\0';
    for (;;) {
        if (len + 1 >= cap) {
            return 0;
        }
        ssize_t n = recv(fd, buf + len, cap - 1 - len, MSG_PEEK);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return 0;
        }
        buf[len + (size_t)n] = '\0';
        char *end = strstr(buf + (len >= 3 ? len - 3 : 0), "\r\n\r\n");
        size_t take = end != NULL ? (size_t)(end + 4 - (buf + len)) : (size_t)n;
        if (recv(fd, buf + len, take, 0) != (ssize_t)take) {
            return 0;
        }
        len += take;
        buf[len] = '\0';
        if (end != NULL) {
            return len;
        }
    }
}

enum t_mini_end { T_MINI_KEEP, T_MINI_CLOSE, T_MINI_RESET, T_MINI_LATE_CLOSE };

/* Answers that do not depend on the size asked for. */
static const struct {
    const char *mode, *answer;
    enum t_mini_end end;
} s_mini_fixed[] = {
    {"error-chunked", /* a non-2xx body in two chunks, on a kept connection */
        "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n"
        "f\r\n<Error><Code>No\r\n16\r\nSuchKey</Code></Error>\r\n0\r\n\r\n", T_MINI_KEEP},
    {"bad-chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", T_MINI_CLOSE},
    {"cut-head", "HTTP/1.1 200 OK\r\nContent-Le", T_MINI_CLOSE},
    {"error-until-close", "HTTP/1.1 403 Forbidden\r\n\r\n<Error><Code>AccessDenied</Code></Error>", T_MINI_CLOSE},
    {"no-content", "HTTP/1.1 204 No Content\r\nX-Note: none\r\n\r\n", T_MINI_KEEP},
    /* answered before the request's body is read; the body is never read (closed 300 ms later) */
    {"early-403", "HTTP/1.1 403 Forbidden\r\nContent-Length: 40\r\nConnection: close\r\n\r\n"
                  "<Error><Code>AccessDenied</Code></Error>", T_MINI_LATE_CLOSE},
};

/* head, body and tail in one send (one segment on loopback for these sizes). */
static bool s_send_joined(int fd, const char *head, const uint8_t *body, size_t size, const char *tail) {
    size_t h = strlen(head), t = strlen(tail);
    uint8_t *all = malloc(h + size + t);
    assert_non_null(all);
    memcpy(all, head, h);
    memcpy(all + h, body, size);
    memcpy(all + h + size, tail, t);
    bool ok = s_send_all(fd, all, h + size + t);
    free(all);
    return ok;
}

/* Heads that are odd in shape: a byte per segment with odd spacing, 1000 or 3000 headers (100 KB:
 * fits; 300 KB: more than is kept), one 50 000-byte line (curl takes up to 100 KiB). */
static bool s_mini_odd_head(int fd, const char *mode, const uint8_t *body, size_t size) {
    char head[512];
    bool ok = true;
    if (strcmp(mode, "dribble") == 0) {
        snprintf(head, sizeof(head),
            "HTTP/1.1 200 OK\r\ncontent-length:   %zu  \r\nX-Empty:\r\nX-Spaced:  a  b  \r\n\r\n", size);
        for (size_t i = 0; ok && head[i] != '\0'; ++i) {
            ok = s_send_all(fd, head + i, 1);
            t_sleep_ms(1);
        }
    } else if (strcmp(mode, "long-header") == 0) {
        snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nX-Long: ", size);
        char *value = malloc(50000);
        assert_non_null(value);
        memset(value, 'v', 50000);
        ok = s_send_all(fd, head, strlen(head)) && s_send_all(fd, value, 50000) && s_send_all(fd, "\r\n\r\n", 4);
        free(value);
    } else {
        int count = strcmp(mode, "big-headers") == 0 ? 1000 : 3000;
        for (int i = 0; ok && i < count; ++i) {
            snprintf(head, sizeof(head), "%sX-H%04d: %090d\r\n", i == 0 ? "HTTP/1.1 200 OK\r\n" : "", i, i);
            ok = s_send_all(fd, head, strlen(head));
        }
        snprintf(head, sizeof(head), "Content-Length: %zu\r\n\r\n", size);
        ok = ok && s_send_all(fd, head, strlen(head));
    }
    return ok && s_send_all(fd, body, size);
}

/* Upper-case chunk sizes with extensions, then a trailer. */
static bool s_mini_trailers(int fd, const uint8_t *body, size_t size) {
    char line[64];
    const char *head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", *last = "0\r\nX-Trailer: done\r\n\r\n";
    bool ok = s_send_all(fd, head, strlen(head));
    for (size_t off = 0; ok && off < size; off += 7777) {
        size_t n = T_MIN((size_t)7777, size - off);
        snprintf(line, sizeof(line), "%zX;name=\"v\"\r\n", n);
        ok = s_send_all(fd, line, strlen(line)) && s_send_all(fd, body + off, n) && s_send_all(fd, "\r\n", 2);
    }
    return ok && s_send_all(fd, last, strlen(last));
}

/* "continue-read": a 100 Continue split over two segments 100 ms apart, then the request's body of
 * `size` bytes is read, then a 200 without a body. */
static bool s_mini_continue_read(int fd, size_t size) {
    bool ok = s_send_all(fd, "HTTP/1.1 100 Continue\r\n", 23);
    usleep(100 * 1000);
    ok = ok && s_send_all(fd, "\r\n", 2);
    uint8_t chunk[65536];
    for (size_t got = 0; ok && got < size;) {
        ssize_t n = recv(fd, chunk, T_MIN(sizeof(chunk), size - got), 0);
        ok = n > 0;
        got += ok ? (size_t)n : 0;
    }
    const char *answer = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    return ok && s_send_all(fd, answer, strlen(answer));
}

/* Answers one request as `mode` says; `nth` counts the connection's requests from 1. */
static enum t_mini_end s_mini_answer(int fd, const char *mode, size_t size, int nth, bool *ended) {
    if (strcmp(mode, "continue-read") == 0) {
        return s_mini_continue_read(fd, size) ? T_MINI_KEEP : T_MINI_CLOSE;
    }
    if ((strcmp(mode, "drop") == 0 || strcmp(mode, "rst") == 0) && nth > 1) {
        return mode[0] == 'd' ? T_MINI_CLOSE : T_MINI_RESET; /* read, never answered */
    }
    for (size_t i = 0; i < T_ARRAY_LEN(s_mini_fixed); ++i) {
        if (strcmp(mode, s_mini_fixed[i].mode) == 0) {
            bool ok = s_send_all(fd, s_mini_fixed[i].answer, strlen(s_mini_fixed[i].answer));
            return ok ? s_mini_fixed[i].end : T_MINI_CLOSE;
        }
    }
    uint8_t *body = malloc(size + 1);
    assert_non_null(body);
    for (size_t i = 0; i < size; ++i) {
        body[i] = s3x_fault_pattern_byte(i);
    }
    char head[256];
    enum t_mini_end end = T_MINI_KEEP;
    bool ok = true;
    if (strncmp(mode, "until-close", 11) == 0) { /* no length: the body ends with the connection */
        snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n%s\r\n",
            strcmp(mode, "until-close-header") == 0 ? "Connection: close\r\n" : "");
        ok = s_send_all(fd, head, strlen(head)) && s_send_all(fd, body, size);
        end = T_MINI_CLOSE;
    } else if (strcmp(mode, "interim") == 0) { /* two interim answers, the answer and its body */
        snprintf(head, sizeof(head),
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n"
            "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", size);
        ok = s_send_joined(fd, head, body, size, "");
    } else if (strcmp(mode, "excess") == 0) { /* bytes past Content-Length, in the same segment */
        snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", size);
        ok = s_send_joined(fd, head, body, size, "JUNKJUNK");
    } else if (strcmp(mode, "trailers") == 0) {
        ok = s_mini_trailers(fd, body, size);
    } else if (strcmp(mode, "dribble") == 0 || strstr(mode, "header") != NULL) {
        ok = s_mini_odd_head(fd, mode, body, size);
        end = strcmp(mode, "huge-headers") == 0 ? T_MINI_CLOSE : T_MINI_KEEP;
    } else { /* "", "close-after", "http10", and drop / rst as a connection's first request */
        bool v10 = strcmp(mode, "http10") == 0;
        snprintf(head, sizeof(head), "HTTP/1.%d 200 OK\r\nContent-Length: %zu\r\n\r\n", v10 ? 0 : 1, size);
        ok = s_send_all(fd, head, strlen(head)) && s_send_all(fd, body, size);
        *ended = v10; /* an HTTP/1.0 answer without keep-alive ends the connection */
        end = strcmp(mode, "close-after") == 0 ? T_MINI_CLOSE : T_MINI_KEEP; /* no Connection: close */
    }
    free(body);
    return ok ? end : T_MINI_CLOSE;
}

static void *s_mini_conn(void *arg) {
    struct t_mini_slot *slot = arg;
    struct t_mini *m = slot->mini;
    pthread_mutex_lock(&m->lock);
    int fd = m->fds[slot->index];
    pthread_mutex_unlock(&m->lock);
    char head[4096];
    bool ended = false;
    enum t_mini_end end = T_MINI_CLOSE;
    for (int nth = 1; s_mini_read_head(fd, head, sizeof(head)) > 0; ++nth) {
        atomic_fetch_add(&m->requests, 1);
        if (ended) {
            atomic_fetch_add(&m->violations, 1);
            break;
        }
        const char *path = strchr(head, ' ');
        size_t size = path != NULL && path[1] == '/' ? (size_t)strtoull(path + 2, NULL, 10) : 0;
        char mode[64] = "";
        const char *f = strcasestr(head, "\r\nx-fault:");
        if (f != NULL) {
            f += 10;
            f += strspn(f, " ");
            size_t n = strcspn(f, "\r");
            n = T_MIN(n, sizeof(mode) - 1);
            memcpy(mode, f, n);
            mode[n] = '\0';
        }
        end = s_mini_answer(fd, mode, size, nth, &ended);
        if (end != T_MINI_KEEP) {
            break;
        }
    }
    if (end == T_MINI_RESET) {
        struct linger lg = {1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    } else if (end == T_MINI_LATE_CLOSE) {
        usleep(300 * 1000); /* the client, still sending, sees the answer first */
    }
    pthread_mutex_lock(&m->lock);
    close(fd);
    m->fds[slot->index] = -1;
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

static void *s_mini_accept(void *arg) {
    struct t_mini *m = arg;
    while (!atomic_load(&m->stopping)) {
        struct pollfd p = {.fd = m->listen_fd, .events = POLLIN};
        if (poll(&p, 1, 20) <= 0) {
            continue;
        }
        int fd = accept(m->listen_fd, NULL, NULL);
        if (fd < 0) {
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        int i = atomic_load(&m->accepted);
        if (i >= T_MINI_CONNS) {
            close(fd);
            continue;
        }
        pthread_mutex_lock(&m->lock);
        m->fds[i] = fd;
        pthread_mutex_unlock(&m->lock);
        m->slots[i].mini = m;
        m->slots[i].index = i;
        atomic_store(&m->accepted, i + 1); /* counted before its first answer can go out */
        assert_int_equal(pthread_create(&m->slots[i].thread, NULL, s_mini_conn, &m->slots[i]), 0);
    }
    return NULL;
}

void t_mini_start(struct t_mini *m) {
    memset(m, 0, sizeof(*m));
    pthread_mutex_init(&m->lock, NULL);
    m->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(m->listen_fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(m->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(m->listen_fd, 64), 0);
    socklen_t len = sizeof(a);
    assert_int_equal(getsockname(m->listen_fd, (struct sockaddr *)&a, &len), 0);
    snprintf(m->base_url, sizeof(m->base_url), "http://127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
    assert_int_equal(pthread_create(&m->acceptor, NULL, s_mini_accept, m), 0);
}

void t_mini_stop(struct t_mini *m) {
    atomic_store(&m->stopping, true);
    pthread_join(m->acceptor, NULL);
    int n = atomic_load(&m->accepted);
    pthread_mutex_lock(&m->lock);
    for (int i = 0; i < n; ++i) {
        if (m->fds[i] >= 0) {
            shutdown(m->fds[i], SHUT_RDWR); /* wakes its thread, which closes it */
        }
    }
    pthread_mutex_unlock(&m->lock);
    for (int i = 0; i < n; ++i) {
        pthread_join(m->slots[i].thread, NULL);
    }
    close(m->listen_fd);
    pthread_mutex_destroy(&m->lock);
}

