# govchain: two commands on a fresh clone, `make demo` and `make test`.
# Each bootstraps what it needs (scripts/bootstrap.sh).

VENV := .venv/bin

.PHONY: bootstrap bootstrap-agents demo test lint typecheck pytest benchmarks contracts

bootstrap:
	@bash scripts/bootstrap.sh

bootstrap-agents: bootstrap
	@bash scripts/bootstrap-agents.sh

demo: bootstrap bootstrap-agents
	$(VENV)/govchain demo

test: bootstrap bootstrap-agents lint typecheck pytest

lint:
	$(VENV)/ruff check govchain tests benchmarks
	$(VENV)/ruff format --check govchain tests benchmarks

typecheck:
	$(VENV)/mypy govchain

pytest:
	$(VENV)/pytest -n 2 -p no:cacheprovider

contracts: bootstrap
	$(VENV)/govchain contracts build

benchmarks: bootstrap
	$(VENV)/python benchmarks/chain_gas.py
