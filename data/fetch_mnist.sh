#!/usr/bin/env bash
# Download the original MNIST IDX files into data/raw/mnist/, check their SHA-256, and convert
# them to data/mnist.h5 with lip_prepare. Usage: data/fetch_mnist.sh [path/to/lip_prepare]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
raw="$here/raw/mnist"
mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist" "http://yann.lecun.com/exdb/mnist")
# SHA-256 of the uncompressed originals (identical to the published values).
declare -A sha=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)

download() {  # download URL FILE
  if command -v curl >/dev/null; then curl -fsSL --retry 3 -o "$2" "$1"; else wget -q -O "$2" "$1"; fi
}

mkdir -p "$raw"
for name in "${!sha[@]}"; do
  if [[ -f "$raw/$name" ]] && echo "${sha[$name]}  $raw/$name" | sha256sum -c --status; then
    continue
  fi
  ok=0
  for mirror in "${mirrors[@]}"; do
    echo "fetch_mnist: $mirror/$name.gz"
    if download "$mirror/$name.gz" "$raw/$name.gz.part"; then
      gunzip -c "$raw/$name.gz.part" >"$raw/$name" && rm -f "$raw/$name.gz.part"
      if echo "${sha[$name]}  $raw/$name" | sha256sum -c --status; then ok=1; break; fi
      echo "fetch_mnist: checksum mismatch for $name from $mirror" >&2
    fi
  done
  rm -f "$raw/$name.gz.part"
  [[ $ok -eq 1 ]] || { echo "fetch_mnist: could not download a valid $name" >&2; exit 1; }
done

prepare=${1:-${LIP_PREPARE:-$here/../build/lip_prepare}}
if [[ ! -x "$prepare" ]]; then
  echo "fetch_mnist: raw files are in $raw; build lip_prepare and run: lip_prepare mnist --raw $raw" >&2
  exit 1
fi
"$prepare" mnist --raw "$raw" --out "$here/mnist.h5"
