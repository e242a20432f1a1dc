# The two front doors: `make test` and (later) `make optimize CLASS=fall`. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# torch comes first and pinned: on a CPU machine 2.13.0 is a local CPU wheel, anything else pulls GBs of CUDA.
TORCH_SPEC ?= $(if $(shell command -v nvidia-smi 2>/dev/null),torch,torch==2.13.0)

.PHONY: setup test optimize status lint bench bench-render bench-samplers bench-workers clean dashboard optuna-dashboard \
	setup-study worker bench-smpl bench-cli bench-look bench-ingest test-tao videos-demo

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e ".[dev,extract]"
	touch $(STAMP)

# `make test` leaves out the real-TAO lane (minutes of CPU training); `make test-tao` runs it on its own.
TEST_MARKERS ?= not real_tao
test: setup
	$(BIN)/python -m pytest -m "$(TEST_MARKERS)" $(PYTEST_ARGS)

# NVIDIA's own action_recognition on CPU: builds its venv once (testing/tao/cpu/build_venv.py, cached in
# ${AUTOSYNTHDA_TAO_VENV:-~/.cache/autosynthda/tao-venv}), then the real_tao tests. Exit 3 = PyPI unreachable: the
# tests then skip, each with the builder's one-line reason.
test-tao: setup
	$(BIN)/python testing/tao/cpu/build_venv.py || test $$? -eq 3
	$(BIN)/python -m pytest -m real_tao $(PYTEST_ARGS)

# `make optimize CLASS=fall [TRIALS=N]`: studies/<CLASS>.yaml when it exists, else the fall demo with --class CLASS.
CLASS ?= fall
STUDY_FILE = $(if $(wildcard studies/$(CLASS).yaml),studies/$(CLASS).yaml,studies/fall.yaml)
CLASS_FLAG = $(if $(wildcard studies/$(CLASS).yaml),,--class $(CLASS))
optimize: setup
	$(BIN)/autosynthda optimize $(STUDY_FILE) $(CLASS_FLAG) $(if $(TRIALS),--trials $(TRIALS)) $(if $(DEVICE),--device $(DEVICE))

# A study on real camera footage: the labelled test dataset cut from ../shared/videos (AUTOSYNTHDA_SHARED overrides),
# built once into studies/videos_demo_data/, then studies/videos_demo.yaml (lunge, plates, source cameras).
SHARED ?= $(or $(AUTOSYNTHDA_SHARED),../shared)
videos-demo: setup
	test -f studies/videos_demo_data/groups.csv || \
		$(BIN)/python -m testing.video_dataset --shared $(SHARED) --out studies/videos_demo_data
	$(BIN)/autosynthda optimize studies/videos_demo.yaml $(if $(TRIALS),--trials $(TRIALS)) $(if $(DEVICE),--device $(DEVICE))

status: setup
	$(BIN)/autosynthda status $(STUDY_FILE)

# Review on 127.0.0.1: `make dashboard STUDY=fall` (MLflow UI, port 5000), `make optuna-dashboard STUDY=fall` (8080).
STUDY ?= $(CLASS)
dashboard: setup
	$(BIN)/autosynthda dashboard $(STUDY) $(if $(PORT),--port $(PORT))

optuna-dashboard: setup
	$(BIN)/autosynthda optuna-dashboard $(STUDY) $(if $(PORT),--port $(PORT)) $(if $(STORAGE),--storage $(STORAGE))

# Many workers on one study: `make setup-study STUDY=studies/fall_tao.yaml STORAGE=postgresql://...` once, then
# `make worker STUDY=... STORAGE=... GPU=0` per GPU, on any machine that shares studies/ and reaches the storage.
STUDY_CONFIG = $(if $(filter %.yaml %.yml,$(STUDY)),$(STUDY),studies/$(STUDY).yaml)
setup-study: setup
	$(BIN)/autosynthda setup $(STUDY_CONFIG) $(if $(STORAGE),--storage $(STORAGE))

worker: setup
	$(BIN)/autosynthda worker $(STUDY_CONFIG) $(if $(STORAGE),--storage $(STORAGE)) $(if $(GPU),--gpu $(GPU)) \
		$(if $(TRIALS),--trials $(TRIALS))

# Benchmarks write their tables under bench/results/ (speed targets live there, never in tests).
bench: bench-render bench-samplers bench-workers bench-smpl bench-cli bench-look bench-ingest

bench-render: setup
	$(BIN)/autosynthda bench render

# legacy, spsa, TPE, GP, random on toy objectives of known optimum -> bench/results/samplers.md (~10 min on 2 cores)
bench-samplers: setup
	$(BIN)/autosynthda bench samplers

# 1, 2, 4, 8 worker processes on PostgreSQL (a throwaway local server) and a journal file -> bench/results/workers.md
bench-workers: setup
	$(BIN)/autosynthda bench workers

# Batched SMPL fit vs joints2smpl's sequential fit -> bench/results/smpl.md (~5 min on 2 cores). Without MODEL_DIR the
# body is the procedural toy stand-in and docs/img/contact_sheet_smpl.png is redrawn; MODEL_DIR=dir: your SMPL.
bench-smpl: setup
	$(BIN)/autosynthda bench smpl $(if $(MODEL_DIR),--model-dir $(MODEL_DIR),--contact-sheet docs/img/contact_sheet_smpl.png)

# `autosynthda --help` and `autosynthda status STUDY`: start-up time and peak memory, 5 runs -> bench/results/cli.md
bench-cli: setup
	$(BIN)/autosynthda bench cli

# A trial's synthetic set on clean plates with source cameras vs on flat grey, 64 and 224 px -> bench/results/look.md
bench-look: setup
	$(BIN)/autosynthda bench look

# Real-frame ingest of a 1080p H.264 clip at 224 px, and MediaPipe pose extraction -> bench/results/ingest.md
bench-ingest: setup
	$(BIN)/autosynthda bench ingest

lint: setup
	$(BIN)/python -m ruff check optimizer generation bench testing tests

clean:
	rm -rf $(VENV) build *.egg-info
