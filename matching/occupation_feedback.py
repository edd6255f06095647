"""Occupation codes confirmed for job titles: put on the job, and kept as training data.

When an employer (or a counselor) confirms a 2022 code for a job, :func:`confirm_occupation`
writes the code into the job's ``occupation`` (so ``jobs.occupation_code`` holds it and the
interchange export carries it) and records the (title, code) pair with what the coder had
suggested. :func:`confirmed_pairs` gives those pairs to the coder's next retrain
(``jobmatch occupations train``): the latest confirmation of each job counts once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.domain import Job
from matching.occupations import OccupationVocabulary, normalize_text
from matching.store import Store
from matching.store.tables import OccupationConfirmationRow

_CODE = re.compile(r"[1-9]-\d{2}-\d{2}-\d{2}|[1-9]\d{6}")


class UnknownOccupationCode(ValueError):
    """The code is neither a detailed occupation nor a group of the 2022 classification."""


def canonical_code(vocabulary: OccupationVocabulary, code: str) -> str:
    """The dashed form of an occupation or group code (``"4090801"`` → ``"4-09-08-01"``).

    Raises :class:`UnknownOccupationCode` (with a Chinese message, shown to employers) when
    the classification has no such code.
    """
    # A code, not a name: 保洁 would resolve to 保洁员, but the employer confirms a code.
    looks_like_code = _CODE.fullmatch(normalize_text(code)) is not None
    resolved = vocabulary.resolve_code(code) if looks_like_code else None
    if resolved is None:
        raise UnknownOccupationCode(f"职业分类大典（2022）中没有编码 {code!r}")
    return resolved


def confirm_occupation(
    session: Session,
    store: Store,
    vocabulary: OccupationVocabulary,
    job: Job,
    code: str,
    *,
    suggested: Sequence[str],
    coder: str,
    actor: str,
    now: dt.datetime | None = None,
) -> Job:
    """Put ``code`` on ``job`` and record the confirmation; returns the updated job.

    ``suggested`` are the codes the coder proposed for the title (best first) and ``coder``
    what proposed them. The caller commits.
    """
    dashed = canonical_code(vocabulary, code)
    updated = job.model_copy(update={"occupation": dashed})
    store.upsert(session, "jobs", [updated])
    session.add(
        OccupationConfirmationRow(
            job_id=job.id,
            title=job.title,
            code=dashed,
            suggested=list(suggested),
            coder=coder,
            actor=actor,
            confirmed_at=now or dt.datetime.now(dt.UTC),
        )
    )
    return updated


def confirmed_pairs(store: Store) -> list[tuple[str, str]]:
    """``(title, code)`` of the latest confirmation of every job, in job order."""
    latest = (
        select(OccupationConfirmationRow.job_id, func.max(OccupationConfirmationRow.id).label("id"))
        .group_by(OccupationConfirmationRow.job_id)
        .subquery()
    )
    with store.session() as session:
        rows = session.execute(
            select(OccupationConfirmationRow.title, OccupationConfirmationRow.code)
            .join(latest, latest.c.id == OccupationConfirmationRow.id)
            .order_by(OccupationConfirmationRow.job_id)
        ).all()
    return [(title, code) for title, code in rows]


def confirmation_accuracy(store: Store, k: int = 5) -> dict[str, float | int]:
    """How often the confirmed code was the coder's first suggestion, or among its first
    ``k``, over the latest confirmation of every job (a live accuracy of the coder)."""
    latest = select(func.max(OccupationConfirmationRow.id)).group_by(
        OccupationConfirmationRow.job_id
    )
    with store.session() as session:
        rows = session.execute(
            select(OccupationConfirmationRow.code, OccupationConfirmationRow.suggested).where(
                OccupationConfirmationRow.id.in_(latest)
            )
        ).all()
    total = len(rows)
    first = sum(1 for code, suggested in rows if suggested[:1] == [code])
    within = sum(1 for code, suggested in rows if code in suggested[:k])
    return {
        "confirmed": total,
        "acc@1": first / total if total else 0.0,
        f"acc@{k}": within / total if total else 0.0,
    }
