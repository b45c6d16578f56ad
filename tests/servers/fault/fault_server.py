#!/usr/bin/python3
"""A fault-injecting HTTP/1.1 server for s3xfer's engine tests (Python 3 standard library only).

Start:  /usr/bin/python3 fault_server.py [--host 127.0.0.1] [--port 0] [--verbose]
                                        [--tls-cert tls/cert.pem --tls-key tls/key.pem]
        The first line on stdout is the port. With a certificate it speaks HTTPS (the handshake
        runs on the connection's thread). The server exits when its stdin closes (so a crashed
        test never leaves it running) or on a request to /__shutdown.

Resources (ROUTES, data-driven):
  GET|HEAD /data/<size>       <size> bytes of the deterministic pattern (see pattern()), with
                              Range support (bytes=a-b, a-, -n; 206 / 416), ETag, Accept-Ranges
  ANY      /echo[/...]        the request body back; headers x-echo-method, x-echo-path,
                              x-echo-body-length, x-echo-body-sha256, x-echo-chunked and
                              x-echo-h-<name> for every request header
  PUT|POST /sink[/...]        consumes the body; x-sink-bytes, x-sink-sha256, x-sink-chunked and a
                              JSON body
  GET      /__stats           JSON: connections, requests, uploaded_bytes, counters, rules, store
  GET      /__stats/<name>    one number: connections | requests | uploaded_bytes | counter/<id> |
                              rule/<i>/matched | rule/<i>/fired | buckets | objects | uploads
  GET      /__faults          JSON: the fault rules with their matched/fired counts
  POST     /__faults          replaces the rules (JSON, below); ?append adds to them
  DELETE   /__faults          removes every rule
  ANY      /__shutdown        stops the server
  anything else               the in-memory S3 object store (s3_store.py: path-style buckets,
                              objects, ranges, If-Match, multipart uploads, md5 ETags); so buckets
                              named data, echo, sink or starting with __ cannot be used

Faults (FAULTS, data-driven) are chosen per request in one of two ways.

 1. A header (the engine tests):
      x-fault: <name>[; key=value]...        e.g. "slowdown; times=2", "stall; after=1000"
      x-fault-id: <id>                        counter key (default: "<name> <path>")
    Every request carrying a fault or an id bumps the counter of its key; the fault applies while
    the counter is <= times (no times: always). So "slowdown; times=2" with an id fails attempts 1
    and 2 of that request and lets attempt 3 through to the resource.

 2. Rules set through POST /__faults (the S3 tests, which cannot add headers):
      [{"match": {"op": "UploadPart", "method": "PUT", "path": "regex", "query": "regex"},
        "nth": 2,                      (or [1, 3]: which matching requests; 1-based)
        "times": 2,                    (or: the first 2 matching requests)
        "probability": 0.05, "seed": 7 (or: each matching request with this chance)
        "fault": "reset-mid-body", "params": {"after": 1000}}, ...]
    Every key of "match" is optional; "op" is the S3 operation (GetObject, PutObject, HeadObject,
    UploadPart, CreateMultipartUpload, CompleteMultipartUpload, AbortMultipartUpload,
    ListMultipartUploads, ListParts, ListObjects, CreateBucket, DeleteObject, ...) or a list of
    them; path and query are regular expressions searched in the path and the raw query. With
    none of nth/times/probability a rule fires on every match. Each rule counts the requests it
    matches (`matched`) and those it fired on (`fired`); when several rules fire on one request
    the first one wins, and the others still count the match. Requests to /__ paths never match.

  slowdown | unavailable | internal | bad-gateway | gateway-timeout | denied | not-found | error200
                     an S3-style XML error document with that status (error200: 200 + <Error>);
                     `code` and `message` replace the S3 code and text (error200; code=InvalidPart)
  error; status=N; code=C
                     an S3 error document with any status and code (default 500 InternalError)
  status; code=N     a bare status N with a small XML error body
  reset              read the request, then reset the connection (RST) before any header
  reset-upload       reset after `after` bytes of the request body (default 0)
  stall-upload       stop reading the request body after `after` bytes; hold until the client goes
  slow-upload        read the request body 64 KiB at a time, `interval_ms` (50) apart (~1.3 MB/s)
  reset-mid-body     send the headers and `after` body bytes (default half), then RST
  short-body         declare Content-Length L, send L-`missing` bytes (default half), then close
                     (these body faults, and stall, always withhold at least the last byte)
  stall              send the headers and `after` body bytes (default 0), then silence until the
                     client goes away (or for `ms` milliseconds, then the rest); an answer without a
                     body (HEAD, 204, an empty PutObject/UploadPart answer) stalls before its headers
  lost-answer        execute the request (the store changes), then reset before any header: the
                     client cannot tell whether it happened
  drip               send the body `chunk` bytes (16) every `interval_ms` (50); with `bytes`, only
                     the first `bytes` bytes so, then the rest at full speed
  delay              wait `ms` milliseconds before answering
  chunked            answer with Transfer-Encoding: chunked (`chunk` bytes per chunk, 65536)
  close              answer normally with Connection: close
  checksum           answer normally, with x-amz-checksum-<alg> (default crc32c) set to a value
                     that does not match the body (`value` to choose it) and x-amz-checksum-type
                     FULL_OBJECT
  replace            answer normally, then replace the object (same size, other bytes, new ETag):
                     later requests with If-Match on the old ETag get 412 PreconditionFailed
  ignore-range       answer as a server without range support: 200 and the whole object
  short-page; size=N a listing (ListParts, ListObjects) answered in pages of at most N (default 1)
                     entries, whatever page size the client asked for (S3 may send fewer)
The store's errors (NoSuchKey, PreconditionFailed, InvalidPart, ...) are real answers, not faults.
"""

import argparse
import copy
import hashlib
import json
import random
import re
import select
import socket
import ssl
import struct
import sys
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

import s3_store

VERBOSE = False
STOP = threading.Event()

# --- the deterministic data pattern -----------------------------------------------------------
# Byte i: block b = i // 4096, o = i % 4096; bytes 0..7 of a block are b as a big-endian uint64,
# the others (b + o - 8) % 251. Every block names itself, so any misplaced block is detected.
BLOCK = 4096
PRIME = 251
_BASE = bytes(i % PRIME for i in range(BLOCK + PRIME))
PIECE = 65536


def pattern(offset, length):
    out = []
    end = offset + length
    while offset < end:
        b, o = divmod(offset, BLOCK)
        start = b % PRIME
        block = struct.pack(">Q", b) + _BASE[start:start + BLOCK - 8]
        take = min(BLOCK - o, end - offset)
        out.append(block[o:o + take])
        offset += take
    return b"".join(out)


def pattern_pieces(offset, length):
    end = offset + length
    while offset < end:
        take = min(PIECE, end - offset)
        yield pattern(offset, take)
        offset += take


# --- shared state -------------------------------------------------------------------------------
class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.counters = {}
        self.numbers = {"connections": 0, "requests": 0, "uploaded_bytes": 0}

    def add(self, name, n=1):
        with self.lock:
            self.numbers[name] += n

    def bump(self, key):
        with self.lock:
            self.counters[key] = self.counters.get(key, 0) + 1
            return self.counters[key]

    def snapshot(self):
        with self.lock:
            return dict(self.numbers, counters=dict(self.counters))


STATE = State()
STORE = s3_store.Store()


class RuleError(Exception):
    pass


class Rule:
    """One fault rule of POST /__faults (see the top of this file)."""

    def __init__(self, doc):
        if not isinstance(doc, dict):
            raise RuleError("a rule must be an object")
        unknown = set(doc) - {"match", "nth", "times", "probability", "seed", "fault", "params"}
        if unknown:
            raise RuleError("unknown rule keys: %s" % ", ".join(sorted(unknown)))
        match = doc.get("match") or {}
        if not isinstance(match, dict) or set(match) - {"op", "method", "path", "query"}:
            raise RuleError("match takes op, method, path and query")
        ops = match.get("op")
        self.ops = None if ops is None else ({ops} if isinstance(ops, str) else set(ops))
        self.method = match.get("method")
        try:
            self.path = re.compile(match["path"]) if "path" in match else None
            self.query = re.compile(match["query"]) if "query" in match else None
        except re.error as e:
            raise RuleError("bad regular expression: %s" % e)
        nth = doc.get("nth")
        self.nth = None if nth is None else ({int(nth)} if isinstance(nth, (int, str)) else {int(n) for n in nth})
        self.times = None if doc.get("times") is None else int(doc["times"])
        self.probability = None if doc.get("probability") is None else float(doc["probability"])
        self.rng = random.Random(doc.get("seed", 1))
        self.fault = doc.get("fault")
        if self.fault not in FAULTS:
            raise RuleError("unknown fault %r" % (self.fault,))
        self.params = dict(doc.get("params") or {})
        self.matched = 0
        self.fired = 0

    def matches(self, method, path, query, op):
        return ((self.ops is None or op in self.ops) and (self.method is None or self.method == method) and
                (self.path is None or self.path.search(path)) and (self.query is None or self.query.search(query)))

    def fires(self):
        """Counts one matching request; whether the fault applies to it."""
        self.matched += 1
        if self.nth is not None and self.matched not in self.nth:
            return False
        if self.times is not None and self.matched > self.times:
            return False
        return self.probability is None or self.rng.random() < self.probability

    def describe(self):
        return {"fault": self.fault, "params": self.params, "matched": self.matched, "fired": self.fired}


class Rules:
    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []

    def set(self, docs, append):
        rules = [Rule(d) for d in docs]
        with self.lock:
            self.rules = (self.rules if append else []) + rules
            return len(self.rules)

    def pick(self, method, path, query, op):
        """The (fault name, params) of the first rule that fires on this request, else (None, {})."""
        chosen = None
        with self.lock:
            for r in self.rules:
                if r.matches(method, path, query, op) and r.fires() and chosen is None:
                    r.fired += 1
                    chosen = r
        return (chosen.fault, dict(chosen.params)) if chosen else (None, {})

    def stat(self, index, what):
        with self.lock:
            if 0 <= index < len(self.rules) and what in ("matched", "fired"):
                return getattr(self.rules[index], what)
        return None

    def snapshot(self):
        with self.lock:
            return [r.describe() for r in self.rules]


RULES = Rules()


class Abort(Exception):
    """The connection was reset or abandoned on purpose."""


class Response:
    def __init__(self, status, headers=None, body=b"", length=None, pieces=None):
        self.status = status
        self.headers = list(headers or [])
        self.length = len(body) if length is None else length
        self.pieces = pieces if pieces is not None else (lambda: iter([body] if body else []))


def xml_error(status, code, message, resource="/", headers=None):
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
        "<Resource>%s</Resource><RequestId>fault-%d</RequestId></Error>"
        % (escape(str(code)), escape(str(message)), escape(resource), time.monotonic_ns())
    ).encode()
    return Response(status, [("Content-Type", "application/xml")] + list(headers or []), body)


def pieces_of(data):
    """The body in PIECE-sized views (no copies: drip and partial sends slice them cheaply)."""
    view = memoryview(data)
    return lambda: (view[i:i + PIECE] for i in range(0, len(view), PIECE))


# --- resources ----------------------------------------------------------------------------------
def parse_range(header, size):
    """Returns (start, end_exclusive), None for no range, or 'invalid'."""
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


def r_data(h, m, body):
    size = int(m.group(1))
    rng = parse_range(h.headers.get("Range"), size)
    common = [("ETag", '"pattern-%d"' % size), ("Accept-Ranges", "bytes"),
              ("Last-Modified", "Wed, 01 Jan 2025 00:00:00 GMT"), ("Content-Type", "application/octet-stream")]
    if rng == "invalid":
        resp = xml_error(416, "InvalidRange", "The requested range is not satisfiable", h.path)
        resp.headers.append(("Content-Range", "bytes */%d" % size))
        return resp
    if rng is None:
        return Response(200, common, length=size, pieces=lambda: pattern_pieces(0, size))
    start, end = rng
    common.append(("Content-Range", "bytes %d-%d/%d" % (start, end - 1, size)))
    return Response(206, common, length=end - start, pieces=lambda: pattern_pieces(start, end - start))


def r_echo(h, m, body):
    headers = [("x-echo-method", h.command), ("x-echo-path", h.path), ("x-echo-body-length", str(body.length)),
               ("x-echo-body-sha256", body.sha256), ("x-echo-chunked", "1" if body.chunked else "0"),
               ("Content-Type", "application/octet-stream")]
    seen = {}
    for name, value in h.headers.items():
        seen.setdefault(name.lower(), []).append(value)
    for name, values in seen.items():
        headers.append(("x-echo-h-" + name, ", ".join(values)))
    return Response(200, headers, body.data)


def r_sink(h, m, body):
    doc = json.dumps({"bytes": body.length, "sha256": body.sha256}).encode()
    return Response(200, [("x-sink-bytes", str(body.length)), ("x-sink-sha256", body.sha256),
                          ("x-sink-chunked", "1" if body.chunked else "0"),
                          ("Content-Type", "application/json")], doc)


def r_stats(h, m, body):
    doc = dict(STATE.snapshot(), rules=RULES.snapshot(), store=STORE.counts())
    return Response(200, [("Content-Type", "application/json")], json.dumps(doc).encode())


def r_stat(h, m, body):
    snap = STATE.snapshot()
    name = urllib.parse.unquote(m.group(1))
    rule = re.fullmatch(r"rule/(\d+)/(\w+)", name)
    counts = STORE.counts()
    if name.startswith("counter/"):
        value = snap["counters"].get(name[len("counter/"):], 0)
    elif rule:
        value = RULES.stat(int(rule.group(1)), rule.group(2))
        if value is None:
            return xml_error(404, "NoSuchKey", "no such rule statistic", h.path)
    elif name in counts:
        value = counts[name]
    elif name in snap and name != "counters":
        value = snap[name]
    else:
        return xml_error(404, "NoSuchKey", "no such statistic", h.path)
    return Response(200, [("Content-Type", "text/plain")], b"%d" % value)


def r_faults(h, m, body):
    if h.command == "GET":
        return Response(200, [("Content-Type", "application/json")], json.dumps(RULES.snapshot()).encode())
    if h.command == "DELETE":
        RULES.set([], False)
        return Response(204)
    try:
        doc = json.loads(body.data.decode() or "[]")
        docs = doc.get("rules", []) if isinstance(doc, dict) else doc
        if not isinstance(docs, list):
            raise RuleError("expected a list of rules")
        count = RULES.set(docs, "append" in urllib.parse.parse_qs(urllib.parse.urlsplit(h.path).query,
                                                                  keep_blank_values=True))
    except (ValueError, TypeError, RuleError) as e:
        return xml_error(400, "InvalidFaultRule", str(e), h.path)
    return Response(200, [("Content-Type", "application/json")], json.dumps({"rules": count}).encode())


def r_s3(h, m, body):
    parts = urllib.parse.urlsplit(h.path)
    if body.length > len(body.data):
        return xml_error(400, "EntityTooLarge", "The fault server keeps at most %d bytes" % ECHO_KEEP, parts.path)
    headers = h.headers
    if getattr(h, "ignore_range", False):
        headers = copy.deepcopy(h.headers)
        del headers["Range"]
    try:
        status, headers, data = STORE.handle(h.command, parts.path, parts.query, headers, body.data)
    except s3_store.S3Error as e:
        if e.status == 304:
            return Response(304, e.headers)
        return xml_error(e.status, e.code, e.message, parts.path, e.headers)
    return Response(status, headers, length=len(data), pieces=pieces_of(data))


def r_shutdown(h, m, body):
    threading.Thread(target=stop_server, daemon=True).start()
    h.close_connection = True
    return Response(200, [("Connection", "close")], b"bye\n")


ROUTES = [
    # (path regex, methods or None for any, handler(handler, match, body) -> Response)
    (re.compile(r"^/data/(\d+)$"), ("GET", "HEAD"), r_data),
    (re.compile(r"^/echo(/.*)?$"), None, r_echo),
    (re.compile(r"^/sink(/.*)?$"), ("PUT", "POST"), r_sink),
    (re.compile(r"^/__stats$"), ("GET",), r_stats),
    (re.compile(r"^/__stats/(.+)$"), ("GET",), r_stat),
    (re.compile(r"^/__faults$"), ("GET", "POST", "DELETE"), r_faults),
    (re.compile(r"^/__shutdown$"), None, r_shutdown),
    (re.compile(r"^/"), None, r_s3),
]


def short_page(target, size):
    """The request target with max-parts / max-keys / max-uploads lowered to `size` (or added), so
    a listing comes back in pages of `size` however many the client asked for."""
    parts = urllib.parse.urlsplit(target)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    names = ("max-parts", "max-keys", "max-uploads")
    kept = [(k, v) for k, v in query if k not in names]
    asked = [int(v) for k, v in query if k in names and v.isdigit()]
    kept.append(("max-parts", str(min([size] + asked))))
    kept.append(("max-keys", str(min([size] + asked))))
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(kept)))


def route(h, body):
    path = urllib.parse.urlsplit(h.path).path
    for regex, methods, fn in ROUTES:
        m = regex.match(path)
        if m:
            if methods is not None and h.command not in methods:
                return xml_error(405, "MethodNotAllowed", "method not allowed", path)
            try:
                return fn(h, m, body)
            except Exception as e:  # a bug of this server: loud, and not retried by clients
                sys.stderr.write("fault-server: %s %s: %s\n%s" % (h.command, h.path, e, traceback.format_exc()))
                return xml_error(501, "FaultServerBug", "%s: %s" % (type(e).__name__, e), path)
    return xml_error(400, "InvalidURI", "Could not parse the specified URI.", path)


# --- faults ---------------------------------------------------------------------------------------
FAULTS = {
    # name: (kind, arguments)
    "slowdown": ("error", (503, "SlowDown", "Please reduce your request rate.")),
    "unavailable": ("error", (503, "ServiceUnavailable", "Service is unable to handle request.")),
    "internal": ("error", (500, "InternalError", "We encountered an internal error. Please try again.")),
    "bad-gateway": ("error", (502, "BadGateway", "Bad gateway.")),
    "gateway-timeout": ("error", (504, "GatewayTimeout", "Gateway timeout.")),
    "denied": ("error", (403, "AccessDenied", "Access Denied")),
    "not-found": ("error", (404, "NoSuchKey", "The specified key does not exist.")),
    "error200": ("error", (200, "InternalError", "We encountered an internal error. Please try again.")),
    "error": ("error", (500, "InternalError", "We encountered an internal error. Please try again.")),
    "status": ("status", None),
    "reset": ("reset", None),
    "reset-upload": ("upload", "reset"),
    "stall-upload": ("upload", "stall"),
    "slow-upload": ("upload", "slow"),
    "reset-mid-body": ("deliver", "reset"),
    "short-body": ("deliver", "short"),
    "stall": ("deliver", "stall"),
    "drip": ("deliver", "drip"),
    "delay": ("deliver", "delay"),
    "chunked": ("deliver", "chunked"),
    "close": ("deliver", "close"),
    "checksum": ("modify", "checksum"),
    "replace": ("modify", "replace"),
    "lost-answer": ("lost", None),
    "ignore-range": ("ignore-range", None),
    "short-page": ("short-page", None),
}


def parse_fault(value):
    if not value:
        return None, {}
    parts = [p.strip() for p in value.split(";") if p.strip()]
    params = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        params[k.strip()] = v.strip()
    return parts[0], params


class Body:
    def __init__(self):
        self.length = 0
        self.chunked = False
        self.data = b""
        self.sha256 = hashlib.sha256().hexdigest()


ECHO_KEEP = 64 * 1024 * 1024  # the echo returns at most this much


# --- the handler ------------------------------------------------------------------------------------
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "s3xfer-fault/1"
    sys_version = ""

    def setup(self):
        if isinstance(self.request, ssl.SSLSocket):
            try:
                self.request.do_handshake()
            except (ssl.SSLError, OSError):
                self.request.close()  # a client that refuses our certificate: finish() stays quiet
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.counted = False

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, fmt, *args):
        if VERBOSE:
            sys.stderr.write("fault-server: %s\n" % (fmt % args))

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (Abort, OSError):
            self.close_connection = True

    def __getattr__(self, name):
        if name.startswith("do_"):
            return self.dispatch
        raise AttributeError(name)

    # -- connection-level faults
    def reset(self):
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        finally:
            self.close_connection = True
        raise Abort()

    def wait_client_gone(self, seconds=None):
        """Waits until the client closes (True) or `seconds` pass (False)."""
        deadline = None if seconds is None else time.monotonic() + seconds
        while not STOP.is_set():
            timeout = 0.05 if deadline is None else max(0.0, min(0.05, deadline - time.monotonic()))
            readable, _, _ = select.select([self.connection], [], [], timeout)
            if readable:
                try:
                    # the raw TCP stream (under TLS too): b"" means the client closed
                    if socket.socket.recv(self.connection, 1, socket.MSG_PEEK) == b"":
                        return True
                except OSError:
                    return True
                time.sleep(0.01)
            if deadline is not None and time.monotonic() >= deadline:
                return False
        return True

    # -- request body
    def body_pieces(self):
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise Abort()
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return
                left = size
                while left > 0:
                    piece = self.rfile.read(min(left, PIECE))
                    if not piece:
                        raise Abort()
                    left -= len(piece)
                    yield piece
                self.rfile.readline(65537)
        else:
            left = int(self.headers.get("Content-Length") or 0)
            while left > 0:
                piece = self.rfile.read(min(left, PIECE))
                if not piece:
                    raise Abort()
                left -= len(piece)
                yield piece

    def read_body(self, upload_fault, params):
        body = Body()
        body.chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        digest = hashlib.sha256()
        keep = []
        kept = 0
        limit = int(params.get("after", 0)) if upload_fault in ("reset", "stall") else None
        pause = int(params.get("interval_ms", 50)) / 1000.0 if upload_fault == "slow" else 0
        for piece in self.body_pieces():
            if limit is not None and body.length + len(piece) > limit:
                piece = piece[:limit - body.length]
            body.length += len(piece)
            digest.update(piece)
            if kept < ECHO_KEEP:
                keep.append(piece[:ECHO_KEEP - kept])
                kept += len(keep[-1])
            if limit is not None and body.length >= limit:
                break
            if pause:
                time.sleep(pause)
        if upload_fault == "reset":
            self.reset()
        if upload_fault == "stall":
            self.wait_client_gone()
            raise Abort()
        STATE.add("uploaded_bytes", body.length)
        body.sha256 = digest.hexdigest()
        body.data = b"".join(keep)
        return body

    # -- dispatch
    def choose_fault(self, path):
        """(name, params) from the x-fault header (counted per id), else from the rules."""
        name, params = parse_fault(self.headers.get("x-fault"))
        fid = self.headers.get("x-fault-id") or params.get("id")
        if name or fid:
            count = STATE.bump(fid or "%s %s" % (name, path))
            if name is not None and ("times" not in params or count <= int(params["times"])):
                return name, params
            return None, {}
        if path.startswith("/__"):
            return None, {}
        query = urllib.parse.urlsplit(self.path).query
        return RULES.pick(self.command, path, query, s3_store.operation(self.command, path, query, self.headers))

    def dispatch(self):
        path = urllib.parse.urlsplit(self.path).path
        if not self.counted and not path.startswith("/__"):
            self.counted = True  # connections that only ask for /__stats are not counted
            STATE.add("connections")
        if not path.startswith("/__"):
            STATE.add("requests")
        name, params = self.choose_fault(path)
        kind, arg = FAULTS.get(name, ("unknown", None)) if name is not None else (None, None)
        body = self.read_body(arg if kind == "upload" else None, params)
        if kind == "unknown":
            return self.deliver(xml_error(400, "UnknownFault", "unknown fault %s" % name, path), None, {})
        if kind == "reset":
            self.reset()
        if kind == "error":
            status, code, message = arg
            status = int(params.get("status", status))
            if "code" in params:
                code, message = params["code"], params.get("message", "Injected %s." % params["code"])
            return self.deliver(xml_error(status, code, message, path), None, {})
        if kind == "status":
            code = int(params.get("code", 500))
            return self.deliver(xml_error(code, "Status%d" % code, "status %d" % code, path), None, {})
        self.ignore_range = kind == "ignore-range"
        if kind == "short-page":
            self.path = short_page(self.path, int(params.get("size", 1)))
        resp = route(self, body)
        if kind == "lost":
            self.reset()  # executed, but the client never learns it
        if kind == "modify":
            self.modify(resp, arg, params, path)
        return self.deliver(resp, arg if kind == "deliver" else None, params)

    def modify(self, resp, what, params, path):
        if what == "checksum":
            alg = str(params.get("alg", "crc32c")).lower()
            name = "x-amz-checksum-" + alg
            right = [v for k, v in resp.headers if k.lower() == name]
            value = str(params.get("value", "AAAAAA==" if alg in ("crc32", "crc32c") else "AAAAAAAAAAA="))
            if right and right[0] == value:
                value = "AQAAAA==" if alg in ("crc32", "crc32c") else "AQAAAAAAAAA="
            resp.headers = [(k, v) for k, v in resp.headers if not k.lower().startswith("x-amz-checksum-")]
            resp.headers += [(name, value), ("x-amz-checksum-type", "FULL_OBJECT")]
        elif what == "replace":
            bucket, key = s3_store.split_path(path)
            if bucket is not None and key is not None:
                STORE.replace_object(bucket, key)

    def deliver(self, resp, mode, params):
        if mode == "delay":
            time.sleep(float(params.get("ms", 100)) / 1000.0)
        empty = self.command == "HEAD" or resp.status in (204, 304) or resp.length == 0
        if mode == "stall" and empty:
            # no body to stall in: silence before the headers instead
            ms = params.get("ms")
            if self.wait_client_gone(None if ms is None else float(ms) / 1000.0):
                raise Abort()
        self.send_response(resp.status)
        for k, v in resp.headers:
            self.send_header(k, v)
        if mode == "chunked":
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(resp.length))
        if mode == "close" or self.close_connection:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command == "HEAD" or resp.status in (204, 304):
            return
        self.send_body(resp, mode, params)

    def send_body(self, resp, mode, params):
        w = self.wfile
        if mode == "chunked":
            size = int(params.get("chunk", PIECE))
            for piece in resp.pieces():
                for i in range(0, len(piece), size):
                    part = piece[i:i + size]
                    w.write(b"%x\r\n" % len(part) + part + b"\r\n")
            w.write(b"0\r\n\r\n")
            return
        # A body fault always withholds at least the last byte: `after` beyond the body is clamped
        # (a short last part must not let the fault pass unnoticed).
        last = max(0, resp.length - 1)
        stop_at, after_stop = resp.length, None
        if mode == "reset":
            stop_at, after_stop = min(last, int(params.get("after", resp.length // 2))), "reset"
        elif mode == "short":
            missing = min(resp.length, max(1, int(params.get("missing", max(1, resp.length // 2)))))
            stop_at, after_stop = resp.length - missing, "close"
        elif mode == "stall":
            stop_at, after_stop = min(last, int(params.get("after", 0))), "stall"
        sent = 0
        pieces = resp.pieces()
        pending = b""
        while True:
            if not pending:
                pending = next(pieces, b"")
                if not pending:
                    break
            if sent == stop_at and after_stop is not None:
                if after_stop == "reset":
                    self.reset()
                if after_stop == "close":
                    self.close_connection = True
                    return
                if after_stop == "stall":
                    ms = params.get("ms")
                    if self.wait_client_gone(None if ms is None else float(ms) / 1000.0):
                        raise Abort()
                    after_stop = None
            limit = len(pending) if after_stop is None else min(len(pending), stop_at - sent)
            dripping = mode == "drip" and ("bytes" not in params or sent < int(params["bytes"]))
            if dripping:
                limit = min(limit, int(params.get("chunk", 16)))
                if "bytes" in params:
                    limit = min(limit, int(params["bytes"]) - sent)
            w.write(pending[:limit])
            sent += limit
            pending = pending[limit:]
            if dripping:
                w.flush()
                time.sleep(float(params.get("interval_ms", 50)) / 1000.0)
        if after_stop == "stall" and sent == stop_at:
            if self.wait_client_gone(None if params.get("ms") is None else float(params["ms"]) / 1000.0):
                raise Abort()
        if after_stop == "reset" and sent == stop_at:
            self.reset()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # 64 clients connecting at once must not meet a full backlog

    def handle_error(self, request, client_address):
        if VERBOSE:
            super().handle_error(request, client_address)


SERVER = None


def stop_server():
    STOP.set()
    if SERVER is not None:
        SERVER.shutdown()


def watch_stdin():
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except OSError:
        pass
    stop_server()


def main():
    global SERVER, VERBOSE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    args = parser.parse_args()
    VERBOSE = args.verbose
    SERVER = Server((args.host, args.port), Handler)
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        SERVER.socket = ctx.wrap_socket(SERVER.socket, server_side=True, do_handshake_on_connect=False)
    sys.stdout.write("%d\n" % SERVER.server_address[1])
    sys.stdout.flush()
    threading.Thread(target=watch_stdin, daemon=True).start()
    try:
        SERVER.serve_forever(poll_interval=0.1)
    finally:
        STOP.set()
        SERVER.server_close()


if __name__ == "__main__":
    main()
