# labkit — the two commands: `make run` and `make test` (`make help` lists every target).
# No sudo/apt here on purpose.
#
# Python: the newest of 3.13, 3.12, 3.11 that actually runs, or PYTHON=/path/to/python3.X. For each
# version, python3.X on PATH, then pyenv's own interpreters of it (newest patch first; a pyenv shim for
# a version that is not selected exists but fails, so each candidate is tried); python3 last.
SUPPORTED := 3.13 3.12 3.11
PYENV_ROOT_DIR = $(shell command -v pyenv >/dev/null 2>&1 && pyenv root 2>/dev/null)
PY_CANDIDATES = $(foreach v,$(SUPPORTED),python$(v) $(if $(PYENV_ROOT_DIR),$(shell ls -d $(PYENV_ROOT_DIR)/versions/$(v).*/bin/python$(v) 2>/dev/null | sort -rV))) python3
FIND_PY    = $(firstword $(foreach c,$(PY_CANDIDATES),$(shell $(c) -c 'import sys; v = sys.version_info[:2]; print(sys.executable if (3, 11) <= v <= (3, 13) else "")' 2>/dev/null)))
ifeq ($(origin PYTHON),undefined)
PYTHON := $(FIND_PY)
endif
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
PROFILE ?= quick
OUT     ?= outputs/run

.DEFAULT_GOAL := help
.PHONY: help run test test-slow test-all bench lab install python clean

help: ## list the targets
	@echo "labkit — make targets (Python: $(or $(PYTHON),none found; see 'make python'))"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  make \1\t\2/' | expand -t 20
	@echo "  variables: PYTHON=/path/to/python3.X  PROFILE=quick|full  OUT=outputs/run"

python: ## check which Python the Makefile would use
	@test -n "$(PYTHON)" || { echo "labkit needs Python 3.11, 3.12 or 3.13 (TensorFlow 2.21 has wheels for those)."; \
	  echo "None of python3.13, python3.12, python3.11 (on PATH or pyenv's versions/), python3 runs one here."; \
	  echo "Install one, or set PYTHON=/path/to/python3.X (e.g. make run PYTHON=/usr/bin/python3.12)."; exit 1; } >&2
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 11) <= v <= (3, 13) else "labkit needs Python 3.11, 3.12 or 3.13; PYTHON=$(PYTHON) is %d.%d" % v)'
	@echo "using $(PYTHON) ($$($(PYTHON) -c 'import platform; print(platform.python_version())'))"

$(STAMP): requirements.txt pyproject.toml
	@$(MAKE) --no-print-directory python PYTHON="$(PYTHON)"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP) ## create .venv with the pinned requirements and labkit (editable)

run: $(STAMP) ## execute every notebook headless (PROFILE=quick, offline; ONLINE=1 uses real assets) into outputs/run
	$(VENV)/bin/labkit run --profile $(PROFILE) $(if $(ONLINE),--online,--offline) --out $(OUT)
	@echo "Next step: read $(OUT)/results.json or the executed notebooks in $(OUT)/, then 'make lab' to work in JupyterLab (README: Notebooks)."

test: $(STAMP) ## the test suite without the slow end-to-end tests (about 10 minutes on 2 cores)
	$(PY) -m pytest -q -m "not slow"
	@echo "Next step: 'make run' executes every notebook and prints the results table (README: The two commands)."

test-slow: $(STAMP) ## the slow end-to-end tests make test leaves out (CI runs them after make test)
	$(PY) -m pytest -q -m slow

test-all: $(STAMP) ## every test: make test, then make test-slow
	$(PY) -m pytest -q

bench: $(STAMP) ## every speed comparison side by side
	$(VENV)/bin/labkit bench

lab: $(STAMP) ## JupyterLab on notebooks/
	$(VENV)/bin/jupyter lab notebooks/

clean: ## remove outputs/ and pytest caches (keeps .venv)
	rm -rf outputs .pytest_cache
