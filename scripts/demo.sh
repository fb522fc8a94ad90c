#!/usr/bin/env bash
# Runs the demo: builds what is missing and serves the page on http://127.0.0.1:8000/ with the
# shipped checkpoint and a sample of MovieLens-1M users. Extra arguments go to `recforget serve`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

cargo build --bins
bash scripts/build-web.sh
echo "open http://127.0.0.1:${PORT:-8000}/ (add ?backend=cpu to skip WebGPU)"
recforget serve --port "${PORT:-8000}" "$@"
