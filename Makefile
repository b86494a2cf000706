# Two commands for a fresh clone: `make demo` and `make test`. Both bootstrap through `install`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
CACHE := .cache
M2 := $(CURDIR)/$(CACHE)/m2
GREMLIN_VERSION := 3.7.5
STAMP := $(CACHE)/install.stamp

.PHONY: install prereqs demo test lint typecheck unit synth package clean

prereqs:
	@command -v $(PYTHON) >/dev/null || { echo "missing prerequisite: Python 3.11 ($(PYTHON)); install it and retry" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' || { echo "need Python 3.11 (the AWS Glue 5.0 runtime), found $$($(PYTHON) --version)" >&2; exit 1; }
	@command -v java >/dev/null || { echo "missing prerequisite: Java 17 (java); install a JDK 17 and retry" >&2; exit 1; }
	@java -version 2>&1 | grep -q 'version "17' || { echo "need Java 17 (Spark 3.5 / Glue 5.0), found: $$(java -version 2>&1 | head -1)" >&2; exit 1; }
	@command -v javac >/dev/null || { echo "missing prerequisite: javac; install a JDK 17, not only a runtime (Debian: openjdk-17-jdk-headless); the local graph server compiles a small extension" >&2; exit 1; }
	@command -v mvn >/dev/null || { echo "missing prerequisite: Maven (mvn), used to resolve Gremlin Server jars" >&2; exit 1; }
	@command -v node >/dev/null || { echo "missing prerequisite: Node.js (node/npm), used for the UI and the CDK app" >&2; exit 1; }

# Idempotent: re-runs only when its inputs change. The Spline agent jar is checked every time
# (a quick sha256) so a missing or damaged cache is refilled: Maven Central first, else the
# team's copy in ../shared/spline-agent/ checked against its sha256 (lineage_cli/agent_jar.py).
# The project's agent plugin (agent_plugin/) is compiled beside it, only when its inputs' checksum
# changed (lineage_cli/agent_plugin.py).
install: $(STAMP)
	@$(PY) -m lineage_cli.agent_jar install
	@$(PY) -m lineage_cli.agent_plugin build

$(STAMP): pyproject.toml build-support/gremlin-server-pom.xml build-support/lake-formats-pom.xml $(wildcard ui/package.json ui/package-lock.json infra/requirements.txt infra/requirements-scan.txt)
	@$(MAKE) --no-print-directory prereqs
	@mkdir -p $(CACHE)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	mvn -B -q -f build-support/gremlin-server-pom.xml -Dmaven.repo.local=$(M2) \
	    dependency:copy-dependencies -DoutputDirectory=$(CURDIR)/$(CACHE)/gremlin-server/lib
	mvn -B -q -f build-support/lake-formats-pom.xml -Dmaven.repo.local=$(M2) \
	    dependency:copy-dependencies -DexcludeTransitive=true -DoutputDirectory=$(CURDIR)/$(CACHE)/lake-formats/lib
	@if [ -f ui/package.json ]; then (cd ui && npm ci --no-audit --no-fund --silent); fi
	@if [ -f infra/requirements.txt ]; then $(PY) -m pip install --quiet -r infra/requirements.txt; fi
	@# checkov and cfn-lint conflict with the project's pins: their own virtualenv, created once.
	@if [ -f infra/requirements-scan.txt ]; then test -x .venv-infra/bin/python || $(PYTHON) -m venv .venv-infra; \
	    .venv-infra/bin/python -m pip install --quiet --upgrade pip && \
	    .venv-infra/bin/python -m pip install --quiet -r infra/requirements-scan.txt; fi
	@touch $@
	@echo "install: done (.venv, $(CACHE)/gremlin-server/lib, $(CACHE)/lake-formats/lib)"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy

test: install lint typecheck
	$(VENV)/bin/pytest

unit: install
	$(VENV)/bin/pytest -m unit

demo: install
	$(VENV)/bin/lineage demo

# Offline: no AWS credentials, no lookups, no Docker. Writes infra/cdk.out/*.template.json.
synth: install
	$(PY) infra/app.py

# Lambda dependency layer for deploys (downloads wheels for the Lambda platform from PyPI).
package: install
	bash infra/package.sh

clean:
	rm -rf $(CACHE) $(VENV) .venv-infra .lineage
