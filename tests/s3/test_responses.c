/* Tests of the S3 response parsers (src/s3/responses.c).
 *
 * The Swift samples are bodies captured from the project's Swift + s3api test server
 * (tests/servers/swift) through botocore; the AWS samples follow the S3 API reference. */
#include "harness.h"

#include "common/common.h"
#include "s3/responses.h"
#include "s3/xml.h"

#include <s3xfer/error.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- samples ---------------------------------------------------------------------------------- */

static const char s_aws_list[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
    "  <Name>example-bucket</Name>\n"
    "  <Prefix>photos/</Prefix>\n"
    "  <ContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</ContinuationToken>\n"
    "  <NextContinuationToken>2ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>\n"
    "  <KeyCount>2</KeyCount>\n"
    "  <MaxKeys>2</MaxKeys>\n"
    "  <Delimiter>/</Delimiter>\n"
    "  <IsTruncated>true</IsTruncated>\n"
    "  <StartAfter>ExampleGuide.pdf</StartAfter>\n"
    "  <Contents>\n"
    "    <Key>photos/2006/February/sample.jpg</Key>\n"
    "    <LastModified>2011-02-26T01:56:20.000Z</LastModified>\n"
    "    <ETag>&quot;bf1d737a4d46a19f3bced6905cc8b902&quot;</ETag>\n"
    "    <ChecksumAlgorithm>CRC32C</ChecksumAlgorithm>\n"
    "    <ChecksumType>FULL_OBJECT</ChecksumType>\n"
    "    <Size>142863</Size>\n"
    "    <Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>"
    "<DisplayName>mtd@amazon.com</DisplayName></Owner>\n"
    "    <StorageClass>STANDARD</StorageClass>\n"
    "    <RestoreStatus><IsRestoreInProgress>false</IsRestoreInProgress></RestoreStatus>\n"
    "  </Contents>\n"
    "  <Contents>\n"
    "    <Size>5497558138880</Size>\n"
    "    <StorageClass>GLACIER_IR</StorageClass>\n"
    "    <ETag>\"3858f62230ac3c915f300c664312c11f-9\"</ETag>\n"
    "    <Key>photos/2006/a &amp; b &lt;c&gt;.jpg</Key>\n"
    "    <LastModified>2024-12-31T23:59:59Z</LastModified>\n"
    "  </Contents>\n"
    "  <CommonPrefixes><Prefix>photos/2006/January/</Prefix></CommonPrefixes>\n"
    "</ListBucketResult>\n";

static const char s_swift_list_url_delim[] =
    "<?xml version='1.0' encoding='UTF-8'?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Name>capbucket</Name><Prefix></Prefix><KeyCount>6</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter>"
    "<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated><Contents><Key>a.txt</Key><LastModified>"
    "2026-11-25T14:08:49.000Z</LastModified><ETag>\"68a0697b83411b6cb6b7fe791c4cef7b\"</ETag><Size>11</Size>"
    "<StorageClass>STANDARD</StorageClass></Contents><Contents><Key>amp%26lt%3Cgt%3E%22q%27.txt</Key>"
    "<LastModified>2026-11-25T14:08:49.000Z</LastModified><ETag>\"1ba93d87978e81fb4dacdf8413922cea\"</ETag>"
    "<Size>23</Size><StorageClass>STANDARD</StorageClass></Contents><Contents><Key>ctl%01char</Key><LastModified>"
    "2026-11-25T14:08:49.000Z</LastModified><ETag>\"9082442d7dc8959304db93cf0b442e4f\"</ETag><Size>14</Size>"
    "<StorageClass>STANDARD</StorageClass></Contents><CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes>"
    "<Contents><Key>pct%2541.txt</Key><LastModified>2026-11-25T14:08:49.000Z</LastModified><ETag>"
    "\"41e66e43e70033600547ee437e6d20c0\"</ETag><Size>16</Size><StorageClass>STANDARD</StorageClass></Contents>"
    "<CommonPrefixes><Prefix>sp%20ace/</Prefix></CommonPrefixes></ListBucketResult>";

static const char s_swift_list_page2[] =
    "<?xml version='1.0' encoding='UTF-8'?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Name>capbucket</Name><Prefix/><NextContinuationToken>ZGlyL3N1Yi94LmJpbg==</NextContinuationToken>"
    "<ContinuationToken>ZGlyL2IgYy50eHQ=</ContinuationToken><KeyCount>3</KeyCount><MaxKeys>3</MaxKeys>"
    "<EncodingType>url</EncodingType><IsTruncated>true</IsTruncated><Contents><Key>dir/caf%C3%A9.txt</Key>"
    "<LastModified>2026-11-25T14:08:49.000Z</LastModified><ETag>\"a90a591359b9bf7bab96997e24c56cc0\"</ETag>"
    "<Size>19</Size><StorageClass>STANDARD</StorageClass></Contents><Contents><Key>dir/plus%2Bsign.txt</Key>"
    "<LastModified>2026-11-25T14:08:49.000Z</LastModified><ETag>\"6b84cd797ea806c76a787b56bfe8705f\"</ETag>"
    "<Size>23</Size><StorageClass>STANDARD</StorageClass></Contents><Contents><Key>dir/sub/x.bin</Key>"
    "<LastModified>2026-11-25T14:08:49.000Z</LastModified><ETag>\"c6908cd49e92c1653159a970588cf8dd\"</ETag>"
    "<Size>19</Size><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>";

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

static const char s_aws_error_full[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>PermanentRedirect</Code><Message>The bucket you "
    "are attempting to access must be addressed using the specified endpoint.</Message><Endpoint>"
    "example-bucket.s3.eu-west-1.amazonaws.com</Endpoint><Bucket>example-bucket</Bucket><BucketName>"
    "example-bucket</BucketName><Region>eu-west-1</Region><Resource>/example-bucket/k</Resource><Key>k</Key>"
    "<RequestId>0AB1C2D3E4F5A6B7</RequestId><HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg=="
    "</HostId></Error>";

static const char s_swift_initiate[] =
    "<?xml version='1.0' encoding='UTF-8'?>\n<InitiateMultipartUploadResult "
    "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>capbucket</Bucket><Key>big/obj</Key><UploadId>"
    "NmI1OGVlMDItMmY5Zi00MWU0LWJkOTAtZDczNGExMTkyOWU5</UploadId></InitiateMultipartUploadResult>";

static const char s_swift_complete[] =
    "<?xml version='1.0' encoding='UTF-8'?>\n<CompleteMultipartUploadResult "
    "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Location>http://127.0.0.1:25774/capbucket/big/obj"
    "</Location><Bucket>capbucket</Bucket><Key>big/obj</Key><ETag>\"4b6d33fe448ab13e30c721ebec088267-2\"</ETag>"
    "</CompleteMultipartUploadResult>";

/* Swift, when the manifest write takes over 10 s: the declaration, heartbeat spaces, then the
 * result or an <Error> without a declaration, all under a 200 status. */
static const char s_swift_complete_heartbeat_error[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n         \n<Error><Code>InvalidPart</Code><Message>One or more "
    "of the specified parts could not be found.</Message><UploadId>NmI1OGVlMDItMmY5Zi00MWU0LWJkOTAtZDczNGExMTkyOW"
    "U5</UploadId></Error>";

static const char s_aws_complete_checksums[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n      \n<CompleteMultipartUploadResult "
    "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Location>https://b.s3.amazonaws.com/k</Location>"
    "<Bucket>b</Bucket><Key>k</Key><ETag>\"3858f62230ac3c915f300c664312c11f-9\"</ETag><ChecksumCRC32C>"
    "kHcDEQ==-9</ChecksumCRC32C><ChecksumType>COMPOSITE</ChecksumType></CompleteMultipartUploadResult>";

static const char s_swift_list_parts[] =
    "<?xml version='1.0' encoding='UTF-8'?>\n<ListPartsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Bucket>capbucket</Bucket><Key>big/obj</Key><UploadId>NmI1OGVlMDItMmY5Zi00MWU0LWJkOTAtZDczNGExMTkyOWU5"
    "</UploadId><Initiator><ID>test:tester</ID><DisplayName>test:tester</DisplayName></Initiator><Owner><ID>"
    "test:tester</ID><DisplayName>test:tester</DisplayName></Owner><StorageClass>STANDARD</StorageClass>"
    "<PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>2</NextPartNumberMarker><MaxParts>1000"
    "</MaxParts><IsTruncated>false</IsTruncated><Part><PartNumber>1</PartNumber><LastModified>"
    "2026-11-25T14:08:49.000Z</LastModified><ETag>\"b8fc857a25e7958868c2f003d5e0952d\"</ETag><Size>5242880"
    "</Size></Part><Part><PartNumber>2</PartNumber><LastModified>2026-11-25T14:08:49.000Z</LastModified><ETag>"
    "\"912485fe921b64abf79d3839057f7f36\"</ETag><Size>1000</Size></Part></ListPartsResult>";

static const char s_aws_list_parts_checksums[] =
    "<ListPartsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>b</Bucket><Key>k</Key>"
    "<UploadId>up</UploadId><PartNumberMarker>1</PartNumberMarker><NextPartNumberMarker>3</NextPartNumberMarker>"
    "<MaxParts>2</MaxParts><IsTruncated>true</IsTruncated><ChecksumAlgorithm>SHA256</ChecksumAlgorithm>"
    "<ChecksumType>COMPOSITE</ChecksumType><Part><ETag>\"aa\"</ETag><Size>8388608</Size><PartNumber>2"
    "</PartNumber><ChecksumSHA256>47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=</ChecksumSHA256></Part><Part>"
    "<PartNumber>3</PartNumber><ETag>\"bb\"</ETag><Size>1</Size><ChecksumCRC32>AAAAAA==</ChecksumCRC32>"
    "<ChecksumCRC32C>AAAAAA==</ChecksumCRC32C><ChecksumCRC64NVME>AAAAAAAAAAA=</ChecksumCRC64NVME><ChecksumSHA1>"
    "2jmj7l5rSw0yVb/vlWAYkK/YBwk=</ChecksumSHA1></Part></ListPartsResult>";

static const char s_swift_list_uploads_url[] =
    "<?xml version='1.0' encoding='UTF-8'?>\n<ListMultipartUploadsResult "
    "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>capbucket</Bucket><KeyMarker></KeyMarker>"
    "<UploadIdMarker></UploadIdMarker><NextKeyMarker>other key+</NextKeyMarker><NextUploadIdMarker>"
    "MjA5Y2ZjMTYtZWIyNS00OWVhLWI0NGYtZTlkMjc2MzRmNmJk</NextUploadIdMarker><MaxUploads>1000</MaxUploads>"
    "<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated><Upload><Key>big/obj</Key><UploadId>"
    "NmI1OGVlMDItMmY5Zi00MWU0LWJkOTAtZDczNGExMTkyOWU5</UploadId><Initiator><ID>test:tester</ID><DisplayName>"
    "test:tester</DisplayName></Initiator><Owner><ID>test:tester</ID><DisplayName>test:tester</DisplayName>"
    "</Owner><StorageClass>STANDARD</StorageClass><Initiated>2026-11-25T14:08:49.000Z</Initiated></Upload>"
    "<Upload><Key>other%20key%2B</Key><UploadId>MjA5Y2ZjMTYtZWIyNS00OWVhLWI0NGYtZTlkMjc2MzRmNmJk</UploadId>"
    "<Initiator><ID>test:tester</ID><DisplayName>test:tester</DisplayName></Initiator><Owner><ID>test:tester"
    "</ID><DisplayName>test:tester</DisplayName></Owner><StorageClass>STANDARD</StorageClass><Initiated>"
    "2026-11-25T14:08:49.000Z</Initiated></Upload></ListMultipartUploadsResult>";

static const char s_swift_copy_object[] =
    "<?xml version='1.0' encoding='UTF-8'?>\n<CopyObjectResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<LastModified>2026-11-25T14:08:49.000Z</LastModified><ETag>\"68a0697b83411b6cb6b7fe791c4cef7b\"</ETag>"
    "</CopyObjectResult>";

static const char s_aws_copy_part[] =
    "<CopyPartResult><ETag>\"b8fc857a25e7958868c2f003d5e0952d\"</ETag><LastModified>2009-10-28T22:32:00+01:00"
    "</LastModified><ChecksumCRC32>kHcDEQ==</ChecksumCRC32></CopyPartResult>";

static const char s_swift_list_buckets[] =
    "<?xml version='1.0' encoding='UTF-8'?>\n<ListAllMyBucketsResult "
    "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Owner><ID>test:tester</ID><DisplayName>test:tester"
    "</DisplayName></Owner><Buckets><Bucket><Name>capbucket</Name><CreationDate>2009-02-03T16:45:09.000Z"
    "</CreationDate></Bucket><Bucket><Name>b2</Name><BucketRegion>eu-west-1</BucketRegion></Bucket></Buckets>"
    "</ListAllMyBucketsResult>";

/* --- checkers: each asserts every field of its sample ------------------------------------------ */

static void s_check_aws_list(const struct s3x_s3_response *r) {
    assert_int_equal(r->kind, S3X_S3_RESPONSE_LIST_OBJECTS_V2);
    const struct s3x_s3_list_objects_v2 *l = &r->u.list_objects_v2;
    assert_string_equal(l->name, "example-bucket");
    assert_string_equal(l->prefix, "photos/");
    assert_string_equal(l->continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
    assert_string_equal(l->next_continuation_token, "2ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
    assert_int_equal(l->key_count, 2);
    assert_int_equal(l->max_keys, 2);
    assert_string_equal(l->delimiter, "/");
    assert_true(l->is_truncated);
    assert_string_equal(l->start_after, "ExampleGuide.pdf");
    assert_null(l->encoding_type);
    assert_int_equal(l->contents_count, 2);
    const struct s3x_s3_object *o = &l->contents[0];
    assert_string_equal(o->key, "photos/2006/February/sample.jpg");
    assert_int_equal(o->last_modified, 1298685380);
    assert_string_equal(o->last_modified_raw, "2011-02-26T01:56:20.000Z");
    assert_string_equal(o->etag, "\"bf1d737a4d46a19f3bced6905cc8b902\"");
    assert_string_equal(o->checksum_algorithm, "CRC32C");
    assert_string_equal(o->checksum_type, "FULL_OBJECT");
    assert_int_equal(o->size, 142863);
    assert_string_equal(o->storage_class, "STANDARD");
    o = &l->contents[1];
    assert_string_equal(o->key, "photos/2006/a & b <c>.jpg");
    assert_int_equal(o->size, UINT64_C(5497558138880));
    assert_string_equal(o->etag, "\"3858f62230ac3c915f300c664312c11f-9\"");
    assert_string_equal(o->storage_class, "GLACIER_IR");
    assert_int_equal(o->last_modified, 1735689599);
    assert_null(o->checksum_algorithm);
    assert_int_equal(l->common_prefixes_count, 1);
    assert_string_equal(l->common_prefixes[0].prefix, "photos/2006/January/");
}

static void s_check_swift_list_url_delim(const struct s3x_s3_response *r) {
    assert_int_equal(r->kind, S3X_S3_RESPONSE_LIST_OBJECTS_V2);
    const struct s3x_s3_list_objects_v2 *l = &r->u.list_objects_v2;
    assert_string_equal(l->name, "capbucket");
    assert_string_equal(l->prefix, "");
    assert_string_equal(l->delimiter, "/");
    assert_string_equal(l->encoding_type, "url");
    assert_int_equal(l->key_count, 6);
    assert_int_equal(l->max_keys, 1000);
    assert_false(l->is_truncated);
    assert_null(l->next_continuation_token);
    assert_int_equal(l->contents_count, 4);
    assert_string_equal(l->contents[0].key, "a.txt");
    assert_string_equal(l->contents[1].key, "amp&lt<gt>\"q'.txt");
    assert_string_equal(l->contents[2].key, "ctl\x01" "char");
    assert_string_equal(l->contents[3].key, "pct%41.txt");
    assert_int_equal(l->contents[3].size, 16);
    assert_int_equal(l->contents[3].last_modified, 1795615729);
    assert_int_equal(l->common_prefixes_count, 2);
    assert_string_equal(l->common_prefixes[0].prefix, "dir/");
    assert_string_equal(l->common_prefixes[1].prefix, "sp ace/");
}

static void s_check_swift_list_page2(const struct s3x_s3_response *r) {
    const struct s3x_s3_list_objects_v2 *l = &r->u.list_objects_v2;
    assert_int_equal(r->kind, S3X_S3_RESPONSE_LIST_OBJECTS_V2);
    assert_string_equal(l->prefix, "");
    assert_string_equal(l->next_continuation_token, "ZGlyL3N1Yi94LmJpbg==");
    assert_string_equal(l->continuation_token, "ZGlyL2IgYy50eHQ=");
    assert_true(l->is_truncated);
    assert_int_equal(l->contents_count, 3);
    assert_string_equal(l->contents[0].key, "dir/caf\xc3\xa9.txt");
    assert_string_equal(l->contents[1].key, "dir/plus+sign.txt");
    assert_string_equal(l->contents[2].key, "dir/sub/x.bin");
    assert_int_equal(l->common_prefixes_count, 0);
    assert_null(l->common_prefixes);
}

static void s_check_swift_nosuchkey(const struct s3x_s3_response *r) {
    assert_int_equal(r->kind, S3X_S3_RESPONSE_ERROR);
    assert_string_equal(r->u.error.code, "NoSuchKey");
    assert_string_equal(r->u.error.message, "The specified key does not exist.");
    assert_string_equal(r->u.error.request_id, "tx0622fd6fca0047669ad51-006b06ebf0");
    assert_string_equal(r->u.error.key, "missing");
    assert_null(r->u.error.host_id);
    assert_null(r->u.error.bucket_name);
}

static void s_check_swift_signature(const struct s3x_s3_response *r) {
    assert_int_equal(r->kind, S3X_S3_RESPONSE_ERROR);
    assert_string_equal(r->u.error.code, "SignatureDoesNotMatch");
    assert_string_equal(r->u.error.request_id, "txde223e7076944da8b2cd2-006b06ebf1");
    assert_non_null(strstr(r->u.error.message, "Check your key"));
}

static void s_check_aws_error_full(const struct s3x_s3_response *r) {
    const struct s3x_s3_error_doc *e = &r->u.error;
    assert_int_equal(r->kind, S3X_S3_RESPONSE_ERROR);
    assert_string_equal(e->code, "PermanentRedirect");
    assert_string_equal(e->endpoint, "example-bucket.s3.eu-west-1.amazonaws.com");
    assert_string_equal(e->bucket_name, "example-bucket");
    assert_string_equal(e->region, "eu-west-1");
    assert_string_equal(e->resource, "/example-bucket/k");
    assert_string_equal(e->key, "k");
    assert_string_equal(e->request_id, "0AB1C2D3E4F5A6B7");
    assert_string_equal(e->host_id, "Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==");
}

static void s_check_swift_initiate(const struct s3x_s3_response *r) {
    assert_int_equal(r->kind, S3X_S3_RESPONSE_INITIATE_MULTIPART_UPLOAD);
    assert_string_equal(r->u.initiate.bucket, "capbucket");
    assert_string_equal(r->u.initiate.key, "big/obj");
    assert_string_equal(r->u.initiate.upload_id, "NmI1OGVlMDItMmY5Zi00MWU0LWJkOTAtZDczNGExMTkyOWU5");
}

static void s_check_swift_complete(const struct s3x_s3_response *r) {
    assert_int_equal(r->kind, S3X_S3_RESPONSE_COMPLETE_MULTIPART_UPLOAD);
    const struct s3x_s3_complete_multipart_upload *c = &r->u.complete;
    assert_string_equal(c->location, "http://127.0.0.1:25774/capbucket/big/obj");
    assert_string_equal(c->bucket, "capbucket");
    assert_string_equal(c->key, "big/obj");
    assert_string_equal(c->etag, "\"4b6d33fe448ab13e30c721ebec088267-2\"");
    assert_null(c->checksums.crc32c);
}

static void s_check_swift_heartbeat_error(const struct s3x_s3_response *r) {
    assert_int_equal(r->kind, S3X_S3_RESPONSE_ERROR);
    assert_string_equal(r->u.error.code, "InvalidPart");
    assert_null(r->u.error.request_id);
}

static void s_check_aws_complete_checksums(const struct s3x_s3_response *r) {
    assert_int_equal(r->kind, S3X_S3_RESPONSE_COMPLETE_MULTIPART_UPLOAD);
    const struct s3x_s3_complete_multipart_upload *c = &r->u.complete;
    assert_string_equal(c->etag, "\"3858f62230ac3c915f300c664312c11f-9\"");
    assert_string_equal(c->checksums.crc32c, "kHcDEQ==-9");
    assert_string_equal(c->checksums.type, "COMPOSITE");
    assert_null(c->checksums.crc32);
    assert_null(c->checksums.sha256);
}

static void s_check_swift_list_parts(const struct s3x_s3_response *r) {
    assert_int_equal(r->kind, S3X_S3_RESPONSE_LIST_PARTS);
    const struct s3x_s3_list_parts *l = &r->u.list_parts;
    assert_string_equal(l->bucket, "capbucket");
    assert_string_equal(l->key, "big/obj"); /* not the Initiator's or Owner's ID */
    assert_string_equal(l->upload_id, "NmI1OGVlMDItMmY5Zi00MWU0LWJkOTAtZDczNGExMTkyOWU5");
    assert_string_equal(l->storage_class, "STANDARD");
    assert_int_equal(l->part_number_marker, 0);
    assert_int_equal(l->next_part_number_marker, 2);
    assert_int_equal(l->max_parts, 1000);
    assert_false(l->is_truncated);
    assert_int_equal(l->parts_count, 2);
    assert_int_equal(l->parts[0].part_number, 1);
    assert_string_equal(l->parts[0].etag, "\"b8fc857a25e7958868c2f003d5e0952d\"");
    assert_int_equal(l->parts[0].size, 5242880);
    assert_int_equal(l->parts[0].last_modified, 1795615729);
    assert_int_equal(l->parts[1].part_number, 2);
    assert_int_equal(l->parts[1].size, 1000);
    assert_null(l->parts[1].checksums.crc32c);
}

static void s_check_aws_list_parts_checksums(const struct s3x_s3_response *r) {
    const struct s3x_s3_list_parts *l = &r->u.list_parts;
    assert_int_equal(r->kind, S3X_S3_RESPONSE_LIST_PARTS);
    assert_int_equal(l->part_number_marker, 1);
    assert_int_equal(l->next_part_number_marker, 3);
    assert_int_equal(l->max_parts, 2);
    assert_true(l->is_truncated);
    assert_string_equal(l->checksum_algorithm, "SHA256");
    assert_string_equal(l->checksum_type, "COMPOSITE");
    assert_int_equal(l->parts_count, 2);
    assert_int_equal(l->parts[0].part_number, 2);
    assert_int_equal(l->parts[0].size, 8388608);
    assert_string_equal(l->parts[0].checksums.sha256, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    assert_null(l->parts[0].last_modified_raw);
    assert_int_equal(l->parts[0].last_modified, 0);
    assert_string_equal(l->parts[1].checksums.crc32, "AAAAAA==");
    assert_string_equal(l->parts[1].checksums.crc32c, "AAAAAA==");
    assert_string_equal(l->parts[1].checksums.crc64nvme, "AAAAAAAAAAA=");
    assert_string_equal(l->parts[1].checksums.sha1, "2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
}

static void s_check_swift_list_uploads_url(const struct s3x_s3_response *r) {
    assert_int_equal(r->kind, S3X_S3_RESPONSE_LIST_MULTIPART_UPLOADS);
    const struct s3x_s3_list_multipart_uploads *l = &r->u.list_uploads;
    assert_string_equal(l->bucket, "capbucket");
    assert_string_equal(l->key_marker, "");
    assert_string_equal(l->upload_id_marker, "");
    /* Swift leaves NextKeyMarker unencoded although it encodes the keys: decoding it as S3
     * specifies turns its '+' into a space (see docs/xml.md). */
    assert_string_equal(l->next_key_marker, "other key ");
    assert_string_equal(l->next_upload_id_marker, "MjA5Y2ZjMTYtZWIyNS00OWVhLWI0NGYtZTlkMjc2MzRmNmJk");
    assert_int_equal(l->max_uploads, 1000);
    assert_false(l->is_truncated);
    assert_int_equal(l->uploads_count, 2);
    assert_string_equal(l->uploads[0].key, "big/obj");
    assert_string_equal(l->uploads[0].storage_class, "STANDARD");
    assert_int_equal(l->uploads[0].initiated, 1795615729);
    assert_string_equal(l->uploads[0].initiated_raw, "2026-11-25T14:08:49.000Z");
    assert_string_equal(l->uploads[1].key, "other key+");
    assert_string_equal(l->uploads[1].upload_id, "MjA5Y2ZjMTYtZWIyNS00OWVhLWI0NGYtZTlkMjc2MzRmNmJk");
    assert_int_equal(l->common_prefixes_count, 0);
}

static void s_check_swift_copy_object(const struct s3x_s3_response *r) {
    assert_int_equal(r->kind, S3X_S3_RESPONSE_COPY_OBJECT);
    assert_string_equal(r->u.copy.etag, "\"68a0697b83411b6cb6b7fe791c4cef7b\"");
    assert_int_equal(r->u.copy.last_modified, 1795615729);
}

static void s_check_aws_copy_part(const struct s3x_s3_response *r) {
    assert_int_equal(r->kind, S3X_S3_RESPONSE_COPY_PART);
    assert_string_equal(r->u.copy.etag, "\"b8fc857a25e7958868c2f003d5e0952d\"");
    assert_int_equal(r->u.copy.last_modified, 1256769120 - 3600);
    assert_string_equal(r->u.copy.last_modified_raw, "2009-10-28T22:32:00+01:00");
    assert_string_equal(r->u.copy.checksums.crc32, "kHcDEQ==");
}

static void s_check_swift_list_buckets(const struct s3x_s3_response *r) {
    assert_int_equal(r->kind, S3X_S3_RESPONSE_LIST_BUCKETS);
    const struct s3x_s3_list_buckets *l = &r->u.list_buckets;
    assert_int_equal(l->buckets_count, 2);
    assert_string_equal(l->buckets[0].name, "capbucket");
    assert_int_equal(l->buckets[0].creation_date, 1233679509);
    assert_null(l->buckets[0].region);
    assert_string_equal(l->buckets[1].name, "b2");
    assert_string_equal(l->buckets[1].region, "eu-west-1");
    assert_null(l->continuation_token);
}

struct s_sample {
    const char *name;
    const char *body;
    enum s3x_s3_response_kind expected;
    void (*check)(const struct s3x_s3_response *r);
};

static const struct s_sample s_samples[] = {
    {"aws_list", s_aws_list, S3X_S3_RESPONSE_LIST_OBJECTS_V2, s_check_aws_list},
    {"swift_list_url_delim", s_swift_list_url_delim, S3X_S3_RESPONSE_LIST_OBJECTS_V2, s_check_swift_list_url_delim},
    {"swift_list_page2", s_swift_list_page2, S3X_S3_RESPONSE_LIST_OBJECTS_V2, s_check_swift_list_page2},
    {"swift_nosuchkey", s_swift_error_nosuchkey, S3X_S3_RESPONSE_NONE, s_check_swift_nosuchkey},
    {"swift_signature", s_swift_error_signature, S3X_S3_RESPONSE_LIST_OBJECTS_V2, s_check_swift_signature},
    {"aws_error_full", s_aws_error_full, S3X_S3_RESPONSE_ERROR, s_check_aws_error_full},
    {"swift_initiate", s_swift_initiate, S3X_S3_RESPONSE_INITIATE_MULTIPART_UPLOAD, s_check_swift_initiate},
    {"swift_complete", s_swift_complete, S3X_S3_RESPONSE_COMPLETE_MULTIPART_UPLOAD, s_check_swift_complete},
    {"swift_heartbeat_error", s_swift_complete_heartbeat_error, S3X_S3_RESPONSE_COMPLETE_MULTIPART_UPLOAD,
        s_check_swift_heartbeat_error},
    {"aws_complete_checksums", s_aws_complete_checksums, S3X_S3_RESPONSE_COMPLETE_MULTIPART_UPLOAD,
        s_check_aws_complete_checksums},
    {"swift_list_parts", s_swift_list_parts, S3X_S3_RESPONSE_LIST_PARTS, s_check_swift_list_parts},
    {"aws_list_parts_checksums", s_aws_list_parts_checksums, S3X_S3_RESPONSE_LIST_PARTS,
        s_check_aws_list_parts_checksums},
    {"swift_list_uploads_url", s_swift_list_uploads_url, S3X_S3_RESPONSE_LIST_MULTIPART_UPLOADS,
        s_check_swift_list_uploads_url},
    {"swift_copy_object", s_swift_copy_object, S3X_S3_RESPONSE_COPY_OBJECT, s_check_swift_copy_object},
    {"aws_copy_part", s_aws_copy_part, S3X_S3_RESPONSE_COPY_PART, s_check_aws_copy_part},
    {"aws_copy_part_as_object", s_aws_copy_part, S3X_S3_RESPONSE_COPY_OBJECT, s_check_aws_copy_part},
    {"swift_list_buckets", s_swift_list_buckets, S3X_S3_RESPONSE_LIST_BUCKETS, s_check_swift_list_buckets},
};

/* Parses body in two feeds split at `split` (SIZE_MAX: one-shot entry point). */
static int s_parse_split(struct s3x_allocator *a, enum s3x_s3_response_kind expected, const char *body, size_t len,
    size_t split, struct s3x_s3_response *out) {
    if (split == SIZE_MAX) {
        return s3x__s3_response_parse(a, expected, body, len, out);
    }
    struct s3x_s3_response_parser *p = NULL;
    int rc = s3x__s3_response_parser_new(a, expected, &p);
    if (rc == 0) {
        rc = s3x__s3_response_parser_feed(p, body, split);
    }
    if (rc == 0) {
        rc = s3x__s3_response_parser_feed(p, body + split, len - split);
    }
    if (rc == 0) {
        rc = s3x__s3_response_parser_finish(p, out);
    }
    s3x__s3_response_parser_destroy(p);
    return rc;
}

static void test_samples_one_shot_and_every_split(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    for (size_t i = 0; i < S3X_ARRAY_LEN(s_samples); ++i) {
        const struct s_sample *s = &s_samples[i];
        size_t len = strlen(s->body);
        for (size_t split = 0; split <= len + 1; ++split) {
            size_t at = split == len + 1 ? SIZE_MAX : split;
            struct s3x_s3_response r;
            int rc = s_parse_split(a, s->expected, s->body, len, at, &r);
            if (rc != 0) {
                fail_msg("%s split %zu: %s", s->name, split, s3x_error_name(rc));
            }
            assert_ptr_equal(r.allocator, a);
            s->check(&r);
            s3x__s3_response_clean_up(&r);
            assert_int_equal(r.kind, S3X_S3_RESPONSE_NONE);
        }
        /* Byte by byte. */
        struct s3x_s3_response_parser *p = NULL;
        assert_int_equal(s3x__s3_response_parser_new(a, s->expected, &p), 0);
        for (size_t k = 0; k < len; ++k) {
            assert_int_equal(s3x__s3_response_parser_feed(p, s->body + k, 1), 0);
        }
        struct s3x_s3_response r;
        assert_int_equal(s3x__s3_response_parser_finish(p, &r), 0);
        assert_int_equal(s3x__s3_response_parser_finish(p, &r), S3X_ERR_INVALID_STATE);
        assert_int_equal(s3x__s3_response_parser_feed(p, "x", 1), S3X_ERR_INVALID_STATE);
        s3x__s3_response_parser_destroy(p);
        s->check(&r);
        s3x__s3_response_clean_up(&r);
    }
}

/* Every prefix that stops before the root's end tag is closed fails cleanly. */
static void test_samples_truncated(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    for (size_t i = 0; i < S3X_ARRAY_LEN(s_samples); ++i) {
        const struct s_sample *s = &s_samples[i];
        size_t end = (size_t)(strrchr(s->body, '>') - s->body);
        for (size_t n = 0; n <= end; ++n) {
            struct s3x_s3_response r;
            int rc = s3x__s3_response_parse(a, s->expected, s->body, n, &r);
            if (rc != S3X_ERR_PARSE) {
                fail_msg("%s cut at %zu: %s", s->name, n, s3x_error_name(rc));
            }
            assert_int_equal(r.kind, S3X_S3_RESPONSE_NONE);
        }
    }
}

struct s_sweep {
    const struct s_sample *sample;
    size_t split;
};

static int s_sweep_block(struct s3x_allocator *a, void *ctx) {
    struct s_sweep *c = ctx;
    struct s3x_s3_response r;
    int rc = s_parse_split(a, c->sample->expected, c->sample->body, strlen(c->sample->body), c->split, &r);
    if (rc == 0) {
        c->sample->check(&r);
        s3x__s3_response_clean_up(&r);
    } else if (rc != S3X_ERR_OOM) {
        fail_msg("%s: an allocation failure became %s", c->sample->name, s3x_error_name(rc));
    }
    return rc;
}

static void test_samples_fail_nth(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    uint64_t total = 0;
    for (size_t i = 0; i < S3X_ARRAY_LEN(s_samples); ++i) {
        struct s_sweep ctx = {&s_samples[i], SIZE_MAX};
        uint64_t n = s3x_test_sweep_fail_nth(a, s_sweep_block, &ctx, 0);
        assert_true(n > 3);
        total += n;
        ctx.split = strlen(s_samples[i].body) / 2;
        s3x_test_sweep_fail_nth(a, s_sweep_block, &ctx, 0);
    }
    print_message("swept %llu allocation sites over %zu samples\n", (unsigned long long)total,
        S3X_ARRAY_LEN(s_samples));
}

/* --- typed parsers and kinds ------------------------------------------------------------------ */

static void test_typed_parsers(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_s3_list_objects_v2 lov2;
    assert_int_equal(s3x__s3_list_objects_v2_parse(a, s_aws_list, strlen(s_aws_list), &lov2), 0);
    assert_int_equal(lov2.contents_count, 2);
    s3x__s3_list_objects_v2_clean_up(a, &lov2);
    assert_null(lov2.contents);
    /* An <Error> where a result is required. */
    assert_int_equal(s3x__s3_list_objects_v2_parse(a, s_swift_error_nosuchkey, strlen(s_swift_error_nosuchkey), &lov2),
        S3X_ERR_PARSE);
    assert_null(lov2.name);

    struct s3x_s3_error_doc err;
    assert_int_equal(s3x__s3_error_doc_parse(a, s_aws_error_full, strlen(s_aws_error_full), &err), 0);
    assert_string_equal(err.region, "eu-west-1");
    s3x__s3_error_doc_clean_up(a, &err);
    assert_int_equal(s3x__s3_error_doc_parse(a, s_swift_initiate, strlen(s_swift_initiate), &err), S3X_ERR_PARSE);

    struct s3x_s3_initiate_multipart_upload init;
    assert_int_equal(s3x__s3_initiate_multipart_upload_parse(a, s_swift_initiate, strlen(s_swift_initiate), &init), 0);
    assert_string_equal(init.key, "big/obj");
    s3x__s3_initiate_multipart_upload_clean_up(a, &init);

    struct s3x_s3_complete_multipart_upload done;
    assert_int_equal(s3x__s3_complete_multipart_upload_parse(a, s_swift_complete, strlen(s_swift_complete), &done), 0);
    assert_string_equal(done.etag, "\"4b6d33fe448ab13e30c721ebec088267-2\"");
    s3x__s3_complete_multipart_upload_clean_up(a, &done);
    assert_int_equal(s3x__s3_complete_multipart_upload_parse(a, s_swift_complete_heartbeat_error,
                         strlen(s_swift_complete_heartbeat_error), &done),
        S3X_ERR_PARSE);

    struct s3x_s3_list_parts parts;
    assert_int_equal(s3x__s3_list_parts_parse(a, s_swift_list_parts, strlen(s_swift_list_parts), &parts), 0);
    assert_int_equal(parts.parts_count, 2);
    s3x__s3_list_parts_clean_up(a, &parts);

    struct s3x_s3_list_multipart_uploads ups;
    assert_int_equal(
        s3x__s3_list_multipart_uploads_parse(a, s_swift_list_uploads_url, strlen(s_swift_list_uploads_url), &ups), 0);
    assert_int_equal(ups.uploads_count, 2);
    s3x__s3_list_multipart_uploads_clean_up(a, &ups);

    struct s3x_s3_copy_result copy;
    enum s3x_s3_response_kind kind = S3X_S3_RESPONSE_NONE;
    assert_int_equal(s3x__s3_copy_result_parse(a, s_aws_copy_part, strlen(s_aws_copy_part), &copy, &kind), 0);
    assert_int_equal(kind, S3X_S3_RESPONSE_COPY_PART);
    s3x__s3_copy_result_clean_up(a, &copy);
    assert_int_equal(s3x__s3_copy_result_parse(a, s_swift_copy_object, strlen(s_swift_copy_object), &copy, NULL), 0);
    s3x__s3_copy_result_clean_up(a, &copy);
    assert_int_equal(s3x__s3_copy_result_parse(a, s_swift_list_parts, strlen(s_swift_list_parts), &copy, NULL),
        S3X_ERR_PARSE);

    struct s3x_s3_list_buckets buckets;
    assert_int_equal(s3x__s3_list_buckets_parse(a, s_swift_list_buckets, strlen(s_swift_list_buckets), &buckets), 0);
    assert_int_equal(buckets.buckets_count, 2);
    s3x__s3_list_buckets_clean_up(a, &buckets);
    s3x__s3_list_buckets_clean_up(a, &buckets); /* zero-filled: accepted */
    s3x__s3_list_buckets_clean_up(a, NULL);
}

static void test_kinds_and_roots(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    /* NONE detects any known root. */
    for (size_t i = 0; i < S3X_ARRAY_LEN(s_samples); ++i) {
        struct s3x_s3_response r;
        assert_int_equal(s3x__s3_response_parse(a, S3X_S3_RESPONSE_NONE, s_samples[i].body,
                             strlen(s_samples[i].body), &r),
            0);
        assert_int_not_equal(r.kind, S3X_S3_RESPONSE_NONE);
        assert_string_equal(s3x__s3_response_root_name(r.kind) != NULL ? "ok" : "", "ok");
        s3x__s3_response_clean_up(&r);
    }
    /* Another document than the one expected, or an unknown root. */
    struct s3x_s3_response r;
    assert_int_equal(s3x__s3_response_parse(a, S3X_S3_RESPONSE_LIST_PARTS, s_aws_list, strlen(s_aws_list), &r),
        S3X_ERR_PARSE);
    const char *unknown = "<ListBucketResultV3><Name>x</Name></ListBucketResultV3>";
    assert_int_equal(s3x__s3_response_parse(a, S3X_S3_RESPONSE_NONE, unknown, strlen(unknown), &r), S3X_ERR_PARSE);
    const char *html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    assert_int_equal(s3x__s3_response_parse(a, S3X_S3_RESPONSE_ERROR, html, strlen(html), &r), S3X_ERR_PARSE);
    assert_int_equal(s3x__s3_response_parse(a, S3X_S3_RESPONSE_ERROR, "", 0, &r), S3X_ERR_PARSE);

    assert_string_equal(s3x__s3_response_root_name(S3X_S3_RESPONSE_ERROR), "Error");
    assert_string_equal(s3x__s3_response_root_name(S3X_S3_RESPONSE_LIST_OBJECTS_V2), "ListBucketResult");
    assert_string_equal(s3x__s3_response_root_name(S3X_S3_RESPONSE_COPY_PART), "CopyPartResult");
    assert_null(s3x__s3_response_root_name(S3X_S3_RESPONSE_NONE));
    assert_null(s3x__s3_response_root_name((enum s3x_s3_response_kind)99));

    struct s3x_s3_response_parser *p = (void *)1;
    assert_int_equal(s3x__s3_response_parser_new(a, (enum s3x_s3_response_kind)99, &p), S3X_ERR_INVALID_ARGUMENT);
    assert_null(p);
    assert_int_equal(s3x__s3_response_parser_new(NULL, S3X_S3_RESPONSE_NONE, &p), S3X_ERR_INVALID_ARGUMENT);
    assert_int_equal(s3x__s3_response_parse(a, S3X_S3_RESPONSE_NONE, "<Error/>", 8, NULL), S3X_ERR_INVALID_ARGUMENT);
    s3x__s3_response_parser_destroy(NULL);
    s3x__s3_response_clean_up(NULL);

    /* A parser destroyed half way frees what it built. */
    assert_int_equal(s3x__s3_response_parser_new(a, S3X_S3_RESPONSE_NONE, &p), 0);
    assert_int_equal(s3x__s3_response_parser_feed(p, s_aws_list, strlen(s_aws_list) / 2), 0);
    s3x__s3_response_parser_destroy(p);
}

static void test_is_error(void **state) {
    (void)state;
    assert_true(s3x__s3_response_is_error(s_swift_error_nosuchkey, strlen(s_swift_error_nosuchkey)));
    assert_true(s3x__s3_response_is_error(s_swift_complete_heartbeat_error, strlen(s_swift_complete_heartbeat_error)));
    /* Enough of a body to see the root. */
    assert_true(s3x__s3_response_is_error(s_swift_complete_heartbeat_error, 60));
    assert_false(s3x__s3_response_is_error(s_swift_complete, strlen(s_swift_complete)));
    assert_false(s3x__s3_response_is_error(s_aws_complete_checksums, strlen(s_aws_complete_checksums)));
    assert_false(s3x__s3_response_is_error("", 0));
    assert_false(s3x__s3_response_is_error(NULL, 0));
    assert_false(s3x__s3_response_is_error("<Errors/>", 9));
    assert_false(s3x__s3_response_is_error("<ErrorX/>", 9));
    assert_true(s3x__s3_response_is_error("<s3:Error xmlns:s3='u'/>", 24));
    assert_false(s3x__s3_response_is_error("<!DOCTYPE Error><Error/>", 24));
}

/* --- values, structure, ordering -------------------------------------------------------------- */

/* A ListBucketResult with one Contents whose Size is `size`. */
static int s_parse_size(struct s3x_allocator *a, const char *size, uint64_t *out) {
    char doc[512];
    snprintf(doc, sizeof(doc), "<ListBucketResult><Contents><Key>k</Key><Size>%s</Size></Contents></ListBucketResult>",
        size);
    struct s3x_s3_list_objects_v2 l;
    int rc = s3x__s3_list_objects_v2_parse(a, doc, strlen(doc), &l);
    if (rc == 0) {
        *out = l.contents[0].size;
        s3x__s3_list_objects_v2_clean_up(a, &l);
    }
    return rc;
}

static void test_garbage_values(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    uint64_t v = 0;
    assert_int_equal(s_parse_size(a, "0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(s_parse_size(a, "18446744073709551615", &v), 0);
    assert_int_equal(v, UINT64_MAX);
    assert_int_equal(s_parse_size(a, " \n 42\t", &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(s_parse_size(a, "007", &v), 0);
    assert_int_equal(v, 7);
    const char *bad[] = {"", " ", "-1", "+1", "1.5", "1e3", "0x10", "12a", "18446744073709551616",
        "99999999999999999999999", "1 2", "&#x31;&#x32;x", "NaN", "<![CDATA[]]>"};
    for (size_t i = 0; i < S3X_ARRAY_LEN(bad); ++i) {
        if (s_parse_size(a, bad[i], &v) != S3X_ERR_PARSE) {
            fail_msg("size \"%s\" accepted", bad[i]);
        }
    }
    /* Character references are text like any other. */
    assert_int_equal(s_parse_size(a, "&#x31;&#x32;", &v), 0);
    assert_int_equal(v, 12);

    struct {
        const char *doc;
        int rc;
    } cases[] = {
        {"<ListPartsResult><Part><PartNumber>4294967295</PartNumber><ETag>e</ETag><Size>1</Size></Part>"
         "</ListPartsResult>", 0},
        {"<ListPartsResult><Part><PartNumber>4294967296</PartNumber><ETag>e</ETag><Size>1</Size></Part>"
         "</ListPartsResult>", S3X_ERR_PARSE},
        {"<ListPartsResult><MaxParts>-1</MaxParts></ListPartsResult>", S3X_ERR_PARSE},
        {"<ListPartsResult><IsTruncated>TRUE</IsTruncated></ListPartsResult>", 0},
        {"<ListPartsResult><IsTruncated> false </IsTruncated></ListPartsResult>", 0},
        {"<ListPartsResult><IsTruncated>yes</IsTruncated></ListPartsResult>", S3X_ERR_PARSE},
        {"<ListPartsResult><IsTruncated>1</IsTruncated></ListPartsResult>", S3X_ERR_PARSE},
        {"<ListPartsResult><IsTruncated/></ListPartsResult>", S3X_ERR_PARSE},
        {"<CopyObjectResult><LastModified>2009-10-28T22:32:00.000Z</LastModified></CopyObjectResult>", 0},
        {"<CopyObjectResult><LastModified>2009-10-28 22:32:00</LastModified></CopyObjectResult>", S3X_ERR_PARSE},
        {"<CopyObjectResult><LastModified>2009-02-29T00:00:00Z</LastModified></CopyObjectResult>", S3X_ERR_PARSE},
        {"<CopyObjectResult><LastModified>yesterday</LastModified></CopyObjectResult>", S3X_ERR_PARSE},
        {"<CopyObjectResult><LastModified></LastModified></CopyObjectResult>", S3X_ERR_PARSE},
        {"<CopyObjectResult></CopyObjectResult>", 0},
    };
    for (size_t i = 0; i < S3X_ARRAY_LEN(cases); ++i) {
        struct s3x_s3_response r;
        int rc = s3x__s3_response_parse(a, S3X_S3_RESPONSE_NONE, cases[i].doc, strlen(cases[i].doc), &r);
        if (rc != cases[i].rc) {
            fail_msg("case %zu: %s", i, s3x_error_name(rc));
        }
        s3x__s3_response_clean_up(&r);
    }
}

static int s_kind_of(struct s3x_allocator *a, const char *doc, struct s3x_s3_response *r) {
    return s3x__s3_response_parse(a, S3X_S3_RESPONSE_NONE, doc, strlen(doc), r);
}

static void test_structure(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_s3_response r;
    /* Required elements of entries and of Initiate. */
    const char *missing[] = {
        "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>k</Key></Contents></ListBucketResult>",
        "<ListBucketResult><CommonPrefixes></CommonPrefixes></ListBucketResult>",
        "<ListPartsResult><Part><ETag>e</ETag><Size>1</Size></Part></ListPartsResult>",
        "<ListPartsResult><Part><PartNumber>1</PartNumber><Size>1</Size></Part></ListPartsResult>",
        "<ListPartsResult><Part><PartNumber>1</PartNumber><ETag>e</ETag></Part></ListPartsResult>",
        "<ListMultipartUploadsResult><Upload><Key>k</Key></Upload></ListMultipartUploadsResult>",
        ("<ListAllMyBucketsResult><Buckets><Bucket><CreationDate>2009-02-03T16:45:09Z</CreationDate></Bucket>"
         "</Buckets></ListAllMyBucketsResult>"),
        "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key></InitiateMultipartUploadResult>",
        /* A value element with children. */
        "<InitiateMultipartUploadResult><UploadId><x/>u</UploadId></InitiateMultipartUploadResult>",
        "<ListBucketResult><Contents><Key>k<b>x</b></Key><Size>1</Size></Contents></ListBucketResult>",
    };
    for (size_t i = 0; i < S3X_ARRAY_LEN(missing); ++i) {
        if (s_kind_of(a, missing[i], &r) != S3X_ERR_PARSE) {
            fail_msg("case %zu accepted", i);
        }
    }
    /* An empty UploadId is present: the caller decides what an empty id means. */
    assert_int_equal(s_kind_of(a, "<InitiateMultipartUploadResult><UploadId/></InitiateMultipartUploadResult>", &r), 0);
    assert_string_equal(r.u.initiate.upload_id, "");
    s3x__s3_response_clean_up(&r);

    /* Unknown elements anywhere, known names inside unknown containers, any order, repeats. */
    const char *doc =
        "<ListBucketResult><Future><Contents><Key>no</Key><Size>1</Size></Contents><Name>no</Name></Future>"
        "<Contents><Extra><Key>no</Key></Extra><Size>3</Size><Key>first</Key><Key>k</Key></Contents>"
        "<Name>n1</Name><Name>n2</Name><CommonPrefixes><Prefix>p/</Prefix><Prefix>q/</Prefix></CommonPrefixes>"
        "<Contents><Key>k2</Key><Size>4</Size><Contents><Key>no</Key></Contents></Contents>"
        "<KeyCount>2</KeyCount><IsTruncated>false</IsTruncated><IsTruncated>true</IsTruncated></ListBucketResult>";
    assert_int_equal(s_kind_of(a, doc, &r), 0);
    const struct s3x_s3_list_objects_v2 *l = &r.u.list_objects_v2;
    assert_string_equal(l->name, "n2");
    assert_true(l->is_truncated);
    assert_int_equal(l->contents_count, 2);
    assert_string_equal(l->contents[0].key, "k");
    assert_int_equal(l->contents[0].size, 3);
    assert_string_equal(l->contents[1].key, "k2");
    assert_int_equal(l->common_prefixes_count, 1);
    assert_string_equal(l->common_prefixes[0].prefix, "q/");
    s3x__s3_response_clean_up(&r);

    /* Deep nesting inside a document hits the depth limit. */
    char deep[1024] = "<ListBucketResult>";
    for (int i = 0; i < S3X_XML_MAX_DEPTH; ++i) {
        strcat(deep, "<x>");
    }
    assert_int_equal(s_kind_of(a, deep, &r), S3X_ERR_PARSE);

    /* A refused DOCTYPE in front of a valid document. */
    assert_int_equal(s_kind_of(a,
                         "<!DOCTYPE Error [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><Error><Code>&x;</Code></Error>",
                         &r),
        S3X_ERR_PARSE);
}

/* A listing of n entries, generated. */
static char *s_big_listing(size_t n, size_t *len) {
    size_t cap = 128 + n * 160;
    char *doc = malloc(cap);
    size_t o = (size_t)snprintf(doc, cap, "<ListBucketResult><IsTruncated>true</IsTruncated>");
    for (size_t i = 0; i < n; ++i) {
        o += (size_t)snprintf(doc + o, cap - o,
            "<Contents><Key>key-%06zu</Key><Size>%zu</Size><ETag>\"%032zx\"</ETag></Contents>", i, i * 1000, i);
    }
    o += (size_t)snprintf(doc + o, cap - o, "<NextContinuationToken>t</NextContinuationToken></ListBucketResult>");
    *len = o;
    return doc;
}

static void test_big_listing(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    size_t len;
    char *doc = s_big_listing(1000, &len);
    struct s3x_s3_list_objects_v2 l;
    assert_int_equal(s3x__s3_list_objects_v2_parse(a, doc, len, &l), 0);
    assert_int_equal(l.contents_count, 1000);
    for (size_t i = 0; i < 1000; ++i) {
        char key[16];
        snprintf(key, sizeof(key), "key-%06zu", i);
        assert_string_equal(l.contents[i].key, key);
        assert_int_equal(l.contents[i].size, i * 1000);
    }
    assert_string_equal(l.next_continuation_token, "t");
    s3x__s3_list_objects_v2_clean_up(a, &l);
    free(doc);
}

static void test_url_decoding(void **state) {
    struct s3x_allocator *a = s3x_test_allocator(state);
    struct s3x_s3_response r;
    /* AWS writes spaces as '+' and '+' as %2B; EncodingType may come last; only the fields S3
     * encodes are decoded (not the tokens, ETags or Name). */
    const char *doc =
        "<ListBucketResult><Name>a%20b</Name><Prefix>dir%2F+x</Prefix><Delimiter>%2F</Delimiter><StartAfter>"
        "s%C3%A9</StartAfter><ContinuationToken>t%2B</ContinuationToken><Contents><Key>my+file%2B1%25.jpg</Key>"
        "<Size>1</Size><ETag>%22e%22</ETag></Contents><CommonPrefixes><Prefix>p%3Aq%2f</Prefix></CommonPrefixes>"
        "<EncodingType>url</EncodingType></ListBucketResult>";
    assert_int_equal(s_kind_of(a, doc, &r), 0);
    const struct s3x_s3_list_objects_v2 *l = &r.u.list_objects_v2;
    assert_string_equal(l->name, "a%20b");
    assert_string_equal(l->prefix, "dir/ x");
    assert_string_equal(l->delimiter, "/");
    assert_string_equal(l->start_after, "s\xc3\xa9");
    assert_string_equal(l->continuation_token, "t%2B");
    assert_string_equal(l->contents[0].key, "my file+1%.jpg");
    assert_string_equal(l->contents[0].etag, "%22e%22");
    assert_string_equal(l->common_prefixes[0].prefix, "p:q/");
    s3x__s3_response_clean_up(&r);

    /* Without EncodingType url nothing is decoded. */
    doc = "<ListBucketResult><Prefix>a+b%2F</Prefix><EncodingType>none</EncodingType></ListBucketResult>";
    assert_int_equal(s_kind_of(a, doc, &r), 0);
    assert_string_equal(r.u.list_objects_v2.prefix, "a+b%2F");
    s3x__s3_response_clean_up(&r);
    doc = "<ListBucketResult><EncodingType>URL</EncodingType><Prefix>a+b</Prefix></ListBucketResult>";
    assert_int_equal(s_kind_of(a, doc, &r), 0);
    assert_string_equal(r.u.list_objects_v2.prefix, "a b");
    s3x__s3_response_clean_up(&r);

    /* ListMultipartUploads: KeyMarker, NextKeyMarker, Prefix, Delimiter, Upload/Key. */
    doc = "<ListMultipartUploadsResult><EncodingType>url</EncodingType><KeyMarker>k%31</KeyMarker><NextKeyMarker>"
          "n%32</NextKeyMarker><Prefix>p%33</Prefix><Delimiter>%2F</Delimiter><UploadIdMarker>u%34</UploadIdMarker>"
          "<Upload><Key>a%2Bb+c</Key><UploadId>x%35</UploadId></Upload></ListMultipartUploadsResult>";
    assert_int_equal(s_kind_of(a, doc, &r), 0);
    const struct s3x_s3_list_multipart_uploads *u = &r.u.list_uploads;
    assert_string_equal(u->key_marker, "k1");
    assert_string_equal(u->next_key_marker, "n2");
    assert_string_equal(u->prefix, "p3");
    assert_string_equal(u->delimiter, "/");
    assert_string_equal(u->upload_id_marker, "u%34");
    assert_string_equal(u->uploads[0].key, "a+b c");
    assert_string_equal(u->uploads[0].upload_id, "x%35");
    s3x__s3_response_clean_up(&r);

    /* Bad escapes, and an escaped NUL, fail the document. */
    const char *bad[] = {"%", "%4", "%zz", "%4g", "a%00b", "%%41"};
    for (size_t i = 0; i < S3X_ARRAY_LEN(bad); ++i) {
        char d[256];
        snprintf(d, sizeof(d),
            "<ListBucketResult><EncodingType>url</EncodingType><Contents><Key>%s</Key><Size>1</Size></Contents>"
            "</ListBucketResult>",
            bad[i]);
        if (s_kind_of(a, d, &r) != S3X_ERR_PARSE) {
            fail_msg("key \"%s\" accepted", bad[i]);
        }
    }
}

static const struct CMUnitTest tests[] = {
    S3X_TEST(test_samples_one_shot_and_every_split),
    S3X_TEST(test_samples_truncated),
    S3X_TEST(test_samples_fail_nth),
    S3X_TEST(test_typed_parsers),
    S3X_TEST(test_kinds_and_roots),
    S3X_TEST(test_is_error),
    S3X_TEST(test_garbage_values),
    S3X_TEST(test_structure),
    S3X_TEST(test_big_listing),
    S3X_TEST(test_url_decoding),
};

int main(int argc, char **argv) {
    return S3X_TEST_MAIN(argc, argv, "s3_responses", tests);
}
