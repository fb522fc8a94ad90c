#!/usr/bin/env bash
# What needs a GPU, on a lent device machine (the `device` tool): the fair yardstick's trainings
# (what 2 CPU cores do in hours, an H200 does in minutes through burn-wgpu/Vulkan), and the GPU's
# speed beside PyTorch CUDA with burn's autotuning and kernel fusion off and on. Everything is
# built here; the machine gets a stripped CLI, the Vulkan loader and the data.
#
#   bash scripts/device.sh prepare [VARIANT...]
#       here: build the CLI in each VARIANT (plain, autotune, fused; plain alone by default),
#       strip and xz it into .device/VARIANT/, xz the data, fetch the Vulkan loader and
#       libglvnd (.deb) into .gl/
#   device run, carry [".device/plain", ".gl", "data/ml-1m/dataset.json.xz"]:
#       bash scripts/device.sh train SECONDS [MATCH]
#           the trainings whose command contains MATCH (all without it), side by side, within
#           SECONDS; each checkpoint folder comes back with its log as a .tar under $OUT
#   device run, carry [".device/VARIANT", ".gl", "data/ml-1m/dataset.json.xz"]:
#       bash scripts/device.sh bench VARIANT [BENCH FLAGS...]
#           `recforget bench` on wgpu (training step, scoring, attribution, distill step; its
#           defaults, or the flags given), then the same work in PyTorch on CUDA
#           (bench/torch_bench.py --device cuda), then the shipped checkpoint's test metrics on
#           wgpu (to read beside flex's); logs under $OUT
#   bash scripts/device.sh collect DIR   # here: copy the trainings that came back into checkpoints/
#
# The working tree travels with what is carried, at most 64 MiB in all, so one variant goes per
# call; a machine kept warm (30 s between calls) keeps what earlier calls unpacked.
# Each training resumes from the committed resume files and stops resumably at the deadline, so
# any share of the work that fits is kept, and the next machine (or the CPU) continues.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Every training of the yardsticks, in order; a finished one returns at once. The original goes
# first (continued until validation stops improving: its best epoch sets the schedule that
# `retrain` replays), then the genre replays (Action, Drama, Comedy, Action's second seed), then
# the deletion set D's replays (forget me: seed 42 and the noise floor's seed 7).
JOBS=(
    "train --epochs 400 --batch-size 128 --patience 6 --out checkpoints/bert4rec-ml1m"
    "retrain --exclude-genre Action --out checkpoints/retrain-action"
    "retrain --exclude-genre Drama --out checkpoints/retrain-drama"
    "retrain --exclude-genre Comedy --out checkpoints/retrain-comedy"
    "retrain --exclude-genre Action --seed 7 --out checkpoints/retrain-action-seed2"
    "retrain --delete standard --out checkpoints/retrain-deletion-set"
    "retrain --delete standard --seed 7 --out checkpoints/retrain-deletion-set-seed2"
)

# The CLI's builds for the device: burn-wgpu as shipped, with its autotuning, and with autotuning
# and kernel fusion (burn's own default for wgpu).
declare -A VARIANTS=([plain]="" [autotune]="--features gpu-autotune" [fused]="--features gpu-autotune,gpu-fusion")

prepare() {
    local variants=("${@:-plain}") variant
    source scripts/env.sh
    mkdir -p .gl /tmp/amd64/partial
    for variant in "${variants[@]}"; do
        [[ -v "VARIANTS[$variant]" ]] || { echo "no variant $variant: plain, autotune or fused" >&2; exit 2; }
        # shellcheck disable=SC2086
        cargo build --bin recforget ${VARIANTS[$variant]}
        mkdir -p ".device/$variant"
        # Stripped it is still about 61 MB; xz makes it 11-14 MB, which fits the 64 MiB that
        # travels beside the tracked files (47.5 MB, most of it checkpoints) and the data.
        strip -o ".device/$variant/recforget" "$CARGO_TARGET_DIR/debug/recforget"
        xz -9 -T0 -f ".device/$variant/recforget"
    done
    ensure_data
    xz -9 -T0 -kf data/ml-1m/dataset.json
    local o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
    # The Vulkan loader, and libglvnd (the NVIDIA driver's ICD loads it); both need only libc6.
    if ! ls .gl/libvulkan1_*.deb .gl/libglvnd0_*.deb >/dev/null 2>&1; then
        apt-get "${o[@]}" update >/dev/null
        (cd .gl && apt-get "${o[@]}" download libvulkan1 libglvnd0 libegl1 libopengl0 libgl1 libglx0 libgles2)
    fi
    local tracked
    tracked=$(git ls-files -z | xargs -0 du -cb | tail -1 | cut -f1)
    for variant in "${variants[@]}"; do
        local carried
        carried=$(du -cb .device/"$variant" .gl data/ml-1m/dataset.json.xz | tail -1 | cut -f1)
        echo "travels with $variant: $((tracked + carried)) bytes of 67108864 (the tracked files $tracked)"
    done
}

# Unpacks an .xz file beside itself (the device image may lack the xz tool; its python3 has lzma).
unxz_kept() {
    if command -v xz >/dev/null; then
        xz -dkf "$1"
    else
        python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[1][:-3], "wb"))' "$1"
    fi
}

# There: the CLI of VARIANT and the data unpacked, the Vulkan loader installed and pointed at the
# NVIDIA driver's ICD; sets CLI and GPU (the card's name).
on_device() {
    local variant=$1
    [ -f ".device/$variant/recforget.xz" ] || { echo "no .device/$variant/recforget.xz: carry it (prepare $variant here)" >&2; exit 2; }
    unxz_kept ".device/$variant/recforget.xz"
    chmod +x ".device/$variant/recforget"
    CLI=".device/$variant/recforget"
    # The data travels compressed (the working tree that travels is at most 64 MiB).
    if [ -f data/ml-1m/dataset.json.xz ]; then unxz_kept data/ml-1m/dataset.json.xz; fi
    # The device image has no Vulkan loader (nor the libglvnd libraries the NVIDIA ICD loads); a
    # machine that has them (this one, trying the script) keeps its own.
    if ! ldconfig -p | grep -q 'libvulkan.so.1 ' || ! ldconfig -p | grep -q 'libEGL.so.1 '; then
        for f in .gl/*.deb; do dpkg -x "$f" /; done
        ldconfig
    fi
    export XDG_RUNTIME_DIR=/tmp
    local icd
    icd=$(find /usr/local/nvidia /usr/share/vulkan /etc/vulkan -name 'nvidia_icd*.json' 2>/dev/null | head -1 || true)
    if [ -n "$icd" ]; then export VK_DRIVER_FILES=$icd; fi
    local egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
    if [ -f "$egl" ]; then export __EGL_VENDOR_LIBRARY_FILENAMES=$egl; fi
    echo "Vulkan driver: ${icd:-none found}"
    GPU=$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1 || echo "a GPU")
}

train() {
    local budget=${1:?how many seconds the trainings may take}
    local only=${2:-}
    on_device plain
    local gpu=$GPU
    # The jobs whose command contains $only (all without it) train side by side: one small model
    # leaves an H200 mostly idle, so two at once take about as long as one.
    local job out pids=()
    mkdir -p logs/device
    for job in "${JOBS[@]}"; do
        [[ -z "$only" || "$job" == *"$only"* ]] || continue
        out=${job##*--out }
        echo "== $job (${budget} s)"
        # shellcheck disable=SC2086
        # Without a Vulkan adapter the jobs share the machine's CPU cores (flex) instead.
        (
            log="logs/device/$(basename "$out").log"
            $CLI $job --backend wgpu --time-limit "$budget" --note "$gpu (wgpu on Vulkan)" 2>&1 \
                | grep -v XDG_RUNTIME_DIR >"$log"
            if grep -q 'no wgpu adapter' "$log"; then
                local threads=$(( $(nproc) / 2 ))
                $CLI $job --backend flex --threads "$threads" --time-limit "$((budget - 10))" \
                    --note "$(nproc)-core device machine's CPU" >>"$log" 2>&1
            fi
        ) &
        pids+=($!)
    done
    # A job that fails leaves its log; the others still come back.
    wait "${pids[@]}" || true
    # What comes back is at most 8 files, 2 folders down: one archive per job, its checkpoint
    # folder with its log (logs/ is ignored here, so `collect` leaves the logs out of git).
    local name
    for job in "${JOBS[@]}"; do
        [[ -z "$only" || "$job" == *"$only"* ]] || continue
        out=${job##*--out }
        name=$(basename "$out")
        grep -E '^(epoch +[0-9]+:|retrained|trained|stopped|removed)' "logs/device/$name.log" | tail -4 || true
        tar -cf "$OUT/$name.tar" "$out" "logs/device/$name.log"
    done
}

bench() {
    local variant=${1:?plain, autotune or fused}
    on_device "$variant"
    local flags=("${@:2}")
    echo "== $GPU, recforget built $variant"
    local figures="$OUT/bench-$variant.json"
    "$CLI" bench --backend wgpu --json "$figures" "${flags[@]}" 2>&1 | grep --line-buffered -v XDG_RUNTIME_DIR | tee "$OUT/bench-$variant.log"
    # The same work in PyTorch (the image's python3 holds it), on CUDA. (PYTHON and TORCH_DEVICE
    # let a CPU-only machine try the script: lavapipe beside PyTorch on the CPU.)
    PYTHONUNBUFFERED=1 "${PYTHON:-python3}" bench/torch_bench.py "$figures" data/ml-1m/dataset.json \
        --device "${TORCH_DEVICE:-cuda}" 2>&1 | tee "$OUT/torch-$variant.log"
    # The shipped model's test metrics on the GPU, to read beside flex's (results/report.md).
    /usr/bin/time -f "evaluate on wgpu: %e s" "$CLI" evaluate --backend wgpu 2>&1 | grep -v XDG_RUNTIME_DIR \
        | tee "$OUT/evaluate-$variant.log"
}

collect() {
    local from=${1:?the folder the device run returned}
    local archive
    for archive in "$from"/*.tar; do
        tar -xf "$archive"
    done
    git status --short checkpoints
}

"${1:?prepare [VARIANT...], train SECONDS [MATCH], bench VARIANT or collect DIR}" "${@:2}"
