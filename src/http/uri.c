/* S3 URI encoding and decoding, and query strings.
 *
 * Owns: the one encoding rule of the library (see uri.h), its inverse for `encoding-type=url`
 * list results, and the query builder the endpoint layer uses, so the wire query is already in
 * SigV4 canonical order and the signer's sort is a no-op pass.
 *
 * Invariants: encoding is a pure function of the bytes (no locale, no UTF-8 validation: S3 keys
 * are byte strings); hex is uppercase on output and either case on input; decode(encode(x)) == x
 * for every x without NUL bytes.
 *
 * Worked example: the key "100%.txt" (8 bytes, one byte to escape) encodes to 8 + 2 = 10 bytes,
 * "100%25.txt"; s3x__uri_encoded_len returns 10 and s3x__uri_encode_to writes exactly those 10.
 * The query {uploadId: "abc/def+ghi=", partNumber: "3"} builds as
 * "partNumber=3&uploadId=abc%2Fdef%2Bghi%3D" (keys sorted: 'p' < 'u').
 */
#include "http/uri.h"

#include "common/common.h"

#include <stdlib.h>
#include <string.h>

static const char s_hex_upper[] = "0123456789ABCDEF";

bool s3x__uri_is_unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

static bool s_keep(unsigned char c, bool keep_slash) {
    return s3x__uri_is_unreserved(c) || (keep_slash && c == '/');
}

size_t s3x__uri_encoded_len(const char *in, size_t len, bool keep_slash) {
    size_t total = 0;
    for (size_t i = 0; i < len; ++i) {
        size_t add = s_keep((unsigned char)in[i], keep_slash) ? 1 : 3;
        if (s3x__add_overflows(total, add, &total)) {
            return SIZE_MAX;
        }
    }
    return total;
}

size_t s3x__uri_encode_to(char *out, const char *in, size_t len, bool keep_slash) {
    size_t o = 0;
    for (size_t i = 0; i < len; ++i) {
        unsigned char c = (unsigned char)in[i];
        if (s_keep(c, keep_slash)) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = s_hex_upper[c >> 4];
            out[o++] = s_hex_upper[c & 0x0F];
        }
    }
    return o;
}

int s3x__uri_encode(struct s3x_allocator *allocator, const char *in, size_t len, bool keep_slash, char **out) {
    if (allocator == NULL || out == NULL || (in == NULL && len > 0)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    *out = NULL;
    size_t n = s3x__uri_encoded_len(in, len, keep_slash);
    size_t size;
    if (n == SIZE_MAX || s3x__add_overflows(n, 1, &size)) {
        return S3X_ERR_OVERFLOW;
    }
    char *buf = s3x_mem_acquire(allocator, size);
    if (buf == NULL) {
        return S3X_ERR_OOM;
    }
    buf[s3x__uri_encode_to(buf, in, len, keep_slash)] = '\0';
    *out = buf;
    return 0;
}

static int s_hex_value(unsigned char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

int s3x__uri_decode_in_place(char *s, size_t len, bool plus_as_space, size_t *out_len) {
    if (s == NULL && len > 0) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    size_t o = 0;
    for (size_t i = 0; i < len; ++i) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (len - i < 3) {
                return S3X_ERR_PARSE;
            }
            int hi = s_hex_value((unsigned char)s[i + 1]);
            int lo = s_hex_value((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                return S3X_ERR_PARSE;
            }
            s[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_as_space) {
            s[o++] = ' ';
        } else {
            s[o++] = (char)c;
        }
    }
    if (o < len) {
        s[o] = '\0';
    }
    if (out_len != NULL) {
        *out_len = o;
    }
    return 0;
}

int s3x__uri_decode(struct s3x_allocator *allocator, const char *in, size_t len, bool plus_as_space, char **out,
    size_t *out_len) {
    if (allocator == NULL || out == NULL || (in == NULL && len > 0)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    *out = NULL;
    size_t size;
    if (s3x__add_overflows(len, 1, &size)) {
        return S3X_ERR_OVERFLOW;
    }
    char *buf = s3x_mem_acquire(allocator, size);
    if (buf == NULL) {
        return S3X_ERR_OOM;
    }
    if (len > 0) {
        memcpy(buf, in, len);
    }
    buf[len] = '\0';
    size_t n = 0;
    int rc = s3x__uri_decode_in_place(buf, len, plus_as_space, &n);
    if (rc != 0) {
        s3x_mem_release(allocator, buf);
        return rc;
    }
    *out = buf;
    if (out_len != NULL) {
        *out_len = n;
    }
    return 0;
}

size_t s3x__uri_normalize_path(const char *p, size_t n, char *out) {
    size_t o = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && p[i] == '/') {
            ++i;
        }
        size_t start = i;
        while (i < n && p[i] != '/') {
            ++i;
        }
        size_t len = i - start;
        if (len == 0 || (len == 1 && p[start] == '.')) {
            continue;
        }
        if (len == 2 && p[start] == '.' && p[start + 1] == '.') {
            while (o > 0 && out[o - 1] != '/') { /* pop the last segment and its '/' */
                --o;
            }
            if (o > 0) {
                --o;
            }
            continue;
        }
        out[o++] = '/';
        memcpy(out + o, p + start, len);
        o += len;
    }
    if (o == 0 || (n > 0 && p[n - 1] == '/')) {
        out[o++] = '/'; /* the root, or the original's trailing slash */
    }
    out[o] = '\0';
    return o;
}

/* --- query strings ------------------------------------------------------------------------ */

size_t s3x__query_count(const char *query, size_t len) {
    size_t count = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; ++i) {
        if (i == len || query[i] == '&') {
            if (i > start) {
                ++count;
            }
            start = i + 1;
        }
    }
    return count;
}

size_t s3x__query_split(const char *query, size_t len, struct s3x_query_span *spans) {
    size_t count = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; ++i) {
        if (i < len && query[i] != '&') {
            continue;
        }
        if (i > start) {
            const char *comp = query + start;
            size_t comp_len = i - start;
            const char *eq = memchr(comp, '=', comp_len);
            struct s3x_query_span *sp = &spans[count++];
            sp->key = comp;
            if (eq == NULL) {
                sp->key_len = comp_len;
                sp->value = NULL;
                sp->value_len = 0;
            } else {
                sp->key_len = (size_t)(eq - comp);
                sp->value = eq + 1;
                sp->value_len = comp_len - sp->key_len - 1;
            }
        }
        start = i + 1;
    }
    return count;
}

static int s_bytes_cmp(const char *a, size_t a_len, const char *b, size_t b_len) {
    size_t n = S3X_MIN(a_len, b_len);
    int c = n > 0 ? memcmp(a, b, n) : 0;
    if (c != 0) {
        return c;
    }
    return a_len < b_len ? -1 : (a_len > b_len ? 1 : 0);
}

static int s_span_cmp(const void *pa, const void *pb) {
    const struct s3x_query_span *a = pa;
    const struct s3x_query_span *b = pb;
    int c = s_bytes_cmp(a->key, a->key_len, b->key, b->key_len);
    if (c != 0) {
        return c;
    }
    c = s_bytes_cmp(a->value != NULL ? a->value : "", a->value_len, b->value != NULL ? b->value : "",
        b->value_len);
    if (c != 0) {
        return c;
    }
    /* "a" and "a=" canonicalise alike; order them anyway so the output is deterministic. */
    return (a->value != NULL) - (b->value != NULL);
}

void s3x__query_sort(struct s3x_query_span *spans, size_t count) {
    /* The comparison is a total order on distinct spans, so qsort's instability is invisible. */
    if (count > 1) {
        qsort(spans, count, sizeof(*spans), s_span_cmp);
    }
}

/* Encoded size of all parameters written in one buffer as "k=v&k&..." (no NUL). */
static int s_query_size(const struct s3x_query_param *params, size_t count, size_t *out) {
    size_t total = 0;
    for (size_t i = 0; i < count; ++i) {
        if (params[i].key == NULL || params[i].key[0] == '\0') {
            return S3X_ERR_INVALID_ARGUMENT;
        }
        size_t k = s3x__uri_encoded_len(params[i].key, strlen(params[i].key), false);
        size_t v = params[i].value == NULL ? 0 : s3x__uri_encoded_len(params[i].value, strlen(params[i].value), false);
        if (k == SIZE_MAX || v == SIZE_MAX || s3x__add_overflows(total, k, &total) ||
            s3x__add_overflows(total, v, &total) || s3x__add_overflows(total, 2, &total)) {
            return S3X_ERR_OVERFLOW; /* 2: the '=' and the '&' */
        }
    }
    *out = total;
    return 0;
}

int s3x__query_build(struct s3x_allocator *allocator, const struct s3x_query_param *params, size_t count, char **out,
    size_t *out_len) {
    if (allocator == NULL || out == NULL || (params == NULL && count > 0)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    *out = NULL;
    size_t text = 0;
    int rc = s_query_size(params, count, &text);
    if (rc != 0) {
        return rc;
    }
    /* One scratch block: the spans, then the encoded components in the caller's order. */
    size_t spans_bytes;
    size_t scratch_size;
    if (s3x__mul_overflows(count, sizeof(struct s3x_query_span), &spans_bytes) ||
        s3x__add_overflows(spans_bytes, text, &scratch_size) || s3x__add_overflows(text, 1, &text)) {
        return S3X_ERR_OVERFLOW;
    }
    char *result = s3x_mem_acquire(allocator, text);
    if (result == NULL) {
        return S3X_ERR_OOM;
    }
    result[0] = '\0';
    if (count == 0) {
        *out = result;
        if (out_len != NULL) {
            *out_len = 0;
        }
        return 0;
    }
    struct s3x_query_span *spans = s3x_mem_acquire(allocator, scratch_size);
    if (spans == NULL) {
        s3x_mem_release(allocator, result);
        return S3X_ERR_OOM;
    }
    char *enc = (char *)(spans + count);
    size_t pos = 0;
    for (size_t i = 0; i < count; ++i) {
        spans[i].key = enc + pos;
        spans[i].key_len = s3x__uri_encode_to(enc + pos, params[i].key, strlen(params[i].key), false);
        pos += spans[i].key_len;
        spans[i].value = NULL;
        spans[i].value_len = 0;
        if (params[i].value != NULL) {
            spans[i].value = enc + pos;
            spans[i].value_len = s3x__uri_encode_to(enc + pos, params[i].value, strlen(params[i].value), false);
            pos += spans[i].value_len;
        }
    }
    s3x__query_sort(spans, count);
    size_t o = 0;
    for (size_t i = 0; i < count; ++i) {
        if (i > 0) {
            result[o++] = '&';
        }
        memcpy(result + o, spans[i].key, spans[i].key_len);
        o += spans[i].key_len;
        if (spans[i].value != NULL) {
            result[o++] = '=';
            if (spans[i].value_len > 0) {
                memcpy(result + o, spans[i].value, spans[i].value_len);
            }
            o += spans[i].value_len;
        }
    }
    result[o] = '\0';
    s3x_mem_release(allocator, spans);
    *out = result;
    if (out_len != NULL) {
        *out_len = o;
    }
    return 0;
}
