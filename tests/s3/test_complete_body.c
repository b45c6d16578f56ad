/* Tests of the CompleteMultipartUpload request body (src/s3/complete_body.c): exact size, one
 * allocation, escaping, checksums on and off, refusals, allocation failures. */
#include "harness.h"

#include "common/common.h"
#include "s3/complete_body.h"
#include "s3/xml.h"

#include <s3xfer/error.h>

#include <stdio.h>
#include <string.h>

struct s_collect {
    char etags[8][64];
    char numbers[8][16];
    char checksums[8][64];
    size_t n_etags, n_numbers, n_checksums;
};

static int s_collect_end(struct s3x_xml_parser *p, size_t depth, const char *name, const char *text, size_t len,
    void *user) {
    (void)p;
    (void)len;
    struct s_collect *c = user;
    if (depth == 3 && strcmp(name, "ETag") == 0) {
        snprintf(c->etags[c->n_etags++], 64, "%s", text);
    } else if (depth == 3 && strcmp(name, "PartNumber") == 0) {
        snprintf(c->numbers[c->n_numbers++], 16, "%s", text);
    } else if (depth == 3 && strncmp(name, "Checksum", 8) == 0) {
        snprintf(c->checksums[c->n_checksums++], 64, "%s=%s", name, text);
    }
    return 0;
}

static void test_complete_writer(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_s3_complete_part parts[] = {
        {.part_number = 1, .etag = "\"a\"", .checksum_crc32c = "AAAAAA=="},
        {.part_number = 2, .etag = "\"4b6d33fe448ab13e30c721ebec088267-2\"", .checksum_sha256 = "x<y>&'\""},
        {.part_number = 10000, .etag = "W/\"odd & <weird>\"", .checksum_crc32 = "AQIDBA==",
            .checksum_crc64nvme = "AAAAAAAAAAA=", .checksum_sha1 = "s"},
    };
    /* The worked example of complete_body.c. */
    size_t size = 0;
    assert_int_equal(s3x__s3_complete_body_size(parts, 1, false, &size), 0);
    assert_int_equal(size, 203);

    struct s3x_s3_buf buf;
    s3x__s3_buf_init(&buf, a);
    assert_int_equal(s3x__s3_complete_body_write(parts, 1, false, &buf), 0);
    const char *want =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUpload "
        "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Part><PartNumber>1</PartNumber><ETag>&quot;a&quot;"
        "</ETag></Part></CompleteMultipartUpload>";
    assert_int_equal(buf.len, strlen(want));
    assert_memory_equal(buf.data, want, buf.len);
    s3x__s3_buf_clean_up(&buf);

    /* With and without checksums; appended to what the buffer holds, in one allocation. */
    for (int with = 0; with < 2; ++with) {
        s3x__s3_buf_init(&buf, a);
        assert_int_equal(s3x__s3_buf_reserve(&buf, 5), 0);
        memcpy(buf.data, "head:", 5);
        buf.len = 5;
        assert_int_equal(s3x__s3_complete_body_size(parts, 3, with, &size), 0);
        struct s3x_tracking_stats before, after;
        s3x_tracking_allocator_stats(a, &before);
        assert_int_equal(s3x__s3_complete_body_write(parts, 3, with, &buf), 0);
        s3x_tracking_allocator_stats(a, &after);
        assert_int_equal(after.total_count - before.total_count, 1);
        assert_int_equal(buf.len, 5 + size);
        assert_int_equal(buf.capacity, 5 + size);
        assert_memory_equal(buf.data, "head:", 5);

        struct s_collect c = {0};
        struct s3x_xml_handler h = {.on_end = s_collect_end};
        assert_int_equal(s3x__xml_parse(a, &h, NULL, &c, buf.data + 5, size), 0);
        assert_int_equal(c.n_etags, 3);
        for (size_t i = 0; i < 3; ++i) {
            assert_string_equal(c.etags[i], parts[i].etag);
        }
        assert_string_equal(c.numbers[2], "10000");
        if (with) {
            assert_int_equal(c.n_checksums, 5);
            assert_string_equal(c.checksums[0], "ChecksumCRC32C=AAAAAA==");
            assert_string_equal(c.checksums[1], "ChecksumSHA256=x<y>&'\"");
            assert_string_equal(c.checksums[2], "ChecksumCRC32=AQIDBA==");
            assert_string_equal(c.checksums[3], "ChecksumCRC64NVME=AAAAAAAAAAA=");
            assert_string_equal(c.checksums[4], "ChecksumSHA1=s");
        } else {
            assert_int_equal(c.n_checksums, 0);
            assert_null(memmem(buf.data, buf.len, "Checksum", 8));
        }
        assert_non_null(memmem(buf.data, buf.len, "&quot;odd &amp; &lt;weird&gt;&quot;", 35));
        s3x__s3_buf_clean_up(&buf);
    }
}

static void test_complete_writer_rejects(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_s3_buf buf;
    s3x__s3_buf_init(&buf, a);
    size_t size = 1;
    struct s3x_s3_complete_part p[2] = {{.part_number = 1, .etag = "\"e\""}, {.part_number = 2, .etag = "\"f\""}};
    assert_int_equal(s3x__s3_complete_body_size(p, 0, true, &size), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(size, 0);
    assert_int_equal(s3x__s3_complete_body_size(NULL, 1, true, &size), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x__s3_complete_body_size(p, 2, true, NULL), S3X_ERR_INVALID_ARGUMENT);
    struct s3x_s3_complete_part bad[][2] = {
        {{.part_number = 2, .etag = "e"}, {.part_number = 1, .etag = "e"}},     /* descending */
        {{.part_number = 1, .etag = "e"}, {.part_number = 1, .etag = "e"}},     /* repeated */
        {{.part_number = 0, .etag = "e"}, {.part_number = 1, .etag = "e"}},     /* zero */
        {{.part_number = 1, .etag = "e"}, {.part_number = 10001, .etag = "e"}}, /* too large */
        {{.part_number = 1, .etag = "e"}, {.part_number = 2, .etag = NULL}},
        {{.part_number = 1, .etag = "e"}, {.part_number = 2, .etag = ""}},
        {{.part_number = 1, .etag = "e\x01"}, {.part_number = 2, .etag = "e"}},
        {{.part_number = 1, .etag = "e", .checksum_crc32 = "\x02"}, {.part_number = 2, .etag = "e"}},
    };
    for (size_t i = 0; i < S3X_ARRAY_LEN(bad); ++i) {
        if (s3x__s3_complete_body_write(bad[i], 2, true, &buf) != S3X_ERR_INVALID_ARGUMENT) {
            fail_msg("case %zu accepted", i);
        }
        assert_int_equal(buf.len, 0);
        assert_null(buf.data);
    }
    /* A control byte in a checksum that is left out does not matter. */
    assert_int_equal(s3x__s3_complete_body_write(bad[7], 1, false, &buf), 0);
    s3x__s3_buf_clean_up(&buf);
    assert_int_equal(s3x__s3_buf_reserve(NULL, 1), S3X_ERR_INVALID_ARGUMENT);
    s3x__s3_buf_init(&buf, a);
    buf.len = SIZE_MAX;
    assert_int_equal(s3x__s3_buf_reserve(&buf, 1), S3X_ERR_OVERFLOW);
    buf.len = 0;
    s3x__s3_buf_clean_up(NULL);
}

static int s_writer_block(struct s3x_allocator *a, void *ctx) {
    (void)ctx;
    struct s3x_s3_complete_part p[2] = {{.part_number = 1, .etag = "\"e\"", .checksum_crc32 = "AAAAAA=="},
        {.part_number = 2, .etag = "\"f\""}};
    struct s3x_s3_buf buf;
    s3x__s3_buf_init(&buf, a);
    int rc = s3x__s3_complete_body_write(p, 2, true, &buf);
    if (rc != 0) {
        assert_int_equal(rc, S3X_ERR_OOM);
        assert_int_equal(buf.len, 0);
    }
    s3x__s3_buf_clean_up(&buf);
    return rc;
}

static void test_complete_writer_fail_nth(void **state) {
    assert_int_equal(s3x_test_sweep_fail_nth(s3x_test_allocator(state), s_writer_block, NULL, 0), 1);
}

static const struct CMUnitTest tests[] = {
    S3X_TEST(test_complete_writer),
    S3X_TEST(test_complete_writer_rejects),
    S3X_TEST(test_complete_writer_fail_nth),
};

int main(int argc, char **argv) {
    return S3X_TEST_MAIN(argc, argv, "s3_complete_body", tests);
}
