#!/usr/bin/env bash
# Draws the handshake state machines for the README: the Graphviz text of each transition table,
# pinned by an insta snapshot (tests/snapshots/engine__<side>_dot.snap, tests/engine.rs), becomes
# docs/<side>-states.svg, which is committed.
#
#   scripts/diagram.sh           # (re)write docs/{client,server}{,13}-states.svg (TLS 1.2, 1.3)
#   scripts/diagram.sh --check   # draw into a temporary directory; fail if a committed SVG differs
#
# A snapshot that does not exist is an error. Needs Graphviz's `dot` (Debian:
# apt-get install graphviz fonts-liberation2). Its output is byte-for-byte repeatable, but the
# layout depends on the Graphviz version and on the fonts (text widths): the committed SVGs are
# drawn as .ci/run draws them, by Debian 12's graphviz 2.43 with Times as Liberation Serif.
set -euo pipefail
cd "$(dirname "$0")/.."

check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: scripts/diagram.sh [--check]" >&2; exit 2 ;;
esac

if ! command -v dot >/dev/null 2>&1; then
  echo "diagram.sh: Graphviz's dot not found (Debian: apt-get install graphviz)" >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stale=0
for side in client server client13 server13; do
  snap=tests/snapshots/engine__${side}_dot.snap
  svg=docs/${side}-states.svg
  if [ ! -f "$snap" ]; then
    echo "diagram.sh: $snap does not exist (tests/engine.rs writes it)" >&2
    exit 1
  fi
  # An insta snapshot is a YAML header between two `---` lines, then the snapshot itself.
  awk 'n >= 2 { print; next } /^---$/ { n++ }' "$snap" >"$tmp/$side.dot"
  if ! grep -q '^digraph' "$tmp/$side.dot"; then
    echo "diagram.sh: no digraph after the header of $snap" >&2
    exit 1
  fi
  dot -Tsvg "$tmp/$side.dot" >"$tmp/$side.svg"
  if [ "$check" = 1 ]; then
    if ! cmp -s "$tmp/$side.svg" "$svg"; then
      echo "diagram.sh: $svg is missing or is not what $snap draws" >&2
      stale=1
    fi
  else
    mkdir -p docs
    mv "$tmp/$side.svg" "$svg"
    echo "diagram.sh: wrote $svg"
  fi
done
if [ "$stale" = 1 ]; then
  echo "diagram.sh: run scripts/diagram.sh and commit docs/ ($(dot -V 2>&1))" >&2
  exit 1
fi
