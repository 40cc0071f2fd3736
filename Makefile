# The README's two commands: `make run` and `make test`. Everything else here serves them.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# sqlite, postgresql, or both (the default): which databases `make test` runs the suite against.
TEST_DB ?= both
PYTEST_ARGS ?=

.PHONY: run test test-sqlite test-postgresql install assets system-deps lint translations clean

run: $(INSTALLED) assets
	$(BIN)/byconsent run

test: $(INSTALLED) assets system-deps
ifeq ($(TEST_DB),sqlite)
	$(MAKE) --no-print-directory test-sqlite
else ifeq ($(TEST_DB),postgresql)
	$(MAKE) --no-print-directory test-postgresql
else
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgresql
endif

# pytest exits 5 when it collects no test: not a failure of the code, so say so and carry on.
PYTEST_OK_IF_EMPTY = status=$$?; if [ $$status -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$status

test-sqlite:
	env -u DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS); $(PYTEST_OK_IF_EMPTY)

# The engines touch no database, so the PostgreSQL pass runs only the tests that do.
test-postgresql:
	scripts/with-postgres.sh $(BIN)/pytest --ignore=tests/engines $(PYTEST_ARGS); $(PYTEST_OK_IF_EMPTY)

install: $(INSTALLED)

# torch is installed first and pinned by constraints.txt: an unpinned torch would pull GBs of CUDA packages.
$(INSTALLED): pyproject.toml constraints.txt
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt torch==2.13.0
	$(BIN)/pip install -q -c constraints.txt -e ".[test,dev,themes,pdf]"
	touch $@

assets:
	scripts/install-system-deps.sh node
	scripts/build_assets.sh

system-deps:
	scripts/install-system-deps.sh

lint: $(INSTALLED)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy src
	$(BIN)/lint-imports

# Gather new strings into the Welsh and Gaelic catalogues, fill the ones we know, compile (needs gettext).
translations: $(INSTALLED)
	cd src/byconsent && ../../$(BIN)/byconsent manage makemessages -l cy -l gd --no-obsolete
	$(BIN)/python scripts/fill_translations.py
	cd src/byconsent && ../../$(BIN)/byconsent manage compilemessages

clean:
	rm -rf $(VENV) node_modules src/byconsent/ui/static/ui/build var/test.sqlite3
