/* Resume tokens: what a paused upload or download has done, as text that survives the process.
 *
 * The text is line based, printable ASCII, fields separated by one space, strings
 * percent-encoded (every byte outside '!'..'~', and '%' itself, becomes %XX):
 *
 *   s3xfer-resume 1
 *   kind put                         (or get)
 *   bucket my-bucket
 *   key dir/a%20b.bin
 *   file /home/me/a%20b.bin          (absolute; get: the destination)
 *   size 1073741824                  (put: the source file's size; get: the object's)
 *   mtime 1764086400.123456789       (put: the source file's modification time)
 *   part-size 8388608
 *   checksum crc32c                  (put: the upload's algorithm; none when none)
 *   upload-id 2~abc                  (put; absent when no multipart upload was created)
 *   etag "9b2c..."                   (get: the object's ETag, quotes included)
 *   temp /home/me/.a%20b.bin.s3xfer-Xy12Zq   (get: the temporary file holding the parts)
 *   part 1 "etag1" AAAAAA==          (put: number, ETag, checksum or -)
 *   part 3                           (get: a part written to the temporary file)
 *   end
 *
 * Parsing is strict: unknown lines, repeated fields, numbers out of range, parts out of order or
 * beyond 10,000, and a missing `end` are S3X_ERR_PARSE. A token names at most 10,000 parts, so its
 * text stays below about 1.5 MB.
 */
#ifndef S3XFER_S3_RESUME_H
#define S3XFER_S3_RESUME_H

#include <s3xfer/allocator.h>
#include <s3xfer/checksum.h>

#include <stddef.h>
#include <stdint.h>

enum s3x__resume_kind { S3X__RESUME_PUT = 1, S3X__RESUME_GET = 2 };

struct s3x__resume_part {
    uint32_t number;     /* 1..10000, strictly increasing along the list */
    char *etag;          /* put */
    char *checksum;      /* put: base64 of the upload's algorithm, or NULL */
};

struct s3x__resume {
    enum s3x__resume_kind kind;
    char *bucket;
    char *key;
    char *file;
    uint64_t size;
    int64_t mtime_sec; /* put */
    uint32_t mtime_nsec;
    uint64_t part_size;
    enum s3x_checksum_algorithm checksum; /* put */
    char *upload_id;                       /* put; NULL: none */
    char *etag;                            /* get */
    char *temp_path;                       /* get */
    struct s3x__resume_part *parts;
    size_t parts_count;
    size_t parts_cap;
};

/* Appends a part (numbers must increase); copies the strings (NULL allowed). */
int s3x__resume_add_part(struct s3x_allocator *a, struct s3x__resume *r, uint32_t number, const char *etag,
    const char *checksum);
/* Writes the token: *out is a NUL-terminated string from `a`. */
int s3x__resume_format(struct s3x_allocator *a, const struct s3x__resume *r, char **out);
/* Parses a token into `out` (cleaned up by the caller, also after an error). */
int s3x__resume_parse(struct s3x_allocator *a, const char *text, struct s3x__resume *out);
void s3x__resume_clean_up(struct s3x_allocator *a, struct s3x__resume *r);
/* `path` made absolute without following the last component: realpath of its directory joined
 * with its base name. Returns a string from `a`, or NULL (out of memory, or the directory does
 * not exist). */
char *s3x__resume_abs_path(struct s3x_allocator *a, const char *path);

#endif
