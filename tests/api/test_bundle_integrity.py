"""Issue 9 items 3 and 4: a ranker bundle is checksummed when saved and verified whole before
it is used; a bad, partial or missing bundle never takes the API down, the last good ranker
keeps ranking and ``/readyz`` answers 503 with the reason."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from matching.ranker import CHECKSUMS_FILE, SPEC_FILE, BundleError, Direction, Ranker
from tests.api_client import Api
from tests.integration.test_tracking import tiny_ranker

MODEL_FILE = f"{Direction.JOBS_FOR_CANDIDATE.value}.txt"


def _truncate_model(bundle: Path) -> None:
    data = (bundle / MODEL_FILE).read_bytes()
    (bundle / MODEL_FILE).write_bytes(data[: len(data) // 2])


def _truncate_spec(bundle: Path) -> None:
    data = (bundle / SPEC_FILE).read_bytes()
    (bundle / SPEC_FILE).write_bytes(data[:40])


def _drop_a_feature(bundle: Path) -> None:
    # Spec and checksums consistent with each other, but a feature missing: a bundle someone
    # edited by hand, or one built by another version.
    spec = json.loads((bundle / SPEC_FILE).read_text())
    spec["features"] = spec["features"][:-1]
    (bundle / SPEC_FILE).write_text(json.dumps(spec))
    listing = json.loads((bundle / CHECKSUMS_FILE).read_text())
    data = (bundle / SPEC_FILE).read_bytes()
    listing[SPEC_FILE] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (bundle / CHECKSUMS_FILE).write_text(json.dumps(listing))


def _flip_a_byte(bundle: Path) -> None:
    data = bytearray((bundle / MODEL_FILE).read_bytes())
    data[len(data) // 3] ^= 0x01
    (bundle / MODEL_FILE).write_bytes(bytes(data))


def _delete(bundle: Path) -> None:
    shutil.rmtree(bundle)


def _remove_checksums(bundle: Path) -> None:
    (bundle / CHECKSUMS_FILE).unlink()


DAMAGE: dict[str, Callable[[Path], None]] = {
    "truncated model": _truncate_model,
    "truncated spec": _truncate_spec,
    "feature missing": _drop_a_feature,
    "flipped byte": _flip_a_byte,
    "checksums missing": _remove_checksums,
}


def test_save_writes_checksums_of_every_file(tmp_path: Path) -> None:
    bundle = tmp_path / "ranker"
    tiny_ranker("v1").save(bundle)
    listing = json.loads((bundle / CHECKSUMS_FILE).read_text())
    assert set(listing) == {SPEC_FILE, MODEL_FILE}
    assert listing[MODEL_FILE]["size"] == (bundle / MODEL_FILE).stat().st_size
    assert Ranker.load(bundle).version == "v1"


@pytest.mark.parametrize("damage", [d for d in DAMAGE if d != "feature missing"])
def test_a_damaged_bundle_is_refused_with_a_reason_and_the_process_survives(
    tmp_path: Path, damage: str
) -> None:
    bundle = tmp_path / "ranker"
    tiny_ranker("v1").save(bundle)
    DAMAGE[damage](bundle)
    # In a child process: before checksums, LightGBM's parser aborted (or crashed) the whole
    # process on a truncated model file, which would take pytest down with it.
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path\n"
            "from matching.ranker import Ranker, BundleError\n"
            f"try:\n    Ranker.load(Path({str(bundle)!r}))\n"
            "except BundleError as e:\n    print('refused:', e); sys.exit(3)\n",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert child.returncode == 3, (child.returncode, child.stdout, child.stderr[-2000:])
    assert "refused:" in child.stdout


def test_a_partial_bundle_is_an_error_not_the_baseline_in_silence(tmp_path: Path) -> None:
    bundle = tmp_path / "ranker"
    tiny_ranker("v1").save(bundle)
    (bundle / SPEC_FILE).unlink()
    with pytest.raises(BundleError, match="missing"):
        Ranker.in_service(bundle)


# -- serving: keep the last good ranker, report it in /readyz ------------------------------


def _serving_bundle(api: Api) -> Path:
    """Put a tiny learned ranker in service and check that the API ranks with it."""
    ranker = tiny_ranker("good")
    ranker.embedding_model_id = api.client.app.state.runtime.resources.embedder.model_id  # type: ignore[attr-defined]
    ranker.save(api.settings.ranker_dir)
    model = api.call("GET", "/v1/model", "counselor")
    assert model.status_code == 200 and model.json()["name"] == "lightgbm-lambdarank@good"
    assert api.call("GET", "/readyz", None).status_code == 200
    return api.settings.ranker_dir


def _still_serving(api: Api, key: str) -> None:
    model = api.call("GET", "/v1/model", "counselor")
    assert model.status_code == 200, model.text
    assert model.json()["name"] == "lightgbm-lambdarank@good"
    recommended = api.call("GET", "/v1/candidates/c1/recommendations", "counselor")
    assert recommended.status_code == 200, recommended.text
    assert {r["model"] for r in recommended.json()["results"]} <= {"lightgbm-lambdarank@good"}
    people = api.call("GET", "/v1/jobs/j2/recommendations", "counselor")
    assert people.status_code == 200, people.text
    referral = api.call(
        "POST",
        "/v1/referrals",
        "counselor",
        json={"candidate_id": "c3", "job_id": "j2", "override_reason": "本人意愿"},
        headers={"Idempotency-Key": key},
    )
    assert referral.status_code == 201, referral.text


@pytest.mark.slow
@pytest.mark.parametrize("damage", [*DAMAGE, "deleted"])
def test_a_bad_bundle_while_serving_keeps_the_last_good_ranker_and_readyz_says_why(
    api: Api, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    bundle = _serving_bundle(api)
    (_delete if damage == "deleted" else DAMAGE[damage])(bundle)

    _still_serving(api, key=f"bundle-{damage.replace(' ', '-')}")
    ready = api.call("GET", "/readyz", None)
    assert ready.status_code == 503
    body = ready.json()
    assert body["checks"]["ranker"] is False
    assert "ranker bundle not in service" in body["reasons"][0]
    assert "lightgbm-lambdarank@good" in body["reasons"][0]
    assert any("ranker bundle not in service" in r.getMessage() for r in caplog.records)

    # A good bundle put back is taken into service and the process is ready again.
    fixed = tiny_ranker("fixed")
    fixed.embedding_model_id = api.client.app.state.runtime.resources.embedder.model_id  # type: ignore[attr-defined]
    fixed.save(bundle)
    assert api.call("GET", "/v1/model", "counselor").json()["name"] == "lightgbm-lambdarank@fixed"
    assert api.call("GET", "/readyz", None).status_code == 200
