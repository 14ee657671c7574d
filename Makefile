# The two commands a fresh machine needs (README): `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out/sample

.PHONY: run test lint install install-dev

# Install the planner and plan the bundled 618 sample campaign.
run: $(VENV)/.installed
	$(BIN)/planner plan --campaign sample_data/campaign_tmall.toml \
		--videos sample_data/videos.csv --out $(OUT)

# Install with the test tools, then lint, type-check and run every test.
test: $(VENV)/.installed-dev
	$(BIN)/ruff check planner app tests benchmarks sample_data
	$(BIN)/mypy
	$(BIN)/python -m pytest

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.created
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.created
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed
