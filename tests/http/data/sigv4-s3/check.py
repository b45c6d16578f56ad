#!/usr/bin/env python3
"""Self-consistency check of the SigV4 vectors (standard library only).

    python3 tests/http/data/sigv4-s3/check.py [case-or-suite-folder ...]

Default: every case in ../sigv4/v4/ (AWS suite) and in this folder.  For each
case and mode (header, query) it checks that the string to sign carries the
SHA-256 of the canonical request and the right scope, that the HMAC chain over
it gives the recorded signature, and that the signed request carries that
signature.  For service "s3" cases it also checks the S3 rules: canonical path
== request-line path byte for byte, canonical query == the wire query split on
'&', '=' added to bare keys, sorted (no re-encoding), x-amz-content-sha256
signed with the context's "payload" (== SHA-256 of the body when sign_body),
UNSIGNED-PAYLOAD in query mode, and where the session token goes.
"""

import hashlib
import hmac
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT = [os.path.join(HERE, '..', 'sigv4', 'v4'), HERE]


def read(folder, name):
    with open(os.path.join(folder, name), 'rb') as f:
        return f.read()


def split_message(raw):
    head, sep, body = raw.partition(b'\n\n')
    lines = head.decode('utf-8').rstrip('\n').split('\n')
    method, _, rest = lines[0].partition(' ')
    target = rest.rsplit(' ', 1)[0]  # AWS suite: raw spaces in some targets
    path, _, query = target.partition('?')
    headers = [tuple(l.split(':', 1)) for l in lines[1:]]
    return method, path, query, headers, body


def canonical_query(query):
    if not query:
        return ''
    pairs = []
    for item in query.split('&'):
        k, _, v = item.partition('=')
        pairs.append((k, v))
    return '&'.join('%s=%s' % kv for kv in sorted(pairs))


def hmac256(key, msg):
    return hmac.new(key, msg.encode('utf-8'), hashlib.sha256).digest()


def check_case(folder):
    ctx = json.loads(read(folder, 'context.json'))
    cred = ctx['credentials']
    ts = ctx['timestamp']  # 2015-08-30T12:36:00Z
    amz_date = ts.replace('-', '').replace(':', '')
    day = amz_date[:8]
    scope = '%s/%s/%s/aws4_request' % (day, ctx['region'], ctx['service'])
    k = hmac256(('AWS4' + cred['secret_access_key']).encode(), day)
    for part in (ctx['region'], ctx['service'], 'aws4_request'):
        k = hmac256(k, part)
    s3 = ctx['service'] == 's3'
    token = cred.get('token')
    req_method, req_path, req_query, req_headers, req_body = split_message(
        read(folder, 'request.txt'))

    for mode in ('header', 'query'):
        raw = {n: read(folder, '%s-%s.txt' % (mode, n)) for n in
               ('canonical-request', 'string-to-sign', 'signature')}
        for n, data in raw.items():
            assert b'\r' not in data and not data.endswith(b'\n'), (n, 'line ends')
        cr = raw['canonical-request'].decode('utf-8')
        sts = raw['string-to-sign'].decode('utf-8')
        sig = raw['signature'].decode('ascii')
        assert sts.split('\n') == [
            'AWS4-HMAC-SHA256', amz_date, scope,
            hashlib.sha256(cr.encode('utf-8')).hexdigest()], (mode, 'sts')
        assert hmac.new(k, sts.encode('utf-8'), hashlib.sha256).hexdigest() == sig, \
            (mode, 'signature')

        lines = cr.split('\n')
        blank = lines.index('', 3)
        hdr_names = [l.split(':', 1)[0] for l in lines[3:blank]]
        assert ';'.join(hdr_names) == lines[blank + 1], (mode, 'signed headers')
        payload = lines[blank + 2]

        method, path, query, headers, body = split_message(
            read(folder, '%s-signed-request.txt' % mode))
        if mode == 'header':
            auth = [h[1] for h in headers if h[0] == 'Authorization'][0]
            assert auth == ('AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, '
                            'Signature=%s' % (cred['access_key_id'], scope,
                                              lines[blank + 1], sig)), 'auth header'
        else:
            assert query.endswith('&X-Amz-Signature=' + sig), 'query signature'
        assert body == req_body, (mode, 'body changed')
        assert method == req_method, (mode, 'method')
        # the signer only appends headers (header mode) or none (query mode)
        assert headers[:len(req_headers)] == req_headers, (mode, 'headers')
        if mode == 'query':
            assert headers == req_headers, ('query', 'headers added')

        if not s3:
            continue
        assert lines[1] == path == req_path, (mode, 'path', lines[1], path)
        host = [v for n, v in req_headers if n.lower() == 'host']
        assert len(host) == 1 and 'host:' + host[0] in lines[3:blank], 'host'
        if mode == 'header':
            assert query == req_query, 'header mode must not touch the query'
            assert lines[2] == canonical_query(query), ('header', 'query')
            assert payload == ctx['payload'], 'payload'
            assert 'x-amz-content-sha256:' + payload in lines[3:blank]
            if ctx['sign_body']:
                assert payload == hashlib.sha256(req_body).hexdigest(), 'body hash'
            else:
                assert payload == 'UNSIGNED-PAYLOAD'
            assert ('x-amz-security-token' in hdr_names) == bool(token), 'token hdr'
            if token:
                assert 'x-amz-security-token:' + token in lines[3:blank]
        else:
            without_sig = query[:query.rindex('&X-Amz-Signature=')]
            assert lines[2] == canonical_query(without_sig), ('query', 'query')
            assert payload == 'UNSIGNED-PAYLOAD', 'presigned payload'
            assert 'x-amz-content-sha256' not in hdr_names
            assert ('X-Amz-Security-Token=' in lines[2]) == bool(token), 'token qs'


def main(argv):
    roots = argv or DEFAULT
    n = 0
    for root in roots:
        root = os.path.normpath(root)
        if os.path.exists(os.path.join(root, 'context.json')):
            folders = [root]
        else:
            folders = sorted(os.path.join(root, d) for d in os.listdir(root)
                             if os.path.exists(os.path.join(root, d, 'context.json')))
        for folder in folders:
            try:
                check_case(folder)
            except Exception as e:
                print('FAIL %s: %s: %s' % (folder, type(e).__name__, e))
                return 1
            n += 1
    print('ok: %d cases x 2 modes' % n)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
