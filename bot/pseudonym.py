"""Pseudonyms and sealed contact addresses, so no raw platform id is ever stored or logged.

- `pseudonym(channel, platform_id)` is a keyed hash (HMAC-SHA256): stable for one person on one
  channel, meaningless without the key. It is the Rasa sender id and the key of every table.
- `seal(platform_id)` encrypts the address (AES-GCM) so a counsellor's reply can still be delivered
  on the person's channel; `/xoa` deletes it with the rest.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)

KEY_BYTES = 32


class MissingKey(RuntimeError):
    """Raised in production mode when DONGHANH_SECRET_KEY is not set."""


class Pseudonymizer:
    """Keyed hashing and sealing with one secret key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the secret key must be at least 16 bytes")
        self._hash_key = hmac.new(key, b"pseudonym", hashlib.sha256).digest()
        self._aead = AESGCM(hmac.new(key, b"seal", hashlib.sha256).digest())

    def pseudonym(self, channel: str, platform_id: str) -> str:
        """`<channel>-<24 hex>`: the person's id everywhere in our data."""
        digest = hmac.new(self._hash_key, f"{channel}:{platform_id}".encode(), hashlib.sha256)
        return f"{channel}-{digest.hexdigest()[:24]}"

    def seal(self, platform_id: str) -> str:
        """Encrypt a platform address for storage."""
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, platform_id.encode(), None)
        return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, token: str) -> str:
        """Decrypt what `seal` produced (raises `InvalidTag` if it was tampered with)."""
        raw = base64.urlsafe_b64decode(token.encode("ascii"))
        return self._aead.decrypt(raw[:12], raw[12:], None).decode()


def load_key(value: str, data_dir: Path, *, production: bool) -> bytes:
    """The key from DONGHANH_SECRET_KEY; in development, a random one kept in the data folder."""
    if value:
        return value.encode()
    if production:
        raise MissingKey("DONGHANH_SECRET_KEY must be set when DONGHANH_ENV=production")
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(KEY_BYTES), encoding="ascii")
        path.chmod(0o600)
        log.warning("no DONGHANH_SECRET_KEY: generated a development key in %s", path)
    return path.read_text(encoding="ascii").strip().encode()
