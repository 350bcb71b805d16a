#!/usr/bin/env python3
"""Independent reference for GPT-2 byte-level BPE (the test oracle for src/text/bpe_tokenizer).

Written from the published algorithm (Radford et al. 2019, openai/gpt-2 `encoder.py`) with the
Python standard library only, so that it shares no code or regex engine with the C++ tokenizer:

  1. Pre-tokenize the text with GPT-2's pattern
         's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+
     as `regex.findall` applies it: at each position the first alternative that matches wins,
     and the next search starts where the match ended. The matcher below is written out by hand
     (no `re` / `regex`):
       \\p{L}  = general category L* (unicodedata.category),
       \\p{N}  = general category N*,
       \\s     = the Unicode White_Space property (what `regex` uses for \\s on str patterns).
  2. Encode each piece as UTF-8 and map every byte through bytes_to_unicode (the printable
     alphabet of encoder.json / vocab.bpe).
  3. BPE: repeatedly pick the adjacent pair with the lowest merge rank (line order of
     vocab.bpe) and merge all of its non-overlapping occurrences left to right, until no
     adjacent pair has a rank.
  4. Map the resulting symbols through encoder.json.

Unicode categories come from this Python's unicodedata (unidata_version is printed by --info);
the C++ side uses PCRE2's tables. Both must be built on the same Unicode version for
characters whose category changed between versions to agree.

Usage:
  gpt2_bpe.py --vocab-dir DIR STRING...           one JSON id list per string, one per line
  gpt2_bpe.py --vocab-dir DIR --strings-json F    F holds a JSON array of strings
  gpt2_bpe.py --vocab-dir DIR --text FILE         the whole file (UTF-8) as one id list
  gpt2_bpe.py --vocab-dir DIR --info              vocabulary size, EOT id, Unicode version
"""
import argparse
import json
import sys
import unicodedata

# Unicode White_Space (PropList.txt; unchanged since Unicode 6.3, when U+180E was removed).
WHITE_SPACE = frozenset(
    [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680]
    + list(range(0x2000, 0x200B))
    + [0x2028, 0x2029, 0x202F, 0x205F, 0x3000]
)

CONTRACTIONS = ("s", "t", "re", "ve", "m", "ll", "d")  # after an ASCII apostrophe, in pattern order


def is_space(ch):
    return ord(ch) in WHITE_SPACE


def is_letter(ch):
    return unicodedata.category(ch)[0] == "L"


def is_number(ch):
    return unicodedata.category(ch)[0] == "N"


def is_other(ch):
    return not (is_space(ch) or is_letter(ch) or is_number(ch))


def run_end(text, i, pred):
    """First index >= i whose character does not satisfy pred."""
    n = len(text)
    while i < n and pred(text[i]):
        i += 1
    return i


def match_at(text, i):
    """End of the GPT-2 pattern's match starting at i (alternatives in pattern order)."""
    n = len(text)
    ch = text[i]
    # 's|'t|'re|'ve|'m|'ll|'d
    if ch == "'":
        for c in CONTRACTIONS:
            if text.startswith(c, i + 1):
                return i + 1 + len(c)
    # ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional single U+0020, then a run.
    for pred in (is_letter, is_number, is_other):
        if ch == " " and i + 1 < n and pred(text[i + 1]):
            return run_end(text, i + 1, pred)
        if pred(ch):
            return run_end(text, i, pred)
    # `\s+(?!\S)`: the whitespace run, minus its last character when a non-space follows
    # (backtracking gives that character to the next piece); fails for a run of one there.
    end = run_end(text, i, is_space)
    assert end > i, "every character is a letter, number, space or other"
    if end == n:
        return end
    if end - 1 > i:
        return end - 1
    # `\s+`
    return end


def pre_tokenize(text):
    pieces = []
    i = 0
    while i < len(text):
        j = match_at(text, i)
        pieces.append(text[i:j])
        i = j
    return pieces


def bytes_to_unicode():
    """GPT-2's byte -> printable character table: printable Latin-1 bytes map to themselves,
    the other 68 bytes to U+0100 + k in byte order."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    table = {}
    k = 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + k)
            k += 1
    return table


class Gpt2Bpe:
    def __init__(self, vocab_dir):
        with open(f"{vocab_dir}/encoder.json", encoding="utf-8") as f:
            self.encoder = json.load(f)
        self.decoder = {v: k for k, v in self.encoder.items()}
        with open(f"{vocab_dir}/vocab.bpe", encoding="utf-8") as f:
            lines = f.read().split("\n")
        if lines and lines[0].startswith("#version"):
            lines = lines[1:]
        self.ranks = {}
        for rank, line in enumerate(l for l in lines if l):
            a, b = line.split(" ")
            self.ranks[(a, b)] = rank
        self.byte_encoder = bytes_to_unicode()
        self.byte_decoder = {c: b for b, c in self.byte_encoder.items()}
        self.cache = {}

    def bpe(self, piece):
        if piece in self.cache:
            return self.cache[piece]
        word = list(piece)
        while len(word) > 1:
            best = None
            for pair in zip(word, word[1:]):
                r = self.ranks.get(pair)
                if r is not None and (best is None or r < best[0]):
                    best = (r, pair)
            if best is None:
                break
            first, second = best[1]
            merged = []
            i = 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == first and word[i + 1] == second:
                    merged.append(first + second)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        self.cache[piece] = word
        return word

    def encode(self, text):
        ids = []
        for piece in pre_tokenize(text):
            symbols = "".join(self.byte_encoder[b] for b in piece.encode("utf-8"))
            ids.extend(self.encoder[s] for s in self.bpe(symbols))
        return ids

    def decode(self, ids):
        return bytes(self.byte_decoder[c] for i in ids for c in self.decoder[i])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vocab-dir", required=True, help="directory holding encoder.json and vocab.bpe")
    ap.add_argument("--strings-json", help="file with a JSON array of strings")
    ap.add_argument("--text", help="UTF-8 text file, encoded as a whole")
    ap.add_argument("--pieces", action="store_true", help="print the pre-tokenizer pieces instead of ids")
    ap.add_argument("--info", action="store_true")
    ap.add_argument("strings", nargs="*")
    args = ap.parse_args()
    bpe = Gpt2Bpe(args.vocab_dir)
    if args.info:
        print(json.dumps({"vocab_size": len(bpe.encoder), "merges": len(bpe.ranks),
                          "eot": bpe.encoder["<|endoftext|>"], "unicode": unicodedata.unidata_version}))
        return
    strings = list(args.strings)
    if args.strings_json:
        with open(args.strings_json, encoding="utf-8") as f:
            strings += json.load(f)
    if args.text:
        with open(args.text, encoding="utf-8", newline="") as f:
            strings.append(f.read())
    out = sys.stdout
    for s in strings:
        result = pre_tokenize(s) if args.pieces else bpe.encode(s)
        if not args.pieces:
            assert bpe.decode(result) == s.encode("utf-8"), "round trip failed"
        out.write(json.dumps(result, ensure_ascii=True, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
