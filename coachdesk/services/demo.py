"""A demo practice: a separate vault filled with believable clients.

It grows with every feature: each area adds its own demo data here.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from threading import Event

from coachdesk.domain.clients import ClientDraft, ClientStatus
from coachdesk.domain.errors import CancelledError
from coachdesk.domain.practice import PracticeProfile
from coachdesk.services import practice, vaults
from coachdesk.store import audit
from coachdesk.store import clients as repo
from coachdesk.store.keys import KdfParams
from coachdesk.store.vault import Vault

DEMO_PASSPHRASE = "demo practice vault passphrase"  # noqa: S105 - published on purpose

FIRST = [
    "Amara",
    "Ben",
    "Chloé",
    "Dmitri",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Keisha",
    "Luca",
    "Maya",
    "Nikolai",
    "Olivia",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Valentina",
    "Wei",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Aoife",
    "Bruno",
    "Carmen",
    "Dev",
    "Emeka",
    "Freya",
    "Gabriel",
    "Hana",
    "Isaac",
    "Julia",
    "Kwame",
    "Leila",
    "Mateo",
    "Noor",
    "Oscar",
    "Paula",
    "Rafael",
    "Sofia",
    "Tomás",
    "Ursula",
    "Viktor",
]
LAST = [
    "Adeyemi",
    "Bauer",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fischer",
    "García",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Nakamura",
    "O'Brien",
    "Petrov",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Ueda",
    "Vasquez",
    "Walsh",
    "Xu",
    "Yamamoto",
    "Zimmermann",
    "Okafor",
    "Lindqvist",
    "Mendes",
    "Novak",
    "Silva",
    "Brennan",
    "Chowdhury",
    "Dimitrov",
    "Fontaine",
    "Gupta",
    "Hoffmann",
]
COMPANIES = [
    "Northwind Labs",
    "Blue Harbor Bank",
    "Kestrel Design",
    "Atlas Health",
    "Juniper Legal",
    "Orbit Logistics",
    "Fernhill School",
    "Copperleaf Studio",
    "Meridian Energy",
    "Lumen Analytics",
    "Harbourview Council",
    "Tidewater Foods",
    "Summit Consulting",
    "Quarry Games",
    "Willow Publishing",
]
ROLES = [
    "Product Manager",
    "Software Engineer",
    "Team Lead",
    "Head of Design",
    "Nurse Practitioner",
    "Associate",
    "Teacher",
    "Marketing Director",
    "Data Analyst",
    "Operations Manager",
    "Graduate",
    "Finance Controller",
    "UX Researcher",
    "Founder",
    "Engineering Manager",
]
ZONES = [
    "Europe/London",
    "Europe/Berlin",
    "Europe/Madrid",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Africa/Lagos",
    "Asia/Kolkata",
    "Pacific/Auckland",
]
NICKNAMES = {
    "Gabriel": "Gabe",
    "Nikolai": "Niko",
    "Valentina": "Vale",
    "Elena": "Lena",
    "Dmitri": "Dima",
    "Tomás": "Tom",
    "Olivia": "Liv",
    "Rafael": "Rafa",
    "Isaac": "Zac",
    "Julia": "Jules",
}
LOCALES = ["en-GB", "en-US", "de-DE", "fr-FR", "es-ES", "pt-BR", "ja-JP", "en-AU"]
SOURCES = [
    "Referral",
    "LinkedIn",
    "Website form",
    "Podcast",
    "Workshop",
    "Newsletter",
    "Alumni intro",
]
TAGS = [
    "interview prep",
    "exam prep",
    "portfolio",
    "leadership",
    "career change",
    "scholarship",
    "returner",
    "vip",
    "group programme",
]
NOTES = [
    "Wants to move from individual contributor to team lead within the year.",
    "Preparing for a panel interview; nervous about case questions.",
    "Portfolio review before applying to design agencies.",
    "Returning to work after parental leave; rebuilding confidence.",
    "Exam in spring; needs a weekly study rhythm and accountability.",
    "Considering a switch from finance into product management.",
    "",
]
STATUS_WEIGHTS = [
    (ClientStatus.LEAD, 3),
    (ClientStatus.ACTIVE, 5),
    (ClientStatus.PAUSED, 1),
    (ClientStatus.ALUMNI, 2),
    (ClientStatus.LOST, 1),
]


def demo_client(rng: random.Random, index: int) -> ClientDraft:
    """One believable client, different for each index."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    ascii_name = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore")
    slug = ascii_name.decode().lower().replace("'", "")
    status = rng.choices([s for s, _ in STATUS_WEIGHTS], [w for _, w in STATUS_WEIGHTS])[0]
    return ClientDraft(
        first_name=first,
        last_name=last,
        preferred_name=NICKNAMES.get(first, "") if rng.random() < 0.3 else "",
        emails=(f"{slug}{index}@example.com",)
        + ((f"{slug}@work.example.org",) if rng.random() < 0.2 else ()),
        phones=(f"+44 7{rng.randint(100, 999)} {rng.randint(100000, 999999)}",)
        if rng.random() < 0.7
        else (),
        company=rng.choice(COMPANIES),
        role=rng.choice(ROLES),
        time_zone=rng.choice(ZONES),
        locale=rng.choice(LOCALES),
        lead_source=rng.choice(SOURCES),
        status=status,
        tags=tuple(rng.sample(TAGS, k=rng.randint(0, 2))),
        notes=rng.choice(NOTES),
    )


def fill(
    vault: Vault,
    count: int,
    seed: int = 7,
    progress: Callable[[int, int], None] | None = None,
    cancel: Event | None = None,
    batch: int = 500,
) -> int:
    """Add `count` demo clients in batches; returns how many were added."""
    rng = random.Random(seed)
    added = 0
    while added < count:
        if cancel is not None and cancel.is_set():
            raise CancelledError(f"Stopped after {added} demo clients.")
        now = datetime.now(UTC).replace(tzinfo=None)
        with vault.writing() as session:
            for index in range(added, min(added + batch, count)):
                row = repo.insert(session, demo_client(rng, index).validated(), now)
                audit.append(session, vault.actor, "client", row.id, "create")
        added = min(added + batch, count)
        if progress is not None:
            progress(added, count)
    return added


def create_demo_vault(
    root: Path,
    clients: int,
    passphrase: str = DEMO_PASSPHRASE,
    actor: str = "coach@demo",
    kdf: KdfParams | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Vault:
    """A new vault at `root` with a practice profile and `clients` demo clients."""
    vault = vaults.create_vault(root, passphrase, actor, kdf=kdf)
    practice.save_profile(
        vault, PracticeProfile("Sam Rivera", "Rivera Career Coaching", "Europe/London", "GBP")
    )
    fill(vault, clients, progress=progress)
    return vault
