#!/usr/bin/env bash
# The fair yardstick's trainings on a lent GPU machine (the `device` tool; see README, "A fair
# yardstick"): what 2 CPU cores do in hours, an H200 does in minutes through burn-wgpu/Vulkan.
#
#   bash scripts/device-train.sh prepare   # here: build, strip the CLI into .device/, fetch the
#                                          # Vulkan loader and libglvnd (.deb) into .gl/
#   device run, carry [".device", ".gl", "data/ml-1m"]:
#       bash scripts/device-train.sh run SECONDS
#                                          # there: every unfinished training, one after another,
#                                          # within SECONDS; the checkpoints come back under $OUT
#   bash scripts/device-train.sh collect DIR   # here: copy what came back into checkpoints/
#
# Each job resumes from the committed resume files and stops resumably at the deadline, so any
# share of the work that fits is kept, and the next machine (or the CPU) continues.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Every training of the yardstick, in order; a finished one returns at once. The original goes
# first (continued until validation stops improving: its best epoch sets the schedule that
# `retrain` replays), then Action's replay, the Drama and Comedy replays, and Action's second seed.
JOBS=(
    "train --epochs 400 --batch-size 128 --patience 6 --out checkpoints/bert4rec-ml1m"
    "retrain --exclude-genre Action --out checkpoints/retrain-action"
    "retrain --exclude-genre Drama --out checkpoints/retrain-drama"
    "retrain --exclude-genre Comedy --out checkpoints/retrain-comedy"
    "retrain --exclude-genre Action --seed 7 --out checkpoints/retrain-action-seed2"
)

prepare() {
    source scripts/env.sh
    cargo build --bin recforget
    mkdir -p .device .gl /tmp/amd64/partial
    # Stripped it is still about 61 MB; gzipped it fits the 64 MiB that travels with the data.
    strip -o .device/recforget "$CARGO_TARGET_DIR/debug/recforget"
    gzip -f .device/recforget
    grep -qx '/.device/' .git/info/exclude 2>/dev/null || printf '/.device/\n/.gl/\n' >>.git/info/exclude
    local o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
    # The Vulkan loader, and libglvnd (the NVIDIA driver's ICD loads it); both need only libc6.
    if ! ls .gl/libvulkan1_*.deb .gl/libglvnd0_*.deb >/dev/null 2>&1; then
        apt-get "${o[@]}" update >/dev/null
        (cd .gl && apt-get "${o[@]}" download libvulkan1 libglvnd0)
    fi
    du -sh .device .gl data/ml-1m
}

run() {
    local budget=${1:?how many seconds the trainings may take}
    local deadline=$((SECONDS + budget))
    gunzip -kf .device/recforget.gz
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
    export XDG_RUNTIME_DIR=/tmp
    local icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    if [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd; fi
    local gpu
    gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 || echo "a GPU")
    mkdir -p "${OUT:?}/logs"
    for job in "${JOBS[@]}"; do
        local left=$((deadline - SECONDS))
        # An epoch takes about 4 s alone on an H200: stop starting jobs with under a minute left.
        [ "$left" -gt 60 ] || break
        local out=${job##*--out }
        echo "== $job (${left} s left)"
        # shellcheck disable=SC2086
        .device/recforget $job --backend wgpu --time-limit "$left" --note "$gpu (wgpu on Vulkan)" \
            2>&1 | grep -v XDG_RUNTIME_DIR | tee "$OUT/logs/$(basename "$out").log" | grep -E '^(epoch +[0-9]+:|retrained|trained|stopped)' || true
        mkdir -p "$OUT/$(dirname "$out")"
        cp -r "$out" "$OUT/$(dirname "$out")/"
    done
}

collect() {
    local from=${1:?the folder the device run returned}
    (cd "$from" && find checkpoints -type f) | while read -r f; do
        mkdir -p "$(dirname "$f")"
        cp "$from/$f" "$f"
    done
    git status --short checkpoints
}

"${1:?prepare, run SECONDS or collect DIR}" "${@:2}"
