"""StudyTracker: one MLflow experiment and parent run per study, a child run per trial, as an Optuna callback.

`study.optimize(objective, callbacks=[tracker])` hands it each finished trial; while a trial runs it gets the
objective's hooks (trial_started, dataset_ready: see optimizer.study.hooks), so the objective never imports MLflow.

The experiment and parent run are created once, in the study's setup step, before workers start (concurrent first
creation races on a fresh store); their ids live in the Optuna study (user attrs), each trial's run id in the trial,
so any worker on any machine logs to the same runs and a retried trial opens a new run linked to the old one.
Tracking never fails a trial: after setup, a logging error is reported once per call and the study goes on.
"""

from __future__ import annotations

import json
import logging
import os
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from mlflow.utils.mlflow_tags import MLFLOW_PARENT_RUN_ID, MLFLOW_RUN_NAME
from optuna.trial import FrozenTrial, TrialState

from generation.dataset import TrialManifest
from generation.errors import AutoSynthDaError
from optimizer.config import StudyConfig
from optimizer.tracking import plots
from optimizer.tracking.previews import write_previews
from optimizer.tracking.study_tables import completed_frame, flatten, selection_frame, trials_csv
from optimizer.trials import PREVIEWS_DIR, StudyAttr, TrialRecord, UserAttr
from optimizer.urls import is_served, psycopg2_url, public_url

PARENT_RUN_ATTR = StudyAttr.MLFLOW_PARENT_RUN
RUN_ATTR = UserAttr.MLFLOW_RUN
MAX_BATCH = 100  # MLflow's log_batch limit on params (1000 metrics)
RUN_STATUS = {TrialState.COMPLETE: "FINISHED", TrialState.PRUNED: "FINISHED", TrialState.FAIL: "FAILED"}
# Kept from a trial's folder when present: the manifest, the scorer's result, TAO's masked specs and logs.
TRIAL_FILES = ("manifest.json", "result.json", "tao/train_spec.yaml", "tao/evaluate_spec.yaml", "tao/train.log",
               "tao/evaluate.log")

# MLflow's migrations are INFO chatter on every start, and its store warnings repeat (in many lines) what our one-line
# TrackingError or warning already says.
for _name in ("mlflow", "alembic"):
    logging.getLogger(_name).setLevel(logging.ERROR)


class TrackingError(AutoSynthDaError, RuntimeError):
    """The MLflow tracking store cannot be used (bad URI, server down) at setup."""


def resolve_tracking_uri(config: StudyConfig, study_root: Path) -> str:
    """tracking.uri, else MLFLOW_TRACKING_URI, else a SQLite file beside the study's own state."""
    return config.tracking.uri or os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{study_root / 'mlflow.db'}"


@dataclass
class StudyTracker:
    client: MlflowClient
    uri: str
    experiment_id: str
    parent_run_id: str
    config: StudyConfig
    study_root: Path
    log: Callable[[str], None] = print

    @classmethod
    def setup(cls, config: StudyConfig, study_root: Path, study: optuna.Study, log: Callable[[str], None] = print
              ) -> StudyTracker:
        """The study's experiment and parent run: created on the first call, found again on every later one."""
        uri = resolve_tracking_uri(config, study_root)
        try:
            _reachable(uri)
            client = MlflowClient(psycopg2_url(uri))
            experiment_id = _experiment(client, config.name, uri, study_root)
            parent = study.user_attrs.get(PARENT_RUN_ATTR)
            if parent is None or not _run_exists(client, parent):
                parent = _create_parent(client, experiment_id, config)
                study.set_user_attr(PARENT_RUN_ATTR, parent)
                study.set_user_attr(StudyAttr.MLFLOW_EXPERIMENT, experiment_id)
        except Exception as exc:  # noqa: BLE001 - store errors come as MlflowException, SQLAlchemy, ImportError...
            where = public_url(uri)
            raise TrackingError(f"tracking.uri: MLflow store {where} is not usable: {_one_line(exc)}") from None
        return cls(client, uri, experiment_id, parent, config, study_root, log)

    @property
    def public_uri(self) -> str:
        return public_url(self.uri)

    # ---- trials: the objective's hooks, then the Optuna callback ------------------------------------------------
    def trial_started(self, trial: optuna.Trial, params: dict[str, Any]) -> str | None:
        """A child run for the trial; a retried trial (which inherits its predecessor's user attrs) gets a new run
        tagged with the old one's id."""
        previous = trial.user_attrs.get(RUN_ATTR)
        tags = {MLFLOW_PARENT_RUN_ID: self.parent_run_id, MLFLOW_RUN_NAME: f"trial {trial.number}",
                "trial_number": str(trial.number), "state": "RUNNING"}
        if previous:
            tags["retry_of_run"] = previous
        create = self.client.create_run
        run_id = self._guard("start a trial run", lambda: create(self.experiment_id, tags=tags).info.run_id)
        if run_id is None:
            return None
        trial.set_user_attr(RUN_ATTR, run_id)
        if previous:
            self.close_stale_run(previous, retried_by=run_id)
        self._guard("log trial params", lambda: self._log_params(run_id, params))
        return run_id

    def dataset_ready(self, trial_dir: Path, manifest: TrialManifest) -> None:
        """Previews of the trial's clips, written while its frames still exist (they are logged with the run)."""
        real = 1 if self.config.data.is_video else 0  # real footage beside the synthetic clips made to look like it
        self._guard("write previews",
                    lambda: write_previews(trial_dir, manifest, self.config.tracking.previews, real=real))

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        """Optuna's callback after each trial: metrics, artifacts, state and failure reason on the trial's run; then
        the study's plots refreshed."""
        record = TrialRecord.from_frozen(trial)
        if record.mlflow_run_id is not None and record.trial_dir is not None:
            trial_dir = Path(record.trial_dir)
            self._guard(f"log trial {trial.number}", lambda: self._finish(record.mlflow_run_id, record, trial_dir))
        self.refresh_study(study)

    def close_stale_run(self, run_id: str, *, retried_by: str | None = None) -> None:
        """The run of a trial whose worker died: KILLED, pointing at its retry."""
        def close() -> None:
            if self.client.get_run(run_id).info.status == "RUNNING":
                self.client.set_terminated(run_id, "KILLED")
            self.client.set_tag(run_id, "state", "FAIL")
            died = "worker died; the trial was re-queued with the same params"
            self.client.set_tag(run_id, UserAttr.FAIL_REASON, died)
            if retried_by:
                self.client.set_tag(run_id, "retried_by_run", retried_by)

        self._guard("close a dead trial's run", close)

    def _finish(self, run_id: str, trial: TrialRecord, trial_dir: Path) -> None:
        now = int(time.time() * 1000)
        metrics = [Metric(k, float(v), now, 0) for k, v in _trial_metrics(trial, self.config.metric).items()]
        result = _read_json(trial_dir / "result.json")
        for step, epoch in enumerate(result.get("epochs", []) if result else []):
            metrics += [Metric(f"epoch.{k}", float(v), now, step) for k, v in epoch.items() if _finite(v)]
        for start in range(0, len(metrics), 1000):
            self.client.log_batch(run_id, metrics=metrics[start:start + 1000])
        for name in TRIAL_FILES:
            if (trial_dir / name).is_file():
                self.client.log_artifact(run_id, str(trial_dir / name), str(Path(name).parent).strip("."))
        if (trial_dir / PREVIEWS_DIR).is_dir():
            self.client.log_artifacts(run_id, str(trial_dir / PREVIEWS_DIR), PREVIEWS_DIR)
        if result and result.get("confusion"):
            fig = plots.confusion_matrix(result["confusion"], result["classes"], f"trial {trial.number} (test)")
            self.client.log_figure(run_id, fig, "confusion_matrix.png")
            plots.close(fig)
        if trial.log_tail:
            lines = trial.log_tail.splitlines()[-self.config.tracking.log_lines:]
            self.client.log_text(run_id, "\n".join(lines) + "\n", "logs/log_tail.txt")
        tags = [RunTag("state", trial.state.name)]
        if trial.state == TrialState.FAIL:
            tags.append(RunTag(UserAttr.FAIL_REASON, (trial.fail_reason or "unknown")[:5000]))
        self.client.log_batch(run_id, tags=tags)
        self.client.set_terminated(run_id, RUN_STATUS.get(trial.state, "KILLED"))

    # ---- the study ----------------------------------------------------------------------------------------------
    def refresh_study(self, study: optuna.Study) -> None:
        """Re-log the study-level artifacts on the parent run: trials CSV, history, score vs weight, contour,
        final selection. Every worker refreshes after its trial; the last write wins, which is the newest view."""
        self._guard("refresh the study's plots", lambda: self._refresh(study))

    def _refresh(self, study: optuna.Study) -> None:
        parent, metric = self.parent_run_id, self.config.metric
        self.client.log_text(parent, trials_csv(study), "study/trials.csv")
        done = completed_frame(study)
        if not done.empty:
            best = done["value"].max() if study.direction.name == "MAXIMIZE" else done["value"].min()
            step = int(done["number"].max())
            self.client.log_batch(parent, metrics=[Metric("best_value", float(best), int(time.time() * 1000), step)])
            for name, make in (("history", plots.history), ("score_vs_weight", plots.score_vs_weight),
                               ("contour", plots.contour)):
                fig = make(done, metric)
                if fig is not None:
                    self.client.log_figure(parent, fig, f"study/{name}.png")
                    plots.close(fig)
        selection = selection_frame(study)
        if selection is not None:
            self.client.log_text(parent, selection.to_csv(index=False), "study/final_selection.csv")
            self._log_forest(parent, selection)

    def _log_forest(self, parent: str, selection: pd.DataFrame) -> None:
        differences = selection[selection["row"] == "paired difference"].rename(
            columns={"ci95_low": "low", "ci95_high": "high"})
        fig = plots.forest(differences.to_dict("records"), self.config.metric)
        if fig is not None:
            self.client.log_figure(parent, fig, "study/forest.png")
            plots.close(fig)

    def finish_study(self) -> None:
        self._guard("close the study run", lambda: self.client.set_terminated(self.parent_run_id, "FINISHED"))

    # ---- helpers ------------------------------------------------------------------------------------------------
    def _log_params(self, run_id: str, params: dict[str, Any]) -> None:
        items = [Param(k, _param_value(v)) for k, v in flatten(params).items()]
        for start in range(0, len(items), MAX_BATCH):
            self.client.log_batch(run_id, params=items[start:start + MAX_BATCH])

    def _guard(self, what: str, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except Exception as exc:  # noqa: BLE001 - review logging must never stop a study
            self.log(f"warning: MLflow: could not {what}: {_one_line(exc)}")
            return None


def _reachable(uri: str, timeout_s: int = 10) -> None:
    """One quick try at a database or server store: MLflow itself retries an unreachable one for ~100 s."""
    if uri.startswith(("http://", "https://")):
        with urllib.request.urlopen(f"{uri.rstrip('/')}/health", timeout=timeout_s):
            return
    if uri.startswith(("postgresql", "mysql", "mssql")):
        import sqlalchemy

        args = {"connect_timeout": timeout_s} if uri.startswith(("postgresql", "mysql")) else {}
        engine = sqlalchemy.create_engine(psycopg2_url(uri), connect_args=args)
        try:
            with engine.connect():
                pass
        finally:
            engine.dispose()


def _experiment(client: MlflowClient, name: str, uri: str, study_root: Path) -> str:
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    # A database store (no server) keeps artifacts in the study folder, not in the current directory; a tracking
    # server decides for itself.
    location = None if is_served(uri) else (study_root / "mlartifacts").resolve().as_uri()
    try:
        return client.create_experiment(name, artifact_location=location, tags={"autosynthda.study": name})
    except MlflowException:  # created meanwhile by another process
        found = client.get_experiment_by_name(name)
        if found is None:
            raise
        return found.experiment_id


def _create_parent(client: MlflowClient, experiment_id: str, config: StudyConfig) -> str:
    tags = {MLFLOW_RUN_NAME: f"study {config.name}", "autosynthda.study": config.name,
            "target_class": config.target_class}
    run_id = client.create_run(experiment_id, tags=tags).info.run_id
    items = [Param(k, _param_value(v)) for k, v in flatten(config.model_dump(mode="json")).items()]
    for start in range(0, len(items), MAX_BATCH):
        client.log_batch(run_id, params=items[start:start + MAX_BATCH])
    return run_id


def _run_exists(client: MlflowClient, run_id: str) -> bool:
    try:
        client.get_run(run_id)
    except MlflowException:
        return False
    return True


def _trial_metrics(trial: TrialRecord, metric: str) -> dict[str, float]:
    out: dict[str, float] = {}
    if trial.value is not None:
        out[metric] = trial.value
    out.update(trial.metrics)
    out.update({f"recall.{cls}": value for cls, value in trial.per_class_recall.items()})
    out.update({f"time.{stage}": seconds for stage, seconds in trial.timings.items()})
    if trial.synthetic_clips is not None:
        out[UserAttr.SYNTHETIC_CLIPS] = trial.synthetic_clips
    return {k: float(v) for k, v in out.items() if _finite(v)}


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and value == value and abs(value) != float("inf")


def _param_value(value: Any) -> str:
    return str(value)[:6000]


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]
