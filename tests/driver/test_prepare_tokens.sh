#!/usr/bin/env bash
# lip_prepare tokenize / shards -> "lipschitz-tokens" files (docs/TOKENS.md).
#
#  shards:   synthetic modded-nanogpt .bin shards written here (random ids, several sizes), found
#            by glob and by explicit list; every token compared with h5py; then truncated,
#            oversized, wrong-magic, wrong-version, header-only-short and out-of-vocabulary shards,
#            globs that match nothing and a shard in both lists must each fail with one clear
#            line and leave no output (nor .tmp) behind.
#  tokenize: (needs gpt2/ and shakespeare/ in the data search dirs, else that part is skipped)
#            tiny Shakespeare -> ids equal to the Python reference (regression/reference/
#            gpt2_bpe.py), split floor(0.9 N) / rest; --val-fraction; invalid UTF-8 rejected with
#            its byte offset, or kept as single-byte tokens with --invalid-utf8 bytes.
set -euo pipefail

: "${LIP_SOURCE_DIR:?LIP_SOURCE_DIR must point at the repository}"
: "${LIP_BUILD_DIR:?LIP_BUILD_DIR must point at the build directory}"
PREPARE="$LIP_BUILD_DIR/lip_prepare"
PYTHON=/usr/bin/python3
REFERENCE="$LIP_SOURCE_DIR/regression/reference/gpt2_bpe.py"
[[ -x "$PREPARE" ]] || { echo "FAIL: $PREPARE not built"; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/lip_test_prepare_tokens.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
FAILED=0
fail() { echo "FAIL: $*"; FAILED=1; }

# expect_failure NAME OUT EXPECTED_TEXT -- ARGS...: non-zero exit, first stderr line starts with
# "lip_prepare: " and contains EXPECTED_TEXT, at most a HINT line besides, no OUT nor OUT.tmp.
expect_failure() {
  local name=$1 out=$2 expected=$3
  shift 4
  local rc=0
  "$PREPARE" "$@" --out "$out" >"$TMP/$name.stdout" 2>"$TMP/$name.stderr" || rc=$?
  local first lines
  first=$(head -n 1 "$TMP/$name.stderr")
  lines=$(wc -l <"$TMP/$name.stderr")
  if [[ $rc -eq 0 ]]; then fail "$name: exited 0"; fi
  if [[ $lines -ne 1 && ! ($lines -eq 2 && $(tail -n 1 "$TMP/$name.stderr") == "HINT: "*) ]]; then
    fail "$name: expected one stderr line (plus an optional HINT), got: $(cat "$TMP/$name.stderr")"
  fi
  if [[ "$first" != "lip_prepare: "* ]]; then fail "$name: message does not start with 'lip_prepare: ': $first"; fi
  if [[ "$first" != *"$expected"* ]]; then fail "$name: message lacks '$expected': $first"; fi
  if [[ -e "$out" || -e "$out.tmp" ]]; then fail "$name: output or .tmp left behind"; fi
  echo "ok   $name: $first"
}

# ---- shards ------------------------------------------------------------------------------
mkdir -p "$TMP/shards"
"$PYTHON" - "$TMP/shards" <<'EOF'
import sys
import numpy as np
d = sys.argv[1]
rng = np.random.default_rng(7)
def shard(path, tokens, magic=20240520, version=1, count=None, extra=b""):
    h = np.zeros(256, dtype="<i4")
    h[0], h[1], h[2] = magic, version, len(tokens) if count is None else count
    with open(path, "wb") as f:
        f.write(h.tobytes() + np.asarray(tokens, dtype="<u2").tobytes() + extra)
ids = lambda n: rng.integers(0, 50257, size=n)
toks = {"train_000001": ids(1000), "train_000002": ids(537), "train_000003": ids(0), "val_000000": ids(300)}
toks["train_000001"][:3] = [0, 50256, 65535 % 50257]
for name, t in toks.items():
    shard(f"{d}/{name}.bin", t)
    np.save(f"{d}/{name}.npy", t.astype(np.uint16))
bad = f"{d}/bad"
import os
os.mkdir(bad)
t = ids(100)
shard(f"{bad}/truncated.bin", t[:99], count=100)          # 1222 bytes for 100 tokens
shard(f"{bad}/trailing.bin", t, extra=b"\x00")            # one stray byte
shard(f"{bad}/magic.bin", t, magic=20240801)
shard(f"{bad}/version.bin", t, version=2)
open(f"{bad}/short.bin", "wb").write(b"\x00" * 1000)      # shorter than the header
bad_ids = t.copy(); bad_ids[5] = 60000
shard(f"{bad}/vocab.bin", bad_ids)
shard(f"{bad}/negative.bin", [], count=-5)
EOF

S="$TMP/shards"
"$PREPARE" shards --train "$S/train_*.bin" --val "$S/val_000000.bin" --out "$TMP/glob.h5"
"$PREPARE" shards --train "$S/train_000002.bin" "$S/train_000001.bin" --val "$S/val_*.bin" --out "$TMP/list.h5"
[[ ! -e "$TMP/glob.h5.tmp" && ! -e "$TMP/list.h5.tmp" ]] || fail "shards: .tmp left behind"

"$PYTHON" - "$TMP" <<'EOF'
import sys
import h5py
import numpy as np
tmp = sys.argv[1]
t = {n: np.load(f"{tmp}/shards/{n}.npy") for n in ("train_000001", "train_000002", "train_000003", "val_000000")}
text = lambda v: v.decode() if isinstance(v, bytes) else str(v)
for name, order in (("glob", ["train_000001", "train_000002", "train_000003"]), ("list", ["train_000002", "train_000001"])):
    with h5py.File(f"{tmp}/{name}.h5", "r") as f:
        assert text(f.attrs["format"]) == "lipschitz-tokens" and int(f.attrs["version"]) == 1, name
        assert int(f.attrs["vocab_size"]) == 50257 and text(f.attrs["tokenizer"]) == "gpt2", name
        src = text(f.attrs["source"])
        assert all(n in src for n in order) and "val_000000.bin" in src, src
        train, val = f["train/tokens"], f["val/tokens"]
        assert train.dtype == np.uint16 and val.dtype == np.uint16, name
        want = np.concatenate([t[n] for n in order])
        assert np.array_equal(train[...], want), f"{name}: train tokens differ"
        assert np.array_equal(val[...], t["val_000000"]), f"{name}: val tokens differ"
        assert int(f["train"].attrs["count"]) == len(want) and int(f["val"].attrs["count"]) == 300, name
print("shards: glob and explicit-list conversions match the shard bodies")
EOF

B="$S/bad"
expect_failure truncated "$TMP/bad.h5" "1222 bytes, expected 1024 + 2*100 = 1224 for the 100 tokens in its header (truncated?)" -- \
  shards --train "$S/train_000001.bin" "$B/truncated.bin" --val "$S/val_000000.bin"
expect_failure trailing "$TMP/bad.h5" "1225 bytes, expected 1024 + 2*100 = 1224 for the 100 tokens in its header (trailing bytes?)" -- \
  shards --train "$B/trailing.bin" --val "$S/val_000000.bin"
expect_failure magic "$TMP/bad.h5" "magic 20240801, expected 20240520" -- \
  shards --train "$S/train_000001.bin" --val "$B/magic.bin"
expect_failure version "$TMP/bad.h5" "version 2, expected 1" -- shards --train "$B/version.bin" --val "$S/val_000000.bin"
expect_failure short "$TMP/bad.h5" "1000 bytes, shorter than the 1024-byte header" -- \
  shards --train "$B/short.bin" --val "$S/val_000000.bin"
expect_failure negative "$TMP/bad.h5" "token count -5 in the header is negative" -- \
  shards --train "$B/negative.bin" --val "$S/val_000000.bin"
expect_failure vocab "$TMP/bad.h5" "vocab.bin': token 5 is 60000, expected an id below the vocabulary size 50257" -- \
  shards --train "$B/vocab.bin" --val "$S/val_000000.bin"
expect_failure nomatch "$TMP/bad.h5" "pattern '$S/fineweb_train_*.bin' matches no file" -- \
  shards --train "$S/fineweb_train_*.bin" --val "$S/val_000000.bin"
expect_failure missing "$TMP/bad.h5" "'$S/nope.bin' not found" -- shards --train "$S/nope.bin" --val "$S/val_000000.bin"
expect_failure overlap "$TMP/bad.h5" "is listed in both --train and --val" -- \
  shards --train "$S/*.bin" --val "$S/val_000000.bin"
expect_failure twice "$TMP/bad.h5" "is listed twice" -- \
  shards --train "$S/train_000001.bin" "$S/train_*.bin" --val "$S/val_000000.bin"
expect_failure no_val "$TMP/bad.h5" "--val is required" -- shards --train "$S/train_000001.bin"

# A failed run leaves an existing output untouched.
cp "$TMP/glob.h5" "$TMP/keep.h5"
"$PREPARE" shards --train "$B/magic.bin" --val "$S/val_000000.bin" --out "$TMP/keep.h5" 2>/dev/null && fail "keep: exited 0"
cmp -s "$TMP/keep.h5" "$TMP/glob.h5" || fail "keep: existing output was modified by a failed run"

# ---- tokenize ----------------------------------------------------------------------------
source "$LIP_SOURCE_DIR/tests/driver/data_dirs.sh"
VOCAB=$(find_data_dir gpt2 vocab.bpe)
SHAKE=$(find_data_dir shakespeare input.txt)
if [[ -z "$VOCAB" || -z "$SHAKE" ]]; then
  echo "note: gpt2/ or shakespeare/ not found; tokenize checks skipped (shards checks ran)"
else
  "$PREPARE" tokenize --text "$SHAKE/input.txt" --vocab-dir "$VOCAB" --out "$TMP/shake.h5" | tee "$TMP/tokenize.log"
  grep -q "MB/s" "$TMP/tokenize.log" || fail "tokenize: no speed line"
  printf 'First line\nsecond  line with   spaces \n\n' >"$TMP/small.txt"
  "$PREPARE" tokenize --text "$TMP/small.txt" --vocab-dir "$VOCAB" --val-fraction 0.25 --out "$TMP/small.h5" >/dev/null
  printf 'ok \xff\xfe bytes\n' >"$TMP/invalid.txt"
  "$PREPARE" tokenize --text "$TMP/invalid.txt" --vocab-dir "$VOCAB" --invalid-utf8 bytes --out "$TMP/invalid.h5" \
    >/dev/null
  "$PYTHON" "$REFERENCE" --vocab-dir "$VOCAB" --text "$SHAKE/input.txt" >"$TMP/shake_ref.json"
  "$PYTHON" "$REFERENCE" --vocab-dir "$VOCAB" --text "$TMP/small.txt" >"$TMP/small_ref.json"
  "$PYTHON" - "$TMP" "$VOCAB" "$REFERENCE" <<'EOF'
import json, sys, importlib.util
import h5py
import numpy as np
tmp, vocab, reference = sys.argv[1:4]
spec = importlib.util.spec_from_file_location("gpt2_bpe", reference)
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)
bpe = ref.Gpt2Bpe(vocab)
text = lambda v: v.decode() if isinstance(v, bytes) else str(v)
def check(name, want, frac):
    with h5py.File(f"{tmp}/{name}.h5", "r") as f:
        assert text(f.attrs["format"]) == "lipschitz-tokens" and int(f.attrs["version"]) == 1, name
        assert int(f.attrs["vocab_size"]) == 50257 and text(f.attrs["tokenizer"]) == "gpt2", name
        assert "GPT-2" in text(f.attrs["source"]), name
        tr, va = f["train/tokens"], f["val/tokens"]
        assert tr.dtype == np.uint16 and va.dtype == np.uint16, name
        n_train = int(np.floor(len(want) * (1 - frac)))
        assert tr.shape == (n_train,) and va.shape == (len(want) - n_train,), (name, tr.shape, va.shape)
        got = np.concatenate([tr[...], va[...]]).tolist()
        assert got == list(want), f"{name}: ids differ from the Python reference"
        assert int(f["train"].attrs["count"]) == n_train, name
        return got
shake = check("shake", json.loads(open(f"{tmp}/shake_ref.json").read()), 0.1)
print(f"tokenize: tiny Shakespeare {len(shake)} tokens = Python reference; split {int(len(shake) * 0.9)}")
assert bpe.decode(shake[:4]) == b"First Citizen:\n", bpe.decode(shake[:4])
check("small", json.loads(open(f"{tmp}/small_ref.json").read()), 0.25)
# invalid UTF-8 with --invalid-utf8 bytes: decodes to the exact file bytes
raw = open(f"{tmp}/invalid.txt", "rb").read()
with h5py.File(f"{tmp}/invalid.h5", "r") as f:
    ids = np.concatenate([f["train/tokens"][...], f["val/tokens"][...]]).tolist()
assert bpe.decode(ids) == raw, bpe.decode(ids)
assert ids == bpe.encode("ok ") + [bpe.encoder[bpe.byte_encoder[0xFF]], bpe.encoder[bpe.byte_encoder[0xFE]]] + bpe.encode(" bytes\n"), ids
print("tokenize: --val-fraction and --invalid-utf8 bytes checks passed")
EOF
  expect_failure invalid_utf8 "$TMP/bad_tok.h5" "invalid.txt': GPT-2 tokenizer: input is not valid UTF-8 at byte 3: byte 0xff never occurs in UTF-8" -- \
    tokenize --text "$TMP/invalid.txt" --vocab-dir "$VOCAB"
  expect_failure val_fraction "$TMP/bad_tok.h5" "--val-fraction 1: expected a value in (0, 1)" -- \
    tokenize --text "$TMP/small.txt" --vocab-dir "$VOCAB" --val-fraction 1
  expect_failure no_vocab "$TMP/bad_tok.h5" "GPT-2 encoder file '$TMP/encoder.json' not found" -- \
    tokenize --text "$TMP/small.txt" --vocab-dir "$TMP"
  expect_failure no_text "$TMP/bad_tok.h5" "text file '$TMP/none.txt' not found" -- \
    tokenize --text "$TMP/none.txt" --vocab-dir "$VOCAB"
fi

if [[ $FAILED -ne 0 ]]; then
  echo "test_prepare_tokens: FAILED"
  exit 1
fi
echo "test_prepare_tokens: all checks passed"
