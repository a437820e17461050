# Two commands do all the set-up: `make up` runs the local cloud, `make test` runs every test.
PYTHON ?= python3
VENV := venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: up test unit lambdas localcloud e2e bench clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

up: $(STAMP) ## deploy the `local` stack onto the local cloud and serve it until Ctrl-C
	$(PY) -m localcloud up --stack local

test: $(STAMP) ## every test layer: unit (Pulumi mocks), handlers (moto), local cloud, end to end
	$(PY) -m pytest

unit: $(STAMP)
	$(PY) -m pytest tests/unit

lambdas: $(STAMP)
	$(PY) -m pytest tests/lambdas

localcloud: $(STAMP)
	$(PY) -m pytest tests/localcloud

e2e: $(STAMP)
	$(PY) -m pytest tests/e2e

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .localcloud
