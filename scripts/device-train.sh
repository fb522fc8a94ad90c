#!/usr/bin/env bash
# The fair yardstick's trainings on a lent GPU machine (the `device` tool; see README, "A fair
# yardstick"): what 2 CPU cores do in hours, an H200 does in minutes through burn-wgpu/Vulkan.
#
#   bash scripts/device-train.sh prepare   # here: build, strip the CLI into .device/, gzip the
#                                          # data, fetch the Vulkan loader and libglvnd (.deb) into .gl/
#   device run, carry [".device", ".gl", "data/ml-1m/dataset.json"]:
#       bash scripts/device-train.sh run SECONDS [MATCH]
#                                          # there: the trainings whose command contains MATCH
#                                          # (all without it), side by side, within SECONDS; each
#                                          # checkpoint folder comes back as a .tar under $OUT
#   bash scripts/device-train.sh collect DIR   # here: copy what came back into checkpoints/
#
# Each job resumes from the committed resume files and stops resumably at the deadline, so any
# share of the work that fits is kept, and the next machine (or the CPU) continues.
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

prepare() {
    source scripts/env.sh
    cargo build --bin recforget
    mkdir -p .device .gl /tmp/amd64/partial
    # Stripped it is still about 61 MB; gzipped it fits the 64 MiB that travels with the data.
    strip -o .device/recforget "$CARGO_TARGET_DIR/debug/recforget"
    gzip -f .device/recforget
    ensure_data
    gzip -kf data/ml-1m/dataset.json
    grep -qx '/.device/' .git/info/exclude 2>/dev/null || printf '/.device/\n/.gl/\n' >>.git/info/exclude
    local o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
    # The Vulkan loader, and libglvnd (the NVIDIA driver's ICD loads it); both need only libc6.
    if ! ls .gl/libvulkan1_*.deb .gl/libglvnd0_*.deb >/dev/null 2>&1; then
        apt-get "${o[@]}" update >/dev/null
        (cd .gl && apt-get "${o[@]}" download libvulkan1 libglvnd0 libegl1 libopengl0 libgl1 libglx0 libgles2)
    fi
    du -sh .device .gl data/ml-1m/dataset.json.gz
}

run() {
    local budget=${1:?how many seconds the trainings may take}
    local only=${2:-}
    gunzip -kf .device/recforget.gz
    # The data may travel gzipped (the working tree that travels is at most 64 MiB).
    if [ -f data/ml-1m/dataset.json.gz ]; then gunzip -kf data/ml-1m/dataset.json.gz; fi
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
    export XDG_RUNTIME_DIR=/tmp
    local icd
    icd=$(find /usr/local/nvidia /usr/share/vulkan /etc/vulkan -name 'nvidia_icd*.json' 2>/dev/null | head -1 || true)
    if [ -n "$icd" ]; then export VK_DRIVER_FILES=$icd; fi
    local egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
    if [ -f "$egl" ]; then export __EGL_VENDOR_LIBRARY_FILENAMES=$egl; fi
    echo "Vulkan driver: ${icd:-none found}"
    local gpu
    gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 || echo "a GPU")
    # The jobs whose command contains $only (all without it) train side by side: one small model
    # leaves an H200 mostly idle, so two at once take about as long as one.
    local job out pids=()
    for job in "${JOBS[@]}"; do
        [[ -z "$only" || "$job" == *"$only"* ]] || continue
        out=${job##*--out }
        echo "== $job (${budget} s)"
        # shellcheck disable=SC2086
        # Without a Vulkan adapter the jobs share the machine's CPU cores (flex) instead.
        (
            log="$OUT/$(basename "$out").log"
            .device/recforget $job --backend wgpu --time-limit "$budget" --note "$gpu (wgpu on Vulkan)" 2>&1 \
                | grep -v XDG_RUNTIME_DIR >"$log"
            if grep -q 'no wgpu adapter' "$log"; then
                local threads=$(( $(nproc) / 2 ))
                .device/recforget $job --backend flex --threads "$threads" --time-limit "$((budget - 10))" \
                    --note "$(nproc)-core device machine's CPU" >>"$log" 2>&1
            fi
        ) &
        pids+=($!)
    done
    # A job that fails leaves its log; the others still come back.
    wait "${pids[@]}" || true
    # What comes back is at most 8 files, 2 folders down: one archive per checkpoint folder.
    for job in "${JOBS[@]}"; do
        [[ -z "$only" || "$job" == *"$only"* ]] || continue
        out=${job##*--out }
        grep -E '^(epoch +[0-9]+:|retrained|trained|stopped|removed)' "$OUT/$(basename "$out").log" | tail -4 || true
        tar -cf "$OUT/$(basename "$out").tar" "$out"
    done
}

collect() {
    local from=${1:?the folder the device run returned}
    local archive
    for archive in "$from"/*.tar; do
        tar -xf "$archive"
    done
    git status --short checkpoints
}

"${1:?prepare, run SECONDS or collect DIR}" "${@:2}"
