#!/usr/bin/env bash
# Download tiny shakespeare (karpathy/char-rnn input.txt) into data/raw/shakespeare/, check its
# SHA-256, and convert it to data/shakespeare.h5 with lip_prepare.
# Usage: data/fetch_shakespeare.sh [path/to/lip_prepare]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
raw="$here/raw/shakespeare"
url="https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
sha="86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"

mkdir -p "$raw"
if ! { [[ -f "$raw/input.txt" ]] && echo "$sha  $raw/input.txt" | sha256sum -c --status; }; then
  echo "fetch_shakespeare: $url"
  if command -v curl >/dev/null; then curl -fsSL --retry 3 -o "$raw/input.txt.part" "$url"
  else wget -q -O "$raw/input.txt.part" "$url"; fi
  echo "$sha  $raw/input.txt.part" | sha256sum -c --status || {
    echo "fetch_shakespeare: SHA-256 mismatch for $url" >&2
    rm -f "$raw/input.txt.part"
    exit 1
  }
  mv "$raw/input.txt.part" "$raw/input.txt"
fi

prepare=${1:-${LIP_PREPARE:-$here/../build/lip_prepare}}
if [[ ! -x "$prepare" ]]; then
  echo "fetch_shakespeare: raw file is in $raw; build lip_prepare and run: lip_prepare shakespeare --raw $raw" >&2
  exit 1
fi
"$prepare" shakespeare --raw "$raw" --out "$here/shakespeare.h5"
