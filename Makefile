# The Quick start: `make serve` runs the site at http://127.0.0.1:5000 (`make serve PORT=8080` elsewhere),
# `make test` runs the whole suite. `make reset-demo` starts the demo again from scratch.

VENV := .venv
PYTHON := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

PORT := 5000

.PHONY: serve schema demo reset-demo test chromium node build-deps

serve: schema demo
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

schema: $(VENV)/.installed
	$(FLASK) forum db upgrade

# The demo article and its hand-written discussion, made once (the stamp remembers it).
DEMO_ARTICLE := demo/old-town-without-cars.txt
DEMO_DISCUSSION := demo/discussion.toml
# Every demo account signs in with this password: for a local demo only, never on a public site.
DEMO_PASSWORD := demo password
demo: instance/demo.imported

instance/demo.imported: | schema
	$(FLASK) forum import $(DEMO_ARTICLE) --json > instance/demo.json
	echo '$(DEMO_PASSWORD)' | $(FLASK) forum load-discussion \
		$$($(PYTHON) -c 'import json; print(json.load(open("instance/demo.json"))["id"])') $(DEMO_DISCUSSION)
	touch $@

# The default database (instance/forum.sqlite3) and the stamp go; the next `make serve` makes the demo again.
reset-demo:
	rm -f instance/forum.sqlite3 instance/forum.sqlite3-wal instance/forum.sqlite3-shm instance/demo.json \
		instance/demo.imported

# Lint and types first (seconds), then the suite.
test: $(VENV)/.installed chromium node
	$(PYTHON) -m ruff check .
	$(PYTHON) -m mypy
	$(PYTHON) -m pytest

# Reinstalled only when a requirements file changes.
$(VENV)/.installed: requirements.txt requirements-interop.txt | build-deps
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet -r requirements.txt
	$(PYTHON) -m pip install --quiet --no-deps -r requirements-interop.txt
	touch $@

# The browser tests drive Debian's Chromium; Playwright's own browser download is not used.
chromium:
	@test -x $(CHROMIUM) || { $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium; }

# Argdown's own parser (tests/interop, from npm) reads the Argdown export in the tests; it runs on Node.js.
node:
	@{ command -v node >/dev/null && command -v npm >/dev/null; } || \
		{ $(SUDO) apt-get update && $(SUDO) apt-get install -y nodejs npm; }

# PyICU (look-alike user names) builds from source against the system's ICU.
build-deps:
	@{ command -v pkg-config >/dev/null && pkg-config --exists icu-uc && command -v g++ >/dev/null; } || \
		{ $(SUDO) apt-get update && $(SUDO) apt-get install -y pkg-config libicu-dev g++; }
