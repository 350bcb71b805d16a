#!/usr/bin/env bash
# docs/INPUT_DECK.md documents every deck key: its tables must equal `lip_driver --describe-keys`.
set -euo pipefail
expected="$(OMP_PROC_BIND=false OMP_NUM_THREADS=1 "$LIP_BUILD_DIR/lip_driver" --describe-keys)"
doc="$LIP_SOURCE_DIR/docs/INPUT_DECK.md"
if ! diff <(printf '%s\n' "$expected") <(sed -n '/^## /,$p' "$doc") >/tmp/input_deck_docs.diff; then
  echo "docs/INPUT_DECK.md is out of date; regenerate it with lip_driver --describe-keys:"
  cat /tmp/input_deck_docs.diff
  exit 1
fi
echo "docs/INPUT_DECK.md documents all $(grep -c '^| `' "$doc") keys"
