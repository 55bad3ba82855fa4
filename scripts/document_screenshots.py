"""Render page 1 of each document type for a demo client to docs/screenshots/doc-<type>.png.

Run: `.venv/bin/python scripts/document_screenshots.py` (needs pdftoppm from poppler-utils).
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coachdesk.documents.types import DOC_TYPES  # noqa: E402
from coachdesk.services import clients, crm, demo, documents, practice  # noqa: E402
from coachdesk.store.keys import FAST_KDF_FOR_TESTS  # noqa: E402


def logo() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 300), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((20, 20, 280, 280), fill=(31, 78, 121, 255))
    draw.polygon([(150, 70), (230, 220), (70, 220)], fill=(255, 255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def main() -> None:
    out = ROOT / "docs" / "screenshots"
    with tempfile.TemporaryDirectory() as tmp:
        vault = demo.create_demo_vault(Path(tmp) / "vault", 40, kdf=FAST_KDF_FOR_TESTS)
        try:
            profile = practice.get_profile(vault)
            practice.save_profile(vault, profile, logo=logo())
            client_id = max(
                (row.id for row in clients.list_clients(vault)),
                key=lambda i: (
                    len(crm.list_goals(vault, i)) > 0,
                    sum(n.kind == "session" for n in crm.list_notes(vault, i)),
                ),
            )
            for kind in DOC_TYPES:
                options = {"price": "1800"} if kind.key == "renewal_proposal" else {}
                info = documents.create_document(vault, client_id, kind.key, options)
                pdf = Path(tmp) / f"{kind.key}.pdf"
                pdf.write_bytes(documents.document_pdf(vault, info.id))
                target = out / f"doc-{kind.key.replace('_', '-')}"
                subprocess.run(
                    [
                        "pdftoppm",
                        "-png",
                        "-r",
                        "70",
                        "-f",
                        "1",
                        "-l",
                        "1",
                        "-singlefile",
                        str(pdf),
                        str(target),
                    ],
                    check=True,
                )
                print(f"{target}.png")
        finally:
            vault.close()


if __name__ == "__main__":
    main()
