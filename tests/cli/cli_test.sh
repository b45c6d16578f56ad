#!/usr/bin/env bash
# Tests of the s3xfer command, run by CTest one group per test (tests/cli/CMakeLists.txt):
#
#   bash tests/cli/cli_test.sh PATH/TO/s3xfer GROUP
#
# Groups: usage (no server needed), errors (the table of bad inputs), cp, stdio, recursive,
# objects (ls, stat, mb, rm), stats (--stats-json), progress, interrupt, resume (--resume-file),
# integrity (a download whose data does not match the object's checksum: exit 7, no file; runs
# against tests/servers/fault, needs no S3 test server).
#
# Every group but `usage` talks to the S3 test server named by S3X_TEST_ENDPOINT,
# S3X_TEST_ACCESS_KEY, S3X_TEST_SECRET_KEY, S3X_TEST_REGION (scripts/test starts OpenStack Swift
# and exports them). Without them the group is skipped (exit 77), unless S3X_TEST_REQUIRE_SERVER=1.
# The command gets its credentials and endpoint as a user would give them: AWS_* variables, with
# ~/.aws ignored. Swift rejects checksums in CompleteMultipartUpload, hence
# --no-checksum-in-complete on uploads.
#
# Each check prints "ok - ..." or "FAIL - ..." and the script exits 1 if any failed.
set -u
S3XFER=${1:?usage: cli_test.sh S3XFER GROUP}
GROUP=${2:?usage: cli_test.sh S3XFER GROUP}
S3XFER=$(cd "$(dirname "$S3XFER")" && pwd)/$(basename "$S3XFER")
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

T=$(mktemp -d /tmp/s3xfer-cli-test.XXXXXX)
trap 'chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT
mkdir -p "$T/out" "$T/home"
export HOME=$T/home AWS_CONFIG_FILE=/nonexistent/config AWS_SHARED_CREDENTIALS_FILE=/nonexistent/credentials
unset AWS_PROFILE AWS_DEFAULT_REGION AWS_ENDPOINT_URL_S3 AWS_SESSION_TOKEN S3XFER_LOG
FAILED=0
CHECKS=0

ok() { CHECKS=$((CHECKS + 1)); echo "ok - $*"; }
fail() { CHECKS=$((CHECKS + 1)); FAILED=$((FAILED + 1)); echo "FAIL - $*"; }
check() { # check DESCRIPTION COMMAND...: the command must succeed
    local what=$1
    shift
    if "$@"; then ok "$what"; else fail "$what"; fi
}

need_server() {
    if [ -z "${S3X_TEST_ENDPOINT:-}" ]; then
        if [ "${S3X_TEST_REQUIRE_SERVER:-}" = "1" ]; then
            echo "FAIL - S3X_TEST_REQUIRE_SERVER=1 but S3X_TEST_ENDPOINT is not set"
            exit 1
        fi
        echo "skipped: no S3 test server (S3X_TEST_ENDPOINT is not set)"
        exit 77
    fi
    export AWS_ACCESS_KEY_ID=$S3X_TEST_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3X_TEST_SECRET_KEY
    export AWS_REGION=${S3X_TEST_REGION:-us-east-1} AWS_ENDPOINT_URL=$S3X_TEST_ENDPOINT
    B=s3x-cli-$GROUP-$$
    run "$S3XFER" mb "s3://$B"
    [ "$RC" -eq 0 ] || { echo "FAIL - cannot create bucket $B: $(cat "$T/stderr")"; exit 1; }
}

# run ARGS...: runs the command; RC, $T/stdout, $T/stderr hold the outcome.
run() {
    "$@" >"$T/stdout" 2>"$T/stderr" </dev/null
    RC=$?
}

# expect CODE SUBSTRING ARGS...: the command fails with exit CODE, its stderr holds SUBSTRING,
# it printed one error line, and left nothing in $T/out (no partial or temporary file).
expect() {
    local code=$1 text=$2
    shift 2
    run "$@"
    local what="exit $code, '$text': s3xfer ${*:2}"
    if [ "$RC" -ne "$code" ]; then
        fail "$what (exit $RC; stderr: $(head -c 400 "$T/stderr"))"
    elif ! grep -qF -- "$text" "$T/stderr"; then
        fail "$what (stderr: $(head -c 400 "$T/stderr"))"
    elif [ "$(grep -c . "$T/stderr")" -ne 1 ]; then
        fail "$what (more than one line on stderr: $(head -c 600 "$T/stderr"))"
    elif [ -n "$(ls -A "$T/out")" ]; then
        fail "$what (left files behind: $(ls -A "$T/out"))"
    else
        ok "$what"
    fi
    rm -rf "${T:?}/out" && mkdir -p "$T/out"
}

closed_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

json() { # json FILE EXPR: evaluates a Python expression over the parsed file as `j`
    "$PY" -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# --- groups -------------------------------------------------------------------------------------

group_usage() { # bad command lines: no server and no credentials needed, nothing is sent anywhere
    unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL AWS_REGION
    local X=$S3XFER
    echo data >"$T/src"
    mkdir -p "$T/dir"
    run "$X" --help
    check "--help exits 0 and lists the exit codes" test "$RC" -eq 0 -a -n "$(grep 'Exit codes' "$T/stdout")"
    for c in cp ls rm stat mb; do
        run "$X" "$c" --help
        check "$c --help" test "$RC" -eq 0 -a -n "$(grep "usage: s3xfer $c" "$T/stdout")"
    done
    run "$X" help cp
    check "help cp" grep -q "usage: s3xfer cp" "$T/stdout"
    run "$X" --version
    check "--version" grep -q "^s3xfer [0-9]" "$T/stdout"
    run "$X" cp --recursive --resume-file "$T/state" "$T/dir" s3://b/p/
    check "--resume-file with --recursive: usage error" test "$RC" -eq 2 -a -n "$(grep 'resume-file' "$T/stderr")"
    run "$X" cp --resume-file "$T/state" - s3://b/k
    check "--resume-file with stdin: usage error" test "$RC" -eq 2
    run "$X"
    check "no arguments: usage on stderr, exit 2" test "$RC" -eq 2 -a -n "$(grep usage "$T/stderr")"

    expect 2 "unknown option '--bogus'" "$X" cp --bogus "$T/src" s3://b/k
    expect 2 "did you mean '--part-size'?" "$X" cp --partsize 8MiB "$T/src" s3://b/k
    expect 2 "unknown option '-z'" "$X" cp -z "$T/src" s3://b/k
    expect 2 "unknown command 'cpp' (did you mean 'cp'?)" "$X" cpp "$T/src" s3://b/k
    expect 2 "missing command" "$X" --quiet
    expect 2 "cp needs a source and a destination" "$X" cp "$T/src"
    expect 2 "option --region needs a value" "$X" cp "$T/src" s3://b/k --region
    expect 2 "option --quiet takes no value" "$X" --quiet=yes cp "$T/src" s3://b/k
    expect 2 "option --recursive does not apply to 'stat'" "$X" stat --recursive s3://b/k
    expect 2 "is not a valid S3 URL" "$X" cp "$T/src" s3:/b/k
    expect 2 "is not a valid S3 URL" "$X" cp s3:b/k "$T/out/dl"
    expect 2 "missing bucket name" "$X" cp "$T/src" s3://
    expect 2 "missing bucket name" "$X" cp s3:///k "$T/out/dl"
    expect 2 "only s3:// URLs and local paths" "$X" cp https://example.com/b/k "$T/out/dl"
    expect 2 "which S3 does not allow" "$X" cp "$T/src" "s3://my bucket/k"
    expect 2 "longer than S3's limit of 1024 bytes" "$X" cp "$T/src" "s3://b/$(printf 'k%.0s' $(seq 1100))"
    expect 2 "names no object" "$X" cp s3://b "$T/out/dl"
    expect 2 "names no object" "$X" cp s3://b/dir/ "$T/out/dl"
    expect 2 "stdin has no name" "$X" cp - s3://b/
    expect 2 "at least one of SRC and DST must be an s3:// URL" "$X" cp "$T/src" "$T/out/dl"
    expect 2 "--recursive cannot read from stdin" "$X" cp -r - s3://b/p/
    expect 2 "--content-type applies to uploads only" "$X" cp --content-type text/plain s3://b/k s3://c/k
    expect 2 "is below S3's minimum part size of 5 MiB" "$X" --part-size 4MiB cp "$T/src" s3://b/k
    expect 2 "is above S3's maximum part size of 5 GiB" "$X" --part-size 6GiB cp "$T/src" s3://b/k
    expect 2 "is below one part" "$X" --part-size 16MiB --memory-limit 8MiB cp "$T/src" s3://b/k
    expect 2 "is below one part" "$X" --memory-limit 4MiB cp "$T/src" s3://b/k
    expect 2 "unknown unit 'Mx'" "$X" --part-size 8Mx cp "$T/src" s3://b/k
    expect 2 "unknown unit ' MiB'" "$X" --part-size "8 MiB" cp "$T/src" s3://b/k
    expect 2 "unknown unit 'MiBs'" "$X" --memory-limit 64MiBs cp "$T/src" s3://b/k
    expect 2 "no sign allowed" "$X" --part-size -8MiB cp "$T/src" s3://b/k
    expect 2 "is too large" "$X" --memory-limit 99999999999999999999 cp "$T/src" s3://b/k
    expect 2 "is too large" "$X" --memory-limit 20000000TiB cp "$T/src" s3://b/k
    expect 2 "not a whole number of bytes" "$X" --part-size 1.5 cp "$T/src" s3://b/k
    expect 2 "empty size" "$X" --part-size= cp "$T/src" s3://b/k
    expect 2 "'MiB' is not a size" "$X" --part-size MiB cp "$T/src" s3://b/k
    expect 2 "is not a whole number (expected 1 to 1024)" "$X" --max-connections many cp "$T/src" s3://b/k
    expect 2 "is out of range (expected 1 to 1024)" "$X" --max-connections 0 cp "$T/src" s3://b/k
    expect 2 "unknown algorithm 'md5'" "$X" --checksum md5 cp "$T/src" s3://b/k
    expect 2 "is not an http:// or https:// URL" "$X" --endpoint-url ftp://host cp "$T/src" s3://b/k
    expect 2 "the bucket name may hold only lowercase letters" "$X" mb s3://Bad_Bucket
    expect 2 "must be 3 to 63 characters" "$X" mb s3://ab
    expect 2 "must not be formatted as an IP address" "$X" mb s3://192.168.1.1
    expect 2 "is a directory (use --recursive" "$X" cp "$T/dir" s3://b/k
    expect 2 "is not a directory (drop --recursive" "$X" cp -r "$T/src" s3://b/p/
    # credentials are resolved before anything is sent
    expect 4 "no AWS credentials were found" "$X" --endpoint-url http://127.0.0.1:1 ls s3://b
    run "$X" cp --dry-run "$T/src" s3://b/k
    check "a dry run of an upload needs no credentials" grep -qx "(dryrun) upload: $T/src to s3://b/k" "$T/stdout"
    expect 4 "profile 'nope' not found" "$X" --profile nope --endpoint-url http://127.0.0.1:1 ls s3://b
    printf '[default]\naws_access_key_id = a\nthis line is not ini\n' >"$T/badconfig"
    expect 4 "badconfig:3" env AWS_SHARED_CREDENTIALS_FILE="$T/badconfig" "$X" --endpoint-url http://127.0.0.1:1 \
        ls s3://b
    printf '[profile p]\naws_access_key_id = a\n' >"$T/halfconfig"
    expect 4 "no AWS credentials" env AWS_CONFIG_FILE="$T/halfconfig" "$X" --profile p \
        --endpoint-url http://127.0.0.1:1 ls s3://b

    # SIZE values that parse: the error that follows names the parsed size, proving the value.
    run "$X" --part-size 8m --memory-limit 8388607 cp "$T/src" s3://b/k
    check "8m = 8 MiB (8388607 bytes is below it)" grep -q "8.00 MiB is below one part (8.00 MiB)" "$T/stderr"
    run "$X" --part-size 8MB --memory-limit 7999999 cp "$T/src" s3://b/k
    check "8MB = 8,000,000 bytes" grep -q "is below one part (7.63 MiB)" "$T/stderr"
    run "$X" --part-size 1.5GiB --memory-limit 1GiB cp "$T/src" s3://b/k
    check "1.5GiB" grep -q "1.00 GiB is below one part (1.50 GiB)" "$T/stderr"
    run "$X" --part-size 5242880 --memory-limit 5119KiB cp "$T/src" s3://b/k
    check "plain bytes and KiB" grep -q "5.00 MiB is below one part (5.00 MiB)" "$T/stderr"
}

group_errors() { # the table of bad inputs that need the server (or a closed port)
    need_server
    local X="$S3XFER --no-progress --no-checksum-in-complete"
    head -c 100000 /dev/urandom >"$T/src"
    run $X cp "$T/src" "s3://$B/obj"
    [ "$RC" -eq 0 ] || fail "setup upload: $(cat "$T/stderr")"
    local port
    port=$(closed_port)

    expect 3 "NoSuchKey" $X cp "s3://$B/missing" "$T/out/dl"
    expect 3 "NoSuchKey" $X cp "s3://$B/missing" -
    expect 3 "NoSuchBucket" $X cp "s3://nobucket-$$/k" "$T/out/dl"
    expect 3 "NoSuchBucket" $X cp "$T/src" "s3://nobucket-$$/k"
    expect 3 "NoSuchKey" $X cp "s3://$B/missing" "s3://$B/copy"
    expect 3 "NoSuchKey" $X cp --dry-run "s3://$B/missing" "s3://$B/copy"
    # a failed copy names the step, so a missing bucket says which side it is on
    expect 3 "copy s3://nobucket-$$/k: reading the source: S3: no such bucket (NoSuchBucket" \
        $X cp "s3://nobucket-$$/k" "s3://$B/copy"
    expect 3 "CopyObject from s3://$B/obj failed: S3: no such bucket (NoSuchBucket" \
        $X cp "s3://$B/obj" "s3://nobucket-$$/k"
    expect 3 "NoSuchKey" $X stat "s3://$B/missing"
    expect 3 "NoSuchBucket" $X stat "s3://nobucket-$$/k"
    expect 3 "NoSuchKey" $X rm "s3://$B/missing"
    expect 3 "NoSuchBucket" $X ls "s3://nobucket-$$/"
    expect 3 "NoSuchBucket" $X cp -r "s3://nobucket-$$/p/" "$T/out/tree"
    expect 3 "cannot read '$T/nosuchfile': No such file or directory" $X cp "$T/nosuchfile" "s3://$B/k"
    expect 3 "Not a directory" $X cp "$T/src/x" "s3://$B/k"
    expect 6 "No such file or directory" $X cp "s3://$B/obj" "$T/out/nodir/dl"
    expect 6 "Not a directory" $X cp "s3://$B/obj" "$T/src/dl"
    expect 6 "no space left on device" $X cp "s3://$B/obj" /dev/full
    expect 6 "cannot write" $X cp -r "s3://$B/" "$T/src"
    if [ "$(id -u)" -ne 0 ]; then # root reads and writes regardless of modes
        cp "$T/src" "$T/unreadable" && chmod 000 "$T/unreadable"
        expect 6 "Permission denied" $X cp "$T/unreadable" "s3://$B/k"
        mkdir -p "$T/readonly" && chmod 555 "$T/readonly"
        expect 6 "Permission denied" $X cp "s3://$B/obj" "$T/readonly/dl"
    fi
    expect 4 "SignatureDoesNotMatch" env AWS_SECRET_ACCESS_KEY=wrong $X cp "$T/src" "s3://$B/k2"
    expect 4 "SignatureDoesNotMatch" env AWS_SECRET_ACCESS_KEY=wrong $X cp "s3://$B/obj" "$T/out/dl"
    expect 4 "SignatureDoesNotMatch" env AWS_SECRET_ACCESS_KEY=wrong $X ls "s3://$B"
    # Swift answers SignatureDoesNotMatch for an access key it does not know (AWS: InvalidAccessKeyId)
    expect 4 "HTTP 403" env AWS_ACCESS_KEY_ID=nobody:nobody $X ls "s3://$B"
    printf '[profile wrong]\naws_access_key_id = %s\naws_secret_access_key = wrong\n' "$AWS_ACCESS_KEY_ID" >"$T/config"
    expect 4 "SignatureDoesNotMatch" env AWS_CONFIG_FILE="$T/config" $X --profile wrong cp "s3://$B/obj" "$T/out/dl"
    expect 5 "could not connect to the endpoint" $X --endpoint-url "http://127.0.0.1:$port" cp "$T/src" "s3://$B/k"
    expect 5 "could not connect to the endpoint" $X --endpoint-url "http://127.0.0.1:$port" \
        cp "s3://$B/obj" "$T/out/dl"
    expect 5 "endpoint is unreachable" $X --endpoint-url "http://127.0.0.1:$port" stat "s3://$B/obj"
    expect 1 "BucketAlreadyOwnedByYou" $X mb "s3://$B"
    expect 6 "--stats-json: cannot write" $X --stats-json "$T/nodir/s.json" stat "s3://$B/obj"
    # the object is still intact after all that
    run $X cp "s3://$B/obj" "$T/back"
    check "the object survives the failures" cmp "$T/src" "$T/back"
}

group_cp() { # each direction, with a small memory limit so that parts wait for the pool
    need_server
    local X="$S3XFER --no-progress --no-checksum-in-complete --part-size 5MiB --memory-limit 16MiB"
    head -c 23000000 /dev/urandom >"$T/big"
    : >"$T/empty"
    echo hello >"$T/small.txt"

    run $X cp "$T/big" "s3://$B/big"
    check "upload (multipart, 5 parts, 16 MiB limit)" test "$RC" -eq 0
    check "upload prints its line" grep -qx "upload: $T/big to s3://$B/big" "$T/stdout"
    run $X cp "s3://$B/big" "$T/out/big"
    check "download" test "$RC" -eq 0
    check "download is identical" cmp "$T/big" "$T/out/big"
    check "no temporary file left" test -z "$(ls -A "$T/out" | grep -v '^big$')"
    echo old >"$T/out/over"
    run $X cp "s3://$B/big" "$T/out/over"
    check "download over an existing file" cmp "$T/big" "$T/out/over"
    run $X cp "s3://$B/big" "$T/out/"
    check "download into a directory keeps the key's name" cmp "$T/big" "$T/out/big"
    run $X cp "$T/small.txt" "s3://$B/dir/"
    check "upload to a prefix appends the file name" test "$RC" -eq 0
    run $X cp "s3://$B/dir/small.txt" "$T/out/s"
    check "that key holds the file" cmp "$T/small.txt" "$T/out/s"
    run $X cp "$T/empty" "s3://$B/empty"
    run $X cp "s3://$B/empty" "$T/out/empty"
    check "empty object round trip" test "$RC" -eq 0 -a -f "$T/out/empty" -a ! -s "$T/out/empty"
    run $X cp "s3://$B/big" "s3://$B/copies/big"
    check "server-side copy" grep -qx "copy: s3://$B/big to s3://$B/copies/big" "$T/stdout"
    run $X cp "s3://$B/copies/big" "$T/out/copy"
    check "the copy is identical" cmp "$T/big" "$T/out/copy"
    run $X cp "s3://$B/big" "s3://$B/copies/"
    run $X stat "s3://$B/copies/big"
    check "copy to a prefix appends the key's name" grep -q "size: *23000000 " "$T/stdout"
    # a multipart copy (3 parts of 5 MiB: UploadPartCopy) keeps the type and uses no pool memory
    head -c 12582912 /dev/urandom >"$T/twelve"
    run $X --content-type text/x-twelve cp "$T/twelve" "s3://$B/twelve"
    run $X --stats-json "$T/copy.json" cp "s3://$B/twelve" "s3://$B/copies/twelve"
    check "multipart server-side copy" grep -qx "copy: s3://$B/twelve to s3://$B/copies/twelve" "$T/stdout"
    check "copy stats: 12 MiB, 1 object, no pool memory, >= 6 requests" \
        test "$(json "$T/copy.json" '(j["bytes"], j["objects"], j["pool_peak_allocated"], j["requests"] >= 6)')" = \
        "(12582912, 1, 0, True)"
    run $X cp "s3://$B/copies/twelve" "$T/out/twelve"
    check "the multipart copy is identical" cmp "$T/twelve" "$T/out/twelve"
    run $X stat "s3://$B/copies/twelve"
    check "the multipart copy keeps the content type" grep -q "content type: *text/x-twelve" "$T/stdout"
    run $X cp "s3://$B/twelve" "s3://$B/copies/twelve-again"
    run $X cp "s3://$B/copies/twelve-again" "$T/out/twelve-again"
    check "copy over an existing object" cmp "$T/twelve" "$T/out/twelve-again"
    rm -rf "${T:?}/out" && mkdir -p "$T/out"
    expect 2 "source and destination are the same object" $X cp "s3://$B/big" "s3://$B/big"
    run $X cp --dry-run "$T/big" "s3://$B/dry"
    check "--dry-run prints the plan" grep -qx "(dryrun) upload: $T/big to s3://$B/dry" "$T/stdout"
    run $X stat "s3://$B/dry"
    check "--dry-run uploads nothing" test "$RC" -eq 3
    run $X --content-type text/plain cp "$T/small.txt" "s3://$B/typed"
    run $X stat "s3://$B/typed"
    check "--content-type" grep -q "content type: *text/plain" "$T/stdout"
    run $X --content-type text/plain cp "$T/big" "s3://$B/typed-big"
    run $X stat "s3://$B/typed-big"
    check "--content-type on a multipart upload" grep -q "content type: *text/plain" "$T/stdout"
    run $X stat "s3://$B/big"
    check "default content type of a multipart upload" grep -q "content type: *binary/octet-stream" "$T/stdout"
    run $X --quiet cp "$T/small.txt" "s3://$B/quiet"
    check "--quiet prints nothing" test "$RC" -eq 0 -a ! -s "$T/stdout" -a ! -s "$T/stderr"
    for alg in crc32 crc64nvme sha256 none; do
        run $X --checksum "$alg" cp "$T/big" "s3://$B/sum-$alg"
        check "upload with --checksum $alg" test "$RC" -eq 0
    done
    run $X cp "s3://$B/sum-sha256" "$T/out/sum"
    check "sha256 upload reads back" cmp "$T/big" "$T/out/sum"
}

group_stdio() {
    need_server
    local X="$S3XFER --no-progress --no-checksum-in-complete --part-size 5MiB --memory-limit 16MiB"
    head -c 31000000 /dev/urandom >"$T/stream"
    $X cp - "s3://$B/stream" <"$T/stream" >"$T/stdout" 2>"$T/stderr"
    check "stdin upload (7 parts of unknown length)" test $? -eq 0
    check "stdin upload names stdin" grep -qx "upload: stdin to s3://$B/stream" "$T/stdout"
    $X cp "s3://$B/stream" - 2>"$T/stderr" >"$T/out/fromstdout"
    check "download to stdout" test $? -eq 0
    check "stdout got the bytes in order" cmp "$T/stream" "$T/out/fromstdout"
    $X cp "s3://$B/stream" - 2>"$T/stderr" | cmp - "$T/stream"
    check "download to a pipe" test "${PIPESTATUS[0]}" -eq 0 -a "${PIPESTATUS[1]}" -eq 0
    head -c 1000 "$T/stream" | $X cp - "s3://$B/short" >/dev/null 2>&1
    $X cp "s3://$B/short" - 2>/dev/null | cmp - <(head -c 1000 "$T/stream")
    check "short stdin stream (one PutObject)" test "${PIPESTATUS[1]}" -eq 0
    : | $X cp - "s3://$B/nothing" >/dev/null 2>&1
    $X stat "s3://$B/nothing" >"$T/stdout" 2>&1
    check "empty stdin makes an empty object" grep -q "size: *0 " "$T/stdout"
    # A reader that stops early: s3xfer reports the closed pipe and does not hang.
    timeout 60 $X cp "s3://$B/stream" - 2>"$T/stderr" | head -c 10 >/dev/null
    local rc=${PIPESTATUS[0]}
    check "stdout closed early: local I/O error (exit $rc)" test "$rc" -eq 6
    check "stdout closed early: says so" grep -q "Broken pipe" "$T/stderr"
    $X --stats-json "$T/s.json" cp - "s3://$B/counted" <"$T/stream" >/dev/null 2>&1
    check "stdin upload counts its bytes" test "$(json "$T/s.json" 'j["bytes"]')" = 31000000
}

group_recursive() {
    need_server
    local X="$S3XFER --no-progress --no-checksum-in-complete --part-size 5MiB --memory-limit 32MiB"
    mkdir -p "$T/tree/a/b" "$T/tree/c d" "$T/tree/ünï"
    head -c 12000000 /dev/urandom >"$T/tree/a/b/large"
    echo one >"$T/tree/a/one"
    echo space >"$T/tree/c d/with space.txt"
    echo unicode >"$T/tree/ünï/çà"
    : >"$T/tree/empty"
    for i in $(seq 1 20); do echo "$i" >"$T/tree/a/n$i"; done
    ln -s ../one "$T/tree/a/b/link-to-file"
    ln -s ../a "$T/tree/c d/link-to-dir"

    run $X cp -r "$T/tree" "s3://$B/up"
    check "upload a tree" test "$RC" -eq 0
    check "26 upload lines" test "$(grep -c '^upload: ' "$T/stdout")" -eq 26
    check "a link to a directory is skipped with a warning" grep -q "skipping .*link-to-dir': a symbolic link to a directory" "$T/stderr"
    run $X ls -r "s3://$B/up/"
    check "keys keep the relative paths" grep -q " up/c d/with space.txt$" "$T/stdout"
    check "unicode keys" grep -q " up/ünï/çà$" "$T/stdout"
    check "a link to a file is uploaded as the file" grep -q " 4 up/a/b/link-to-file$" "$T/stdout"
    run $X cp -r "s3://$B/up" "$T/out/down"
    check "download the prefix (no trailing slash)" test "$RC" -eq 0
    rm "$T/tree/c d/link-to-dir"
    cp --remove-destination "$T/tree/a/one" "$T/tree/a/b/link-to-file"
    check "the tree comes back identical" diff -r "$T/tree" "$T/out/down"
    rm -rf "$T/out/down"
    run $X cp -r "s3://$B/up/" "s3://$B/copy"
    check "copy a prefix server side" test "$RC" -eq 0 -a "$(grep -c '^copy: ' "$T/stdout")" -eq 26
    run $X cp -r "s3://$B/copy/" "$T/out/copy"
    check "the copied prefix is identical" diff -r "$T/tree" "$T/out/copy"
    rm -rf "$T/out/copy"
    run $X cp -r --dry-run "s3://$B/up/" "s3://$B/drycopy"
    check "--dry-run copy plans 26 objects" test "$(grep -c '^(dryrun) copy: ' "$T/stdout")" -eq 26
    run $X ls -r "s3://$B/drycopy/"
    check "--dry-run copy copies nothing" test "$RC" -eq 0 -a ! -s "$T/stdout"
    run $X cp -r --dry-run "s3://$B/up/" "$T/out/dry"
    check "--dry-run download plans 26 objects" test "$(grep -c '^(dryrun) download: ' "$T/stdout")" -eq 26
    check "--dry-run download writes nothing" test ! -e "$T/out/dry"

    # Keys that would escape the destination are refused; the others still download.
    echo evil >"$T/evil"
    for k in "esc/../../../escaped" "esc/a/../../../escaped2" "esc//abs" "esc/a//double" "esc/./dot"; do
        run $X cp "$T/evil" "s3://$B/$k"
    done
    run $X cp "$T/evil" "s3://$B/esc/fine"
    run $X cp -r "s3://$B/esc/" "$T/out/esc"
    check "refusal: exit 1" test "$RC" -eq 1
    check "refusal: '..' named" grep -q "refusing to download s3://$B/esc/../../../escaped into '$T/out/esc': it has a '..' component" "$T/stderr"
    check "refusal: absolute path named" grep -q "esc//abs.*it is an absolute path$" "$T/stderr"
    check "refusal: empty component named" grep -q "esc/a//double.*empty path component" "$T/stderr"
    check "refusal: '.' component named" grep -q "esc/./dot.*'.' component" "$T/stderr"
    check "nothing escaped" test ! -e "$T/escaped" -a ! -e "$T/out/escaped" -a ! -e "$T/escaped2"
    check "the safe key downloaded" cmp "$T/evil" "$T/out/esc/fine"
    rm -rf "$T/out/esc"
    # A symlink inside the destination cannot redirect a download.
    mkdir -p "$T/out/trap" "$T/elsewhere"
    ln -s "$T/elsewhere" "$T/out/trap/a"
    run $X cp -r "s3://$B/up/" "$T/out/trap"
    check "a symlinked directory in the destination is refused" grep -q "resolves outside the destination" "$T/stderr"
    check "nothing was written through it" test -z "$(ls -A "$T/elsewhere")"
    rm -rf "$T/out/trap"
    echo x >"$T/out/file"
    run $X cp -r "s3://$B/up/" "$T/out/file/sub"
    check "a file in the way: local I/O error" test "$RC" -eq 6
    rm -f "$T/out/file"

    run $X rm -r --dry-run "s3://$B/copy"
    check "rm -r --dry-run lists 26 objects" test "$(grep -c '^(dryrun) delete: ' "$T/stdout")" -eq 26
    run $X rm -r "s3://$B/copy"
    check "rm -r deletes them" test "$RC" -eq 0 -a "$(grep -c '^delete: ' "$T/stdout")" -eq 26
    run $X ls -r "s3://$B/copy/"
    check "the prefix is empty" test "$RC" -eq 0 -a ! -s "$T/stdout"
    run $X ls -r "s3://$B/up/"
    check "rm -r s3://b/copy leaves s3://b/up alone" test "$(grep -c . "$T/stdout")" -eq 26
}

group_objects() { # mb, ls, stat, rm
    need_server
    local X="$S3XFER --no-progress --no-checksum-in-complete"
    local nb=s3x-cli-new-$$
    run $X mb "s3://$nb"
    check "mb" grep -qx "make_bucket: $nb" "$T/stdout"
    run $X ls
    check "ls lists the buckets" grep -q " $nb$" "$T/stdout"
    echo hello >"$T/f"
    for k in top a/one a/two a/sub/three b/four; do run $X cp "$T/f" "s3://$B/$k"; done
    run $X ls "s3://$B"
    check "ls: PRE lines" test "$(grep -c '^ *PRE [ab]/$' "$T/stdout")" -eq 2
    check "ls: objects with date and size" grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} +6 top$' "$T/stdout"
    run $X ls "s3://$B/a/"
    check "ls a prefix: names relative to it" test "$(cat "$T/stdout" | awk '{print $NF}' | tr '\n' ' ')" = "sub/ one two "
    run $X ls "s3://$B/a"
    check "ls without the slash shows the prefix" grep -q "PRE a/" "$T/stdout"
    run $X ls -r --summarize "s3://$B"
    check "ls -r: every key in full" test "$(grep -c ' [ab]/' "$T/stdout")" -eq 4
    check "--summarize" grep -q "Total Objects: 5" "$T/stdout"
    run $X ls --human-readable "s3://$B"
    check "--human-readable" grep -q " 6 B top$" "$T/stdout"
    run $X stat "s3://$B/top" "s3://$B/a/one"
    check "stat: size" grep -q "size: *6 (6 B)" "$T/stdout"
    check "stat: etag" grep -q 'etag: *"b1946ac92492d2347c6235b4d2611184"' "$T/stdout"
    check "stat: last modified" grep -Eq "last modified: *[0-9]{4}-" "$T/stdout"
    check "stat: content type" grep -q "content type:" "$T/stdout"
    check "stat: checksums line" grep -q "checksum:" "$T/stdout"
    check "stat: two objects" test "$(grep -c '^s3://' "$T/stdout")" -eq 2
    run $X stat "s3://$B/top" "s3://$B/missing"
    check "stat: one missing of two: exit 3, the other shown" test "$RC" -eq 3 -a "$(grep -c '^s3://' "$T/stdout")" -eq 1
    run $X rm "s3://$B/top"
    check "rm" grep -qx "delete: s3://$B/top" "$T/stdout"
    run $X stat "s3://$B/top"
    check "rm removed it" test "$RC" -eq 3
    expect 2 "names no object (add --recursive" $X rm "s3://$B"
    run $X rm --dry-run "s3://$B/a/one"
    run $X stat "s3://$B/a/one"
    check "rm --dry-run keeps it" test "$RC" -eq 0
}

group_stats() {
    need_server
    local X="$S3XFER --no-progress --no-checksum-in-complete --part-size 5MiB --memory-limit 16MiB"
    head -c 41943040 /dev/urandom >"$T/f40"
    run $X --stats-json "$T/up.json" cp "$T/f40" "s3://$B/f40"
    check "upload with --stats-json" test "$RC" -eq 0
    check "bytes" test "$(json "$T/up.json" 'j["bytes"]')" = 41943040
    check "pool peak <= limit" test "$(json "$T/up.json" '0 < j["pool_peak_allocated"] <= j["memory_limit"] == 16777216')" = True
    check "requests: create + 8 parts + complete" test "$(json "$T/up.json" 'j["requests"] >= 10')" = True
    check "seconds and MB/s" test "$(json "$T/up.json" 'j["seconds"] > 0 and abs(j["mb_per_s"] - j["bytes"] / j["seconds"] / 1e6) < 0.2 * j["mb_per_s"] + 0.1')" = True
    check "memory wait is reported" test "$(json "$T/up.json" 'j["memory_wait_seconds"] >= 0 and j["pool_waited_reservations"] >= 0')" = True
    check "exit code and no error" test "$(json "$T/up.json" '(j["exit_code"], j["error"], j["objects"], j["part_size"])')" = "(0, None, 1, 5242880)"
    run $X --stats-json "$T/down.json" cp "s3://$B/f40" "$T/out/f40"
    check "download with --stats-json" test "$(json "$T/down.json" '(j["bytes"], j["pool_peak_allocated"] <= 16777216)')" = "(41943040, True)"
    check "attempts and connections" test "$(json "$T/down.json" 'j["http_attempts"] >= j["requests"] >= 1 and 1 <= j["connections_opened"] <= 16')" = True
    if [ -z "${http_proxy:-}${HTTP_PROXY:-}${https_proxy:-}${HTTPS_PROXY:-}${all_proxy:-}${ALL_PROXY:-}" ]; then
        check "parts move on direct connections" test "$(json "$T/up.json" 'j["direct_attempts"] >= 8')$(json "$T/down.json" 'j["direct_attempts"] >= 8')" = TrueTrue
    fi
    run $X --no-direct-connections --stats-json "$T/nd-up.json" cp "$T/f40" "s3://$B/f40-nd"
    run $X --no-direct-connections --stats-json "$T/nd-down.json" cp "s3://$B/f40-nd" "$T/out/f40-nd"
    check "--no-direct-connections: round trip" cmp "$T/f40" "$T/out/f40-nd"
    check "--no-direct-connections: none direct" test "$(json "$T/nd-up.json" 'j["direct_attempts"]')$(json "$T/nd-down.json" 'j["direct_attempts"]')" = 00
    run $X --stats-json "$T/fail.json" cp "s3://$B/missing" "$T/out/x"
    check "a failed run still writes its stats" test "$(json "$T/fail.json" '(j["exit_code"], j["failed"], "NoSuchKey" in j["error"])')" = "(3, 1, True)"
    mkdir -p "$T/many"
    for i in $(seq 1 12); do head -c 3000000 /dev/urandom >"$T/many/f$i"; done
    run $X --stats-json "$T/many.json" cp -r "$T/many" "s3://$B/many/"
    check "12 concurrent uploads stay within the limit" test "$(json "$T/many.json" '(j["objects"], j["bytes"], j["pool_peak_allocated"] <= j["memory_limit"])')" = "(12, 36000000, True)"
}

group_progress() {
    need_server
    local X="$S3XFER --no-checksum-in-complete --part-size 5MiB --memory-limit 16MiB"
    head -c 30000000 /dev/urandom >"$T/f"
    run $X cp "$T/f" "s3://$B/f"
    check "not a terminal, short run: no progress lines" test "$RC" -eq 0 -a ! -s "$T/stderr"
    if ! command -v script >/dev/null; then
        fail "script(1) is needed to test the terminal display"
        return
    fi
    script -qec "stty cols 150; $X cp s3://$B/f $T/out/f" "$T/tty" >/dev/null 2>&1
    check "terminal: progress line with percent, rate and pool memory" grep -aq "100% .*/s .*pool peak .*/16.0 MiB" "$T/tty"
    check "terminal: redrawn in place" grep -aq $'\r' "$T/tty"
    script -qec "$X --quiet cp s3://$B/f $T/out/g" "$T/tty-quiet" >/dev/null 2>&1
    check "terminal with --quiet: nothing" test -z "$(grep -av '^Script ' "$T/tty-quiet" | tr -d '\r\n')"
    script -qec "$X --no-progress cp s3://$B/f $T/out/h" "$T/tty-np" >/dev/null 2>&1
    check "terminal with --no-progress: only the object's line" test "$(grep -av '^Script ' "$T/tty-np" | tr -d '\r' | grep -c .)" -eq 1
}

# pidof_file FILE: waits (up to 10 s) for FILE to hold a PID, prints it.
pid_from() {
    local i=0
    while [ ! -s "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    cat "$1"
}

# exits_within PID SECONDS: whether PID is gone within SECONDS.
exits_within() {
    local i=0
    while kill -0 "$1" 2>/dev/null; do
        [ $i -ge $(($2 * 10)) ] && return 1
        sleep 0.1
        i=$((i + 1))
    done
    return 0
}

group_interrupt() { # signals go to the PIDs this script started, recorded in files
    need_server
    local X="$S3XFER --no-progress --no-checksum-in-complete --part-size 5MiB --memory-limit 16MiB"
    local exec_pid='echo $$ >"$1"; shift; exec "$@"'
    # A stdin upload whose producer stalls after 12 MB: SIGINT cancels it and aborts the
    # multipart upload (two parts are done by then).
    bash -c 'echo $$ >"$1"; head -c 12000000 /dev/zero; exec sleep 60' _ "$T/producer.pid" |
        bash -c "$exec_pid" _ "$T/up.pid" $X cp - "s3://$B/stalled" >"$T/stdout" 2>"$T/stderr" &
    local job=$!
    local up
    up=$(pid_from "$T/up.pid")
    sleep 2
    kill -INT "$up"
    check "SIGINT during an upload: stops within 10 s" exits_within "$up" 10
    kill "$(cat "$T/producer.pid")" 2>/dev/null
    wait "$job"
    local rc=$?
    check "SIGINT during an upload: exit 130 (got $rc)" test "$rc" -eq 130
    check "SIGINT: says so" grep -q "interrupted" "$T/stderr"
    run $X stat "s3://$B/stalled"
    check "SIGINT: no object was created" test "$RC" -eq 3

    # A download to stdout whose reader never reads.
    head -c 30000000 /dev/urandom >"$T/f"
    run $X cp "$T/f" "s3://$B/f"
    (
        bash -c "$exec_pid" _ "$T/down.pid" $X cp "s3://$B/f" - 2>"$T/stderr2" |
            bash -c 'echo $$ >"$1"; exec sleep 60' _ "$T/reader.pid"
        echo "${PIPESTATUS[0]}" >"$T/rc2"
    ) &
    job=$!
    local down
    down=$(pid_from "$T/down.pid")
    sleep 2
    kill -INT "$down"
    check "SIGINT during a download to a stalled pipe: stops within 10 s" exits_within "$down" 10
    kill "$(pid_from "$T/reader.pid")" 2>/dev/null
    wait "$job"
    check "SIGINT during a download to a stalled pipe: exit 130" test "$(cat "$T/rc2" 2>/dev/null)" = 130
}

# interrupt_at SECONDS ARGS...: runs the command, sends SIGINT after SECONDS; RC, $T/stdout and
# $T/stderr hold the outcome.
interrupt_at() {
    local after=$1
    shift
    "$@" >"$T/stdout" 2>"$T/stderr" </dev/null &
    local pid=$!
    sleep "$after"
    kill -INT "$pid" 2>/dev/null
    wait "$pid"
    RC=$?
}

group_resume() { # --resume-file: SIGINT pauses, the same command resumes and sends only the rest
    need_server
    local X="$S3XFER --no-progress --no-checksum-in-complete --part-size 5MiB --max-connections 1"
    local R=$T/state
    # Big enough that the interrupt lands mid-transfer; doubled if the machine was faster.
    local size=$((200 << 20)) tries=0
    while :; do
        head -c "$size" /dev/urandom >"$T/big"
        interrupt_at 0.5 $X cp "$T/big" "s3://$B/big" --resume-file "$R"
        [ "$RC" -ne 0 ] || [ $tries -ge 2 ] && break
        size=$((size * 2)) tries=$((tries + 1))
        rm -f "$R"
    done
    local parts=$(((size + (5 << 20) - 1) / (5 << 20)))
    check "upload: SIGINT pauses (exit 130, got $RC)" test "$RC" -eq 130
    check "upload: says how to resume" grep -q "paused with .* parts done; run the same command to resume" "$T/stderr"
    check "upload: the resume file holds a token" grep -q "^s3xfer-resume 1" "$R"
    run $X cp "$T/big" "s3://$B/big" --resume-file "$R" --stats-json "$T/s.json"
    check "upload resumed: exit 0" test "$RC" -eq 0
    local skipped
    skipped=$(sed -n 's/^resumed: \([0-9]*\) of .*/\1/p' "$T/stdout")
    check "upload resumed: some parts were already there ($skipped of $parts)" test -n "$skipped" -a "${skipped:-0}" -gt 0
    check "upload resumed: ListParts + the $((parts - ${skipped:-0})) missing parts + Complete only" \
        test "$(json "$T/s.json" "j['requests'] - j['retries']")" -eq $((1 + parts - ${skipped:-0} + 1))
    check "upload resumed: the resume file is gone" test ! -e "$R"
    run $X cp "s3://$B/big" "$T/back"
    check "upload resumed: the object is the file" cmp -s "$T/big" "$T/back"
    rm -f "$T/back"

    interrupt_at 0.5 $X cp "s3://$B/big" "$T/out/big" --resume-file "$R"
    check "download: SIGINT pauses (exit 130, got $RC)" test "$RC" -eq 130
    check "download: nothing at the destination yet" test ! -e "$T/out/big"
    check "download: the parts wait in a temporary file" test -n "$(ls -A "$T/out" | grep '^\.big\.s3xfer-')"
    run $X cp "s3://$B/big" "$T/out/big" --resume-file "$R"
    check "download resumed: exit 0" test "$RC" -eq 0
    check "download resumed: reports the parts already done" grep -q "^resumed: [1-9][0-9]* of $parts parts" "$T/stdout"
    check "download resumed: same bytes" cmp -s "$T/big" "$T/out/big"
    check "download resumed: only the file remains" test "$(ls -A "$T/out")" = big
    check "download resumed: the resume file is gone" test ! -e "$R"

    # A resume file that describes another transfer is refused, and kept.
    printf 's3xfer-resume 1\nkind get\nend\n' >"$R"
    run $X cp "$T/big" "s3://$B/big" --resume-file "$R"
    check "a foreign resume file: refused (exit $RC)" test "$RC" -ne 0 -a -n "$(grep 'resume file does not describe' "$T/stderr")"
    check "a foreign resume file: kept" test -s "$R"
}

fs_rules() { # fs_rules URL METHOD [JSON]: the fault server's rules (GET prints them)
    "$PY" -c 'import sys, urllib.request as u
r = u.Request(sys.argv[1] + "/__faults", data=sys.argv[3].encode() if len(sys.argv) > 3 else None, method=sys.argv[2])
print(u.urlopen(r).read().decode())' "$@"
}

group_integrity() { # against the fault server's S3 store, which keeps checksums (Swift does not)
    local fs_dir
    fs_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../servers/fault" && pwd)
    mkfifo "$T/fs.in"
    "$PY" "$fs_dir/fault_server.py" --port 0 <"$T/fs.in" >"$T/fs.port" 2>"$T/fs.err" &
    exec 9>"$T/fs.in" # the server exits when this closes (at the script's exit too)
    for _ in $(seq 1 100); do [ -s "$T/fs.port" ] && break; sleep 0.1; done
    local port
    port=$(head -n 1 "$T/fs.port")
    local url="http://127.0.0.1:$port"
    export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
    local X="$S3XFER --endpoint-url $url --no-progress --part-size 5MiB --memory-limit 16MiB"
    head -c 12000000 /dev/urandom >"$T/f12"
    run $X mb s3://integrity
    check "mb on the fault server" test "$RC" -eq 0
    run $X cp "$T/f12" s3://integrity/f12
    check "upload of 3 parts with CRC32C (FULL_OBJECT at Complete)" test "$RC" -eq 0
    run $X --stats-json "$T/ok.json" cp s3://integrity/f12 "$T/out/f12"
    check "download in 3 parts, checked against the object's CRC32C" cmp "$T/f12" "$T/out/f12"
    check "3 GETs and one HeadObject" test "$(json "$T/ok.json" 'j["requests"]')" = 4
    rm -f "$T/out/f12"
    fs_rules "$url" POST '[{"match":{"op":"HeadObject"},"fault":"checksum"}]' >/dev/null
    expect 7 "does not match its checksum" $X cp s3://integrity/f12 "$T/out/f12"
    check "the wrong CRC32C was served once" test "$(fs_rules "$url" GET | "$PY" -c 'import json, sys; print(json.load(sys.stdin)[0]["fired"])')" = 1
    exec 9>&-
}

case "$GROUP" in
usage | errors | cp | stdio | recursive | objects | stats | progress | interrupt | resume | integrity) "group_$GROUP" ;;
*)
    echo "unknown group '$GROUP'" >&2
    exit 2
    ;;
esac
echo "$GROUP: $CHECKS checks, $FAILED failed"
[ "$FAILED" -eq 0 ]
