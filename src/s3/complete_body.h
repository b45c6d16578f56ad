/* The CompleteMultipartUpload request body, written into a caller's growable buffer (internal). */
#ifndef S3XFER_S3_COMPLETE_BODY_H
#define S3XFER_S3_COMPLETE_BODY_H

#include <s3xfer/allocator.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- CompleteMultipartUpload request body --------------------------------------------------- */

/* A growable byte buffer owned by the caller: data[0..len) is used, `capacity` bytes allocated
 * through `allocator`. */
struct s3x_s3_buf {
    struct s3x_allocator *allocator;
    char *data;
    size_t len;
    size_t capacity;
};
void s3x__s3_buf_init(struct s3x_s3_buf *buf, struct s3x_allocator *allocator);
/* Makes room for `additional` more bytes with at most one allocation (to exactly len + additional).
 * Returns 0, S3X_ERR_OOM, S3X_ERR_OVERFLOW. */
int s3x__s3_buf_reserve(struct s3x_s3_buf *buf, size_t additional);
void s3x__s3_buf_clean_up(struct s3x_s3_buf *buf);

/* One part of the request. Strings are used as given (an ETag keeps its quotes: "\"abc\"" is
 * written &quot;abc&quot;). Checksums: NULL = not written. */
struct s3x_s3_complete_part {
    uint32_t part_number; /* 1..10000, strictly increasing along the array */
    const char *etag;     /* required, non-empty */
    const char *checksum_crc32;
    const char *checksum_crc32c;
    const char *checksum_crc64nvme;
    const char *checksum_sha1;
    const char *checksum_sha256;
};

/* Exact byte count of the body for these parts. include_checksums false leaves out every checksum
 * element (OpenStack Swift rejects them with MalformedXML). Returns 0, S3X_ERR_INVALID_ARGUMENT
 * (no parts, a part number out of 1..10000 or not increasing, a missing or empty ETag, a value
 * with a byte XML cannot carry), S3X_ERR_OVERFLOW. */
int s3x__s3_complete_body_size(const struct s3x_s3_complete_part *parts, size_t count, bool include_checksums,
    size_t *out_size);

/* Appends the body to `buf`, growing it at most once (to exactly the size above):
 *   <?xml version="1.0" encoding="UTF-8"?>
 *   <CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><PartNumber>1
 *   </PartNumber><ETag>&quot;...&quot;</ETag><ChecksumCRC32C>...</ChecksumCRC32C></Part>...
 *   </CompleteMultipartUpload>
 * (one line in reality). On error `buf` is unchanged. Returns the errors of
 * s3x__s3_complete_body_size and s3x__s3_buf_reserve. */
int s3x__s3_complete_body_write(const struct s3x_s3_complete_part *parts, size_t count, bool include_checksums,
    struct s3x_s3_buf *buf);

#endif
