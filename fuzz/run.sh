#!/usr/bin/env bash
# Runs every fuzz target once, one after another (one core), for the time given per target, with
# the committed seeds; prints libFuzzer's final execution count per target.
#
#   fuzz/run.sh                  # decoders 3 min, alert/ccs 1 min, connections 7.5 min (~81 min)
#   SCALE=0.1 fuzz/run.sh        # a 5-minute smoke run
#   fuzz/run.sh handshake reassembler    # only these (their default time)
#   SECS_EACH=600 fuzz/run.sh    # every target 10 minutes (~150 min)
#
# Needs cargo-fuzz; works on stable through RUSTC_BOOTSTRAP=1 (libFuzzer wants -Zsanitizer).
# New inputs go to fuzz/corpus/<target>/ and crashes to fuzz/artifacts/<target>/, both ignored.
set -euo pipefail
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1
SCALE=${SCALE:-1}
declare -A SECS=(
  [plaintext]=180 [ciphertext]=180 [handshake]=180 [handshake13]=180 [extensions]=180 [registry]=180
  [alert]=60 [change_cipher_spec]=60
  [reassembler]=450 [client_fresh]=450 [server_fresh]=450
  [server_after_hello]=450 [client_after_flight]=450 [resumption]=450 [inplace]=450
  [stream]=450
)
ORDER=(plaintext ciphertext handshake handshake13 extensions registry alert change_cipher_spec
       reassembler client_fresh server_fresh server_after_hello client_after_flight resumption
       inplace stream)
if [ $# -gt 0 ]; then ORDER=("$@"); fi
cargo fuzz build
mkdir -p logs
for t in "${ORDER[@]}"; do
  secs=${SECS_EACH:-$(awk -v s="${SECS[$t]}" -v k="$SCALE" 'BEGIN { printf "%d", s * k + 0.5 }')}
  mkdir -p "corpus/$t"
  echo "== $t (${secs}s)"
  set +e
  cargo fuzz run "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$secs" -timeout=10 -print_final_stats=1 >"logs/$t.log" 2>&1
  rc=$?
  set -e
  grep -E '^stat::number_of_executed_units|^stat::average_exec_per_sec|^Done [0-9]+ runs' "logs/$t.log" || true
  if [ $rc -ne 0 ]; then
    echo "   exit $rc: see fuzz/logs/$t.log and fuzz/artifacts/$t/"
    grep -m3 -E 'panicked at|ERROR: libFuzzer|SUMMARY' "logs/$t.log" || true
  fi
done
