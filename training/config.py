"""The one typed configuration of training and promotion (:class:`TrainingConfig`).

Every default lives in ``training/ranker.toml``, shipped inside this package, so an installed
wheel trains exactly as a source checkout does. A user file (``jobmatch retrain --config
FILE``) replaces only the keys it holds, and command-line options replace those of both
(:func:`load_config`); an unknown key or a value of the wrong type is refused with a
:class:`ConfigError` naming the key. Nothing here holds a default of its own.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from matching.features import monotone_constraints

PACKAGED = "ranker.toml"

#: Where LightGBM trains: in this process, or on a Dask cluster (the ``scale`` extra).
Engine = Literal["local", "dask"]


class ConfigError(ValueError):
    """A training configuration that cannot be used; the message names each bad key."""


class _Section(BaseModel):
    # Strict: a TOML string where a number belongs is refused, not converted.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class TrainingSetSpec(_Section):
    """How a ranking set is cut from the referral history (``[dataset]``;
    :func:`training.dataset.build_ranking_set`).

    ``window_days``: a query's referrals form one group per window of that many days (0: the
    whole history). ``random_negatives`` and ``retrieval_negatives`` per group: feasible
    unreferred items drawn at random, and drawn from the ``retrieval_depth`` nearest feasible
    items by embedding. ``labels``: ``"outcome"`` grades hired 3, left early 2, interviewed 1,
    otherwise 0; ``"referred"`` also ranks a referred item that failed (1) above an unreferred
    one (0), positives shifted up by one. ``history_features``: whether the model may learn
    from :data:`matching.features.HISTORY_FEATURES` (blanked to NaN when not, so no tree
    splits on them and they contribute nothing when serving).
    """

    window_days: int = Field(ge=0)
    random_negatives: int = Field(ge=0)
    retrieval_negatives: int = Field(ge=0)
    retrieval_depth: int = Field(ge=1)
    labels: Literal["outcome", "referred"]
    history_features: bool


class Fitting(_Section):
    """``[training]``: the seed, the engine, and what the trees start from and are held to."""

    seed: int
    engine: Engine
    scheduler: str  # empty: a local two-worker cluster
    baseline_prior: float = Field(ge=0)
    monotone: bool


class LightGBMParams(_Section):
    """``[lightgbm]``: the parameters of LightGBM's LambdaRank estimator."""

    objective: Literal["lambdarank"]
    n_estimators: int = Field(ge=1)
    learning_rate: float = Field(gt=0)
    num_leaves: int = Field(ge=2)
    min_child_samples: int = Field(ge=1)
    subsample: float = Field(gt=0, le=1)
    subsample_freq: int = Field(ge=0)
    colsample_bytree: float = Field(gt=0, le=1)
    lambdarank_truncation_level: int = Field(ge=1)
    deterministic: bool
    force_row_wise: bool
    verbose: int


class ValidationSpec(_Section):
    """``[validation]``: the held-out weeks and how many queries are scored per direction."""

    weeks: int = Field(ge=1)
    max_queries: int = Field(ge=1)


class PromotionRule(_Section):
    """``[promotion]``: the margin, the per-category tolerance and the gates."""

    margin: float
    tolerance: float
    min_category_queries: int = Field(ge=0)
    parity_min: float = Field(ge=0)
    parity_max: float

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.parity_min > self.parity_max:
            raise ValueError(f"parity_min {self.parity_min} 大于 parity_max {self.parity_max}")
        return self


class TrainingConfig(_Section):
    """Every training and promotion setting, one section per step of the pipeline."""

    dataset: TrainingSetSpec
    training: Fitting
    lightgbm: LightGBMParams
    validation: ValidationSpec
    promotion: PromotionRule

    @property
    def scheduler(self) -> str | None:
        """The Dask scheduler address, or ``None`` for a local two-worker cluster."""
        return self.training.scheduler or None

    def lightgbm_settings(self) -> dict[str, Any]:
        """The keyword arguments of the LambdaRank estimator, the same for both engines: the
        ``[lightgbm]`` parameters, the seed, and the declared feature directions as
        ``monotone_constraints`` when ``monotone``."""
        settings: dict[str, Any] = {
            **self.lightgbm.model_dump(),
            "random_state": self.training.seed,
        }
        if self.training.monotone:
            settings["monotone_constraints"] = monotone_constraints()
        return settings

    def with_changes(
        self, changes: Mapping[str, Mapping[str, Any]], *, source: str = "（代码中的设置）"
    ) -> TrainingConfig:
        """A copy with the keys of ``changes`` (by section) replaced, validated like a file."""
        return _validated(_merged(self.model_dump(), changes), source)

    def flat(self) -> dict[str, Any]:
        """Every setting as ``section.key`` (MLflow parameters, the model card)."""
        return {
            f"{section}.{key}": value
            for section, values in self.model_dump().items()
            for key, value in values.items()
        }


def _merged(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for section, values in changes.items():
        known = merged.get(section)
        if isinstance(known, Mapping) and isinstance(values, Mapping):
            merged[section] = {**known, **values}
        else:
            merged[section] = values  # unknown or not a table: validation names it
    return merged


_REASONS = {
    "extra_forbidden": "未知的设置",
    "missing": "缺少此设置",
    "int_type": "应为整数",
    "float_type": "应为数字",
    "bool_type": "应为 true 或 false",
    "string_type": "应为字符串",
    "literal_error": "应为 {expected} 之一",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than_equal": "应不大于 {le}",
    "model_type": "应为一节设置（[节名] 下的键值）",
    "model_attributes_type": "应为一节设置（[节名] 下的键值）",
}


def _validated(data: Mapping[str, Any], source: str) -> TrainingConfig:
    try:
        return TrainingConfig.model_validate(data)
    except ValidationError as error:
        problems = []
        for problem in error.errors():
            key = ".".join(str(part) for part in problem["loc"]) or "（整个文件）"
            context = {k: str(v).replace(" or ", "、") for k, v in problem.get("ctx", {}).items()}
            if problem["type"] == "value_error":  # a rule across keys (a validator's words)
                problems.append(f"{key}：{context['error']}")
                continue
            reason = _REASONS.get(problem["type"], "取值无效：{msg}")
            reason = reason.format(msg=problem["msg"], **context)
            shown = "" if problem["type"] == "missing" else f"（给的是 {problem['input']!r}）"
            problems.append(f"{key}：{reason}{shown}")
        raise ConfigError(f"训练配置{source}有误：" + "；".join(problems)) from None


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"无法读取训练配置文件 {path}：{error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"训练配置文件 {path} 不是有效的 TOML：{error}") from None


def shipped_config() -> TrainingConfig:
    """The configuration shipped in the package (``training/ranker.toml``)."""
    text = resources.files(__package__).joinpath(PACKAGED).read_text(encoding="utf-8")
    return _validated(tomllib.loads(text), f" {__package__}/{PACKAGED} ")


def load_config(
    file: Path | None = None, options: Mapping[str, Mapping[str, Any]] | None = None
) -> TrainingConfig:
    """The shipped configuration, with the keys of the user ``file`` (if any) replaced, then
    those of the command-line ``options`` (by section; ``None`` values are not given).

    Raises :class:`ConfigError` naming the file (or the options) and every bad key.
    """
    config = shipped_config()
    if file is not None:
        config = _validated(_merged(config.model_dump(), _read(file)), f"文件 {file} ")
    given = {
        section: {key: value for key, value in values.items() if value is not None}
        for section, values in (options or {}).items()
    }
    if any(given.values()):
        config = config.with_changes(given, source="（命令行选项）")
    return config
