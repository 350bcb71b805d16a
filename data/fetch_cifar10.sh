#!/usr/bin/env bash
# Download the official CIFAR-10 binary version into data/raw/cifar10/ (data_batch_{1..5}.bin,
# test_batch.bin, batches.meta.txt) and convert it to data/cifar10.h5 with lip_prepare.
# Usage: data/fetch_cifar10.sh [path/to/lip_prepare]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
raw="$here/raw/cifar10"
url="https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
md5="c32a1d4ab5d03f1284b67883e8d87530"  # published MD5 of cifar-10-binary.tar.gz

mkdir -p "$raw"
if [[ ! -f "$raw/data_batch_1.bin" || ! -f "$raw/test_batch.bin" ]]; then
  archive="$raw/cifar-10-binary.tar.gz"
  echo "fetch_cifar10: $url"
  if command -v curl >/dev/null; then curl -fSL --retry 3 -o "$archive.part" "$url"
  else wget -O "$archive.part" "$url"; fi
  echo "$md5  $archive.part" | md5sum -c --status || {
    echo "fetch_cifar10: MD5 mismatch for $url" >&2
    rm -f "$archive.part"
    exit 1
  }
  mv "$archive.part" "$archive"
  # The archive holds cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin and batches.meta.txt.
  tar -xzf "$archive" -C "$raw" --strip-components=1
  rm -f "$archive"
fi

prepare=${1:-${LIP_PREPARE:-$here/../build/lip_prepare}}
if [[ ! -x "$prepare" ]]; then
  echo "fetch_cifar10: raw files are in $raw; build lip_prepare and run: lip_prepare cifar10 --raw $raw" >&2
  exit 1
fi
"$prepare" cifar10 --raw "$raw" --out "$here/cifar10.h5"
