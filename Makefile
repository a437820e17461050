# Two commands do all the set-up: `make up` runs the local cloud, `make test` runs every test.
PYTHON ?= python3
VENV := venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Headless Chromium for the console's browser tests, from the Debian packages.
BROWSER := $(VENV)/.browser
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: up test unit lambdas localcloud e2e bench clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# apt-get runs only when chromium or chromedriver is missing.
$(BROWSER): $(STAMP)
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		{ $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive \
		  apt-get install -y -q chromium chromium-driver; }
	touch $(BROWSER)

up: $(STAMP) ## deploy the `local` stack onto the local cloud and serve it until Ctrl-C (ARGS=--fresh: start empty)
	$(PY) -m localcloud up --stack local $(ARGS)

test: $(STAMP) $(BROWSER) ## every test layer: unit (Pulumi mocks), handlers (moto), local cloud, end to end
	$(PY) -m pytest

unit: $(STAMP)
	$(PY) -m pytest tests/unit

lambdas: $(STAMP)
	$(PY) -m pytest tests/lambdas

localcloud: $(STAMP)
	$(PY) -m pytest tests/localcloud

e2e: $(STAMP) $(BROWSER)
	$(PY) -m pytest tests/e2e

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .localcloud
