#!/usr/bin/env python3
"""Device-cleanliness lint for the CUDA backend (docs/KOKKOS_COMPAT.md).

    check_device_code.py SOURCE_DIR

Scans kernels/ and src/ for the bodies of KOKKOS_LAMBDA lambdas and of KOKKOS_INLINE_FUNCTION /
KOKKOS_FUNCTION functions — the code that runs on the device — and reports every construct that
compiles for the OpenMP backend but not for CUDA: calls into the std:: library (std::sqrt, std::max,
...; math goes through kernels/math.hpp), std::string / std::vector / iostreams, `this` (a lambda
must not capture the host object), throw, new/delete, the project's host-side LIP_REQUIRE, and
Kokkos host operations (deep_copy, create_mirror*, resize, fence). Exit 1 with file:line for each
finding, 0 when the device code is clean.
"""
import os
import re
import sys

FORBIDDEN = [
    (re.compile(r"\bstd::(?!size_t\b|ptrdiff_t\b|u?int\d+_t\b|numeric_limits\b)\w+\s*[(<]"), "std:: library call"),
    (re.compile(r"\bstd::(string|vector|cout|cerr|ostream|map|unique_ptr|shared_ptr)\b"), "host-only std:: type"),
    (re.compile(r"\bthis\b"), "`this` in device code"),
    (re.compile(r"\bthrow\b"), "throw in device code"),
    (re.compile(r"\bnew\b|\bdelete\b"), "new/delete in device code"),
    (re.compile(r"\bLIP_REQUIRE\b"), "host-side check in device code"),
    (re.compile(r"\bKokkos::(deep_copy|create_mirror\w*|resize|realloc|fence)\b"), "Kokkos host operation"),
]
START = re.compile(r"KOKKOS_LAMBDA|KOKKOS_INLINE_FUNCTION|KOKKOS_FUNCTION")


def strip_comments_and_strings(text):
    """Blank out comments and string literals, keeping offsets (and newlines) unchanged."""
    out, i, n = list(text), 0, len(text)
    while i < n:
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out[i:j] = " " * (j - i)
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out[i:j] = [c if c == "\n" else " " for c in text[i:j]]
            i = j
        elif text[i] == '"' or (text[i] == "'" and i > 0 and not text[i - 1].isalnum()):
            quote, j = text[i], i + 1
            while j < n and text[j] != quote:
                j += 2 if text[j] == "\\" else 1
            out[i + 1:j] = " " * (j - i - 1)
            i = j + 1
        else:
            i += 1
    return "".join(out)


def body_after(text, pos):
    """(start, end) of the brace-delimited body that follows pos, or None (a declaration)."""
    i = pos
    depth_paren = 0
    while i < len(text):
        c = text[i]
        if c == "(":
            depth_paren += 1
        elif c == ")":
            depth_paren -= 1
        elif c == ";" and depth_paren == 0:
            return None
        elif c == "{" and depth_paren == 0:
            break
        i += 1
    else:
        return None
    depth, j = 0, i
    while j < len(text):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return i, j
        j += 1
    return None


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    findings, bodies = [], 0
    for sub in ("kernels", "src"):
        for dirpath, _, files in os.walk(os.path.join(root, sub)):
            if os.sep + "reference" in dirpath:
                continue  # host reference implementations (test oracles), never on the device
            for name in sorted(files):
                if not name.endswith((".hpp", ".cpp")):
                    continue
                path = os.path.join(dirpath, name)
                text = strip_comments_and_strings(open(path, encoding="utf-8").read())
                for m in START.finditer(text):
                    span = body_after(text, m.end())
                    if span is None:
                        continue
                    bodies += 1
                    body = text[span[0]:span[1] + 1]
                    for pattern, what in FORBIDDEN:
                        for hit in pattern.finditer(body):
                            line = text.count("\n", 0, span[0] + hit.start()) + 1
                            rel = os.path.relpath(path, root)
                            findings.append(f"{rel}:{line}: {what}: `{hit.group(0).strip()}`")
    for f in findings:
        print(f)
    print(f"{bodies} device bodies scanned, {len(findings)} finding(s)")
    if bodies == 0:
        print("FAIL: no KOKKOS_LAMBDA / KOKKOS_INLINE_FUNCTION bodies found; wrong SOURCE_DIR?")
        return 1
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
