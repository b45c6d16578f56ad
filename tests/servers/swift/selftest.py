#!/usr/bin/python3
"""Check that a server started by tests/servers/swift/start speaks S3.

Usage: /usr/bin/python3 tests/servers/swift/selftest.py DIR

Reads DIR/env, then with boto3 (Debian's python3-boto3; path-style, SigV4,
the region from env) exercises: create bucket, put, ranged get, head,
list_objects_v2, a 2-part multipart upload (5 MiB + 1 byte) with complete,
list_parts + abort on a second upload, copy_object, delete, and checks that a
wrong secret gives SignatureDoesNotMatch.  Exits non-zero on any failure.
"""

import hashlib
import os
import sys
import time
import uuid


def load_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#') and '=' in line:
                k, v = line.split('=', 1)
                env[k] = v
    for k in ('S3X_TEST_ENDPOINT', 'S3X_TEST_ACCESS_KEY',
              'S3X_TEST_SECRET_KEY', 'S3X_TEST_REGION'):
        if k not in env:
            raise SystemExit('%s: missing %s' % (path, k))
    return env


def client(env, secret=None):
    import boto3
    from botocore.config import Config
    return boto3.client(
        's3', endpoint_url=env['S3X_TEST_ENDPOINT'],
        aws_access_key_id=env['S3X_TEST_ACCESS_KEY'],
        aws_secret_access_key=secret or env['S3X_TEST_SECRET_KEY'],
        region_name=env['S3X_TEST_REGION'],
        config=Config(signature_version='s3v4',
                      s3={'addressing_style': 'path'},
                      retries={'max_attempts': 1}))


def main(argv):
    if len(argv) != 2:
        sys.stderr.write('usage: %s DIR\n' % argv[0])
        return 2
    env = load_env(os.path.join(argv[1], 'env'))
    try:
        import botocore.exceptions
    except ImportError:
        raise SystemExit('boto3 missing: apt-get install python3-boto3 '
                         '(and run with /usr/bin/python3)')
    s3 = client(env)
    bucket = 'selftest-%s' % uuid.uuid4().hex[:12]
    failures = []

    def check(name, cond, detail=''):
        print('%-4s %s%s' % ('ok' if cond else 'FAIL', name,
                             (': ' + detail) if detail else ''))
        if not cond:
            failures.append(name)

    t0 = time.time()
    # The servers must run on DIR/etc/swift.conf, not /etc/swift/swift.conf.
    import json
    import urllib.request
    with urllib.request.urlopen(env['S3X_TEST_ENDPOINT'] + '/info') as r:
        info = json.load(r)
    policies = [p['name'] for p in info['swift'].get('policies', [])]
    check('private swift.conf in effect (/info)',
          policies == ['gold'] and
          info['swift'].get('max_meta_value_length') == 2048 and
          info.get('slo', {}).get('max_manifest_segments') == 10000,
          'policies=%s max_meta_value_length=%s slo=%s' % (
              policies, info['swift'].get('max_meta_value_length'),
              info.get('slo', {}).get('max_manifest_segments')))
    check('s3api max_upload_part_num',
          info.get('s3api', {}).get('max_upload_part_num') == 10000,
          str(info.get('s3api', {}).get('max_upload_part_num')))
    s3.create_bucket(Bucket=bucket)
    names = [b['Name'] for b in s3.list_buckets()['Buckets']]
    check('create_bucket + list_buckets', bucket in names)

    body = b'hello, swift s3api\n'
    r = s3.put_object(Bucket=bucket, Key='dir/hello.txt', Body=body,
                      ContentType='text/plain', Metadata={'k': 'v'})
    check('put_object etag', r['ETag'].strip('"') ==
          hashlib.md5(body).hexdigest(), r['ETag'])

    r = s3.get_object(Bucket=bucket, Key='dir/hello.txt', Range='bytes=0-0')
    data = r['Body'].read()
    check('get_object Range bytes=0-0', data == b'h' and
          r['ResponseMetadata']['HTTPStatusCode'] == 206 and
          r.get('ContentRange') == 'bytes 0-0/%d' % len(body),
          '%r %s %s' % (data, r['ResponseMetadata']['HTTPStatusCode'],
                        r.get('ContentRange')))

    r = s3.head_object(Bucket=bucket, Key='dir/hello.txt')
    check('head_object', r['ContentLength'] == len(body) and
          r['Metadata'] == {'k': 'v'} and r['ContentType'] == 'text/plain',
          '%s %s %s' % (r['ContentLength'], r['Metadata'], r['ContentType']))

    r = s3.list_objects_v2(Bucket=bucket)
    check('list_objects_v2', [o['Key'] for o in r.get('Contents', [])] ==
          ['dir/hello.txt'] and r['KeyCount'] == 1)
    r = s3.list_objects_v2(Bucket=bucket, Delimiter='/')
    check('list_objects_v2 delimiter',
          [p['Prefix'] for p in r.get('CommonPrefixes', [])] == ['dir/'])

    part1 = os.urandom(5 * 1024 * 1024)
    part2 = b'!'
    mpu = s3.create_multipart_upload(Bucket=bucket, Key='big.bin')
    uid = mpu['UploadId']
    e1 = s3.upload_part(Bucket=bucket, Key='big.bin', UploadId=uid,
                        PartNumber=1, Body=part1)['ETag']
    e2 = s3.upload_part(Bucket=bucket, Key='big.bin', UploadId=uid,
                        PartNumber=2, Body=part2)['ETag']
    r = s3.complete_multipart_upload(
        Bucket=bucket, Key='big.bin', UploadId=uid,
        MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': e1},
                                   {'PartNumber': 2, 'ETag': e2}]})
    want = hashlib.md5(hashlib.md5(part1).digest() +
                       hashlib.md5(part2).digest()).hexdigest() + '-2'
    check('multipart complete etag', r['ETag'].strip('"') == want, r['ETag'])
    r = s3.get_object(Bucket=bucket, Key='big.bin')
    got = r['Body'].read()
    check('multipart object content', got == part1 + part2 and
          r['ContentLength'] == len(part1) + 1, str(len(got)))
    r = s3.get_object(Bucket=bucket, Key='big.bin',
                      Range='bytes=5242879-5242880')
    check('multipart ranged get across parts',
          r['Body'].read() == part1[-1:] + part2)

    mpu2 = s3.create_multipart_upload(Bucket=bucket, Key='aborted.bin')
    uid2 = mpu2['UploadId']
    s3.upload_part(Bucket=bucket, Key='aborted.bin', UploadId=uid2,
                   PartNumber=1, Body=b'x' * 1024)
    s3.upload_part(Bucket=bucket, Key='aborted.bin', UploadId=uid2,
                   PartNumber=10000, Body=b'y')
    r = s3.list_parts(Bucket=bucket, Key='aborted.bin', UploadId=uid2)
    check('list_parts (incl. part 10000)',
          [(p['PartNumber'], p['Size']) for p in r.get('Parts', [])] ==
          [(1, 1024), (10000, 1)],
          str([(p['PartNumber'], p['Size']) for p in r.get('Parts', [])]))
    r = s3.list_multipart_uploads(Bucket=bucket)
    check('list_multipart_uploads',
          [u['UploadId'] for u in r.get('Uploads', [])] == [uid2])
    s3.abort_multipart_upload(Bucket=bucket, Key='aborted.bin',
                              UploadId=uid2)
    try:
        s3.list_parts(Bucket=bucket, Key='aborted.bin', UploadId=uid2)
        check('abort_multipart_upload', False, 'upload still listed')
    except botocore.exceptions.ClientError as e:
        check('abort_multipart_upload',
              e.response['Error']['Code'] == 'NoSuchUpload',
              e.response['Error']['Code'])

    s3.copy_object(Bucket=bucket, Key='copy.txt',
                   CopySource={'Bucket': bucket, 'Key': 'dir/hello.txt'})
    r = s3.get_object(Bucket=bucket, Key='copy.txt')
    check('copy_object', r['Body'].read() == body)

    try:
        s3.get_object(Bucket=bucket, Key='missing')
        check('NoSuchKey', False)
    except botocore.exceptions.ClientError as e:
        check('NoSuchKey', e.response['Error']['Code'] == 'NoSuchKey',
              e.response['Error']['Code'])

    bad = client(env, secret='not-the-secret')
    try:
        bad.list_objects_v2(Bucket=bucket)
        check('wrong secret -> SignatureDoesNotMatch', False, 'accepted')
    except botocore.exceptions.ClientError as e:
        code = e.response['Error']['Code']
        check('wrong secret -> SignatureDoesNotMatch',
              code == 'SignatureDoesNotMatch', code)

    for key in ('dir/hello.txt', 'big.bin', 'copy.txt'):
        s3.delete_object(Bucket=bucket, Key=key)
    r = s3.list_objects_v2(Bucket=bucket)
    check('delete_object', r['KeyCount'] == 0, str(r['KeyCount']))
    s3.delete_bucket(Bucket=bucket)
    names = [b['Name'] for b in s3.list_buckets()['Buckets']]
    check('delete_bucket', bucket not in names)

    print('%s in %.2fs (%s)' % ('FAILED: ' + ', '.join(failures)
                                if failures else 'all ok',
                                time.time() - t0, env['S3X_TEST_ENDPOINT']))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
