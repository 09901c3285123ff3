#!/usr/bin/env python3
"""The documentation's link check, run by infra/book.sh (and so by the test command).

Checks README.md and every chapter of the book (docs/book/src), and fails, naming file and line, on:

- a relative link whose file does not exist, or whose anchor names no heading of that file (the
  heading ids mdBook gives a chapter; GitHub's for README.md and other Markdown); a link from the
  book to a Markdown file outside the book (mdBook would turn it into a dead `.html` link);
- a repository path named in backticks or in a code block (`shared/src/oauth/refresh.rs`,
  `functions/token-access/`, `./infra/bench.sh`) that does not exist; `<name>` in a path stands for
  any one name (`functions/<name>/src/main.rs`) and `{a,b}` for each of a and b;
- an `{{#include FILE:ANCHOR}}` of the book whose file or anchor does not exist;
- a chapter file that SUMMARY.md does not list (mdBook would not build it);
- an architecture picture (README's first code block under "## Architecture") that leaves out a
  module of shared/src or a function of functions/;
- outside the Markdown (.rs, .sh, .py, .json, .yaml, .toml, .mjs, .php, .txt files git tracks): a
  named `docs/...` path that does not exist, or a `README.md#anchor` / `docs/...md#anchor` whose
  heading does not exist.

`--self-test` runs the checker on small samples, a correct one and deliberately broken ones, and
fails unless it accepts the first and rejects each of the others.
"""

from __future__ import annotations

import argparse
import glob
import re
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path
from urllib.parse import unquote

BOOK_SRC = Path("docs/book/src")

# The repository's top-level folders a named path may start with.
PATH_ROOTS = ("shared", "functions", "infra", "tests", "cli", "docs", ".ci")
PATH_TOKEN = re.compile(r"^(?:\./)?(?:" + "|".join(re.escape(r) for r in PATH_ROOTS) + r")/[^\s]*$")
TOP_LEVEL_FILES = ("template.yaml", "Cargo.toml", "Cargo.lock", "README.md")

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
INLINE_CODE = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")
# [text](target "title") and ![alt](target); the text may hold one level of brackets.
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
INCLUDE = re.compile(r"\{\{#include\s+([^}\s:]+)(?::([^}\s]+))?\s*\}\}")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")

# Outside the Markdown: named docs paths and anchored Markdown links.
OTHER_SUFFIXES = (".rs", ".sh", ".py", ".json", ".yaml", ".yml", ".toml", ".mjs", ".php", ".txt")
DOCS_PATH = re.compile(r"(?<![\w/.-])(docs/[\w./-]*[\w/])(#[\w-]+)?")
README_ANCHOR = re.compile(r"(?<![\w/.-])(README\.md)(#[\w-]+)")


class Problems:
    """What the check found, each as `file:line: what is wrong`."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")


# --- Markdown reading -----------------------------------------------------------------------


def lines_outside_code(lines):
    """Yields (line number, line, in_code_block) for each (number, line); fences are in the block."""
    fence = None
    for number, line in lines:
        match = FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
            yield number, line, True
        elif fence is not None:
            if line.strip().startswith(fence[0] * len(fence)) and set(line.strip()) <= {fence[0]}:
                fence = None
            yield number, line, True
        else:
            yield number, line, False


def numbered(text: str):
    """A text's lines with their numbers, from 1."""
    return list(enumerate(text.split("\n"), start=1))


def heading_text(raw: str) -> str:
    """A heading's text as it reads: code spans, links and emphasis reduced to their text."""
    text = INLINE_CODE.sub(lambda m: m.group(2).strip(), raw)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"(\*+|(?<!\w)_+|_+(?!\w))", "", text)
    return text


def mdbook_id(text: str) -> str:
    """mdBook's heading id (mdbook-html's id_from_content)."""
    out = []
    for ch in text.strip().lower():
        if ch.isalnum() or ch in "_-":
            out.append(ch)
        elif ch.isspace():
            out.append("-")
    return "".join(out)


def github_id(text: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    out = []
    for ch in text.strip().lower():
        if ch.isalnum() or ch in "_-" or unicodedata.category(ch).startswith("M"):
            out.append(ch)
        elif ch == " ":
            out.append("-")
    return "".join(out)


def anchors(text: str, style) -> set[str]:
    """The ids of a Markdown text's headings, duplicates numbered as both renderers do."""
    seen: set[str] = set()
    for _, line, in_code in lines_outside_code(numbered(HTML_COMMENT.sub("", text))):
        if in_code:
            continue
        match = HEADING.match(line)
        if not match:
            continue
        base = style(heading_text(match.group(2)))
        candidate, counter = base, 0
        while candidate in seen:
            counter += 1
            candidate = f"{base}-{counter}"
        seen.add(candidate)
    return seen


def region(text: str, anchor: str) -> str | None:
    """The lines between `ANCHOR: name` and `ANCHOR_END: name` (mdBook's include anchors)."""
    start = re.search(rf"ANCHOR:\s*{re.escape(anchor)}\b[^\n]*\n", text)
    if not start:
        return None
    end = re.search(rf"\n[^\n]*ANCHOR_END:\s*{re.escape(anchor)}\b", text[start.end() :])
    if not end:
        return None
    body = text[start.end() : start.end() + end.start() + 1]
    return "\n".join(line for line in body.split("\n") if not re.search(r"ANCHOR(_END)?:", line))


def expand_includes(root: Path, path: Path, text: str, problems: Problems):
    """The chapter as mdBook renders it, as (line number, line): each {{#include}} replaced by what
    it includes, whose lines all carry the number of the include's line."""
    out = []
    for number, line in numbered(text):
        pieces, last = [], 0
        for match in INCLUDE.finditer(line):
            pieces.append(line[last : match.start()])
            pieces.append(included(root, path, number, match, problems))
            last = match.end()
        pieces.append(line[last:])
        out.extend((number, part) for part in "".join(pieces).split("\n"))
    return out


def included(root: Path, path: Path, number: int, match: re.Match, problems: Problems) -> str:
    target = (path.parent / match.group(1)).resolve()
    where = f"{rel(root, path)}:{number}"
    if not target.is_file():
        problems.add(where, f"{{{{#include {match.group(1)}}}}}: no such file")
        return ""
    text = target.read_text(encoding="utf-8")
    if not match.group(2):
        return text
    body = region(text, match.group(2))
    if body is None:
        problems.add(where, f"{{{{#include {match.group(1)}:{match.group(2)}}}}}: no such anchor in {rel(root, target)}")
        return ""
    return body


def without_comments(lines):
    """The lines with HTML comments blanked out (a comment may span lines)."""
    out, open_comment = [], False
    for number, line in lines:
        kept = ""
        while line:
            if open_comment:
                end = line.find("-->")
                if end < 0:
                    line = ""
                else:
                    line, open_comment = line[end + 3 :], False
            else:
                start = line.find("<!--")
                if start < 0:
                    kept, line = kept + line, ""
                else:
                    kept, line, open_comment = kept + line[:start], line[start + 4 :], True
        out.append((number, kept))
    return out


def rel(root: Path, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


# --- Named repository paths ------------------------------------------------------------------


def expand_braces(pattern: str) -> list[str]:
    match = re.search(r"\{([^{}]*,[^{}]*)\}", pattern)
    if not match:
        return [pattern]
    out = []
    for part in match.group(1).split(","):
        out.extend(expand_braces(pattern[: match.start()] + part + pattern[match.end() :]))
    return out


def path_exists(root: Path, token: str) -> bool:
    token = token[2:] if token.startswith("./") else token
    for pattern in expand_braces(re.sub(r"<[^<>/]+>", "*", token)):
        want_dir = pattern.endswith("/")
        pattern = pattern.rstrip("/")
        matches = glob.glob(str(root / pattern)) if any(c in pattern for c in "*?[") else (
            [str(root / pattern)] if (root / pattern).exists() else []
        )
        if not any(Path(m).is_dir() or not want_dir for m in matches):
            return False
    return True


def named_paths(line: str, in_code: bool):
    """The tokens of a line that name a repository path: in code spans, or anywhere in a code block."""
    spans = [line] if in_code else [m.group(2) for m in INLINE_CODE.finditer(line)]
    for span in spans:
        for token in span.split():
            token = token.strip("\"'(),;:")
            token = re.sub(r"[.,;:)]+$", "", token)
            token = token.split("#")[0]
            if PATH_TOKEN.match(token) and "$" not in token and "*" not in token:
                yield token


# --- The checks ------------------------------------------------------------------------------


def check_markdown(root: Path, path: Path, problems: Problems, in_book: bool) -> None:
    raw = path.read_text(encoding="utf-8")
    lines = expand_includes(root, path, raw, problems) if in_book else numbered(raw)
    where_file = rel(root, path)
    for number, line, in_code in lines_outside_code(without_comments(lines)):
        where = f"{where_file}:{number}"
        for token in named_paths(line, in_code):
            if not path_exists(root, token):
                problems.add(where, f"names `{token}`, which does not exist")
        if in_code:
            continue
        outside = INLINE_CODE.sub("", line)
        targets = [m.group(1) for m in INLINE_LINK.finditer(outside)]
        ref = REFERENCE_DEF.match(outside)
        if ref:
            targets.append(ref.group(1))
        for target in targets:
            check_link(root, path, where, target, problems, in_book)


def check_link(root: Path, path: Path, where: str, target: str, problems: Problems, in_book: bool) -> None:
    if not target or SCHEME.match(target) or target.startswith("//"):
        return
    file_part, _, anchor = target.partition("#")
    file_part = unquote(file_part)
    if file_part:
        dest = (path.parent / file_part).resolve()
        if not dest.exists():
            problems.add(where, f"link to {target}: {file_part} does not exist")
            return
        try:
            dest.relative_to(root.resolve())
        except ValueError:
            problems.add(where, f"link to {target} leaves the repository")
            return
        if in_book and dest.suffix == ".md":
            try:
                dest.relative_to((root / BOOK_SRC).resolve())
            except ValueError:
                problems.add(where, f"link to {target}: a Markdown file outside the book (mdBook makes it a dead .html link)")
                return
    else:
        dest = path.resolve()
    if not anchor:
        return
    if dest.suffix != ".md":
        if not re.fullmatch(r"L\d+(-L\d+)?", anchor):
            problems.add(where, f"link to {target}: an anchor into a file that is not Markdown")
        return
    ids = heading_ids(root, dest)
    if anchor not in ids:
        problems.add(where, f"link to {target}: no heading #{anchor} in {rel(root, dest)}")


def heading_ids(root: Path, dest: Path) -> set[str]:
    """The anchors of a Markdown file: mdBook's for a chapter (its includes expanded), else GitHub's."""
    text = dest.read_text(encoding="utf-8")
    if is_book_chapter(root, dest):
        text = "\n".join(line for _, line in expand_includes(root, dest, text, Problems()))
        return anchors(text, mdbook_id)
    return anchors(text, github_id)


def is_book_chapter(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to((root / BOOK_SRC).resolve())
        return True
    except ValueError:
        return False


def check_summary(root: Path, problems: Problems) -> None:
    src = root / BOOK_SRC
    summary = src / "SUMMARY.md"
    if not summary.is_file():
        problems.add(str(BOOK_SRC / "SUMMARY.md"), "missing")
        return
    listed = set()
    for match in INLINE_LINK.finditer(summary.read_text(encoding="utf-8")):
        if match.group(1):
            listed.add((src / unquote(match.group(1).split("#")[0])).resolve())
    for chapter in sorted(src.rglob("*.md")):
        if chapter.name != "SUMMARY.md" and chapter.resolve() not in listed:
            problems.add(rel(root, chapter), "not listed in SUMMARY.md, so mdBook does not build it")


def check_architecture(root: Path, problems: Problems) -> None:
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Architecture\s*$(.*?)(?=^## |\Z)", readme, re.M | re.S)
    picture = re.search(r"^```[^\n]*\n(.*?)^```", section.group(1), re.M | re.S) if section else None
    if not picture:
        problems.add("README.md", "no architecture picture (a code block under '## Architecture')")
        return
    picture = picture.group(1)
    shared = root / "shared/src"
    # A module is named on its own (`store/`, not `oauth/store/`); a function also as `functions/x`.
    names = []
    for entry in sorted(shared.iterdir()) if shared.is_dir() else []:
        if entry.is_dir():
            if (shared / f"{entry.name}.rs").exists():
                continue  # the files of module X.rs (its tests)
            names.append((f"{entry.name}/", r"(?<![\w/-])"))
        elif entry.suffix == ".rs" and entry.name != "lib.rs":
            names.append((entry.name, r"(?<![\w/-])"))
    functions = root / "functions"
    for entry in sorted(functions.iterdir()) if functions.is_dir() else []:
        if entry.is_dir():
            names.append((entry.name, r"(?<![\w-])"))
    for name, before in names:
        if not re.search(before + re.escape(name) + r"(?![\w-])", picture):
            problems.add("README.md", f"the architecture picture does not name `{name}`")


def check_other_files(root: Path, problems: Problems) -> None:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=root, check=True, capture_output=True, text=True
        ).stdout.split("\0")
    except (OSError, subprocess.CalledProcessError):
        listed = [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and ".git" not in p.parts]
    for name in listed:
        if not name.endswith(OTHER_SUFFIXES) or name == "docs/openapi.json":
            continue
        path = root / name
        if not path.is_file() or path.resolve() == Path(__file__).resolve():
            continue  # this checker's own samples name paths that do not exist
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.split("\n"), start=1):
            where = f"{name}:{number}"
            for match in DOCS_PATH.finditer(line):
                check_named(root, where, match.group(1), match.group(2), problems)
            for match in README_ANCHOR.finditer(line):
                check_named(root, where, match.group(1), match.group(2), problems)


def check_named(root: Path, where: str, name: str, anchor: str | None, problems: Problems) -> None:
    if not path_exists(root, name):
        problems.add(where, f"names `{name}`, which does not exist")
        return
    if anchor and name.endswith(".md"):
        if anchor[1:] not in heading_ids(root, root / name):
            problems.add(where, f"names `{name}{anchor}`: no such heading")


def check(root: Path) -> list[str]:
    problems = Problems()
    readme = root / "README.md"
    if readme.is_file():
        check_markdown(root, readme, problems, in_book=False)
    else:
        problems.add("README.md", "missing")
    for chapter in sorted((root / BOOK_SRC).rglob("*.md")):
        check_markdown(root, chapter, problems, in_book=True)
    check_summary(root, problems)
    check_architecture(root, problems)
    check_other_files(root, problems)
    return problems.items


# --- Self-test -------------------------------------------------------------------------------

SAMPLE = {
    "README.md": """# sample

## Quick start
<!-- ANCHOR: quick-start -->
```sh
./infra/local.sh
```
<!-- ANCHOR_END: quick-start -->

## Architecture
```
functions/f-one → shared/: api.rs · store/
```
Read [the book's chapter](docs/book/src/chapter.md#a-section) and [Quick start](#quick-start).
`functions/<name>/src/main.rs` is one function; `shared/src/{api.rs,store/}` the library.
""",
    "docs/book/src/SUMMARY.md": "# Summary\n\n- [Chapter](chapter.md)\n",
    "docs/book/src/chapter.md": """# Chapter

{{#include ../../../README.md:quick-start}}

## A section
See [below](#a-section), [the store](../../../shared/src/store/mod.rs) and `shared/src/api.rs`.
""",
    "infra/local.sh": "",
    "functions/f-one/src/main.rs": "",
    "shared/src/lib.rs": "",
    "shared/src/api.rs": "//! See `docs/book/src/chapter.md#a-section`.\n",
    "shared/src/store/mod.rs": "",
}

# What to break (file, text, replacement) and a word the problem must name.
BROKEN = {
    "a link to a missing file": ("docs/book/src/chapter.md", "[below](#a-section)", "[gone](gone.md)", "chapter.md:6: link to gone.md"),
    "a link to a missing anchor": ("docs/book/src/chapter.md", "[below](#a-section)", "[below](#no-section)", "no heading #no-section"),
    "a README link to a missing anchor": ("README.md", "#a-section)", "#b-section)", "no heading #b-section"),
    "a README link to a missing chapter": ("README.md", "src/chapter.md#", "src/chapters.md#", "chapters.md does not exist"),
    "a named path that does not exist": ("docs/book/src/chapter.md", "`shared/src/api.rs`", "`shared/src/oauth/refresh.rs`", "`shared/src/oauth/refresh.rs`"),
    "a named folder that does not exist": ("README.md", "`functions/<name>/src/main.rs`", "`functions/token-access/`", "`functions/token-access/`"),
    "a command that does not exist": ("README.md", "./infra/local.sh", "./infra/bench.sh", "`./infra/bench.sh`"),
    "a link from the book to Markdown outside it": ("docs/book/src/chapter.md", "[below](#a-section)", "[readme](../../../README.md)", "outside the book"),
    "an include anchor that does not exist": ("docs/book/src/chapter.md", ":quick-start}}", ":quickstart}}", "no such anchor"),
    "a SUMMARY.md entry without its file": ("docs/book/src/SUMMARY.md", "- [Chapter](chapter.md)\n", "- [Chapter](chapter.md)\n- [Other](other.md)\n", "other.md does not exist"),
    "an architecture picture without a module": ("README.md", "api.rs · store/", "api.rs", "does not name `store/`"),
    "an architecture picture without a function": ("README.md", "functions/f-one →", "→", "does not name `f-one`"),
    "a source file naming a missing doc": ("shared/src/api.rs", "chapter.md#a-section", "storage.md", "`docs/book/src/storage.md`"),
    "a source file naming a missing heading": ("shared/src/api.rs", "#a-section", "#b-section", "no such heading"),
}


def write_sample(root: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")


def self_test() -> int:
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        good = Path(tmp) / "good"
        write_sample(good, SAMPLE)
        problems = check(good)
        if problems:
            failures.append("the correct sample was refused:\n  " + "\n  ".join(problems))
        # An extra chapter that SUMMARY.md does not list.
        extra = dict(SAMPLE)
        extra["docs/book/src/unlisted.md"] = "# Unlisted\n"
        samples = {"a chapter file SUMMARY.md does not list": (extra, "not listed in SUMMARY.md")}
        for what, (name, old, new, expected) in BROKEN.items():
            if old not in SAMPLE[name]:
                failures.append(f"self-test sample for {what!r}: {old!r} is not in {name}")
                continue
            files = dict(SAMPLE)
            files[name] = SAMPLE[name].replace(old, new, 1)
            samples[what] = (files, expected)
        for index, (what, (files, expected)) in enumerate(samples.items()):
            root = Path(tmp) / f"broken-{index}"
            write_sample(root, files)
            problems = check(root)
            if not any(expected in problem for problem in problems):
                failures.append(f"{what} was not caught (wanted {expected!r}; got {problems})")
    for failure in failures:
        print(f"self-test: {failure}", file=sys.stderr)
    if failures:
        return 1
    print(f"self-test: the correct sample passes, and each of {len(BROKEN) + 1} broken samples fails")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--self-test", action="store_true", help="check the checker on broken samples")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    problems = check(args.root)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"error: {len(problems)} broken link(s) or named path(s) in the documentation", file=sys.stderr)
        return 1
    print("README.md and the book: every link, anchor and named path resolves")
    return 0


if __name__ == "__main__":
    sys.exit(main())
