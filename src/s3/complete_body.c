/* The CompleteMultipartUpload request body: sized exactly first, then written in one pass into a
 * buffer grown once.
 *
 * Layout (one line, no whitespace between elements):
 *   <?xml version="1.0" encoding="UTF-8"?>\n
 *   <CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
 *   <Part><PartNumber>N</PartNumber><ETag>escaped</ETag>[<ChecksumX>escaped</ChecksumX>...]</Part>
 *   ...</CompleteMultipartUpload>
 *
 * Worked example: one part, number 1, ETag "\"a\"" (3 bytes, escaped to &quot;a&quot;, 13 bytes),
 * no checksum: 39 (declaration + \n) + 73 (opening tag) + 39 (<Part></Part> 13 +
 * <PartNumber>1</PartNumber> 26) + 26 (<ETag>...</ETag>: 6 + 13 + 7) + 26 (closing tag) = 203 bytes,
 * which s3x__s3_complete_body_size returns and the writer writes.
 */
#include "s3/complete_body.h"

#include "common/common.h"
#include "s3/xml.h"

#include <stdio.h>
#include <string.h>

static const char s_head[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                             "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
static const char s_tail[] = "</CompleteMultipartUpload>";

#define S_LIT_LEN(s) (sizeof(s) - 1)

/* The checksum elements of a part, in the order written. */
struct s_checksum_elem {
    const char *name;
    size_t offset;
};
static const struct s_checksum_elem s_checksum_elems[] = {
    {"ChecksumCRC32", offsetof(struct s3x_s3_complete_part, checksum_crc32)},
    {"ChecksumCRC32C", offsetof(struct s3x_s3_complete_part, checksum_crc32c)},
    {"ChecksumCRC64NVME", offsetof(struct s3x_s3_complete_part, checksum_crc64nvme)},
    {"ChecksumSHA1", offsetof(struct s3x_s3_complete_part, checksum_sha1)},
    {"ChecksumSHA256", offsetof(struct s3x_s3_complete_part, checksum_sha256)},
};

static const char *s_checksum_of(const struct s3x_s3_complete_part *part, size_t k) {
    const char *const *slot = (const char *const *)(const void *)((const char *)part + s_checksum_elems[k].offset);
    return *slot;
}

void s3x__s3_buf_init(struct s3x_s3_buf *buf, struct s3x_allocator *allocator) {
    memset(buf, 0, sizeof(*buf));
    buf->allocator = allocator;
}

int s3x__s3_buf_reserve(struct s3x_s3_buf *buf, size_t additional) {
    if (buf == NULL || buf->allocator == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    size_t needed;
    if (s3x__add_overflows(buf->len, additional, &needed)) {
        return S3X_ERR_OVERFLOW;
    }
    if (needed <= buf->capacity) {
        return 0;
    }
    char *grown = s3x_mem_realloc(buf->allocator, buf->data, buf->capacity, needed);
    if (grown == NULL) {
        return S3X_ERR_OOM;
    }
    buf->data = grown;
    buf->capacity = needed;
    return 0;
}

void s3x__s3_buf_clean_up(struct s3x_s3_buf *buf) {
    if (buf == NULL) {
        return;
    }
    s3x_mem_release(buf->allocator, buf->data);
    memset(buf, 0, sizeof(*buf));
}

/* Bytes of <name>escaped(value)</name>: 2 * len(name) + 5 + escaped length. */
static int s_element_size(const char *name, const char *value, size_t *total) {
    size_t vlen = strlen(value);
    if (!s3x__xml_text_is_valid(value, vlen)) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    size_t esc = s3x__xml_escaped_len(value, vlen);
    size_t n = 2 * strlen(name) + 5;
    if (esc == SIZE_MAX || s3x__add_overflows(n, esc, &n) || s3x__add_overflows(*total, n, total)) {
        return S3X_ERR_OVERFLOW;
    }
    return 0;
}

static size_t s_digits(uint32_t v) {
    size_t n = 1;
    while (v >= 10) {
        v /= 10;
        ++n;
    }
    return n;
}

int s3x__s3_complete_body_size(const struct s3x_s3_complete_part *parts, size_t count, bool include_checksums,
    size_t *out_size) {
    if (out_size != NULL) {
        *out_size = 0;
    }
    if (parts == NULL || count == 0 || out_size == NULL) {
        return S3X_ERR_INVALID_ARGUMENT;
    }
    size_t total = S_LIT_LEN(s_head) + S_LIT_LEN(s_tail);
    uint32_t previous = 0;
    for (size_t i = 0; i < count; ++i) {
        const struct s3x_s3_complete_part *p = &parts[i];
        if (p->part_number <= previous || p->part_number > 10000 || p->etag == NULL || p->etag[0] == '\0') {
            return S3X_ERR_INVALID_ARGUMENT;
        }
        previous = p->part_number;
        /* <Part></Part> + <PartNumber>N</PartNumber> */
        size_t fixed = 13 + 25 + s_digits(p->part_number);
        if (s3x__add_overflows(total, fixed, &total)) {
            return S3X_ERR_OVERFLOW;
        }
        int rc = s_element_size("ETag", p->etag, &total);
        for (size_t k = 0; rc == 0 && include_checksums && k < S3X_ARRAY_LEN(s_checksum_elems); ++k) {
            const char *v = s_checksum_of(p, k);
            rc = v != NULL ? s_element_size(s_checksum_elems[k].name, v, &total) : 0;
        }
        if (rc != 0) {
            return rc;
        }
    }
    *out_size = total;
    return 0;
}

static char *s_put(char *o, const char *s, size_t n) {
    memcpy(o, s, n);
    return o + n;
}

static char *s_put_element(char *o, const char *name, const char *value) {
    size_t n = strlen(name);
    *o++ = '<';
    o = s_put(o, name, n);
    *o++ = '>';
    o += s3x__xml_escape_to(o, value, strlen(value));
    *o++ = '<';
    *o++ = '/';
    o = s_put(o, name, n);
    *o++ = '>';
    return o;
}

int s3x__s3_complete_body_write(const struct s3x_s3_complete_part *parts, size_t count, bool include_checksums,
    struct s3x_s3_buf *buf) {
    size_t size = 0;
    int rc = s3x__s3_complete_body_size(parts, count, include_checksums, &size);
    if (rc == 0) {
        rc = s3x__s3_buf_reserve(buf, size);
    }
    if (rc != 0) {
        return rc;
    }
    char *start = buf->data + buf->len;
    char *o = s_put(start, s_head, S_LIT_LEN(s_head));
    for (size_t i = 0; i < count; ++i) {
        const struct s3x_s3_complete_part *p = &parts[i];
        char number[16];
        int n = snprintf(number, sizeof(number), "%u", (unsigned)p->part_number);
        o = s_put(o, "<Part><PartNumber>", 18);
        o = s_put(o, number, (size_t)n);
        o = s_put(o, "</PartNumber>", 13);
        o = s_put_element(o, "ETag", p->etag);
        for (size_t k = 0; include_checksums && k < S3X_ARRAY_LEN(s_checksum_elems); ++k) {
            const char *v = s_checksum_of(p, k);
            if (v != NULL) {
                o = s_put_element(o, s_checksum_elems[k].name, v);
            }
        }
        o = s_put(o, "</Part>", 7);
    }
    o = s_put(o, s_tail, S_LIT_LEN(s_tail));
    buf->len += (size_t)(o - start);
    return 0;
}
