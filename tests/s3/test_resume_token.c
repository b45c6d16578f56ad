/* Resume tokens: format/parse round trips, escaping, and the parser's refusals. */
#include "harness.h"

#include "s3/resume.h"

#include <s3xfer/error.h>

#include <stdio.h>
#include <string.h>

#define S(text) ((char *)(uintptr_t)(text)) /* the struct owns its strings when parsed */

static void s_fill_put(struct s3x__resume *r) {
    memset(r, 0, sizeof(*r));
    r->kind = S3X__RESUME_PUT;
    r->bucket = S("bucket");
    r->key = S("dir/a b%c\n\xc3\xa9");
    r->file = S("/tmp/a b.bin");
    r->size = 20971520;
    r->mtime_sec = 1764086400;
    r->mtime_nsec = 5;
    r->part_size = 8388608;
    r->checksum = S3X_CHECKSUM_CRC32C;
    r->upload_id = S("2~up load");
}

static void test_round_trip_put(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x__resume r;
    s_fill_put(&r);
    assert_int_equal(s3x__resume_add_part(a, &r, 1, "\"e1\"", "AAAAAA=="), 0);
    assert_int_equal(s3x__resume_add_part(a, &r, 3, "\"e3\"", NULL), 0);
    assert_int_equal(s3x__resume_add_part(a, &r, 3, "\"dup\"", NULL), S3X_ERR_PARSE); /* not increasing */
    char *text = NULL;
    assert_int_equal(s3x__resume_format(a, &r, &text), 0);
    /* printable ASCII only, one field per line */
    for (const char *p = text; *p; ++p) {
        assert_true(*p == '\n' || (*p >= ' ' && *p <= '~'));
    }
    assert_non_null(strstr(text, "key dir/a%20b%25c%0A%C3%A9\n"));
    assert_non_null(strstr(text, "mtime 1764086400.000000005\n"));
    assert_non_null(strstr(text, "part 3 \"e3\" -\n"));

    struct s3x__resume back;
    assert_int_equal(s3x__resume_parse(a, text, &back), 0);
    assert_int_equal(back.kind, S3X__RESUME_PUT);
    assert_string_equal(back.bucket, r.bucket);
    assert_string_equal(back.key, r.key);
    assert_string_equal(back.file, r.file);
    assert_int_equal(back.size, r.size);
    assert_int_equal(back.mtime_sec, r.mtime_sec);
    assert_int_equal(back.mtime_nsec, 5);
    assert_int_equal(back.part_size, r.part_size);
    assert_int_equal(back.checksum, S3X_CHECKSUM_CRC32C);
    assert_string_equal(back.upload_id, r.upload_id);
    assert_int_equal(back.parts_count, 2);
    assert_int_equal(back.parts[0].number, 1);
    assert_string_equal(back.parts[0].etag, "\"e1\"");
    assert_string_equal(back.parts[0].checksum, "AAAAAA==");
    assert_int_equal(back.parts[1].number, 3);
    assert_null(back.parts[1].checksum);
    s3x__resume_clean_up(a, &back);
    s3x_mem_release(a, text);
    for (size_t i = 0; i < r.parts_count; ++i) {
        s3x_mem_release(a, r.parts[i].etag);
        s3x_mem_release(a, r.parts[i].checksum);
    }
    s3x_mem_release(a, r.parts);
}

static void test_round_trip_get(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x__resume r = {
        .kind = S3X__RESUME_GET,
        .bucket = S("b"),
        .key = S("k"),
        .file = S("/d/f"),
        .size = 0,
        .part_size = 5242880,
        .etag = S("\"abc\""),
        .temp_path = S("/d/.f.s3xfer-Xy12Zq"),
    };
    for (uint32_t n = 1; n <= 10000; n += 3) {
        assert_int_equal(s3x__resume_add_part(a, &r, n, NULL, NULL), 0);
    }
    assert_int_equal(s3x__resume_add_part(a, &r, 10001, NULL, NULL), S3X_ERR_PARSE);
    char *text = NULL;
    assert_int_equal(s3x__resume_format(a, &r, &text), 0);
    assert_null(strstr(text, "mtime"));
    assert_null(strstr(text, "upload-id"));
    struct s3x__resume back;
    assert_int_equal(s3x__resume_parse(a, text, &back), 0);
    assert_int_equal(back.kind, S3X__RESUME_GET);
    assert_int_equal(back.size, 0);
    assert_string_equal(back.etag, "\"abc\"");
    assert_string_equal(back.temp_path, r.temp_path);
    assert_int_equal(back.parts_count, r.parts_count);
    assert_int_equal(back.parts[back.parts_count - 1].number, 10000);
    s3x__resume_clean_up(a, &back);
    s3x_mem_release(a, text);
    s3x_mem_release(a, r.parts);
}

#define S_HEAD "s3xfer-resume 1\nkind get\nbucket b\nkey k\nfile /f\nsize 10\npart-size 5\netag e\ntemp /t\n"

static void test_parse_refuses(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    static const char *const bad[] = {
        "",
        "s3xfer-resume 2\nkind get\nend\n",                      /* another version */
        S_HEAD,                                                  /* truncated: no end */
        S_HEAD "end\nmore\n",                                    /* data after end */
        S_HEAD "colour blue\nend\n",                             /* unknown field */
        S_HEAD "size 11\nend\n",                                 /* repeated field */
        S_HEAD "bucket c\nend\n",                                /* repeated string */
        S_HEAD "part 2\npart 2\nend\n",                          /* parts not increasing */
        S_HEAD "part 0\nend\n",                                  /* part 0 */
        S_HEAD "part 10001\nend\n",                              /* beyond 10,000 */
        S_HEAD "part 1 \"e\" -\nend\n",                          /* a put part in a get token */
        S_HEAD "upload-id u\nend\n",                             /* a put field in a get token */
        "s3xfer-resume 1\nbucket b\nkind get\nend\n",            /* a field before kind */
        "s3xfer-resume 1\nkind get\nbucket b\nkey k\nfile /f\nsize 10\npart-size 5\nend\n", /* no etag/temp */
        "s3xfer-resume 1\nkind put\nbucket b\nkey k\nfile /f\nsize 10\npart-size 5\nchecksum none\nend\n", /* no mtime */
        "s3xfer-resume 1\nkind put\nbucket b\nkey k\nfile /f\nsize 10\nmtime 1.5\npart-size 5\nchecksum none\nend\n",
        "s3xfer-resume 1\nkind put\nbucket b\nkey k\nfile /f\nsize 10\nmtime 1.000000000\npart-size 5\n"
        "checksum md4\nend\n",                                   /* unknown algorithm */
        "s3xfer-resume 1\nkind mv\nend\n",                       /* unknown kind */
        "s3xfer-resume 1\nkind get\nbucket b\nkey k\nfile /f\nsize 18446744073709551616\npart-size 5\netag e\n"
        "temp /t\nend\n",                                        /* size overflows */
        "s3xfer-resume 1\nkind get\nbucket b\nkey k\nfile /f\nsize 10\npart-size 0\netag e\ntemp /t\nend\n",
        "s3xfer-resume 1\nkind get\nbucket b\nkey k\nfile /f\nsize 10\npart-size 5368709121\netag e\ntemp /t\nend\n",
        "s3xfer-resume 1\nkind get\nbucket b%00c\nkey k\nfile /f\nsize 10\npart-size 5\netag e\ntemp /t\nend\n",
        "s3xfer-resume 1\nkind get\nbucket b%4\nkey k\nfile /f\nsize 10\npart-size 5\netag e\ntemp /t\nend\n",
        "s3xfer-resume 1\nkind get\nbucket b%zz\nkey k\nfile /f\nsize 10\npart-size 5\netag e\ntemp /t\nend\n",
        "s3xfer-resume 1\nkind get\nbucket \nkey k\nfile /f\nsize 10\npart-size 5\netag e\ntemp /t\nend\n",
        "s3xfer-resume 1\nkind get\nbucket a b\nkey k\nfile /f\nsize 10\npart-size 5\netag e\ntemp /t\nend\n",
        "s3xfer-resume 1\nkind get\nbucket b\nkey k\nfile /f\nsize -1\npart-size 5\netag e\ntemp /t\nend\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        struct s3x__resume r;
        int rc = s3x__resume_parse(a, bad[i], &r);
        if (rc != S3X_ERR_PARSE) {
            fail_msg("token %zu parsed (%d):\n%s", i, rc, bad[i]);
        }
        s3x__resume_clean_up(a, &r);
    }
    struct s3x__resume r;
    assert_int_equal(s3x__resume_parse(a, NULL, &r), S3X_ERR_PARSE);
    assert_int_equal(s3x__resume_parse(a, S_HEAD "part 2\npart 7\nend\n", &r), 0);
    assert_int_equal(r.parts_count, 2);
    s3x__resume_clean_up(a, &r);
    assert_int_equal(s3x__resume_parse(a, S_HEAD "end", &r), 0); /* the final newline is optional */
    s3x__resume_clean_up(a, &r);
}

static int s_round_trip_block(struct s3x_allocator *a, void *ctx) {
    (void)ctx;
    struct s3x__resume r;
    s_fill_put(&r);
    int rc = 0;
    for (uint32_t n = 1; n <= 40 && rc == 0; ++n) {
        rc = s3x__resume_add_part(a, &r, n, "\"etag\"", n % 2 ? "AAAAAA==" : NULL);
    }
    char *text = NULL;
    if (rc == 0) {
        rc = s3x__resume_format(a, &r, &text);
    }
    struct s3x__resume back;
    memset(&back, 0, sizeof(back));
    if (rc == 0) {
        rc = s3x__resume_parse(a, text, &back);
    }
    if (rc == 0 && back.parts_count != 40) {
        rc = S3X_ERR_UNKNOWN;
    }
    s3x__resume_clean_up(a, &back);
    s3x_mem_release(a, text);
    for (size_t i = 0; i < r.parts_count; ++i) {
        s3x_mem_release(a, r.parts[i].etag);
        s3x_mem_release(a, r.parts[i].checksum);
    }
    s3x_mem_release(a, r.parts);
    return rc;
}

static void test_fail_nth(void **state) {
    uint64_t sites = s3x_test_sweep_fail_nth(s3x_test_allocator(state), s_round_trip_block, NULL, 0);
    assert_true(sites > 40);
}

static void test_abs_path(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    char *p = s3x__resume_abs_path(a, "/tmp/../tmp/nonexistent-file");
    assert_non_null(p);
    assert_string_equal(p, "/tmp/nonexistent-file");
    s3x_mem_release(a, p);
    p = s3x__resume_abs_path(a, "/nonexistent-dir-s3xfer/f");
    assert_null(p);
    p = s3x__resume_abs_path(a, "/f");
    assert_non_null(p);
    assert_string_equal(p, "/f");
    s3x_mem_release(a, p);
}

int main(int argc, char **argv) {
    static const struct CMUnitTest tests[] = {
        S3X_TEST(test_round_trip_put),
        S3X_TEST(test_round_trip_get),
        S3X_TEST(test_parse_refuses),
        S3X_TEST(test_fail_nth),
        S3X_TEST(test_abs_path),
    };
    return S3X_TEST_MAIN(argc, argv, "resume_token", tests);
}
