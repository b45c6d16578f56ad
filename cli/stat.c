/* s3xfer stat: what HeadObject says about objects (checksum mode enabled, so stored flexible
 * checksums are shown).
 *
 *   s3://media/big.iso
 *     size:           1073741824 (1.00 GiB)
 *     etag:           "5f3c1b...-128"
 *     last modified:  2024-05-01 12:00:00 +0200
 *     content type:   application/octet-stream
 *     checksum:       CRC32C Gk9Pfw==-128 (COMPOSITE)
 *     metadata:       owner = alice
 *
 * Several objects print one block each, separated by a blank line. A missing object is an error
 * (exit 3) for that object; the others are still shown.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static void s_checksum(const char *name, const char *value, const char *type) {
    if (value != NULL) {
        printf("  checksum:       %s %s%s%s%s\n", name, value, type != NULL ? " (" : "", type != NULL ? type : "",
            type != NULL ? ")" : "");
    }
}

static void s_print(const struct cli_location *loc, const struct s3x_object_info *o) {
    char human[32];
    cli_format_bytes(o->size, human, sizeof(human));
    printf("%s\n", loc->text);
    printf("  size:           %llu (%s)\n", (unsigned long long)o->size, human);
    printf("  etag:           %s\n", o->etag != NULL ? o->etag : "-");
    if (o->has_last_modified) {
        time_t t = (time_t)o->last_modified;
        struct tm tm;
        char when[64] = "?";
        if (localtime_r(&t, &tm) != NULL) {
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z", &tm);
        }
        printf("  last modified:  %s\n", when);
    }
    printf("  content type:   %s\n", o->content_type != NULL ? o->content_type : "-");
    if (o->storage_class != NULL) {
        printf("  storage class:  %s\n", o->storage_class);
    }
    if (o->version_id != NULL) {
        printf("  version id:     %s\n", o->version_id);
    }
    const struct s3x_checksums *c = &o->checksums;
    s_checksum("CRC32C", c->crc32c, c->type);
    s_checksum("CRC32", c->crc32, c->type);
    s_checksum("CRC64NVME", c->crc64nvme, c->type);
    s_checksum("SHA1", c->sha1, c->type);
    s_checksum("SHA256", c->sha256, c->type);
    if (c->crc32c == NULL && c->crc32 == NULL && c->crc64nvme == NULL && c->sha1 == NULL && c->sha256 == NULL) {
        printf("  checksum:       none stored\n");
    }
    for (size_t i = 0; i < o->metadata_count; ++i) {
        printf("  metadata:       %s = %s\n", o->metadata[i].name, o->metadata[i].value);
    }
}

static int s_stat_one(struct cli_session *s, const char *text, bool first) {
    char err[512];
    struct cli_location loc;
    if (cli_location_parse(text, false, &loc, err, sizeof(err)) != 0) {
        return cli_usage_error("stat: %s", err);
    }
    int rc = 0;
    if (loc.kind != CLI_LOC_S3) {
        rc = cli_usage_error("stat: '%s' is not an s3:// URL (expected s3://BUCKET/KEY)", text);
    } else if (loc.key[0] == '\0') {
        rc = cli_usage_error("stat: '%s' names no object (expected s3://BUCKET/KEY)", text);
    }
    if (rc == 0) {
        rc = cli_session_connect(s);
    }
    if (rc != 0) {
        cli_location_clean_up(&loc);
        return rc;
    }
    struct s3x_object_head_options o = {.bucket = loc.bucket, .key = loc.key};
    struct s3x_object_result r;
    rc = s3x_object_head_sync(s->client, &o, &r);
    if (rc == 0) {
        if (!first) {
            putchar('\n');
        }
        s_print(&loc, &r.info);
        fflush(stdout);
    } else {
        struct s3x_transfer_result view;
        cli_result_from_s3_error(rc, &r.s3_error, &view);
        rc = cli_report(rc, CLI_SIDE_REMOTE, &view, "stat %s", text);
    }
    s3x_object_result_clean_up(&r);
    cli_location_clean_up(&loc);
    return rc;
}

int cli_cmd_stat(struct cli_session *s) {
    int exit_code = 0;
    bool first = true;
    for (size_t i = 0; i < s->opt->nargs && !cli_interrupted(); ++i) {
        int rc = s_stat_one(s, s->opt->args[i], first);
        if (rc == 0) {
            first = false;
        } else if (exit_code == 0) {
            exit_code = rc;
        }
    }
    return cli_interrupted() ? CLI_EXIT_INTERRUPTED : exit_code;
}
