# The two commands of the README: `make run` and `make test`. Both build the
# pinned host toolchain into .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: test run lint compile typecheck pytest clean soak

$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

test: lint compile typecheck pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check .

compile: $(BIN)/.installed
	$(BIN)/python -m tools.compile_device

typecheck: $(BIN)/.installed
	$(BIN)/python -m tools.check_board

pytest: $(BIN)/.installed
	$(BIN)/python -m pytest

run: $(BIN)/.installed
	PYTHONPATH=lib $(BIN)/python -m tools.run $(ARGS)

# A year of faults against the strict emulator (docs/soak.md): make soak SEED=2 DAYS=30
soak: $(BIN)/.installed
	$(BIN)/python -m tools.soak --seed $(or $(SEED),1) --days $(or $(DAYS),365)

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache
