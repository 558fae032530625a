"""Subscription secrets: made once, stored encrypted, and used to sign as the Standard Webhooks spec says.

The encryption key comes from the environment (WEBHOOKS_ENCRYPTION_KEY), never from the database, so a dump of
the database alone cannot forge a signature. AES-256-GCM also authenticates: a ciphertext changed in the table
fails to decrypt rather than signing with a secret nobody chose.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from datetime import datetime

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from standardwebhooks.webhooks import Webhook

from service.api.problems import ProblemError

_NONCE_BYTES = 12
_AAD = b"pricing-api webhook secret v1"


def not_configured() -> ProblemError:
    return ProblemError(503, "webhooks-not-configured", "Webhooks are not configured",
                        "this service has no WEBHOOKS_ENCRYPTION_KEY, so it cannot keep webhook secrets")


class SecretBox:
    def __init__(self, key: str) -> None:
        self._aead = AESGCM(hashlib.sha256(key.encode()).digest())

    def seal(self, secret: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, secret.encode(), _AAD)

    def open(self, sealed: bytes) -> str:
        return self._aead.decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], _AAD).decode()


def new_secret() -> str:
    # 24 random bytes, the size Svix and the spec's examples use, in the spec's `whsec_` + base64 form.
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def signature_header(secrets_in_force: list[str], message_id: str, at: datetime, body: bytes) -> str:
    """`webhook-signature`: one `v1,<base64>` per secret, space-separated (both during a rotation's overlap)."""
    return " ".join(Webhook(secret).sign(message_id, at, body) for secret in secrets_in_force)
