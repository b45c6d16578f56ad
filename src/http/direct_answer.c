/* Reading an answer on a direct connection (direct.c owns the connections, the request head and
 * the sending): status line, headers, framing and body, from the connection's staging buffer or
 * straight into the request's buffer sink. Everything here runs on the engine thread.
 *
 * Staging. The answer is read into `in` (16 KiB; it grows for a header or chunk line up to the
 * 256 KiB header limit) and parsed line by line: 1xx answers are dropped, headers are stored as
 * the curl path stores them (s3x__http_response_add_header_line), the blank line chooses the
 * framing (204/304: none; Transfer-Encoding: chunked; Content-Length; else until the server
 * closes) and calls s3x__http_attempt_headers_done (sinks sized, on_headers, Content-Length
 * against the buffer). Then:
 *   a 2xx into a buffer sink with Content-Length or until-close framing: whatever followed the
 *     headers in staging is copied, then each curl_easy_recv reads straight into
 *     sink.buffer + attempt_received, at most the bytes still due;
 *   chunked bodies, non-2xx bodies and memory sinks go through staging (s3x__http_attempt_body).
 * Example: an 8 MiB range on loopback: one recv of ~300 bytes of headers plus the first ~16 KiB of
 * body into staging, 16 KiB copied, then ~20 recvs of ~400 KiB each straight into the buffer.
 *
 * Ends. An answer that arrived whole ends with s3x__http_direct_complete, which marks the
 * connection reusable when it is HTTP/1.1, not "Connection: close", framed by length or chunks,
 * with no byte past the body and the whole request sent. Failures map to the curl codes curl
 * would give (PARTIAL_FILE for a short body, GOT_NOTHING for an empty answer, RECV_ERROR for a
 * reset or a bad chunk, WEIRD_SERVER_REPLY for a malformed status line, OPERATION_TIMEDOUT for
 * the total limit) or to our own error (headers over 256 KiB: HTTP_PROTOCOL, not retried), so
 * classification and retries are the same as on the curl path. Every function that ends the
 * attempt returns -1 (or says so): the request may be gone after it.
 */
#include "engine_impl.h"

#include <curl/curl.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Headers of one answer (curl allows 300 KiB). */
#define S_HEADER_BYTES_MAX ((uint64_t)256 * 1024)

enum { S_CHUNK_SIZE = 0, S_CHUNK_DATA, S_CHUNK_DATA_END, S_CHUNK_TRAILER };

/* Ends the attempt with a curl code (0: the answer is complete) and a message for the result. */
void s3x__http_direct_end(struct s3x_http_engine *e, struct s3x_http_request *r, int code, const char *msg) {
    if (msg != NULL && r->errbuf[0] == '\0') {
        snprintf(r->errbuf, sizeof(r->errbuf), "%s", msg);
    }
    s3x__http_attempt_finish(e, r, code, 0);
}

/* Ends the attempt with an error of ours (not a curl code: classified as the curl path's hooks). */
void s3x__http_direct_fail(struct s3x_http_engine *e, struct s3x_http_request *r, int error, const char *msg) {
    r->local_error = error;
    snprintf(r->local_msg, sizeof(r->local_msg), "%s", msg);
    s3x__http_attempt_finish(e, r, CURLE_OK, 0);
}

/* Ends an answer that arrived whole. */
void s3x__http_direct_complete(struct s3x_http_engine *e, struct s3x_http_request *r) {
    struct s3x_http_direct *d = &r->direct;
    struct s3x_http_conn *c = d->conn;
    d->reusable = d->http11 && d->keep_alive && d->framing != S3X_HTTP_FRAME_CLOSE && c->in_pos == c->in_len &&
                  !d->body_incomplete;
    s3x__http_attempt_finish(e, r, CURLE_OK, 0);
}

static bool s_token_has(const char *value, const char *token) {
    size_t n = strlen(token);
    for (const char *p = value; *p != '\0';) {
        while (*p == ' ' || *p == '\t' || *p == ',') {
            ++p;
        }
        size_t len = strcspn(p, ",");
        size_t trimmed = len;
        while (trimmed > 0 && (p[trimmed - 1] == ' ' || p[trimmed - 1] == '\t')) {
            --trimmed;
        }
        if (trimmed == n && strncasecmp(p, token, n) == 0) {
            return true;
        }
        p += len;
    }
    return false;
}

/* Content-Length: digits only, no overflow. */
static bool s_parse_length(const char *v, uint64_t *out) {
    uint64_t n = 0;
    if (*v == '\0') {
        return false;
    }
    for (; *v != '\0'; ++v) {
        if (*v < '0' || *v > '9' || n > (UINT64_MAX - 9) / 10) {
            return false;
        }
        n = n * 10 + (uint64_t)(*v - '0');
    }
    *out = n;
    return true;
}

/* "HTTP/1.x SSS reason": a new answer starts (interim or final). */
static int s_status_line(struct s3x_http_request *r, const char *line, size_t len) {
    if (len < 12 || memcmp(line, "HTTP/1.", 7) != 0 || (line[7] != '0' && line[7] != '1') || line[8] != ' ' ||
        line[9] < '1' || line[9] > '5' || line[10] < '0' || line[10] > '9' || line[11] < '0' || line[11] > '9' ||
        (len > 12 && line[12] != ' ' && line[12] != '\r' && line[12] != '\n')) {
        return -1;
    }
    s3x__http_response_reset(r);
    r->headers_done = false;
    r->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    r->direct.http11 = line[7] == '1';
    r->direct.keep_alive = true;
    r->direct.has_length = false;
    r->direct.framing = S3X_HTTP_FRAME_CLOSE;
    return 0;
}

/* The blank line after the headers: an interim answer is dropped, a final one chooses its framing
 * and tells the hooks. Returns 1 (interim: more headers follow), 0, or -1 (attempt ended). */
static int s_headers_end(struct s3x_http_engine *e, struct s3x_http_request *r) {
    struct s3x_http_direct *d = &r->direct;
    if (r->status >= 100 && r->status <= 199) {
        return 1;
    }
    const char *te = s3x__http_request_response_header(r, "Transfer-Encoding");
    const char *conn = s3x__http_request_response_header(r, "Connection");
    if (conn != NULL && s_token_has(conn, "close")) {
        d->keep_alive = false;
    }
    if (r->status == 204 || r->status == 304) {
        d->framing = S3X_HTTP_FRAME_NONE;
    } else if (te != NULL) {
        if (!s_token_has(te, "chunked")) {
            s3x__http_direct_end(e, r, CURLE_WEIRD_SERVER_REPLY, "unsupported Transfer-Encoding in the answer");
            return -1;
        }
        d->framing = S3X_HTTP_FRAME_CHUNKED;
        d->chunk_state = S_CHUNK_SIZE;
        d->has_length = false;
    } else if (d->has_length) {
        d->framing = S3X_HTTP_FRAME_LENGTH;
        d->body_left = d->length;
    }
    int64_t length = d->framing == S3X_HTTP_FRAME_LENGTH ? (int64_t)d->length : -1;
    if (s3x__http_attempt_headers_done(r, r->status, length) != 0) {
        s3x__http_attempt_finish(e, r, CURLE_OK, 0); /* local_error says why */
        return -1;
    }
    if (atomic_load_explicit(&r->cancel_requested, memory_order_relaxed)) {
        s3x__http_attempt_finish(e, r, CURLE_OK, S3X_ERR_CANCELED); /* on_headers canceled */
        return -1;
    }
    d->phase = S3X_HTTP_DIRECT_BODY;
    if (d->framing == S3X_HTTP_FRAME_NONE || (d->framing == S3X_HTTP_FRAME_LENGTH && d->body_left == 0)) {
        s3x__http_direct_complete(e, r);
        return -1;
    }
    return 0;
}

/* One header line (without its line end). Returns 0, 1 (interim answer ended), -1 (ended). */
static int s_header_line(struct s3x_http_engine *e, struct s3x_http_request *r, char *line, size_t len) {
    struct s3x_http_direct *d = &r->direct;
    if (!r->headers_done && r->status == 0) {
        if (s_status_line(r, line, len) != 0) {
            s3x__http_direct_end(e, r, CURLE_WEIRD_SERVER_REPLY, "malformed status line in the answer");
            return -1;
        }
        return 0;
    }
    if (len == 0) {
        int rc = s_headers_end(e, r);
        if (rc == 1) {
            r->status = 0; /* the next line is a status line again */
        }
        return rc < 0 ? -1 : 0;
    }
    if (line[0] == ' ' || line[0] == '\t') {
        s3x__http_direct_end(e, r, CURLE_WEIRD_SERVER_REPLY, "folded header line in the answer");
        return -1;
    }
    int rc = s3x__http_response_add_header_line(r, line, len);
    if (rc != 0) {
        s3x__http_direct_fail(e, r, rc, "response headers too large or out of memory");
        return -1;
    }
    if (len > 15 && strncasecmp(line, "content-length:", 15) == 0) {
        const char *name = NULL, *v = NULL;
        uint64_t n = 0;
        if (!s3x__http_request_response_header_at(r, r->resp_header_count - 1, &name, &v) || !s_parse_length(v, &n) || (d->has_length && n != d->length)) {
            s3x__http_direct_end(e, r, CURLE_WEIRD_SERVER_REPLY, "bad Content-Length in the answer");
            return -1;
        }
        d->has_length = true;
        d->length = n;
    }
    return 0;
}

/* Parses header lines from staging. Returns 0 (need more bytes or now in the body), -1 (ended). */
static int s_parse_head(struct s3x_http_engine *e, struct s3x_http_request *r, struct s3x_http_conn *c) {
    while (r->direct.phase == S3X_HTTP_DIRECT_HEAD) {
        uint8_t *start = c->in.data + c->in_pos;
        uint8_t *nl = memchr(start, '\n', c->in_len - c->in_pos);
        if (nl == NULL) {
            if (c->in_pos == 0 && c->in_len >= S_HEADER_BYTES_MAX) {
                s3x__http_direct_fail(e, r, S3X_ERR_HTTP_PROTOCOL, "header line longer than 256 KiB in the answer");
                return -1;
            }
            return 0;
        }
        size_t consumed = (size_t)(nl - start) + 1;
        size_t len = consumed - 1;
        if (len > 0 && start[len - 1] == '\r') {
            --len;
        }
        c->in_pos += consumed;
        r->moved += consumed;
        r->direct.header_bytes += consumed;
        if (r->direct.header_bytes > S_HEADER_BYTES_MAX) { /* as the curl path: kept headers overflow */
            s3x__http_direct_fail(e, r, S3X_ERR_HTTP_PROTOCOL, "answer headers larger than 256 KiB");
            return -1;
        }
        start[len] = '\0';
        if (s_header_line(e, r, (char *)start, len) < 0) {
            return -1;
        }
    }
    return 0;
}

/* Hex chunk size line "1a2b[;ext]". */
static bool s_parse_chunk_size(const char *line, uint64_t *out) {
    uint64_t n = 0;
    size_t digits = 0;
    for (; *line != '\0' && *line != ';' && *line != ' ' && *line != '\t'; ++line, ++digits) {
        int v = (*line >= '0' && *line <= '9') ? *line - '0'
                : (*line >= 'a' && *line <= 'f') ? *line - 'a' + 10
                : (*line >= 'A' && *line <= 'F') ? *line - 'A' + 10
                                                 : -1;
        if (v < 0 || n > (UINT64_MAX >> 4)) {
            return false;
        }
        n = (n << 4) | (uint64_t)v;
    }
    *out = n;
    return digits > 0;
}

/* Body bytes waiting in staging. Returns 0 (all taken, or a chunk line is incomplete), -1 (the
 * attempt ended). */
static int s_body_staged(struct s3x_http_engine *e, struct s3x_http_request *r, struct s3x_http_conn *c) {
    struct s3x_http_direct *d = &r->direct;
    while (c->in_pos < c->in_len) {
        uint8_t *p = c->in.data + c->in_pos;
        size_t avail = c->in_len - c->in_pos;
        if (d->framing == S3X_HTTP_FRAME_CHUNKED && d->chunk_state != S_CHUNK_DATA) {
            uint8_t *nl = memchr(p, '\n', avail);
            if (nl == NULL) {
                if (c->in_pos == 0 && c->in_len >= S_HEADER_BYTES_MAX) {
                    s3x__http_direct_end(e, r, CURLE_RECV_ERROR, "chunk line longer than 256 KiB");
                    return -1;
                }
                return 0;
            }
            size_t consumed = (size_t)(nl - p) + 1, len = consumed - 1;
            if (len > 0 && p[len - 1] == '\r') {
                --len;
            }
            p[len] = '\0';
            c->in_pos += consumed;
            r->moved += consumed;
            if (d->chunk_state == S_CHUNK_SIZE) {
                if (!s_parse_chunk_size((const char *)p, &d->body_left)) {
                    s3x__http_direct_end(e, r, CURLE_RECV_ERROR, "malformed chunk size in the answer"); /* curl's code */
                    return -1;
                }
                d->chunk_state = d->body_left == 0 ? S_CHUNK_TRAILER : S_CHUNK_DATA;
            } else if (d->chunk_state == S_CHUNK_DATA_END) {
                if (len != 0) {
                    s3x__http_direct_end(e, r, CURLE_RECV_ERROR, "chunk data longer than its size");
                    return -1;
                }
                d->chunk_state = S_CHUNK_SIZE;
            } else if (len == 0) { /* the empty line after the trailers */
                s3x__http_direct_complete(e, r);
                return -1;
            }
            continue;
        }
        size_t take = avail;
        if (d->framing != S3X_HTTP_FRAME_CLOSE && take > d->body_left) {
            take = (size_t)d->body_left;
        }
        if (s3x__http_attempt_body(r, p, take) != 0) {
            s3x__http_attempt_finish(e, r, CURLE_OK, 0);
            return -1;
        }
        c->in_pos += take;
        if (d->framing != S3X_HTTP_FRAME_CLOSE) {
            d->body_left -= take;
            if (d->body_left == 0 && d->framing == S3X_HTTP_FRAME_LENGTH) {
                s3x__http_direct_complete(e, r); /* bytes beyond the body stay: the connection is not reused */
                return -1;
            }
            if (d->body_left == 0) {
                d->chunk_state = S_CHUNK_DATA_END;
            }
        }
    }
    c->in_pos = c->in_len = 0;
    return 0;
}

/* Whether the next read goes straight into the sink's buffer, and how much it may take. */
static size_t s_direct_room(const struct s3x_http_request *r, const struct s3x_http_conn *c) {
    const struct s3x_http_direct *d = &r->direct;
    if (d->phase != S3X_HTTP_DIRECT_BODY || !r->status_ok || r->sink.kind != S3X_HTTP_SINK_BUFFER ||
        c->in_pos != c->in_len ||
        (d->framing != S3X_HTTP_FRAME_LENGTH && d->framing != S3X_HTTP_FRAME_CLOSE)) {
        return 0;
    }
    size_t room = r->sink.capacity - (size_t)r->attempt_received;
    if (d->framing == S3X_HTTP_FRAME_LENGTH && d->body_left < room) {
        room = (size_t)d->body_left; /* headers_done checked length <= capacity */
    }
    return room;
}

/* A line longer than the staging buffer: it doubles, up to the header limit (+1 for the
 * terminator). Returns 0 or -1 (the attempt ended). */
static int s_grow_staging(struct s3x_http_engine *e, struct s3x_http_request *r, struct s3x_http_conn *c) {
    size_t cap = c->in.cap * 2;
    if (cap > S_HEADER_BYTES_MAX + 1) {
        cap = S_HEADER_BYTES_MAX + 1;
    }
    if (cap <= c->in.cap || s3x__http_buf_reserve(e->allocator, &c->in, cap, SIZE_MAX) != 0) {
        s3x__http_direct_fail(e, r, cap <= c->in.cap ? S3X_ERR_HTTP_PROTOCOL : S3X_ERR_OOM,
            cap <= c->in.cap ? "answer line longer than 256 KiB" : "no memory for a long answer line");
        return -1;
    }
    return 0;
}

/* One read. Returns 1 (bytes taken, read again), 0 (nothing to read now), -1 (ended or moved to
 * a new connection). */
int s3x__http_direct_read(struct s3x_http_engine *e, struct s3x_http_request *r, struct s3x_http_conn *c) {
    size_t room = s_direct_room(r, c);
    uint8_t *dst;
    if (room > 0) {
        dst = r->sink.buffer + r->attempt_received;
    } else {
        if (c->in_pos == c->in_len) {
            c->in_pos = c->in_len = 0;
        } else if (c->in_pos > 0) {
            memmove(c->in.data, c->in.data + c->in_pos, c->in_len - c->in_pos);
            c->in_len -= c->in_pos;
            c->in_pos = 0;
        }
        if (c->in_len + 1 >= c->in.cap && s_grow_staging(e, r, c) != 0) {
            return -1;
        }
        dst = c->in.data + c->in_len;
        room = c->in.cap - c->in_len - 1; /* one byte for the parser's terminator */
    }
    size_t n = 0;
    CURLcode code = curl_easy_recv(c->easy, dst, room, &n);
    if (code == CURLE_AGAIN) {
        return 0;
    }
    if (code != CURLE_OK || n == 0) {
        return s3x__http_direct_lost(e, r, (int)code) == 0 ? 0 : -1;
    }
    r->direct.got_bytes = true;
    if (dst != c->in.data + c->in_len) { /* straight into the sink */
        r->attempt_received += n;
        r->moved += n;
        if (r->direct.framing == S3X_HTTP_FRAME_LENGTH) {
            r->direct.body_left -= n;
            if (r->direct.body_left == 0) {
                s3x__http_direct_complete(e, r);
                return -1;
            }
        }
        return 1;
    }
    c->in_len += n;
    if (r->direct.phase == S3X_HTTP_DIRECT_HEAD && s_parse_head(e, r, c) < 0) {
        return -1;
    }
    if (r->direct.phase == S3X_HTTP_DIRECT_BODY && c->in_pos < c->in_len && s_body_staged(e, r, c) < 0) {
        return -1; /* a 2xx past the buffer's end fails there with OVERFLOW */
    }
    return 1;
}

/* Answer bytes (or a close) while the request is still being sent: the server answered early (an
 * error before reading the body). Over TLS, readable may also mean housekeeping records (session
 * tickets) with no answer byte: then sending goes on. Returns as s_read. */
int s3x__http_direct_read_early(struct s3x_http_engine *e, struct s3x_http_request *r, struct s3x_http_conn *c) {
    struct s3x_http_direct *d = &r->direct;
    d->phase = S3X_HTTP_DIRECT_HEAD;
    d->body_incomplete = true; /* the connection is out of step if an answer comes now */
    int rc = s3x__http_direct_read(e, r, c);
    if (rc < 0) {
        return rc; /* ended: r may be gone */
    }
    /* No final status yet: nothing, TLS housekeeping, an interim answer nobody asked for (maybe
     * split over reads: its bytes wait in staging) or the start of a status line: keep sending. */
    bool no_final = !r->headers_done && r->status < 200; /* 0: no status line yet */
    if (d->phase == S3X_HTTP_DIRECT_HEAD && d->conn == c && no_final) {
        d->phase = S3X_HTTP_DIRECT_SENDING;
        d->body_incomplete = false;
        return 0;
    }
    return rc;
}
