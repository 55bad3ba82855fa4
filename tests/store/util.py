"""Helpers shared by the store tests: canary scans, file snapshots, byte flips, raw SQL."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import text

from coachdesk.domain.clients import ClientDraft
from coachdesk.store.vault import Vault


def canary() -> str:
    """A unique marker that cannot occur by chance in ciphertext or in other text."""
    return f"CANARY-{secrets.token_hex(12)}"


def files_under(*roots: Path) -> list[Path]:
    """Every regular file below the given folders (missing folders are skipped)."""
    found: list[Path] = []
    for root in roots:
        if root.exists():
            found.extend(p for p in sorted(root.rglob("*")) if p.is_file())
    return found


def leaks(needles: Iterable[str], *roots: Path) -> list[tuple[str, str]]:
    """(file, needle) for each needle whose UTF-8 bytes, as typed or lower-cased, are in a file."""
    patterns = {n: {n.encode(), n.lower().encode()} for n in needles}
    hits = []
    for path in files_under(*roots):
        data = path.read_bytes()
        hits.extend(
            (str(path), needle)
            for needle, forms in patterns.items()
            if any(form in data for form in forms)
        )
    return hits


def snapshot(root: Path) -> dict[str, tuple[str, str]]:
    """Relative path → (kind, content digest) for everything below `root`."""
    result = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_dir():
            result[rel] = ("dir", "")
        else:
            result[rel] = ("file", hashlib.sha256(path.read_bytes()).hexdigest())
    return result


def flip_byte(path: Path, offset: int, mask: int = 0xFF) -> None:
    """XOR one byte of a file in place."""
    data = bytearray(path.read_bytes())
    data[offset] ^= mask
    path.write_bytes(bytes(data))


def drop_audit_triggers(vault: Vault) -> None:
    """What someone editing the file with the key would do first."""
    with vault.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_events_no_update"))
        conn.execute(text("DROP TRIGGER audit_events_no_delete"))


def sql(vault: Vault, statement: str, **params: object) -> list[tuple[object, ...]]:
    """Run one raw statement on the vault's engine in its own transaction."""
    with vault.engine.begin() as conn:
        result = conn.execute(text(statement), params)
        return [tuple(row) for row in result] if result.returns_rows else []


def sample_draft(index: int = 0, **overrides: object) -> ClientDraft:
    """A valid client with every field filled in."""
    values: dict[str, object] = {
        "first_name": f"Marguerite{index}",
        "last_name": "Okonkwo-Lindqvist",
        "preferred_name": "Margo",
        "emails": (f"margo{index}@example.org", f"m.okonkwo{index}@work.example.com"),
        "phones": ("+44 20 7946 0958", "+1 (555) 010-7788 ext. 12"),
        "company": "Kestrel Design",
        "role": "Head of Research",
        "time_zone": "Europe/Stockholm",
        "locale": "sv-SE",
        "lead_source": "Podcast",
        "tags": ("Career Change", "vip"),
        "notes": "Wants to move into a leadership role within the year.",
    }
    values.update(overrides)
    return ClientDraft(**values)  # type: ignore[arg-type]


def image_bytes(kind: str = "PNG", text: str = "", size: tuple[int, int] = (40, 20)) -> bytes:
    """A real, decodable PNG or JPEG; `text` goes into a PNG text chunk (for canary scans)."""
    import io

    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    buffer = io.BytesIO()
    image = Image.new("RGB", size, (31, 78, 121))
    if kind == "PNG":
        info = PngInfo()
        if text:
            info.add_text("Comment", text)
        image.save(buffer, "PNG", pnginfo=info)
    else:
        image.save(buffer, "JPEG")
    return buffer.getvalue()
