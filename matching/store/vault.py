"""Protection of sensitive personal information at rest (PIPL art. 28).

Identifiers, names, phone numbers, the disability itself and counselors' free text are
encrypted with Fernet (AES-128-CBC + HMAC-SHA256). What matching reads for every person on
every catalog build (functional capacities, the summary) is sealed with AES-256-GCM under a
key derived from the same secret: equally authenticated, and about four times cheaper to open
in bulk, since one call does what Fernet does in several. A keyed hash (HMAC-SHA256 under a
third derived key) lets a person be found by ID number or name without decrypting every row.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_FILE_NAME = "secret.key"


class Vault:
    """Encrypts, decrypts and fingerprints personal data with one installation secret."""

    def __init__(self, key: str | bytes) -> None:
        raw = key.encode() if isinstance(key, str) else key
        try:
            self._fernet = Fernet(raw)
        except ValueError:
            raise ValueError(
                "JOBMATCH_SECRET_KEY must be 32 bytes in urlsafe base64 "
                "(make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')"
            ) from None
        secret = base64.urlsafe_b64decode(raw)
        self._hash_key = hashlib.sha256(b"jobmatch-fingerprint:" + secret).digest()
        self._bulk = AESGCM(hashlib.sha256(b"jobmatch-matching-profile:" + secret).digest())

    @classmethod
    def for_home(cls, home: Path, secret_key: str | None) -> Vault:
        """The vault of an installation: the configured key, else the home's key file.

        The key file is created on first use with mode 0600, so that only the service account
        can read it.
        """
        if secret_key:
            return cls(secret_key)
        path = home / KEY_FILE_NAME
        if not path.exists():
            home.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(Fernet.generate_key())
        return cls(path.read_bytes().strip())

    def seal(self, values: dict[str, Any]) -> str:
        """Encrypt a small JSON object of sensitive fields."""
        return self._fernet.encrypt(json.dumps(values, ensure_ascii=False).encode()).decode()

    def open(self, token: str) -> dict[str, Any]:
        """Decrypt what :meth:`seal` produced; a wrong key is a clear error, not garbage."""
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise ValueError(
                "cannot decrypt personal data: the secret key differs from the one it was "
                "stored with"
            ) from None

    def seal_text(self, text: str | None) -> str | None:
        """Encrypt one free-text field a counselor wrote (notes, override reasons)."""
        return None if text is None else self.seal({"text": text})

    def open_text(self, token: str | None) -> str | None:
        """Decrypt what :meth:`seal_text` produced."""
        return None if token is None else str(self.open(token)["text"])

    def seal_for_matching(self, values: dict[str, Any]) -> str:
        """Encrypt what matching reads of every person (AES-256-GCM, random 96-bit nonce)."""
        nonce = secrets.token_bytes(12)
        plain = json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode()
        return base64.b64encode(nonce + self._bulk.encrypt(nonce, plain, None)).decode()

    def open_for_matching(self, token: str) -> dict[str, Any]:
        """Decrypt what :meth:`seal_for_matching` produced."""
        raw = base64.b64decode(token)
        try:
            return json.loads(self._bulk.decrypt(raw[:12], raw[12:], None))
        except InvalidTag:
            raise ValueError(
                "cannot decrypt a matching profile: the secret key differs from the one it "
                "was stored with"
            ) from None

    def fingerprint(self, value: str) -> str:
        """Keyed hash of a value, for exact look-ups (ID number, name) and change detection."""
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()
