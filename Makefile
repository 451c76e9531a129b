# Trailguard: every set-up step lives here, so a fresh clone needs only
#   make demo    build the environment, run the playbook against the local emulator, show the result
#   make test    run every test tier (unit, policy effects, changelog, lint, sanity, molecule, harness)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON_BOOTSTRAP ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
BUILD := $(CURDIR)/.build
COLLECTIONS := $(BUILD)/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/trailguard/cloudtrail
# e.g. make sanity SANITY_ARGS='--test validate-modules plugins/modules/org_trail.py'
SANITY_ARGS ?=
NODE_DIR := $(CURDIR)/tools/iam_simulate

export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PYTHONPATH := $(COLLECTIONS)
export PATH := $(BIN):$(PATH)
# Never reach real AWS from a test: no profile, no shared config.
unexport AWS_PROFILE AWS_DEFAULT_PROFILE

.PHONY: help
help:
	@echo "make demo    - set up, start the emulator, seed an organization, run the playbook, show the result"
	@echo "make test    - every test tier: unit, policy, changelog-lint, lint, sanity, molecule, harness"
	@echo "make unit | policy | changelog-lint | lint | sanity | molecule | harness - one tier"
	@echo "make build   - the collection tarball in .build/dist"
	@echo "make bench   - the benchmark, N = 10, 100, 500, 2000, accelerated at 10, 500 (benchmarks/results/benchmark.md, .png); bench-quick: N = 10"
	@echo "make setup-fast - the optional accelerator, Mitogen (requirements-fast.txt), into .venv"
	@echo "make bench-integrity - log integrity, ours against aws cloudtrail validate-logs (benchmarks/results/integrity.md)"
	@echo "make clean   - remove .venv, .venv-prowler, .venv-awscli and .build"

# ---------------------------------------------------------------- set-up
$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON_BOOTSTRAP) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade 'pip==25.3'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@

$(NODE_DIR)/node_modules/.installed: $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	cd $(NODE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

.PHONY: setup
setup: $(BIN)/.installed $(COLLECTION_LINK)

.PHONY: setup-node
setup-node: $(NODE_DIR)/node_modules/.installed

# The optional accelerator (Mitogen, requirements-fast.txt), never required: README.md (Speed) shows how to turn it on.
$(BIN)/.installed-fast: requirements-fast.txt $(BIN)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-fast.txt
	touch $@

.PHONY: setup-fast
setup-fast: $(BIN)/.installed-fast

# The AWS CLI, only to check log_integrity_info against `aws cloudtrail validate-logs`, in its own
# virtualenv: its docutils pin clashes with requirements-dev.txt (see requirements-awscli.txt).
AWSCLI_VENV := $(CURDIR)/.venv-awscli
$(AWSCLI_VENV)/.installed: requirements-awscli.txt
	test -x $(AWSCLI_VENV)/bin/python || $(PYTHON_BOOTSTRAP) -m venv $(AWSCLI_VENV)
	$(AWSCLI_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-awscli.txt
	touch $@

.PHONY: setup-awscli
setup-awscli: $(AWSCLI_VENV)/.installed

# Prowler, to read the result as users will (tests/harness/test_prowler.py), in its own virtualenv: it pins an older
# boto3. Every package is pinned in requirements-prowler.txt; the install takes about 3 minutes, once.
PROWLER_VENV := $(CURDIR)/.venv-prowler
$(PROWLER_VENV)/.installed: requirements-prowler.txt
	test -x $(PROWLER_VENV)/bin/python || $(PYTHON_BOOTSTRAP) -m venv $(PROWLER_VENV)
	$(PROWLER_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade 'pip==25.3'
	$(PROWLER_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-prowler.txt
	touch $@

.PHONY: setup-prowler
setup-prowler: $(PROWLER_VENV)/.installed

# ---------------------------------------------------------------- tests
# Tiers run in three stages that keep both cores busy: unit (itself on two workers); then the light tiers side by side;
# then molecule and the harness side by side (each on two workers), so that the slow end of one overlaps the other's
# work. Ctrl-C stops every tier (background jobs would ignore it). The harness's own installs (Mitogen, the AWS CLI, Prowler, chromium) mostly
# wait on the network: they run in the background from the start, and the last stage starts once they are done.
# Each stage's time is printed; a failed tier's output is printed whole.
TEST_LIGHT_TIERS := policy changelog-lint lint sanity
.PHONY: test
test: setup
	@mkdir -p $(BUILD)/test-logs; \
	trap 'trap - INT TERM; kill 0' INT TERM; \
	$(MAKE) --no-print-directory -j4 setup-fast setup-awscli setup-prowler setup-browser > $(BUILD)/setup-harness.log 2>&1 & \
	installs=$$!; \
	tiers_start=$$(date +%s); \
	stage() { \
	  local name=$$1 tiers pids=() tier index failed=0 start=$$(date +%s); shift; tiers=("$$@"); \
	  for tier in "$${tiers[@]}"; do \
	    $(MAKE) --no-print-directory $$tier > $(BUILD)/test-logs/$$tier.log 2>&1 & pids+=($$!); \
	  done; \
	  for index in "$${!pids[@]}"; do \
	    tier=$${tiers[$$index]}; \
	    if wait $${pids[$$index]}; then tail -n 3 $(BUILD)/test-logs/$$tier.log; \
	    else cat $(BUILD)/test-logs/$$tier.log; echo "== make test: $$tier FAILED"; failed=1; fi; \
	  done; \
	  echo "== make test: $$name ($$*) took $$(( $$(date +%s) - start )) s"; \
	  return $$failed; \
	}; \
	stage unit unit || { wait $$installs; exit 1; }; \
	stage light $(TEST_LIGHT_TIERS) || { wait $$installs; exit 1; }; \
	wait $$installs || { cat $(BUILD)/setup-harness.log; exit 1; }; \
	stage playbooks molecule harness || exit 1; \
	echo "== make test: every tier passed in $$(( $$(date +%s) - tiers_start )) s"

.PHONY: unit
unit: setup
	$(BIN)/pytest -q -p no:cacheprovider -n 2 tests/unit

.PHONY: policy
policy: setup setup-node
	$(BIN)/pytest -q -p no:cacheprovider tests/policy

# Debian's chromium renders the posture report in tests/harness/test_posture.py.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
.PHONY: setup-browser
setup-browser:
	command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; }

.PHONY: harness
harness: setup setup-browser setup-awscli setup-prowler setup-fast
	$(BIN)/pytest -q -p no:cacheprovider -n 2 --dist loadfile tests/harness

.PHONY: changelog-lint
changelog-lint: setup
	$(BIN)/antsibull-changelog lint

.PHONY: lint
lint: setup
	$(BIN)/ansible-lint --offline --profile production

# ansible-test must run from a path that ends in ansible_collections/<ns>/<name>
# and is not inside another git checkout (it would ask that checkout for the file
# list), so sanity runs on a copy, outside the repo, of the files git knows about
# (tar skips, with a warning, those deleted since the last commit).
.PHONY: sanity
sanity: setup
	mkdir -p ~/.ansible/test/cache
	cp tools/ansible_test_get_pip.py ~/.ansible/test/cache/get_pip_24_2.py
	tmp=$$(mktemp -d /tmp/trailguard-sanity.XXXXXX) && trap 'rm -rf "$$tmp"' EXIT && \
	root=$$tmp/ansible_collections/trailguard/cloudtrail && mkdir -p $$root && \
	ln -s $$($(BIN)/python -c 'import ansible_collections.amazon, os; print(os.path.dirname(ansible_collections.amazon.__path__[0]))')/amazon $$tmp/ansible_collections/amazon && \
	git ls-files -z --cached --others --exclude-standard | tar --null --ignore-failed-read -T - -cf - | tar -xf - -C $$root && \
	cd $$root && $(BIN)/ansible-test sanity --venv --python 3.11 --color no $(SANITY_ARGS)

# Scenarios run in two shards side by side, each against its own emulator (2 cores).
.PHONY: molecule
molecule: setup
	$(BIN)/python tools/molecule_shards.py --shards 2 --molecule $(BIN)/molecule

# ---------------------------------------------------------------- build
# The collection tarball (build_ignore in galaxy.yml keeps tests, tools, caches and virtualenvs out).
DIST := $(BUILD)/dist
.PHONY: build
build: setup
	mkdir -p $(DIST)
	$(BIN)/ansible-galaxy collection build --force --output-path $(DIST) .

# ---------------------------------------------------------------- benchmark
# Not part of `make test` (tests/harness/test_bench_smoke.py is): see benchmarks/README.md.
.PHONY: bench
# N = 2000 is reported only (time, calls, peak memory); the accelerated rows run with Mitogen (setup-fast).
bench: setup setup-fast
	$(BIN)/python benchmarks/bench.py --name benchmark --sizes 10,100,500,2000 --accelerated-sizes 10,500 \
	  --member-groups-sizes 10,50 --member-groups-runs 1

.PHONY: bench-quick
bench-quick: setup
	$(BIN)/python benchmarks/bench.py --sizes 10 --one-region never --name quick

# Log integrity: 50 accounts x 4 regions x 24 hours, ours against `aws cloudtrail validate-logs` (results/integrity.md),
# each request 100 ms late as S3's own latency; the CLI is timed on 10 accounts and scaled (benchmarks/README.md).
.PHONY: bench-integrity
bench-integrity: setup setup-awscli
	$(BIN)/python benchmarks/integrity_bench.py --name integrity --latency 0.1 --cli-accounts 10

# ---------------------------------------------------------------- demo
.PHONY: demo
demo: setup
	$(BIN)/python tools/demo.py

.PHONY: clean
clean:
	rm -rf $(VENV) $(PROWLER_VENV) $(AWSCLI_VENV) $(BUILD)
