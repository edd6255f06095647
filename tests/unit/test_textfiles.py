"""The one reader of the text files people hand to jobmatch (matching/textfiles.py)."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from matching import textfiles
from matching.textfiles import NotUtf8Error, text_lines


def test_lines_are_numbered_from_one_without_bom_endings_or_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "titles.txt"
    path.write_bytes(codecs.BOM_UTF8 + "保洁员\r\n\r\n  \n普工（包吃住）\n最后一行".encode())
    assert list(text_lines(path)) == [(1, "保洁员"), (4, "普工（包吃住）"), (5, "最后一行")]


def test_a_character_split_across_chunks_decodes(tmp_path: Path, monkeypatch) -> None:
    # 7-byte chunks cut the 3-byte characters and the line breaks anywhere.
    monkeypatch.setattr(textfiles, "_CHUNK", 7)
    lines = [f"岗位{i}：门岗保安员" for i in range(50)]
    path = tmp_path / "ids.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert list(text_lines(path)) == list(enumerate(lines, start=1))


def test_a_gbk_file_is_refused_at_its_first_undecodable_line(tmp_path: Path) -> None:
    path = tmp_path / "titles.txt"
    path.write_bytes(b"ok\nfine\n" + "保洁员\n普工\n".encode("gbk"))
    with pytest.raises(NotUtf8Error) as refused:
        list(text_lines(path))
    assert refused.value.line == 3
    assert refused.value.looks_like == "GBK/GB18030"
    message = str(refused.value)
    assert "titles.txt 不是 UTF-8 编码（第 3 行无法解码，看起来是 GBK/GB18030 编码）" in message
    assert "save it as UTF-8" in message


def test_a_utf16_file_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_bytes("c1\nc2\n".encode("utf-16"))  # with its byte-order mark, as Excel saves
    with pytest.raises(NotUtf8Error) as refused:
        list(text_lines(path))
    assert refused.value.looks_like == "UTF-16" and refused.value.line == 1


def test_bytes_no_encoding_explains_get_no_guess(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"id": "a"}\n\xff\xff\xff\n')
    with pytest.raises(NotUtf8Error) as refused:
        list(text_lines(path))
    assert refused.value.line == 2 and refused.value.looks_like is None
    assert "看起来" not in str(refused.value)


def test_the_refused_line_is_counted_across_chunks(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(textfiles, "_CHUNK", 7)
    path = tmp_path / "candidates.jsonl"
    good = "".join(f"第{i}行\n" for i in range(1, 20)).encode()
    path.write_bytes(good + "保洁员\n".encode("gbk") + "好\n".encode())
    with pytest.raises(NotUtf8Error) as refused:
        list(text_lines(path))
    assert refused.value.line == 20
