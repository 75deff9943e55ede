"""The bundle file: what one replica sends another, by USB stick or e-mail.

    MAGIC
    header length (4 bytes, big-endian), header (JSON, readable: who sent it, to whom, which changes)
    chunks, each: length (4 bytes), final flag (1 byte), AES-256-GCM ciphertext of zlib-compressed JSON lines
    signature (64 bytes): Ed25519, by the sender's key, over the SHA-256 of everything before it

The key is derived from the passphrase by scrypt (the backups' KDF) with the header's salt. Each chunk's nonce is
the header's prefix and the chunk's number; its associated data binds it to the header, its number and whether
it is the last, so chunks cannot be dropped, reordered or cut off without the decryption failing. The signature
covers the header and every chunk: a bundle changed anywhere is refused before anything is read from it.

Written and read as a stream: neither side holds the whole bundle in memory. Written to a temporary file and
renamed, so a bundle that exists is whole.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.backup import _key as passphrase_key
from core.i18n import t

MAGIC = b"CPCM-SYNC-BUNDLE-1\n"
NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")  # JSON's escape of a NUL (not an escaped backslash before "u0000")
FORMAT = "cpcm-sync/1"
CHUNK = 512 * 1024  # plain bytes per chunk before compression
SIGNATURE = 64
MAX_HEADER = 64 * 1024
MAX_CHUNK = 16 * 1024 * 1024


class BundleError(ValueError):
    """The file cannot be taken as a bundle; the message says why in words a person can act on."""


def _aad(header_digest: bytes, number: int, final: bool) -> bytes:
    return header_digest + struct.pack(">Q?", number, final)


def _nonce(prefix: bytes, number: int) -> bytes:
    return prefix + struct.pack(">I", number)


class BundleWriter:
    """Write a bundle line by line: ``add`` each JSON-able line, then ``close``."""

    def __init__(self, path: Path, header: dict[str, Any], *, passphrase: str, key: Ed25519PrivateKey) -> None:
        if not passphrase:
            raise BundleError(t("sync.error.passphrase_required"))
        salt, self._prefix = os.urandom(16), os.urandom(8)
        self._aes = AESGCM(passphrase_key(passphrase, salt))
        self._key = key
        self.path = path
        self._temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
        self.header = {**header, "format": FORMAT, "salt": base64.b64encode(salt).decode(),
                       "nonce": base64.b64encode(self._prefix).decode()}
        header_bytes = json.dumps(self.header, sort_keys=True).encode("utf-8")
        self._header_digest = hashlib.sha256(header_bytes).digest()
        self._file: IO[bytes] = open(self._temporary, "wb")  # noqa: SIM115  (closed in close/abort)
        self._hash = hashlib.sha256()
        self._write(MAGIC + struct.pack(">I", len(header_bytes)) + header_bytes)
        self._buffer = bytearray()
        self._number = 0
        self.lines = 0

    def _write(self, data: bytes) -> None:
        self._hash.update(data)
        self._file.write(data)

    def add(self, line: dict[str, Any]) -> None:
        self._buffer += json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
        self.lines += 1
        if len(self._buffer) >= CHUNK:
            self._emit(final=False)

    def _emit(self, *, final: bool) -> None:
        sealed = self._aes.encrypt(_nonce(self._prefix, self._number), zlib.compress(bytes(self._buffer), 6),
                                   _aad(self._header_digest, self._number, final))
        self._write(struct.pack(">I?", len(sealed), final) + sealed)
        self._buffer.clear()
        self._number += 1

    def close(self) -> Path:
        self._emit(final=True)
        signature = self._key.sign(self._hash.digest())
        self._file.write(signature)
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self._temporary, self.path)
        return self.path

    def abort(self) -> None:
        self._file.close()
        self._temporary.unlink(missing_ok=True)


def read_header(path: Path) -> dict[str, Any]:
    """The bundle's header, not yet authenticated (``verify`` does that with the sender's key)."""
    try:
        with open(path, "rb") as file:
            if file.read(len(MAGIC)) != MAGIC:
                raise BundleError(t("sync.error.not_bundle", file=path.name))
            (length,) = struct.unpack(">I", _exactly(file, 4))
            if length > MAX_HEADER:
                raise BundleError(t("sync.error.damaged"))
            header = json.loads(_exactly(file, length).decode("utf-8"))
    except (OSError, ValueError, struct.error) as exc:
        if isinstance(exc, BundleError):
            raise
        raise BundleError(t("sync.error.not_bundle", file=path.name)) from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BundleError(t("sync.error.other_version", file=path.name))
    return header


def _exactly(file: IO[bytes], size: int) -> bytes:
    data = file.read(size)
    if len(data) != size:
        raise BundleError(t("sync.error.cut_short"))
    return data


def verify(path: Path, public_key: Ed25519PublicKey) -> str:
    """Check the signature over the whole file; the file's SHA-256 (its identity for replays)."""
    size = path.stat().st_size
    if size < len(MAGIC) + 4 + SIGNATURE:
        raise BundleError(t("sync.error.cut_short"))
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        remaining = size - SIGNATURE
        while remaining:
            block = file.read(min(1 << 20, remaining))
            digest.update(block)
            remaining -= len(block)
        signature = file.read(SIGNATURE)
    try:
        public_key.verify(signature, digest.digest())
    except InvalidSignature as exc:
        raise BundleError(t("sync.error.signature")) from exc
    return hashlib.sha256(digest.digest() + signature).hexdigest()


def lines(path: Path, passphrase: str) -> Iterator[dict[str, Any]]:
    """The bundle's lines, decrypted chunk by chunk. Raises ``BundleError`` for a wrong passphrase, a chunk that
    does not decrypt, or a bundle whose last chunk is missing."""
    header = read_header(path)
    try:
        aes = AESGCM(passphrase_key(passphrase, base64.b64decode(header["salt"])))
        prefix = base64.b64decode(header["nonce"])
    except (KeyError, ValueError) as exc:
        raise BundleError(t("sync.error.damaged")) from exc
    size = path.stat().st_size
    with open(path, "rb") as file:
        file.read(len(MAGIC))
        (length,) = struct.unpack(">I", _exactly(file, 4))
        header_digest = hashlib.sha256(_exactly(file, length)).digest()
        number, final = 0, False
        while not final:
            if file.tell() + 5 > size - SIGNATURE:
                raise BundleError(t("sync.error.cut_short"))
            chunk_length, final = struct.unpack(">I?", _exactly(file, 5))
            if chunk_length > MAX_CHUNK or file.tell() + chunk_length > size - SIGNATURE:
                raise BundleError(t("sync.error.cut_short"))
            sealed = _exactly(file, chunk_length)
            try:
                plain = aes.decrypt(_nonce(prefix, number), sealed, _aad(header_digest, number, final))
            except InvalidTag as exc:
                raise BundleError(t("sync.error.passphrase")) from exc
            number += 1
            text = zlib.decompress(plain)
            # no person types NUL, and no database here stores it: never applied (a plain search first, it is fast)
            if b"\\u0000" in text and NUL_ESCAPE.search(text):
                raise BundleError(t("common.error.nul_character"))
            for raw in text.splitlines():
                yield json.loads(raw)
        if file.tell() != size - SIGNATURE:
            raise BundleError(t("sync.error.extra_data"))
