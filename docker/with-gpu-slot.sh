#!/usr/bin/env bash
# with-gpu-slot.sh CMD [ARG...]: run CMD with `--gpu N` appended, N the first free slot of 0..GPU_COUNT-1.
#
# `docker compose up --scale worker=4` gives every replica the same settings, and Docker's `count: 1` GPU request
# always means GPU 0, so the replicas see all GPUs and each claims one here: slot N is an flock on
# $GPU_SLOT_DIR/gpuN.lock held by this process and, through exec, by the worker until it exits (a crashed worker
# frees its slot). GPU_COUNT unset or 0: CMD runs as is (CPU). The lock folder must be on a local filesystem
# shared by the replicas of one host (the studies volume).
set -euo pipefail

count="${GPU_COUNT:-0}"
if [[ ! "$count" =~ ^[0-9]+$ ]]; then
    echo "with-gpu-slot: GPU_COUNT must be a number, got '$count'" >&2
    exit 2
fi
if (( $# == 0 )); then
    echo "usage: with-gpu-slot.sh CMD [ARG...]" >&2
    exit 2
fi
if [[ -n "${TMPDIR:-}" ]]; then
    mkdir -p "$TMPDIR"  # Python falls back to /tmp when TMPDIR does not exist; TAO-in-Docker needs this one
fi
if (( count == 0 )); then
    exec "$@"
fi

slot_dir="${GPU_SLOT_DIR:-/studies/.gpu-slots}"
mkdir -p "$slot_dir"
for (( i = 0; i < count; i++ )); do
    exec {fd}>"$slot_dir/gpu$i.lock"
    if flock --nonblock "$fd"; then
        echo "with-gpu-slot: GPU $i of $count" >&2
        exec "$@" --gpu "$i"
    fi
    exec {fd}>&-
done
echo "with-gpu-slot: all $count GPU slots are taken (more replicas than GPUs?)" >&2
exit 3
