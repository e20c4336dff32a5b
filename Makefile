# The two commands of the README: `make run` and `make test`. Both build the
# pinned host toolchain into .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: test run lint compile typecheck pytest clean soak bench

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

# The battery benchmark (docs/bench.md): the virtual device's year against the
# floor and the peer baseline. The 32-bit heap row runs MicroPython's
# WebAssembly port under node, installed from the committed lockfile.
bench: $(BIN)/.installed tools/wasm/node_modules/.package-lock.json
	PYTHONPATH=lib $(BIN)/python -m tools.bench $(ARGS)

tools/wasm/node_modules/.package-lock.json: tools/wasm/package-lock.json
	cd tools/wasm && npm ci --no-audit --no-fund

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache
