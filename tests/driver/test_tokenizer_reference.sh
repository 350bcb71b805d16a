#!/usr/bin/env bash
# GPT-2 BPE: the C++ tokenizer (lip_prepare encode) against the independent Python reference
# regression/reference/gpt2_bpe.py on 41 test strings (scripts, emoji, whitespace runs, trailing
# spaces and newlines, contractions, digits, punctuation runs, control characters, mixed). Both
# the pre-tokenizer pieces and the ids must be identical; then the whole of tiny Shakespeare.
#
# Vocabulary: gpt2/ (or raw/gpt2/) under $LIP_DATA_DIR, the repository's data/, then ../shared/data
# (tests/driver/data_dirs.sh). Without it the test reports SKIPPED (exit 77).
set -euo pipefail

: "${LIP_SOURCE_DIR:?LIP_SOURCE_DIR must point at the repository}"
: "${LIP_BUILD_DIR:?LIP_BUILD_DIR must point at the build directory}"
PREPARE="$LIP_BUILD_DIR/lip_prepare"
PYTHON=/usr/bin/python3
REFERENCE="$LIP_SOURCE_DIR/regression/reference/gpt2_bpe.py"
[[ -x "$PREPARE" ]] || { echo "FAIL: $PREPARE not built"; exit 1; }

source "$LIP_SOURCE_DIR/tests/driver/data_dirs.sh"
VOCAB=$(find_data_dir gpt2 vocab.bpe)
if [[ -z "$VOCAB" || ! -f "$VOCAB/encoder.json" ]]; then
  echo "SKIPPED: GPT-2 vocabulary (gpt2/encoder.json, vocab.bpe) not found (set LIP_DATA_DIR; see data/README.md)"
  exit 77
fi
SHAKE=$(find_data_dir shakespeare input.txt)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/lip_test_tokref.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# ---- the test strings (JSON, so every character is exact) ---------------------------------
"$PYTHON" - "$TMP/strings.json" <<'EOF'
import json, sys
strings = [
    # plain English and contractions ('s 't 're 've 'm 'll 'd are case sensitive)
    "Hello world",
    "The quick brown fox jumps over the lazy dog.",
    "I'm sure you'll see: he's here, we've gone, they're out, I'd go, don't.",
    "I'M YOU'LL HE'S WE'VE THEY'RE I'D DON'T",
    "'s't're've'm'll'd 'x rock 'n' roll ''s",
    # whitespace: runs, trailing spaces and newlines, tabs, CRLF, Unicode spaces
    "a  b   c    d",
    "trailing spaces   ",
    "   leading spaces",
    "tabs\tand\t\ttabs\t",
    "line1\nline2\n\n\nline3\n",
    "windows\r\nline\r\n\r\n",
    "   \n  \n\t \n",
    " ",
    "\n",
    "ideographic\u3000space nbsp\u00a0x ls\u2028ps\u2029 nel\u0085\u0085y thin\u2009\u2009z",
    "a\u001cb\u001fc \u000b\u000c",
    "mongolian\u180e\u180evowel \u180e separator\u200b\u200bzwsp",
    # digits and numbers (Nd, No, Nl; several scripts)
    "12345678901234567890",
    "3.14159 2,718 1e-10 0x1F -42 +7% $19.99",
    "\u0663\u0664\u0665 \u0967\u0968 \u00bd \u00b2 \u216b \u2460\u2461 10\u00b3",
    # punctuation runs and code
    "!!!??? ... --- ***/// ~~~",
    "{\"json\": [1, 2.5, null], \"k\": \"v\"}",
    "<|endoftext|> is just text here",
    "C++ && std::vector<int> x{}; // comment",
    "http://example.com/path?q=1&r=two#frag",
    # scripts: Latin with diacritics, Greek, Cyrillic, Hebrew, Arabic, Devanagari, CJK, Hangul, Thai
    "Mr. O'Neil's caf\u00e9\u2014na\u00efve r\u00e9sum\u00e9\u2026 \u201cquotes\u201d \u2018single\u2019",
    "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac \u03ba\u03b5\u03af\u03bc\u03b5\u03bd\u03b1",
    "\u0420\u0443\u0441\u0441\u043a\u0438\u0439 \u0442\u0435\u043a\u0441\u0442, \u0401\u0436\u0438\u043a!",
    "\u05e2\u05d1\u05e8\u05d9\u05ea \u0627\u0644\u0639\u0631\u0628\u064a\u0629",
    "\u0939\u093f\u0928\u094d\u0926\u0940 \u092d\u093e\u0937\u093e",
    "\u4e2d\u6587\u6587\u672c\u548c\u65e5\u672c\u8a9e\u306e\u304b\u306a\u3001\u30ab\u30bf\u30ab\u30ca\u3002",
    "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8 \u0e44\u0e17\u0e22",
    "e\u0301 combining a\u0308 marks",
    "\U0001d518\U0001d52b\U0001d526\U0001d520\U0001d52c\U0001d521\U0001d522 math letters \ue000",
    # emoji: skin tones, ZWJ sequences, flags, variation selectors, inside words
    "\U0001f44b\U0001f3fd \U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 \U0001f1ef\U0001f1f5 \u2764\ufe0f",
    "emoji\U0001f642inside\U0001f600words \U0001f600\U0001f600\U0001f600",
    # mixed and edge cases
    "supercalifragilisticexpialidocious aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "MiXeD123abc!!  \n\tEND  ",
    "ends with newline and spaces \n  ",
    "\u0000nul\u0001ctrl\u007fdel",
    "",
]
assert len(strings) >= 20
json.dump(strings, open(sys.argv[1], "w", encoding="utf-8"), ensure_ascii=False)
print(f"{len(strings)} test strings")
EOF

"$PREPARE" encode --vocab-dir "$VOCAB" --strings-json "$TMP/strings.json" >"$TMP/cpp_ids.jsonl"
"$PREPARE" encode --vocab-dir "$VOCAB" --strings-json "$TMP/strings.json" --pieces >"$TMP/cpp_pieces.jsonl"
"$PYTHON" "$REFERENCE" --vocab-dir "$VOCAB" --strings-json "$TMP/strings.json" >"$TMP/py_ids.jsonl"
"$PYTHON" "$REFERENCE" --vocab-dir "$VOCAB" --strings-json "$TMP/strings.json" --pieces >"$TMP/py_pieces.jsonl"

TEXT_ARGS=()
if [[ -n "$SHAKE" ]]; then
  "$PREPARE" encode --vocab-dir "$VOCAB" --text "$SHAKE/input.txt" >"$TMP/cpp_shake.jsonl"
  "$PYTHON" "$REFERENCE" --vocab-dir "$VOCAB" --text "$SHAKE/input.txt" >"$TMP/py_shake.jsonl"
  TEXT_ARGS=("$TMP/cpp_shake.jsonl" "$TMP/py_shake.jsonl")
else
  echo "note: tiny Shakespeare not found; whole-text comparison skipped"
fi

"$PYTHON" - "$TMP" "${TEXT_ARGS[@]}" <<'EOF'
import json, sys
tmp = sys.argv[1]
strings = json.load(open(f"{tmp}/strings.json", encoding="utf-8"))
load = lambda name: [json.loads(l) for l in open(f"{tmp}/{name}", encoding="utf-8")]
failed = 0
for kind in ("pieces", "ids"):
    cpp, py = load(f"cpp_{kind}.jsonl"), load(f"py_{kind}.jsonl")
    if len(cpp) != len(strings) or len(py) != len(strings):
        print(f"FAIL {kind}: {len(cpp)} C++ / {len(py)} Python lines for {len(strings)} strings")
        failed += 1
        continue
    for i, (s, a, b) in enumerate(zip(strings, cpp, py)):
        if a != b:
            k = next((j for j in range(min(len(a), len(b))) if a[j] != b[j]), min(len(a), len(b)))
            print(f"FAIL {kind} of string {i} {s!r}: first difference at {k}: C++ {a[k:k+5]} vs Python {b[k:k+5]}")
            failed += 1
ids = load("py_ids.jsonl")
print(f"{len(strings)} strings: {sum(len(x) for x in ids)} ids, pieces and ids compared")
if len(sys.argv) > 2:
    a, b = (json.loads(open(p).read()) for p in sys.argv[2:4])
    if a != b:
        k = next((j for j in range(min(len(a), len(b))) if a[j] != b[j]), min(len(a), len(b)))
        print(f"FAIL tiny Shakespeare: {len(a)} C++ vs {len(b)} Python ids, first difference at {k}")
        failed += 1
    else:
        print(f"tiny Shakespeare: {len(a)} ids identical")
if failed:
    print(f"test_tokenizer_reference: {failed} mismatches")
    sys.exit(1)
print("test_tokenizer_reference: all identical")
EOF
