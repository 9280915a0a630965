# Playbooks (issue 5): notebooks/, the papermill Go translator (python/), `gohunt run`
# (playbook/, cmd/gohunt/run.go), browser tests (tests/browser), console test (tests/console),
# and the demo / lab entry points.

DEMO_NOTEBOOK ?= notebooks/00-getting-started.ipynb
DEMO_OUT := $(ROOT)/notebooks/out
LAB_PORT ?= 8888
# Jupyter refuses to run as root without --allow-root (CI and containers run as root).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
CHROMIUM ?= /usr/bin/chromium

.PHONY: demo lab notebooks papermill-gohunt test-translator test-playbooks test-playbooks-es \
	test-console test-browser browser-deps

# demo: set everything up, run the main playbook headless with the Go runner, say where the
# executed notebook and its HTML report are.
demo: setup
	@mkdir -p $(DEMO_OUT)
	$(BIN) run $(DEMO_NOTEBOOK) -o $(DEMO_OUT)/$(notdir $(DEMO_NOTEBOOK)) \
		--html $(DEMO_OUT)/$(basename $(notdir $(DEMO_NOTEBOOK))).html
	@echo
	@echo "demo: executed notebook: $(DEMO_OUT)/$(notdir $(DEMO_NOTEBOOK))"
	@echo "demo: HTML report:       $(DEMO_OUT)/$(basename $(notdir $(DEMO_NOTEBOOK))).html"
	@echo "demo: open the playbooks interactively with: make lab"

# lab: JupyterLab on 127.0.0.1 with the gohunt kernel installed, opened on the notebooks.
lab: setup
	cd $(ROOT) && $(VENV)/bin/jupyter lab --ip=127.0.0.1 --port=$(LAB_PORT) --no-browser $(ALLOW_ROOT) \
		--ServerApp.root_dir=$(ROOT) --LabApp.default_url=/lab/tree/notebooks/00-getting-started.ipynb

# notebooks: re-execute every committed playbook in place with gohunt run, so the outputs read
# on a code host without running anything (static HTML and text/plain only).
notebooks: build
	@for nb in notebooks/*.ipynb; do \
		$(BIN) run -q "$$nb" -o "$$nb" --html none || exit 1; \
	done

# The translator package is installed (editable) by scripts/venv.sh when the venv is made; an
# existing venv made before python/ existed gets it here. (papermill is imported first: it loads
# papermill_gohunt as one of its engine entry points, so importing the package alone first is
# circular.)
papermill-gohunt: venv
	@$(PY) -c 'import papermill, papermill_gohunt' 2>/dev/null || \
		$(PY) -m pip install --quiet --disable-pip-version-check -e $(ROOT)/python

test-translator: papermill-gohunt
	$(PY) -m pytest -q -p no:cacheprovider python/tests

# test-playbooks: the Go runner's unit tests, then every notebook through nbconvert --execute,
# nbclient, papermill (with parameters) and gohunt run against the real kernel.
test-playbooks: papermill-gohunt build
	$(GO) test -race ./playbook/
	$(PY) -m pytest -q -p no:cacheprovider tests/notebooks --ignore=tests/notebooks/test_es_mode.py

# test-playbooks-es: the HELK seed walkthrough against a real Elasticsearch node of its own
# (fresh data dir, so other tests' indices cannot change its answer), stopped afterwards.
# playbooks-es-start / playbooks-es-stop start and stop that node alone (test-es-anywhere in
# mk/es.mk starts it from a clone under a private directory).
PLAYBOOKS_ES_DIR := $(ROOT)/build/es-playbooks
PLAYBOOKS_ES := ES_RUN_DIR=$(PLAYBOOKS_ES_DIR) bash $(ROOT)/scripts/es.sh

.PHONY: playbooks-es-start playbooks-es-stop

playbooks-es-start:
	@$(PLAYBOOKS_ES) wipe >/dev/null 2>&1 || true; $(PLAYBOOKS_ES) start

playbooks-es-stop:
	@$(PLAYBOOKS_ES) stop

test-playbooks-es: papermill-gohunt build
	@url=$$($(MAKE) -s --no-print-directory playbooks-es-start) || { echo "test-playbooks-es: FAIL: Elasticsearch could not start"; exit 1; }; \
	trap '$(PLAYBOOKS_ES) stop' EXIT; \
	ES_URL=$$url $(PY) -m pytest -q -p no:cacheprovider tests/notebooks/test_es_mode.py

test-console: setup
	$(PY) -m pytest -q -p no:cacheprovider tests/console

# browser-deps: Debian chromium (apt-get on a fresh machine) and playwright-core from the
# committed lockfile.
browser-deps:
	@pkgs=""; [ -x $(CHROMIUM) ] || pkgs="chromium"; command -v npm >/dev/null || pkgs="$$pkgs nodejs npm"; \
	if [ -n "$$pkgs" ]; then \
		echo "browser-deps: installing Debian packages:$$pkgs"; \
		$(SUDO) apt-get update && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y $$pkgs; \
	fi
	cd tests/browser && npm ci --no-audit --no-fund

test-browser: setup browser-deps
	cd tests/browser && CHROMIUM=$(CHROMIUM) node --test --test-concurrency=1 --test-reporter=spec

TEST_STEPS += test-translator test-playbooks test-playbooks-es test-console test-browser
