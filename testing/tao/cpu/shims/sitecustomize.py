"""Loaded by the TAO CPU venv's interpreter at start-up (test code of AutoSynthDa, not an NVIDIA-supported setup).

1. PyPI's torchvision 0.28.0 is a CUDA build: its import fails against CPU torch at
   register_fake("torchvision::nms") because its C++ op library does not load. Defining the two schemas just before
   torchvision is imported lets it import (TAO's action_recognition never calls nms).
2. TAO hard-codes accelerator="gpu". With AUTOSYNTHDA_TAO_FORCE_CPU=1, pytorch_lightning.Trainer is built with
   accelerator="cpu", devices=1, strategy="auto" instead.
Both act on import of the package concerned, so a plain `python -c ...` does not pay for importing torch.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
import sys

_KEEP: list[object] = []


def _define_torchvision_schemas() -> None:
    import torch

    lib = torch.library.Library("torchvision", "DEF")
    try:
        lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        lib.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    except RuntimeError:
        return  # already defined: torchvision's own C++ library loaded
    _KEEP.append(lib)  # the schemas live as long as the Library object


def _force_cpu(module) -> None:
    trainer_cls = module.Trainer
    original = trainer_cls.__init__

    def __init__(self, *args, **kwargs):
        kwargs["accelerator"] = "cpu"
        kwargs["devices"] = 1
        kwargs["strategy"] = "auto"
        original(self, *args, **kwargs)

    trainer_cls.__init__ = __init__


class _OnImport(importlib.abc.MetaPathFinder):
    """Runs `before` ahead of a package's first import and `after` once it has been executed."""

    def __init__(self, name: str, before=None, after=None) -> None:
        self.name, self.before, self.after = name, before, after

    def find_spec(self, fullname, path, target=None):
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)
        if self.before is not None:
            self.before()
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None or self.after is None:
            return spec
        exec_module, after = spec.loader.exec_module, self.after

        def exec_then_patch(module):
            exec_module(module)
            after(module)

        spec.loader.exec_module = exec_then_patch
        return spec


sys.meta_path.insert(0, _OnImport("torchvision", before=_define_torchvision_schemas))
if os.environ.get("AUTOSYNTHDA_TAO_FORCE_CPU") == "1":
    sys.meta_path.insert(0, _OnImport("pytorch_lightning", after=_force_cpu))
