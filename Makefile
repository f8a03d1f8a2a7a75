# sportsfeed: the two commands of the README, and the checks CI runs.
#   make demo   run sportsfeed on its embedded default (local Kafka, registry, simulated feed)
#   make test   lint, type-check and run the whole test suite against a real local Kafka
#   make install  only create .venv with the project in it (both of the above do it first)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test install lint typecheck pytest prometheus clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/sportsfeed demo

install: $(BIN)/.installed

test: lint typecheck pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy

pytest: $(BIN)/.installed prometheus
	$(BIN)/pytest

# Debian's Prometheus and promtool: the alert rules' unit tests and the real-Prometheus test
# need both, and `sportsfeed demo --prometheus` starts it (installed only when missing).
prometheus:
	@(command -v promtool && command -v prometheus) >/dev/null || \
		(apt-get update && apt-get install -y --no-install-recommends prometheus)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
