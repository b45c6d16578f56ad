/* libFuzzer target: resume tokens (src/s3/resume.c), which may come from a file anyone edited.
 *
 * The input (NUL-terminated copy) is parsed under a tracking allocator and once more under a
 * fail-the-Nth allocator: the result is 0, S3X_ERR_PARSE or S3X_ERR_OOM, and nothing is left
 * allocated. A token that parses is formatted again, and that text must parse to the same
 * fields and format to the same bytes (a fixed point). Any violation traps. */
#include "common/common.h"
#include "s3/resume.h"

#include <s3xfer/allocator.h>
#include <s3xfer/error.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define S_CHECK(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (0)

static bool s_same_string(const char *a, const char *b) {
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void s_check_same(const struct s3x__resume *a, const struct s3x__resume *b) {
    S_CHECK(a->kind == b->kind && a->size == b->size && a->part_size == b->part_size);
    S_CHECK(a->mtime_sec == b->mtime_sec && a->mtime_nsec == b->mtime_nsec && a->checksum == b->checksum);
    S_CHECK(s_same_string(a->bucket, b->bucket) && s_same_string(a->key, b->key) && s_same_string(a->file, b->file));
    S_CHECK(s_same_string(a->upload_id, b->upload_id) && s_same_string(a->etag, b->etag));
    S_CHECK(s_same_string(a->temp_path, b->temp_path) && a->parts_count == b->parts_count);
    for (size_t i = 0; i < a->parts_count; ++i) {
        S_CHECK(a->parts[i].number == b->parts[i].number);
        S_CHECK(i == 0 || a->parts[i].number > a->parts[i - 1].number);
        S_CHECK(s_same_string(a->parts[i].etag, b->parts[i].etag));
        S_CHECK(s_same_string(a->parts[i].checksum, b->parts[i].checksum));
    }
}

static void s_run(struct s3x_allocator *a, const char *text) {
    struct s3x__resume r;
    int rc = s3x__resume_parse(a, text, &r);
    S_CHECK(rc == 0 || rc == S3X_ERR_PARSE || rc == S3X_ERR_OOM);
    char *formatted = NULL;
    if (rc == 0 && s3x__resume_format(a, &r, &formatted) == 0) {
        struct s3x__resume again;
        int rc2 = s3x__resume_parse(a, formatted, &again);
        S_CHECK(rc2 == 0 || rc2 == S3X_ERR_OOM);
        if (rc2 == 0) {
            s_check_same(&r, &again);
            char *twice = NULL;
            if (s3x__resume_format(a, &again, &twice) == 0) {
                S_CHECK(strcmp(formatted, twice) == 0);
                s3x_mem_release(a, twice);
            }
        }
        s3x__resume_clean_up(a, &again);
        s3x_mem_release(a, formatted);
    }
    s3x__resume_clean_up(a, &r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (text == NULL) {
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    struct s3x_allocator *tracking = NULL;
    if (s3x_tracking_allocator_new(NULL, &tracking) == 0) {
        s_run(tracking, text);
        struct s3x_allocator *fail = NULL;
        if (s3x_fail_nth_allocator_new(tracking, 1 + size % 8, &fail) == 0) {
            s_run(fail, text);
            s3x_fail_nth_allocator_destroy(fail);
        }
        struct s3x_tracking_stats stats;
        s3x_tracking_allocator_stats(tracking, &stats);
        S_CHECK(stats.outstanding_count == 0);
        s3x_tracking_allocator_destroy(tracking);
    }
    free(text);
    return 0;
}
