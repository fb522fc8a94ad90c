#!/usr/bin/env bash
# Runs the demo with the shipped checkpoint: prepares the data if needed, then evaluates the
# checkpoint and prints the three-protocol table. (The web page replaces this in its issue.)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

cargo build --bins
ensure_data
recforget evaluate "$@"
