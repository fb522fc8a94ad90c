#!/usr/bin/env bash
# Builds what the page needs: the wasm library, single-thread (pkg/) and threaded (pkg-threads/),
# and the page's data sample. Installs the wasm target, nightly's rust-src (the threaded build)
# and wasm-bindgen-cli (at the version Cargo.lock pins) when they are missing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || rustup target add wasm32-unknown-unknown
want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
    echo "installing wasm-bindgen-cli $want (about 10 minutes, once)"
    cargo install wasm-bindgen-cli --version "$want"
fi

# Shrinks pkg-like folder $1's wasm with npm's binaryen (Debian's wasm-opt 108 breaks the output).
# wasm-opt takes minutes here, so its output is kept by the input's hash and reused while the
# wasm does not change. WASM_OPT=0 skips it (a quicker loop while developing; the page works
# either way).
shrink() {
    local dir=$1 opt_cache="$CARGO_TARGET_DIR/wasm-opt"
    mkdir -p "$opt_cache"
    local key
    key=$(sha256sum "$dir/recforget_bg.wasm" | cut -c1-16)
    if [ "${WASM_OPT:-1}" = 0 ]; then
        cp "$dir/recforget_bg.wasm" "$opt_cache/$key.wasm"
    elif [ ! -f "$opt_cache/$key.wasm" ]; then
        (cd scripts/tools && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
        echo "wasm-opt -Oz on $dir (a few minutes, once per change of the wasm)"
        scripts/tools/node_modules/.bin/wasm-opt -Oz --enable-threads --enable-bulk-memory --strip-debug --strip-producers \
            "$dir/recforget_bg.wasm" -o "$opt_cache/$key.tmp" && mv "$opt_cache/$key.tmp" "$opt_cache/$key.wasm"
        ls -t "$opt_cache"/*.wasm | tail -n +7 | xargs -r rm --
    fi
    local before bytes gz
    before=$(stat -c %s "$dir/recforget_bg.wasm")
    cp "$opt_cache/$key.wasm" "$dir/recforget_bg.wasm"
    bytes=$(stat -c %s "$dir/recforget_bg.wasm")
    gz=$(gzip -9 -c "$dir/recforget_bg.wasm" | wc -c)
    echo "$dir/recforget_bg.wasm: $((before / 1024)) KB from wasm-bindgen, $((bytes / 1024)) KB after wasm-opt, $((gz / 1024)) KB gzipped"
}

# The single-thread build: WebGPU, and the CPU backend where the page is not cross-origin isolated.
started=$(date +%s)
cargo build --lib --target wasm32-unknown-unknown --profile wasm --no-default-features --features wgpu
wasm-bindgen --target web --no-typescript --out-dir pkg "$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm/recforget.wasm"
shrink pkg
echo "single-thread build: $(( $(date +%s) - started ))s"

# The threaded build: the CPU backend on every core (rayon's pool on Web Workers), CPU only.
# Shared memory and atomics need std rebuilt with them: nightly with rust-src, in its own target
# folder (another toolchain's artifacts).
started=$(date +%s)
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
rustup component add rust-src --toolchain nightly >/dev/null 2>&1 || rustup component add rust-src --toolchain nightly
threads_target="$CARGO_TARGET_DIR/threads"
# The memory is shared and imported (each worker instantiates the module on the same memory);
# wasm-bindgen sets up each thread's stack and thread-local storage through the TLS exports.
link="-C link-arg=--shared-memory -C link-arg=--import-memory -C link-arg=--max-memory=4294967296"
for symbol in __wasm_init_tls __tls_size __tls_align __tls_base; do link="$link -C link-arg=--export=$symbol"; done
RUSTFLAGS="-C target-feature=+atomics,+bulk-memory,+mutable-globals,+simd128 $link" \
    CARGO_TARGET_DIR="$threads_target" cargo +nightly build --lib --target wasm32-unknown-unknown --profile wasm \
    --no-default-features --features threads -Z build-std=panic_abort,std
wasm-bindgen --target web --no-typescript --out-dir pkg-threads "$threads_target/wasm32-unknown-unknown/wasm/recforget.wasm"
shrink pkg-threads
echo "threaded build: $(( $(date +%s) - started ))s"

ensure_data
if [ ! -f data/web/dataset.json ] || [ data/ml-1m/dataset.json -nt data/web/dataset.json ]; then
    recforget web-data
fi
for f in checkpoints/bert4rec-ml1m/model.bpk data/web/dataset.json; do
    echo "$f: $(( $(stat -c %s "$f") / 1024 )) KB"
done
