"""Template sandbox: escapes that never execute, runaways, line numbers, escaping and filters.

Every payload below was written for this file. The patterns come from public descriptions:

* CVE-2016-10745 (`str.format` reaching attributes, Jinja < 2.8.1) and CVE-2019-10906
  (`str.format_map`, < 2.10.1): the NVD summaries quoted in
  fabric8-analytics/fabric8-analytics-server#491 and dirbs/DIRBS-Core#8;
* CVE-2024-56326 (GHSA-q2x7-8rv6-6q7h: a stored reference to a string's `format` called
  indirectly, fixed in 3.1.5) and CVE-2025-27516 (GHSA-cpwx-vrp4-4pq7: `|attr` fetching the
  plain `format`, fixed in 3.1.6): the advisories as quoted in queens-py/queens#274 and
  ZeitOnline/briefkasten#401, and the Jinja 3.1.5/3.1.6 changelog (which also notes that
  `pop` and `clear` on lists were let through before 3.1.5);
* the classic SSTI walk from a literal's class through `__mro__` and `__subclasses__()` to a
  function's `__globals__`: secprep.io, "What is Server-Side Template Injection";
* Jinja's own sandbox documentation (docs/sandbox.rst): operator interception, and the
  warning that a small template can render a very large output.

A payload "works" if it creates a marker file, reads the secret planted in a file and in the
worker's environment, changes the data it was given, or prints a Python object's repr. Each
one that is marked live is first shown to work in an unsandboxed twin of the environment, so
the sandbox tests cannot pass because a payload was simply broken.
"""

from __future__ import annotations

import contextlib
import copy
import html
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
import pytest

from coachdesk.documents import sandbox
from coachdesk.documents.sandbox import (
    MAX_SOURCE_CHARS,
    BrokenTemplateError,
    RunawayTemplateError,
    TemplateRunner,
    check_syntax,
    long_date,
    money,
    short_date,
)

MARK = "@MARK@"
SECRET_FILE = "@SECRET_FILE@"
SECRET_ENV = "COACHDESK_TEST_SECRET"
MUTATED = "mutated-by-template"
# What a repr of code, a class or a module looks like, and what /etc/passwd starts with.
REPR_WORDS = ("<class", "function", "module", "built-in", "<bound", "root:")
ETC_PASSWD = Path("/etc/passwd")


# -- traps and the oracle ---------------------------------------------------------------


@dataclass(frozen=True)
class Traps:
    """A folder holding a secret file; payloads aim their marker files into it too."""

    folder: Path
    secret: str

    @classmethod
    def lay(cls, folder: Path) -> Traps:
        traps = cls(folder, f"coachdesk-secret-{secrets.token_hex(12)}")
        traps.secret_file.write_text(traps.secret, encoding="utf-8")
        return traps

    @property
    def secret_file(self) -> Path:
        return self.folder / "secret.txt"

    def marker(self, name: str) -> Path:
        return self.folder / f"pwned-{name}"

    def arm(self, payload: Payload) -> str:
        return payload.source.replace(MARK, str(self.marker(payload.id))).replace(
            SECRET_FILE, str(self.secret_file)
        )

    def sprung(self, text: str) -> list[str]:
        """What the payload achieved: files created, secrets read, data changed, reprs printed."""
        plain = html.unescape(text)
        found = [word for word in (*REPR_WORDS, self.secret, MUTATED) if word in plain]
        created = sorted(p.name for p in self.folder.iterdir() if p != self.secret_file)
        return found + [f"created {name}" for name in created]


def client_context() -> dict[str, Any]:
    """Plain data as the context builders make it."""
    return {
        "client": {
            "first_name": "Aoife",
            "last_name": "Byrne",
            "email": "aoife@example.com",
            "notes": "Prefers mornings.\nWorking on <b>focus</b> & delegation.",
        },
        "sessions": [
            {"date": date(2026, 11, 24), "fee": Decimal("1250.00"), "topic": "Kick-off"},
            {"date": date(2026, 12, 8), "fee": Decimal("95.50"), "topic": "Review"},
        ],
        "tags": ["focus", "career"],
        "today": date(2026, 11, 24),
    }


# -- the corpus ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Payload:
    """A template that tries to get out.

    Args:
        id: a readable test id.
        source: the template; @MARK@ and @SECRET_FILE@ are replaced by trap paths.
        live: whether it works without the sandbox (checked by the control test).
    """

    id: str
    source: str
    live: bool = True


_FORMAT_CVES = [
    # CVE-2016-10745: a format field walks attributes and indexes from its argument.
    Payload(
        "cve-2016-10745-format-walks-to-os", '{{ "{0.__init__.__globals__[os]}".format(cycler) }}'
    ),
    Payload(
        "cve-2016-10745-format-reaches-builtins",
        '{{ "{0.__globals__[__builtins__][open]}".format(lipsum) }}',
    ),
    Payload(
        "cve-2016-10745-format-with-conversion-and-spec",
        '{{ "{0.__class__.__mro__[1].__subclasses__!r:>8}".format(client) }}',
    ),
    Payload(
        "cve-2016-10745-markup-format",
        '{{ ("{0.__init__.__globals__[os]}"|safe).format(cycler) }}',
    ),
    # CVE-2019-10906: the same walk through format_map.
    Payload(
        "cve-2019-10906-format-map",
        '{{ "{c.__init__.__globals__[os]}".format_map({"c": cycler}) }}',
    ),
    Payload(
        "cve-2019-10906-format-map-dict-global",
        '{{ "{n.__init__.__globals__[json]}".format_map(dict(n=namespace)) }}',
    ),
    # CVE-2024-56326: a stored reference to format, called later or elsewhere.
    Payload(
        "cve-2024-56326-stored-format",
        '{% set show = "{0.__init__.__globals__[os]}".format %}{{ show(cycler) }}',
    ),
    Payload(
        "cve-2024-56326-format-called-by-macro",
        "{% macro apply(fn, value) %}{{ fn(value) }}{% endmacro %}"
        '{{ apply("{0.__init__.__globals__[os]}".format, joiner) }}',
    ),
    Payload(
        "cve-2024-56326-format-kept-in-namespace",
        '{% set box = namespace(fn="{0.__globals__[os]}".format) %}{{ box.fn(lipsum) }}',
    ),
    Payload(
        "cve-2024-56326-stored-format-map",
        '{% set fill = "{x.__globals__[__builtins__][eval]}".format_map %}'
        '{{ fill({"x": lipsum}) }}',
    ),
    Payload(
        "cve-2024-56326-format-called-by-call-block",
        '{% set show = "{0.__init__.__globals__[os]}".format %}'
        "{% call show(cycler) %}{% endcall %}",
    ),
    # CVE-2025-27516: |attr fetches the plain format method.
    Payload(
        "cve-2025-27516-attr-format",
        '{{ ("{0.__init__.__globals__[os]}"|attr("format"))(cycler) }}',
    ),
    Payload(
        "cve-2025-27516-attr-format-map",
        '{{ ("{v.__globals__[os]}"|attr("format_map"))({"v": lipsum}) }}',
    ),
    Payload(
        "cve-2025-27516-attr-format-stored",
        '{% set fmt = "{0.__init__.__globals__[os]}"|attr("format") %}{{ fmt(namespace) }}',
    ),
    Payload(
        "cve-2025-27516-map-attribute-format",
        '{% for fmt in ["{0.__globals__[os]}"]|map(attribute="format") %}'
        "{{ fmt(lipsum) }}{% endfor %}",
    ),
]

_CLASS_WALKS = [
    Payload("mro-subclasses-listing", '{{ "".__class__.__mro__[1].__subclasses__() }}'),
    Payload(
        "subclasses-wrap-close-system",
        "{% for c in ().__class__.__base__.__subclasses__() if c.__name__ == '_wrap_close' %}"
        '{{ c.__init__.__globals__.system("touch @MARK@") }}{% endfor %}',
    ),
    Payload(
        "subclasses-popen",
        "{% for c in ''.__class__.__mro__[-1].__subclasses__() if c.__name__ == 'Popen' %}"
        '{{ c(["touch", "@MARK@"]).wait() }}{% endfor %}',
    ),
    Payload(
        "subclasses-catch-warnings-import",
        "{% for c in [].__class__.__base__.__subclasses__() if c.__name__ == 'catch_warnings' %}"
        '{{ c()._module.__builtins__["__import__"]("os").mkdir("@MARK@") }}{% endfor %}',
    ),
    Payload("dict-global-subclasses", "{{ dict.__base__.__subclasses__() }}"),
    Payload("context-dict-class-walk", "{{ client.__class__.__base__.__subclasses__() }}"),
    Payload("context-date-mro", "{{ today.__class__.__mro__ }}"),
    Payload("context-decimal-class", "{{ sessions[0].fee.__class__ }}"),
]

_GLOBALS_WALKS = [
    Payload("cycler-globals-os-mkdir", '{{ cycler.__init__.__globals__.os.mkdir("@MARK@") }}'),
    Payload(
        "joiner-globals-os-system",
        '{{ joiner.__init__.__globals__.os.system("touch @MARK@") }}',
    ),
    Payload(
        "namespace-globals-os-mkdir",
        '{{ namespace.__init__.__globals__.os.mkdir("@MARK@") }}',
    ),
    Payload(
        "lipsum-builtins-import",
        '{{ lipsum.__globals__.__builtins__.__import__("os").mkdir("@MARK@") }}',
    ),
    Payload(
        "lipsum-builtins-open-write",
        '{{ lipsum.__globals__.__builtins__.open("@MARK@", "w").close() }}',
    ),
    Payload(
        "range-init-self-globals-subprocess",
        "{{ range.__init__.__self__.__globals__.__builtins__"
        '.__import__("subprocess").run(["touch", "@MARK@"]).returncode }}',
    ),
    Payload(
        "range-globals-eval",
        "{{ range.__globals__.__builtins__.eval(\"__import__('os').mkdir('@MARK@')\") }}",
    ),
    Payload(
        "joiner-builtins-exec-open",
        "{{ joiner.__init__.__globals__.__builtins__.exec(\"open('@MARK@', 'w').close()\") }}",
    ),
    Payload(
        "namespace-new-instance-globals",
        '{{ namespace().__class__.__init__.__globals__.os.mkdir("@MARK@") }}',
    ),
    Payload(
        "self-init-globals-sys-modules",
        '{{ self.__init__.__globals__.sys.modules.os.mkdir("@MARK@") }}',
    ),
    Payload(
        "self-template-reference-context",
        '{{ self._TemplateReference__context.cycler.__init__.__globals__.os.mkdir("@MARK@") }}',
    ),
    Payload(
        "self-context-environment-from-string",
        "{{ self._TemplateReference__context.environment.from_string("
        '"{{ lipsum.__globals__.os.mkdir(target) }}").render(target="@MARK@") }}',
    ),
    Payload(
        "loop-class-globals",
        "{% for x in [1] %}"
        '{{ loop.__class__.__init__.__globals__.sys.modules.os.mkdir("@MARK@") }}'
        "{% endfor %}",
    ),
    Payload(
        "loop-cycle-func-globals",
        "{% for x in [1] %}"
        '{{ loop.cycle.__func__.__globals__.sys.modules.os.mkdir("@MARK@") }}'
        "{% endfor %}",
    ),
    Payload(
        "caller-globals",
        "{% macro wrap() %}"
        '{{ caller.__init__.__globals__.sys.modules.os.mkdir("@MARK@") }}'
        "{% endmacro %}{% call wrap() %}x{% endcall %}",
    ),
    Payload(
        "macro-private-func-globals",
        "{% macro m() %}{% endmacro %}"
        '{{ m._func.__globals__.__builtins__.__import__("os").mkdir("@MARK@") }}',
    ),
    Payload(
        "generator-gi-frame-f-globals",
        '{{ ([1]|map("string")).gi_frame.f_globals.__builtins__'
        '.__import__("os").mkdir("@MARK@") }}',
    ),
    Payload(
        "generator-gi-frame-f-builtins",
        '{{ ([1]|select).gi_frame.f_builtins.__import__("os").mkdir("@MARK@") }}',
    ),
    Payload(
        "sys-getframe-f-globals",
        "{{ self.__init__.__globals__.sys._getframe(0).f_globals.__builtins__"
        '.__import__("os").mkdir("@MARK@") }}',
    ),
    Payload(
        "traceback-tb-frame",
        '{{ self.__init__.__globals__.sys.exc_info()[2].tb_frame.f_globals.os.mkdir("@MARK@") }}',
        live=False,  # no exception is being handled while a template renders
    ),
]

_HIDDEN_NAMES = [
    Payload(
        "attr-hex-escaped-name",
        r'{{ (lipsum|attr("\x5f\x5fglobals\x5f\x5f")).os.mkdir("@MARK@") }}',
    ),
    Payload(
        "attr-unicode-escaped-names",
        r'{{ ((cycler|attr("\u005f\u005finit\u005f\u005f"))'
        r'|attr("\u005f\u005fglobals\u005f\u005f")).os.mkdir("@MARK@") }}',
    ),
    Payload(
        "attr-octal-escaped-name",
        r'{{ (lipsum|attr("\137\137globals\137\137")).os.mkdir("@MARK@") }}',
    ),
    Payload("subscript-dunder", '{{ lipsum["__globals__"]["os"].mkdir("@MARK@") }}'),
    Payload(
        "tilde-concatenated-dunder",
        '{% set u = "_" ~ "_" %}{{ (lipsum|attr(u ~ "globals" ~ u)).os.mkdir("@MARK@") }}',
    ),
    Payload(
        "plus-concatenated-dunder",
        '{{ (lipsum|attr("__" + "glob" + "als" + "__")).os.mkdir("@MARK@") }}',
    ),
    Payload(
        "join-filter-dunder",
        '{{ (lipsum|attr(["__", "globals", "__"]|join)).os.mkdir("@MARK@") }}',
    ),
    Payload(
        "reverse-filter-dunder",
        '{{ (lipsum|attr("__slabolg__"|reverse)).os.mkdir("@MARK@") }}',
    ),
    Payload(
        "replace-filter-dunder",
        '{{ (lipsum|attr("XXglobalsXX"|replace("X", "_"))).os.mkdir("@MARK@") }}',
    ),
    Payload(
        "percent-format-filter-dunder",
        '{{ (lipsum|attr("%sglobals%s"|format("__", "__"))).os.mkdir("@MARK@") }}',
    ),
    Payload(
        "percent-operator-dunder",
        '{{ (lipsum|attr("%sglobals%s" % ("__", "__"))).os.mkdir("@MARK@") }}',
    ),
    Payload(
        "brace-format-dunder",
        '{{ (lipsum|attr("{0}globals{0}".format("__"))).os.mkdir("@MARK@") }}',
    ),
    Payload(
        "dict-key-dunder",
        '{{ (lipsum|attr(dict(__globals__=1)|first)).os.mkdir("@MARK@") }}',
    ),
    Payload(
        "map-attribute-dotted-path",
        '{{ ([cycler]|map(attribute="__init__.__globals__.os")|first).mkdir("@MARK@") }}',
    ),
    Payload(
        "map-attribute-step-by-step",
        '{{ ([lipsum]|map(attribute="__globals__")|map(attribute="os")|first).mkdir("@MARK@") }}',
    ),
    Payload(
        "selectattr-dotted-path",
        '{{ [cycler]|selectattr("__init__.__globals__.os.mkdir")|list }}',
    ),
    Payload(
        "groupby-class",
        '{{ ([client.first_name]|groupby("__class__")|first).grouper }}',
    ),
]

_WEB_GLOBALS = [
    # Globals other template hosts (Flask) provide; CoachDesk has none of them.
    Payload(
        "flask-config-globals",
        '{{ config.__class__.__init__.__globals__.os.mkdir("@MARK@") }}',
        live=False,
    ),
    Payload(
        "flask-request-application-globals",
        '{{ request.application.__globals__.__builtins__.__import__("os").mkdir("@MARK@") }}',
        live=False,
    ),
    Payload("flask-url-for-globals", '{{ url_for.__globals__.os.mkdir("@MARK@") }}', live=False),
]

_MUTATIONS = [
    Payload("list-append", '{{ tags.append("mutated-by-template") }}{{ tags|join(",") }}'),
    Payload("list-insert", '{{ tags.insert(0, "mutated-by-template") }}{{ tags|first }}'),
    Payload(
        "list-clear",
        '{{ tags.clear() }}{{ "mutated-by-template" if not tags else "" }}',
    ),
    Payload(
        "list-pop",
        '{% set gone = tags.pop() %}{{ "mutated-by-template" if tags|length < 2 else "" }}',
    ),
    Payload(
        "dict-update",
        '{{ client.update(first_name="mutated-by-template") }}{{ client.first_name }}',
    ),
    Payload(
        "dict-pop",
        '{% set gone = client.pop("first_name") %}'
        '{{ client.first_name|default("mutated-by-template") }}',
    ),
    Payload("dict-setdefault", '{{ client.setdefault("x", "mutated-by-template") }}'),
    Payload(
        "dict-setitem-dunder",
        '{{ client.__setitem__("first_name", "mutated-by-template") }}{{ client.first_name }}',
    ),
    Payload(
        "set-setattr-on-object",
        '{% set c = cycler("a") %}{% set put = c.__setattr__ %}'
        '{{ put("items", ["mutated-by-template"]) }}{{ c.current }}',
    ),
    Payload(
        "set-namespace-dunder-key",
        "{% set ns = namespace() %}{% set ns.__class__ = lipsum %}{{ ns.__class__ }}",
    ),
]

_FILES = [
    Payload("include-secret-file", '{% include "@SECRET_FILE@" %}'),
    Payload("include-etc-passwd", '{% include "/etc/passwd" %}', live=ETC_PASSWD.exists()),
    Payload(
        "include-list-ignore-missing",
        '{% include ["/no/such/file", "@SECRET_FILE@"] ignore missing %}',
    ),
    Payload("import-secret-file", '{% import "@SECRET_FILE@" as stolen %}{{ stolen }}'),
    Payload("extends-secret-file", '{% extends "@SECRET_FILE@" %}'),
    Payload(
        "from-import-secret-file",
        '{% from "@SECRET_FILE@" import anything %}{{ anything }}',
        live=False,  # the file exports no macro, so even a loader refuses it
    ),
    Payload(
        "include-dotdot-traversal",
        '{% include "../../../../../../../../etc/passwd" %}',
        live=False,  # a file loader refuses "..", only a bare open() would follow it
    ),
    Payload(
        "pathlib-read-secret-file",
        '{{ lipsum.__globals__.__builtins__.__import__("pathlib")'
        '.Path("@SECRET_FILE@").read_text() }}',
    ),
]

_PROCESS = [
    Payload(
        "environ-secret",
        '{{ lipsum.__globals__.os.environ["COACHDESK_TEST_SECRET"] }}',
    ),
    Payload(
        "getenv-secret",
        '{{ namespace.__init__.__globals__.os.getenv("COACHDESK_TEST_SECRET") }}',
    ),
    Payload(
        "import-subprocess-check-call",
        '{{ cycler.__init__.__globals__.__builtins__.__import__("subprocess")'
        '.check_call(["touch", "@MARK@"]) }}',
    ),
]

CORPUS = [
    *_FORMAT_CVES,
    *_CLASS_WALKS,
    *_GLOBALS_WALKS,
    *_HIDDEN_NAMES,
    *_WEB_GLOBALS,
    *_MUTATIONS,
    *_FILES,
    *_PROCESS,
]

# Printing a function, a class or a method would show its repr (name, module, memory
# address): not an escape, but nothing a client document should ever contain.
REPR_PROBES = [
    pytest.param(Payload("print-lipsum", "{{ lipsum }}"), id="print-lipsum"),
    pytest.param(Payload("print-cycler", "{{ cycler }}"), id="print-cycler"),
    pytest.param(
        Payload("print-range-via-string", "{{ range|string }}"),
        id="print-range-via-string",
    ),
    pytest.param(
        Payload("money-filter-stringifies-a-method", '{{ "{0}".format|money }}'),
        id="money-filter-stringifies-a-method",
    ),
    pytest.param(
        Payload("dict-key-shadowed-by-method", "{{ invoice.items }}"),
        id="dict-key-shadowed-by-method",
    ),
]


def _params(payloads: list[Payload]) -> list[Any]:
    return [pytest.param(payload, id=payload.id) for payload in payloads]


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def traps(tmp_path_factory: pytest.TempPathFactory) -> Traps:
    """The module's traps: a secret file, and the folder markers would appear in."""
    return Traps.lay(tmp_path_factory.mktemp("traps"))


@pytest.fixture(scope="module")
def runner(traps: Traps) -> Iterator[TemplateRunner]:
    """One runner for the module; its workers inherit the secret in their environment."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SECRET_ENV, traps.secret)
        template_runner = TemplateRunner()
        yield template_runner
        template_runner.close()


def unsandboxed_twin() -> jinja2.Environment:
    """CoachDesk's environment without the sandbox, and with a loader for files."""
    twin = jinja2.Environment(
        loader=jinja2.FileSystemLoader("/"),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        extensions=["jinja2.ext.loopcontrols"],
    )
    twin.globals.update(sandbox.environment().globals)
    twin.filters.update(sandbox.FILTERS)
    return twin


def assert_still_works(runner: TemplateRunner) -> None:
    text = runner.render("Dear {{ client.first_name }},", client_context())
    assert text == "Dear Aoife,"


# -- 1. the escape corpus -----------------------------------------------------------------


def test_corpus_is_large_and_distinct() -> None:
    assert len(CORPUS) >= 40
    assert len({p.id for p in CORPUS}) == len(CORPUS)
    assert len({p.source for p in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("payload", _params([p for p in CORPUS if p.live]))
def test_payload_works_without_the_sandbox(
    payload: Payload, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: each live payload really escapes when the sandbox is not there."""
    traps = Traps.lay(tmp_path)
    monkeypatch.setenv(SECRET_ENV, traps.secret)
    text = unsandboxed_twin().from_string(traps.arm(payload)).render(**client_context())
    assert traps.sprung(text)


@pytest.mark.parametrize("payload", _params(CORPUS))
def test_payload_never_executes(runner: TemplateRunner, traps: Traps, payload: Payload) -> None:
    context = client_context()
    before = copy.deepcopy(context)
    try:
        text = runner.render(traps.arm(payload), context)
    except RunawayTemplateError as exc:
        pytest.fail(f"the worker ran away or died instead of refusing: {exc}")
    except BrokenTemplateError as exc:
        assert "Traceback" not in str(exc)
        assert traps.secret not in str(exc)
        assert exc.detail
        text = ""
    assert traps.sprung(text) == []
    assert not traps.marker(payload.id).exists()
    assert context == before


@pytest.mark.parametrize("payload", REPR_PROBES)
def test_code_is_never_printed(runner: TemplateRunner, traps: Traps, payload: Payload) -> None:
    context = {**client_context(), "invoice": {"items": ["Coaching session"]}}
    try:
        text = runner.render(payload.source, context)
    except BrokenTemplateError as exc:
        assert "Traceback" not in str(exc)
        text = ""
    assert traps.sprung(text) == []


def test_a_corpus_run_leaves_the_worker_clean(runner: TemplateRunner, traps: Traps) -> None:
    for payload in CORPUS:
        with contextlib.suppress(BrokenTemplateError):
            runner.render(traps.arm(payload), client_context())
    assert runner.render("{{ 1250|money('EUR') }} {{ today|long_date }}", client_context()) == (
        "1,250.00 EUR 24 November 2026"
    )
    assert traps.sprung("") == []


def test_shared_render_is_sandboxed_too(traps: Traps) -> None:
    assert sandbox.render("{{ 6 * 7 }}", {}) == "42"
    payload = _GLOBALS_WALKS[0]
    with pytest.raises(BrokenTemplateError, match="may not do"):
        sandbox.render(traps.arm(payload), {})
    assert not traps.marker(payload.id).exists()


# -- 2. runaway templates -----------------------------------------------------------------

RUNAWAYS = [
    pytest.param(
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        id="nested-huge-loops",
    ),
    pytest.param('{{ "x" * 10**8 }}', id="string-multiplication"),
    pytest.param("{{ [0] * 10**8 }}", id="list-multiplication"),
    pytest.param(
        '{% set ns = namespace(s="ab") %}{% for i in range(64) %}'
        "{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s|length }}",
        id="namespace-doubling-with-plus",
    ),
    pytest.param(
        '{% set ns = namespace(s="ab") %}{% for i in range(64) %}'
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
        id="namespace-doubling-with-tilde",
    ),
    pytest.param(
        '{% for i in range(100000) %}{{ "x" * 100 }}{% endfor %}', id="huge-output-from-loop"
    ),
    pytest.param(
        "{% set ns = namespace(n=10) %}{% for i in range(30) %}"
        "{% set ns.n = ns.n ** 64 %}{% endfor %}{{ ns.n > 1 }}",
        id="power-tower",
    ),
    pytest.param("{{ lipsum(n=10**6) }}", id="lipsum-million-paragraphs"),
    pytest.param('{{ "{:>999999999}".format("x") }}', id="format-width-a-billion"),
]


def _assert_plain(exc: BrokenTemplateError) -> None:
    message = str(exc)
    assert "Traceback" not in message
    assert "File " not in message
    assert exc.detail


@pytest.mark.parametrize("source", RUNAWAYS)
def test_runaway_is_stopped(runner: TemplateRunner, source: str) -> None:
    started = time.monotonic()
    with pytest.raises(RunawayTemplateError) as caught:
        runner.render(source, {})
    # Only a sanity bound: the point is that it ends at all and says why.
    assert time.monotonic() - started < 60
    _assert_plain(caught.value)
    assert "CoachDesk stopped it" in caught.value.detail
    assert_still_works(runner)


def test_endless_recursion_names_the_macro_line(runner: TemplateRunner) -> None:
    source = (
        "Dear {{ client.first_name }},\n"
        "{% macro again(n) %}{{ again(n + 1) }}{% endmacro %}\n"
        "{{ again(0) }}"
    )
    with pytest.raises(BrokenTemplateError) as caught:
        runner.render(source, client_context())
    _assert_plain(caught.value)
    assert caught.value.detail == "The template calls itself without end."
    assert caught.value.line == 2
    assert_still_works(runner)


def test_a_range_too_large_is_refused(runner: TemplateRunner) -> None:
    with pytest.raises(BrokenTemplateError) as caught:
        runner.render("{% for i in range(10**12) %}x{% endfor %}", {})
    _assert_plain(caught.value)
    assert "range" in caught.value.detail.lower()
    assert caught.value.line == 1
    assert_still_works(runner)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param('{{ "x".ljust(10**8)|length }}', id="str-ljust"),
        pytest.param('{{ "x"|center(10**8)|length }}', id="center-filter"),
        pytest.param('{{ ("%100000000s" % "x")|length }}', id="percent-width"),
        pytest.param(
            '{% set ns = namespace(s="ab") %}{% for i in range(26) %}'
            "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
            id="tilde-doubling",
        ),
        pytest.param('{{ ("x" * 150000 + "y" * 150000)|length }}', id="plus-is-capped"),
    ],
)
def test_no_route_builds_a_huge_string(runner: TemplateRunner, source: str) -> None:
    """The size cap must hold where the OS gives no memory limit (Windows, macOS)."""
    with pytest.raises(RunawayTemplateError) as caught:
        runner.render(source, {})
    _assert_plain(caught.value)
    assert_still_works(runner)


# -- 3. broken templates name their line --------------------------------------------------

KNOWN = frozenset({"client", "sessions", "tags", "today"})


@pytest.mark.parametrize(
    ("source", "line", "named"),
    [
        pytest.param(
            "Dear {{ client.first_name }},\n{% if sessions %}\nSee you soon.\n",
            3,
            "endif",
            id="unclosed-if",
        ),
        pytest.param(
            "Dear {{ client.first_name }},\n\n{% frobnicate %}\n", 3, "frobnicate", id="unknown-tag"
        ),
        pytest.param("Hello\n{{ client.first_name }\n", 2, "}", id="unclosed-expression"),
        pytest.param(
            "Hello\n\n\n{% for s in sessions %}{{ s.topic }}{% endfor\n", 4, "", id="broken-endfor"
        ),
    ],
)
def test_syntax_error_names_its_line(
    runner: TemplateRunner, source: str, line: int, named: str
) -> None:
    with pytest.raises(BrokenTemplateError) as checked:
        check_syntax(source, KNOWN)
    with pytest.raises(BrokenTemplateError) as rendered:
        runner.render(source, client_context())
    for exc in (checked.value, rendered.value):
        _assert_plain(exc)
        assert not isinstance(exc, RunawayTemplateError)
        assert exc.line == line
        assert named in exc.detail
        assert str(exc).startswith(f"Line {line}: ")


def test_unknown_filter_at_render_names_its_line(runner: TemplateRunner) -> None:
    source = "Dear {{ client.first_name }},\n\n{{ today|longdate }}\n"
    with pytest.raises(BrokenTemplateError) as caught:
        runner.render(source, client_context())
    assert caught.value.line == 3
    assert "longdate" in caught.value.detail


def test_unknown_filter_is_caught_by_check_syntax() -> None:
    with pytest.raises(BrokenTemplateError) as caught:
        check_syntax("Dear {{ client.first_name }},\n\n{{ today|longdate }}\n", KNOWN)
    assert caught.value.line == 3
    assert "longdate" in caught.value.detail


def test_check_syntax_names_an_unknown_value_and_its_line() -> None:
    source = "Dear {{ client.first_name }},\n\nYour coach,\n{{ coach_name }}\n"
    with pytest.raises(BrokenTemplateError) as caught:
        check_syntax(source, KNOWN)
    assert caught.value.line == 4
    assert "'coach_name'" in caught.value.detail
    assert "client, sessions, tags, today" in caught.value.detail


def test_check_syntax_accepts_loop_and_set_names() -> None:
    check_syntax(
        "{% set total = sessions|sum(attribute='fee') %}{{ total|money }}\n"
        "{% for s in sessions %}{{ loop.index }}. {{ s.date|short_date }}{% endfor %}\n"
        "{% macro greet(name) %}Hi {{ name }}{% endmacro %}{{ greet(client.first_name) }}",
        KNOWN,
    )


def test_unknown_value_at_render_names_its_line(runner: TemplateRunner) -> None:
    with pytest.raises(BrokenTemplateError) as caught:
        runner.render("Dear {{ client.first_name }},\n{{ coach_name }}", client_context())
    assert caught.value.line == 2
    assert caught.value.detail == "There is no value called 'coach_name'. Check the spelling."


def test_misspelt_field_names_its_line(runner: TemplateRunner) -> None:
    source = "Hello,\n\nThis is for\n{{ client.frist_name }} {{ client.last_name }}\n"
    with pytest.raises(BrokenTemplateError) as caught:
        runner.render(source, client_context())
    assert caught.value.line == 4
    assert "'frist_name'" in caught.value.detail
    assert str(caught.value).startswith("Line 4: ")


def test_misspelt_field_inside_a_loop_names_its_line(runner: TemplateRunner) -> None:
    source = (
        "Sessions:\n{% for s in sessions %}\n- {{ s.date|short_date }}\n- {{ s.topik }}\n"
        "{% endfor %}"
    )
    with pytest.raises(BrokenTemplateError) as caught:
        runner.render(source, client_context())
    assert caught.value.line == 4
    assert "'topik'" in caught.value.detail


def test_a_template_too_long_is_refused(runner: TemplateRunner) -> None:
    source = "x" * (MAX_SOURCE_CHARS + 1)
    with pytest.raises(BrokenTemplateError, match="longer than"):
        check_syntax(source, KNOWN)
    with pytest.raises(BrokenTemplateError, match="longer than"):
        runner.render(source, {})


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("Tags:\n{{ tags|dictsort }}", id="dictsort-on-a-list"),
        pytest.param("Tags:\n{{ tags|xmlattr }}", id="xmlattr-on-a-list"),
        pytest.param("Tags:\n{{ cycler().next() }}", id="empty-cycler"),
        pytest.param("Tags:\n{{ client.notes|truncate(-5) }}", id="negative-truncate"),
        pytest.param("Tags:\n{{ tags|slice(0)|list }}", id="slice-into-zero"),
        pytest.param("Tags:\n{{ client.notes|wordwrap(0) }}", id="wordwrap-zero"),
    ],
)
def test_a_misused_filter_gives_a_plain_error_with_its_line(
    runner: TemplateRunner, source: str
) -> None:
    with pytest.raises(BrokenTemplateError) as caught:
        runner.render(source, client_context())
    _assert_plain(caught.value)
    assert not isinstance(caught.value, RunawayTemplateError)
    assert caught.value.line == 2
    assert_still_works(runner)


# -- 4. escaping --------------------------------------------------------------------------


def test_client_data_is_escaped(runner: TemplateRunner) -> None:
    context = {
        "client": {
            "first_name": "<b>x</b>",
            "last_name": "<script>alert(1)</script>",
            "email": '" onmouseover="steal()',
            "notes": "&lt;already&gt;",
        }
    }
    source = (
        "{{ client.first_name }}|{{ client.last_name }}|"
        '<a title="{{ client.email }}">|{{ client.notes }}'
    )
    assert runner.render(source, context) == (
        "&lt;b&gt;x&lt;/b&gt;|&lt;script&gt;alert(1)&lt;/script&gt;|"
        '<a title="&#34; onmouseover=&#34;steal()">|&amp;lt;already&amp;gt;'
    )


def test_lines_keeps_breaks_and_escapes_the_text(runner: TemplateRunner) -> None:
    context = {"notes": "Line <one>\r\nLine & two\n<script>x</script>"}
    assert runner.render("{{ notes|lines }}", context) == (
        "Line &lt;one&gt;<br>Line &amp; two<br>&lt;script&gt;x&lt;/script&gt;"
    )


def test_plain_text_templates_are_not_escaped(runner: TemplateRunner) -> None:
    text = runner.render("{{ name }} & co", {"name": "<Aoife>"}, autoescape=False)
    assert text == "<Aoife> & co"


# -- 5. filters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "long", "short"),
    [
        (date(2026, 11, 24), "24 November 2026", "24 Nov 2026"),
        (datetime(2026, 3, 5, 9, 30), "5 March 2026", "5 Mar 2026"),
        ("2026-03-05", "5 March 2026", "5 Mar 2026"),
        ("2026-03-05T09:30:00", "5 March 2026", "5 Mar 2026"),
        ("next week", "", ""),
        ("", "", ""),
        (None, "", ""),
    ],
)
def test_date_filters(value: object, long: str, short: str) -> None:
    assert long_date(value) == long
    assert short_date(value) == short


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (1250, "", "1,250.00"),
        (Decimal("1250.5"), "EUR", "1,250.50 EUR"),
        ("0", "GBP", "0.00 GBP"),
        (-75.5, "", "-75.50"),
        (Decimal("1234567.891"), "", "1,234,567.89"),
        ("to be agreed", "EUR", "to be agreed"),
    ],
)
def test_money(value: object, currency: str, expected: str) -> None:
    assert money(value, currency) == expected


def test_filters_in_a_template(runner: TemplateRunner) -> None:
    source = (
        "{% for s in sessions %}{{ s.date|long_date }} / {{ s.date|short_date }}: "
        "{{ s.fee|money('EUR') }}\n{% endfor %}"
    )
    assert runner.render(source, client_context()) == (
        "24 November 2026 / 24 Nov 2026: 1,250.00 EUR\n8 December 2026 / 8 Dec 2026: 95.50 EUR\n"
    )


def test_the_worker_never_sees_the_passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    from coachdesk.documents.sandbox import worker_command, worker_environment

    monkeypatch.setenv("COACHDESK_PASSPHRASE", "correct horse")
    monkeypatch.setenv("COACHDESK_PASSPHRASE_FILE", "/secret")
    assert not any(key.startswith("COACHDESK_PASSPHRASE") for key in worker_environment())
    assert "-I" in worker_command()
