#!/usr/bin/env bash
# Writes site/: the page as a static site any host can serve (the page, the size-optimised wasm,
# the checkpoints it uses, the results as HTML), with no MovieLens-derived file in it — the
# visitor gives the page their own copy. Fails if a MovieLens-derived file would be published.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

cargo build --bins
bash scripts/build-web.sh
recforget site --out site
echo "site/ by part (bytes, gzip -9):"
# The parts as the site holds them (it leaves out the second seeds and the deletion set's model).
for part in index.html sw.js www pkg pkg-threads $(cd site && echo checkpoints/*) results; do
    files=$(cd site && find $part -type f | sort)
    raw=0; gz=0
    for f in $files; do
        raw=$((raw + $(stat -c %s "site/$f"))); gz=$((gz + $(gzip -9 -c "site/$f" | wc -c)))
    done
    printf '  %-34s %9d  %9d\n' "$part" "$raw" "$gz"
done
