"""The training configuration (training/config.py): shipped as package data, overridden by a
user file key by key and by command-line options, and refusing what it does not know."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pytest

from matching.features import monotone_constraints
from training.config import ConfigError, load_config, shipped_config


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_the_configuration_comes_from_the_package_wherever_the_job_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no checkout around: nothing relative to the working directory
    packaged = tomllib.loads(
        resources.files("training").joinpath("ranker.toml").read_text(encoding="utf-8")
    )
    config = load_config()
    assert config == shipped_config()
    assert config.model_dump() == packaged
    assert not (Path(__file__).resolve().parents[2] / "models" / "ranker.toml").exists()


def test_a_user_file_replaces_the_keys_it_holds_and_keeps_the_rest(tmp_path: Path) -> None:
    shipped = shipped_config()
    file = write(tmp_path / "mine.toml", "[lightgbm]\nnum_leaves = 15\n")
    config = load_config(file)
    assert config.lightgbm.num_leaves == 15 != shipped.lightgbm.num_leaves
    assert config.model_dump(exclude={"lightgbm": {"num_leaves"}}) == shipped.model_dump(
        exclude={"lightgbm": {"num_leaves"}}
    )


def test_a_command_line_option_beats_the_file(tmp_path: Path) -> None:
    file = write(tmp_path / "mine.toml", "[promotion]\nmargin = 0.01\ntolerance = 0.2\n")
    config = load_config(file, {"promotion": {"margin": 0.02, "tolerance": None}})
    assert config.promotion.margin == 0.02  # the option
    assert config.promotion.tolerance == 0.2  # not given on the command line: the file's
    assert load_config(None, {"validation": {"weeks": 6}}).validation.weeks == 6


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        ("[lightgbm]\nnum_leavs = 15\n", "lightgbm.num_leavs", "未知的设置"),
        ("[lightgbm]\nnum_leaves = '15'\n", "lightgbm.num_leaves", "应为整数"),
        ("[training]\nmonotone = 1\n", "training.monotone", "应为 true 或 false"),
        ("[training]\nengine = 'spark'\n", "training.engine", "'local'、'dask'"),
        ("[dataset]\nrandom_negatives = -1\n", "dataset.random_negatives", "应不小于 0"),
        ("[boosting]\nrounds = 3\n", "boosting", "未知的设置"),
        ("seed = 3\n", "seed", "未知的设置"),
        ("[promotion]\nparity_min = 2.0\n", "promotion", "parity_min 2.0 大于 parity_max"),
    ],
)
def test_an_unknown_key_or_a_bad_value_is_refused_naming_the_key(
    tmp_path: Path, text: str, key: str, reason: str
) -> None:
    file = write(tmp_path / "bad.toml", text)
    with pytest.raises(ConfigError) as refused:
        load_config(file)
    message = str(refused.value)
    assert str(file) in message and f"{key}：" in message and reason in message


def test_a_bad_option_and_an_unreadable_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="命令行选项.*validation.weeks"):
        load_config(None, {"validation": {"weeks": 0}})
    with pytest.raises(ConfigError, match="无法读取"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="不是有效的 TOML"):
        load_config(write(tmp_path / "broken.toml", "[lightgbm\n"))


def test_both_engines_get_one_set_of_estimator_settings() -> None:
    config = shipped_config().with_changes({"training": {"seed": 7}})
    settings = config.lightgbm_settings()
    assert settings["random_state"] == 7
    assert settings["monotone_constraints"] == monotone_constraints()
    assert {k: settings[k] for k in config.lightgbm.model_dump()} == config.lightgbm.model_dump()
    free = config.with_changes({"training": {"monotone": False}}).lightgbm_settings()
    assert "monotone_constraints" not in free


def test_every_setting_is_logged_by_its_section_and_key() -> None:
    config = shipped_config()
    flat = config.flat()
    assert flat["lightgbm.n_estimators"] == config.lightgbm.n_estimators
    assert flat["promotion.margin"] == config.promotion.margin
    assert len(flat) == sum(len(section) for section in config.model_dump().values())
    assert config.scheduler is None  # empty in the file: a local cluster
