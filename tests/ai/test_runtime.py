"""The real llama.cpp with the bundled SmolLM2 model: lazy load, streaming, JSON, cancel."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from coachdesk.ai.models import ModelError, default_model_path
from coachdesk.ai.runtime import CancelledError, Message, ModelHost

ASK = [
    Message("system", "You are a helpful assistant. Answer briefly."),
    Message("user", "Name three things a coach does in a first session."),
]


@pytest.fixture(scope="module")
def host() -> Iterator[ModelHost]:
    made = ModelHost(default_model_path(), context=2048, threads=2)
    yield made
    made.unload()


def test_the_model_loads_only_when_first_used(host: ModelHost) -> None:
    fresh = ModelHost(default_model_path(), context=2048)
    assert not fresh.loaded
    assert fresh.info.architecture == "llama"  # reading the header does not load it
    assert not fresh.loaded
    assert fresh.context_size == 2048
    assert fresh.loaded
    fresh.unload()
    assert not fresh.loaded


def test_context_is_capped_at_what_the_model_was_trained_for() -> None:
    big = ModelHost(default_model_path(), context=1_000_000)
    try:
        assert big.context_size == 8192
    finally:
        big.unload()


def test_a_reply_streams_in_pieces_and_ends_with_a_reason(host: ModelHost) -> None:
    pieces = list(host.stream(ASK, max_tokens=48))
    assert len(pieces) > 3
    assert all(p.text for p in pieces[:-1])
    assert pieces[-1].text == "" and pieces[-1].finish in ("stop", "length")
    assert "".join(p.text for p in pieces).strip()


SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "action": {"type": "string"},
                    "owner": {"type": "string", "enum": ["coach", "client"]},
                },
                "required": ["action", "owner"],
            },
            "maxItems": 3,
        }
    },
    "required": ["items"],
}


def test_json_schema_output_always_validates(host: ModelHost) -> None:
    note = Message(
        "user",
        "Session notes: Ada will update her CV by Friday. I will send her two job ads. "
        "List the action items as JSON.",
    )
    for seed in (1, 2, 3):
        text = host.complete([note], json_schema=SCHEMA, max_tokens=160, seed=seed)
        jsonschema.validate(json.loads(text), SCHEMA)


def test_cancel_stops_between_tokens(host: ModelHost) -> None:
    cancel = threading.Event()
    pieces = []
    for piece in host.stream(ASK, cancel=cancel, max_tokens=400, temperature=0.8):
        pieces.append(piece)
        if len(pieces) == 3:
            cancel.set()
    assert pieces[-1].finish == "cancelled"
    assert len(pieces) <= 5  # three pieces, at most one more token, and the end
    already = threading.Event()
    already.set()
    with pytest.raises(CancelledError):
        host.complete(ASK, cancel=already, max_tokens=50)


def test_two_callers_never_run_into_the_model_at_once(host: ModelHost) -> None:
    order: list[str] = []

    def run(name: str) -> None:
        for piece in host.stream(ASK, max_tokens=12):
            order.append(name if piece.text else f"{name}-end")

    threads = [threading.Thread(target=run, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    first = order[0]
    end = order.index(f"{first}-end")
    assert set(order[: end + 1]) == {first, f"{first}-end"}  # one finished before the other


def test_an_idle_model_is_unloaded_and_comes_back(host: ModelHost) -> None:
    host.load()
    assert not host.unload_if_idle()  # just used
    assert host.unload_if_idle(now=10**9)
    assert not host.loaded
    assert host.complete(ASK, max_tokens=8)
    assert host.loaded


def test_no_socket_is_opened_while_loading_and_generating(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened: list[object] = []

    def refuse(*args: object, **_kwargs: object) -> None:
        opened.append(args)
        raise OSError("CoachDesk's AI must not use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket.socket, "bind", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    fresh = ModelHost(default_model_path(), context=1024)
    try:
        assert fresh.complete(ASK, max_tokens=16)
    finally:
        fresh.unload()
    assert opened == []


def test_a_file_llama_cpp_cannot_load_is_a_plain_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\x00" * 64)
    with pytest.raises(ModelError):
        ModelHost(bad).load()


@pytest.mark.parametrize("task", ["action_items", "lead_intent"])
def test_shipped_structured_prompts_give_valid_json_with_the_real_model(
    host: ModelHost, task: str
) -> None:
    from coachdesk.ai import prompts

    template = prompts.load(task)
    assert template.json_schema is not None
    messages = prompts.render(
        template,
        today="2026-11-24",
        client_name="Ada Lovelace",
        coach_name="Sam Rivera",
        hints="Ada will update her CV by Friday",
        notes="Ada will update her CV by Friday. I will send two job ads on Monday.",
        inquiry="Hello, I have a final-round interview at a bank next Tuesday. Can you help?",
    )
    for seed in (11, 12):
        text = host.complete(
            messages, json_schema=template.json_schema, max_tokens=template.max_tokens, seed=seed
        )
        jsonschema.validate(json.loads(text), template.json_schema)
