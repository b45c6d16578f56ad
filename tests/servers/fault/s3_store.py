"""An in-memory S3 object store for the fault server (Python 3 standard library only).

Path-style only (/<bucket>/<key>); any signature, or none, is accepted. What it implements, with
the answers S3 gives:

  GET    /                                   ListBuckets
  PUT    /<bucket>                           CreateBucket (BucketAlreadyOwnedByYou when it exists)
  HEAD   /<bucket>                           HeadBucket
  DELETE /<bucket>                           DeleteBucket (BucketNotEmpty when objects/uploads)
  GET    /<bucket>?uploads                   ListMultipartUploads (prefix; never truncated)
  GET    /<bucket>[?list-type=2]             ListObjectsV2 (prefix, delimiter, max-keys,
                                             continuation-token, start-after, encoding-type=url)
  PUT    /<bucket>/<key>                     PutObject (ETag: md5 of the body)
  GET    /<bucket>/<key>                     GetObject: one range (bytes=a-b, a-, -n; 206, 416
                                             with Content-Range: bytes */size), If-Match (412),
                                             If-None-Match (304); several ranges: the whole object
  HEAD   /<bucket>/<key>                     HeadObject
  DELETE /<bucket>/<key>                     DeleteObject (204, also for a missing key)
  POST   /<bucket>/<key>?uploads             CreateMultipartUpload
  PUT    /<bucket>/<key>?partNumber&uploadId UploadPart (1..10000)
  POST   /<bucket>/<key>?uploadId            CompleteMultipartUpload: parts ascending
                                             (InvalidPartOrder), known with matching ETags
                                             (InvalidPart), all but the last >= 5 MiB
                                             (EntityTooSmall); ETag md5-of-md5s "-N". Repeated
                                             with the same parts after it succeeded: the same
                                             answer again (S3 does so; MinIO and Swift answer
                                             NoSuchUpload)
  DELETE /<bucket>/<key>?uploadId            AbortMultipartUpload (NoSuchUpload when unknown)
  GET    /<bucket>/<key>?uploadId            ListParts (max-parts, default 1000, and
                                             part-number-marker: pages as S3 sends them)

Checksums (x-amz-checksum-crc32|crc32c|crc64nvme|sha1|sha256). A PutObject or UploadPart header
is stored; crc32, sha1 and sha256 are verified (BadDigest), crc32c and crc64nvme are not (no
stdlib implementation fast enough for megabytes). An object completed from parts that all carry
the upload's algorithm gets S3's composite checksum (the checksum of the concatenated part
digests, "-N"); a Complete carrying x-amz-checksum-type: FULL_OBJECT and the object's
x-amz-checksum-<alg> gets that value, verified like a PutObject's. GetObject and HeadObject return the stored checksum and x-amz-checksum-type
(FULL_OBJECT or COMPOSITE) when the request says x-amz-checksum-mode: ENABLED and the answer
covers the whole object.

Worked example: PUT /b/k with 10 bytes "0123456789" -> ETag "781e5e245d69b566979b86e28d23f2c7";
GET /b/k with Range: bytes=2-4 -> 206, Content-Range: bytes 2-4/10, body "234"; a multipart
upload of parts with md5s m1, m2 -> ETag md5(m1 || m2) + "-2" (md5s as 16 raw bytes each).
"""

import base64
import hashlib
import re
import threading
import time
import urllib.parse
import uuid
import zlib
from xml.etree import ElementTree
from xml.sax.saxutils import escape

MIN_PART = 5 * 1024 * 1024
MAX_PART_NUMBER = 10000
NS = "http://s3.amazonaws.com/doc/2006-03-01/"
CHECKSUM_ALGS = ("crc32", "crc32c", "crc64nvme", "sha1", "sha256")


class S3Error(Exception):
    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = list(headers or [])


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c(data):
    """Pure Python: for the few bytes of a composite checksum only."""
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC32C[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def digest(alg, data):
    """Raw digest of `data`, or None when this server cannot compute `alg` cheaply."""
    if alg == "crc32":
        return (zlib.crc32(data) & 0xFFFFFFFF).to_bytes(4, "big")
    if alg == "sha1":
        return hashlib.sha1(data).digest()
    if alg == "sha256":
        return hashlib.sha256(data).digest()
    return None


def composite_digest(alg, raw_parts):
    joined = b"".join(raw_parts)
    if alg == "crc32c":
        return crc32c(joined).to_bytes(4, "big")
    return digest(alg, joined)


def http_date(t):
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(t))


def iso_date(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


def xml_doc(root, inner):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<%s xmlns="%s">%s</%s>' % (root, NS, inner, root)).encode()


def el(name, value):
    return "<%s>%s</%s>" % (name, escape(str(value)), name)


class Obj:
    def __init__(self, data, etag, content_type, checksum=None, parts=0):
        self.data = data
        self.etag = etag  # with quotes
        self.content_type = content_type or "binary/octet-stream"
        self.checksum = checksum  # (alg, base64 value, "FULL_OBJECT" | "COMPOSITE") or None
        self.parts = parts
        self.modified = time.time()


class Upload:
    def __init__(self, key, alg, content_type):
        self.id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        self.key = key
        self.alg = alg
        self.content_type = content_type
        self.initiated = time.time()
        self.parts = {}  # number -> (data, etag, checksum value or None, modified)


class Bucket:
    def __init__(self, name):
        self.name = name
        self.created = time.time()
        self.objects = {}
        self.uploads = {}
        self.completed = {}  # upload id -> (key, listed parts, etag): a retried Complete succeeds


def parse_query(raw):
    return {k: v for k, v in urllib.parse.parse_qsl(raw, keep_blank_values=True)}


def split_path(path):
    """'/b/k/x' -> ('b', 'k/x'); '/b' or '/b/' -> ('b', None); '/' -> (None, None)."""
    parts = path.split("/", 2)
    bucket = urllib.parse.unquote(parts[1]) if len(parts) > 1 and parts[1] else None
    key = urllib.parse.unquote(parts[2]) if len(parts) > 2 and parts[2] else None
    return bucket, key


def operation(method, path, raw_query, headers):
    """The S3 operation a request names (for fault rules), e.g. 'UploadPart'."""
    bucket, key = split_path(path)
    q = parse_query(raw_query)
    if bucket is None:
        return "ListBuckets" if method == "GET" else "Unknown"
    if key is None:
        if method == "GET":
            return "ListMultipartUploads" if "uploads" in q else "ListObjects"
        return {"PUT": "CreateBucket", "HEAD": "HeadBucket", "DELETE": "DeleteBucket"}.get(method, "Unknown")
    if method == "PUT":
        if "partNumber" in q and "uploadId" in q:
            return "UploadPart"
        return "CopyObject" if headers.get("x-amz-copy-source") else "PutObject"
    if method == "POST":
        if "uploads" in q:
            return "CreateMultipartUpload"
        return "CompleteMultipartUpload" if "uploadId" in q else "Unknown"
    if method == "DELETE":
        return "AbortMultipartUpload" if "uploadId" in q else "DeleteObject"
    if method == "GET":
        return "ListParts" if "uploadId" in q else "GetObject"
    if method == "HEAD":
        return "HeadObject"
    return "Unknown"


def parse_range(header, size):
    """(start, end_exclusive), None (no usable range: the whole object) or 'invalid'."""
    if not header:
        return None
    m = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", header)
    if not m or (m.group(1) == "" and m.group(2) == ""):
        return None
    if m.group(1) == "":
        n = int(m.group(2))
        return (max(0, size - n), size) if n > 0 and size > 0 else "invalid"
    start = int(m.group(1))
    if start >= size:
        return "invalid"
    end = size if m.group(2) == "" else min(size, int(m.group(2)) + 1)
    return (start, end) if end > start else "invalid"


def etag_matches(header, etag):
    if header is None:
        return None
    wanted = [t.strip() for t in header.split(",")]
    bare = etag.strip('"')
    return any(w == "*" or w.strip('"') == bare or w == "W/" + etag for w in wanted)


def request_checksum(headers):
    """(alg, value) of an x-amz-checksum-<alg> request header, or None."""
    for alg in CHECKSUM_ALGS:
        value = headers.get("x-amz-checksum-" + alg)
        if value:
            return alg, value.strip()
    return None


def verify_checksum(alg, value, data):
    raw = digest(alg, data)
    if raw is None:
        return
    if base64.b64encode(raw).decode() != value:
        raise S3Error(400, "BadDigest", "The %s you specified did not match the calculated checksum." % alg.upper())


class Store:
    def __init__(self):
        self.lock = threading.Lock()
        self.buckets = {}

    # -- helpers for the fault server and tests
    def counts(self):
        with self.lock:
            return {
                "buckets": len(self.buckets),
                "objects": sum(len(b.objects) for b in self.buckets.values()),
                "uploads": sum(len(b.uploads) for b in self.buckets.values()),
            }

    def replace_object(self, bucket, key):
        """Replaces the object with same-size content (every byte inverted): a new ETag."""
        with self.lock:
            b = self.buckets.get(bucket)
            obj = b.objects.get(key) if b else None
            if obj is None:
                return False
            data = bytes(x ^ 0xFF for x in obj.data[:65536]) + bytes(obj.data[65536:])
            b.objects[key] = Obj(data, '"%s"' % hashlib.md5(data).hexdigest(), obj.content_type)
            return True

    def _bucket(self, name):
        b = self.buckets.get(name)
        if b is None:
            raise S3Error(404, "NoSuchBucket", "The specified bucket does not exist.")
        return b

    def _upload(self, b, key, upload_id):
        u = b.uploads.get(upload_id)
        if u is None or u.key != key:
            raise S3Error(404, "NoSuchUpload", "The specified upload does not exist.")
        return u

    # -- the entry point: returns (status, headers, body)
    def handle(self, method, path, raw_query, headers, body):
        op = operation(method, path, raw_query, headers)
        bucket, key = split_path(path)
        q = parse_query(raw_query)
        fn = getattr(self, "op_" + op, None)
        if fn is None:
            raise S3Error(501, "NotImplemented", "%s is not implemented by the fault server." % op)
        with self.lock:
            return fn(bucket, key, q, headers, body)

    # -- service and buckets
    def op_ListBuckets(self, bucket, key, q, headers, body):
        items = "".join("<Bucket>%s%s</Bucket>" % (el("Name", b.name), el("CreationDate", iso_date(b.created)))
                        for b in sorted(self.buckets.values(), key=lambda b: b.name))
        inner = "<Owner>%s%s</Owner><Buckets>%s</Buckets>" % (el("ID", "fault"), el("DisplayName", "fault"), items)
        return 200, [("Content-Type", "application/xml")], xml_doc("ListAllMyBucketsResult", inner)

    def op_CreateBucket(self, bucket, key, q, headers, body):
        if bucket in self.buckets:
            raise S3Error(409, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded.")
        self.buckets[bucket] = Bucket(bucket)
        return 200, [("Location", "/" + bucket)], b""

    def op_HeadBucket(self, bucket, key, q, headers, body):
        self._bucket(bucket)
        return 200, [], b""

    def op_DeleteBucket(self, bucket, key, q, headers, body):
        b = self._bucket(bucket)
        if b.objects or b.uploads:
            raise S3Error(409, "BucketNotEmpty", "The bucket you tried to delete is not empty.")
        del self.buckets[bucket]
        return 204, [], b""

    def op_ListMultipartUploads(self, bucket, key, q, headers, body):
        b = self._bucket(bucket)
        prefix = q.get("prefix", "")
        ups = sorted((u for u in b.uploads.values() if u.key.startswith(prefix)), key=lambda u: (u.key, u.initiated))
        items = "".join("<Upload>%s%s%s%s</Upload>" % (el("Key", u.key), el("UploadId", u.id),
                                                       el("StorageClass", "STANDARD"), el("Initiated", iso_date(u.initiated)))
                        for u in ups)
        inner = "%s%s%s%s%s%s" % (el("Bucket", bucket), el("KeyMarker", ""), el("UploadIdMarker", ""),
                                  el("MaxUploads", 1000), el("IsTruncated", "false"), items)
        return 200, [("Content-Type", "application/xml")], xml_doc("ListMultipartUploadsResult", inner)

    def op_ListObjects(self, bucket, key, q, headers, body):
        b = self._bucket(bucket)
        prefix, delim = q.get("prefix", ""), q.get("delimiter", "")
        max_keys = max(0, min(1000, int(q.get("max-keys", "1000") or 1000)))
        after = q.get("continuation-token") or q.get("start-after", "")
        url = q.get("encoding-type") == "url"
        enc = (lambda s: urllib.parse.quote(s, safe="/")) if url else (lambda s: s)
        contents, prefixes, last, truncated = [], [], None, False
        for k in sorted(b.objects):
            if not k.startswith(prefix) or k <= after:
                continue
            if delim:
                cut = k.find(delim, len(prefix))
                if cut >= 0:
                    p = k[:cut + len(delim)]
                    if p <= after or (prefixes and prefixes[-1] == p):
                        continue
                    if len(contents) + len(prefixes) == max_keys:
                        truncated = True
                        break
                    prefixes.append(p)
                    last = p
                    continue
            if len(contents) + len(prefixes) == max_keys:
                truncated = True
                break
            contents.append(k)
            last = k
        items = "".join("<Contents>%s%s%s%s%s</Contents>" % (
            el("Key", enc(k)), el("LastModified", iso_date(b.objects[k].modified)), el("ETag", b.objects[k].etag),
            el("Size", len(b.objects[k].data)), el("StorageClass", "STANDARD")) for k in contents)
        items += "".join("<CommonPrefixes>%s</CommonPrefixes>" % el("Prefix", enc(p)) for p in prefixes)
        inner = "%s%s%s%s%s%s" % (el("Name", bucket), el("Prefix", enc(prefix)), el("KeyCount", len(contents) + len(prefixes)),
                                  el("MaxKeys", max_keys), el("IsTruncated", "true" if truncated else "false"),
                                  el("NextContinuationToken", last) if truncated else "")
        if delim:
            inner += el("Delimiter", enc(delim))
        if url:
            inner += el("EncodingType", "url")
        return 200, [("Content-Type", "application/xml")], xml_doc("ListBucketResult", inner + items)

    # -- objects
    def op_PutObject(self, bucket, key, q, headers, body):
        b = self._bucket(bucket)
        cs = request_checksum(headers)
        if cs:
            verify_checksum(cs[0], cs[1], body)
        obj = Obj(body, '"%s"' % hashlib.md5(body).hexdigest(), headers.get("Content-Type"),
                  (cs[0], cs[1], "FULL_OBJECT") if cs else None)
        b.objects[key] = obj
        out = [("ETag", obj.etag)]
        if cs:
            out.append(("x-amz-checksum-" + cs[0], cs[1]))
        return 200, out, b""

    def _object(self, bucket, key):
        obj = self._bucket(bucket).objects.get(key)
        if obj is None:
            raise S3Error(404, "NoSuchKey", "The specified key does not exist.")
        return obj

    def _object_headers(self, obj):
        out = [("ETag", obj.etag), ("Last-Modified", http_date(obj.modified)), ("Accept-Ranges", "bytes"),
               ("Content-Type", obj.content_type)]
        if obj.parts:
            out.append(("x-amz-mp-parts-count", str(obj.parts)))
        return out

    def _checksum_headers(self, obj, headers):
        if obj.checksum is None or (headers.get("x-amz-checksum-mode") or "").upper() != "ENABLED":
            return []
        alg, value, kind = obj.checksum
        return [("x-amz-checksum-" + alg, value), ("x-amz-checksum-type", kind)]

    def _preconditions(self, obj, headers):
        if etag_matches(headers.get("If-Match"), obj.etag) is False:
            raise S3Error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
        if etag_matches(headers.get("If-None-Match"), obj.etag) is True:
            raise S3Error(304, "NotModified", "Not Modified", [("ETag", obj.etag)])

    def op_GetObject(self, bucket, key, q, headers, body):
        obj = self._object(bucket, key)
        self._preconditions(obj, headers)
        size = len(obj.data)
        out = self._object_headers(obj)
        rng = parse_range(headers.get("Range"), size)
        if rng == "invalid":
            raise S3Error(416, "InvalidRange", "The requested range is not satisfiable",
                          [("Content-Range", "bytes */%d" % size)])
        if rng is None:
            return 200, out + self._checksum_headers(obj, headers), obj.data
        start, end = rng
        out.append(("Content-Range", "bytes %d-%d/%d" % (start, end - 1, size)))
        if start == 0 and end == size:
            out += self._checksum_headers(obj, headers)
        return 206, out, obj.data[start:end]

    def op_HeadObject(self, bucket, key, q, headers, body):
        obj = self._object(bucket, key)
        self._preconditions(obj, headers)
        # the body sets Content-Length; the server never sends a body to a HEAD
        return 200, self._object_headers(obj) + self._checksum_headers(obj, headers), obj.data

    def op_DeleteObject(self, bucket, key, q, headers, body):
        self._bucket(bucket).objects.pop(key, None)
        return 204, [], b""

    # -- multipart
    def op_CreateMultipartUpload(self, bucket, key, q, headers, body):
        b = self._bucket(bucket)
        alg = (headers.get("x-amz-checksum-algorithm") or "").lower() or None
        if alg is not None and alg not in CHECKSUM_ALGS:
            raise S3Error(400, "InvalidRequest", "Unknown checksum algorithm %s" % alg)
        u = Upload(key, alg, headers.get("Content-Type"))
        b.uploads[u.id] = u
        inner = el("Bucket", bucket) + el("Key", key) + el("UploadId", u.id)
        out = [("Content-Type", "application/xml")]
        if alg:
            out.append(("x-amz-checksum-algorithm", alg.upper()))
        return 200, out, xml_doc("InitiateMultipartUploadResult", inner)

    def op_UploadPart(self, bucket, key, q, headers, body):
        b = self._bucket(bucket)
        u = self._upload(b, key, q["uploadId"])
        try:
            number = int(q["partNumber"])
        except ValueError:
            number = 0
        if number < 1 or number > MAX_PART_NUMBER:
            raise S3Error(400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive")
        cs = request_checksum(headers)
        if cs:
            verify_checksum(cs[0], cs[1], body)
        etag = '"%s"' % hashlib.md5(body).hexdigest()
        u.parts[number] = (body, etag, cs[1] if cs and cs[0] == u.alg else None, time.time())
        out = [("ETag", etag)]
        if cs:
            out.append(("x-amz-checksum-" + cs[0], cs[1]))
        return 200, out, b""

    def op_ListParts(self, bucket, key, q, headers, body):
        b = self._bucket(bucket)
        u = self._upload(b, key, q["uploadId"])
        try:
            max_parts = min(int(q.get("max-parts", 1000)), 1000)
            marker = int(q.get("part-number-marker", 0))
        except ValueError:
            raise S3Error(400, "InvalidArgument", "max-parts and part-number-marker must be integers.")
        if max_parts < 0 or marker < 0:
            raise S3Error(400, "InvalidArgument", "max-parts and part-number-marker must not be negative.")
        after = [(n, p) for n, p in sorted(u.parts.items()) if n > marker]
        page, truncated = after[:max_parts], len(after) > max_parts
        items = "".join("<Part>%s%s%s%s</Part>" % (el("PartNumber", n), el("LastModified", iso_date(p[3])),
                                                   el("ETag", p[1]), el("Size", len(p[0])))
                        for n, p in page)
        inner = "%s%s%s%s%s%s%s%s" % (el("Bucket", bucket), el("Key", key), el("UploadId", u.id),
                                      el("PartNumberMarker", marker),
                                      el("NextPartNumberMarker", page[-1][0] if page else marker),
                                      el("MaxParts", max_parts), el("IsTruncated", "true" if truncated else "false"),
                                      items)
        return 200, [("Content-Type", "application/xml")], xml_doc("ListPartsResult", inner)

    def op_AbortMultipartUpload(self, bucket, key, q, headers, body):
        b = self._bucket(bucket)
        u = self._upload(b, key, q["uploadId"])
        del b.uploads[u.id]
        return 204, [], b""

    def _complete_list(self, body):
        try:
            root = ElementTree.fromstring(body)
        except ElementTree.ParseError:
            raise S3Error(400, "MalformedXML", "The XML you provided was not well-formed.")
        listed = []
        for part in root.iter():
            if part.tag.split("}")[-1] != "Part":
                continue
            fields = {c.tag.split("}")[-1]: (c.text or "").strip() for c in part}
            try:
                listed.append((int(fields.get("PartNumber", "")), fields.get("ETag", "").strip('"')))
            except ValueError:
                raise S3Error(400, "MalformedXML", "The XML you provided was not well-formed.")
        if not listed:
            raise S3Error(400, "MalformedXML", "The XML you provided was not well-formed.")
        return listed

    def _complete_result(self, bucket, key, etag):
        inner = el("Location", "/%s/%s" % (bucket, key)) + el("Bucket", bucket) + el("Key", key) + el("ETag", etag)
        return 200, [("Content-Type", "application/xml")], xml_doc("CompleteMultipartUploadResult", inner)

    def op_CompleteMultipartUpload(self, bucket, key, q, headers, body):
        b = self._bucket(bucket)
        done = b.completed.get(q["uploadId"])
        if done is not None and done[0] == key and done[1] == self._complete_list(body):
            return self._complete_result(bucket, key, done[2])  # S3 answers a repeated Complete alike
        u = self._upload(b, key, q["uploadId"])
        listed = self._complete_list(body)
        numbers = [n for n, _ in listed]
        if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
            raise S3Error(400, "InvalidPartOrder", "The list of parts was not in ascending order.")
        for i, (n, etag) in enumerate(listed):
            p = u.parts.get(n)
            if p is None or p[1].strip('"') != etag.strip('"'):
                raise S3Error(400, "InvalidPart", "One or more of the specified parts could not be found.")
            if i + 1 < len(listed) and len(p[0]) < MIN_PART:
                raise S3Error(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size")
        chosen = [u.parts[n] for n in numbers]
        data = b"".join(p[0] for p in chosen)
        md5s = b"".join(bytes.fromhex(p[1].strip('"')) for p in chosen)
        etag = '"%s-%d"' % (hashlib.md5(md5s).hexdigest(), len(chosen))
        checksum = None
        if u.alg and all(p[2] for p in chosen):
            try:
                raws = [base64.b64decode(p[2], validate=True) for p in chosen]
                raw = composite_digest(u.alg, raws)
                if raw is not None:
                    checksum = (u.alg, "%s-%d" % (base64.b64encode(raw).decode(), len(chosen)), "COMPOSITE")
            except ValueError:
                checksum = None
        full = request_checksum(headers)
        if full is not None and (headers.get("x-amz-checksum-type") or "").upper() == "FULL_OBJECT":
            # A FULL_OBJECT checksum of the whole object, derived by the client from its parts'
            # CRCs: verified like a PutObject's (crc32 here; crc32c/crc64nvme are stored unchecked).
            verify_checksum(full[0], full[1], data)
            checksum = (full[0], full[1], "FULL_OBJECT")
        b.objects[key] = Obj(data, etag, u.content_type, checksum, len(chosen))
        del b.uploads[u.id]
        b.completed[u.id] = (key, [(n, e.strip('"')) for n, e in listed], etag)
        return self._complete_result(bucket, key, etag)
