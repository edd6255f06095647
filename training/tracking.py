"""MLflow runs and the model registry of the ranker.

Every training run is an MLflow run of the experiment ``jobmatch-ranker``: parameters,
metrics, the data window, the git commit and ONE artifact directory, ``ranker/``, holding the
bundle :meth:`matching.ranker.Ranker.save` writes (boosters, feature list, embedding model id).
Each run's bundle is registered as a version of the model ``jobmatch-ranker``; the ``champion``
alias names the version in service (stages are deprecated in MLflow).

Nothing is configured at import time: a :class:`Tracker` is built from the settings in force
and talks to MLflow through its own ``MlflowClient`` with an explicit tracking URI, so no
global MLflow state is touched. The default store is SQLite in the home
(``Settings.resolved_mlflow_uri``); its artifacts go to ``$JOBMATCH_HOME/mlartifacts``.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlflow.artifacts import download_artifacts
from mlflow.entities import Metric, Param, RunTag
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from matching.ranker import Ranker
from matching.settings import Settings
from training.config import TrainingConfig

EXPERIMENT = "jobmatch-ranker"
REGISTERED_MODEL = "jobmatch-ranker"
CHAMPION = "champion"
ARTIFACT_PATH = "ranker"

# Tracking stores backed by a database keep no artifacts themselves; MLflow would default to
# ./mlruns under whatever directory the job happens to run in, so the home is named instead.
_DATABASE_SCHEMES = ("sqlite", "postgresql", "mysql", "mssql")
_MAX_PARAM_LENGTH = 6000  # MLflow's limit on a parameter value


def git_commit(directory: Path | None = None) -> str:
    """The commit of the code that runs (best effort: ``unknown`` outside a git checkout)."""
    where = directory or Path(__file__).resolve().parent
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return result.stdout.strip() or "unknown"


@dataclass(frozen=True)
class Champion:
    """The registered version the ``champion`` alias points at, with its bundle loaded."""

    version: str
    run_id: str
    ranker: Ranker


class Tracker:
    """Experiment runs, artifacts and the ``champion`` alias in the configured MLflow store."""

    def __init__(self, settings: Settings) -> None:
        self.uri = settings.resolved_mlflow_uri
        self.client = MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)
        scheme = self.uri.split(":", 1)[0].split("+", 1)[0]
        self.artifact_location = (
            (settings.home / "mlartifacts").as_uri() if scheme in _DATABASE_SCHEMES else None
        )

    def experiment_id(self) -> str:
        """The id of the ``jobmatch-ranker`` experiment, created on first use."""
        experiment = self.client.get_experiment_by_name(EXPERIMENT)
        if experiment is not None:
            return experiment.experiment_id
        return self.client.create_experiment(EXPERIMENT, artifact_location=self.artifact_location)

    @contextmanager
    def run(self, name: str, tags: Mapping[str, str] | None = None) -> Iterator[str]:
        """A run that ends FINISHED, or FAILED (and re-raises) if the block raises."""
        run = self.client.create_run(self.experiment_id(), tags=dict(tags or {}), run_name=name)
        run_id = run.info.run_id
        try:
            yield run_id
        except BaseException:
            self.client.set_terminated(run_id, "FAILED")
            raise
        self.client.set_terminated(run_id, "FINISHED")

    def end_abandoned_runs(self, tags: Mapping[str, str]) -> list[str]:
        """Mark KILLED the runs still RUNNING that carry all of ``tags``; their ids.

        A run whose process was killed (``kill -9``, power loss) never ends by itself; the
        caller holds the lock that proves no process of these tags is still running.
        """
        experiment = self.client.get_experiment_by_name(EXPERIMENT)
        if experiment is None:
            return []
        conditions = ["attributes.status = 'RUNNING'"] + [
            f"tags.{key} = '{value}'" for key, value in tags.items()
        ]
        ended = []
        for run in self.client.search_runs(
            [experiment.experiment_id], filter_string=" and ".join(conditions)
        ):
            self.client.set_tag(run.info.run_id, "ended_by", "the next run (process gone)")
            self.client.set_terminated(run.info.run_id, "KILLED")
            ended.append(run.info.run_id)
        return ended

    def log(
        self,
        run_id: str,
        *,
        params: Mapping[str, Any] | None = None,
        metrics: Mapping[str, float] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        """Log parameters, metrics and tags in one batch."""
        self.client.log_batch(
            run_id,
            metrics=[Metric(k, float(v), 0, 0) for k, v in (metrics or {}).items()],
            params=[Param(k, str(v)[:_MAX_PARAM_LENGTH]) for k, v in (params or {}).items()],
            tags=[RunTag(k, str(v)) for k, v in (tags or {}).items()],
        )

    def log_bundle(self, run_id: str, ranker: Ranker) -> None:
        """Store the ranker bundle as the run's ``ranker/`` artifact directory."""
        with tempfile.TemporaryDirectory(prefix="jobmatch-bundle-") as scratch:
            bundle = Path(scratch) / ARTIFACT_PATH
            ranker.save(bundle)
            self.client.log_artifacts(run_id, str(bundle), ARTIFACT_PATH)

    def log_file(self, run_id: str, path: Path) -> None:
        """Attach one file (e.g. the model card) to the run."""
        self.client.log_artifact(run_id, str(path))

    def register(self, run_id: str) -> str:
        """Register the run's bundle as a new version of ``jobmatch-ranker``; its number."""
        try:
            self.client.create_registered_model(REGISTERED_MODEL)
        except MlflowException as exc:
            if exc.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
        source = f"{self.client.get_run(run_id).info.artifact_uri}/{ARTIFACT_PATH}"
        version = self.client.create_model_version(REGISTERED_MODEL, source, run_id=run_id)
        return str(version.version)

    def champion_version(self) -> ModelVersion | None:
        """The version the ``champion`` alias points at, or None before any promotion."""
        try:
            return self.client.get_model_version_by_alias(REGISTERED_MODEL, CHAMPION)
        except MlflowException as exc:
            if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
            return None

    def download_bundle(self, version: ModelVersion, destination: Path) -> Path:
        """Download a registered version's bundle into ``destination``; the bundle's folder."""
        destination.mkdir(parents=True, exist_ok=True)
        local = download_artifacts(
            artifact_uri=version.source, dst_path=str(destination), tracking_uri=self.uri
        )
        return Path(local)

    def load_champion(self, scratch: Path) -> Champion | None:
        """The champion, its bundle downloaded under ``scratch`` and loaded; None if none."""
        version = self.champion_version()
        if version is None:
            return None
        ranker = Ranker.load(self.download_bundle(version, scratch))
        return Champion(str(version.version), version.run_id or "", ranker)

    def set_champion(self, version: str) -> None:
        """Point the ``champion`` alias at a registered version."""
        self.client.set_registered_model_alias(REGISTERED_MODEL, CHAMPION, version)

    def set_version_tags(self, version: str, tags: Mapping[str, str]) -> None:
        """Tag a registered version (e.g. whether it was promoted and why)."""
        for key, value in tags.items():
            self.client.set_model_version_tag(REGISTERED_MODEL, version, key, str(value))


def run_parameters(
    config: TrainingConfig, challenger: Ranker, settings: Settings, window: Mapping[str, Any]
) -> dict[str, Any]:
    """What a retraining run logs as MLflow parameters: every setting in force
    (``section.key``), the retrieval pool, the challenger's identity and the data window
    (``data.*``)."""
    return {
        **config.flat(),
        "retrieval_pool": settings.retrieval_pool,
        "embedding_model_id": challenger.embedding_model_id,
        "features": len(challenger.features),
        "ranker_version": challenger.version,
        **{f"data.{key}": value for key, value in window.items()},
    }
