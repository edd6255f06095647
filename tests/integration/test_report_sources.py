"""The same real-name report from a home's store, its interchange export and a new home
imported from that export, and from the jobmatch report command with and without
--from-export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from matching.interchange import export_directory, import_directory
from matching.reports import (
    Period,
    Report,
    build_report,
    data_from_export,
    data_from_store,
)
from matching.settings import Settings
from matching.store import Store
from matching.store.tables import AuditRow
from tests.unit.test_report_figures import TARGETS, hand_files, hand_world
from tests.world import write_world


def _report_of_home(home: Path, period: Period, prefix: str) -> Report:
    store = Store.open(Settings(home=home))
    try:
        return build_report(
            data_from_store(store, actor="test"), period, TARGETS, region_prefix=prefix
        )
    finally:
        store.close()


@pytest.mark.parametrize("prefix", ["", "43", "4301"])
def test_the_report_is_the_same_from_the_store_its_export_and_a_home_rebuilt_from_it(
    tmp_path: Path, prefix: str
) -> None:
    """Every figure is reproducible from the interchange export: the report of a home, of its
    export, and of a new home imported from that export are identical."""
    store = Store.open(Settings(home=tmp_path / "home"))
    try:
        assert import_directory(store, write_world(tmp_path / "files", hand_files())).ok
        export_directory(store, tmp_path / "export", actor="test")
    finally:
        store.close()
    rebuilt = Store.open(Settings(home=tmp_path / "rebuilt"))
    try:
        assert import_directory(rebuilt, tmp_path / "export").ok
    finally:
        rebuilt.close()
    for period in (Period.quarterly(2025, 2), Period.annual(2025)):
        from_store = _report_of_home(tmp_path / "home", period, prefix)
        from_export = build_report(
            data_from_export(tmp_path / "export"), period, TARGETS, region_prefix=prefix
        )
        assert from_store == from_export == _report_of_home(tmp_path / "rebuilt", period, prefix)
        assert from_store == build_report(hand_world(), period, TARGETS, region_prefix=prefix)
    quarter = _report_of_home(tmp_path / "home", Period.quarterly(2025, 2), prefix)
    assert quarter.section("assessments").value("assessments") == 1
    # Reading who has a disability category is audited, once per report read.
    store = Store.open(Settings(home=tmp_path / "home"))
    try:
        with store.session() as session:
            reads = session.scalars(
                select(AuditRow.actor).where(AuditRow.action == "report_data")
            ).all()
    finally:
        store.close()
    assert reads == ["test"] * 3


def test_report_command_recounts_the_same_report_from_an_export(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from serving.cli import app

    runner = CliRunner()
    env = {"JOBMATCH_HOME": str(tmp_path / "home")}
    assert runner.invoke(app, ["import", str(write_world(tmp_path / "w"))], env=env).exit_code == 0
    assert runner.invoke(app, ["export", str(tmp_path / "export")], env=env).exit_code == 0
    base = ["report", "quarterly", "--year", "2025", "--quarter", "2", "--region", "4301"]
    for fmt in ("csv", "json", "xlsx"):
        from_store = runner.invoke(
            app, [*base, "--format", fmt, "--out", str(tmp_path / f"s.{fmt}")], env=env
        )
        assert from_store.exit_code == 0, from_store.output
        from_export = runner.invoke(
            app,
            [
                *base,
                "--format",
                fmt,
                "--out",
                str(tmp_path / f"e.{fmt}"),
                "--from-export",
                str(tmp_path / "export"),
            ],
            env={"JOBMATCH_HOME": str(tmp_path / "empty")},
        )
        assert from_export.exit_code == 0, from_export.output
        if fmt != "xlsx":  # a workbook stores its creation time
            assert (tmp_path / f"s.{fmt}").read_bytes() == (tmp_path / f"e.{fmt}").read_bytes()
    rows = list(csv.DictReader(io.StringIO((tmp_path / "s.csv").read_text(encoding="utf-8-sig"))))
    referrals = next(r for r in rows if (r["section"], r["measure"]) == ("referrals", "referrals"))
    assert referrals["value"] == "1"  # r2, 1 June
    sheet = load_workbook(tmp_path / "e.xlsx").active
    assert next(sheet.iter_rows(values_only=True)) == (
        "section",
        "measure",
        "group",
        "value",
        "label",
    )
    missing = runner.invoke(app, ["report", "quarterly", "--year", "2025", "--out", "x"], env=env)
    assert missing.exit_code == 2 and "--quarter" in missing.output
