#!/usr/bin/env bash
# The documentation book (docs/book): builds it and checks its links. The test command runs it
# right after the linters; alone, it needs no server: `./infra/book.sh`.
#
#   1. mdbook, pinned, installed from crates.io into cargo's own bin folder ($CARGO_HOME/bin, where
#      rustup puts cargo) when it is missing or another version: `cargo install mdbook --locked` (a
#      few minutes, once per machine: a fresh clone finds it there);
#   2. the link checker's self-test: deliberately broken samples must fail it (infra/check-book.py
#      --self-test);
#   3. `mdbook build docs/book` into docs/book/book/ (git-ignored); a missing chapter fails it;
#   4. the link check of docs/book/src and README.md (infra/check-book.py): a broken relative
#      link or anchor, a named repository path that does not exist, or an architecture picture
#      that leaves out a module of shared/src fails it.
set -euo pipefail

mdbook_version=0.5.4

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
say() { printf '\n==> %s\n' "$*"; }

tools="${CARGO_HOME:-$HOME/.cargo}"
mdbook="$tools/bin/mdbook"
# An mdbook of the pinned version already on the PATH does as well.
if [ "$("$mdbook" --version 2>/dev/null)" != "mdbook v$mdbook_version" ] &&
    [ "$(mdbook --version 2>/dev/null)" = "mdbook v$mdbook_version" ]; then
    mdbook=$(command -v mdbook)
fi
if [ "$("$mdbook" --version 2>/dev/null)" != "mdbook v$mdbook_version" ]; then
    say "Installing mdbook $mdbook_version into $tools/bin (cargo install; a few minutes, once)"
    # Only the search feature: the built-in server and file watcher are not needed to build.
    cargo install mdbook --locked --version "$mdbook_version" --no-default-features \
        --features search --root "$tools" --force --quiet
fi

say "The book's link checker rejects broken samples (infra/check-book.py --self-test)"
python3 infra/check-book.py --self-test

say "mdbook build docs/book"
"$mdbook" build docs/book

say "The book's and the README's links and named paths (infra/check-book.py)"
python3 infra/check-book.py
