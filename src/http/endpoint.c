/* S3 endpoints: parsing endpoint URLs, choosing path or virtual-hosted addressing, and building
 * the URL / Host / signed path of each request from one set of pieces.
 *
 * Invariants: ep->host is lower-case and valid (host name characters, or an IPv4 / bracketed IPv6
 * literal); ep->port is 0 for the scheme's default, so "https://h:443" and "https://h" give the
 * same Host "h", as curl sends it; ep->base_path never ends with '/'. A target's url is exactly
 * scheme "://" host path ["?" query], so its path and host are what goes on the wire.
 *
 * Worked example: endpoint "HTTP://LocalHost:9000/base/" parses to {http, "localhost", 9000,
 * "/base", custom}; bucket "my_bucket" (auto: custom endpoint -> path style), key "a b/c+d", no
 * query: host "localhost:9000", path "/base/my_bucket/a%20b/c%2Bd", url
 * "http://localhost:9000/base/my_bucket/a%20b/c%2Bd". On the default endpoint of us-east-1, bucket
 * "photos" and key "x.jpg" go virtual-hosted: host "photos.s3.us-east-1.amazonaws.com", path
 * "/x.jpg".
 */
#include "http/endpoint.h"

#include "common/common.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define S_HOST_MAX 253

static char s_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool s_is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool s_is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int s_bad(char *err, size_t err_size, const char *url, const char *why) {
    snprintf(err, err_size, "bad endpoint URL '%s': %s", url, why);
    return S3X_ERR_HTTP_BAD_URL;
}

/* RFC 3986 pchar or '/', with valid %XX escapes. */
static bool s_path_ok(const char *p, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        char c = p[i];
        if (c == '%') {
            if (n - i < 3 || !s_is_hex(p[i + 1]) || !s_is_hex(p[i + 2])) {
                return false;
            }
            i += 2;
        } else if (!s_is_alnum(c) && strchr("-._~!$&'()*+,;=:@/", c) == NULL) {
            return false;
        }
    }
    return true;
}

static bool s_host_name_ok(const char *h, size_t n) {
    if (n == 0 || n > S_HOST_MAX || h[0] == '.' || h[0] == '-' || h[n - 1] == '-') {
        return false;
    }
    for (size_t i = 0; i < n; ++i) {
        if (!s_is_alnum(h[i]) && h[i] != '.' && h[i] != '-' && h[i] != '_') {
            return false;
        }
    }
    return true;
}

static bool s_is_ipv4(const char *h, size_t n) {
    char tmp[INET_ADDRSTRLEN];
    struct in_addr addr;
    if (n >= sizeof(tmp)) {
        return false;
    }
    memcpy(tmp, h, n);
    tmp[n] = '\0';
    return inet_pton(AF_INET, tmp, &addr) == 1;
}

/* The authority "host[:port]" of url[0..n). */
static int s_parse_authority(struct s3x_endpoint *ep, const char *url, const char *a, size_t n, char *err,
    size_t err_size) {
    const char *port = NULL;
    size_t host_len;
    if (memchr(a, '@', n) != NULL) {
        return s_bad(err, err_size, url, "user info (user@host) is not supported; give credentials separately");
    }
    if (n > 0 && a[0] == '[') {
        const char *close = memchr(a, ']', n);
        char tmp[INET6_ADDRSTRLEN];
        struct in6_addr addr6;
        size_t inner = close != NULL ? (size_t)(close - a) - 1 : 0;
        if (close == NULL || inner == 0 || inner >= sizeof(tmp)) {
            return s_bad(err, err_size, url, "malformed IPv6 literal");
        }
        memcpy(tmp, a + 1, inner);
        tmp[inner] = '\0';
        if (inet_pton(AF_INET6, tmp, &addr6) != 1) {
            return s_bad(err, err_size, url, "malformed IPv6 literal");
        }
        host_len = inner + 2;
        if (host_len < n && a[host_len] != ':') {
            return s_bad(err, err_size, url, "unexpected text after the IPv6 literal");
        }
        ep->host_is_ip = true;
    } else {
        const char *colon = memchr(a, ':', n);
        host_len = colon != NULL ? (size_t)(colon - a) : n;
        if (!s_host_name_ok(a, host_len)) {
            return s_bad(err, err_size, url, host_len == 0 ? "no host" : "the host name has invalid characters");
        }
        ep->host_is_ip = s_is_ipv4(a, host_len);
    }
    if (host_len < n) {
        port = a + host_len + 1;
        size_t port_len = n - host_len - 1;
        unsigned long v = 0;
        for (size_t i = 0; i < port_len && v <= 65535; ++i) {
            v = (port[i] >= '0' && port[i] <= '9') ? v * 10 + (unsigned long)(port[i] - '0') : 65536;
        }
        if (port_len == 0 || v == 0 || v > 65535) {
            return s_bad(err, err_size, url, "the port must be a number from 1 to 65535");
        }
        ep->port = (v == (ep->https ? 443u : 80u)) ? 0 : (uint16_t)v;
    }
    ep->host = s3x_mem_strndup(ep->allocator, a, host_len);
    if (ep->host == NULL) {
        return S3X_ERR_OOM;
    }
    for (char *p = ep->host; *p != '\0'; ++p) {
        *p = s_lower(*p);
    }
    return 0;
}

static int s_parse_url(struct s3x_endpoint *ep, const char *url, char *err, size_t err_size) {
    const char *rest;
    if (strncasecmp(url, "https://", 8) == 0) {
        ep->https = true;
        rest = url + 8;
    } else if (strncasecmp(url, "http://", 7) == 0) {
        rest = url + 7;
    } else {
        return s_bad(err, err_size, url, "it must start with http:// or https://");
    }
    if (strpbrk(rest, "?#") != NULL) {
        return s_bad(err, err_size, url, "an endpoint URL cannot have a query or fragment");
    }
    for (const char *p = rest; *p != '\0'; ++p) {
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7F) {
            return s_bad(err, err_size, url, "blank, control or non-ASCII character (percent-encode the path)");
        }
    }
    const char *slash = strchr(rest, '/');
    size_t auth_len = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
    int rc = s_parse_authority(ep, url, rest, auth_len, err, err_size);
    if (rc != 0) {
        return rc;
    }
    const char *path = rest + auth_len;
    size_t path_len = strlen(path);
    while (path_len > 0 && path[path_len - 1] == '/') {
        --path_len;
    }
    if (!s_path_ok(path, path_len)) {
        return s_bad(err, err_size, url, "the path has characters that must be percent-encoded");
    }
    ep->base_path = s3x_mem_strndup(ep->allocator, path, path_len);
    return ep->base_path != NULL ? 0 : S3X_ERR_OOM;
}

static int s_default_endpoint(struct s3x_endpoint *ep, const char *region, char *err, size_t err_size) {
    size_t n = region != NULL ? strlen(region) : 0;
    bool ok = n > 0 && n <= 64 && region[0] != '-' && region[n - 1] != '-';
    for (size_t i = 0; ok && i < n; ++i) {
        char c = region[i];
        ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    }
    if (!ok) {
        snprintf(err, err_size, "region '%s' cannot form an AWS endpoint host name (expected like us-east-1)",
            region != NULL ? region : "");
        return S3X_ERR_HTTP_BAD_URL;
    }
    const char *suffix = strncmp(region, "cn-", 3) == 0 ? ".amazonaws.com.cn" : ".amazonaws.com";
    size_t size = 3 + n + strlen(suffix) + 1;
    ep->host = s3x_mem_acquire(ep->allocator, size);
    ep->base_path = s3x_mem_strdup(ep->allocator, "");
    if (ep->host == NULL || ep->base_path == NULL) {
        return S3X_ERR_OOM;
    }
    snprintf(ep->host, size, "s3.%s%s", region, suffix);
    ep->https = true;
    return 0;
}

int s3x__endpoint_init(struct s3x_endpoint *ep, struct s3x_allocator *allocator, const char *endpoint_url,
    const char *region, enum s3x_addressing_style style, char *err, size_t err_size) {
    char scratch[8];
    if (err == NULL || err_size == 0) {
        err = scratch;
        err_size = sizeof(scratch);
    }
    err[0] = '\0';
    if (ep == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    memset(ep, 0, sizeof(*ep));
    if (allocator == NULL || (unsigned)style > (unsigned)S3X_ADDRESSING_VIRTUAL) {
        snprintf(err, err_size, "invalid endpoint arguments");
        return S3X_ERR_INVALID_ARGUMENT;
    }
    ep->allocator = allocator;
    ep->style = style;
    int rc;
    if (endpoint_url != NULL && endpoint_url[0] != '\0') {
        ep->custom = true;
        rc = s_parse_url(ep, endpoint_url, err, err_size);
    } else {
        rc = s_default_endpoint(ep, region, err, err_size);
    }
    if (rc == S3X_ERR_OOM) {
        snprintf(err, err_size, "out of memory");
    }
    if (rc != 0) {
        s3x__endpoint_clean_up(ep);
        return rc;
    }
    S3X_LOG_DEBUGF("endpoint", "%s://%s%s%.0u%s (%s, addressing %s)", ep->https ? "https" : "http", ep->host,
        ep->port != 0 ? ":" : "", (unsigned)ep->port, ep->base_path, ep->custom ? "custom" : "AWS",
        s3x_addressing_style_name(style));
    return 0;
}

void s3x__endpoint_clean_up(struct s3x_endpoint *ep) {
    if (ep == NULL) {
        return;
    }
    if (ep->allocator != NULL) {
        s3x_mem_release(ep->allocator, ep->host);
        s3x_mem_release(ep->allocator, ep->base_path);
    }
    memset(ep, 0, sizeof(*ep));
}

bool s3x__bucket_is_dns_compatible(const char *bucket) {
    size_t n = bucket != NULL ? strlen(bucket) : 0;
    if (n < 3 || n > 63 || !s_is_alnum(bucket[0]) || !s_is_alnum(bucket[n - 1])) {
        return false;
    }
    for (size_t i = 0; i < n; ++i) {
        char c = bucket[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
        if (!ok) {
            return false; /* uppercase, '_' and everything else */
        }
        if (i > 0 && (c == '.' || c == '-') && bucket[i - 1] == '.') {
            return false; /* "..", ".-" */
        }
        if (i > 0 && c == '.' && bucket[i - 1] == '-') {
            return false; /* "-." */
        }
    }
    return !s_is_ipv4(bucket, n);
}

int s3x__endpoint_is_virtual(const struct s3x_endpoint *ep, const char *bucket, bool *out) {
    *out = false;
    if (bucket == NULL) {
        return 0;
    }
    switch (ep->style) {
    case S3X_ADDRESSING_PATH:
        return 0;
    case S3X_ADDRESSING_VIRTUAL:
        if (ep->host_is_ip || !s3x__bucket_is_dns_compatible(bucket)) {
            S3X_LOG_DEBUGF("endpoint", "bucket '%s' cannot be addressed virtual-hosted on %s", bucket, ep->host);
            return S3X_ERR_INVALID_ARGUMENT;
        }
        *out = true;
        return 0;
    case S3X_ADDRESSING_AUTO:
        *out = !ep->custom && !ep->host_is_ip && s3x__bucket_is_dns_compatible(bucket) &&
               !(ep->https && strchr(bucket, '.') != NULL);
        return 0;
    }
    return S3X_ERR_INVALID_ARGUMENT;
}

/* Path of the target: base path, then "/bucket/key" (path style) or "/key" (virtual). */
static size_t s_write_path(char *o, const struct s3x_endpoint *ep, bool virtual_hosted, const char *bucket,
    const char *key) {
    size_t n = strlen(ep->base_path);
    memcpy(o, ep->base_path, n);
    o[n++] = '/';
    if (bucket != NULL && !virtual_hosted) {
        n += s3x__uri_encode_to(o + n, bucket, strlen(bucket), false);
        if (key != NULL) {
            o[n++] = '/';
        }
    }
    if (key != NULL) {
        n += s3x__uri_encode_to(o + n, key, strlen(key), true);
    }
    o[n] = '\0';
    return n;
}

static int s_check_names(const char *bucket, const char *key) {
    if (bucket != NULL && (bucket[0] == '\0' || strchr(bucket, '/') != NULL)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    if (key != NULL && (bucket == NULL || key[0] == '\0')) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    return 0;
}

int s3x__endpoint_target(const struct s3x_endpoint *ep, struct s3x_allocator *allocator, const char *bucket,
    const char *key, const struct s3x_query_param *query, size_t query_count, struct s3x_http_target *out) {
    if (out == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    memset(out, 0, sizeof(*out));
    if (ep == NULL || ep->host == NULL || allocator == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    bool virtual_hosted = false;
    int rc = s_check_names(bucket, key);
    if (rc == 0) {
        rc = s3x__endpoint_is_virtual(ep, bucket, &virtual_hosted);
    }
    char *q = NULL;
    size_t q_len = 0;
    if (rc == 0) {
        rc = s3x__query_build(allocator, query, query_count, &q, &q_len);
    }
    if (rc != 0) {
        return rc;
    }
    size_t bucket_enc = bucket != NULL ? s3x__uri_encoded_len(bucket, strlen(bucket), false) : 0;
    size_t key_enc = key != NULL ? s3x__uri_encoded_len(key, strlen(key), true) : 0;
    size_t host_len = (virtual_hosted ? strlen(bucket) + 1 : 0) + strlen(ep->host) + (ep->port != 0 ? 6 : 0);
    size_t path_max = strlen(ep->base_path) + 2 + bucket_enc + key_enc;
    size_t size = 0;
    if (bucket_enc == SIZE_MAX || key_enc == SIZE_MAX || path_max < key_enc ||
        s3x__add_overflows(2 * (host_len + path_max + q_len), 8 + 4 + 1, &size)) {
        s3x_mem_release(allocator, q);
        return S3X_ERR_OVERFLOW;
    }
    char *buf = s3x_mem_acquire(allocator, size);
    if (buf == NULL) {
        s3x_mem_release(allocator, q);
        return S3X_ERR_OOM;
    }
    /* Layout: host \0 path \0 query \0 url \0 */
    char *host = buf;
    size_t hn = (size_t)snprintf(host, host_len + 1, "%s%s%s", virtual_hosted ? bucket : "",
        virtual_hosted ? "." : "", ep->host);
    if (ep->port != 0) {
        hn += (size_t)snprintf(host + hn, 7, ":%u", (unsigned)ep->port);
    }
    char *path = host + hn + 1;
    size_t path_len = s_write_path(path, ep, virtual_hosted, bucket, key);
    char *qs = path + path_len + 1;
    memcpy(qs, q, q_len + 1);
    char *url = qs + q_len + 1;
    size_t u = 0;
    const char *scheme = ep->https ? "https://" : "http://";
    memcpy(url, scheme, strlen(scheme));
    u += strlen(scheme);
    memcpy(url + u, host, hn);
    u += hn;
    memcpy(url + u, path, path_len);
    u += path_len;
    if (q_len > 0) {
        url[u++] = '?';
        memcpy(url + u, qs, q_len);
        u += q_len;
    }
    url[u] = '\0';
    s3x_mem_release(allocator, q);
    *out = (struct s3x_http_target){.url = url, .host = host, .path = path, .query = qs,
        .virtual_hosted = virtual_hosted, .allocator = allocator, .buffer = buf};
    return 0;
}

void s3x__http_target_clean_up(struct s3x_http_target *target) {
    if (target == NULL) {
        return;
    }
    if (target->allocator != NULL) {
        s3x_mem_release(target->allocator, target->buffer);
    }
    memset(target, 0, sizeof(*target));
}
