# sales_funnel_std — developer entry points. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export

help:
	@echo "make run     bootstrap, create the demo database if needed, start Odoo on http://localhost:8069"
	@echo "make test    bootstrap, fresh test database, pytest-odoo suite, i18n check and lint"
	@echo "make test-core  Odoo's own crm/sales_team/project tests, vanilla vs with the addon"
	@echo "make lint    ruff, ruff-format and pylint-odoo on the addon"
	@echo "make bench   benchmarks against vanilla CRM (N=10000 by default; N=100000 works)"
	@echo "make load    concurrent salespeople on a prefork Odoo, addon vs vanilla, invariants, two nodes, faults"
	@echo "make reset   drop the demo database"
	@echo "make e2e     browser tests (real web client in Debian's Chromium)"

run:
	@scripts/run.sh

test:
	@scripts/test.sh

test-core:
	@scripts/test_core.sh

lint:
	@scripts/lint.sh

bench:
	@scripts/bench.sh

e2e:
	@scripts/e2e.sh

load:
	@scripts/load.sh

reset:
	@scripts/reset.sh

.PHONY: help run test test-core lint bench load e2e reset
