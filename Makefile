# The Quick start: `make serve` runs the site at http://127.0.0.1:5000, `make test` runs the whole suite.

VENV := .venv
PYTHON := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: serve schema demo test chromium build-deps

serve: schema demo
	$(FLASK) run --host 127.0.0.1 --port 5000

schema: $(VENV)/.installed
	$(FLASK) forum db upgrade

# The demo article and a synthetic discussion of it, made once (the stamp remembers it).
DEMO_ARTICLE := demo/old-town-without-cars.txt
demo: instance/demo.imported

instance/demo.imported: $(DEMO_ARTICLE) | schema
	$(FLASK) forum import $(DEMO_ARTICLE) --json > instance/demo.json
	$(FLASK) forum seed-discussion $$($(PYTHON) -c 'import json; print(json.load(open("instance/demo.json"))["id"])') \
		--arguments-per-thread 6 --votes-per-argument 5
	touch $@

test: $(VENV)/.installed chromium
	$(PYTHON) -m pytest

# Reinstalled only when requirements.txt changes.
$(VENV)/.installed: requirements.txt | build-deps
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet -r requirements.txt
	touch $@

# The browser tests drive Debian's Chromium; Playwright's own browser download is not used.
chromium:
	@test -x $(CHROMIUM) || { $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium; }

# PyICU (look-alike user names) builds from source against the system's ICU.
build-deps:
	@{ command -v pkg-config >/dev/null && pkg-config --exists icu-uc && command -v g++ >/dev/null; } || \
		{ $(SUDO) apt-get update && $(SUDO) apt-get install -y pkg-config libicu-dev g++; }
