"""Settings → Assistant: which model runs, its threads, context and idle unload, and a test run."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from coachdesk.paths import models_dir
from coachdesk.settings import AI_CONTEXT, AI_IDLE_MINUTES, AI_THREADS
from coachdesk.ui.errors import show_failure
from coachdesk.ui.lanes import Failure, Job
from coachdesk.ui.widgets import (
    ERROR_COLOR,
    OK_COLOR,
    busy_bar,
    error_label,
    heading,
    muted,
    set_banner,
    set_message,
)

if TYPE_CHECKING:
    from coachdesk.ai.models import ModelInfo
    from coachdesk.services.ai import ModelChoice
    from coachdesk.settings import MachineSettings
    from coachdesk.ui.assistant_ops import AiOps

SAVE_DELAY_MS = 500
MAX_LIST_HEIGHT = 260
TEST_TOKENS = 32
TEST_PROMPT = "Write one friendly sentence welcoming a new coaching client."
GGUF_FILTER = "GGUF models (*.gguf);;All files (*)"
PRIVACY_NOTE = "The model runs on this laptop with llama.cpp; no text leaves it."


@dataclass(frozen=True, slots=True)
class AiState:
    """What the section shows: the model in use, the models found, and the numbers."""

    in_use: ModelChoice
    choices: tuple[ModelChoice, ...]
    threads: int
    context: int
    idle_minutes: int


@dataclass(frozen=True, slots=True)
class ModelCheck:
    """The outcome of "Test the model".

    Args:
        name: the model's name.
        load_seconds: how long loading took.
        context: the context the model really runs with, in tokens.
        asked: the context asked for in Settings.
        trained: the context the model was trained for (0: the file does not say).
        tokens: how many tokens the short test reply had.
        tokens_per_second: how fast they came.
    """

    name: str
    load_seconds: float
    context: int
    asked: int
    trained: int
    tokens: int
    tokens_per_second: float

    @property
    def text(self) -> str:
        """The result in words."""
        trained = f" (trained for {self.trained:,})" if self.trained else ""
        words = (
            f"Loaded in {self.load_seconds:.1f} s; runs with {self.context:,} tokens of "
            f"context{trained}; about {self.tokens_per_second:.0f} tokens per second."
        )
        if self.context < self.asked:
            why = (
                "it was trained for no more"
                if self.trained and self.context >= self.trained
                else "llama.cpp could not give it more"
            )
            words += (
                f" You asked for {self.asked:,} tokens of context; it runs with "
                f"{self.context:,} because {why}."
            )
        return words


# Run on the llm lane: reading model files and the settings file stays off the GUI thread.


def read_state(settings: MachineSettings) -> AiState:
    """The model in use, the models found, and the stored numbers."""
    from coachdesk.ai.models import ModelError, check_memory
    from coachdesk.services import ai

    choices = tuple(ai.model_choices(settings))
    # The listed choice already has the header: reuse it when it can run.
    in_use = next((c for c in choices if c.in_use), None)
    try:
        if in_use is None or in_use.info is None:
            raise ModelError("")
        check_memory(in_use.info)
    except ModelError:
        in_use = ai.model_in_use(settings)
    return AiState(
        in_use,
        choices,
        int(settings.get(AI_THREADS)),
        int(settings.get(AI_CONTEXT)),
        int(settings.get(AI_IDLE_MINUTES)),
    )


def choose(settings: MachineSettings, path: Path | None) -> ModelInfo:
    """Use `path` from now on (None or the bundled file: the bundled model), if it is usable."""
    from coachdesk.ai.models import default_model_path
    from coachdesk.services import ai

    if path is not None and path.expanduser().resolve() == default_model_path().resolve():
        path = None
    return ai.choose_model(path, settings)


def store_numbers(settings: MachineSettings, threads: int, context: int, idle: int) -> None:
    """Keep threads, context and idle minutes in the machine settings."""
    settings.set(AI_THREADS, threads)
    settings.set(AI_CONTEXT, context)
    settings.set(AI_IDLE_MINUTES, idle)


def try_model(settings: MachineSettings, cancel: threading.Event) -> ModelCheck:
    """Load the chosen model with the chosen settings, time a short reply, unload it."""
    from coachdesk.ai.runtime import Message
    from coachdesk.domain.errors import CancelledError
    from coachdesk.services import ai

    host = ai.make_host(settings)
    try:
        started = time.monotonic()
        host.load()
        loaded = time.monotonic() - started
        if cancel.is_set():
            raise CancelledError()
        context = host.context_size
        pieces: list[str] = []
        first = last = time.monotonic()
        for piece in host.stream(
            [Message("user", TEST_PROMPT)], cancel=cancel, max_tokens=TEST_TOKENS
        ):
            if piece.finish == "cancelled":
                raise CancelledError()
            if piece.text:
                if not pieces:
                    first = time.monotonic()
                pieces.append(piece.text)
                last = time.monotonic()
        tokens = host.count_tokens("".join(pieces)) if pieces else 0
        # The first token also pays for reading the prompt; the rate counts those after it.
        spent = last - first
        rate = (tokens - 1) / spent if tokens > 1 and spent > 0 else 0.0
        return ModelCheck(
            host.info.name,
            loaded,
            context,
            host.requested_context,
            host.info.trained_context,
            tokens,
            rate,
        )
    finally:
        host.unload()


def _describe(info: ModelInfo) -> str:
    parts = [f"{info.parameters} parameters" if info.parameters else "", info.architecture]
    return " · ".join(p for p in parts if p)


class AiSettings(QWidget):
    """The Assistant section of Settings: model files are read and settings stored on
    `ai.files` (never waiting behind a draft); the model itself is tested on `ai.lane`.

    Args:
        ai: the assistant's operations (its lane, machine settings and model host).
        parent: the owning widget.
    """

    def __init__(self, ai: AiOps, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ai = ai
        self._loading = True
        self._loaded = False
        self._testing = False
        self._state: AiState | None = None
        self._cancel = threading.Event()
        self._test_job: Job[ModelCheck] | None = None
        self.last_check: ModelCheck | None = None

        # The model in use
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setObjectName("modelProblem")
        set_banner(self.banner, None)
        self.model_name = QLabel("Checking the model…")
        self.model_kind = QLabel()
        self.model_size = QLabel()
        self.model_trained = QLabel()
        self.model_source = QLabel()
        self.model_path = muted()
        self.model_path.setObjectName("modelPath")
        file_box = QWidget()
        file_layout = QVBoxLayout(file_box)
        file_layout.setContentsMargins(0, 0, 0, 0)
        file_layout.setSpacing(2)
        file_layout.addWidget(self.model_source)
        file_layout.addWidget(self.model_path)
        for label in (self.model_name, self.model_kind, self.model_size, self.model_trained):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        # The models found
        self.models = QListWidget()
        self.models.setAccessibleName("Models on this computer")
        self.models.setWordWrap(True)
        self.models.setSpacing(3)
        self.models.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.models.itemSelectionChanged.connect(self._on_selection_changed)
        self.models.itemDoubleClicked.connect(self._on_item_double_clicked)
        self.use_button = QPushButton("Use this one")
        self.use_button.clicked.connect(self._on_use_clicked)
        self.choose_button = QPushButton("Choose a GGUF file…")
        self.choose_button.clicked.connect(self._on_choose_clicked)
        self.bundled_button = QPushButton("Back to the bundled model")
        self.bundled_button.clicked.connect(self._on_bundled_clicked)
        self.choose_status = error_label()
        self.choose_status.setObjectName("chooseStatus")

        # Threads, context, idle unload
        self.threads = QSpinBox()
        self.threads.setRange(0, os.cpu_count() or 1)
        self.threads.setSpecialValueText("Automatic (all but one core)")
        self.threads.setAccessibleName("CPU threads for the model")
        self.context = QSpinBox()
        self.context.setRange(int(AI_CONTEXT.minimum or 512), int(AI_CONTEXT.maximum or 131072))
        self.context.setSingleStep(512)
        self.context.setSuffix(" tokens")
        self.context.setGroupSeparatorShown(True)
        self.context.setAccessibleName("Context size to ask for")
        self.idle = QSpinBox()
        self.idle.setRange(int(AI_IDLE_MINUTES.minimum or 1), int(AI_IDLE_MINUTES.maximum or 240))
        self.idle.setSuffix(" min")
        self.idle.setAccessibleName("Unload the model after this many idle minutes")
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self._on_save_timer)
        for spin in (self.threads, self.context, self.idle):
            spin.setKeyboardTracking(False)
            spin.setEnabled(False)  # until the stored values are read
            spin.valueChanged.connect(self._on_number_edited)

        # Test the model
        self.test_button = QPushButton("Test the model")
        self.test_button.clicked.connect(self._on_test_clicked)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.cancel_button.setVisible(False)
        self.test_progress = busy_bar()
        self.test_progress.setVisible(False)
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        self.test_result.setObjectName("testResult")
        self.test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        set_message(self.test_result, None)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(heading("Assistant", 2))
        layout.addWidget(muted(PRIVACY_NOTE))
        layout.addWidget(self.banner)

        in_use = QFormLayout()
        in_use.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        in_use.addRow("Model in use:", self.model_name)
        in_use.addRow("Kind:", self.model_kind)
        in_use.addRow("Size:", self.model_size)
        in_use.addRow("Trained for:", self.model_trained)
        in_use.addRow("File:", file_box)
        self.in_use_form = in_use
        layout.addLayout(in_use)

        layout.addSpacing(4)
        layout.addWidget(QLabel("Models on this computer:"))
        layout.addWidget(
            muted(
                f"The bundled model, the .gguf files in {models_dir()}, and any file you chose. "
                "Greyed ones cannot run here; the reason is under their name."
            )
        )
        layout.addWidget(self.models)
        model_buttons = QHBoxLayout()
        model_buttons.setSpacing(8)
        for button in (self.use_button, self.choose_button, self.bundled_button):
            model_buttons.addWidget(button)
        model_buttons.addStretch(1)
        layout.addLayout(model_buttons)
        layout.addWidget(self.choose_status)

        layout.addSpacing(4)
        numbers = QFormLayout()
        numbers.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        numbers.addRow("CPU threads:", self.threads)
        numbers.addRow("Context to ask for:", self.context)
        idle_row = QHBoxLayout()
        idle_row.addWidget(self.idle)
        idle_row.addWidget(muted("without a draft, to free the memory.", wrap=False))
        idle_row.addStretch(1)
        numbers.addRow("Unload the model after:", idle_row)
        self.numbers_form = numbers
        layout.addLayout(numbers)
        layout.addWidget(
            muted(
                "A larger context lets the model read longer notes at once but needs more "
                "memory; it never goes beyond what the model was trained for. Changes apply "
                "to the next draft."
            )
        )

        test_row = QHBoxLayout()
        test_row.setSpacing(8)
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.cancel_button)
        test_row.addWidget(self.test_progress, 1)
        test_row.addStretch(0)
        layout.addSpacing(4)
        layout.addLayout(test_row)
        layout.addWidget(self.test_result)

        ai.model_changed.connect(self.reload)
        self._update_buttons()
        self.reload()

    # Public ---------------------------------------------------------------------------

    @property
    def is_loaded(self) -> bool:
        """Whether the model's state has been read at least once."""
        return self._loaded

    @Slot()
    def reload(self) -> None:
        """Read the model in use, the models found and the numbers (on the llm lane)."""
        settings = self._ai.settings
        self._ai.files.run(
            lambda _job: read_state(settings),
            on_done=self._on_state_read,
            on_error=self._on_state_failed,
            owner=self,
            context="checking the assistant's model",
        )

    def flush(self) -> None:
        """Store a pending change of threads, context or idle time now."""
        if self._save_timer.isActive():
            self._save_timer.stop()
            self._on_save_timer()

    def hideEvent(self, event: object) -> None:
        """Leaving Settings stores what is pending."""
        self.flush()
        super().hideEvent(event)  # type: ignore[arg-type]

    # Showing the state ----------------------------------------------------------------

    @Slot(object)
    def _on_state_read(self, state: AiState) -> None:
        self._state = state
        self._loaded = True
        self._show_in_use(state.in_use)
        self._show_choices(state.choices)
        if not self._save_timer.isActive():
            self._loading = True
            self.threads.setValue(state.threads)
            self.context.setValue(state.context)
            self.idle.setValue(state.idle_minutes)
            self._loading = False
        for spin in (self.threads, self.context, self.idle):
            spin.setEnabled(True)
        self._update_buttons()

    @Slot(object)
    def _on_state_failed(self, failure: Failure) -> None:
        self._loaded = True
        if failure.known:
            set_banner(self.banner, failure.message, error=True)
        else:
            show_failure(self, failure)

    def _show_in_use(self, choice: ModelChoice) -> None:
        info = choice.info
        set_banner(self.banner, choice.problem or None)
        if info is None:
            self.model_name.setText(f"{choice.path.name} (cannot run now)")
            self.model_kind.setText("—")
            self.model_size.setText("—")
            self.model_trained.setText("—")
        else:
            self.model_name.setText(info.name)
            self.model_kind.setText(_describe(info) or "—")
            self.model_size.setText(info.size_text)
            self.model_trained.setText(
                f"{info.trained_context:,} tokens of context"
                if info.trained_context
                else "The file does not say"
            )
        self.model_source.setText(
            "Bundled with CoachDesk" if choice.bundled else "A file you chose"
        )
        self.model_path.setText(str(choice.path))

    def _show_choices(self, choices: tuple[ModelChoice, ...]) -> None:
        selected = self._selected_path()
        self.models.clear()
        for index, choice in enumerate(choices):
            info = choice.info
            if info is not None:
                first = info.name + ("  ✓ in use" if choice.in_use else "")
                where = "bundled with CoachDesk" if choice.bundled else choice.path.name
                second = " · ".join(p for p in (_describe(info), info.size_text, where) if p)
            else:
                first = choice.path.name + ("  (chosen, cannot run)" if choice.in_use else "")
                second = choice.problem
            item = QListWidgetItem(f"{first}\n{second}")
            item.setData(Qt.ItemDataRole.UserRole, index)
            item.setToolTip(str(choice.path))
            if info is None:
                item.setFlags(Qt.ItemFlag.NoItemFlags)
            if choice.in_use:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            self.models.addItem(item)
            if selected is not None and choice.path == selected and info is not None:
                item.setSelected(True)
        self._fit_list()

    def _fit_list(self) -> None:
        self.models.doItemsLayout()
        count = self.models.count()
        last = self.models.visualItemRect(self.models.item(count - 1)) if count else None
        bottom = last.bottom() + self.models.verticalOffset() if last is not None else 0
        height = bottom + self.models.spacing() + 2 * self.models.frameWidth() + 2
        self.models.setFixedHeight(min(max(height, 48), MAX_LIST_HEIGHT))

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Wrapped model names need another height at another width."""
        super().resizeEvent(event)
        self._fit_list()

    def _selected_choice(self) -> ModelChoice | None:
        items = self.models.selectedItems()
        if not items or self._state is None:
            return None
        return self._state.choices[int(items[0].data(Qt.ItemDataRole.UserRole))]

    def _selected_path(self) -> Path | None:
        choice = self._selected_choice()
        return choice.path if choice is not None else None

    def _update_buttons(self) -> None:
        idle = not self._testing
        choice = self._selected_choice()
        state = self._state
        self.use_button.setEnabled(
            idle and choice is not None and choice.info is not None and not choice.in_use
        )
        self.choose_button.setEnabled(idle)
        self.bundled_button.setEnabled(
            idle and state is not None and not (state.in_use.bundled and not state.in_use.problem)
        )
        self.test_button.setEnabled(idle and state is not None and state.in_use.info is not None)
        self.cancel_button.setVisible(self._testing)
        self.test_progress.setVisible(self._testing)

    # Choosing a model -----------------------------------------------------------------

    @Slot()
    def _on_selection_changed(self) -> None:
        self._update_buttons()

    @Slot(QListWidgetItem)
    def _on_item_double_clicked(self, _item: QListWidgetItem) -> None:
        if self.use_button.isEnabled():
            self._on_use_clicked()

    @Slot()
    def _on_use_clicked(self) -> None:
        choice = self._selected_choice()
        if choice is not None:
            self._choose(None if choice.bundled else choice.path)

    @Slot()
    def _on_bundled_clicked(self) -> None:
        self._choose(None)

    @Slot()
    def _on_choose_clicked(self) -> None:
        folder = models_dir()
        start = str(folder if folder.is_dir() else Path.home())
        chosen, _filter = QFileDialog.getOpenFileName(
            self, "Choose a GGUF model", start, GGUF_FILTER
        )
        if chosen:
            self._choose(Path(chosen))

    def _choose(self, path: Path | None) -> None:
        settings = self._ai.settings
        self._status(None)
        for button in (self.use_button, self.choose_button, self.bundled_button):
            button.setEnabled(False)
        self._status("Checking the model file…")
        job = self._ai.files.run(
            lambda _job: choose(settings, path),
            on_done=self._on_chosen,
            on_error=self._on_choose_failed,
            owner=self,
            context="checking the chosen model",
        )
        job.finished.connect(self._update_buttons)

    @Slot(object)
    def _on_chosen(self, info: ModelInfo) -> None:
        self._status(f"Now using “{info.name}”. The next draft uses it.")
        self._ai.settings_changed()

    @Slot(object)
    def _on_choose_failed(self, failure: Failure) -> None:
        if failure.known:
            self._status(f"{failure.message} Nothing was changed.", ok=False)
        else:
            self._status(None)
            show_failure(self, failure)

    def _status(self, text: str | None, ok: bool = True) -> None:
        self.choose_status.setStyleSheet(f"color: {OK_COLOR if ok else ERROR_COLOR};")
        set_message(self.choose_status, text)

    # Threads, context, idle -----------------------------------------------------------

    @Slot(int)
    def _on_number_edited(self, _value: int) -> None:
        if not self._loading:
            self._save_timer.start()

    @Slot()
    def _on_save_timer(self) -> None:
        settings = self._ai.settings
        threads, context, idle = self.threads.value(), self.context.value(), self.idle.value()
        self._ai.files.run(
            lambda _job: store_numbers(settings, threads, context, idle),
            on_done=lambda _none: self._ai.settings_changed(),
            on_error=self._on_store_failed,
            owner=self,
            context="saving the assistant settings",
        )

    @Slot(object)
    def _on_store_failed(self, failure: Failure) -> None:
        if failure.known:
            self._status(failure.message, ok=False)
        else:
            show_failure(self, failure)

    # Test the model -------------------------------------------------------------------

    @Slot()
    def _on_test_clicked(self) -> None:
        self.flush()
        settings = self._ai.settings
        cancel = self._cancel = threading.Event()
        self._testing = True
        self.cancel_button.setEnabled(True)
        self._update_buttons()
        self._result("Loading the model and writing a short test reply…")
        job = self._ai.lane.run(
            lambda _job: try_model(settings, cancel),
            on_done=self._on_tested,
            on_error=self._on_test_failed,
            on_cancelled=self._on_test_cancelled,
            owner=self,
            context="testing the model",
        )
        self._test_job = job
        job.finished.connect(self._on_test_finished)

    @Slot()
    def _on_cancel_clicked(self) -> None:
        self._cancel.set()
        if self._test_job is not None:
            self._test_job.cancel()
        self.cancel_button.setEnabled(False)
        self._result("Stopping…")

    @Slot(object)
    def _on_tested(self, check: ModelCheck) -> None:
        self.last_check = check
        self._result(check.text)

    @Slot(object)
    def _on_test_failed(self, failure: Failure) -> None:
        if failure.known:
            self._result(failure.message, ok=False)
        else:
            self._result(None)
            show_failure(self, failure)

    @Slot()
    def _on_test_cancelled(self) -> None:
        self._result("Test cancelled. The model was unloaded.")

    @Slot()
    def _on_test_finished(self) -> None:
        self._testing = False
        self._test_job = None
        self._update_buttons()

    def _result(self, text: str | None, ok: bool = True) -> None:
        self.test_result.setStyleSheet("" if ok else f"color: {ERROR_COLOR};")
        set_message(self.test_result, text)
