#!/usr/bin/env bash
# Make sure the HDF5 dataset a deck needs exists: look in LIP_DATA_DIR, data/, ../shared/data;
# if only the raw originals are there, convert them with lip_prepare into data/; if nothing is
# there, download the public originals (data/fetch_<name>.sh) and convert.
#   scripts/prepare_data.sh DECK
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"
deck="$1"
dataset="$(awk '$1 == "data.dataset" {print $2}' "$deck" | tail -n 1)"
[ -n "$dataset" ] || { echo "prepare_data: $deck has no data.dataset key" >&2; exit 1; }
file="$(awk '$1 == "data.file" {print $2}' "$deck" | tail -n 1)"
[ -n "$file" ] || file="$dataset.h5"
for dir in ${LIP_DATA_DIR:-} "$LIP_REPO/data" "$LIP_REPO/../shared/data"; do
  [ -n "$dir" ] && [ -f "$dir/$file" ] && { echo "prepare_data: using $dir/$file"; exit 0; }
done
if [ "$dataset" = tokens ]; then
  if [ "$file" = shakespeare_gpt2.h5 ]; then
    echo "prepare_data: tokenizing tiny Shakespeare with the GPT-2 BPE -> $LIP_REPO/data/$file"
    "$LIP_BUILD_DIR/lip_prepare" tokenize --out "$LIP_REPO/data/$file"
    exit 0
  fi
  echo "prepare_data: $file not found; convert FineWeb shards with" >&2
  echo "  $LIP_BUILD_DIR/lip_prepare shards --train 'DIR/fineweb_train_*.bin' --val DIR/fineweb_val_000000.bin --out $LIP_REPO/data/$file" >&2
  exit 1
fi
for dir in ${LIP_DATA_DIR:-} "$LIP_REPO/data/raw" "$LIP_REPO/data" "$LIP_REPO/../shared/data"; do
  if [ -n "$dir" ] && [ -d "$dir/$dataset" ]; then
    echo "prepare_data: converting $dir/$dataset -> $LIP_REPO/data/$file"
    "$LIP_BUILD_DIR/lip_prepare" "$dataset" --raw "$dir/$dataset" --out "$LIP_REPO/data/$file"
    exit 0
  fi
done
echo "prepare_data: no $dataset data found locally; downloading the public originals"
bash "$LIP_REPO/data/fetch_$dataset.sh"
