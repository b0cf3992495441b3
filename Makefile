# NerveMark: `make run` (everything, on the embedded defaults) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The CPU build of torch 2.13.0 lies in /opt/wheels on the project's machines.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# `make test` uses the local PostgreSQL and Redis unless told otherwise.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/nervemark
TEST_BROKER_URL ?= redis://127.0.0.1:6379/0

.PHONY: install run serve worker migrate demo test test-embedded lint format clean datumaro-env

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -U pip setuptools wheel
	$(PY) -m pip install -q $(FIND_LINKS) -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Biome (JS lint + format) from the npm registry, pinned by package-lock.json.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Datumaro (a real consumer of our COCO and CVAT exports in the tests) pins opencv<5 and
# pillow 12, so it lives in its own environment; the test runs it as a separate interpreter.
.venv-datumaro/.installed:
	$(PYTHON) -m venv .venv-datumaro
	.venv-datumaro/bin/python -m pip install -q "datumaro==1.13.12"
	touch $@

datumaro-env: .venv-datumaro/.installed

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py setup_demo
	$(PY) manage.py load_demo_data
	$(PY) manage.py demo_training

run: demo
	$(PY) manage.py serve

worker: install
	$(VENV)/bin/celery -A config worker -Q cpu,gpu -c 2 --loglevel INFO

# ruff, mypy (django + DRF plugins), the import contracts (pyproject.toml), Biome, migrations.
lint: install node_modules/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	npx --no-install biome ci --error-on-warnings frontend/static
	$(PY) manage.py makemigrations --check --dry-run

format: install node_modules/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	npx --no-install biome check --write frontend/static

test: lint datumaro-env
	DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" \
	CELERY_BROKER_URL="$${CELERY_BROKER_URL:-$(TEST_BROKER_URL)}" \
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# The suite on the embedded defaults (SQLite, no broker); PostgreSQL/Redis tests are skipped.
test-embedded: install
	env -u DATABASE_URL -u CELERY_BROKER_URL $(VENV)/bin/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .venv-datumaro .pytest_cache .ruff_cache .mypy_cache .import_linter_cache node_modules
