"""One source of truth per option set: each config section and the options object built from it have the same
fields, and each choice's registry has exactly the names of its Literal."""

from __future__ import annotations

import dataclasses

from generation.blend import BLEND_METHODS, MIX_MODES
from generation.choices import BlendMethod, FrameFormat, MixMode, PoseFormat, names
from generation.dataset import RenderSettings
from generation.poses import FORMATS
from generation.writers import FRAME_FORMATS
from optimizer.config import RenderConfig, ScorerConfig, SearchConfig, StudyConfig
from optimizer.samplers import LegacyOptions, SpsaOptions
from optimizer.scoring.embedded import EmbeddedScorer

RUN_ONLY = {"device", "batch_clips"}  # where and how many at once: the machine's business, not the study's


def test_render_config_builds_the_render_settings_field_for_field():
    settings_fields = {f.name for f in dataclasses.fields(RenderSettings)}
    assert set(RenderConfig.model_fields) == settings_fields - RUN_ONLY
    config = RenderConfig(size=96, format="jpg", appearance="randomized", real_views="front", views_per_clip=2)
    settings = config.settings("cpu")
    assert {k: getattr(settings, k) for k in RenderConfig.model_fields} == config.model_dump()
    assert settings.device == "cpu"


def test_search_sections_are_the_samplers_own_options():
    assert SearchConfig.model_fields["legacy"].annotation is LegacyOptions
    assert SearchConfig.model_fields["spsa"].annotation is SpsaOptions


def test_embedded_scorer_settings_match_the_scorer():
    embedded = {"epochs", "frames", "size", "batch_size", "lr"}
    assert embedded <= set(ScorerConfig.model_fields) and embedded <= {f.name for f in dataclasses.fields(EmbeddedScorer)}
    defaults = ScorerConfig()
    scorer = EmbeddedScorer()
    assert {k: getattr(defaults, k) for k in embedded} == {k: getattr(scorer, k) for k in embedded}


def test_every_registry_has_the_names_of_its_choice():
    assert list(BLEND_METHODS) == list(names(BlendMethod))
    assert list(FRAME_FORMATS) == list(names(FrameFormat))
    assert MIX_MODES == names(MixMode) and FORMATS == names(PoseFormat)


def test_a_choice_outside_its_literal_is_one_line_naming_the_key(tmp_path):
    from optimizer.config import ConfigError, load_config

    path = tmp_path / "s.yaml"
    path.write_text("target_class: fall\nrender: {appearance: randomised}\n")
    try:
        load_config(path)
    except ConfigError as exc:
        assert str(exc) == f"{path}: render.appearance: unknown appearance 'randomised' (known: synthda, randomized)"
    else:
        raise AssertionError("accepted an unknown appearance")
    assert StudyConfig(name="x", target_class="fall").render.format == "png"
