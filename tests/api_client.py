"""The API driven over HTTP: a TestClient with the accounts of the small hand-written world
(tests/world.py), and the helpers the API tests share."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select

from matching.interchange import import_directory
from matching.settings import Settings
from matching.store import Store
from matching.store.tables import Base
from serving.app import create_app
from serving.auth import Role, create_account
from serving.runtime import Resources
from tests.world import write_world


@dataclass
class Api:
    """A client of the app with one bearer token per account of ``ACCOUNTS``."""

    client: TestClient
    tokens: dict[str, str]
    settings: Settings

    def call(self, method: str, url: str, who: str | None, **kwargs: Any) -> Any:
        """Send a request as the account ``who`` (``None``: without a token)."""
        headers = kwargs.pop("headers", {})
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return self.client.request(method, url, headers=headers, **kwargs)


ACCOUNTS = {
    # Changsha (4301): c1 (430104), c2 (430103), e1, e2, j1, j2 are all inside.
    "counselor": {"role": Role.COUNSELOR, "region": "4301"},
    # Furong district only (430102): c3 is inside, the rest outside.
    "counselor_other": {"role": Role.COUNSELOR, "region": "430102"},
    "employer1": {"role": Role.EMPLOYER, "employer": "e1"},
    "employer2": {"role": Role.EMPLOYER, "employer": "e2"},
    "manager": {"role": Role.MANAGER},
    "admin": {"role": Role.ADMIN},
}


def error_of(response: Any) -> dict[str, Any]:
    """The body of an error response, checked to be the one error schema."""
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


def refer(api: Api, key: str, **body: Any) -> Any:
    """Create a referral as the counselor with the idempotency key ``key``."""
    return api.call(
        "POST", "/v1/referrals", "counselor", json=body, headers={"Idempotency-Key": key}
    )


def record_outcome(api: Api, referral: str, who: str, outcome: str, **extra: Any) -> Any:
    """Record a referral's outcome as the account ``who`` (``PATCH /v1/referrals/{id}``)."""
    return api.call("PATCH", f"/v1/referrals/{referral}", who, json={"outcome": outcome, **extra})


def serve_world(
    settings: Settings,
    resources: Resources,
    tmp_path: Path,
    *,
    world: Callable[[Path], Path] = write_world,
    accounts: Mapping[str, Mapping[str, Any]] = ACCOUNTS,
) -> Iterator[Api]:
    """The app over a world (the small hand-written one unless ``world`` writes another into
    the folder it is given and returns it) in ``settings``' home, with one token per account
    of ``accounts``; the app's lifespan runs while the caller holds the client."""
    store = Store.open(settings)
    assert import_directory(store, world(tmp_path / "world")).ok
    # An account's name is its key unless its scope names it.
    tokens = {
        key: create_account(store, **{"name": key, **scope})[1] for key, scope in accounts.items()
    }
    store.close()
    app = create_app(settings, resources=lambda _settings, _store: resources)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, tokens, settings)


#: What reading leaves behind, so not part of the world: the audit entries reads write, the
#: embedding cache, and the tokens' and sessions' last use.
_NOT_THE_WORLD = frozenset({"audit_log", "embeddings", "tokens", "console_sessions"})


def world_state(settings: Settings) -> dict[str, list[str]]:
    """Every stored row of ``settings``' database but those of ``_NOT_THE_WORLD``, table by
    table: equal before and after a test that only read."""
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            return {
                table.name: sorted(repr(tuple(row)) for row in connection.execute(select(table)))
                for table in Base.metadata.sorted_tables
                if table.name not in _NOT_THE_WORLD
            }
    finally:
        engine.dispose()
