/* Starts and stops the fault-injecting test server and talks to its control endpoints (see
 * fault_server.h and fault_server.py). */
#include "fault_server.h"

#include <curl/curl.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long s_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the first line (the port) from fd within timeout_ms. */
static int s_read_port(int fd, unsigned *port, long timeout_ms) {
    char line[32];
    size_t len = 0;
    long deadline = s_now_ms() + timeout_ms;
    while (len < sizeof(line) - 1) {
        long left = deadline - s_now_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
            return -1;
        }
        ssize_t n = read(fd, line + len, 1);
        if (n <= 0) {
            return -1;
        }
        if (line[len] == '\n') {
            line[len] = '\0';
            char *end = NULL;
            unsigned long v = strtoul(line, &end, 10);
            if (end == line || v == 0 || v > 65535) {
                return -1;
            }
            *port = (unsigned)v;
            return 0;
        }
        ++len;
    }
    return -1;
}

const char *s3x_fault_server_ca_file(void) {
    return S3X_FAULT_SERVER_TLS_DIR "/cert.pem";
}

static int s_start(struct s3x_fault_server *s, int tls) {
    memset(s, 0, sizeof(*s));
    s->tls = tls;
    s->pid = -1;
    s->stdin_fd = -1;
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0) {
        return -1;
    }
    if (pipe2(out, O_CLOEXEC) != 0) {
        close(in[0]);
        close(in[1]);
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    char *argv[] = {(char *)S3X_FAULT_SERVER_PYTHON, (char *)S3X_FAULT_SERVER_SCRIPT, NULL, NULL, NULL, NULL, NULL};
    if (tls) {
        argv[2] = (char *)"--tls-cert";
        argv[3] = (char *)S3X_FAULT_SERVER_TLS_DIR "/cert.pem";
        argv[4] = (char *)"--tls-key";
        argv[5] = (char *)S3X_FAULT_SERVER_TLS_DIR "/key.pem";
    }
    pid_t pid = -1;
    int rc = posix_spawn(&pid, S3X_FAULT_SERVER_PYTHON, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    if (rc != 0) {
        fprintf(stderr, "fault server: cannot run %s: %s\n", S3X_FAULT_SERVER_PYTHON, strerror(rc));
        close(in[1]);
        close(out[0]);
        return -1;
    }
    s->pid = pid;
    s->stdin_fd = in[1];
    rc = s_read_port(out[0], &s->port, 10000);
    close(out[0]);
    if (rc != 0) {
        fprintf(stderr, "fault server: no port from %s\n", S3X_FAULT_SERVER_SCRIPT);
        s3x_fault_server_stop(s);
        return -1;
    }
    snprintf(s->base_url, sizeof(s->base_url), "%s://127.0.0.1:%u", tls ? "https" : "http", s->port);
    return 0;
}

int s3x_fault_server_start(struct s3x_fault_server *s) {
    return s_start(s, 0);
}

int s3x_fault_server_start_tls(struct s3x_fault_server *s) {
    return s_start(s, 1);
}

void s3x_fault_server_stop(struct s3x_fault_server *s) {
    if (s->stdin_fd >= 0) {
        close(s->stdin_fd);
        s->stdin_fd = -1;
    }
    if (s->pid > 0) {
        long deadline = s_now_ms() + 5000;
        int status = 0;
        while (waitpid(s->pid, &status, WNOHANG) == 0) {
            if (s_now_ms() > deadline) {
                kill(s->pid, SIGKILL);
                waitpid(s->pid, &status, 0);
                break;
            }
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        s->pid = -1;
    }
}

struct s_text {
    char *buf;
    size_t size; /* capacity including the NUL */
    size_t len;
};

static size_t s_collect(char *ptr, size_t size, size_t nmemb, void *userdata) {
    struct s_text *t = userdata;
    size_t n = size * nmemb;
    if (t->buf != NULL && t->size > 0) {
        size_t room = t->size - 1 - t->len;
        size_t take = n < room ? n : room;
        memcpy(t->buf + t->len, ptr, take);
        t->len += take;
    }
    return n;
}

long s3x_fault_server_request(const struct s3x_fault_server *s, const char *method, const char *path,
    const char *body, char *out, size_t out_size) {
    char url[1024];
    snprintf(url, sizeof(url), "%s%s", s->base_url, path);
    CURL *h = curl_easy_init();
    if (h == NULL) {
        return -1;
    }
    struct s_text t = {.buf = out, .size = out_size, .len = 0};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_CAINFO, s3x_fault_server_ca_file());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s_collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    }
    if (body != NULL) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    CURLcode c = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    if (out != NULL && out_size > 0) {
        out[t.len] = '\0';
    }
    return c == CURLE_OK ? status : -1;
}

long s3x_fault_server_stat(const struct s3x_fault_server *s, const char *name) {
    char path[256];
    char text[64];
    snprintf(path, sizeof(path), "/__stats/%s", name);
    if (s3x_fault_server_request(s, "GET", path, NULL, text, sizeof(text)) != 200) {
        return -1;
    }
    return strtol(text, NULL, 10);
}

int s3x_fault_server_set_faults(const struct s3x_fault_server *s, const char *json) {
    char answer[1024];
    long status = s3x_fault_server_request(s, "POST", "/__faults", json, answer, sizeof(answer));
    if (status != 200) {
        fprintf(stderr, "fault server: rules refused (HTTP %ld): %s\n", status, answer);
        return -1;
    }
    return 0;
}

int s3x_fault_server_clear_faults(const struct s3x_fault_server *s) {
    return s3x_fault_server_request(s, "DELETE", "/__faults", NULL, NULL, 0) == 204 ? 0 : -1;
}

int s3x_fault_server_create_bucket(const struct s3x_fault_server *s, const char *bucket) {
    char path[512];
    snprintf(path, sizeof(path), "/%s", bucket);
    return s3x_fault_server_request(s, "PUT", path, NULL, NULL, 0) == 200 ? 0 : -1;
}
