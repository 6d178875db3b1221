# The two commands the README names:  make site  (the main job)  and  make test  (every test).
# Both do all their own set-up on a fresh Debian 12 machine (run as root).
SHELL := /bin/bash
VENV := $(CURDIR)/.venv
COLLECTIONS := $(CURDIR)/.build/collections
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_FORCE_COLOR := 0
export PY_COLORS := 0
export ANSIBLE_NOCOLOR := 1

.PHONY: site test setup host venv collection units sanity matrix lint examples integration integration-vm integration-other molecule molecule-vm molecule-other fresh-host build docs changelog bench

site: setup
	ansible-playbook -i inventory/ playbooks/site.yml

test: setup
	bash tests/env/packages.sh --test
	# the matrix leaves the project's own core to the units and sanity parts (tests/env/matrix.sh)
	MATRIX_SKIP_PROJECT_CORE=1 bash tests/env/lanes.sh

setup: host venv collection

host:
	bash tests/env/setup.sh

venv: $(VENV)/.stamp
$(VENV)/.stamp: requirements.txt requirements-test.txt
	bash tests/env/packages.sh
	test -x $(VENV)/bin/python || /usr/bin/python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements.txt -r requirements-test.txt
	touch $@

collection:
	mkdir -p $(COLLECTIONS)/ansible_collections/workstation
	ln -sfn $(CURDIR) $(COLLECTIONS)/ansible_collections/workstation/vms

units: venv collection
	python -m pytest -q tests/unit

sanity: venv
	bash tests/env/packages.sh --test
	bash tests/env/sanity.sh

# units + the version-sensitive sanity tests on every ansible-core minor requires_ansible allows (tests/env/matrix.sh);
# in make test the project's own core is left to the units and sanity targets (MATRIX_SKIP_PROJECT_CORE)
matrix: venv collection
	bash tests/env/matrix.sh

# every EXAMPLES block and docs/ snippet: syntax, options against the modules' argument specs, a chosen set run for real
examples: setup
	python -m pytest -q -rs tests/examples

lint: venv collection
	ansible-lint --offline roles playbooks extensions

# every test on the project's ansible-core, then those that boot no VM again on the newest (tests/env/newest_core.sh)
INTEGRATION_NEWEST_CORE ?= tests/integration/test_smoke_lxd.py tests/integration/test_status_playbook.py
# the integration tests that boot QEMU VMs: make test runs them in its vm lane, the others beside them (tests/env/lanes.sh)
INTEGRATION_VM := tests/integration/test_smoke_libvirt.py tests/integration/test_inventory_guests.py
integration: integration-vm integration-other

integration-vm: setup
	python -m pytest -q -rs $(INTEGRATION_VM)

integration-other: setup
	python -m pytest -q -rs tests/integration $(addprefix --ignore=,$(INTEGRATION_VM)); s=$$?; \
	bash tests/env/newest_core.sh python -m pytest -q -rs $(INTEGRATION_NEWEST_CORE) || s=1; exit $$s

molecule: setup
	bash tests/env/molecule.sh

# the scenarios that boot QEMU VMs, and the others (make test runs them side by side: tests/env/lanes.sh)
molecule-vm: setup
	MOLECULE_LANE=vm bash tests/env/molecule.sh

molecule-other: setup
	MOLECULE_LANE=other bash tests/env/molecule.sh

# the README's make site on a nested fresh Debian 12 machine (extensions/molecule/fresh_host)
fresh-host: setup
	MOLECULE_SCENARIOS=fresh_host bash tests/env/molecule.sh

build: venv
	rm -rf .build/dist && mkdir -p .build/dist
	ansible-galaxy collection build --force --output-path .build/dist .
	ansible-galaxy collection install --offline --force -p .build/installed .build/dist/workstation-vms-*.tar.gz
	python -m pytest -q tests/packaging

# the HTML docs site (antsibull-docs + Sphinx, offline) in .build/docs/html, checked in headless Chromium
docs: venv collection
	bash tests/env/packages.sh --test
	bash tests/env/docs.sh
	python -m pytest -q tests/docs

changelog: venv
	antsibull-changelog lint

bench: setup
	bash tests/bench/run.sh
