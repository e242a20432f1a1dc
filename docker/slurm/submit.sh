#!/usr/bin/env bash
# submit.sh STUDY.yaml [WORKERS]: submit the setup job, then an array of WORKERS (default 4) worker jobs, one GPU
# each, that starts only when setup succeeded (afterok; cancelled if it failed).
#
#   export AUTOSYNTHDA_STORAGE=postgresql+psycopg2://autosynthda@dbhost:5432/optuna   # password in ~/.pgpass
#   export STUDIES_DIR=/shared/autosynthda/studies                                     # on a filesystem all nodes see
#   docker/slurm/submit.sh studies/fall_tao.yaml 8
#
# Run it from the checkout whose .venv the jobs use (`make setup` on a login node). Extra sbatch options for both
# jobs: SBATCH_EXTRA="--partition=gpu --account=me" (split on spaces). SBATCH=/path/to/sbatch overrides the binary.
set -euo pipefail

usage="usage: $0 STUDY.yaml [WORKERS]"
study="${1:?$usage}"
workers="${2:-${WORKERS:-4}}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sbatch_bin="${SBATCH:-sbatch}"

die() { echo "submit: $*" >&2; exit 2; }

[[ -f "$study" ]] || die "$study: no such study file"
[[ "$workers" =~ ^[1-9][0-9]*$ ]] || die "WORKERS must be a positive number, got '$workers'"
storage="${AUTOSYNTHDA_STORAGE:-}"
[[ -n "$storage" ]] || die "set AUTOSYNTHDA_STORAGE to a PostgreSQL URL (postgresql+psycopg2://user@host:5432/db)"
case "$storage" in
    postgresql*://*) ;;
    *) die "AUTOSYNTHDA_STORAGE must be PostgreSQL on a cluster: SQLite on a network filesystem corrupts, a journal file is for one machine" ;;
esac
# A password in the URL would travel in the job environment and end up in logs: libpq reads it from ~/.pgpass.
if [[ "$storage" =~ ^[^:]+://[^/@]*:[^/@]*@ ]]; then
    die "AUTOSYNTHDA_STORAGE holds a password: remove it from the URL and put it in ~/.pgpass (chmod 600)"
fi

repo="$PWD"
STUDY="$(realpath "$study")"
STUDIES_DIR="$(realpath -m "${STUDIES_DIR:-$repo/studies}")"
AUTOSYNTHDA_STORAGE="$storage"
AUTOSYNTHDA_REPO="$repo"
export STUDY STUDIES_DIR AUTOSYNTHDA_STORAGE AUTOSYNTHDA_REPO
mkdir -p "$STUDIES_DIR"

extra=()
if [[ -n "${SBATCH_EXTRA:-}" ]]; then
    read -r -a extra <<< "$SBATCH_EXTRA"
fi

# --parsable prints "<job id>" or "<job id>;<cluster>".
setup_out="$("$sbatch_bin" --parsable --export=ALL "${extra[@]}" "$here/setup.sbatch")"
setup_id="${setup_out%%;*}"
[[ "$setup_id" =~ ^[0-9]+$ ]] || die "could not read a job id from sbatch's answer: '$setup_out'"

worker_out="$("$sbatch_bin" --parsable --export=ALL "${extra[@]}" \
    --dependency="afterok:$setup_id" --kill-on-invalid-dep=yes \
    --array="0-$((workers - 1))" "$here/worker.sbatch")"
worker_id="${worker_out%%;*}"
[[ "$worker_id" =~ ^[0-9]+$ ]] || die "could not read the worker array's job id from sbatch's answer: '$worker_out'"

echo "setup job $setup_id; worker array $worker_id ($workers tasks, afterok:$setup_id)"
echo "watch: squeue -j $setup_id,$worker_id    logs: autosynthda-setup-$setup_id.out, autosynthda-worker-${worker_id}_N.out"
