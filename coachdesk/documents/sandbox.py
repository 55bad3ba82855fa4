"""Templates run sandboxed, in a separate process that is stopped when it runs away.

A template is code the coach can edit, so it is treated as untrusted:

* it renders in Jinja2's `ImmutableSandboxedEnvironment` with `StrictUndefined`
  (a misspelt name is an error, not an empty string) and autoescaping, so client
  data can never become markup;
* the context is plain data (dicts, lists, strings, numbers, dates), never a
  live object with methods to reach through;
* it runs in a worker process with a memory ceiling where the OS supports one,
  and the worker is killed if a render takes longer than `RENDER_SECONDS`; a
  thread cannot be stopped from outside, a process can.

The worker starts on first use and is reused; it is restarted after a kill.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import os
import pickle
import queue
import re
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import ModuleType
from typing import IO, Any

from jinja2 import Environment, StrictUndefined, TemplateSyntaxError, Undefined, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.nodes import EvalContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from coachdesk.documents import WORKER_FLAG
from coachdesk.domain.errors import KnownError

RENDER_SECONDS = 2.0
START_SECONDS = 60.0
MAX_SOURCE_CHARS = 200_000
MAX_OUTPUT_CHARS = 2_000_000
MAX_STRING_CHARS = 200_000
MEMORY_LIMIT_BYTES = 1536 * 1024 * 1024
TEMPLATE_FILENAME = "<template>"


class BrokenTemplateError(KnownError):
    """A template that cannot be used, with the line at fault when it is known.

    Args:
        message: what is wrong, in words.
        line: the template line (1-based), if known.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"Line {line}: {message}" if line else message)
        self.detail = message
        self.line = line


class RunawayTemplateError(BrokenTemplateError):
    """A template ran too long or used too much memory and was stopped."""


# -- the environment -----------------------------------------------------------


class _TooLargeError(Exception):
    pass


def _check_size(value: object) -> object:
    if isinstance(value, str | bytes | list | tuple) and len(value) > MAX_STRING_CHARS:
        raise _TooLargeError
    return value


class _CodeGenerator(CodeGenerator):
    """Jinja's compiler, with every `~` concatenation's result size-checked."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:  # noqa: N802 - Jinja's name
        self.write("environment.sized(")
        super().visit_Concat(node, frame)
        self.write(")")


_WIDTH_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})
_FORMAT_FIELD = re.compile(r"\{[^{}]*\}")


def _finalize(value: object) -> object:
    """What `{{ … }}` prints: never a function, class or module (their reprs leak internals)."""
    if isinstance(value, Undefined | Markup | str):
        return value
    if callable(value) or isinstance(value, type | ModuleType):
        raise SecurityError(_NOT_A_VALUE)
    return value


class _Environment(ImmutableSandboxedEnvironment):
    """The sandbox, where nothing a template builds can grow beyond `MAX_STRING_CHARS`.

    `*`, `**`, `+`, `%`, `~`, string padding methods, format widths and every
    call's result are checked; a context dict's keys win over dict methods, so
    `invoice.items` is the data, not `dict.items`.
    """

    code_generator_class = _CodeGenerator
    intercepted_binops = frozenset(["*", "**", "+", "%"])

    @staticmethod
    def sized(value: object) -> object:
        """`value`, unless it is too large (called by the compiled `~`)."""
        return _check_size(value)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        owner = getattr(__obj, "__self__", None)
        name = getattr(__obj, "__name__", "")
        if isinstance(owner, str):
            widths = [a for a in (*args, *kwargs.values()) if isinstance(a, int)]
            if name in _WIDTH_METHODS and any(w > MAX_STRING_CHARS for w in widths):
                raise _TooLargeError
            if name in ("format", "format_map") and any(
                int(n) > MAX_STRING_CHARS
                for field in _FORMAT_FIELD.findall(owner)
                for n in re.findall(r"\d+", field)
            ):
                raise _TooLargeError
        return _check_size(super().call(__context, __obj, *args, **kwargs))

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if (
            operator == "%"
            and isinstance(left, str)
            and any(int(width) > MAX_STRING_CHARS for width in re.findall(r"%[-#0 +]*(\d+)", left))
        ):
            raise _TooLargeError
        if operator == "**" and isinstance(right, int) and abs(right) > 64:
            raise _TooLargeError
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if (
                    isinstance(seq, str | list | tuple)
                    and isinstance(count, int)
                    and len(seq) * count > MAX_STRING_CHARS
                ):
                    raise _TooLargeError
        return _check_size(super().call_binop(context, operator, left, right))


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def long_date(value: object) -> str:
    """24 November 2026."""
    day = _as_date(value)
    return f"{day.day} {day:%B %Y}" if day else ""


def short_date(value: object) -> str:
    """24 Nov 2026."""
    day = _as_date(value)
    return f"{day.day} {day:%b %Y}" if day else ""


def money(value: object, currency: str = "") -> str:
    """1,250.00 EUR (two decimals, thousands separated)."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = f"{amount:,.2f}"
    return f"{text} {currency}".strip()


def lines(value: object) -> Markup:
    """Text with its line breaks kept (escaped, then joined with <br>)."""
    return Markup("<br>").join(escape(part) for part in str(value).splitlines())


FILTERS: dict[str, Callable[..., object]] = {
    "long_date": long_date,
    "short_date": short_date,
    "money": money,
    "lines": lines,
}


# Built-in filters that take a width or turn any value into text.
GUARDED_FILTERS = (
    "center",
    "indent",
    "string",
    "format",
    "join",
    "replace",
    "truncate",
    "wordwrap",
    "money",
    "lines",
)
_NOT_A_VALUE = "it prints a function or a type, not a value; is a field name misspelt?"


def _guarded(fn: Callable[..., object]) -> Callable[..., object]:
    """A filter that refuses huge widths and will not turn code into text."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> object:
        values = [a for a in args if not isinstance(a, Environment | EvalContext)]
        if any(
            isinstance(a, int) and a > MAX_STRING_CHARS for a in (*values[1:], *kwargs.values())
        ):
            raise _TooLargeError
        if (
            values
            and not isinstance(values[0], Undefined | str)
            and (callable(values[0]) or isinstance(values[0], type | ModuleType))
        ):
            raise SecurityError(_NOT_A_VALUE)
        return _check_size(fn(*args, **kwargs))

    return run


def environment(autoescape: bool = True) -> _Environment:
    """A fresh sandboxed environment with CoachDesk's filters."""
    env = _Environment(
        undefined=StrictUndefined,
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.loopcontrols"],
        finalize=_finalize,
    )
    env.filters.update(FILTERS)
    for name in GUARDED_FILTERS:
        env.filters[name] = _guarded(env.filters[name])
    return env


# -- checks that need no rendering --------------------------------------------


def _first_line_of(ast: nodes.Template, name: str) -> int | None:
    for node in ast.find_all(nodes.Name):
        if node.name == name and node.ctx == "load":
            return int(node.lineno)
    return None


def check_syntax(source: str, known_names: frozenset[str], autoescape: bool = True) -> None:
    """Refuse a template that does not parse or uses a name the context lacks.

    Raises:
        BrokenTemplateError: naming the line and what is wrong.
    """
    if len(source) > MAX_SOURCE_CHARS:
        raise BrokenTemplateError(
            f"The template is longer than {MAX_SOURCE_CHARS:,} characters; split it up."
        )
    env = environment(autoescape)
    from jinja2 import meta

    try:
        ast = env.parse(source)
        undeclared = meta.find_undeclared_variables(ast)
    except TemplateSyntaxError as exc:
        raise BrokenTemplateError(_syntax_message(exc), exc.lineno) from None
    unknown = sorted(undeclared - known_names - set(env.globals))
    if unknown:
        name = unknown[0]
        raise BrokenTemplateError(
            f"There is no value called '{name}'. Check the spelling; the values you can use "
            f"are: {', '.join(sorted(known_names))}.",
            _first_line_of(ast, name),
        )


def _syntax_message(exc: TemplateSyntaxError) -> str:
    text = str(exc.message or "the template has a syntax error")
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


# -- the worker process ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Request:
    source: str
    context: Mapping[str, Any]
    autoescape: bool


def _template_line(exc: BaseException) -> int | None:
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == TEMPLATE_FILENAME and frame.lineno:
            line = frame.lineno
    return line


_ATTRIBUTE = re.compile(r"has no attribute '([^']+)'")
_UNDEFINED = re.compile(r"'([^']+)' is undefined")


def _undefined_message(exc: UndefinedError) -> str:
    text = str(exc)
    if match := _ATTRIBUTE.search(text):
        return f"There is no field called '{match.group(1)}' here. Check the spelling."
    if match := _UNDEFINED.search(text):
        return f"There is no value called '{match.group(1)}'. Check the spelling."
    return f"A value is missing: {text}."


def _render_here(request: _Request) -> tuple[str, str, int | None]:
    """Render in this process: ("ok", text, None) or ("error", message, line)."""
    env = environment(request.autoescape)
    try:
        template = env.from_string(request.source)
        chunks: list[str] = []
        size = 0
        for chunk in template.generate(**request.context):
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                return "error", _runaway_output(), None
            chunks.append(chunk)
        return "ok", "".join(chunks), None
    except TemplateSyntaxError as exc:
        return "error", _syntax_message(exc), exc.lineno
    except UndefinedError as exc:
        return "error", _undefined_message(exc), _template_line(exc)
    except SecurityError as exc:
        return (
            "error",
            f"The template tried something templates may not do ({str(exc).rstrip('.')}).",
            (_template_line(exc)),
        )
    except _TooLargeError as exc:
        return "error", _runaway_output(), _template_line(exc)
    except MemoryError:
        return "error", _runaway_memory(), None
    except RecursionError as exc:
        return "error", "The template calls itself without end.", _template_line(exc)
    except Exception as exc:  # noqa: BLE001 - whatever a template raises is the template's fault
        text = str(exc).rstrip(".") or type(exc).__name__
        return "error", f"The template could not be filled in: {text}.", _template_line(exc)


def _runaway_output() -> str:
    return (
        "The template builds far more text than any document needs, so CoachDesk stopped "
        "it. Look for a loop or a repeated string that grows without end."
    )


def _runaway_memory() -> str:
    return (
        "The template used too much memory, so CoachDesk stopped it. Look for a loop or a "
        "repeated string that grows without end."
    )


def _runaway_time() -> str:
    return (
        f"The template was still running after {RENDER_SECONDS:g} seconds, so CoachDesk "
        "stopped it. Look for a loop that never ends or runs far too many times."
    )


def _limit_memory() -> None:
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = (
            MEMORY_LIMIT_BYTES if hard == resource.RLIM_INFINITY else min(hard, MEMORY_LIMIT_BYTES)
        )
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _read_frame(stream: IO[bytes]) -> bytes | None:
    header = stream.read(4)
    if len(header) < 4:
        return None
    size = int.from_bytes(header, "big")
    body = stream.read(size)
    return body if len(body) == size else None


def _write_frame(stream: IO[bytes], body: bytes) -> None:
    stream.write(len(body).to_bytes(4, "big") + body)
    stream.flush()


def serve() -> None:
    """The worker's loop over stdin and stdout: one request in, one answer out.

    Requests come pickled from the app (trusted); answers go back as JSON, so a
    template that somehow escaped the sandbox still cannot make the app unpickle
    anything.
    """
    _limit_memory()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing a template does may write into the answer pipe
    _write_frame(stdout, json.dumps(["ready", "", None]).encode())
    while (frame := _read_frame(stdin)) is not None:
        try:
            answer = _render_here(pickle.loads(frame))  # noqa: S301 - sent by the app itself
        except MemoryError:
            answer = ("error", _runaway_memory(), None)
        _write_frame(stdout, json.dumps(answer).encode())


def worker_command() -> list[str]:
    """How to start a worker: the frozen app re-runs itself with a flag."""
    if getattr(sys, "frozen", False):
        return [sys.executable, WORKER_FLAG]
    # -I: no current folder or PYTHONPATH on sys.path, so nothing beside a template runs.
    return [sys.executable, "-I", "-c", "from coachdesk.documents.sandbox import serve; serve()"]


def worker_environment() -> dict[str, str]:
    """The app's environment without secrets: a worker never needs the passphrase."""
    return {k: v for k, v in os.environ.items() if not k.startswith("COACHDESK_PASSPHRASE")}


class TemplateRunner:
    """Renders templates in a worker process, one at a time.

    Args:
        timeout: seconds a render may take before the worker is killed.
    """

    def __init__(self, timeout: float = RENDER_SECONDS) -> None:
        self._timeout = timeout
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._answers: queue.Queue[bytes | None] = queue.Queue()

    def _start(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            worker_command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # a traceback could quote client data
            env=worker_environment(),
        )
        answers: queue.Queue[bytes | None] = queue.Queue()
        stdout = process.stdout
        assert stdout is not None

        def pump() -> None:
            while (frame := _read_frame(stdout)) is not None:
                answers.put(frame)
            answers.put(None)

        threading.Thread(target=pump, name="template-answers", daemon=True).start()
        try:
            ready = answers.get(timeout=START_SECONDS)
        except queue.Empty:
            ready = None
        if ready is None:
            process.kill()
            process.wait()
            raise BrokenTemplateError("The template engine did not start. Restart CoachDesk.")
        self._process, self._answers = process, answers
        return process

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait()
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    stream.close()

    def render(self, source: str, context: Mapping[str, Any], autoescape: bool = True) -> str:
        """The filled-in template.

        Raises:
            BrokenTemplateError: the template is broken (with its line) or used
                something it may not.
            RunawayTemplateError: it ran longer than the limit or too large.
        """
        if len(source) > MAX_SOURCE_CHARS:
            raise BrokenTemplateError(
                f"The template is longer than {MAX_SOURCE_CHARS:,} characters; split it up."
            )
        request = pickle.dumps(_Request(source, dict(context), autoescape))
        with self._lock:
            process = self._process or self._start()
            assert process.stdin is not None
            try:
                _write_frame(process.stdin, request)
                frame = self._answers.get(timeout=self._timeout)
            except queue.Empty:
                self._stop()
                raise RunawayTemplateError(_runaway_time()) from None
            except OSError:
                frame = None
            if frame is None:
                self._stop()
                raise RunawayTemplateError(_runaway_memory())
        status, text, line = json.loads(frame)
        if status == "ok":
            return str(text)
        if text in (_runaway_output(), _runaway_memory()):
            raise RunawayTemplateError(text, line)
        raise BrokenTemplateError(text, line)

    def close(self) -> None:
        """Stop the worker (it starts again on the next render)."""
        with self._lock:
            self._stop()


_shared: TemplateRunner | None = None
_shared_lock = threading.Lock()


def shared_runner() -> TemplateRunner:
    """The process-wide runner, stopped at exit."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = TemplateRunner()
            atexit.register(_shared.close)
        return _shared


def render(source: str, context: Mapping[str, Any], autoescape: bool = True) -> str:
    """Render with the shared runner (see `TemplateRunner.render`)."""
    return shared_runner().render(source, context, autoescape)
