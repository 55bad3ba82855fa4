"""On-device model figures for the bundled SmolLM2-135M (Q4_1): CoachDesk's ModelHost
against llama.cpp alone on the same prompt and the same number of tokens.

Prints: load time; time to first token; tokens per second; the ratio of the whole
generation through `ModelHost.stream` to `Llama.create_chat_completion(stream=True)`
called directly (target <= 1.10x); the time from Cancel to the stream ending; peak
memory (RSS). Medians over repeats, with spread. Asserts nothing. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coachdesk.ai.models import default_model_path  # noqa: E402
from coachdesk.ai.runtime import Message, ModelHost  # noqa: E402


def prompt(run: int) -> list[Message]:
    """The same request, opening differently per run so llama.cpp cannot reuse a cached prompt."""
    return [
        Message("system", f"Session {run}. You are a coaching assistant. Write plainly."),
        *REQUEST,
    ]


REQUEST = [
    Message(
        "user",
        "Summarise this session for the client in five sentences: we reviewed her CV, "
        "practised two interview answers about leadership, agreed she will apply to three "
        "roles by Friday, and I will send her a list of recruiters.",
    ),
]


def rss_mb() -> float | None:
    """The resident memory now (Linux), or None where /proc is not there."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 1_048_576


def peak_mb() -> float:
    """The peak resident memory so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1_048_576 if sys.platform == "darwin" else peak / 1024


def mb(value: float | None) -> str:
    return f"{'n/a':>8}" if value is None else f"{value:8.1f}"


def spread(values: list[float]) -> str:
    med = statistics.median(values)
    return f"{med:8.1f}  ±{(max(values) - min(values)) / 2:6.1f}"


def direct_run(llama: object, tokens: int, messages: list[Message]) -> tuple[float, float, int]:
    """(first token s, total s, pieces) calling llama.cpp directly."""
    start = time.perf_counter()
    first = 0.0
    pieces = 0
    chunks = llama.create_chat_completion(  # type: ignore[attr-defined]
        messages=[{"role": m.role, "content": m.content} for m in messages],
        stream=True,
        max_tokens=tokens,
        temperature=0.2,
        seed=7,
    )
    for chunk in chunks:
        if chunk["choices"][0]["delta"].get("content"):
            pieces += 1
            if not first:
                first = time.perf_counter() - start
    return first, time.perf_counter() - start, pieces


def host_run(host: ModelHost, tokens: int, messages: list[Message]) -> tuple[float, float, int]:
    """The same through CoachDesk's host (lock, pieces, cancel check)."""
    start = time.perf_counter()
    first = 0.0
    pieces = 0
    for piece in host.stream(messages, max_tokens=tokens, temperature=0.2, seed=7):
        if piece.text:
            pieces += 1
            if not first:
                first = time.perf_counter() - start
    return first, time.perf_counter() - start, pieces


def cancel_latency(host: ModelHost) -> float:
    """Seconds from setting Cancel to the stream's last piece."""
    cancel = threading.Event()
    stopped_at = 0.0
    set_at = 0.0
    for count, _piece in enumerate(
        host.stream(prompt(-1), cancel=cancel, max_tokens=400, temperature=0.8), 1
    ):
        if count == 5:
            set_at = time.perf_counter()
            cancel.set()
    stopped_at = time.perf_counter()
    return stopped_at - set_at


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--transcript-words", type=int, default=15_000, help="0 skips the long transcript"
    )
    args = parser.parse_args()

    path = default_model_path()
    host = ModelHost(path, context=2048, threads=args.threads)
    rss_before = rss_mb()
    start = time.perf_counter()
    host.load()
    load = time.perf_counter() - start
    rss_loaded = rss_mb()
    from llama_cpp import Llama

    direct = Llama(
        model_path=str(path),
        n_ctx=2048,
        n_threads=args.threads,
        n_threads_batch=args.threads,
        verbose=False,
    )
    host_run(host, 8, prompt(0))
    direct_run(direct, 8, prompt(0))
    host_times: list[float] = []
    direct_times: list[float] = []
    firsts: list[float] = []
    direct_firsts: list[float] = []
    rates: list[float] = []
    for run in range(1, args.repeats + 1):
        d_first, d_total, d_pieces = direct_run(direct, args.tokens, prompt(run))
        h_first, h_total, h_pieces = host_run(host, args.tokens, prompt(run))
        direct_times.append(d_total * 1000)
        direct_firsts.append(d_first * 1000)
        host_times.append(h_total * 1000)
        firsts.append(h_first * 1000)
        rates.append(h_pieces / h_total)
        if h_pieces != d_pieces:
            print(f"  note: {h_pieces} pieces through the host, {d_pieces} direct")
    ratios = [h / d for h, d in zip(host_times, direct_times, strict=True)]
    cancels = [cancel_latency(host) * 1000 for _ in range(args.repeats)]
    peak = peak_mb()
    print(f"model {path.name}, {args.tokens} tokens, {args.threads} threads")
    print(f"{'step':<44}{'median':>8}  spread")
    print(f"{'load (ms)':<44}{load * 1000:8.1f}")
    print(f"{'time to first token, through host (ms)':<44}{spread(firsts)}")
    print(f"{'time to first token, alone (ms)':<44}{spread(direct_firsts)}")
    print(f"{'tokens per second (host)':<44}{spread(rates)}")
    print(f"{'llama.cpp alone (ms)':<44}{spread(direct_times)}")
    print(f"{'through ModelHost (ms)':<44}{spread(host_times)}")
    print(f"{'ratio host / alone (target <= 1.10)':<44}{statistics.median(ratios):8.3f}")
    print(f"{'Cancel to stream end (ms)':<44}{spread(cancels)}")
    print(f"{'peak memory, both models loaded (MB)':<44}{peak:8.1f}")
    print(f"{'RSS before the model is loaded (MB)':<44}{mb(rss_before)}")
    print(f"{'RSS with the model loaded (MB)':<44}{mb(rss_loaded)}")
    end_to_end(host, direct, args.repeats)
    del direct
    if args.transcript_words:
        long_transcript(host, args.transcript_words)
    print(f"{'RSS at the end, one model loaded (MB)':<44}{mb(rss_mb())}")
    host.unload()
    print(f"{'RSS after unloading it (MB)':<44}{mb(rss_mb())}")
    print(f"{'peak memory over the whole run (MB)':<44}{peak_mb():8.1f}")


def end_to_end(host: ModelHost, direct: object, repeats: int) -> None:
    """A session summary through CoachDesk (policy and consent checks, the note read from
    an encrypted vault, the template, the model, cleaning, flags, the stored draft and its
    audit entry) against llama.cpp alone on the same prompt and the same number of tokens."""
    import tempfile
    from datetime import date

    from coachdesk.ai import prompts
    from coachdesk.domain.compliance import AiTask, ConsentMethod, Purpose
    from coachdesk.domain.crm import NoteDraft, NoteKind
    from coachdesk.services import assistant, clients, compliance, crm, vaults
    from coachdesk.store.keys import FAST_KDF_FOR_TESTS
    from tests.store.util import sample_draft

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "v"
        vault = vaults.create_vault(folder, "bench passphrase", "bench", kdf=FAST_KDF_FOR_TESTS)
        try:
            ada = clients.create_client(vault, sample_draft(1, first_name="Ada")).id
            compliance.give_consent(vault, ada, Purpose.AI_ASSISTANCE, ConsentMethod.EMAIL)
            ours: list[float] = []
            alone: list[float] = []
            for run in range(repeats):
                text = (
                    f"Session {run + 3}: Ada practised {run + 2} interview answers and will "
                    f"update her CV by Friday. I will send her {run + 1} job ads on Monday. "
                    "We talked about salary ranges and the panel format."
                )
                crm.add_note(vault, ada, NoteDraft(NoteKind.SESSION, date.today(), text))
                pieces: list[str] = []
                start = time.perf_counter()
                prepared = assistant.prepare(vault, AiTask.SESSION_SUMMARY, ada)
                made = assistant.generate(prepared, host, on_piece=pieces.append)
                assistant.store(vault, prepared, made)
                ours.append(time.perf_counter() - start)
                messages = prompts.render(
                    prepared.template, **assistant._fitted(prepared, host, None, None)
                )
                _first, total, direct_pieces = direct_run(direct, len(pieces), messages)
                alone.append(total)
                if direct_pieces != len(pieces):
                    print(f"  note: {len(pieces)} pieces through CoachDesk, {direct_pieces} alone")
        finally:
            vault.close()
    ratios = [o / a for o, a in zip(ours, alone, strict=True)]
    print(f"{'session summary end to end, CoachDesk (ms)':<44}{spread([o * 1000 for o in ours])}")
    print(
        f"{'same prompt and tokens, llama.cpp alone (ms)':<44}{spread([a * 1000 for a in alone])}"
    )
    print(f"{'ratio end to end / alone (target <= 1.10)':<44}{statistics.median(ratios):8.3f}")


def long_transcript(host: ModelHost, words: int) -> None:
    """A transcript of `words` words condensed in stages and summarised, end to end."""
    from coachdesk.ai import prompts
    from coachdesk.services.assistant import condense
    from tests.ai.test_assistant import transcript

    text = transcript(words)
    tokens = host.count_tokens(text)
    parts: list[int] = []
    start = time.perf_counter()
    condensed = condense(host, text, "Ada", progress=lambda _done, total: parts.append(total))
    template = prompts.load("session_summary")
    summary = host.complete(
        prompts.render(template, client_name="Ada", notes=condensed),
        max_tokens=template.max_tokens,
    )
    elapsed = time.perf_counter() - start
    stages = len(set(parts))
    print(
        f"{words:,}-word transcript ({tokens:,} tokens, context {host.context_size:,}): "
        f"{max(parts, default=0)} parts in {stages} stage(s), summary of {len(summary.split())} "
        f"words, {elapsed:.1f} s end to end"
    )


if __name__ == "__main__":
    main()
