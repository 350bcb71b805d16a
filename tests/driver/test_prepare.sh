#!/usr/bin/env bash
# lip_prepare on the real raw datasets: counts, attributes and every pixel/label/token compared
# with the raw files read independently in Python (h5py + numpy); then bad inputs, each of which
# must fail with one clear line and leave no output (nor .tmp) behind.
#
# Raw data: $LIP_DATA_DIR, else $LIP_SOURCE_DIR/../shared/data, else $LIP_SOURCE_DIR/data (each
# with mnist/, cifar10/, shakespeare/ or raw/<name>/). Without any, the test reports SKIPPED.
set -euo pipefail

: "${LIP_SOURCE_DIR:?LIP_SOURCE_DIR must point at the repository}"
: "${LIP_BUILD_DIR:?LIP_BUILD_DIR must point at the build directory}"
PREPARE="$LIP_BUILD_DIR/lip_prepare"
PYTHON=/usr/bin/python3
[[ -x "$PREPARE" ]] || { echo "FAIL: $PREPARE not built"; exit 1; }

# ---- locate the raw data -------------------------------------------------------------------
raw_dir() {  # raw_dir NAME -> first existing <base>/raw/NAME or <base>/NAME
  local base
  for base in ${LIP_DATA_DIR:+"$LIP_DATA_DIR"} "$LIP_SOURCE_DIR/../shared/data" "$LIP_SOURCE_DIR/data"; do
    for d in "$base/raw/$1" "$base/$1"; do
      if [[ -d "$d" ]]; then (cd "$d" && pwd); return; fi
    done
  done
}
MNIST_RAW=$(raw_dir mnist)
CIFAR_RAW=$(raw_dir cifar10)
SHAKE_RAW=$(raw_dir shakespeare)
if [[ -z "$MNIST_RAW" || -z "$CIFAR_RAW" || -z "$SHAKE_RAW" ]]; then
  echo "SKIPPED: raw datasets not found (set LIP_DATA_DIR; see data/README.md)"
  exit 77
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/lip_test_prepare.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
FAILED=0
fail() { echo "FAIL: $*"; FAILED=1; }

# ---- conversions ---------------------------------------------------------------------------
"$PREPARE" mnist --raw "$MNIST_RAW" --out "$TMP/mnist.h5"
"$PREPARE" cifar10 --raw "$CIFAR_RAW" --out "$TMP/cifar10.h5"
"$PREPARE" shakespeare --raw "$SHAKE_RAW" --out "$TMP/shakespeare.h5"
for f in mnist cifar10 shakespeare; do
  [[ ! -e "$TMP/$f.h5.tmp" ]] || fail "$f.h5.tmp left behind after a successful run"
done

"$PYTHON" - "$TMP" "$MNIST_RAW" "$CIFAR_RAW" "$SHAKE_RAW" <<'EOF'
import sys
import h5py
import numpy as np

tmp, mnist_raw, cifar_raw, shake_raw = sys.argv[1:5]
errors = []

def check(cond, what):
    if not cond:
        errors.append(what)

def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)

# ---- MNIST: IDX read with numpy, compared with the whole HDF5 arrays --------------------------
def idx(path, header):
    raw = np.fromfile(path, dtype=np.uint8)
    return raw[header:]

with h5py.File(f"{tmp}/mnist.h5", "r") as f:
    check(text(f.attrs["format"]) == "lipschitz-image-classification", "mnist format attr")
    check(int(f.attrs["version"]) == 1 and int(f.attrs["num_classes"]) == 10, "mnist version/num_classes")
    check(text(f.attrs["layout"]) == "idx", "mnist layout attr")
    for split, prefix, n in (("train", "train", 60000), ("test", "t10k", 10000)):
        img, lab = f[f"{split}/images"], f[f"{split}/labels"]
        check(img.shape == (n, 28, 28, 1) and img.dtype == np.uint8, f"mnist {split} images {img.shape} {img.dtype}")
        check(lab.shape == (n,) and lab.dtype == np.uint8, f"mnist {split} labels {lab.shape} {lab.dtype}")
        check(int(f[split].attrs["count"]) == n, f"mnist {split} count attr")
        raw_img = idx(f"{mnist_raw}/{prefix}-images-idx3-ubyte", 16).reshape(n, 28, 28, 1)
        raw_lab = idx(f"{mnist_raw}/{prefix}-labels-idx1-ubyte", 8)
        check(np.array_equal(img[...], raw_img), f"mnist {split} pixels differ from IDX")
        check(np.array_equal(lab[...], raw_lab), f"mnist {split} labels differ from IDX")
    # Well-known values: the first training digit is a 5, the first test digit a 7.
    check(f["train/labels"][0] == 5 and f["test/labels"][0] == 7, "mnist first labels (5, 7)")
    check(int(f["train/images"][0].sum()) == int(idx(f"{mnist_raw}/train-images-idx3-ubyte", 16)[:784].sum()),
          "mnist first image pixel sum")

# ---- CIFAR-10: records read with numpy, channel-major -> HWC ---------------------------------
def records(path):
    raw = np.fromfile(path, dtype=np.uint8)
    assert raw.size % 3073 == 0
    r = raw.reshape(-1, 3073)
    return r[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), r[:, 0]

with h5py.File(f"{tmp}/cifar10.h5", "r") as f:
    check(text(f.attrs["format"]) == "lipschitz-image-classification", "cifar format attr")
    check(text(f.attrs["layout"]) == "partial-binary", f"cifar layout attr {f.attrs['layout']}")
    check(text(f.attrs["class_names"]).split("\n")[:2] == ["airplane", "automobile"], "cifar class names")
    batches = {"train": [f"data_batch_{k}" for k in range(1, 6)], "test": ["test_batch"]}
    for split, n, counts in (("train", 8336, "4000 1017 1017 1285 1017"), ("test", 1017, "1017")):
        img, lab = f[f"{split}/images"], f[f"{split}/labels"]
        check(img.shape == (n, 32, 32, 3) and img.dtype == np.uint8, f"cifar {split} images {img.shape}")
        check(lab.shape == (n,), f"cifar {split} labels {lab.shape}")
        check(text(f[split].attrs["batch_counts"]) == counts, f"cifar {split} batch_counts")
        parts = [records(f"{cifar_raw}/{b}.partial.bin") for b in batches[split]]
        check(np.array_equal(img[...], np.concatenate([p[0] for p in parts])), f"cifar {split} pixels differ")
        check(np.array_equal(lab[...], np.concatenate([p[1] for p in parts])), f"cifar {split} labels differ")
        full = np.concatenate([np.fromfile(f"{cifar_raw}/{b}.labels", dtype=np.uint8)[:len(p[1])]
                               for b, p in zip(batches[split], parts)])
        check(np.array_equal(lab[...], full), f"cifar {split} labels differ from .labels files")
    # Known values: batch 1 image 0 is a frog (6), test image 0 a cat (3); pixel (h, w, c) = (0, 0, 0)
    # is record byte 1 and (0, 1, 2) is byte 1 + 2*1024 + 1.
    rec0 = np.fromfile(f"{cifar_raw}/data_batch_1.partial.bin", dtype=np.uint8, count=3073)
    check(f["train/labels"][0] == 6 and f["test/labels"][0] == 3, "cifar first labels (6, 3)")
    check(f["train/images"][0, 0, 0, 0] == rec0[1], "cifar pixel (0,0,0)")
    check(f["train/images"][0, 0, 1, 2] == rec0[1 + 2048 + 1], "cifar pixel (0,1,2)")
    check(f["train/images"][0, 31, 31, 1] == rec0[1 + 1024 + 1023], "cifar pixel (31,31,1)")

# ---- Shakespeare: sorted-unique-byte vocabulary, 90/10 split --------------------------------
data = np.fromfile(f"{shake_raw}/input.txt", dtype=np.uint8)
vocab = np.unique(data)
ids = np.searchsorted(vocab, data).astype(np.uint16)
with h5py.File(f"{tmp}/shakespeare.h5", "r") as f:
    check(text(f.attrs["format"]) == "lipschitz-char-tokens" and int(f.attrs["version"]) == 1, "char format attrs")
    v = f.attrs["vocabulary"]
    v = v if isinstance(v, bytes) else v.encode()
    check(v == b"\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "vocabulary string")
    check(int(f.attrs["vocab_size"]) == 65 and v == vocab.tobytes(), "vocab size 65")
    tr, va = f["train/tokens"], f["val/tokens"]
    check(tr.shape == (1003854,) and va.shape == (111540,), f"split sizes {tr.shape} {va.shape}")
    check(tr.dtype == np.uint16 and va.dtype == np.uint16, "token dtype uint16")
    check(np.array_equal(tr[...], ids[:1003854]) and np.array_equal(va[...], ids[1003854:]), "token ids differ")
    check(bytes(vocab[tr[:14]]) == b"First Citizen:", "first tokens decode to 'First Citizen:'")

if errors:
    print("python checks failed: " + "; ".join(e for e in errors if e))
    sys.exit(1)
print("python checks passed")
EOF

# ---- official CIFAR-10 layout (synthesized: full-size batches cycling the partial records) ----
mkdir -p "$TMP/cifar_official"
"$PYTHON" - "$CIFAR_RAW" "$TMP/cifar_official" <<'EOF'
import sys
import numpy as np
src, dst = sys.argv[1:3]
for k, name in enumerate([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]):
    rec = np.fromfile(f"{src}/{name}.partial.bin", dtype=np.uint8).reshape(-1, 3073)
    rec[(np.arange(10000) * 7 + k) % len(rec)].tofile(f"{dst}/{name}.bin")
EOF
cp "$CIFAR_RAW/batches.meta.txt" "$TMP/cifar_official/"
"$PREPARE" cifar10 --raw "$TMP/cifar_official" --out "$TMP/cifar_official.h5"
"$PYTHON" - "$TMP/cifar_official" "$TMP/cifar_official.h5" <<'EOF'
import sys
import h5py
import numpy as np
raw, out = sys.argv[1:3]
text = lambda v: v.decode() if isinstance(v, bytes) else str(v)
with h5py.File(out, "r") as f:
    assert text(f.attrs["layout"]) == "official-binary", f.attrs["layout"]
    assert f["train/images"].shape == (50000, 32, 32, 3) and f["test/images"].shape == (10000, 32, 32, 3)
    assert text(f["train"].attrs["batch_counts"]) == "10000 10000 10000 10000 10000"
    for split, names in (("train", [f"data_batch_{i}" for i in range(1, 6)]), ("test", ["test_batch"])):
        r = np.concatenate([np.fromfile(f"{raw}/{n}.bin", dtype=np.uint8).reshape(-1, 3073) for n in names])
        assert np.array_equal(f[f"{split}/labels"][...], r[:, 0]), split
        hwc = r[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        assert np.array_equal(f[f"{split}/images"][...], hwc), split
print("official CIFAR-10 layout checks passed")
EOF
rm -f "$TMP/cifar_official.h5"

# ---- bad inputs ----------------------------------------------------------------------------
# expect_failure NAME OUT EXPECTED_TEXT -- ARGS...: non-zero exit, one stderr line starting
# "lip_prepare: " and containing EXPECTED_TEXT, and neither OUT nor OUT.tmp afterwards.
expect_failure() {
  local name=$1 out=$2 expected=$3
  shift 4
  local rc=0
  "$PREPARE" "$@" --out "$out" >"$TMP/$name.stdout" 2>"$TMP/$name.stderr" || rc=$?
  local msg
  msg=$(cat "$TMP/$name.stderr")
  if [[ $rc -eq 0 ]]; then fail "$name: exited 0"; fi
  if [[ $(wc -l <"$TMP/$name.stderr") -ne 1 ]]; then fail "$name: expected one stderr line, got: $msg"; fi
  if [[ "$msg" != "lip_prepare: "* ]]; then fail "$name: message does not start with 'lip_prepare: ': $msg"; fi
  if [[ "$msg" != *"$expected"* ]]; then fail "$name: message lacks '$expected': $msg"; fi
  if [[ -e "$out" || -e "$out.tmp" ]]; then fail "$name: output or .tmp left behind"; fi
  echo "ok   $name: $msg"
}

link_all() {  # link_all SRC DST: DST gets symlinks to every file of SRC
  mkdir -p "$2"
  for f in "$1"/*; do ln -s "$f" "$2/"; done
}

expect_failure missing_raw "$TMP/bad_missing.h5" "does not exist" -- mnist --raw "$TMP/no_such_dir"

link_all "$MNIST_RAW" "$TMP/mnist_trunc"
rm "$TMP/mnist_trunc/t10k-images-idx3-ubyte"
head -c 5000016 "$MNIST_RAW/t10k-images-idx3-ubyte" >"$TMP/mnist_trunc/t10k-images-idx3-ubyte"
expect_failure truncated_idx "$TMP/bad_trunc.h5" "5000016 bytes, expected 16 + 10000*28*28 = 7840016" -- \
  mnist --raw "$TMP/mnist_trunc"

link_all "$MNIST_RAW" "$TMP/mnist_magic"
rm "$TMP/mnist_magic/t10k-labels-idx1-ubyte"
{ printf '\x00\x00\x08\x03'; tail -c +5 "$MNIST_RAW/t10k-labels-idx1-ubyte"; } \
  >"$TMP/mnist_magic/t10k-labels-idx1-ubyte"
expect_failure wrong_magic "$TMP/bad_magic.h5" "magic 0x00000803, expected 0x00000801" -- \
  mnist --raw "$TMP/mnist_magic"

link_all "$CIFAR_RAW" "$TMP/cifar_size"
rm "$TMP/cifar_size/data_batch_3.partial.bin"
head -c 3125000 "$CIFAR_RAW/data_batch_3.partial.bin" >"$TMP/cifar_size/data_batch_3.partial.bin"
expect_failure cifar_partial_size "$TMP/bad_cifar.h5" "3125000 bytes is not a multiple of the 3073-byte" -- \
  cifar10 --raw "$TMP/cifar_size"

link_all "$CIFAR_RAW" "$TMP/cifar_label"
rm "$TMP/cifar_label/test_batch.labels"
"$PYTHON" -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[10] = (b[10] + 1) % 10
open(sys.argv[2], "wb").write(b)' "$CIFAR_RAW/test_batch.labels" "$TMP/cifar_label/test_batch.labels"
expect_failure cifar_label_mismatch "$TMP/bad_label.h5" "record 10 has label" -- cifar10 --raw "$TMP/cifar_label"

head -c 30729999 "$TMP/cifar_official/data_batch_2.bin" >"$TMP/cifar_official/short.bin"
mv "$TMP/cifar_official/short.bin" "$TMP/cifar_official/data_batch_2.bin"
expect_failure cifar_official_size "$TMP/bad_official.h5" "30729999 bytes, expected 10000 records of 3073 bytes" -- \
  cifar10 --raw "$TMP/cifar_official"
rm -rf "$TMP/cifar_official"

mkdir -p "$TMP/empty_raw"
expect_failure no_shakespeare "$TMP/bad_shake.h5" "input.txt' not found" -- shakespeare --raw "$TMP/empty_raw"

expect_failure no_subcommand "$TMP/bad_cli.h5" "A subcommand is required" --

# A failed run leaves an existing output untouched.
cp "$TMP/shakespeare.h5" "$TMP/keep.h5"
"$PREPARE" shakespeare --raw "$TMP/empty_raw" --out "$TMP/keep.h5" 2>/dev/null && fail "keep: exited 0"
cmp -s "$TMP/keep.h5" "$TMP/shakespeare.h5" || fail "keep: existing output was modified by a failed run"
[[ ! -e "$TMP/keep.h5.tmp" ]] || fail "keep: .tmp left behind"

if [[ $FAILED -ne 0 ]]; then
  echo "test_prepare: FAILED"
  exit 1
fi
echo "test_prepare: all checks passed"
