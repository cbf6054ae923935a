#!/usr/bin/env bash
# Record real TLS 1.2 handshakes between `openssl s_server` and `openssl s_client`
# on 127.0.0.1, through a recording proxy (scripts/record_proxy.py), into
# tests/data/captures/<name>.trace + <name>.keylog.
#
# usage: scripts/capture.sh [--regen-certs] [scenario ...]
#
#   --regen-certs   regenerate tests/data/certs/* even if they exist
#                   (otherwise certificates are only created when missing)
#   scenario ...    only record these scenarios (default: all)
#
# Environment: OPENSSL (default /usr/bin/openssl), PYTHON (default python3).
# Loopback only; every process runs under `timeout`, a watchdog aborts the
# whole run after 55 s, and background processes are killed on exit.
# See tests/data/captures/README.md.

set -euo pipefail

# Watchdog: the whole run must finish in < 60 s. Re-run ourselves under
# `timeout`; on expiry it sends TERM, our trap kills the background processes.
if [ -z "${SPECTLS_CAPTURE_WATCHDOG:-}" ]; then
    SPECTLS_CAPTURE_WATCHDOG=1 exec timeout 55 "$0" "$@"
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

OPENSSL=${OPENSSL:-/usr/bin/openssl}
PYTHON=${PYTHON:-python3}
CERTS=tests/data/certs
CAPS=tests/data/captures
PROXY=scripts/record_proxy.py
REQUEST=$'GET / HTTP/1.0\r\n\r\n'
DAYS=7305          # OCSP response validity (nextUpdate), ~20 years
PROC_TIMEOUT=10    # seconds, per openssl / proxy process

ALL_SCENARIOS=(ecdsa-aes128gcm ecdsa-aes256gcm ecdsa-chacha20 rsa-aes128gcm
               rsa-chacha20 resume-ticket resume-session-id)

REGEN=0
SELECTED=()
for arg in "$@"; do
    case $arg in
        --regen-certs) REGEN=1 ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "capture.sh: unknown option $arg" >&2; exit 2 ;;
        *) SELECTED+=("$arg") ;;
    esac
done
[ ${#SELECTED[@]} -gt 0 ] || SELECTED=("${ALL_SCENARIOS[@]}")
for s in "${SELECTED[@]}"; do
    case " ${ALL_SCENARIOS[*]} " in *" $s "*) ;; *) echo "capture.sh: unknown scenario $s" >&2; exit 2 ;; esac
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/spectls-capture.XXXXXX")
BG_PIDS=()

cleanup() {
    local pid
    for pid in "${BG_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${BG_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "capture.sh: interrupted (or 55 s watchdog expired)" >&2; exit 130' INT TERM

CURRENT=""   # scenario being recorded; its partial outputs are removed on failure
die() {
    echo "capture.sh: FAIL: $*" >&2
    [ -z "$CURRENT" ] || rm -f "$CAPS/$CURRENT.trace" "$CAPS/$CURRENT.keylog"
    exit 1
}
log() { echo "capture.sh: $*" >&2; }

"$OPENSSL" version | grep -q '^OpenSSL 3\.' || die "need OpenSSL 3.x at $OPENSSL, got: $("$OPENSSL" version)"
OPENSSL_VERSION=$("$OPENSSL" version)

# ---------------------------------------------------------------------------
# certificates
# ---------------------------------------------------------------------------

CERT_FILES=(ca.pem ca.key server-ecdsa.pem server-ecdsa.key server-rsa.pem server-rsa.key)

# Certificates are issued with `openssl ca` (not `x509 -req`) so that the
# validity period can be set explicitly: notBefore is back-dated to 2020 so
# that a wrong or older clock does not make them "not yet valid".
NOT_BEFORE=200101000000Z   # 2020-01-01 00:00:00 UTC
NOT_AFTER=491231235959Z    # 2049-12-31 23:59:59 UTC (last UTCTime year)

write_ca_config() {
    mkdir -p "$WORK/ca-db"
    : > "$WORK/ca-db/index.txt"
    echo "unique_subject = no" > "$WORK/ca-db/index.txt.attr"
    echo 1000 > "$WORK/ca-db/serial"   # CA 0x1000, ECDSA leaf 0x1001, RSA leaf 0x1002
    cat > "$WORK/ca.cnf" <<EOF
[ ca ]
default_ca = test_ca
[ test_ca ]
database = $WORK/ca-db/index.txt
new_certs_dir = $WORK/ca-db
serial = $WORK/ca-db/serial
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
[ policy_any ]
commonName = supplied
[ ext_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
[ ext_leaf_ecdsa ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ ext_leaf_rsa ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
}

ca_sign() { # ca_sign <csr> <out> <extensions section> [extra ca args]
    local csr=$1 out=$2 ext=$3; shift 3
    "$OPENSSL" ca -batch -config "$WORK/ca.cnf" -in "$csr" -out "$out" -extensions "$ext" \
        -startdate "$NOT_BEFORE" -enddate "$NOT_AFTER" -notext "$@" > "$WORK/ca.log" 2>&1 \
        || { cat "$WORK/ca.log" >&2; die "openssl ca failed for $out"; }
}

gen_leaf() { # gen_leaf <kind> <genpkey args...>
    local kind=$1; shift
    "$OPENSSL" genpkey "$@" -out "$CERTS/server-$kind.key" 2>/dev/null
    "$OPENSSL" req -new -key "$CERTS/server-$kind.key" -subj "/CN=localhost" \
        -out "$WORK/server-$kind.csr"
    ca_sign "$WORK/server-$kind.csr" "$WORK/server-$kind.leaf.pem" "ext_leaf_$kind" \
        -cert "$CERTS/ca.pem" -keyfile "$CERTS/ca.key"
    # chain file: leaf first, then the CA
    cat "$WORK/server-$kind.leaf.pem" "$CERTS/ca.pem" > "$CERTS/server-$kind.pem"
}

gen_certs() {
    log "generating certificates in $CERTS"
    mkdir -p "$CERTS"
    rm -f "$CERTS"/{ca.pem,ca.key,server-ecdsa.pem,server-ecdsa.key,server-rsa.pem,server-rsa.key}
    rm -f "$CERTS"/ocsp-*.der "$CERTS"/ocsp-index.txt "$CERTS"/ocsp-index.txt.attr
    write_ca_config
    "$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -pkeyopt ec_param_enc:named_curve -out "$CERTS/ca.key"
    "$OPENSSL" req -new -key "$CERTS/ca.key" -subj "/CN=spectls test CA" -out "$WORK/ca.csr"
    ca_sign "$WORK/ca.csr" "$CERTS/ca.pem" ext_ca -selfsign -keyfile "$CERTS/ca.key"
    gen_leaf ecdsa -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve
    gen_leaf rsa -algorithm RSA -pkeyopt rsa_keygen_bits:2048
}

# OCSP responses (DER) for s_server -status_file, signed directly by the CA.
gen_ocsp() {
    log "generating OCSP responses in $CERTS"
    local kind serial end subj
    : > "$CERTS/ocsp-index.txt"
    # both leaves are CN=localhost: allow duplicate subjects in the index
    echo "unique_subject = no" > "$CERTS/ocsp-index.txt.attr"
    for kind in ecdsa rsa; do
        "$OPENSSL" x509 -in "$CERTS/server-$kind.pem" -out "$WORK/$kind.leaf.pem"
        serial=$("$OPENSSL" x509 -in "$WORK/$kind.leaf.pem" -noout -serial | sed 's/^serial=//')
        end=$("$OPENSSL" x509 -in "$WORK/$kind.leaf.pem" -noout -enddate | sed 's/^notAfter=//')
        subj=$("$OPENSSL" x509 -in "$WORK/$kind.leaf.pem" -noout -subject -nameopt compat | sed 's/^subject=//')
        printf 'V\t%s\t\t%s\tunknown\t%s\n' "$(date -u -d "$end" +%y%m%d%H%M%SZ)" "$serial" "$subj" \
            >> "$CERTS/ocsp-index.txt"
    done
    for kind in ecdsa rsa; do
        "$OPENSSL" ocsp -issuer "$CERTS/ca.pem" -cert "$WORK/$kind.leaf.pem" -no_nonce \
            -reqout "$WORK/$kind.ocsp-req.der"
        "$OPENSSL" ocsp -index "$CERTS/ocsp-index.txt" -CA "$CERTS/ca.pem" \
            -rsigner "$CERTS/ca.pem" -rkey "$CERTS/ca.key" -resp_no_certs -ndays "$DAYS" \
            -reqin "$WORK/$kind.ocsp-req.der" -respout "$CERTS/ocsp-$kind.der"
        "$OPENSSL" ocsp -respin "$CERTS/ocsp-$kind.der" -CAfile "$CERTS/ca.pem" \
            -issuer "$CERTS/ca.pem" -cert "$WORK/$kind.leaf.pem" > "$WORK/ocsp-check.txt" 2>&1 \
            || { cat "$WORK/ocsp-check.txt" >&2; die "OCSP response for $kind does not verify"; }
        grep -q ': good$' "$WORK/ocsp-check.txt" || die "OCSP response for $kind is not 'good'"
    done
}

missing=0
for f in "${CERT_FILES[@]}"; do [ -s "$CERTS/$f" ] || missing=1; done
if [ $REGEN = 1 ] || [ $missing = 1 ]; then
    gen_certs
fi
if [ $REGEN = 1 ] || [ $missing = 1 ] || [ ! -s "$CERTS/ocsp-ecdsa.der" ] || [ ! -s "$CERTS/ocsp-rsa.der" ]; then
    gen_ocsp
fi
for kind in ecdsa rsa; do
    "$OPENSSL" verify -CAfile "$CERTS/ca.pem" "$CERTS/server-$kind.pem" >/dev/null \
        || die "$CERTS/server-$kind.pem does not verify against ca.pem"
done

# ---------------------------------------------------------------------------
# one capture
# ---------------------------------------------------------------------------

wait_for() { # wait_for <file> <sed-expr printing the value>; echoes the value
    local file=$1 expr=$2 i v
    for i in $(seq 1 100); do
        v=$(sed -n "$expr" "$file" 2>/dev/null | head -n1)
        if [ -n "$v" ]; then echo "$v"; return 0; fi
        sleep 0.05
    done
    return 1
}

# Wait for one background pid (started by us), forget it, return its status.
wait_pid() {
    local rc=0 p keep=()
    wait "$1" || rc=$?
    for p in "${BG_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    BG_PIDS=("${keep[@]}")
    return $rc
}

# run_client <logfile> <args...>: s_client with the request on stdin
run_client() {
    local out=$1; shift
    local rc=0
    printf '%s' "$REQUEST" | timeout "$PROC_TIMEOUT" "$OPENSSL" s_client "$@" > "$out" 2>&1 || rc=$?
    return $rc
}

# The part of the s_client output printed by s_client itself about the
# connection (stops at the HTTP response, whose -www body repeats similar
# lines as seen by the server).
client_info() { sed '/^HTTP\/1\.0 /,$d' "$1"; }

expect_line() { # expect_line <file> <fixed string, whole line> <what>
    grep -qxF -- "$2" "$1" || { sed 's/^/    | /' "$1" >&2; die "$3: expected line '$2' in $(basename "$1")"; }
}
expect_re() { # expect_re <file> <extended regexp> <what>
    grep -qE -- "$2" "$1" || { sed 's/^/    | /' "$1" >&2; die "$3: expected /$2/ in $(basename "$1")"; }
}
reject_re() {
    if grep -qE -- "$2" "$1"; then sed 's/^/    | /' "$1" >&2; die "$3: unexpected /$2/ in $(basename "$1")"; fi
}

temp_key_line() {
    case $1 in
        X25519) echo "Server Temp Key: X25519, 253 bits" ;;
        P-256) echo "Server Temp Key: ECDH, prime256v1, 256 bits" ;;
        P-384) echo "Server Temp Key: ECDH, secp384r1, 384 bits" ;;
        *) return 1 ;;
    esac
}

# capture <name> <description> <cert kind> <cipher> <group> <mode> <features>
#   mode: full | resume
#   features (comma separated): sni alpn status ticket noticket
capture() {
    local name=$1 desc=$2 kind=$3 cipher=$4 group=$5 mode=$6 features=",$7,"
    has() { case $features in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
    log "scenario $name"
    CURRENT=$name

    local naccept=1
    if [ "$mode" = resume ]; then naccept=2; fi
    local srv=(s_server -accept 127.0.0.1:0 -naccept "$naccept" -tls1_2 -cipher "$cipher" -groups "$group"
               -cert "$CERTS/server-$kind.pem" -cert_chain "$CERTS/ca.pem" -key "$CERTS/server-$kind.key"
               -www)
    has alpn && srv+=(-alpn http/1.1)
    has status && srv+=(-status_file "$CERTS/ocsp-$kind.der")
    has noticket && srv+=(-no_ticket)

    # The group is forced on the server side only: the client offers OpenSSL's
    # default supported_groups (in TLS 1.2 that list also has to contain the
    # curve of the server's ECDSA certificate, P-256, or the server finds no
    # usable certificate).
    local cli_common=(-tls1_2 -cipher "$cipher"
                      -CAfile "$CERTS/ca.pem" -verify_return_error -verify_hostname localhost -ign_eof)
    if has sni; then cli_common+=(-servername localhost); else cli_common+=(-noservername); fi
    has alpn && cli_common+=(-alpn h2,http/1.1)
    has status && cli_common+=(-status)

    local d="$WORK/$name"
    mkdir -p "$d"
    timeout "$PROC_TIMEOUT" "$OPENSSL" "${srv[@]}" < /dev/null > "$d/server.log" 2>&1 &
    local srv_pid=$!
    BG_PIDS+=("$srv_pid")
    local sport
    sport=$(wait_for "$d/server.log" 's/^ACCEPT 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p') \
        || { cat "$d/server.log" >&2; die "$name: s_server did not start"; }

    local setup_cmd=""
    if [ "$mode" = resume ]; then
        # first connection, straight to the server (not recorded), saves the session
        local first=(-connect "127.0.0.1:$sport" "${cli_common[@]}" -sess_out "$d/session.pem")
        run_client "$d/first.log" "${first[@]}" || { cat "$d/first.log" >&2; die "$name: first s_client failed"; }
        client_info "$d/first.log" > "$d/first.info"
        expect_line "$d/first.info" "New, TLSv1.2, Cipher is $cipher" "$name (first connection)"
        [ -s "$d/session.pem" ] || die "$name: first connection wrote no session (-sess_out)"
        setup_cmd="$OPENSSL s_client ${first[*]}"
        setup_cmd=${setup_cmd//"$d/"/'$TMP/'}
    fi

    timeout "$PROC_TIMEOUT" "$PYTHON" "$PROXY" proxy --upstream "$sport" --out "$d/body" \
        --port-file "$d/proxy.port" --timeout $((PROC_TIMEOUT - 2)) &
    local proxy_pid=$!
    BG_PIDS+=("$proxy_pid")
    local pport
    pport=$(wait_for "$d/proxy.port" 's/^\([0-9][0-9]*\)$/\1/p') || die "$name: proxy did not start"

    local keylog="$CAPS/$name.keylog"
    rm -f "$keylog" "$CAPS/$name.trace"
    local cli=(-connect "127.0.0.1:$pport" "${cli_common[@]}" -keylogfile "$keylog")
    if [ "$mode" = resume ]; then cli+=(-sess_in "$d/session.pem"); fi
    run_client "$d/client.log" "${cli[@]}" || { cat "$d/client.log" >&2; die "$name: s_client failed"; }
    wait_pid "$proxy_pid" || die "$name: recording proxy failed"
    wait_pid "$srv_pid" || { cat "$d/server.log" >&2; die "$name: s_server failed (or timed out)"; }

    # --- check what s_client says ---
    local info="$d/client.info"
    client_info "$d/client.log" > "$info"
    if [ "$mode" = resume ]; then
        expect_line "$info" "Reused, TLSv1.2, Cipher is $cipher" "$name"
    else
        expect_line "$info" "New, TLSv1.2, Cipher is $cipher" "$name"
        local temp_key
        temp_key=$(temp_key_line "$group") || die "$name: unknown group $group"
        expect_line "$info" "$temp_key" "$name"
    fi
    expect_line "$info" "    Protocol  : TLSv1.2" "$name"
    expect_line "$info" "    Cipher    : $cipher" "$name"
    expect_re "$info" "Verify return code: 0 \(ok\)" "$name"
    expect_line "$info" "    Extended master secret: yes" "$name"
    if has alpn; then expect_line "$info" "ALPN protocol: http/1.1" "$name"; fi
    if has status; then
        expect_re "$info" "OCSP Response Status: successful" "$name"
        expect_re "$info" "Cert Status: good" "$name"
    fi
    if has ticket; then expect_re "$info" "TLS session ticket lifetime hint" "$name"; fi
    if has noticket; then reject_re "$info" "TLS session ticket" "$name"; fi
    expect_re "$d/client.log" "^HTTP/1\.0 200 ok" "$name (HTTP answer)"
    expect_line "$d/client.log" "closed" "$name (close_notify from the server)"
    [ -s "$keylog" ] || die "$name: empty key log"
    expect_re "$keylog" "^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$" "$name (key log)"

    # --- write the trace and check what went over the wire ---
    {
        echo "# spectls capture v1"
        echo "# scenario: $desc"
        echo "# server: $OPENSSL ${srv[*]}"
        local cli_line="$OPENSSL s_client ${cli[*]}"
        echo "# client: ${cli_line//"$d/"/'$TMP/'}"
        echo "# client stdin: GET / HTTP/1.0\\r\\n\\r\\n"
        [ -z "$setup_cmd" ] || echo "# setup (not recorded, direct to the server): $setup_cmd"
        echo "# openssl: $OPENSSL_VERSION"
        cat "$d/body"
    } > "$d/trace"
    local sum="$d/summary"
    "$PYTHON" "$PROXY" summary "$d/trace" > "$sum"
    reject_re "$sum" "^error" "$name (trace)"
    expect_line "$sum" "sh version 0303" "$name (trace)"
    expect_line "$sum" "sh_ext extended_master_secret" "$name (trace)"
    expect_re "$sum" "^last c2s alert len" "$name (trace: client close_notify)"
    expect_re "$sum" "^last s2c alert len" "$name (trace: server close_notify)"
    expect_re "$sum" "^record c2s application_data" "$name (trace)"
    expect_re "$sum" "^record s2c application_data" "$name (trace)"
    if has sni; then expect_line "$sum" "ch_ext server_name" "$name (trace)";
    else reject_re "$sum" "^ch_ext server_name" "$name (trace)"; fi
    if has alpn; then expect_line "$sum" "sh_ext application_layer_protocol_negotiation" "$name (trace)"; fi
    if has status; then
        expect_line "$sum" "sh_ext status_request" "$name (trace)"
        expect_line "$sum" "hs s2c certificate_status" "$name (trace)"
    fi
    if [ "$mode" = full ]; then
        expect_line "$sum" "hs s2c certificate" "$name (trace)"
        expect_line "$sum" "hs s2c server_key_exchange" "$name (trace)"
        expect_line "$sum" "hs c2s client_key_exchange" "$name (trace)"
    else
        reject_re "$sum" "^hs s2c certificate$" "$name (trace: abbreviated handshake)"
        reject_re "$sum" "^hs c2s client_key_exchange" "$name (trace: abbreviated handshake)"
        expect_line "$sum" "sh session_id echoes client" "$name (trace: resumption)"
    fi
    if has ticket && [ "$mode" = full ]; then
        expect_line "$sum" "hs s2c new_session_ticket" "$name (trace)"
    fi
    if has ticket && [ "$mode" = resume ]; then
        expect_re "$sum" "^ch ticket_len [1-9]" "$name (trace: ticket offered)"
    fi
    if has noticket; then
        reject_re "$sum" "^sh_ext session_ticket" "$name (trace)"
        reject_re "$sum" "^hs s2c new_session_ticket" "$name (trace)"
    fi
    mv "$d/trace" "$CAPS/$name.trace"
    CURRENT=""
    log "  ok: $(grep -c '^c2s' "$CAPS/$name.trace") c2s + $(grep -c '^s2c' "$CAPS/$name.trace") s2c chunks, $(grep -c '^hs ' "$sum") handshake messages"
    unset -f has
}

mkdir -p "$CAPS"

for s in "${SELECTED[@]}"; do
    case $s in
        ecdsa-aes128gcm)
            capture "$s" "ECDHE-ECDSA-AES128-GCM-SHA256, X25519, full handshake with SNI, ALPN (h2,http/1.1 -> http/1.1), extended master secret, session ticket (NewSessionTicket), status_request (OCSP stapling)" \
                ecdsa ECDHE-ECDSA-AES128-GCM-SHA256 X25519 full sni,alpn,status,ticket ;;
        ecdsa-aes256gcm)
            capture "$s" "ECDHE-ECDSA-AES256-GCM-SHA384, secp384r1 (P-384), full handshake" \
                ecdsa ECDHE-ECDSA-AES256-GCM-SHA384 P-384 full ticket ;;
        ecdsa-chacha20)
            capture "$s" "ECDHE-ECDSA-CHACHA20-POLY1305, secp256r1 (P-256), full handshake" \
                ecdsa ECDHE-ECDSA-CHACHA20-POLY1305 P-256 full ticket ;;
        rsa-aes128gcm)
            capture "$s" "ECDHE-RSA-AES128-GCM-SHA256, X25519, full handshake with SNI and ALPN (h2,http/1.1 -> http/1.1)" \
                rsa ECDHE-RSA-AES128-GCM-SHA256 X25519 full sni,alpn,ticket ;;
        rsa-chacha20)
            capture "$s" "ECDHE-RSA-CHACHA20-POLY1305, secp256r1 (P-256), full handshake" \
                rsa ECDHE-RSA-CHACHA20-POLY1305 P-256 full ticket ;;
        resume-ticket)
            capture "$s" "ECDHE-ECDSA-AES128-GCM-SHA256, abbreviated handshake resuming an earlier session by session ticket (RFC 5077); only the resumed connection is recorded" \
                ecdsa ECDHE-ECDSA-AES128-GCM-SHA256 X25519 resume ticket ;;
        resume-session-id)
            capture "$s" "ECDHE-ECDSA-AES128-GCM-SHA256, abbreviated handshake resuming an earlier session by session ID (server -no_ticket); only the resumed connection is recorded" \
                ecdsa ECDHE-ECDSA-AES128-GCM-SHA256 X25519 resume noticket ;;
    esac
done

log "done in ${SECONDS}s ($OPENSSL_VERSION)"
