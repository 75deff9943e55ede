"""The audit trail's keys, and its checkpoints: what makes the trail's integrity depend on something the database
does not hold.

Each record's hash is an HMAC-SHA-256 under a secret key kept outside the database, named in the record by its key
id. Someone who can write to the database (its owner, the app's own role, whoever restores a doctored backup) but
does not have the key cannot make a record whose hash verifies: a rewritten, inserted or appended record breaks the
chain. The keys come from ``CPCM_AUDIT_KEY`` (comma-separated, the first one signs; for servers, beside the other
secrets) or, on a laptop, from ``<data dir>/audit-keys/`` (created on first use, readable by its owner only).
Rotating adds a key and makes it the signing one; old keys stay to verify the records they made and are never
deleted.

Removing the newest records (and moving the chain's head back) leaves a shorter chain that still verifies. So
after every commit that appended to the trail, the newest link is written outside the database too, as a
checkpoint under the same key: a file in ``<data dir>/audit-checkpoints/`` (kept at the longest chain seen) and
a line in the system log. ``verify_chain`` fails when the trail no longer reaches the checkpoint.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.config import default_data_dir

KEY_VAR = "CPCM_AUDIT_KEY"
KEY_FOLDER = "audit-keys"
CHECKPOINT_FOLDER = "audit-checkpoints"
log = logging.getLogger("cpcm.audit")


class AuditKeyError(RuntimeError):
    """The trail cannot be signed or checked: no usable key."""


@dataclass(frozen=True)
class Keyring:
    current_id: str
    keys: dict[str, bytes]

    @property
    def current(self) -> bytes:
        return self.keys[self.current_id]


def key_id_of(key: bytes) -> str:
    """A key's public name: says which key made a record, tells nothing about the key."""
    return hashlib.sha256(b"cpcm audit key id\x00" + key).hexdigest()[:16]


def _decode(text: str) -> bytes:
    text = text.strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        try:
            key = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError) as exc:
            raise AuditKeyError(f"{KEY_VAR} holds a key that is neither hex nor base64") from exc
    if len(key) < 32:
        raise AuditKeyError(f"{KEY_VAR}: each key needs at least 32 bytes (64 hex characters)")
    return key


def _folder() -> Path:
    return default_data_dir() / KEY_FOLDER


def write_private(path: Path, content: str | bytes) -> None:
    """A file only its owner may read, written whole or not at all: a process killed half-way leaves the old file
    (or none) and a hidden temporary one, never a partial file under the real name."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content.encode("utf-8") if isinstance(content, str) else content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


_cache: dict[tuple[str, str], Keyring] = {}


def keyring() -> Keyring:
    """The keys this installation verifies with, and the one it signs with now. A laptop without a configured
    key gets one made in its data directory the first time the trail is written."""
    env = os.environ.get(KEY_VAR, "")
    folder = _folder()
    pointer = folder / "current"
    marker = f"{pointer.stat().st_mtime_ns if pointer.exists() else 0}"
    cached = _cache.get((env, f"{folder}:{marker}"))
    if cached is not None:
        return cached
    keys: dict[str, bytes] = {}
    current = None
    for part in (p for p in env.split(",") if p.strip()):
        key = _decode(part)
        keys[key_id_of(key)] = key
        current = current or key_id_of(key)
    if folder.is_dir():
        for path in folder.glob("*.key"):
            key = _decode(path.read_text(encoding="utf-8"))
            keys[key_id_of(key)] = key
    if current is None:
        chosen = pointer.read_text(encoding="utf-8").strip() if pointer.exists() else ""
        if chosen not in keys:
            rotate()
            return keyring()
        current = chosen
    ring = Keyring(current, keys)
    _cache[(env, f"{folder}:{marker}")] = ring
    return ring


def rotate() -> str:
    """A new key in the data directory, signing from now on; the old ones stay to verify what they signed."""
    if os.environ.get(KEY_VAR, "").strip():
        raise AuditKeyError(f"The keys come from {KEY_VAR}: put a new key first in it (the old ones after it).")
    key = secrets.token_bytes(32)
    key_id = key_id_of(key)
    write_private(_folder() / f"{key_id}.key", key.hex())
    write_private(_folder() / "current", key_id)
    _cache.clear()
    return key_id


def sign(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


# ------------------------------------------------------------------------------------------------ checkpoints


@dataclass(frozen=True)
class Checkpoint:
    """The newest link of one trail as a commit left it. ``genesis`` is the hash of the trail's first record: it
    tells one database's trail from another's."""

    genesis: str
    count: int
    last_id: int
    last_hash: str
    key_id: str

    def text(self) -> str:
        return json.dumps([self.genesis, self.count, self.last_id, self.last_hash, self.key_id])


def _checkpoint_path(genesis: str) -> Path:
    return default_data_dir() / CHECKPOINT_FOLDER / f"{genesis[:32]}.json"


def write_checkpoint(point: Checkpoint) -> None:
    """Keep ``point`` outside the database, if the trail is longer than the checkpoint kept so far. Never stops
    the work that committed: a checkpoint that cannot be written is said in the log."""
    log.info("audit checkpoint %s", point.text())
    try:
        ring = keyring()
        kept = read_checkpoint(point.genesis)
        if kept is not None and kept.count >= point.count:
            return
        record = {"checkpoint": json.loads(point.text()), "mac": sign(ring.keys[point.key_id], point.text())}
        write_private(_checkpoint_path(point.genesis), json.dumps(record))
    except (OSError, AuditKeyError, KeyError):
        log.warning("could not write the audit checkpoint", exc_info=True)


def read_checkpoint(genesis: str) -> Checkpoint | None:
    """The checkpoint kept for the trail that starts with ``genesis``; one whose MAC does not verify under a known
    key is reported as ``forged_checkpoint`` by raising ``AuditKeyError``."""
    path = _checkpoint_path(genesis)
    if not path.exists():
        return None
    record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    point = Checkpoint(*record["checkpoint"])
    key = keyring().keys.get(point.key_id)
    if key is None or not hmac.compare_digest(sign(key, point.text()), str(record.get("mac", ""))):
        raise AuditKeyError(f"the audit checkpoint {path} does not verify under any known key")
    return point


def retire_checkpoint(genesis: str) -> Path | None:
    """Set aside the checkpoint of a trail (kept, renamed): for a restore from a backup, which legitimately holds
    fewer records than the trail had when it was last written. Returns where it went."""
    path = _checkpoint_path(genesis)
    if not path.exists():
        return None
    aside = path.with_name(f"{path.stem}.retired-{datetime.now(UTC):%Y%m%dT%H%M%S}.json")
    os.replace(path, aside)
    return aside
