// An S3 upload sink for benchmarks, run by nginx's njs module (js_content).
//
// nginx reads the whole request body into memory before this handler runs (client_body_buffer_size
// is set above the largest part, so nothing spills to disk); the handler checks that it holds
// exactly Content-Length bytes, then answers like S3 with fixed XML:
//   POST /b/k?uploads                   -> 200 InitiateMultipartUploadResult (UploadId "bench")
//   PUT  /b/k?partNumber=N&uploadId=..  -> 200, ETag "p<N>-<bytes>"
//   POST /b/k?uploadId=..               -> 200 CompleteMultipartUploadResult
//   PUT  /b/k                           -> 200, ETag "o-<bytes>" (PutObject)
//   DELETE /b/k?uploadId=..             -> 204 (AbortMultipartUpload)
// A body that is not all in memory, or shorter than announced, gets 500/400: the run fails loudly
// instead of measuring a sink that did not read.
// Example: a 2 GiB upload in 8 MiB parts is 1 POST, 256 PUTs of 8,388,608 bytes, 1 POST.

function bodyLength(r) {
    var b = r.requestBuffer;
    if (b === undefined || b === null) {
        return -1;
    }
    return b.length;
}

function xml(r, text) {
    r.headersOut['Content-Type'] = 'application/xml';
    r.return(200, '<?xml version="1.0" encoding="UTF-8"?>\n' + text);
}

function handle(r) {
    var want = parseInt(r.headersIn['Content-Length'] || '0', 10);
    var got = want > 0 ? bodyLength(r) : 0;
    if (got < 0) {
        r.return(500, 'sink: request body not in memory (raise client_body_buffer_size)\n');
        return;
    }
    if (got !== want) {
        r.return(400, 'sink: body of ' + got + ' bytes, Content-Length ' + want + '\n');
        return;
    }
    var a = r.args;
    var path = r.variables.request_uri.split('?')[0];
    var parts = path.split('/');
    var bucket = parts.length > 1 ? parts[1] : '';
    var key = parts.slice(2).join('/');
    if (r.method === 'POST' && 'uploads' in a) {
        xml(r, '<InitiateMultipartUploadResult><Bucket>' + bucket + '</Bucket><Key>' + key +
            '</Key><UploadId>bench</UploadId></InitiateMultipartUploadResult>');
    } else if (r.method === 'PUT' && 'partNumber' in a) {
        r.headersOut['ETag'] = '"p' + a.partNumber + '-' + got + '"';
        r.return(200);
    } else if (r.method === 'POST' && 'uploadId' in a) {
        xml(r, '<CompleteMultipartUploadResult><Location>http://127.0.0.1' + path + '</Location><Bucket>' +
            bucket + '</Bucket><Key>' + key + '</Key><ETag>"bench-1"</ETag></CompleteMultipartUploadResult>');
    } else if (r.method === 'PUT') {
        r.headersOut['ETag'] = '"o-' + got + '"';
        r.return(200);
    } else if (r.method === 'DELETE') {
        r.return(204);
    } else {
        r.return(405);
    }
}

export default { handle };
