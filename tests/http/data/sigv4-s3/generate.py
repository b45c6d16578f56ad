#!/usr/bin/python3
"""Generate the S3 SigV4 test vectors in this folder with Debian's botocore.

Run by hand (never by the build), with the system interpreter that has the
python3-botocore package:

    /usr/bin/python3 tests/http/data/sigv4-s3/generate.py

It (re)writes one folder per case next to this script, in the same layout as
../sigv4/v4/ (the AWS signing test suite), so a single C parser reads both.
The output is deterministic: fixed credentials, fixed clock
(2015-08-30T12:36:00Z), region us-east-1, service s3.

The canonical request, string to sign and signature are recorded from
botocore's own S3SigV4Auth / S3SigV4QueryAuth methods while they sign;
nothing here builds them by hand.  The only thing this script builds itself is
the wire form of each request (path and query already percent-encoded the S3
way), which is exactly what our client will send; it is checked against
botocore's own S3 client serialiser (offline, nothing is sent).
"""

import datetime
import hashlib
import json
import os
import sys
import types
from unittest import mock
from urllib.parse import urlsplit

import botocore
import botocore.auth
import botocore.handlers
import botocore.session
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.utils import percent_encode

GENERATED_WITH = '1.29.27'  # Debian 12 python3-botocore 1.29.27+repack-1

OUT_DIR = os.path.dirname(os.path.abspath(__file__))

ACCESS_KEY = 'AKIDEXAMPLE'
SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
# Same example STS token as the AWS suite's post-sts-header-* cases: it has
# '/', '+' and '=' so its query-string encoding is exercised.
STS_TOKEN = (
    'AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsK'
    'WHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeh'
    'M4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6'
    'q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDry'
    'pNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=='
)
REGION = 'us-east-1'
SERVICE = 's3'
EXPIRES = 3600
FIXED_NOW = datetime.datetime(2015, 8, 30, 12, 36, 0)
TIMESTAMP_ISO = '2015-08-30T12:36:00Z'

LOCAL = '127.0.0.1:8080'               # path style, plain http, port signed
AWS_PATH = 's3.us-east-1.amazonaws.com'  # path style, https
UNRESERVED = frozenset(
    b'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~'
)
UPLOAD_ID = 'abc/def+ghi='  # needs encoding in the query: abc%2Fdef%2Bghi%3D


def s3_encode(text, keep_slash):
    """Our client's rule: UTF-8, every byte except A-Za-z0-9-._~ (and '/'
    in a key path) as %XX with uppercase hex."""
    out = []
    for byte in text.encode('utf-8'):
        if byte in UNRESERVED or (keep_slash and byte == ord('/')):
            out.append(chr(byte))
        else:
            out.append('%%%02X' % byte)
    return ''.join(out)


def query(pairs):
    """Wire query string from (key, value-or-None) pairs, order kept."""
    parts = []
    for key, value in pairs:
        if value is None:
            parts.append(s3_encode(key, False))
        else:
            parts.append(s3_encode(key, False) + '=' + s3_encode(value, False))
    return '&'.join(parts)


def case(name, purpose, method='GET', host=LOCAL, bucket='bucket', key=None,
         query_pairs=(), headers=(), body=None, sign_body=True,
         access_key=ACCESS_KEY, secret_key=SECRET_KEY, token=None):
    virtual = host.startswith(bucket + '.')
    if virtual:
        path = '/' + s3_encode(key or '', True)
    else:
        path = '/' + bucket + ('/' + s3_encode(key, True) if key is not None else '')
    return dict(name=name, purpose=purpose, method=method, host=host,
                scheme='http' if host == LOCAL else 'https',
                bucket=bucket, key=key, virtual=virtual, path=path,
                query_pairs=list(query_pairs), query=query(query_pairs),
                headers=list(headers), body=body, sign_body=sign_body,
                access_key=access_key, secret_key=secret_key, token=token)


COMPLETE_XML = (
    b'<CompleteMultipartUpload>'
    b'<Part><PartNumber>1</PartNumber><ETag>"a54357aff0632cce46d942af68356b38"</ETag></Part>'
    b'<Part><PartNumber>2</PartNumber><ETag>"0c78aef83f66abc1fa1e8477f296d394"</ETag></Part>'
    b'</CompleteMultipartUpload>'
)
COPY_SOURCE = {'Bucket': 'srcbucket', 'Key': 'dir/my file+1.txt'}

CASES = [
    case('s3-get-object', 'GET of a simple key, path style, host with port',
         key='key.txt'),
    case('s3-put-object-signed-body',
         'PUT with a small body whose SHA-256 is signed; Content-Type, Content-Length signed',
         method='PUT', key='hello.txt',
         headers=[('Content-Type', 'text/plain'), ('Content-Length', '13')],
         body=b'Hello, World!'),
    case('s3-put-part-unsigned',
         'UploadPart with UNSIGNED-PAYLOAD and an encoded uploadId; Content-MD5 signed',
         method='PUT', key='big.bin',
         query_pairs=[('partNumber', '3'), ('uploadId', UPLOAD_ID)],
         headers=[('Content-Length', '11'),
                  ('Content-MD5', 'iDA/FOKYoJ2Z1aMOa4xiKg==')],
         body=b'part-3-data', sign_body=False),
    case('s3-create-multipart',
         'POST ?uploads: a value-less query key canonicalises as "uploads="',
         method='POST', key='big.bin', query_pairs=[('uploads', None)]),
    case('s3-complete-multipart',
         'POST ?uploadId=... with a signed XML body',
         method='POST', key='big.bin', query_pairs=[('uploadId', UPLOAD_ID)],
         headers=[('Content-Length', str(len(COMPLETE_XML)))],
         body=COMPLETE_XML),
    case('s3-list-v2',
         'ListObjectsV2 with an unsorted, encoded query (/, +, =); AWS host, path style',
         host=AWS_PATH, key=None,
         query_pairs=[('list-type', '2'), ('prefix', 'a/b'),
                      ('continuation-token', '1+ab/cd=='),
                      ('delimiter', '/'), ('encoding-type', 'url')]),
    case('s3-key-space', 'key "my file.txt": space sent and signed as %20',
         key='my file.txt'),
    case('s3-key-plus', 'key "a+b.txt": + sent and signed as %2B (never a space)',
         key='a+b.txt'),
    case('s3-key-tilde', 'key "~user/file~1.txt": ~ is unreserved, kept as is',
         key='~user/file~1.txt'),
    case('s3-key-percent',
         'key "100%.txt": sent as 100%25.txt and signed as such, not %2525',
         key='100%.txt'),
    case('s3-key-equals', 'key "a=b&c.txt": = and & encoded in the path',
         key='a=b&c.txt'),
    case('s3-key-utf8', 'key "dir/\u00fc\u20ac\U0001F600.bin": UTF-8 bytes encoded, uppercase hex',
         key='dir/\u00fc\u20ac\U0001F600.bin'),
    case('s3-key-double-slash',
         'key "a//b/../c": path kept verbatim, no normalisation',
         key='a//b/../c'),
    case('s3-session-token',
         'temporary credentials: X-Amz-Security-Token signed as header / as query parameter',
         key='key.txt', token=STS_TOKEN),
    case('s3-access-key-colon',
         'Swift tempauth style access key "test:tester" (colon raw in header, %3A in query)',
         key='key.txt', access_key='test:tester', secret_key='testing'),
    case('s3-range-header', 'GET with Range and If-Match: both are signed',
         key='key.txt', headers=[('Range', 'bytes=0-0'), ('If-Match', '"a54357aff0632cce46d942af68356b38"')]),
    case('s3-head-object', 'HEAD object, AWS host, path style',
         method='HEAD', host=AWS_PATH, key='dir/key.txt'),
    case('s3-delete-object', 'DELETE object', method='DELETE', key='dir/key.txt'),
    case('s3-copy-object',
         'CopyObject: x-amz-copy-source with an encoded key is signed',
         method='PUT', key='dst.txt',
         headers=[('x-amz-copy-source',
                   COPY_SOURCE['Bucket'] + '/' + s3_encode(COPY_SOURCE['Key'], True))]),
    case('s3-virtual-hosted', 'virtual-hosted style: bucket in Host, path is /key',
         host='bucket.s3.us-east-1.amazonaws.com', key='dir/key.txt'),
    case('s3-blacklisted-headers',
         'User-Agent, Expect, X-Amzn-Trace-Id are sent but botocore never signs them',
         method='PUT', key='big.bin',
         headers=[('User-Agent', 's3xfer/0.1'), ('Expect', '100-continue'),
                  ('X-Amzn-Trace-Id', 'Root=1-5759e988-bd862e3fe1be46a994272793'),
                  ('Content-Length', '4')],
         body=b'data', sign_body=False),
]


# --- botocore plumbing -------------------------------------------------------

class _FrozenDatetime(datetime.datetime):
    @classmethod
    def utcnow(cls):
        return FIXED_NOW


# botocore.auth calls datetime.datetime.utcnow() in add_auth() and overwrites
# request.context['timestamp'] with it, so the clock itself is frozen (the way
# botocore's own tests patch botocore.auth.datetime).
_FROZEN_CLOCK = mock.patch.object(
    botocore.auth, 'datetime', types.SimpleNamespace(datetime=_FrozenDatetime))


class _Recorder:
    """Mixin recording what botocore computes while it signs."""

    def canonical_request(self, request):
        value = super().canonical_request(request)
        self.recorded.setdefault('canonical_request', []).append(value)
        return value

    def string_to_sign(self, request, canonical_request):
        value = super().string_to_sign(request, canonical_request)
        self.recorded.setdefault('string_to_sign', []).append(value)
        return value

    def signature(self, string_to_sign, request):
        value = super().signature(string_to_sign, request)
        self.recorded.setdefault('signature', []).append(value)
        return value


class HeaderSigner(_Recorder, botocore.auth.S3SigV4Auth):
    pass


class QuerySigner(_Recorder, botocore.auth.S3SigV4QueryAuth):
    pass


def url_of(c):
    return '%s://%s%s%s' % (c['scheme'], c['host'], c['path'],
                            '?' + c['query'] if c['query'] else '')


def sign(c, signer_cls, with_body):
    creds = Credentials(c['access_key'], c['secret_key'], c['token'])
    if signer_cls is QuerySigner:
        signer = signer_cls(creds, SERVICE, REGION, expires=EXPIRES)
    else:
        signer = signer_cls(creds, SERVICE, REGION)
    signer.recorded = {}
    request = AWSRequest(method=c['method'], url=url_of(c),
                         headers=dict(c['headers']),
                         data=c['body'] if with_body else None)
    # Explicit S3 config: sign the body (hex SHA-256) or send UNSIGNED-PAYLOAD,
    # independent of http/https and Content-MD5 heuristics.
    request.context['client_config'] = Config(
        s3={'payload_signing_enabled': c['sign_body']})
    with _FROZEN_CLOCK:
        signer.add_auth(request)
    for k in ('canonical_request', 'string_to_sign', 'signature'):
        assert len(signer.recorded[k]) == 1, (c['name'], k)
    rec = {k: v[0] for k, v in signer.recorded.items()}
    # botocore derives Host from the URL (it is not in request.headers).
    assert 'Host' not in request.headers
    assert botocore.auth._host_from_url(request.url) == c['host'], c['name']
    return request, rec


def http_message(method, url, host, headers, body, blank_line_if_no_body):
    parts = urlsplit(url)
    target = parts.path + ('?' + parts.query if parts.query else '')
    lines = ['%s %s HTTP/1.1' % (method, target), 'Host:%s' % host]
    lines += ['%s:%s' % (n, v) for n, v in headers]
    text = '\n'.join(lines).encode('utf-8') + b'\n'
    if body is not None:
        return text + b'\n' + body
    return text + (b'\n' if blank_line_if_no_body else b'')


def write(folder, name, data):
    if isinstance(data, str):
        data = data.encode('utf-8')
    with open(os.path.join(folder, name), 'wb') as f:
        f.write(data)


def context_json(c, payload):
    creds = {'access_key_id': c['access_key'],
             'secret_access_key': c['secret_key']}
    if c['token']:
        creds['token'] = c['token']
    ctx = {
        'credentials': creds,
        'expiration_in_seconds': EXPIRES,
        'normalize': False,
        'region': REGION,
        'service': SERVICE,
        'sign_body': c['sign_body'],
        'timestamp': TIMESTAMP_ISO,
        # S3 extras (not in the AWS suite):
        'payload': payload,
        'bucket': c['bucket'],
        'key': c['key'],
        'addressing_style': 'virtual' if c['virtual'] else 'path',
    }
    return json.dumps(ctx, indent=4, ensure_ascii=False)


def generate(c):
    folder = os.path.join(OUT_DIR, c['name'])
    os.makedirs(folder, exist_ok=True)
    body = c['body']
    if body is not None:
        for n, v in c['headers']:
            if n.lower() == 'content-length':
                assert int(v) == len(body), c['name']

    # --- Authorization header mode
    req, rec = sign(c, HeaderSigner, with_body=True)
    expected_payload = (hashlib.sha256(body or b'').hexdigest()
                        if c['sign_body'] else 'UNSIGNED-PAYLOAD')
    assert req.headers['X-Amz-Content-SHA256'] == expected_payload, c['name']
    assert rec['canonical_request'].endswith('\n' + expected_payload)
    canonical_path = rec['canonical_request'].split('\n')[1]
    assert canonical_path == c['path'], (c['name'], canonical_path, c['path'])
    assert req.url == url_of(c), c['name']  # header mode leaves the URL alone
    assert ('Signature=' + rec['signature']) in req.headers['Authorization']
    write(folder, 'context.json', context_json(c, expected_payload))
    write(folder, 'request.txt',
          http_message(c['method'], url_of(c), c['host'], c['headers'], body, False))
    write(folder, 'header-canonical-request.txt', rec['canonical_request'])
    write(folder, 'header-string-to-sign.txt', rec['string_to_sign'])
    write(folder, 'header-signature.txt', rec['signature'])
    write(folder, 'header-signed-request.txt',
          http_message(c['method'], req.url, c['host'],
                       list(req.headers.items()), body, True))

    # --- presigned (query) mode.  botocore's SigV4QueryAuth would move
    # request.data into the query string (json.loads of the body), so sign the
    # request without its body (the payload is UNSIGNED-PAYLOAD anyway) and
    # put the unchanged body back in the written message.
    req, rec = sign(c, QuerySigner, with_body=False)
    assert rec['canonical_request'].endswith('\nUNSIGNED-PAYLOAD')
    assert rec['canonical_request'].split('\n')[1] == c['path']
    assert req.url.endswith('&X-Amz-Signature=' + rec['signature'])
    assert list(req.headers.items()) == c['headers'], c['name']
    write(folder, 'query-canonical-request.txt', rec['canonical_request'])
    write(folder, 'query-string-to-sign.txt', rec['string_to_sign'])
    write(folder, 'query-signature.txt', rec['signature'])
    write(folder, 'query-signed-request.txt',
          http_message(c['method'], req.url, c['host'], c['headers'], body, True))


# --- cross-check of the wire form against botocore's own S3 client -----------

def client_wire_forms():
    """Return {case: (path, sorted query pairs, x-amz-copy-source)} as
    botocore's S3 client serialises the same operations (nothing is sent:
    a before-send hook answers every request)."""
    session = botocore.session.get_session()
    captured = {}

    class _Raw:
        def stream(self, **kwargs):
            return iter([b''])

    def before_send(request, **kwargs):
        captured['url'] = request.url
        captured['headers'] = request.headers
        return AWSResponse(request.url, 200, {}, _Raw())

    clients = {}
    for style, endpoint in (('path', 'http://' + LOCAL),
                            ('virtual', 'https://s3.us-east-1.amazonaws.com')):
        cl = session.create_client(
            's3', region_name=REGION, endpoint_url=endpoint,
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
            config=Config(signature_version='s3v4',
                          s3={'addressing_style': style},
                          retries={'max_attempts': 0}))
        cl.meta.events.register('before-send', before_send)
        clients[style] = cl

    def call(style, op, **params):
        try:
            getattr(clients[style], op)(**params)
        except botocore.exceptions.ClientError:
            pass  # empty fake response; the request was captured already
        parts = urlsplit(captured['url'])
        pairs = sorted(parts.query.split('&')) if parts.query else []
        src = captured['headers'].get('x-amz-copy-source')
        return parts.path, pairs, src.decode() if isinstance(src, bytes) else src

    out = {}
    for c in CASES:
        name, key = c['name'], c['key']
        if name == 's3-put-part-unsigned':
            out[name] = call('path', 'upload_part', Bucket='bucket', Key=key,
                             PartNumber=3, UploadId=UPLOAD_ID, Body=b'x')
        elif name == 's3-create-multipart':
            out[name] = call('path', 'create_multipart_upload', Bucket='bucket', Key=key)
        elif name == 's3-list-v2':
            out[name] = call('path', 'list_objects_v2', Bucket='bucket', Prefix='a/b',
                             ContinuationToken='1+ab/cd==', Delimiter='/',
                             EncodingType='url')
        elif name == 's3-copy-object':
            out[name] = call('path', 'copy_object', Bucket='bucket', Key=key,
                             CopySource=dict(COPY_SOURCE))
        elif name == 's3-virtual-hosted':
            out[name] = call('virtual', 'get_object', Bucket='bucket', Key=key)
        elif key is not None and c['method'] in ('GET', 'HEAD', 'DELETE'):
            out[name] = call('path', 'get_object', Bucket='bucket', Key=key)
    return out


def check_wire_forms():
    # Keep the user's ~/.aws files and AWS_* variables out of the client.
    env = {k: v for k, v in os.environ.items() if not k.startswith('AWS_')}
    env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    with mock.patch.dict(os.environ, env, clear=True):
        forms = client_wire_forms()
    for c in CASES:
        if c['name'] not in forms:
            continue
        path, pairs, copy_src = forms[c['name']]
        assert path == c['path'], (c['name'], path, c['path'])
        # botocore's serialiser percent_encode(key, safe='/~') == our rule
        if c['key'] is not None:
            assert s3_encode(c['key'], True) == percent_encode(c['key'], safe='/~')
        ours = sorted(c['query'].split('&')) if c['query'] else []
        # same encoded pairs (order aside); botocore's client also writes a
        # bare "uploads" without "="
        assert pairs == ours, (c['name'], pairs, ours)
        if copy_src is not None:
            assert copy_src == dict(c['headers'])['x-amz-copy-source'], copy_src


def main():
    if botocore.__version__ != GENERATED_WITH:
        sys.stderr.write('warning: botocore %s, vectors were made with %s\n'
                         % (botocore.__version__, GENERATED_WITH))
    check_wire_forms()
    for c in CASES:
        generate(c)
    print('wrote %d cases to %s with botocore %s'
          % (len(CASES), OUT_DIR, botocore.__version__))


if __name__ == '__main__':
    main()
