"""API accounts and bearer tokens.

A token is ``secrets.token_urlsafe(32)`` shown once, when it is made; the database keeps only
its SHA-256, so reading the tokens table grants nothing. Tokens expire and can be revoked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from matching.domain import PROVINCE_PREFIXES
from matching.privacy import single_line
from matching.store import Store
from matching.store.tables import AccountRow, EmployerRow, TokenRow

TOKEN_LIFETIME = dt.timedelta(days=90)


class Role(StrEnum):
    """What an account may do (checked on every route, with its scope)."""

    COUNSELOR = "counselor"  # people and jobs within a region prefix
    EMPLOYER = "employer"  # its own jobs; proposed people as anonymised cards
    MANAGER = "manager"  # statistics
    ADMIN = "admin"  # accounts and the audit log


@dataclass(frozen=True, slots=True)
class Account:
    """The caller of a request."""

    id: int
    name: str
    role: Role
    region_code: str | None
    employer_id: str | None
    active: bool
    created_at: dt.datetime

    @property
    def actor(self) -> str:
        """How the audit log names this account."""
        return f"account:{self.id}:{self.name}"

    def covers_region(self, region_code: str) -> bool:
        """Whether a counselor's region prefix contains a 6-digit region code."""
        return self.region_code is not None and region_code.startswith(self.region_code)

    @classmethod
    def from_row(cls, row: AccountRow) -> Account:
        return cls(
            row.id,
            row.name,
            Role(row.role),
            row.region_code,
            row.employer_id,
            row.active,
            row.created_at,
        )


class AccountError(ValueError):
    """An account cannot be made as asked (a missing or meaningless scope)."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_scope(session: Session, role: Role, region: str | None, employer: str | None) -> None:
    if role is Role.COUNSELOR:
        # Only ASCII digits: str.isdigit() also accepts "43٠١", which no region code holds.
        if not region or not all(c in "0123456789" for c in region) or not 2 <= len(region) <= 6:
            raise AccountError("a counselor needs --region: a 2- to 6-digit region code prefix")
        if region[:2] not in PROVINCE_PREFIXES:
            raise AccountError(f"--region {region}: {region[:2]} is not a province code")
    elif region:
        raise AccountError("only counselors have a --region")
    if role is Role.EMPLOYER:
        if not employer:
            raise AccountError("an employer account needs --employer: the employer's id")
        if session.get(EmployerRow, employer) is None:
            raise AccountError(f"--employer {employer}: no such employer")
    elif employer:
        raise AccountError("only employer accounts have an --employer")


def issue_token(
    session: Session, account_id: int, *, lifetime: dt.timedelta = TOKEN_LIFETIME
) -> str:
    """A new bearer token for an account; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC)
    session.add(
        TokenRow(
            token_hash=token_hash(token),
            account_id=account_id,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return token


def create_account(
    store: Store,
    *,
    name: str,
    role: Role | str,
    region: str | None = None,
    employer: str | None = None,
    lifetime: dt.timedelta = TOKEN_LIFETIME,
) -> tuple[Account, str]:
    """Make an account and its first bearer token (shown once; only its hash is kept).

    Raises :class:`AccountError` when the scope does not fit the role: counselors need a region
    prefix, employer accounts an existing employer id, and no other role has either.
    """
    role = Role(role)
    with store.session() as session:
        account = create_account_in(session, name=name, role=role, region=region, employer=employer)
        token = issue_token(session, account.id, lifetime=lifetime)
    return account, token


def create_account_in(
    session: Session, *, name: str, role: Role, region: str | None, employer: str | None
) -> Account:
    """Make an account within an open session (see :func:`create_account`)."""
    if not name.strip():
        raise AccountError("an account needs a name")
    if single_line(name, 128) != name.strip():
        # The name is written into every audit entry of the account: one line, bounded.
        raise AccountError("an account name is one line of at most 128 characters")
    _check_scope(session, role, region, employer)
    row = AccountRow(
        name=name.strip(),
        role=role.value,
        region_code=region or None,
        employer_id=employer or None,
        created_at=dt.datetime.now(dt.UTC),
        active=True,
    )
    session.add(row)
    session.flush()
    return Account.from_row(row)


def revoke_tokens(session: Session, account_id: int) -> int:
    """Revoke every live token of an account; returns how many were revoked."""
    # An UPDATE's result is a CursorResult, which counts the rows it changed.
    result = cast(
        "CursorResult[Any]",
        session.execute(
            update(TokenRow)
            .where(TokenRow.account_id == account_id, TokenRow.revoked_at.is_(None))
            .values(revoked_at=dt.datetime.now(dt.UTC))
        ),
    )
    return result.rowcount or 0


def authenticate(session: Session, token: str) -> Account | None:
    """The active account a token belongs to, or None if it is unknown, expired or revoked."""
    found = session.execute(
        select(AccountRow, TokenRow.expires_at)
        .join(TokenRow, TokenRow.account_id == AccountRow.id)
        .where(TokenRow.token_hash == token_hash(token), TokenRow.revoked_at.is_(None))
    ).first()
    if found is None:
        return None
    row, expires_at = found
    # SQLite hands back naive datetimes; they were written in UTC.
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=dt.UTC)
    if expires_at <= dt.datetime.now(dt.UTC) or not row.active:
        return None
    return Account.from_row(row)
