#!/usr/bin/env bash
# Record one real TLS 1.3 connection between `openssl s_server` and `openssl s_client` on
# 127.0.0.1, through the recording proxy of scripts/capture.sh (scripts/record_proxy.py), into
# tests/data/captures13/openssl-hrr-aes256.trace + .keylog (tests/captures.rs decodes it).
#
# The server takes only P-256 and the client's default key share is X25519, so the connection
# has a HelloRetryRequest; TLS_AES_256_GCM_SHA384 (SHA-384: 48-byte Finished), SNI, ALPN,
# OCSP stapling (status_request in the Certificate entry) and OpenSSL's two NewSessionTickets.
# The records after the ServerHello can only be read with the key log.
#
# Environment: OPENSSL (default /usr/bin/openssl), PYTHON (default python3). Loopback only;
# every process runs under `timeout`, the whole run under a 30 s watchdog.

set -euo pipefail

if [ -z "${SPECTLS_CAPTURE_WATCHDOG:-}" ]; then
    SPECTLS_CAPTURE_WATCHDOG=1 exec timeout 30 "$0" "$@"
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

OPENSSL=${OPENSSL:-/usr/bin/openssl}
PYTHON=${PYTHON:-python3}
CERTS=tests/data/certs
OUT=tests/data/captures13
NAME=openssl-hrr-aes256
PROC_TIMEOUT=10

WORK=$(mktemp -d "${TMPDIR:-/tmp}/spectls-capture13.XXXXXX")
BG_PIDS=()
cleanup() {
    local pid
    for pid in "${BG_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${BG_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
die() {
    echo "capture13.sh: FAIL: $*" >&2
    rm -f "$OUT/$NAME.trace" "$OUT/$NAME.keylog"
    exit 1
}
wait_for() { # wait_for <file> <sed-expr printing the value>; echoes the value
    local i v
    for i in $(seq 1 100); do
        v=$(sed -n "$2" "$1" 2>/dev/null | head -n1)
        if [ -n "$v" ]; then echo "$v"; return 0; fi
        sleep 0.05
    done
    return 1
}
expect() { grep -qE "$2" "$1" || { cat "$1" >&2; die "no /$2/ in $1"; }; }

"$OPENSSL" version | grep -q '^OpenSSL 3\.' || die "need OpenSSL 3.x at $OPENSSL"
for f in ca.pem server-ecdsa.pem server-ecdsa.key ocsp-ecdsa.der; do
    [ -s "$CERTS/$f" ] || die "$CERTS/$f missing (scripts/capture.sh makes it)"
done
mkdir -p "$OUT"
rm -f "$OUT/$NAME.trace" "$OUT/$NAME.keylog"

SRV=(s_server -accept 127.0.0.1:0 -naccept 1 -tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384
     -groups P-256 -cert "$CERTS/server-ecdsa.pem" -cert_chain "$CERTS/ca.pem"
     -key "$CERTS/server-ecdsa.key" -www -alpn http/1.1 -status_file "$CERTS/ocsp-ecdsa.der")
timeout "$PROC_TIMEOUT" "$OPENSSL" "${SRV[@]}" < /dev/null > "$WORK/server.log" 2>&1 &
BG_PIDS+=($!)
SPORT=$(wait_for "$WORK/server.log" 's/^ACCEPT 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p') \
    || { cat "$WORK/server.log" >&2; die "s_server did not start"; }

timeout "$PROC_TIMEOUT" "$PYTHON" scripts/record_proxy.py proxy --upstream "$SPORT" \
    --out "$WORK/body" --port-file "$WORK/proxy.port" --timeout $((PROC_TIMEOUT - 2)) &
PROXY_PID=$!
BG_PIDS+=("$PROXY_PID")
PPORT=$(wait_for "$WORK/proxy.port" 's/^\([0-9][0-9]*\)$/\1/p') || die "proxy did not start"

CLI=(s_client -connect "127.0.0.1:$PPORT" -tls1_3 -CAfile "$CERTS/ca.pem" -verify_return_error
     -verify_hostname localhost -servername localhost -alpn h2,http/1.1 -status -ign_eof
     -keylogfile "$OUT/$NAME.keylog")
printf 'GET / HTTP/1.0\r\n\r\n' | timeout "$PROC_TIMEOUT" "$OPENSSL" "${CLI[@]}" \
    > "$WORK/client.log" 2>&1 || { cat "$WORK/client.log" >&2; die "s_client failed"; }
wait "$PROXY_PID" || die "recording proxy failed"

expect "$WORK/client.log" '^New, TLSv1\.3, Cipher is TLS_AES_256_GCM_SHA384$'
expect "$WORK/client.log" '^Server Temp Key: ECDH, prime256v1, 256 bits$'
expect "$WORK/client.log" '^ALPN protocol: http/1\.1$'
expect "$WORK/client.log" 'Cert Status: good'
expect "$WORK/client.log" 'Verify return code: 0 \(ok\)'
expect "$OUT/$NAME.keylog" '^SERVER_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]{64} [0-9a-f]{96}$'
expect "$OUT/$NAME.keylog" '^CLIENT_TRAFFIC_SECRET_0 [0-9a-f]{64} [0-9a-f]{96}$'

{
    echo "# spectls capture v1"
    echo "# scenario: TLS 1.3, TLS_AES_256_GCM_SHA384, HelloRetryRequest (server takes only P-256, client's share X25519), SNI, ALPN (h2,http/1.1 -> http/1.1), status_request (OCSP in the Certificate entry), two NewSessionTickets"
    echo "# server: $OPENSSL ${SRV[*]}"
    echo "# client: $OPENSSL ${CLI[*]/127.0.0.1:$PPORT/127.0.0.1:PORT}"
    echo "# client stdin: GET / HTTP/1.0\\r\\n\\r\\n"
    echo "# openssl: $("$OPENSSL" version)"
    cat "$WORK/body"
} > "$OUT/$NAME.trace"
echo "capture13.sh: wrote $OUT/$NAME.trace and .keylog ($(grep -c '^[cs]2[cs] ' "$OUT/$NAME.trace") chunks)" >&2
