# The two commands a new user needs are `make run` and `make test`; everything installs itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install lint run test fuzz bench synth purge agent clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of torch first: an unpinned torch would pull a multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[ml,agent,infra,dev]'
	rm -f $(VENV)/.installed-*
	touch $@

WEB_STAMP := web/node_modules/.installed-$(shell cat web/package-lock.json | sha1sum | cut -c1-12)
JOINPAGE_BUNDLE := layers/core/python/meetings/secretary/joinpage/static/manifest.json

$(WEB_STAMP): web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

# The join page's script bundle (livekit-client + the page), built at install time, never committed.
$(JOINPAGE_BUNDLE): $(WEB_STAMP) web/build.mjs $(wildcard web/src/*)
	cd web && npm run build

# checkov (the iac-scan extra's pin) in an environment of its own: tests/infra runs .build/checkov/bin/checkov.
CHECKOV_PIN := $(shell grep -o '"checkov==[^"]*"' pyproject.toml | tr -d '"')
CHECKOV_STAMP := .build/checkov/.installed-$(CHECKOV_PIN)

$(CHECKOV_STAMP): pyproject.toml
	test -x .build/checkov/bin/python || $(PYTHON) -m venv .build/checkov
	.build/checkov/bin/pip install --quiet '$(CHECKOV_PIN)'
	rm -f .build/checkov/.installed-*
	touch $@

install: $(STAMP) $(JOINPAGE_BUNDLE) $(CHECKOV_STAMP)

run: install
	$(BIN)/python -m devserver.run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The join page's browser tests run in Debian's Chromium; without it the suite stops here, never skips.
test: install lint
	@test -x /usr/bin/chromium || { echo "make test needs Debian's Chromium for the join page's browser tests: apt-get install -y chromium" >&2; exit 1; }
	$(BIN)/python -m pytest

# The schema fuzz tests of `make test`, with many more generated requests per operation (FUZZ_EXAMPLES).
FUZZ_EXAMPLES ?= 200
fuzz: install
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/fuzz -q

bench: install
	@for script in bench/bench_*.py; do PYTHONPATH=. $(BIN)/python $$script || exit 1; done

# One retention purge pass against the configured database and S3 endpoint (ARGS="--as-of ...").
purge: install
	$(BIN)/python -m devserver.purge $(ARGS)

# The meeting agent worker in dev mode against LIVEKIT_URL (defaults match `livekit-server --dev`).
agent: install
	$(BIN)/python -m devserver.agent dev

STAGE ?= dev

# Synthesizes the CDK app offline into cdk.out/ (layers built with pip, no Docker).
CDK_STAMP := node_modules/.installed-$(shell cat package-lock.json | sha1sum | cut -c1-12)

$(CDK_STAMP): package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

synth: install $(CDK_STAMP)
	CDK_DISABLE_CLI_TELEMETRY=true npx cdk synth --quiet --no-notices -c stage=$(STAGE) --output cdk.out
	$(BIN)/python -m infra.layer_build --check

clean:
	rm -rf $(VENV) .data cdk.out .build node_modules web/node_modules layers/core/python/meetings/secretary/joinpage/static
