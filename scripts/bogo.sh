#!/usr/bin/env bash
# Runs BoringSSL's TLS test runner (BoGo) against spectls's shim (bogo/) and prints
# `N passed, M failed, K skipped` and the failures.
#
#   scripts/bogo.sh [--loose] [--test 'Pattern*;Other*'] [--expect FILE]
#
# The runner is a test tool, not project input: it is built from ../shared/bogo (BoringSSL's
# ssl/test/runner at a pinned commit, with its build script) into target/bogo; nothing of it is
# copied into the repository. Without ../shared/bogo the script says so and fails.
#   --loose        accept any failure for tests that expect one (-loose-errors); by default the
#                  shim's error must contain BoringSSL's error string (bogo/config.json ErrorMap)
#   --test P       only tests matching the runner's semicolon-separated glob patterns
#   --expect FILE  fail if a test listed in FILE (one name per line) did not pass: the tests
#                  that passed before must still pass (CI uses bogo/passing.txt)
#   --write-passing  rewrite bogo/passing.txt with the tests that passed (after a fix)
# Results: target/bogo/results.json (one entry per test), target/bogo/log.txt, and
# target/bogo/unimplemented.txt (what each skipped test asked for that the shim lacks).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

loose=() tests=() expect="" write_passing=""
while [ $# -gt 0 ]; do
  case "$1" in
    --loose) loose=(-loose-errors) ;;
    --test) tests=(-test "$2"); shift ;;
    --expect) expect="$2"; shift ;;
    --write-passing) write_passing=bogo/passing.txt ;;
    *) echo "usage: scripts/bogo.sh [--loose] [--test PATTERNS] [--expect FILE] [--write-passing]" >&2; exit 2 ;;
  esac
  shift
done

shared=$root/../shared/bogo
if [ ! -x "$shared/build.sh" ]; then
  echo "bogo.sh: $shared/build.sh not found: BoGo's runner comes from ../shared/bogo (see bogo/README.md)" >&2
  exit 1
fi
for tool in unshare ip; do
  PATH="$PATH:/usr/sbin:/sbin" command -v "$tool" >/dev/null || { echo "bogo.sh: $tool needed (Debian: iproute2, util-linux)" >&2; exit 1; }
done

out=$root/target/bogo
if [ ! -x "$out/runner.test" ] || [ "$shared/build.sh" -nt "$out/runner.test" ]; then
  "$shared/build.sh" "$out" >/dev/null
fi
# The dev profile: CI builds the same crates for `cargo test` right after, so they build once.
cargo build --locked -p spectls-bogo-shim --quiet
shim=$root/target/debug/bogo_shim

rm -f "$out/results.json" "$out/unimplemented.txt"
export BOGO_UNIMPLEMENTED_LOG=$out/unimplemented.txt
# The runner listens on [::1] first: in a private network namespace with IPv6 off it takes
# 127.0.0.1, and no test traffic can leave the namespace.
(cd "$out/runner" && PATH="$PATH:/usr/sbin:/sbin" unshare -n sh -c '
  for f in all lo; do echo 1 >/proc/sys/net/ipv6/conf/$f/disable_ipv6 2>/dev/null || true; done
  ip link set lo up
  exec "$@"' sh "$out/runner.test" -test.run TestAll -shim-path "$shim" \
    -shim-config "$root/bogo/config.json" -allow-unimplemented -pipe -num-workers 2 \
    -json-output "$out/results.json" "${loose[@]}" "${tests[@]}" >"$out/log.txt" 2>&1) || true

if [ ! -s "$out/results.json" ]; then
  echo "bogo.sh: the runner wrote no results; its log:" >&2
  tail -20 "$out/log.txt" >&2
  exit 1
fi
python3 - "$out/results.json" "$expect" "$write_passing" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["tests"]
def flat(node, prefix=""):
    for k, v in node.items():
        name = prefix + k
        if "actual" in v:
            yield name, v["actual"]
        else:
            yield from flat(v, name + ".")
tests = dict(flat(results))
passed = sorted(t for t, a in tests.items() if a == "PASS")
failed = sorted(t for t, a in tests.items() if a == "FAIL")
skipped = sorted(t for t, a in tests.items() if a == "SKIP")
for t in failed:
    print("FAILED", t)
print(f"bogo: {len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped")
if sys.argv[3]:
    with open(sys.argv[3], "w") as f:
        f.write("# BoGo tests that pass: CI (scripts/bogo.sh --expect) fails if one of them does not.\n")
        f.write("# Regenerate after a fix with scripts/bogo.sh --write-passing.\n")
        f.writelines(t + "\n" for t in passed)
    print(f"bogo: wrote {sys.argv[3]}")
if sys.argv[2]:
    want = [l.strip() for l in open(sys.argv[2]) if l.strip() and not l.startswith("#")]
    lost = [t for t in want if tests.get(t) != "PASS"]
    for t in lost:
        print("REGRESSED", t, tests.get(t, "not run"))
    if lost:
        print(f"bogo: {len(lost)} tests that passed before do not pass now")
        sys.exit(1)
PY
