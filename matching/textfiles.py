"""Reading the text files people hand to jobmatch: interchange files, title and id lists.

Every such file is UTF-8 (a byte-order mark, as Excel and Notepad write it, is allowed).
A centre's files often come from Excel on Chinese Windows, which saves GBK/GB18030 or
UTF-16; such a file is refused with :class:`NotUtf8Error`, naming the file, the first line
that does not decode and the encoding it looks like, never read as garbled text.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

_CHUNK = 1 << 16
# How much of a refused file is read to name the encoding it looks like.
_SAMPLE = 1 << 20


class NotUtf8Error(ValueError):
    """A file that is not UTF-8; the message (Chinese, then English) says how to fix it."""

    def __init__(self, path: Path, line: int, looks_like: str | None) -> None:
        self.path = Path(path)
        self.line = line
        self.looks_like = looks_like
        hint_zh = f"，看起来是 {looks_like} 编码" if looks_like else ""
        hint_en = f", it looks like {looks_like}" if looks_like else ""
        super().__init__(
            f"{self.path.name} 不是 UTF-8 编码（第 {line} 行无法解码{hint_zh}）："
            "请另存为 UTF-8 后重试。"
            f" / {self.path.name} is not UTF-8 (line {line} does not decode{hint_en}): "
            "save it as UTF-8 and try again."
        )


def text_lines(path: Path) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` of every line of a UTF-8 file that is not blank, the line
    without its ending, numbered from 1; read in chunks, so a file of any size streams.

    Raises :class:`NotUtf8Error` at the first line that does not decode (the lines before it
    have been yielded: a caller that must not act on part of a file collects them first).
    """
    path = Path(path)
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    number = 0
    pending = ""
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            final = not chunk
            try:
                text = pending + decoder.decode(chunk, final=final)
            except UnicodeDecodeError as error:
                # The bytes before the error hold the line breaks of this chunk so far (the
                # pending text is the start of one line, without any).
                refused = number + error.object.count(b"\n", 0, error.start) + 1
                raise NotUtf8Error(path, refused, _looks_like(path)) from None
            lines = text.split("\n")
            pending = "" if final else lines.pop()  # a line may go on in the next chunk
            for line in lines:
                number += 1
                if line.strip():
                    yield number, line.rstrip("\r")
            if final:
                return


def _looks_like(path: Path) -> str | None:
    """The encoding a file that is not UTF-8 looks like, from its first megabyte: UTF-16 by
    its byte-order mark, or GBK/GB18030 if it decodes as such; ``None`` otherwise."""
    with path.open("rb") as handle:
        sample = handle.read(_SAMPLE)
    if sample[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "UTF-16"
    try:
        # Not final: the sample may end inside a character.
        codecs.getincrementaldecoder("gb18030")().decode(sample, final=False)
    except UnicodeDecodeError:
        return None
    return "GBK/GB18030"
