# The two commands a newcomer needs:
#   make run    start the controller (SQLite + embedded defaults) with the web UI
#   make test   run every test suite (lint, Python, frontend, browser end-to-end,
#               and the compose stack on the local Docker engine)
# Everything the project needs is installed here, idempotently.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .make
FRONTEND := frontend

.PHONY: run test test-python test-frontend test-deploy venv frontend-deps frontend-build lint agent clean image-jupyterlab image-ssh

venv: $(STAMPS)/venv
$(STAMPS)/venv: requirements.txt requirements-dev.txt
	@mkdir -p $(STAMPS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

frontend-deps: $(STAMPS)/frontend-deps
$(STAMPS)/frontend-deps: $(wildcard $(FRONTEND)/package-lock.json)
	@mkdir -p $(STAMPS)
	@if [ -f $(FRONTEND)/package.json ]; then cd $(FRONTEND) && npm ci --no-audit --no-fund; fi
	@touch $@

frontend-build: frontend-deps
	@if [ -f $(FRONTEND)/package.json ]; then cd $(FRONTEND) && npm run build; fi

run: venv frontend-build
	$(PY) -m controller.app

# The lab/jupyterlab session image on the local engine (no registry; cached).
image-jupyterlab: venv
	bash deploy/images/build.sh jupyterlab

# The lab/ssh session image (a session reached by SSH with its own password).
image-ssh: venv
	bash deploy/images/build.sh ssh

agent: venv
	$(PY) -m agent.app

lint: venv
	$(VENV)/bin/ruff check controller agent tests bench deploy

# The Python suites include a smoke run of bench/bundle_size.py, which builds the SPA.
test-python: venv frontend-deps
	$(PY) -m pytest

# The browser suites include a JupyterLab session on the local engine.
test-frontend: frontend-build image-jupyterlab
	@if [ -f $(FRONTEND)/package.json ]; then cd $(FRONTEND) && npm test && npm run e2e; fi

# The compose stack on the local Docker engine, end to end (tests/deploy/smoke.sh).
test-deploy: venv frontend-deps
	bash tests/deploy/smoke.sh

test: lint test-python test-frontend test-deploy

clean:
	rm -rf $(STAMPS) $(VENV) $(FRONTEND)/node_modules $(FRONTEND)/dist
