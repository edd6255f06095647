"""Employers (用人单位) as stored: registered and changed, each write audited."""

from __future__ import annotations

from matching.domain import Employer
from matching.store.repository import Repository
from matching.store.tables import EmployerRow


class Employers(Repository[Employer, EmployerRow]):
    """The employers of one store, for one actor: :meth:`register` and ``patch``."""

    kind = "employers"
    record_type = Employer
    row_type = EmployerRow
    create_action = "create_employer"
    update_action = "update_employer"

    def register(self, employer: Employer) -> Employer:
        """Store a new employer (:class:`~matching.store.repository.AlreadyExists`)."""
        return self.create(employer)
