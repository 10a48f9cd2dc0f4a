# FormLens: `make run` serves the portal with a worker; `make test` runs the whole suite.
# Both install what is missing first (Debian/Ubuntu packages, then a .venv with the project).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_RUN := poppler-utils tesseract-ocr tesseract-ocr-eng tesseract-ocr-deu tesseract-ocr-fra \
           tesseract-ocr-nld fonts-dejavu-core
APT_TEST := postgresql redis-server chromium chromium-driver
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint typecheck check system-deps system-deps-test clean

run: system-deps $(VENV)/.run-installed
	$(BIN)/formlens run

test: system-deps system-deps-test $(VENV)/.dev-installed
	$(BIN)/pytest

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

check: lint typecheck test

# Install Debian packages only when one of their programs is missing.
system-deps:
	@if ! command -v pdftoppm >/dev/null || ! command -v tesseract >/dev/null \
	     || ! [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_RUN); \
	fi

system-deps-test:
	@if ! command -v redis-server >/dev/null || ! command -v chromium >/dev/null \
	     || ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_TEST); \
	fi

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch is pinned to 2.13.0: these machines serve that CPU build locally, while a looser
# requirement would pull a multi-GB CUDA build.
$(VENV)/.run-installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(VENV)/.run-installed $@

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
