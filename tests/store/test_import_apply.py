"""Importing into a real vault: one transaction, whatever the input or the failure."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coachdesk.domain.errors import CancelledError, KnownError
from coachdesk.domain.importing import ImportFormatError
from coachdesk.services import audit_trail, clients, transfer
from coachdesk.store import clients as client_repo
from coachdesk.store.vault import Vault
from tests.store.util import sql

DATA = Path(__file__).resolve().parent.parent / "data" / "import"
TABLES = ("clients", "client_emails", "stage_changes", "audit_events", "attachments")


def snapshot(vault: Vault) -> dict[str, int]:
    counts = {t: sql(vault, f"SELECT count(*) FROM {t}")[0][0] for t in TABLES}  # noqa: S608
    counts["index"] = sql(vault, "SELECT count(*) FROM search_index")[0][0]
    counts["blobs"] = len(list(vault.paths.attachments.iterdir()))
    return counts  # type: ignore[return-value]


def test_vcard_photos_become_encrypted_attachments(vault: Vault) -> None:
    data = (DATA / "contacts_v30.vcf").read_bytes()
    report = transfer.import_clients(vault, data, "contacts.vcf")
    assert report.created == 5
    with_photo = [
        c
        for c in (clients.get_client(vault, r.id) for r in clients.list_clients(vault))
        if c.photo_attachment_id is not None
    ]
    assert with_photo
    exported = transfer.export_records(vault, [with_photo[0].id])
    assert exported[0].photo is not None
    assert exported[0].photo.startswith((b"\xff\xd8\xff", b"\x89PNG"))
    for blob in vault.paths.attachments.iterdir():
        assert exported[0].photo not in blob.read_bytes()

    clients.trash_clients(vault, [c.id for c in with_photo])
    clients.empty_trash(vault)
    assert list(vault.paths.attachments.iterdir()) == []
    assert sql(vault, "SELECT count(*) FROM attachments") == [(0,)]


def test_dry_run_changes_nothing(vault: Vault) -> None:
    before = snapshot(vault)
    data = (DATA / "contacts_v30.vcf").read_bytes()
    report = transfer.import_clients(vault, data, "contacts.vcf", dry_run=True)
    assert report.dry_run and report.created == 5
    assert snapshot(vault) == before


def test_a_failure_half_way_rolls_everything_back(
    vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    transfer.import_clients(vault, (DATA / "google_sheets.csv").read_bytes(), "a.csv")
    before = snapshot(vault)
    real_insert = client_repo.insert
    calls = {"n": 0}

    def failing_insert(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk went away")
        return real_insert(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(client_repo, "insert", failing_insert)
    with pytest.raises(OSError, match="disk went away"):
        transfer.import_clients(vault, (DATA / "contacts_v30.vcf").read_bytes(), "b.vcf")
    assert calls["n"] == 3
    assert snapshot(vault) == before  # photo blobs written before the failure are gone too
    assert audit_trail.verify(vault).intact


def test_cancel_rolls_back(vault: Vault) -> None:
    rows = "\n".join(f"Person{i},Test,p{i}@example.org" for i in range(400))
    data = f"First name,Last name,E-mail\n{rows}\n".encode()
    before = snapshot(vault)
    seen: list[int] = []

    with pytest.raises(CancelledError):
        transfer.import_clients(
            vault,
            data,
            "big.csv",
            progress=lambda done, _total: seen.append(done),
            cancelled=lambda: len(seen) >= 3,
        )
    assert snapshot(vault) == before


def test_merge_fills_gaps_and_never_overwrites(vault: Vault) -> None:
    first = b"First name,Last name,E-mail,Company,Tags\nAda,Lovelace,ada@example.org,,maths\n"
    second = (
        b"First name,Last name,E-mail,Company,Phone,Tags\n"
        b"Augusta,Lovelace,ADA@example.org,Analytical Engines,+44 20 7946 0000,poetry\n"
    )
    transfer.import_clients(vault, first, "a.csv")
    report = transfer.import_clients(vault, second, "b.csv")
    assert (report.created, report.merged) == (0, 1)
    (row,) = clients.list_clients(vault)
    client = clients.get_client(vault, row.id)
    assert client.first_name == "Ada"
    assert client.company == "Analytical Engines"
    assert client.phones == ("+44 20 7946 0000",)
    assert client.tags == ("maths", "poetry")


def test_namesakes_with_different_addresses_stay_two_people(vault: Vault) -> None:
    data = (
        b"First name,Last name,E-mail\n"
        b"Maria,Garcia,maria.g@example.org\n"
        b"Maria,Garcia,mgarcia@example.com\n"
        b"Maria,Garcia,\n"
    )
    report = transfer.import_clients(vault, data, "m.csv")
    assert (report.created, report.merged, report.unchanged) == (2, 0, 1)


CSV_CELL = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    header=st.lists(
        st.sampled_from(["First name", "Last name", "E-mail", "Phone", "Birthday", "Status", "x"]),
        min_size=1,
        max_size=5,
    ),
    cells=st.lists(st.lists(CSV_CELL, min_size=0, max_size=6), max_size=8),
    noise=st.binary(max_size=40),
)
def test_random_files_import_completely_or_not_at_all(
    vault: Vault, header: list[str], cells: list[list[str]], noise: bytes
) -> None:
    text = ",".join(header) + "\n" + "\n".join(",".join(row) for row in cells)
    data = text.encode() + noise
    before = snapshot(vault)
    try:
        plan = transfer.preview(data, "random.csv")
        if plan.undecided_dates:
            plan = transfer.preview(
                data, "random.csv", date_orders=dict.fromkeys(plan.dates, "dmy")
            )
        orders = {c: "dmy" for c in plan.dates}
        report = transfer.import_clients(vault, data, "random.csv", date_orders=orders)
    except (ImportFormatError, KnownError):
        assert snapshot(vault) == before
        return
    after = snapshot(vault)
    assert after["clients"] - before["clients"] == report.created
    assert len(plan.parsed.records) == report.created + report.merged + report.unchanged
    assert after["audit_events"] - before["audit_events"] == report.created + report.merged
    assert audit_trail.verify(vault).intact


def test_two_rows_for_one_person_settle_after_one_import(vault: Vault) -> None:
    data = (
        b"First name,Last name,E-mail,Stage,Notes\n"
        b"Ada,Lovelace,ada@example.org,Proposal sent,First call\n"
        b"Ada,Lovelace,ada@example.org,Discovery call,Second call\n"
    )
    first = transfer.import_clients(vault, data, "twice.csv")
    assert (first.created, first.merged) == (1, 1)
    (row,) = clients.list_clients(vault)
    assert row.stage_name == "Proposal sent"
    assert clients.get_client(vault, row.id).notes == "First call\n\nSecond call"
    again = transfer.import_clients(vault, data, "twice.csv")
    assert (again.created, again.merged, again.unchanged) == (0, 0, 2)
