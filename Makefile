# The two commands a new user needs: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/sh
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check --quiet
UV_PYTHON_DOWNLOADS := never
export UV_PYTHON_DOWNLOADS

.PHONY: run test lint types unit audit-deps lock check-deploy migrations-check clean help

help:
	@echo "make run    start web + worker + beat on http://127.0.0.1:8000 with demo data"
	@echo "make test   lint, types, migrations check and the whole test suite"

$(VENV)/bin/python:
	@python=$$(scripts/find-python.sh) || exit 1; \
	echo "Creating $(VENV) with $$python"; \
	"$$python" -m venv $(VENV)
	$(PIP) install --require-hashes -r requirements/pip.lock

$(VENV)/.base-installed: requirements/base.lock | $(VENV)/bin/python
	$(PIP) install --require-hashes -r requirements/base.lock
	@touch $@

$(VENV)/.dev-installed: requirements/dev.lock | $(VENV)/bin/python
	$(PIP) install --require-hashes -r requirements/dev.lock
	@touch $@ $(VENV)/.base-installed

# The embedded default's settings: generated once, never overwritten, git-ignored.
.env: | $(VENV)/bin/python
	$(PY) -m ccplatform.envfile .env

run: $(VENV)/.base-installed .env
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py run_platform

test: $(VENV)/.dev-installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy .
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m bandit -q -c pyproject.toml -r . --severity-level medium
	scripts/audit-dependencies.sh $(PY)
	$(PY) -m pytest --cov --cov-report=term $(PYTEST_ARGS)

lock:
	$(PY) -m pip install --quiet uv
	$(PY) -m uv pip compile --python-version 3.12 --universal --generate-hashes pyproject.toml -o requirements/base.lock
	$(PY) -m uv pip compile --python-version 3.12 --universal --generate-hashes --extra dev pyproject.toml -o requirements/dev.lock

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .coverage
