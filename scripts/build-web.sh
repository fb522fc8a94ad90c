#!/usr/bin/env bash
# Builds what the page needs: the wasm library (pkg/), and the page's data sample. Installs the
# wasm target and wasm-bindgen-cli (at the version Cargo.lock pins) when they are missing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || rustup target add wasm32-unknown-unknown
want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
    echo "installing wasm-bindgen-cli $want (about 10 minutes, once)"
    cargo install wasm-bindgen-cli --version "$want"
fi

started=$(date +%s)
cargo build --lib --target wasm32-unknown-unknown --profile wasm --no-default-features
wasm="$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm/recforget.wasm"
wasm-bindgen --target web --no-typescript --out-dir pkg "$wasm"
bytes=$(stat -c %s pkg/recforget_bg.wasm)
gz=$(gzip -9 -c pkg/recforget_bg.wasm | wc -c)
echo "pkg/recforget_bg.wasm: $((bytes / 1024)) KB, $((gz / 1024)) KB gzipped (built in $(( $(date +%s) - started ))s)"

ensure_data
if [ ! -f data/web/dataset.json ] || [ data/ml-1m/dataset.json -nt data/web/dataset.json ]; then
    recforget web-data
fi
for f in checkpoints/bert4rec-ml1m/model.bpk data/web/dataset.json; do
    echo "$f: $(( $(stat -c %s "$f") / 1024 )) KB"
done
