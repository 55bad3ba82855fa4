"""Decrypt an SQLCipher database and its WAL page by page, to look for text in freed pages too.

The layout is SQLCipher 4's with a raw key (what `coachdesk.store.engine.key_pragma` sets):
pages of 4096 bytes, each ending in an 80-byte reserve (a 16-byte IV, then a 64-byte
HMAC-SHA512 over the ciphertext, the IV and the little-endian page number); AES-256-CBC
with the raw key itself; page 1 starts with the file's 16-byte salt in place of SQLite's
magic string. The HMAC key is PBKDF2-HMAC-SHA512(raw key, salt XOR 0x3a, 2 rounds).
A WAL file is a 32-byte header, then frames of a 24-byte header and one page each.

Every page is decrypted on its own, whether SQLite still uses it or not, so the scan
sees freed pages and old WAL frames. A value is found when it lies whole inside one
page; SQLite only splits a record over overflow pages past about 4 KB.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PAGE_SIZE = 4096
RESERVE = 80
IV_SIZE = 16
SALT_SIZE = 16
USABLE = PAGE_SIZE - RESERVE
WAL_HEADER = 32
FRAME_HEADER = 24
SQLITE_MAGIC = b"SQLite format 3\x00"


def _hmac_key(data_key: bytes, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha512", data_key, bytes(b ^ 0x3A for b in salt), 2, 32)


def decrypt_page(page: bytes, pgno: int, data_key: bytes, hmac_key: bytes) -> bytes | None:
    """The plaintext of one page, or None when it fails its HMAC.

    Page 1 gets SQLite's magic string back in place of the salt. A page fails when it
    is damaged, was never written (zeros) or belongs to another database or key.
    """
    if len(page) != PAGE_SIZE:
        return None
    start = SALT_SIZE if pgno == 1 else 0
    iv = page[USABLE : USABLE + IV_SIZE]
    expected = hmac.new(
        hmac_key, page[start : USABLE + IV_SIZE] + pgno.to_bytes(4, "little"), hashlib.sha512
    ).digest()
    if not hmac.compare_digest(expected, page[USABLE + IV_SIZE :]):
        return None
    decryptor = Cipher(algorithms.AES(data_key), modes.CBC(iv)).decryptor()
    plain = decryptor.update(page[start:USABLE]) + decryptor.finalize()
    return SQLITE_MAGIC + plain if pgno == 1 else plain


def _wal_frames(wal: bytes) -> Iterator[tuple[int, bytes]]:
    step = FRAME_HEADER + PAGE_SIZE
    for offset in range(WAL_HEADER, len(wal) - step + 1, step):
        pgno = int.from_bytes(wal[offset : offset + 4], "big")
        yield pgno, wal[offset + FRAME_HEADER : offset + step]


def _salt(db: bytes, wal: bytes) -> bytes:
    if len(db) >= SALT_SIZE:
        return db[:SALT_SIZE]
    # A database whose first checkpoint has not happened yet lives only in its WAL.
    for pgno, page in _wal_frames(wal):
        if pgno == 1:
            return page[:SALT_SIZE]
    return b""


def plaintext_pages(db_path: Path, data_key: bytes) -> Iterator[bytes]:
    """Every page of the database file, then every frame of its -wal file, decrypted.

    A page that fails to decrypt (its HMAC does not match) is yielded as its raw bytes,
    so a scan over the result also covers whatever is not valid ciphertext.
    """
    db = db_path.read_bytes() if db_path.exists() else b""
    wal_path = db_path.with_name(db_path.name + "-wal")
    wal = wal_path.read_bytes() if wal_path.exists() else b""
    hmac_key = _hmac_key(data_key, _salt(db, wal))
    for index in range(0, len(db), PAGE_SIZE):
        raw = db[index : index + PAGE_SIZE]
        plain = decrypt_page(raw, index // PAGE_SIZE + 1, data_key, hmac_key)
        yield raw if plain is None else plain
    if len(wal) > WAL_HEADER:
        yield wal[:WAL_HEADER]
    for pgno, raw in _wal_frames(wal):
        plain = decrypt_page(raw, pgno, data_key, hmac_key)
        yield raw if plain is None else plain
    tail = (len(wal) - WAL_HEADER) % (FRAME_HEADER + PAGE_SIZE) if len(wal) > WAL_HEADER else 0
    if tail:
        yield wal[len(wal) - tail :]


def count_pages(db_path: Path, data_key: bytes) -> tuple[int, int]:
    """(pages that decrypted, pages that did not), over the database and its WAL."""
    db = db_path.read_bytes() if db_path.exists() else b""
    wal_path = db_path.with_name(db_path.name + "-wal")
    wal = wal_path.read_bytes() if wal_path.exists() else b""
    hmac_key = _hmac_key(data_key, _salt(db, wal))
    numbered = [(i // PAGE_SIZE + 1, db[i : i + PAGE_SIZE]) for i in range(0, len(db), PAGE_SIZE)]
    numbered.extend(_wal_frames(wal))
    good = sum(decrypt_page(raw, pgno, data_key, hmac_key) is not None for pgno, raw in numbered)
    return good, len(numbered) - good


def contains(db_path: Path, data_key: bytes, needle: bytes) -> bool:
    """Whether `needle` is in any decrypted (or undecryptable) page of the database or WAL."""
    return any(needle in page for page in plaintext_pages(db_path, data_key))
