#!/usr/bin/env bash
# recforget beside PyTorch in one run on this machine's CPU cores: the training step, scoring,
# the attribution of one genre and the distill step, each with the ratio recforget / PyTorch.
# PyTorch is a benchmark-only dependency, installed with pip in a virtual environment under
# ~/.cache/recforget (several GB: its wheels bring their CUDA libraries).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

cargo build --bins
ensure_data
venv="$HOME/.cache/recforget/bench-venv"
if ! "$venv/bin/python" -c 'import torch' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "torch==2.15.0" numpy
fi
out="${CARGO_TARGET_DIR}/bench-flex.json"
recforget bench --backend flex --json "$out"
"$venv/bin/python" bench/torch_bench.py "$out" data/ml-1m/dataset.json
