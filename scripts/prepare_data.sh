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
file="$dataset.h5"
for dir in ${LIP_DATA_DIR:-} "$LIP_REPO/data" "$LIP_REPO/../shared/data"; do
  [ -n "$dir" ] && [ -f "$dir/$file" ] && { echo "prepare_data: using $dir/$file"; exit 0; }
done
for dir in ${LIP_DATA_DIR:-} "$LIP_REPO/data/raw" "$LIP_REPO/data" "$LIP_REPO/../shared/data"; do
  if [ -n "$dir" ] && [ -d "$dir/$dataset" ]; then
    echo "prepare_data: converting $dir/$dataset -> $LIP_REPO/data/$file"
    "$LIP_BUILD_DIR/lip_prepare" "$dataset" --raw "$dir/$dataset" --out "$LIP_REPO/data/$file"
    exit 0
  fi
done
echo "prepare_data: no $dataset data found locally; downloading the public originals"
bash "$LIP_REPO/data/fetch_$dataset.sh"
