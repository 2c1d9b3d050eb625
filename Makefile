# flaskstack.deploy — the commands. `make help` lists them.
SHELL := /bin/bash
VENV  := $(CURDIR)/.venv
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export MOLECULE_GLOB := molecule/*/molecule.yml

.PHONY: help setup lint build test test-python molecule molecule-all demo demo-down bench lock scan

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup: ## install everything: host packages, .venv toolchain, docker engine, base images
	@scripts/setup.sh

lint: setup ## yamllint + ansible-lint (production profile) + vault check + collection build
	$(VENV)/bin/python scripts/check_vaults.py
	yamllint --strict .
	ansible-lint --profile production
	@$(MAKE) --no-print-directory build

build: ## build the collection tarball into .cache/dist
	ansible-galaxy collection build --force --output-path .cache/dist

test-python: setup ## the reference app's tests (real PostgreSQL) and the collection's pytest suite
	cd app_src && $(VENV)/bin/python -m pytest
	$(VENV)/bin/python -m pytest -n 2 --dist loadfile tests

molecule: setup ## one scenario, full `molecule test`: make molecule s=NAME
	@test -n "$(s)" || { echo "usage: make molecule s=NAME (one of: $$(ls molecule | grep -v -e shared -e conftest))"; exit 2; }
	molecule test -s $(s)

molecule-all: setup ## every Molecule scenario, MOLECULE_JOBS (2) at a time
	@scripts/molecule-all.sh

test: setup lint test-python molecule-all ## everything CI runs
	@echo "make test: all green"

demo: setup ## the whole stack on a local 4-container lab at http://127.0.0.1:8080 (APP=<dir>: your app instead of app_src)
	@APP="$(APP)" scripts/demo.sh

demo-down: ## remove the lab containers and network
	@scripts/lab-secrets.sh >/dev/null
	ANSIBLE_VAULT_PASSWORD_FILE=inventories/lab/.vault_pass ansible-playbook flaskstack.deploy.lab -i inventories/lab -e lab_state=absent

scan: ## third-party scanners against the running lab (make demo first): testssl.sh, lynis per host, unit exposure
	@scripts/scan.sh

lock: ## regenerate constraints-dev.txt from requirements-dev.txt
	@scripts/lock.sh

bench: setup ## benchmarks: stack vs baselines, convergence, memory -> bench/results/REPORT.md (BENCH_COLD=1: + cold site.yml)
	@$(VENV)/bin/python bench/run.py
