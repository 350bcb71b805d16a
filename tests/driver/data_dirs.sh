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
