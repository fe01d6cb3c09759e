# One command to run the service, one to run the tests; each installs what it needs first.
#   make run    Python 3.11+ only: a virtualenv with Floorcast, then the service with the demo meeting
#   make test   also the test tools, Debian's chromium, the npm validators, Redis and PostgreSQL started
#               (scripts/setup-system.sh), then the static checks, the whole suite on SQLite, and the storage and
#               server tests again on PostgreSQL (browser tests: SQLite only, to keep CI time reasonable)
#   make cluster  HAProxy, Redis and PostgreSQL installed and started when missing (scripts/setup-cluster.sh), then
#               NODES (3) nodes of the service on one PostgreSQL database and Redis behind HAProxy on port 8080

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

NODES ?= 3
CLUSTER_DATABASE ?= postgresql://postgres@127.0.0.1:5432/floorcast
CLUSTER_REDIS ?= redis://127.0.0.1:6379/0

.PHONY: run test check clean cluster

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(PY) run.py $(ARGS)

test: $(VENV)/.installed-test
	bash scripts/setup-system.sh
	bash scripts/check.sh
	$(PY) -m pytest -p no:cacheprovider $(PYTEST_ARGS)
	$(PY) -m pytest -p no:cacheprovider --database postgresql -m "not browser" tests/storage $(wildcard tests/test_*.py) \
		$(PYTEST_ARGS)

cluster: $(VENV)/.installed-run
	bash scripts/setup-cluster.sh
	$(PY) run.py --database $(CLUSTER_DATABASE) serve --workers $(NODES) --redis-url $(CLUSTER_REDIS) $(ARGS)

check: $(VENV)/.installed-test
	bash scripts/check.sh

clean:
	rm -rf $(VENV) node_modules
