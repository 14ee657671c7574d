# The two commands a fresh machine needs (README): `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out/sample
# pytest-xdist workers for `make test` and `make check`: auto = one per CPU.
WORKERS ?= auto

.PHONY: run test check golden mutate lint install install-dev ui browser print-tools messages \
	messages-update postgres

# Install the planner and plan the bundled 618 sample campaign.
run: $(VENV)/.installed
	$(BIN)/planner plan --campaign sample_data/campaign_tmall.toml \
		--videos sample_data/videos.csv --out $(OUT)
	@echo "网页版：运行 'make ui'，再用浏览器打开 http://127.0.0.1:8501"
	@echo "Web app: run 'make ui', then open http://127.0.0.1:8501 in a browser"
	@echo "  ($(BIN)/streamlit run app/streamlit_app.py --server.address 127.0.0.1)"

# Serve the web app on this machine only (http://127.0.0.1:8501).
ui: $(VENV)/.installed
	$(BIN)/streamlit run app/streamlit_app.py --server.address 127.0.0.1 \
		--server.headless true --browser.gatherUsageStats false

# Install with the test tools, then lint, type-check, check the import layers
# ([tool.importlinter] in pyproject.toml) and run every test (what CI runs), spread over
# $(WORKERS) processes (pytest-xdist; WORKERS=0 runs them in this one).
test: $(VENV)/.installed-dev browser print-tools postgres
	$(BIN)/ruff check planner app tests benchmarks sample_data
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadscope --no-loadscope-reorder

# The loop while you work (at most a minute): lint, type-check, the import layers and the
# fast tests, those not marked `slow` (a test of a second or more: real processes, stores
# under stress, Chromium, big inputs). `make test` runs them all before you push.
check: $(VENV)/.installed-dev
	$(BIN)/ruff check planner app tests benchmarks sample_data
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadscope --no-loadscope-reorder -m "not slow"

# Write the golden test's figures again (tests/golden/*.json) from the sample plans: only
# when the economics change on purpose, said so in the commit (see tests/test_golden.py).
golden: $(VENV)/.installed-dev
	$(BIN)/python tests/golden_plans.py

# The browser tests drive Debian's chromium (never `playwright install`); the
# CJK font lets screenshots show the Chinese KOL names instead of empty boxes.
browser:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	fc-list :lang=zh | grep -q . || (apt-get update -qq && apt-get install -y -qq fonts-wqy-microhei)

# Mutation testing of the rules, scoring, learning, the plan checker, the response model and
# the optimiser's model (never part of `make test`): each small change to the decision logic
# of planner/rules.py, scoring.py, learning.py, checks.py, response.py and
# optimiser/model.py must fail a test of the suite that runs its line. Records once
# which test runs which line (kept in .mutation-lines.json, recorded again per changed test
# file), then writes benchmarks/results/mutation.md and .json as it goes. At low priority;
# ARGS passes options: ARGS="--only planner/rules.py --jobs 1" (one module at a time on a
# busy machine), "--resume" goes on from a stopped run, "--timeout S" the seconds a mutant's
# tests may take before it is left undecided.
mutate: $(VENV)/.installed-dev
	nice -n 19 $(BIN)/python -m benchmarks.mutation $(ARGS)

# LibreOffice (xlsx -> PDF) and poppler (PDF -> text, PNG): the print test of the 排期表.
print-tools:
	command -v soffice >/dev/null || (apt-get update -qq && apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui)
	command -v pdftoppm >/dev/null || (apt-get update -qq && apt-get install -y -qq poppler-utils)

# The message catalogue: planner/locale/*/LC_MESSAGES/planner.po are the sources; the
# compiled .mo files are committed (tests/test_i18n.py checks they match). After editing a
# .po file run `make messages`; `make messages-update` adds the keys new code asks for.
messages: $(VENV)/.installed-dev
	$(BIN)/pybabel compile --statistics -d planner/locale -D planner

messages-update: $(VENV)/.installed-dev
	$(BIN)/pybabel extract -k t --no-location --sort-output -o planner/locale/planner.pot planner app
	$(BIN)/pybabel update --no-fuzzy-matching -i planner/locale/planner.pot -d planner/locale -D planner
	rm planner/locale/planner.pot

# The history-store tests run on SQLite and on a throw-away PostgreSQL cluster that the
# tests start themselves (tests/postgres_cluster.py: initdb in a temporary folder as an
# unprivileged user, a free local port, removed at the end). They need Debian's server
# binaries only, so the package is told not to create and start a cluster of its own.
postgres:
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || ( \
		mkdir -p /etc/postgresql-common/createcluster.d && \
		echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/planner.conf && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql)

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
