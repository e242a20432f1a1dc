"""search.legacy / search.spsa / search.final_selection: validated, one line naming the key; make_sampler builds them."""

from __future__ import annotations

import pytest
import yaml

from optimizer.config import ConfigError, SearchConfig, load_config
from optimizer.samplers import FiniteDifferenceSampler, make_sampler

BASE = {
    "name": "demo",
    "target_class": "fall",
    "data": {"real": "generation/samples/data", "classes": ["fall", "jump", "punch", "walk"]},
}


def write(tmp_path, search):
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump({**BASE, "search": search}))
    return path


@pytest.mark.parametrize(
    ("search", "message"),
    [
        ({"legacy": {"start": 0.9}, "weight": [0.0, 0.5]}, r"search\.legacy: start 0\.9 is outside search\.weight \[0\.0, 0\.5\]"),
        ({"legacy": {"ratio": 3.0}}, r"search\.legacy: ratio 3\.0 is outside search\.ratio \[0\.0, 2\.0\]"),
        ({"legacy": {"step": 0}}, r"search\.legacy\.step: Input should be greater than 0"),
        ({"legacy": {"max_iter": 0}}, r"search\.legacy\.max_iter: Input should be greater than or equal to 1"),
        ({"legacy": {"patience": 3}}, r"search\.legacy\.patience: unknown key"),
        ({"spsa": {"probe": 0.7}}, r"search\.spsa\.probe: Input should be less than or equal to 0\.5"),
        ({"spsa": {"repeats": 0}}, r"search\.spsa\.repeats: Input should be greater than or equal to 1"),
        ({"spsa": {"init": 0, "start": [0.5, 2.5]}}, r"search\.spsa: start\[1\] 2\.5 is outside search\.ratio"),
        ({"spsa": {"start": [0.5, 1.0]}}, r"search\.spsa: start is used only with init: 0"),
        ({"spsa": {"gain": 1}}, r"search\.spsa\.gain: unknown key"),
        ({"final_selection": {"seeds": 1}}, r"search\.final_selection\.seeds: Input should be greater than or equal to 2"),
        ({"final_selection": {"top": 0}}, r"search\.final_selection\.top: Input should be greater than or equal to 1"),
    ],
)
def test_bad_sampler_options_are_one_line_naming_file_and_key(tmp_path, search, message):
    path = write(tmp_path, search)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: ") and "\n" not in str(info.value)


def test_options_reach_the_sampler(tmp_path):
    config = load_config(write(tmp_path, {
        "sampler": "legacy", "ratio": [0.0, 3.0], "legacy": {"start": 0.4, "step": 0.2, "tol": 0.01, "max_iter": 5},
        "final_selection": {"top": 2, "seeds": 4},
    }))
    sampler = make_sampler(config.search.sampler, 7, config.search)
    assert isinstance(sampler, FiniteDifferenceSampler) and sampler.mode == "legacy"
    strategy = sampler.strategy
    assert (strategy.options.start, strategy.options.step, strategy.options.tol, strategy.options.max_iter) == (0.4, 0.2, 0.01, 5)
    assert strategy.fixed == {"ratio": 1.5}  # legacy.ratio unset: the middle of search.ratio
    assert config.search.final_selection.top == 2 and config.search.final_selection.seeds == 4

    search = SearchConfig(
        sampler="spsa", weight=(0.2, 0.6), spsa={"init": 0, "start": [0.3, 0.5], "repeats": 2, "ratio": 1.0}
    )
    spsa = make_sampler("spsa", 0, search).strategy
    assert spsa.searched == ("weight",) and spsa.fixed == {"ratio": 1.0} and spsa.bounds == {"weight": (0.2, 0.6)}
    assert spsa.start.tolist() == pytest.approx([0.25]) and spsa.options.repeats == 2


def test_defaults_keep_the_demo_unchanged():
    search = SearchConfig()
    assert search.final_selection is None  # the demo stays fast: no re-evaluation unless asked for
    assert (search.legacy.start, search.legacy.step, search.legacy.tol, search.legacy.max_iter) == (0.5, 0.1, 1e-3, 20)
