/* S3 endpoints and addressing (internal): where a request for (bucket, key) goes.
 *
 * One function produces, from the same pieces, the URL handed to curl, the Host header value and
 * the encoded path to sign, so the signed path is always the wire path and the signed host is
 * always the host curl sends (with ":port" only when the port is not the scheme's default).
 */
#ifndef S3XFER_HTTP_ENDPOINT_H
#define S3XFER_HTTP_ENDPOINT_H

#include <s3xfer/allocator.h>
#include <s3xfer/credentials.h>

#include "http/uri.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A parsed endpoint. Immutable after init; any number of threads may resolve targets from it. */
struct s3x_endpoint {
    struct s3x_allocator *allocator;
    bool https;
    char *host;      /* lower-case; IPv6 literals keep their brackets: "[::1]" */
    uint16_t port;   /* 0: the scheme's default (80 or 443), omitted from Host and URL */
    char *base_path; /* "" or "/prefix" (encoded, no trailing '/'): prepended to every path */
    bool custom;     /* from an endpoint URL, not the AWS default of the region */
    bool host_is_ip; /* IPv4 or IPv6 literal */
    enum s3x_addressing_style style;
};

/* Parses `endpoint_url` ("http://127.0.0.1:8080", "https://minio.example.com/s3"), or with NULL
 * uses the AWS endpoint of `region` ("https://s3.<region>.amazonaws.com", ".amazonaws.com.cn" for
 * cn-* regions). Accepted: scheme http or https, a host name or IPv4 or [IPv6] literal, an
 * optional port 1-65535, an optional base path; refused with S3X_ERR_HTTP_BAD_URL and a message
 * in err: other schemes, user info, query, fragment, an empty host, a bad port, a path that is
 * not percent-encoded, a region that cannot form a host name. Returns 0, S3X_ERR_HTTP_BAD_URL,
 * S3X_ERR_INVALID_ARGUMENT, S3X_ERR_OOM. On failure *ep holds nothing. */
int s3x__endpoint_init(struct s3x_endpoint *ep, struct s3x_allocator *allocator, const char *endpoint_url,
    const char *region, enum s3x_addressing_style style, char *err, size_t err_size);
/* NULL and a zeroed endpoint are allowed. */
void s3x__endpoint_clean_up(struct s3x_endpoint *ep);

/* Whether a bucket name can be a DNS label of a virtual-hosted request: 3-63 characters of
 * a-z 0-9 . -, starting and ending with a letter or digit, no "..", ".-" or "-.", and not an IPv4
 * address. */
bool s3x__bucket_is_dns_compatible(const char *bucket);

/* Whether requests for `bucket` use virtual-hosted addressing on this endpoint. Auto chooses path
 * style for custom and IP-address endpoints, for names that are not DNS-compatible, and for names
 * with '.' over https (the certificate's wildcard covers one label only). Explicit virtual with an
 * IP endpoint or a non-DNS-compatible name is S3X_ERR_INVALID_ARGUMENT. Returns 0 or that. */
int s3x__endpoint_is_virtual(const struct s3x_endpoint *ep, const char *bucket, bool *out);

/* Where one request goes. All strings live in one buffer owned by the target. */
struct s3x_http_target {
    const char *url;   /* for curl: "http://127.0.0.1:8080/bucket/my%20key?uploads" */
    const char *host;  /* the Host header value: "127.0.0.1:8080" */
    const char *path;  /* encoded wire path, also the signed one: "/bucket/my%20key" */
    const char *query; /* encoded, sorted, without '?': "uploads"; "" when none */
    bool virtual_hosted;
    /* private */
    struct s3x_allocator *allocator;
    char *buffer;
};

/* The target of a request for `bucket` (NULL: a service-level request such as ListBuckets) and
 * `key` (NULL: a bucket-level request; needs a bucket; "" is refused), with `query` parameters
 * (unencoded; encoded and sorted here). Example, path style on http://127.0.0.1:8080:
 * ("bucket", "dir/a b.txt", {partNumber: "3"}) -> url
 * "http://127.0.0.1:8080/bucket/dir/a%20b.txt?partNumber=3", host "127.0.0.1:8080", path
 * "/bucket/dir/a%20b.txt". Returns 0, S3X_ERR_INVALID_ARGUMENT, S3X_ERR_OOM, S3X_ERR_OVERFLOW. */
int s3x__endpoint_target(const struct s3x_endpoint *ep, struct s3x_allocator *allocator, const char *bucket,
    const char *key, const struct s3x_query_param *query, size_t query_count, struct s3x_http_target *out);
/* Safe on a zeroed or already cleaned target. */
void s3x__http_target_clean_up(struct s3x_http_target *target);

#endif
