"""Reading and writing the interchange format (INTERCHANGE.md, "Files" and "Commands").

Import upserts by id and is idempotent; a file with any invalid record is rejected whole,
with one ``file:line: field: reason`` line per problem, unless invalid records are skipped,
in which case they are written, with their reasons, beside the import report.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from tqdm import tqdm

from matching.domain import Candidate, Record, describe_errors
from matching.store.database import KINDS, OPTIONAL_KINDS, Store
from matching.store.tables import CandidateRow
from matching.textfiles import NotUtf8Error, text_lines

REPORT_NAME = "import-report.json"

# Which fields must name a record that already exists, and of which kind.
REFERENCES: dict[str, dict[str, str]] = {
    "jobs": {"employer_id": "employers"},
    "referrals": {"candidate_id": "candidates", "job_id": "jobs"},
    "quota_declarations": {"employer_id": "employers"},
    # Lists: every id named must exist.
    "events": {"employer_ids": "employers", "job_ids": "jobs", "attendee_ids": "candidates"},
    # Casework (issue 13); an optional reference left empty names nothing.
    "referral_events": {"referral_id": "referrals"},
    "employment": {"candidate_id": "candidates", "employer_id": "employers"},
    "assessments": {"candidate_id": "candidates"},
    "enrolments": {"course_id": "courses", "candidate_id": "candidates"},
    "cases": {"candidate_id": "candidates"},
    "case_actions": {"case_id": "cases"},
}

_WRITE_BATCH = 5000


def _private_file(path: Path) -> TextIO:
    """A file opened for writing (emptied), readable by its owner only: exports, rejected lines
    and import reports hold ID numbers and other personal data."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its old mode through O_CREAT
    return os.fdopen(fd, "w", encoding="utf-8")


def file_name(kind: str) -> str:
    """The interchange file of a kind of record."""
    return f"{kind}.jsonl"


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason one line of a file was refused."""

    file: str
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.reason}"


@dataclass(slots=True)
class FileReport:
    """What importing one file did."""

    file: str
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected_whole: bool = False
    problems: list[Problem] = field(default_factory=list)


@dataclass(slots=True)
class ImportReport:
    """What importing a directory did, file by file."""

    files: list[FileReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was refused (skipped records count as refused)."""
        return not any(f.problems for f in self.files)


def _parse(
    kind: str, name: str, number: int, line: str
) -> tuple[Record | None, list[Problem], Any]:
    """Parse and validate one line; returns the record or the problems, and the raw object."""
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, [Problem(name, number, "record", f"not valid JSON ({exc.msg})")], line
    if not isinstance(raw, dict):
        return None, [Problem(name, number, "record", "must be a JSON object")], raw
    try:
        return KINDS[kind][0].model_validate(raw), [], raw
    except ValidationError as exc:
        return None, [Problem(name, number, f, r) for f, r in describe_errors(exc)], raw


def import_directory(
    store: Store,
    directory: Path,
    *,
    skip_invalid: bool = False,
    report_dir: Path | None = None,
    progress: bool = False,
) -> ImportReport:
    """Upsert every record of the interchange files in ``directory``.

    Files are taken in dependency order (employers, jobs, candidates, referrals), each in one
    transaction. Without ``skip_invalid`` a file with any problem is not stored at all. With
    it, valid records are stored and refused ones written to ``<kind>.rejects.jsonl`` in
    ``report_dir`` (default: ``directory``), beside ``import-report.json``.
    """
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory} is not a directory")
    present = [kind for kind in KINDS if (directory / file_name(kind)).is_file()]
    if not present:
        raise FileNotFoundError(
            f"{directory} holds none of {', '.join(file_name(k) for k in KINDS)}"
        )
    report = ImportReport()
    report_dir = report_dir or directory
    for kind in present:
        file_report = _import_file(
            store, directory / file_name(kind), kind, skip_invalid, report_dir, progress
        )
        report.files.append(file_report)
    if skip_invalid:
        report_dir.mkdir(parents=True, exist_ok=True)
        # Problems quote the values refused (a malformed phone number): private like rejects.
        with _private_file(report_dir / REPORT_NAME) as handle:
            handle.write(
                json.dumps([_report_dict(f) for f in report.files], ensure_ascii=False, indent=2)
                + "\n"
            )
    return report


def _report_dict(report: FileReport) -> dict[str, Any]:
    data = asdict(report)
    data["problems"] = [str(p) for p in report.problems]
    return data


def _import_file(
    store: Store, path: Path, kind: str, skip_invalid: bool, report_dir: Path, progress: bool
) -> FileReport:
    name = path.name
    report = FileReport(name)
    records: list[Record] = []
    rejects: list[dict[str, Any]] = []
    first_line: dict[str, int] = {}
    with store.session() as session:
        known = {ref: store.all_ids(session, ref) for ref in set(REFERENCES.get(kind, {}).values())}
        # One person, one registration: ID number fingerprint → the candidate holding it.
        registered: dict[str, str] = (
            {
                digest: holder
                for digest, holder in session.execute(
                    select(CandidateRow.id_number_hash, CandidateRow.id).where(
                        CandidateRow.id_number_hash.is_not(None)
                    )
                )
                if digest is not None
            }
            if kind == "candidates"
            else {}
        )
        lines = tqdm(text_lines(path), desc=f"checking {name}", unit=" lines", disable=not progress)
        try:
            for number, line in lines:
                report.read += 1
                record, problems, raw = _parse(kind, name, number, line)
                if record is not None:
                    problems = _check_record(record, kind, name, number, known, first_line)
                    if isinstance(record, Candidate) and record.id_number and not problems:
                        problems = _check_id_number(store, record, name, number, registered)
                if problems:
                    report.problems.extend(problems)
                    rejects.append(
                        {
                            "line": number,
                            "problems": [f"{p.field}: {p.reason}" for p in problems],
                            "record": raw,
                        }
                    )
                elif record is not None:  # a line without problems always parsed
                    records.append(record)
        except NotUtf8Error as error:
            # Not one line of a file in another encoding is stored, --skip-invalid or not.
            report.problems.append(Problem(name, error.line, "file", str(error)))
            report.rejected_whole = True
            return report
        if report.problems and not skip_invalid:
            report.rejected_whole = True
            return report
        _write(store, session, kind, records, report, progress)
    if rejects:
        report.skipped = len(rejects)
        report_dir.mkdir(parents=True, exist_ok=True)
        with _private_file(report_dir / f"{kind}.rejects.jsonl") as handle:
            for reject in rejects:
                handle.write(json.dumps(reject, ensure_ascii=False) + "\n")
    return report


def _check_record(
    record: Record,
    kind: str,
    name: str,
    number: int,
    known: dict[str, set[str]],
    first_line: dict[str, int],
) -> list[Problem]:
    """Problems a record has beyond its own fields: repeated ids and dangling references."""
    problems = []
    if record.id in first_line:
        problems.append(
            Problem(
                name, number, "id", f"{record.id} already appears on line {first_line[record.id]}"
            )
        )
    else:
        first_line[record.id] = number
    for attribute, target in REFERENCES.get(kind, {}).items():
        value = getattr(record, attribute)
        for named in value if isinstance(value, list) else [value]:
            if named is not None and named not in known[target]:
                problems.append(
                    Problem(
                        name,
                        number,
                        attribute,
                        f"no {target[:-1]} with id {named} (import {target} first)",
                    )
                )
    return problems


def _check_id_number(
    store: Store, record: Candidate, name: str, number: int, registered: dict[str, str]
) -> list[Problem]:
    """A problem when the record's ID number is registered for another candidate (stored, or
    earlier in the file); otherwise the number is now the record's."""
    assert record.id_number is not None
    digest = store.vault.fingerprint(record.id_number)
    owner = registered.setdefault(digest, record.id)
    if owner == record.id:
        return []
    return [Problem(name, number, "id_number", f"is already registered as candidate {owner}")]


def _write(
    store: Store,
    session: Session,
    kind: str,
    records: list[Record],
    report: FileReport,
    progress: bool,
) -> None:
    with tqdm(
        total=len(records), desc=f"storing {kind}", unit=" records", disable=not progress
    ) as bar:
        for start in range(0, len(records), _WRITE_BATCH):
            batch = records[start : start + _WRITE_BATCH]
            inserted, updated, unchanged = store.upsert(session, kind, batch)
            report.inserted += inserted
            report.updated += updated
            report.unchanged += unchanged
            bar.update(len(batch))


def export_directory(
    store: Store, directory: Path, *, actor: str, purpose: str | None = None
) -> dict[str, int]:
    """Write every stored record to the interchange files, in id order (the optional files,
    such as ``wage_standards.jsonl``, only when they hold records).

    Export → import into an empty home → export gives identical files. The export reads
    personal data, so it is audit-logged. Files are written whole or not at all.
    """
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with store.session() as session:
        for kind in KINDS:
            target = directory / file_name(kind)
            partial = target.with_suffix(".jsonl.partial")
            count = 0
            with _private_file(partial) as handle:
                for record in store.iter_records(session, kind):
                    handle.write(json.dumps(record.to_interchange(), ensure_ascii=False) + "\n")
                    count += 1
            if count == 0 and kind in OPTIONAL_KINDS:
                partial.unlink()
                continue
            os.replace(partial, target)
            counts[kind] = count
        store.audit(
            session,
            actor=actor,
            action="export",
            subject=f"{counts['candidates']} candidates to {directory}",
            purpose=purpose,
        )
    return counts
