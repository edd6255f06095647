"""Files in another encoding than UTF-8 (GBK, as Excel on Chinese Windows saves them), handed
to every command that reads a text file: refused with the file, line and fix, nothing stored
or written, never a traceback."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from matching.settings import Settings
from matching.store import Store
from serving.cli import app
from tests.world import WORLD, write_world

runner = CliRunner()


def jobmatch(home: Path, *args: str):
    return runner.invoke(app, list(args), env={"JOBMATCH_HOME": str(home)})


def refused(result) -> bool:
    """Exit 1 through the command's own error path: an uncaught exception (the
    UnicodeDecodeError these files raised) also exits 1 under CliRunner."""
    return result.exit_code == 1 and isinstance(result.exception, SystemExit)


def to_gbk(path: Path) -> None:
    path.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))


def test_import_refuses_a_gbk_file_whole_even_when_skipping_invalid_lines(tmp_path: Path) -> None:
    data = write_world(tmp_path / "in")
    to_gbk(data / "candidates.jsonl")
    for extra in ((), ("--skip-invalid",)):
        result = jobmatch(tmp_path / "h", "import", str(data), *extra)
        assert refused(result), result.output
        assert "candidates.jsonl:1: file: candidates.jsonl 不是 UTF-8 编码" in result.output
        assert "看起来是 GBK/GB18030 编码" in result.output
        assert "candidates.jsonl: 0 records read: REJECTED (nothing stored)" in result.output
        # The other files (UTF-8) are imported; of the GBK one, nothing.
        assert "employers.jsonl: 2 records read" in result.output
    store = Store.open(Settings(home=tmp_path / "h"))
    try:
        with store.session() as session:
            assert store.all_ids(session, "candidates") == set()
            assert store.all_ids(session, "employers") == {e["id"] for e in WORLD["employers"]}
    finally:
        store.close()
    assert not (data / "candidates.rejects.jsonl").exists()


def test_occupation_suggest_refuses_a_gbk_titles_file_before_building_the_coder(
    tmp_path: Path,
) -> None:
    titles = tmp_path / "titles.txt"
    titles.write_bytes("保洁员\n普工\n".encode("gbk"))
    out = tmp_path / "out.jsonl"
    result = jobmatch(
        tmp_path / "h", "occupations", "suggest", "--titles", str(titles), "--out", str(out)
    )
    assert refused(result)
    message = "titles.txt 不是 UTF-8 编码（第 1 行无法解码，看起来是 GBK/GB18030 编码）"
    assert message in result.output
    assert not out.exists()


def test_report_from_an_export_names_the_bad_file_and_line(tmp_path: Path) -> None:
    export = write_world(tmp_path / "export")
    base = ["report", "annual", "--year", "2025", "--out", str(tmp_path / "r.json")]
    to_gbk(export / "candidates.jsonl")
    result = jobmatch(tmp_path / "h", *base, "--from-export", str(export))
    assert refused(result) and "candidates.jsonl 不是 UTF-8 编码" in result.output
    (export / "candidates.jsonl").write_text("[1, 2]\n", encoding="utf-8")
    result = jobmatch(tmp_path / "h", *base, "--from-export", str(export))
    assert refused(result)
    assert "candidates.jsonl 第 1 行不是 JSON 对象" in result.output
    (export / "candidates.jsonl").write_text('{"id": "c9"}\n', encoding="utf-8")
    result = jobmatch(tmp_path / "h", *base, "--from-export", str(export))
    assert refused(result) and "candidates.jsonl 第 1 行记录无效" in result.output
    assert not (tmp_path / "r.json").exists()


def test_recommend_refuses_a_gbk_id_list_and_names_a_missing_one(tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_bytes("张三\n".encode("gbk"))
    result = jobmatch(tmp_path / "h", "recommend", "--for", "candidates", "--ids", str(ids))
    assert refused(result) and "ids.txt 不是 UTF-8 编码" in result.output
    missing = jobmatch(
        tmp_path / "h", "recommend", "--for", "candidates", "--ids", str(tmp_path / "none.txt")
    )
    assert missing.exit_code == 2 and "cannot read" in missing.output
