/* Tests of the S3 error mapping and the error record (src/s3/s3_error.c), with error bodies
 * captured from the Swift test server. */
#include "harness.h"

#include "common/common.h"
#include "s3/s3_error.h"

#include <s3xfer/error.h>

#include <string.h>

static const char s_swift_error_nosuchkey[] =
    "<?xml version='1.0' encoding='UTF-8'?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not "
    "exist.</Message><RequestId>tx0622fd6fca0047669ad51-006b06ebf0</RequestId><Key>missing</Key></Error>";

static const char s_swift_error_signature[] =
    "<?xml version='1.0' encoding='UTF-8'?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The request "
    "signature we calculated does not match the signature you provided. Check your key and signing method."
    "</Message><RequestId>txde223e7076944da8b2cd2-006b06ebf1</RequestId><AWSAccessKeyId>test:tester"
    "</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256\n20261125T140849Z\n20261125/us-east-1/s3/aws4_request\n"
    "28c3dbd9545ad78f2b06922bf6c6f61efbde4a9daecad22d11187e3eb914c838</StringToSign><SignatureProvided>"
    "65e54d04b6caed0ce5c6a52ec5d32482bbf4780093bada7cfc62f82a52de58ce</SignatureProvided><CanonicalRequest>GET\n"
    "/capbucket\nencoding-type=url&amp;list-type=2\nhost:127.0.0.1:25774\n</CanonicalRequest></Error>";

static const char s_swift_complete_heartbeat_error[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n         \n<Error><Code>InvalidPart</Code><Message>One or more "
    "of the specified parts could not be found.</Message><UploadId>NmI1OGVlMDItMmY5Zi00MWU0LWJkOTAtZDczNGExMTkyOW"
    "U5</UploadId></Error>";

static void test_error_from_code(void **state) {
    (void)state;
    static const struct {
        const char *code;
        int status;
        int err;
    } cases[] = {
        {"AccessDenied", 403, S3X_ERR_S3_ACCESS_DENIED},
        {"SignatureDoesNotMatch", 403, S3X_ERR_S3_SIGNATURE_MISMATCH},
        {"InvalidAccessKeyId", 403, S3X_ERR_S3_INVALID_ACCESS_KEY},
        {"NoSuchKey", 404, S3X_ERR_S3_NO_SUCH_KEY},
        {"NoSuchBucket", 404, S3X_ERR_S3_NO_SUCH_BUCKET},
        {"NoSuchUpload", 404, S3X_ERR_S3_NO_SUCH_UPLOAD},
        {"InvalidPart", 400, S3X_ERR_S3_INVALID_PART},
        {"InvalidPart", 200, S3X_ERR_S3_INVALID_PART},
        {"InvalidPartOrder", 400, S3X_ERR_S3_INVALID_PART_ORDER},
        {"EntityTooSmall", 400, S3X_ERR_S3_ENTITY_TOO_SMALL},
        {"EntityTooLarge", 400, S3X_ERR_S3_ENTITY_TOO_LARGE},
        {"PreconditionFailed", 412, S3X_ERR_S3_PRECONDITION_FAILED},
        {"InvalidRange", 416, S3X_ERR_S3_INVALID_RANGE},
        {"SlowDown", 503, S3X_ERR_S3_SLOW_DOWN},
        {"InternalError", 500, S3X_ERR_S3_INTERNAL_ERROR},
        {"InternalError", 200, S3X_ERR_S3_INTERNAL_ERROR},
        {"ServiceUnavailable", 503, S3X_ERR_S3_SERVICE_UNAVAILABLE},
        {"RequestTimeout", 400, S3X_ERR_S3_REQUEST_TIMEOUT},
        {"BucketAlreadyExists", 409, S3X_ERR_S3_BUCKET_EXISTS},
        {"BucketAlreadyOwnedByYou", 409, S3X_ERR_S3_BUCKET_OWNED_BY_YOU},
        {"BadDigest", 400, S3X_ERR_S3_BAD_DIGEST},
        {"XAmzContentSHA256Mismatch", 400, S3X_ERR_S3_BAD_DIGEST},
        {"MalformedXML", 400, S3X_ERR_S3_MALFORMED_XML},
        {"InvalidRequest", 400, S3X_ERR_S3_INVALID_REQUEST},
        {"NotImplemented", 501, S3X_ERR_S3_NOT_IMPLEMENTED},
        {"ExpiredToken", 400, S3X_ERR_S3_EXPIRED_TOKEN},
        {"InvalidToken", 400, S3X_ERR_S3_INVALID_TOKEN},
        {"RequestTimeTooSkewed", 403, S3X_ERR_S3_CLOCK_SKEW},
        {"InvalidArgument", 400, S3X_ERR_S3_INVALID_ARGUMENT},
        {"InvalidBucketName", 400, S3X_ERR_S3_INVALID_BUCKET_NAME},
        {"KeyTooLongError", 400, S3X_ERR_S3_KEY_TOO_LONG},
        {"PermanentRedirect", 301, S3X_ERR_S3_WRONG_REGION},
        {"AuthorizationHeaderMalformed", 400, S3X_ERR_S3_WRONG_REGION},
        {"Throttling", 400, S3X_ERR_S3_SLOW_DOWN},
        /* The code decides, whatever the status. */
        {"NoSuchKey", 500, S3X_ERR_S3_NO_SUCH_KEY},
        /* Codes are case-sensitive. */
        {"nosuchkey", 400, S3X_ERR_S3_UNKNOWN},
        /* No code: the status. */
        {NULL, 404, S3X_ERR_S3_NO_SUCH_KEY},
        {"", 404, S3X_ERR_S3_NO_SUCH_KEY},
        {NULL, 403, S3X_ERR_S3_ACCESS_DENIED},
        {NULL, 412, S3X_ERR_S3_PRECONDITION_FAILED},
        {NULL, 416, S3X_ERR_S3_INVALID_RANGE},
        {NULL, 503, S3X_ERR_S3_SLOW_DOWN},
        {NULL, 429, S3X_ERR_S3_SLOW_DOWN},
        {NULL, 500, S3X_ERR_S3_INTERNAL_ERROR},
        {NULL, 301, S3X_ERR_S3_WRONG_REGION},
        {NULL, 400, S3X_ERR_S3_UNKNOWN},
        {NULL, 502, S3X_ERR_S3_UNKNOWN},
        {NULL, 200, S3X_ERR_S3_UNKNOWN},
        /* An unknown code: the status, except 404. */
        {"NoSuchLifecycleConfiguration", 404, S3X_ERR_S3_UNKNOWN},
        {"AllAccessDisabledNew", 403, S3X_ERR_S3_ACCESS_DENIED},
        {"Whatever", 503, S3X_ERR_S3_SLOW_DOWN},
        {"Whatever", 409, S3X_ERR_S3_UNKNOWN},
    };
    for (size_t i = 0; i < S3X_ARRAY_LEN(cases); ++i) {
        int err = s3x__s3_error_from_code(cases[i].code, cases[i].status);
        if (err != cases[i].err) {
            fail_msg("%s/%d -> %s, want %s", cases[i].code ? cases[i].code : "(null)", cases[i].status,
                s3x_error_name(err), s3x_error_name(cases[i].err));
        }
        /* Every mapped code has a name and is in the S3 group. */
        assert_true(err >= 400 && err <= 499);
        assert_string_not_equal(s3x_error_name(err), "S3X_ERR_UNKNOWN_CODE");
    }
}

static void test_retryable(void **state) {
    (void)state;
    assert_true(s3x__s3_error_is_retryable(S3X_ERR_S3_SLOW_DOWN, 503));
    assert_true(s3x__s3_error_is_retryable(S3X_ERR_S3_INTERNAL_ERROR, 500));
    assert_true(s3x__s3_error_is_retryable(S3X_ERR_S3_SERVICE_UNAVAILABLE, 503));
    assert_true(s3x__s3_error_is_retryable(S3X_ERR_S3_REQUEST_TIMEOUT, 400));
    assert_true(s3x__s3_error_is_retryable(S3X_ERR_S3_UNKNOWN, 502));
    assert_true(s3x__s3_error_is_retryable(S3X_ERR_S3_UNKNOWN, 504));
    assert_true(s3x__s3_error_is_retryable(S3X_ERR_S3_SLOW_DOWN, 429));
    /* 200 with an <Error>: transient and unknown codes retry, known permanent ones do not. */
    assert_true(s3x__s3_error_is_retryable(S3X_ERR_S3_INTERNAL_ERROR, 200));
    assert_true(s3x__s3_error_is_retryable(S3X_ERR_S3_UNKNOWN, 200));
    assert_false(s3x__s3_error_is_retryable(S3X_ERR_S3_INVALID_PART, 200));
    assert_false(s3x__s3_error_is_retryable(S3X_ERR_S3_NO_SUCH_UPLOAD, 200));
    int permanent[] = {S3X_ERR_S3_ACCESS_DENIED, S3X_ERR_S3_SIGNATURE_MISMATCH, S3X_ERR_S3_NO_SUCH_KEY,
        S3X_ERR_S3_NO_SUCH_BUCKET, S3X_ERR_S3_INVALID_PART, S3X_ERR_S3_PRECONDITION_FAILED, S3X_ERR_S3_UNKNOWN,
        S3X_ERR_S3_CLOCK_SKEW, S3X_ERR_S3_EXPIRED_TOKEN};
    int statuses[] = {400, 403, 404, 409, 412, 416};
    for (size_t i = 0; i < S3X_ARRAY_LEN(permanent); ++i) {
        for (size_t k = 0; k < S3X_ARRAY_LEN(statuses); ++k) {
            assert_false(s3x__s3_error_is_retryable(permanent[i], statuses[k]));
        }
    }
}

static void test_error_info(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_s3_error_info info;
    assert_int_equal(s3x__s3_error_info_init(&info, a, 403, s_swift_error_signature, strlen(s_swift_error_signature),
                         "hdr-req", "hdr-host"),
        0);
    assert_int_equal(info.error, S3X_ERR_S3_SIGNATURE_MISMATCH);
    assert_int_equal(info.http_status, 403);
    assert_string_equal(info.code, "SignatureDoesNotMatch");
    assert_non_null(strstr(info.message, "signature"));
    assert_string_equal(info.request_id, "txde223e7076944da8b2cd2-006b06ebf1"); /* the body's wins */
    assert_string_equal(info.host_id, "hdr-host");                         /* not in the body */
    s3x__s3_error_info_clean_up(&info);
    assert_null(info.code);

    /* HEAD of a missing key: no body. */
    assert_int_equal(s3x__s3_error_info_init(&info, a, 404, NULL, 0, "r", NULL), 0);
    assert_int_equal(info.error, S3X_ERR_S3_NO_SUCH_KEY);
    assert_null(info.code);
    assert_string_equal(info.request_id, "r");
    assert_null(info.host_id);
    s3x__s3_error_info_clean_up(&info);

    /* A proxy's HTML page: the status decides. */
    const char *html = "<html><body>503 Service Unavailable</body></html>";
    assert_int_equal(s3x__s3_error_info_init(&info, a, 503, html, strlen(html), NULL, NULL), 0);
    assert_int_equal(info.error, S3X_ERR_S3_SLOW_DOWN);
    assert_null(info.message);
    s3x__s3_error_info_clean_up(&info);

    /* Swift's 200 to Complete with an <Error>. */
    assert_int_equal(s3x__s3_error_info_init(&info, a, 200, s_swift_complete_heartbeat_error,
                         strlen(s_swift_complete_heartbeat_error), NULL, NULL),
        0);
    assert_int_equal(info.error, S3X_ERR_S3_INVALID_PART);
    assert_false(s3x__s3_error_is_retryable(info.error, info.http_status));
    s3x__s3_error_info_clean_up(&info);

    assert_int_equal(s3x__s3_error_info_init(NULL, a, 404, NULL, 0, NULL, NULL), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x__s3_error_info_init(&info, a, 404, NULL, 3, NULL, NULL), S3X_ERR_INVALID_ARGUMENT);
    s3x__s3_error_info_clean_up(NULL);
}

static int s_info_block(struct s3x_allocator *a, void *ctx) {
    (void)ctx;
    struct s3x_s3_error_info info;
    int rc = s3x__s3_error_info_init(&info, a, 404, s_swift_error_nosuchkey, strlen(s_swift_error_nosuchkey), "r",
        "h");
    if (rc == 0) {
        assert_int_equal(info.error, S3X_ERR_S3_NO_SUCH_KEY);
        assert_string_equal(info.host_id, "h");
        s3x__s3_error_info_clean_up(&info);
    } else {
        assert_int_equal(rc, S3X_ERR_OOM);
        assert_null(info.code);
    }
    return rc;
}

static void test_error_info_fail_nth(void **state) {
    assert_true(s3x_test_sweep_fail_nth(s3x_test_allocator(state), s_info_block, NULL, 0) > 4);
}

static const struct CMUnitTest tests[] = {
    S3X_TEST(test_error_from_code),
    S3X_TEST(test_retryable),
    S3X_TEST(test_error_info),
    S3X_TEST(test_error_info_fail_nth),
};

int main(int argc, char **argv) {
    return S3X_TEST_MAIN(argc, argv, "s3_error", tests);
}
