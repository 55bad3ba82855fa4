"""One llama.cpp model, loaded when first needed, used by one call at a time.

`ModelHost` owns a `llama_cpp.Llama`. The lock around every call means two drafts
never run into one model at once (llama.cpp contexts are not thread-safe); callers
on other threads simply wait their turn. Generation streams text pieces and stops
between two tokens once the caller's cancel event is set. After `idle_seconds`
without use, `unload_if_idle()` frees the model's memory; the next call loads it again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from coachdesk.ai.models import ModelError, ModelInfo, check_memory, inspect_model
from coachdesk.domain import errors

if TYPE_CHECKING:
    from llama_cpp import Llama

DEFAULT_CONTEXT = 4096
DEFAULT_IDLE_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class Message:
    """One turn of a chat: role is "system", "user" or "assistant"."""

    role: str
    content: str


@dataclass(frozen=True, slots=True)
class Piece:
    """A streamed piece of a draft, or the end (text empty, `finish` set)."""

    text: str
    finish: str | None = None  # "stop", "length" or "cancelled"


class CancelledError(errors.CancelledError):
    """Generation stopped because the coach cancelled it."""


def _threads(requested: int | None) -> int:
    import os

    return requested or max(1, (os.cpu_count() or 2) - 1)


def _checked(chunks: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """llama.cpp's chunks, with a prompt too long for the context as a plain error."""
    try:
        yield from chunks
    except ValueError as exc:
        if "context window" not in str(exc):
            raise
        raise ContextOverflowError(
            "The text is too long for this model's context, even after condensing it. "
            "Shorten it, or set a larger context in Settings → Assistant."
        ) from None


class ContextOverflowError(errors.KnownError):
    """The prompt does not fit in the model's context."""


class ModelHost:
    """A lazily loaded model behind a lock.

    Args:
        path: the GGUF file.
        context: the context size to ask for (capped at what the model was trained for).
        threads: CPU threads for llama.cpp (None: all but one).
        idle_seconds: unload after this long without a call.
    """

    def __init__(
        self,
        path: Path,
        context: int = DEFAULT_CONTEXT,
        threads: int | None = None,
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
    ) -> None:
        self.path = path
        self.requested_context = context
        self.threads = _threads(threads)
        self.idle_seconds = idle_seconds
        self._lock = threading.Lock()
        self._llama: Llama | None = None
        self._info: ModelInfo | None = None
        self._last_used = time.monotonic()

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory now."""
        return self._llama is not None

    @property
    def info(self) -> ModelInfo:
        """The file's header (read once)."""
        if self._info is None:
            self._info = inspect_model(self.path)
        return self._info

    @property
    def context_size(self) -> int:
        """The context the model really runs with, in tokens (loads it if needed)."""
        with self._lock:
            return int(self._load().n_ctx())

    def _load(self) -> Llama:
        if self._llama is not None:
            return self._llama
        info = self.info
        check_memory(info)
        from llama_cpp import Llama

        context = self.requested_context
        if info.trained_context:
            context = min(context, info.trained_context)
        try:
            self._llama = Llama(
                model_path=str(self.path),
                n_ctx=context,
                n_threads=self.threads,
                n_threads_batch=self.threads,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise ModelError(
                f"llama.cpp could not load “{self.path.name}” (a “{info.architecture}” model): "
                f"{exc}. It may be newer than this version of CoachDesk supports; choose another "
                "model."
            ) from None
        return self._llama

    def load(self) -> None:
        """Load now (for a settings check); later calls reuse it."""
        with self._lock:
            self._load()
            self._last_used = time.monotonic()

    def count_tokens(self, text: str) -> int:
        """How many tokens `text` is for this model."""
        with self._lock:
            return len(self._load().tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def stream(
        self,
        messages: Sequence[Message],
        cancel: threading.Event | None = None,
        max_tokens: int = 512,
        temperature: float = 0.2,
        json_schema: dict[str, Any] | None = None,
        seed: int = 7,
    ) -> Iterator[Piece]:
        """Generate a reply piece by piece; the last piece has `finish` set.

        With `json_schema`, llama.cpp's grammar constrains the output to JSON matching it.
        The lock is held until the generator finishes or is closed.
        """
        cancel = cancel or threading.Event()
        with self._lock:
            llama = self._load()
            kwargs: dict[str, Any] = {}
            if json_schema is not None:
                kwargs["response_format"] = {"type": "json_object", "schema": json_schema}
            # The stream's chunks are plain dicts; llama_cpp's TypedDict unions add nothing here.
            chunks: Iterator[dict[str, Any]] = cast(Any, llama.create_chat_completion)(
                messages=[{"role": m.role, "content": m.content} for m in messages],
                stream=True,
                max_tokens=max_tokens,
                temperature=temperature,
                seed=seed,
                **kwargs,
            )
            finish: str | None = None
            try:
                for chunk in _checked(chunks):
                    if cancel.is_set():
                        finish = "cancelled"
                        break
                    choice = chunk["choices"][0]
                    text = str(choice["delta"].get("content") or "")
                    if text:
                        yield Piece(text)
                    if choice.get("finish_reason"):
                        finish = str(choice["finish_reason"])
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
                self._last_used = time.monotonic()
            if cancel.is_set():
                finish = "cancelled"
            yield Piece("", finish or "stop")

    def complete(self, messages: Sequence[Message], **kwargs: Any) -> str:
        """The whole reply at once (raises CancelledError when cancelled)."""
        parts: list[str] = []
        for piece in self.stream(messages, **kwargs):
            if piece.finish == "cancelled":
                raise CancelledError("The draft was cancelled.")
            parts.append(piece.text)
        return "".join(parts)

    def unload_if_idle(self, now: float | None = None) -> bool:
        """Free the model if it has not been used for `idle_seconds`; True if it was freed."""
        if self._llama is None:
            return False
        if (now or time.monotonic()) - self._last_used < self.idle_seconds:
            return False
        if not self._lock.acquire(blocking=False):
            return False  # in use right now
        try:
            self._unload()
        finally:
            self._lock.release()
        return True

    def unload(self) -> None:
        """Free the model now (waits for a call in progress)."""
        with self._lock:
            self._unload()

    def _unload(self) -> None:
        llama, self._llama = self._llama, None
        if llama is not None:
            closer = getattr(llama, "close", None)
            if closer is not None:
                closer()
