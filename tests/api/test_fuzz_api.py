"""Issue 9, "prove it": schemathesis against the app's own OpenAPI schema, as an admin, a
counselor and an employer, with the checks ``not_a_server_error`` and
``response_schema_conformance``: every generated request (valid or not) gets an answer that
is no 5xx and matches the schema documented for its status.

Bounded (a few examples per operation, derandomized) so that it runs in a couple of minutes
on two cores; the path ids are often mapped to records that exist, so that requests reach the
routes' logic and not only their 404s.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from matching.interchange import import_directory
from matching.settings import Settings
from matching.store import Store
from serving.app import create_app
from serving.auth import Role, create_account
from serving.runtime import Resources
from tests.world import write_world

pytestmark = pytest.mark.slow

ROLES = {
    "admin": {"role": Role.ADMIN},
    "counselor": {"role": Role.COUNSELOR, "region": "4301"},
    "employer": {"role": Role.EMPLOYER, "employer": "e1"},
}

# Records of the small world that each path parameter may be mapped to.
KNOWN = {
    "candidate_id": ["c1", "c2", "c3"],
    "job_id": ["j1", "j2"],
    "employer_id": ["e1", "e2"],
    "referral_id": ["r1", "r2"],
    "account_id": [1, 2, 3],
}


@schemathesis.hook
def map_path_parameters(context: Any, path_parameters: dict[str, Any]) -> dict[str, Any]:
    """Three times in four, a known record instead of the generated id (deterministically)."""
    if not path_parameters:
        return path_parameters
    mapped = dict(path_parameters)
    for name, value in path_parameters.items():
        choices = KNOWN.get(name)
        if choices:
            pick = len(str(value)) % (len(choices) + 1)
            if pick < len(choices):
                mapped[name] = choices[pick]
    return mapped


class Target:
    client: TestClient
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory, resources: Resources) -> Iterator[Target]:  # noqa: F811
    root: Path = tmp_path_factory.mktemp("fuzz")
    settings_ = Settings(home=root / "home")
    store = Store.open(settings_)
    assert import_directory(store, write_world(root / "world")).ok
    found = Target()
    found.tokens = {
        name: create_account(store, name=f"fuzz-{name}", **scope)[1]
        for name, scope in ROLES.items()
    }
    store.close()
    app = create_app(settings_, resources=lambda _settings, _store: resources)
    with TestClient(app, raise_server_exceptions=False) as client:
        found.client = client
        yield found


# The schema does not depend on the installation: read it from an app that is never started.
schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi())


def _send(client: TestClient, case: Any, token: str) -> Any:
    """Send a generated case through the started app (requests-style arguments to httpx)."""
    kwargs = case.as_transport_kwargs(
        base_url="http://testserver", headers={"Authorization": f"Bearer {token}"}
    )
    data = kwargs.pop("data", None)
    if isinstance(data, bytes | str):
        kwargs["content"] = data
    elif data is not None:
        kwargs["data"] = data
    if not kwargs.get("cookies"):
        kwargs.pop("cookies", None)
    for unsupported in ("allow_redirects", "timeout", "verify"):
        kwargs.pop(unsupported, None)
    return client.request(**kwargs)


@schema.parametrize()
@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_gets_a_server_error_or_an_undocumented_answer(
    case: Any, target: Target
) -> None:
    for role in ROLES:
        response = _send(target.client, case, target.tokens[role])
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
