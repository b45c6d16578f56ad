/* s3xfer mb: CreateBucket. The name is checked against S3's rules for new buckets first (3 to 63
 * characters: lowercase letters, digits, '.', '-'; a letter or digit at each end; not an IP
 * address), so a bad name fails before any request. The bucket is created in --region (else the
 * client's region: AWS_REGION, the profile, us-east-1).
 *
 *   $ s3xfer mb s3://demo
 *   make_bucket: demo
 */
#include "cli.h"

#include <stdio.h>

int cli_cmd_mb(struct cli_session *s) {
    char err[512];
    struct cli_location loc;
    if (cli_location_parse(s->opt->args[0], true, &loc, err, sizeof(err)) != 0) {
        return cli_usage_error("mb: %s", err);
    }
    int rc = 0;
    if (loc.kind != CLI_LOC_S3) {
        rc = cli_usage_error("mb: '%s' is not an s3:// URL (expected s3://BUCKET)", loc.text);
    } else if (loc.key[0] != '\0') {
        rc = cli_usage_error("mb: '%s' has a key; a bucket is named s3://BUCKET", loc.text);
    }
    if (rc == 0) {
        rc = cli_session_connect(s);
    }
    if (rc == 0) {
        struct s3x_bucket_create_options o = {.bucket = loc.bucket, .region = s->opt->region};
        struct s3x_op_result r;
        rc = s3x_bucket_create_sync(s->client, &o, &r);
        if (rc == 0) {
            cli_say(s, "make_bucket: %s", loc.bucket);
        } else {
            struct s3x_transfer_result view;
            cli_result_from_s3_error(rc, &r.s3_error, &view);
            rc = cli_report(rc, CLI_SIDE_REMOTE, &view, "make bucket %s", loc.bucket);
        }
        s3x_op_result_clean_up(&r);
    }
    cli_location_clean_up(&loc);
    return rc;
}
