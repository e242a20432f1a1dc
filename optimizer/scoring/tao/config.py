"""The `scorer.tao:` section of a study YAML, validated with pydantic (unknown keys rejected)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from optimizer.scoring.tao.spec import SpecError, check_overrides

DEFAULT_IMAGE = "nvcr.io/nvidia/tao/tao-toolkit:6.26.3-pyt"
RuntimeName = Literal["docker", "apptainer", "local"]
RUNTIMES: tuple[str, ...] = get_args(RuntimeName)


class TaoConfig(BaseModel):
    """How each trial runs TAO action_recognition train + evaluate.

    runtime: docker (the Docker SDK, a GPU server), apptainer (`apptainer exec --nv`, SLURM clusters) or local (the
    `action_recognition` on PATH: inside a TAO container, or a native install). gpus: "all", the GPU ids this
    worker owns, or "none" (CPU: no GPU requested; the local runtime sets CUDA_VISIBLE_DEVICES=""). timeout_s:
    wall-clock limit of each TAO run (train, evaluate); the run is stopped and the trial fails.
    pretrained_model_path: a host file (.tlt/.pth), mounted read-only. encryption_key_env: the NAME of the
    environment variable holding the model key (NGC trainable models use nvidia_tao); the key itself is never
    written to the config, logs or kept files. confusion: after evaluate, run `action_recognition inference` on the
    test split with the same checkpoint and build the full confusion matrix from its per-video predictions (evaluate
    prints per-class recall only), so precision, F1 and the false-positive rate exist for any number of classes.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    runtime: RuntimeName = "docker"
    image: str = DEFAULT_IMAGE
    gpus: Literal["all", "none"] | list[int] = "all"
    timeout_s: float = Field(default=6 * 3600, gt=0)
    epochs: int = Field(default=20, ge=1)
    batch_size: int = Field(default=32, ge=1)
    rgb_seq_length: int = Field(default=3, ge=1)
    input_size: int = Field(default=224, ge=16)
    pretrained_model_path: Path | None = None
    pretrained_num_classes: int = Field(default=0, ge=0)
    encryption_key_env: str | None = None
    keep_checkpoints: bool = False
    confusion: bool = False  # also run inference on the test split for the full confusion matrix (`select` turns it on)
    shm_size: str = "16G"
    stop_grace_s: float = Field(default=10.0, ge=0)
    spec_overrides: dict[str, Any] = Field(default_factory=dict)

    @field_validator("gpus")
    @classmethod
    def _gpu_ids(cls, value: str | list[int]) -> str | list[int]:
        if isinstance(value, list) and (not value or len(set(value)) != len(value) or min(value) < 0):
            raise ValueError(f"must be 'all', 'none' or a non-empty list of distinct GPU ids >= 0, got {value}")
        return value

    @field_validator("encryption_key_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not (value and all(c.isalnum() or c == "_" for c in value)):
            # The value is not echoed: someone may have pasted the key itself here.
            raise ValueError("must be the NAME of an environment variable (letters, digits, '_'), not the key")
        return value

    @field_validator("spec_overrides")
    @classmethod
    def _known_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            check_overrides(value)
        except SpecError as exc:
            raise ValueError(str(exc)) from None
        return value
