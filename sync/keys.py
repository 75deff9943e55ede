"""Replica keys: each replica signs its bundles with an Ed25519 key. The private key lives in the data directory
(``<data dir>/sync-keys/<replica id>.pem``, readable by its owner only), never in the database, so a copy of the
database alone cannot sign as the replica. People compare fingerprints to pair a laptop with the server."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from core.audit_keys import write_private
from core.config import default_data_dir
from core.i18n import t

FOLDER = "sync-keys"


class KeyMissing(RuntimeError):
    """This replica's private key is not in its data directory."""


def new_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def public_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return base64.b64encode(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def public_key(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text))


def fingerprint(text: str) -> str:
    """What two people read aloud to each other to pair: eight groups of four from the key's SHA-256."""
    digest = hashlib.sha256(base64.b64decode(text)).hexdigest()[:32].upper()
    return " ".join(digest[i:i + 4] for i in range(0, 32, 4))


def private_text(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def key_from_text(text: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(text.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 key")
    return key


def _path(replica_uuid: str) -> Path:
    return default_data_dir() / FOLDER / f"{replica_uuid}.pem"


def save_private(replica_uuid: str, key: Ed25519PrivateKey) -> None:
    write_private(_path(replica_uuid), private_text(key))


def load_private(replica_uuid: str) -> Ed25519PrivateKey:
    path = _path(replica_uuid)
    if not path.exists():
        raise KeyMissing(t("sync.error.key_missing", folder=path.parent))

    return key_from_text(path.read_text(encoding="utf-8"))
