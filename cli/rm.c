/* s3xfer rm: DeleteObject for each s3://bucket/key, or with --recursive for every key under each
 * prefix ("s3://b/logs" and "s3://b/logs/" both mean the keys under "logs/"; "s3://b" means the
 * whole bucket).
 *
 * S3 answers "success" when deleting a key that does not exist, so a mistyped key would be
 * "deleted" without complaint. For named keys (not --recursive) rm therefore asks HeadObject
 * first and reports a missing key as an error (exit 3). Deletes run a few at a time through the
 * job runner; --dry-run prints what would be deleted.
 *
 *   $ s3xfer rm -r s3://demo/tmp/
 *   delete: s3://demo/tmp/a
 *   delete: s3://demo/tmp/b
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct s_rm {
    struct cli_session *s;
    struct cli_job *jobs;
    size_t count;
    size_t cap;
    int exit_code;
};

static void s_add(struct s_rm *r, const char *bucket, const char *key) {
    if (r->count == r->cap) {
        r->cap = r->cap == 0 ? 64 : r->cap * 2;
        struct cli_job *jobs = realloc(r->jobs, r->cap * sizeof(*jobs));
        if (jobs == NULL) {
            fputs("s3xfer: error: out of memory\n", stderr);
            exit(CLI_EXIT_FAILURE);
        }
        r->jobs = jobs;
    }
    struct cli_job *job = &r->jobs[r->count++];
    memset(job, 0, sizeof(*job));
    job->kind = CLI_JOB_DELETE;
    job->size = 0;
    job->bucket = cli_strdup(bucket);
    job->key = cli_strdup(key);
}

static void s_fail(struct s_rm *r, int code) {
    if (r->exit_code == 0) {
        r->exit_code = code;
    }
}

struct s_listing {
    struct s_rm *r;
    const char *bucket;
};

static int s_on_page(struct s3x_client *client, struct s3x_list_result *page, void *user_data) {
    (void)client;
    struct s_listing *l = user_data;
    for (size_t i = 0; i < page->objects_count; ++i) {
        s_add(l->r, l->bucket, page->objects[i].key);
    }
    return cli_interrupted() ? S3X_ERR_CANCELED : 0;
}

static int s_plan_prefix(struct s_rm *r, const struct cli_location *loc) {
    size_t n = strlen(loc->key);
    char *prefix = n == 0 || loc->key[n - 1] == '/' ? cli_strdup(loc->key) : cli_strcat3(loc->key, "/", "");
    int rc = cli_session_connect(r->s);
    if (rc != 0) {
        free(prefix);
        return rc;
    }
    struct s_listing l = {.r = r, .bucket = loc->bucket};
    struct s3x_object_list_options o = {.bucket = loc->bucket, .prefix = prefix};
    struct s3x_op_result res;
    rc = s3x_object_list_all_sync(r->s->client, &o, s_on_page, &l, &res);
    if (rc != 0) {
        struct s3x_transfer_result view;
        cli_result_from_s3_error(rc, &res.s3_error, &view);
        rc = cli_report(rc, CLI_SIDE_REMOTE, &view, "list s3://%s/%s", loc->bucket, prefix);
    }
    s3x_op_result_clean_up(&res);
    free(prefix);
    return rc;
}

static int s_plan_key(struct s_rm *r, const struct cli_location *loc) {
    if (loc->key[0] == '\0') {
        return cli_usage_error("rm: '%s' names no object (add --recursive to delete everything under a prefix)",
            loc->text);
    }
    int rc = cli_session_connect(r->s);
    if (rc != 0) {
        return rc;
    }
    struct s3x_object_head_options h = {.bucket = loc->bucket, .key = loc->key};
    struct s3x_object_result res;
    rc = s3x_object_head_sync(r->s->client, &h, &res);
    if (rc != 0) {
        struct s3x_transfer_result view;
        cli_result_from_s3_error(rc, &res.s3_error, &view);
        rc = cli_report(rc, CLI_SIDE_REMOTE, &view, "delete %s", loc->text);
    } else {
        s_add(r, loc->bucket, loc->key);
    }
    s3x_object_result_clean_up(&res);
    return rc;
}

int cli_cmd_rm(struct cli_session *s) {
    struct s_rm r = {.s = s};
    for (size_t i = 0; i < s->opt->nargs && !cli_interrupted(); ++i) {
        char err[512];
        struct cli_location loc;
        if (cli_location_parse(s->opt->args[i], false, &loc, err, sizeof(err)) != 0) {
            s_fail(&r, cli_usage_error("rm: %s", err));
            continue;
        }
        if (loc.kind != CLI_LOC_S3) {
            s_fail(&r, cli_usage_error("rm: '%s' is not an s3:// URL (rm deletes objects only)", loc.text));
        } else {
            int rc = s->opt->recursive ? s_plan_prefix(&r, &loc) : s_plan_key(&r, &loc);
            s_fail(&r, rc);
        }
        cli_location_clean_up(&loc);
    }
    int rc = 0;
    if (cli_interrupted()) {
        rc = CLI_EXIT_INTERRUPTED;
    } else if (s->opt->dry_run) {
        for (size_t i = 0; i < r.count; ++i) {
            cli_say(s, "(dryrun) delete: s3://%s/%s", r.jobs[i].bucket, r.jobs[i].key);
        }
    } else if (r.count > 0) {
        s->progress.enabled = false; /* deletes move no bytes; one line per object says enough */
        rc = cli_run_jobs(s, r.jobs, r.count);
    }
    for (size_t i = 0; i < r.count; ++i) {
        cli_job_clean_up(&r.jobs[i]);
    }
    free(r.jobs);
    return r.exit_code != 0 && rc != CLI_EXIT_INTERRUPTED ? r.exit_code : rc;
}
