"""Study configuration: studies/<name>.yaml validated with pydantic; every error names the file and the key."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from generation.choices import Appearance, Background, BlendMethod, Body, CameraMode, FrameFormat, MixMode
from generation.dataset.settings import RenderSettings
from generation.safe_names import component_problem
from optimizer.errors import ConfigError  # noqa: F401 - re-exported: config errors are raised here
from optimizer.samplers.factory import PrunerName, SamplerName
from optimizer.samplers.options import LegacyOptions, SpsaOptions
from optimizer.scoring.factory import ScorerKind
from optimizer.scoring.protocol import Metric
from optimizer.scoring.tao.config import TaoConfig
from optimizer.yaml_keys import find_duplicate_key

REPO = Path(__file__).resolve().parents[1]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: object, info: ValidationInfo) -> object:
        # YAML reads yes/no/on/off as booleans and pydantic would take True as 1 ("size: yes" said ">= 16").
        if isinstance(value, bool) and info.field_name is not None:
            annotation = cls.model_fields[info.field_name].annotation
            kinds = set(get_args(annotation)) or {annotation}
            if bool not in kinds and kinds & {int, float}:
                what = "an integer" if int in kinds else "a number"
                raise ValueError(f"must be {what}, got {str(value).lower()} (a YAML boolean)")
        return value


class DataConfig(_Strict):
    """Where the real clips (and, for real-synth, the generated motions) are. Relative paths are resolved from the
    repository root first, then from the config file's folder.

    real: pose files (their clips are rendered as mannequins for every split). videos: the user's own videos instead
    (DIR/<class>/<video>, TAO frame folders, or DIR/{train,val,test}/<class>/...), real frames in every split;
    groups (a CSV video,group kept on one side of every split), poses (the user's own pose files, named like the
    videos) and fps (the real frames' rate; None: the videos' median) are read only with videos."""

    real: Path = Path("generation/samples/data")
    classes: list[str] | None = None  # None: every class found
    synthetic: Path | None = None
    videos: Path | None = None
    groups: Path | None = None
    poses: Path | None = None
    fps: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _videos_or_poses(self) -> DataConfig:
        if self.videos is not None and "real" in self.model_fields_set:  # real has a default: only a given one counts
            raise ValueError("give data.real (pose files) or data.videos (videos), not both")
        if self.videos is None:
            given = [key for key in ("groups", "poses", "fps") if getattr(self, key) is not None]
            if given:
                raise ValueError(f"{given[0]}: only read with data.videos (a study on your own videos)")
        return self

    @property
    def is_video(self) -> bool:
        return self.videos is not None

    @field_validator("classes")
    @classmethod
    def _two_classes_at_least(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) < 2:  # a recogniser of one class scores 1.000 whatever it learns
            raise ValueError(f"a study needs at least 2 classes to tell apart, got {value}")
        return value


class PairsConfig(_Strict):
    mode: MixMode = "real-real"
    num_pairs: int | None = Field(default=None, ge=1)
    seed: int = 42
    fps: float | None = Field(default=None, gt=0)


class RenderConfig(_Strict):
    """body: mannequin (licence-free, the default) or smpl (SMPL fitted to the joints, its mesh rendered), whose
    SMPL_NEUTRAL.pkl is in smpl_model_dir or, when that is not given, in $SMPL_MODEL_DIR; only the folder's
    existence and the file's presence are checked here, the file itself when it is first loaded."""

    size: int = Field(default=64, ge=16, le=1024)
    format: FrameFormat = "png"
    real_views: str = "front,front-left,front-right"
    synthetic_views: str = "front,front-left,front-right,random:4"
    views_per_clip: int = Field(default=1, ge=1)
    appearance: Appearance = "synthda"
    body: Body = "mannequin"
    smpl_model_dir: Path | None = None
    background: Background = "auto"  # plates: clean plates of the study's train videos (a video study)
    camera: CameraMode = "views"  # source: also the viewpoint of each synthetic clip's source video (a video study)

    def settings(self, device: str = "auto") -> RenderSettings:
        """The renderer's settings: these fields, plus where to render."""
        fields = self.model_dump()
        fields["smpl_model_dir"] = str(self.smpl_model_dir) if self.smpl_model_dir is not None else None
        return RenderSettings(**fields, device=device)

    @field_validator("real_views", "synthetic_views")
    @classmethod
    def _known_views(cls, value: str) -> str:
        from generation.render import RenderError, parse_views

        try:
            parse_views(value)  # here, not after the storage, pair bank and real renders exist
        except RenderError as exc:
            raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="before")
    @classmethod
    def _model_dir_from_env(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("body") == "smpl" and not data.get("smpl_model_dir"):
            import os

            from generation.body.model import ENV_VAR  # torch: only for an SMPL study

            return {**data, "smpl_model_dir": os.environ.get(ENV_VAR) or None}
        return data

    @model_validator(mode="after")
    def _model_file_present(self) -> RenderConfig:
        if self.body != "smpl":
            if self.smpl_model_dir is not None:
                raise ValueError(f"smpl_model_dir: only read when render.body is 'smpl' (it is {self.body!r})")
            return self
        from generation.body import BodyModelError, resolve_model_file  # torch: only for an SMPL study

        try:
            resolve_model_file(self.smpl_model_dir)
        except BodyModelError as exc:
            folder = f" {exc.path}" if exc.path else ""
            field = "" if exc.field == "smpl_model_dir" else f"{exc.field}: "
            raise ValueError(f"smpl_model_dir{folder}: {field}{exc.problem}") from None
        return self


class FinalSelectionConfig(_Strict):
    """Re-evaluate the best `top` (weight, ratio) with `seeds` fresh seeds at the end of optimize."""

    top: int = Field(default=3, ge=1)
    seeds: int = Field(default=3, ge=2)  # a confidence interval needs two values


class SearchConfig(_Strict):
    weight: tuple[float, float] = (0.0, 1.0)
    ratio: tuple[float, float] = (0.0, 2.0)
    sampler: SamplerName = "spsa"  # bench/results/samplers.md: see the README, "Which sampler"
    # none: every trial trains to the end; median, successive_halving, hyperband: see samplers.factory.make_pruner
    # (worth it when a trial takes hours, as with TAO).
    pruner: PrunerName = "none"
    trials: int = Field(default=8, ge=1)
    seed: int = 0
    legacy: LegacyOptions = LegacyOptions()
    spsa: SpsaOptions = SpsaOptions()
    final_selection: FinalSelectionConfig | None = None

    @field_validator("legacy")
    @classmethod
    def _legacy_in_ranges(cls, value: LegacyOptions, info: ValidationInfo) -> LegacyOptions:
        _check_in_range("start", value.start, info.data.get("weight"), "search.weight")
        _check_in_range("ratio", value.ratio, info.data.get("ratio"), "search.ratio")
        return value

    @field_validator("spsa")
    @classmethod
    def _spsa_in_ranges(cls, value: SpsaOptions, info: ValidationInfo) -> SpsaOptions:
        if value.start is not None and value.init:
            raise ValueError(f"start is used only with init: 0 (else it starts from the best of {value.init} points)")
        if value.start is not None:
            _check_in_range("start[0]", value.start[0], info.data.get("weight"), "search.weight")
            _check_in_range("start[1]", value.start[1], info.data.get("ratio"), "search.ratio")
        _check_in_range("ratio", value.ratio, info.data.get("ratio"), "search.ratio")
        return value

    @field_validator("weight")
    @classmethod
    def _weight_in_unit(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if not (0.0 <= low <= high <= 1.0):
            raise ValueError(f"must be a range [low, high] within [0, 1], got [{low}, {high}]")
        return value

    @field_validator("ratio")
    @classmethod
    def _ratio_non_negative(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if not (0.0 <= low <= high):
            raise ValueError(f"must be a range [low, high] with 0 <= low <= high, got [{low}, {high}]")
        return value


def _check_in_range(key: str, value: float | None, bounds: tuple[float, float] | None, where: str) -> None:
    if value is not None and bounds is not None and not (bounds[0] <= value <= bounds[1]):
        raise ValueError(f"{key} {value} is outside {where} [{bounds[0]}, {bounds[1]}]")


class ScorerConfig(_Strict):
    """kind embedded: the in-process torch scorer (epochs ... lr are its settings). kind tao: NVIDIA TAO
    action_recognition, configured by the `tao:` section (defaults when omitted). seed is both's training seed.
    kind standin: no training, sleeps standin_seconds and scores a known toy function of (w, r); for measuring the
    driver and storage (bench workers, cluster tests), never for a real study."""

    kind: ScorerKind = "embedded"
    epochs: int = Field(default=30, ge=1)
    frames: int = Field(default=16, ge=2)
    size: int = Field(default=64, ge=16)
    batch_size: int = Field(default=8, ge=1)
    lr: float = Field(default=1e-3, gt=0)
    seed: int = 0
    standin_seconds: float = Field(default=2.0, ge=0.0)
    tao: TaoConfig | None = None

    @model_validator(mode="before")
    @classmethod
    def _tao_defaults(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("kind") == "tao" and data.get("tao") is None:
            return {**data, "tao": {}}
        return data

    @model_validator(mode="after")
    def _settings_of_the_kind(self) -> ScorerConfig:
        if self.kind != "tao" and self.tao is not None:
            raise ValueError(f"tao: only read when scorer.kind is 'tao' (it is {self.kind!r})")
        embedded_only = sorted(self.model_fields_set & {"epochs", "frames", "size", "batch_size", "lr"})
        if self.kind == "tao" and embedded_only:
            key = embedded_only[0]
            raise ValueError(f"{key}: an embedded-scorer setting; TAO's are under scorer.tao (e.g. tao.epochs)")
        return self


class TrackingConfig(_Strict):
    """MLflow review of the study. uri None: MLFLOW_TRACKING_URI when set, else a SQLite file in the study folder.
    previews: synthetic clips per trial saved as mp4 (plus one contact sheet); log_lines: log tail kept on failure."""

    enabled: bool = True
    uri: str | None = None
    previews: int = Field(default=2, ge=0, le=16)
    log_lines: int = Field(default=200, ge=10)


class StudyConfig(_Strict):
    name: str
    data: DataConfig = DataConfig()  # before target_class, which is checked against it
    target_class: str
    pairs: PairsConfig = PairsConfig()
    blend_method: BlendMethod = "synthda"
    render: RenderConfig = RenderConfig()
    search: SearchConfig = SearchConfig()
    metric: Metric = "mean_class_accuracy"
    scorer: ScorerConfig = ScorerConfig()
    split_seed: int = 42
    keep_trial_data: bool = False
    tracking: TrackingConfig = TrackingConfig()

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        if not value or not all(c.isalnum() or c in "-_" for c in value):
            raise ValueError(f"must be letters, digits, '-' or '_' (it names studies/<name>/), got {value!r}")
        return value

    @field_validator("pairs")
    @classmethod
    def _pairs_of_videos(cls, value: PairsConfig, info: ValidationInfo) -> PairsConfig:
        data = info.data.get("data")
        if data is not None and data.is_video and value.fps is not None:
            raise ValueError("fps: a video study's pairs run at the real frames' rate; set data.fps instead")
        return value

    @field_validator("render")
    @classmethod
    def _looks_of_videos(cls, value: RenderConfig, info: ValidationInfo) -> RenderConfig:
        data = info.data.get("data")
        if data is not None and not data.is_video:
            for key, video_only in (("background", "plates"), ("camera", "source")):
                if getattr(value, key) == video_only:
                    raise ValueError(f"{key}: {video_only!r} is made from the study's videos; it needs data.videos")
        return value

    @field_validator("target_class")
    @classmethod
    def _target_in_classes(cls, value: str, info: ValidationInfo) -> str:
        if (problem := component_problem(value)) is not None:  # it becomes train/<target_class>/ and <name>_<class>
            raise ValueError(f"{problem}; it names a folder, so it must be one plain name")
        data = info.data.get("data")
        if data is not None and data.classes is not None and value not in data.classes:
            raise ValueError(f"{value!r} is not in data.classes {data.classes}")
        return value


def _first_error(path: Path, exc: ValidationError) -> ConfigError:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = "unknown key"
    elif err["type"] == "literal_error":  # a choice: name it as the config's own word for it (sampler, metric, ...)
        known = err["ctx"]["expected"].replace("'", "").replace(" or ", ", ")
        noun = {"kind": "scorer"}.get(str(err["loc"][-1]), str(err["loc"][-1]).replace("_", " "))
        message = f"unknown {noun} {err['input']!r} (known: {known})"
    return ConfigError(f"{path}: {loc}: {message}")


def load_config(path: str | Path, **overrides: object) -> StudyConfig:
    """Read and validate a study YAML. overrides are dotted keys ("target_class", "search.trials") set on top."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: file: does not exist")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        byte = f"byte {exc.object[exc.start]:#04x} at offset {exc.start}"
        raise ConfigError(f"{path}: file: not UTF-8 text ({byte})") from None
    try:
        text = path.read_text()
        if (dup := find_duplicate_key(text)) is not None:  # safe_load would keep the last one silently
            raise ConfigError(f"{path}: {dup.key}: duplicate key (lines {dup.first_line} and {dup.second_line}); "
                              "keep one")
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: yaml: {' '.join(str(exc).split())}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: (top level): expected a mapping of keys")
    raw.setdefault("name", path.stem)
    for dotted, value in overrides.items():
        if value is None:
            continue
        node = raw
        *parents, leaf = dotted.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    try:
        config = StudyConfig.model_validate(raw)
    except ValidationError as exc:
        raise _first_error(path, exc) from None
    return config.model_copy(update={"data": _resolve_paths(config.data, path)})


def _resolve_paths(data: DataConfig, config_path: Path) -> DataConfig:
    def resolve(p: Path | None) -> Path | None:
        if p is None or p.is_absolute():
            return p
        for base in (REPO, config_path.parent):
            if (base / p).exists():
                return (base / p).resolve()
        return p

    keys = ("real", "synthetic", "videos", "groups", "poses")
    resolved = data.model_copy(update={key: resolve(getattr(data, key)) for key in keys})
    for key in keys:
        value = getattr(resolved, key)
        if value is not None and not value.exists():
            raise ConfigError(f"{config_path}: data.{key}: path {value} does not exist")
    for key, want_dir in (("videos", True), ("groups", False), ("poses", True)):
        value = getattr(resolved, key)
        if value is not None and value.is_dir() != want_dir:
            what = "a folder" if want_dir else "a CSV file (video,group)"
            raise ConfigError(f"{config_path}: data.{key}: {value} is not {what}")
    return resolved
