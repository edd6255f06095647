"""``notebooks/model_report.ipynb`` runs end to end, so it never rots.

It is executed with nbclient (the venv's ``python3`` kernel) against a small synthetic home
with one promoted champion, and against a home without any, where it must say so instead of
failing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.synthetic_home import synthetic_home
from training.config import shipped_config
from training.retrain import retrain

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "model_report.ipynb"
FAST = {"n_estimators": 40, "min_child_samples": 5}


def execute(home: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> nbformat.NotebookNode:
    """Run the notebook in a fresh kernel; it inherits this environment, naming ``home``."""
    monkeypatch.setenv("JOBMATCH_HOME", str(home))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=600,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute()  # raises CellExecutionError if any cell fails
    return notebook


def outputs(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]


def printed(notebook: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for o in outputs(notebook) if o.output_type == "stream")


@pytest.mark.slow
def test_the_report_shows_the_champion_with_plots_and_examples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = dt.date.today()  # the notebook's examples rank today's open jobs
    made = synthetic_home(tmp_path, today=today)
    settings, embedder, occupations = made.settings, made.embedder, made.occupations
    # Too few validation queries for the exposure-parity gate (tested in test_promotion.py).
    first = retrain(
        settings,
        now=today,
        embedder=embedder,
        occupations=occupations,
        config=shipped_config().with_changes(
            {"lightgbm": FAST, "promotion": {"parity_min": 0.0, "parity_max": float("inf")}}
        ),
    )
    assert first.promoted

    notebook = execute(settings.home, tmp_path, monkeypatch)

    assert not [o for o in outputs(notebook) if o.output_type == "error"]
    images = [o for o in outputs(notebook) if "image/png" in o.get("data", {})]
    assert len(images) >= 3  # metrics over runs, feature importance, exposure
    text = printed(notebook)
    assert f"jobmatch-ranker v{first.model_version}" in text and first.run_id in text
    assert "exposure" in text and "feasible share" in text
    assert text.count("candidate C") == 3  # three explained examples
    assert "lightgbm-lambdarank@" + first.ranker_version in text
    assert "No champion yet" not in text


@pytest.mark.slow
def test_without_a_champion_the_report_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "empty-home"
    home.mkdir()
    notebook = execute(home, tmp_path, monkeypatch)
    assert not [o for o in outputs(notebook) if o.output_type == "error"]
    assert "No champion yet" in printed(notebook)
    assert not [o for o in outputs(notebook) if "image/png" in o.get("data", {})]
