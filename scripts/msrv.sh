#!/usr/bin/env bash
# MSRV check (run by .ci/run). The MSRV is `rust-version` in the root Cargo.toml's
# [workspace.package]; every member inherits it (`rust-version.workspace = true`) and fuzz/, a
# workspace of its own, repeats it. From `cargo metadata` of both workspaces, with their locked
# dependency versions, this checks that
#   - every package of both workspaces declares that same rust-version;
#   - no locked dependency (normal, build or dev, any platform) declares a higher rust-version.
# What it does NOT check: that the code builds with that rustc (only a current stable toolchain
# is available to CI). Clippy's incompatible_msrv lint, on by default and denied in CI, reads
# rust-version and flags std APIs stabilised after it; newer language features go unnoticed.
#
# usage: scripts/msrv.sh     (needs cargo and jq)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v jq >/dev/null 2>&1; then
  echo "msrv.sh: jq not found (Debian: apt-get install jq)" >&2
  exit 1
fi

msrv=$(cargo metadata --format-version 1 --locked --no-deps |
  jq -r '.packages[] | select(.name == "spectls") | .rust_version // empty')
if [ -z "$msrv" ]; then
  echo "msrv.sh: the spectls package has no rust-version" >&2
  exit 1
fi

failed=0
for dir in . fuzz; do
  # Ours: the workspace's packages and path dependencies (fuzz/ depends on the root's crates by
  # path); the rest come from Cargo.lock.
  report=$( (cd "$dir" && cargo metadata --format-version 1 --locked) | jq -r --arg msrv "$msrv" --arg dir "$dir" '
    def ver: split(".") | map(tonumber) | (. + [0, 0, 0])[:3];
    [.packages[] | . + {ours: (.source == null)}] as $pkgs
    | ($pkgs | map(select(.ours))) as $ours
    | ($pkgs | map(select(.ours | not))) as $deps
    | ($ours[] | select(((.rust_version // "0") | ver) != ($msrv | ver))
       | "FAIL \($dir): package \(.name) has rust-version \(.rust_version // "(none)"), not \($msrv)"),
      ($deps[] | select(.rust_version != null) | select((.rust_version | ver) > ($msrv | ver))
       | "FAIL \($dir): dependency \(.name) \(.version) needs Rust \(.rust_version), above \($msrv)"),
      ($deps | map(select(.rust_version != null)) as $declared
       | ($declared | max_by(.rust_version | ver)) as $top
       | "\($dir): \($ours | map(.name) | join(", ")) at \($msrv); \($declared | length) of \($deps | length) locked dependencies declare a rust-version"
         + (if $top then ", the highest \($top.name) \($top.version) (\($top.rust_version))" else "" end))')
  echo "$report"
  if grep -q '^FAIL' <<<"$report"; then failed=1; fi
done
if [ "$failed" = 1 ]; then
  echo "msrv.sh: raise rust-version in Cargo.toml and fuzz/Cargo.toml, or lock older dependencies" >&2
  exit 1
fi
