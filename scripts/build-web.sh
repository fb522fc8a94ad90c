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
before=$(stat -c %s pkg/recforget_bg.wasm)

# Shrink it with npm's binaryen (Debian's wasm-opt 108 breaks the output). wasm-opt takes minutes
# here, so its output is kept by the input's hash and reused while the wasm does not change.
# WASM_OPT=0 skips it (a quicker loop while developing; the page works either way).
opt_cache="$CARGO_TARGET_DIR/wasm-opt"
mkdir -p "$opt_cache"
key=$(sha256sum pkg/recforget_bg.wasm | cut -c1-16)
if [ "${WASM_OPT:-1}" = 0 ]; then
    cp pkg/recforget_bg.wasm "$opt_cache/$key.wasm"
elif [ ! -f "$opt_cache/$key.wasm" ]; then
    (cd scripts/tools && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    echo "wasm-opt -Oz (a few minutes, once per change of the wasm)"
    scripts/tools/node_modules/.bin/wasm-opt -Oz --strip-debug --strip-producers \
        pkg/recforget_bg.wasm -o "$opt_cache/$key.tmp" && mv "$opt_cache/$key.tmp" "$opt_cache/$key.wasm"
    ls -t "$opt_cache"/*.wasm | tail -n +4 | xargs -r rm --
fi
cp "$opt_cache/$key.wasm" pkg/recforget_bg.wasm
bytes=$(stat -c %s pkg/recforget_bg.wasm)
gz=$(gzip -9 -c pkg/recforget_bg.wasm | wc -c)
echo "pkg/recforget_bg.wasm: $((before / 1024)) KB from wasm-bindgen, $((bytes / 1024)) KB after wasm-opt, $((gz / 1024)) KB gzipped (built in $(( $(date +%s) - started ))s)"

ensure_data
if [ ! -f data/web/dataset.json ] || [ data/ml-1m/dataset.json -nt data/web/dataset.json ]; then
    recforget web-data
fi
for f in checkpoints/bert4rec-ml1m/model.bpk data/web/dataset.json; do
    echo "$f: $(( $(stat -c %s "$f") / 1024 )) KB"
done
