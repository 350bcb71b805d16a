# Sourced by driver tests that need real data (not a test itself).
# find_data_dir NAME FILE: the first of <base>/raw/NAME and <base>/NAME that holds FILE, for base in
# $LIP_DATA_DIR, the repository's data/, then ../shared/data beside the checkout (the project's
# search order, data/README.md); prints its absolute path, or nothing when no base has it.
find_data_dir() {
  local base d
  for base in ${LIP_DATA_DIR:+"$LIP_DATA_DIR"} "$LIP_SOURCE_DIR/data" "$LIP_SOURCE_DIR/../shared/data"; do
    for d in "$base/raw/$1" "$base/$1"; do
      if [[ -f "$d/$2" ]]; then (cd "$d" && pwd); return; fi
    done
  done
}

# prepare_mnist OUT: convert the raw MNIST files found by find_data_dir to OUT (lip_prepare), or end
# the calling test with SKIP (77) when no data directory has them. Needs $build from common.sh.
prepare_mnist() {
  local raw
  raw="$(find_data_dir mnist train-images-idx3-ubyte)"
  [ -n "$raw" ] || { echo "SKIP: raw MNIST not found (set LIP_DATA_DIR)"; exit 77; }
  "$build/lip_prepare" mnist --raw "$raw" --out "$1" >/dev/null || { echo "FAIL: lip_prepare mnist"; exit 1; }
}
