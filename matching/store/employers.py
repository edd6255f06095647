"""Employers (用人单位) as stored: registered and changed, each write audited."""

from __future__ import annotations

from collections.abc import Callable

from matching.domain import Employer
from matching.store.repository import Repository
from matching.store.tables import EmployerRow


class Employers(Repository[Employer, EmployerRow]):
    """The employers of one store, for one actor."""

    kind = "employers"
    record_type = Employer
    row_type = EmployerRow

    def register(self, employer: Employer) -> Employer:
        """Store a new employer (:class:`~matching.store.repository.AlreadyExists`)."""
        return self.create(employer, action="create_employer", purpose=None)

    def patch(
        self,
        load: Callable[[], EmployerRow],
        change: Callable[[EmployerRow], Employer],
        *,
        if_match: str | None,
        changed: Callable[[], list[str]],
    ) -> tuple[EmployerRow, Employer, str]:
        """Store a change, audited with the fields it ``changed`` (worked out by ``change``)."""
        return self.change(
            load,
            change,
            if_match=if_match,
            action="update_employer",
            purpose=lambda: ", ".join(changed()) or "no change",
        )
