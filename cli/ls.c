/* s3xfer ls: buckets, or the objects and common prefixes under a prefix, like `aws s3 ls`.
 *
 *   s3xfer ls                      2024-05-01 12:00:00 media          (ListBuckets)
 *   s3xfer ls s3://media/photos/                              PRE 2023/
 *                                  2024-05-01 12:00:00    1048576 cover.jpg
 *   s3xfer ls -r s3://media/photos 2024-05-01 12:00:00    1048576 photos/2023/a.jpg
 *
 * Without --recursive the prefix is listed with delimiter '/' and names are shown relative to
 * the last '/' of the prefix as given (so "s3://media/pho" shows "PRE photos/"); with it, every
 * key under the prefix is shown in full. Times are local. Pages are printed as they arrive, so a
 * listing of millions of keys starts at once and holds one page in memory.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

struct s_ls {
    struct cli_session *s;
    size_t strip; /* bytes of each key not shown (up to the last '/' of the prefix) */
    uint64_t objects;
    uint64_t bytes;
};

static void s_format_time(int64_t when, bool known, char *out, size_t size) {
    if (!known) {
        snprintf(out, size, "%19s", "");
        return;
    }
    time_t t = (time_t)when;
    struct tm tm;
    if (localtime_r(&t, &tm) == NULL || strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm) == 0) {
        snprintf(out, size, "%19s", "?");
    }
}

static void s_format_size(const struct cli_session *s, uint64_t size, char *out, size_t out_size) {
    if (s->opt->human) {
        char b[32];
        cli_format_bytes(size, b, sizeof(b));
        snprintf(out, out_size, "%10s", b);
    } else {
        snprintf(out, out_size, "%10llu", (unsigned long long)size);
    }
}

static int s_on_page(struct s3x_client *client, struct s3x_list_result *page, void *user_data) {
    (void)client;
    struct s_ls *l = user_data;
    for (size_t i = 0; i < page->common_prefixes_count; ++i) {
        const char *p = page->common_prefixes[i];
        printf("%30s %s\n", "PRE", strlen(p) >= l->strip ? p + l->strip : p);
    }
    for (size_t i = 0; i < page->objects_count; ++i) {
        const struct s3x_object_info *o = &page->objects[i];
        char when[64], size[32];
        s_format_time(o->last_modified, o->has_last_modified, when, sizeof(when));
        s_format_size(l->s, o->size, size, sizeof(size));
        printf("%s %s %s\n", when, size, strlen(o->key) >= l->strip ? o->key + l->strip : o->key);
        l->objects++;
        l->bytes += o->size;
    }
    fflush(stdout);
    return cli_interrupted() ? S3X_ERR_CANCELED : 0;
}

static int s_list_buckets(struct cli_session *s) {
    int rc = cli_session_connect(s);
    if (rc != 0) {
        return rc;
    }
    struct s3x_buckets_result r;
    rc = s3x_bucket_list_sync(s->client, NULL, &r);
    if (rc != 0) {
        struct s3x_transfer_result view;
        cli_result_from_s3_error(rc, &r.s3_error, &view);
        rc = cli_report(rc, CLI_SIDE_REMOTE, &view, "list buckets");
    } else {
        for (size_t i = 0; i < r.buckets_count; ++i) {
            char when[64];
            s_format_time(r.buckets[i].creation_date, r.buckets[i].creation_date_raw != NULL, when, sizeof(when));
            printf("%s %s\n", when, r.buckets[i].name);
        }
    }
    s3x_buckets_result_clean_up(&r);
    return rc;
}

int cli_cmd_ls(struct cli_session *s) {
    const struct cli_options *opt = s->opt;
    if (opt->nargs == 0 || strcmp(opt->args[0], "s3://") == 0) {
        if (opt->recursive) {
            return cli_usage_error("ls --recursive needs a bucket: s3xfer ls -r s3://BUCKET[/PREFIX]");
        }
        return s_list_buckets(s);
    }
    char err[512];
    struct cli_location loc;
    if (cli_location_parse(opt->args[0], false, &loc, err, sizeof(err)) != 0) {
        return cli_usage_error("ls: %s", err);
    }
    if (loc.kind != CLI_LOC_S3) {
        cli_location_clean_up(&loc);
        return cli_usage_error("ls: '%s' is not an s3:// URL (expected s3://BUCKET[/PREFIX])", opt->args[0]);
    }
    struct s_ls l = {.s = s};
    if (!opt->recursive) {
        const char *slash = strrchr(loc.key, '/');
        l.strip = slash != NULL ? (size_t)(slash - loc.key) + 1 : 0;
    }
    struct s3x_object_list_options o = {
        .bucket = loc.bucket, .prefix = loc.key, .delimiter = opt->recursive ? NULL : "/"};
    int rc = cli_session_connect(s);
    if (rc != 0) {
        cli_location_clean_up(&loc);
        return rc;
    }
    struct s3x_op_result r;
    rc = s3x_object_list_all_sync(s->client, &o, s_on_page, &l, &r);
    if (rc != 0) {
        struct s3x_transfer_result view;
        cli_result_from_s3_error(rc, &r.s3_error, &view);
        rc = rc == S3X_ERR_CANCELED && cli_interrupted()
                 ? CLI_EXIT_INTERRUPTED
                 : cli_report(rc, CLI_SIDE_REMOTE, &view, "list %s", loc.text);
    } else if (opt->summarize) {
        char human[32];
        cli_format_bytes(l.bytes, human, sizeof(human));
        printf("\nTotal Objects: %llu\n   Total Size: %llu (%s)\n", (unsigned long long)l.objects,
            (unsigned long long)l.bytes, human);
    }
    s3x_op_result_clean_up(&r);
    cli_location_clean_up(&loc);
    return rc;
}
