from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def toy_model_dir(tmp_path_factory):
    """A folder holding the procedural stand-in model as SMPL_NEUTRAL.pkl (never the real SMPL)."""
    from testing.toy_body import write_toy_model

    folder = tmp_path_factory.mktemp("smpl_models")
    write_toy_model(folder)
    return folder


@pytest.fixture(scope="session")
def toy_model(toy_model_dir):
    from generation.body import load_body_model

    return load_body_model(toy_model_dir)
