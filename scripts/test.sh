#!/usr/bin/env bash
# Runs every test: formatting and lints (native and wasm), the Rust suite (unit and integration
# tests on tiny seeded models and real MovieLens-1M data), then the browser end-to-end tests in
# headless Chromium (the page, and the static site with a visitor's MovieLens file).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

started=$(date +%s)
# Vulkan on the CPU (lavapipe) for the wgpu tests, and Chromium for the browser tests.
missing=()
ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 || missing+=(mesa-vulkan-drivers libvulkan1)
command -v chromium >/dev/null || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}"
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
rustup component add rustfmt clippy >/dev/null 2>&1 || rustup component add rustfmt clippy
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || rustup target add wasm32-unknown-unknown
# Style first: formatting, then lints for the native crate and the wasm library.
cargo fmt --check
cargo clippy --all-targets -- -D warnings
cargo clippy --lib --target wasm32-unknown-unknown --no-default-features --features wgpu -- -D warnings
cargo build --bins --tests
ensure_data
# Every test runs here: a missing dataset or GPU adapter fails instead of skipping.
RECFORGET_REQUIRE_ALL=1 cargo test --no-fail-fast -- --test-threads=2

# The page's pure JS functions, in Node (no browser).
node --test tests/js/
bash scripts/build-web.sh
# The static site builds and holds nothing of MovieLens (its browser test serves it).
bash scripts/build-site.sh
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
RECFORGET_BIN="$CARGO_TARGET_DIR/debug/recforget" node --test --test-concurrency=1 tests/browser/e2e.test.mjs tests/browser/site.test.mjs
echo "scripts/test.sh: all tests passed in $(( $(date +%s) - started ))s"
