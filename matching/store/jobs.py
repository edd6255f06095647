"""Jobs (岗位) as stored: posted, listed, changed and closed, each write audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from itertools import islice

from sqlalchemy import func, select

from matching.domain import Job
from matching.store.repository import Repository
from matching.store.tables import JobRow


class Jobs(Repository[Job, JobRow]):
    """The jobs of one store, for one actor: :meth:`post`, :meth:`search`, ``patch`` and
    :meth:`close`."""

    kind = "jobs"
    record_type = Job
    row_type = JobRow
    create_action = "post_job"
    update_action = "update_job"

    def post(self, job: Job) -> Job:
        """Store a new job (:class:`~matching.store.repository.AlreadyExists`)."""
        return self.create(job)

    def search(
        self,
        *,
        employer_id: str | None = None,
        region_prefix: str = "",
        open_on: dt.date | None = None,
        limit: int,
    ) -> list[Job]:
        """Jobs of an employer, or in a region, in id order; with ``open_on`` only those
        taking referrals that day. ``limit`` counts the jobs returned, after that filter."""
        query = select(JobRow).where(JobRow.region_code.startswith(region_prefix))
        if employer_id is not None:
            query = query.where(JobRow.employer_id == employer_id)
        jobs = (self.record(row) for row in self.session.scalars(query.order_by(JobRow.id)))
        if open_on is not None:
            # Job.is_open is the rule; rows are read lazily, so only as many as needed.
            jobs = (job for job in jobs if job.is_open(open_on))
        return list(islice(jobs, limit))

    def busiest_employer(self, region_prefix: str) -> str | None:
        """The employer with the most jobs in a region, the lowest id among equals; ``None``
        when the region has no job."""
        return self.session.scalar(
            select(JobRow.employer_id)
            .where(JobRow.region_code.startswith(region_prefix))
            .group_by(JobRow.employer_id)
            .order_by(func.count().desc(), JobRow.employer_id)
            .limit(1)
        )

    def close(
        self, load: Callable[[], JobRow], *, if_match: str | None, today: dt.date
    ) -> tuple[JobRow, Job, str]:
        """Stop taking referrals: the job closes yesterday (a job is open on its closing day),
        or on its posting day if it was posted ``today``."""
        closes: list[dt.date] = []

        def change(row: JobRow) -> Job:
            current = self.record(row)
            closes[:] = [max(current.posted_at, today - dt.timedelta(days=1))]
            return current.model_copy(update={"closes_at": closes[0]})

        return self.change(
            load,
            change,
            if_match=if_match,
            action="close_job",
            purpose=lambda: f"closes_at {closes[0].isoformat()}",
        )
