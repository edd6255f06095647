"""Console sign-in: account name and password, browser sessions and lock-out.

Passwords are kept only as argon2id hashes (memory-hard, from ``argon2-cffi``), one row per
account in ``account_passwords``; an account without one cannot sign in to the console, and its
bearer tokens for the API are unaffected either way. A browser session is a random cookie of
which only the SHA-256 is stored, with its own CSRF token. After
``console_max_failed_signins`` wrong passwords in a row an account is locked for
``console_lockout_minutes``; an unknown name costs the same hashing time as a known one, and
both answer alike, so the form does not reveal which names exist.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from matching.settings import Settings
from matching.store import Store
from matching.store.tables import AccountPasswordRow, AccountRow, ConsoleSessionRow
from serving.auth import Account, Role

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256

_hasher = PasswordHasher()
# Verified against when the account name is unknown, so that both cases cost the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class PasswordRejected(ValueError):
    """A password (or the account it is for) that cannot be set; the message is for a person."""


def check_password_rules(password: str) -> None:
    """Raise :class:`PasswordRejected` for a password too short, too long or blank."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected(f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordRejected(f"密码不能超过 {MAX_PASSWORD_LENGTH} 个字符")
    if not password.strip():
        raise PasswordRejected("密码不能只有空白字符")


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands back naive datetimes; they were written in UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def set_password(
    store: Store, session: Session, account: Account, password: str, *, actor: str
) -> None:
    """Give an account a new console password (argon2id), clear any lock-out and end its
    console sessions. Names sign in, so two accounts with passwords may not share a name."""
    check_password_rules(password)
    clash = session.scalar(
        select(AccountRow.id)
        .join(AccountPasswordRow, AccountPasswordRow.account_id == AccountRow.id)
        .where(AccountRow.name == account.name, AccountRow.id != account.id)
        .limit(1)
    )
    if clash is not None:
        raise PasswordRejected(f"账号名“{account.name}”已被另一个可登录的账号使用")
    now = dt.datetime.now(dt.UTC)
    row = session.get(AccountPasswordRow, account.id)
    if row is None:
        row = AccountPasswordRow(account_id=account.id, failed_attempts=0)
        session.add(row)
    row.password_hash = _hasher.hash(password)
    row.changed_at = now
    row.failed_attempts = 0
    row.locked_until = None
    end_sessions(session, account.id)
    store.audit(
        session,
        actor=actor,
        action="set_password",
        subject=f"accounts:{account.id}",
        purpose=None,
    )


def find_account(session: Session, name: str, role: Role | None = None) -> Account | None:
    """The account of a name (and ``role``, if given), preferring one that can sign in (has a
    password)."""
    query = (
        select(AccountRow)
        .outerjoin(AccountPasswordRow, AccountPasswordRow.account_id == AccountRow.id)
        .where(AccountRow.name == name.strip())
    )
    if role is not None:
        query = query.where(AccountRow.role == role.value)
    row = session.scalar(
        query.order_by(AccountPasswordRow.account_id.is_(None), AccountRow.id).limit(1)
    )
    return Account.from_row(row) if row is not None else None


@dataclass(frozen=True, slots=True)
class SignIn:
    """What became of a sign-in attempt: an account, or why not (in Chinese, for the form)."""

    account: Account | None
    problem: str | None = None
    locked_until: dt.datetime | None = None


WRONG_CREDENTIALS = "账号或密码不正确"


def sign_in(store: Store, session: Session, settings: Settings, name: str, password: str) -> SignIn:
    """Check a name and password, counting failures and locking the account after too many.

    A locked account is refused without looking at the password, so guessing on is useless;
    the lock lifts by itself. Every outcome is written to the audit log.
    """
    now = dt.datetime.now(dt.UTC)
    row = session.scalar(
        select(AccountRow)
        .join(AccountPasswordRow, AccountPasswordRow.account_id == AccountRow.id)
        .where(AccountRow.name == name.strip())
        .limit(1)
    )
    credentials = session.get(AccountPasswordRow, row.id) if row is not None else None
    if row is None or credentials is None:
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        store.audit(
            session,
            actor=f"console:{name.strip()[:64]}",
            action="sign_in_failed",
            subject="accounts",
            purpose="unknown account name",
        )
        return SignIn(None, WRONG_CREDENTIALS)
    account = Account.from_row(row)
    locked_until = _utc(credentials.locked_until)
    if locked_until is not None and locked_until > now:
        store.audit(
            session,
            actor=account.actor,
            action="sign_in_refused",
            subject=f"accounts:{account.id}",
            purpose="locked",
        )
        return SignIn(None, _locked_message(locked_until, now), locked_until)
    try:
        _hasher.verify(credentials.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        credentials.failed_attempts += 1
        purpose = f"wrong password ({credentials.failed_attempts} in a row)"
        until = None
        if credentials.failed_attempts >= settings.console_max_failed_signins:
            until = now + dt.timedelta(minutes=settings.console_lockout_minutes)
            credentials.locked_until = until
            credentials.failed_attempts = 0
            purpose += f"; locked for {settings.console_lockout_minutes} minutes"
        store.audit(
            session,
            actor=account.actor,
            action="sign_in_failed",
            subject=f"accounts:{account.id}",
            purpose=purpose,
        )
        if until is not None:
            return SignIn(None, _locked_message(until, now), until)
        return SignIn(None, WRONG_CREDENTIALS)
    if not account.active:
        store.audit(
            session,
            actor=account.actor,
            action="sign_in_refused",
            subject=f"accounts:{account.id}",
            purpose="account revoked",
        )
        return SignIn(None, WRONG_CREDENTIALS)
    credentials.failed_attempts = 0
    credentials.locked_until = None
    if _hasher.check_needs_rehash(credentials.password_hash):
        credentials.password_hash = _hasher.hash(password)
    store.audit(
        session,
        actor=account.actor,
        action="sign_in",
        subject=f"accounts:{account.id}",
        purpose="console",
    )
    return SignIn(account)


def _locked_message(until: dt.datetime, now: dt.datetime) -> str:
    minutes = max(1, int((until - now).total_seconds() // 60) + 1)
    return f"登录失败次数过多，账号已暂时锁定，请约 {minutes} 分钟后再试"


def start_session(session: Session, account: Account, settings: Settings) -> tuple[str, str]:
    """A new console session: the cookie value (shown once) and its CSRF token."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC)
    session.add(
        ConsoleSessionRow(
            token_hash=_sha256(token),
            account_id=account.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + dt.timedelta(hours=settings.console_session_hours),
        )
    )
    return token, csrf


def session_account(session: Session, token: str) -> tuple[Account, str] | None:
    """The active account and CSRF token of a live session cookie, or None."""
    found = session.execute(
        select(AccountRow, ConsoleSessionRow)
        .join(ConsoleSessionRow, ConsoleSessionRow.account_id == AccountRow.id)
        .where(ConsoleSessionRow.token_hash == _sha256(token), ConsoleSessionRow.ended_at.is_(None))
    ).first()
    if found is None:
        return None
    row, console_session = found
    expires_at = _utc(console_session.expires_at)
    if not row.active or expires_at is None or expires_at <= dt.datetime.now(dt.UTC):
        return None
    return Account.from_row(row), console_session.csrf_token


def end_session(session: Session, token: str) -> None:
    """Sign a browser out: its cookie no longer opens anything."""
    session.execute(
        update(ConsoleSessionRow)
        .where(ConsoleSessionRow.token_hash == _sha256(token), ConsoleSessionRow.ended_at.is_(None))
        .values(ended_at=dt.datetime.now(dt.UTC))
    )


def end_sessions(session: Session, account_id: int) -> None:
    """End every console session of an account (new password, revoked account)."""
    session.execute(
        update(ConsoleSessionRow)
        .where(ConsoleSessionRow.account_id == account_id, ConsoleSessionRow.ended_at.is_(None))
        .values(ended_at=dt.datetime.now(dt.UTC))
    )
