"""The API driven over HTTP: a TestClient with the accounts of the small hand-written world
(tests/world.py), and the helpers the API tests share."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from matching.interchange import import_directory
from matching.settings import Settings
from matching.store import Store
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


def serve_world(settings: Settings, resources: Resources, tmp_path: Path) -> Iterator[Api]:
    """The app over the small hand-written world in ``settings``' home, with one token per
    account of ``ACCOUNTS``; the app's lifespan runs while the caller holds the client."""
    store = Store.open(settings)
    assert import_directory(store, write_world(tmp_path / "world")).ok
    tokens = {
        name: create_account(store, name=name, **scope)[1] for name, scope in ACCOUNTS.items()
    }
    store.close()
    app = create_app(settings, resources=lambda _settings, _store: resources)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, tokens, settings)
