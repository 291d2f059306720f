# Two commands matter: `make run` and `make test` (`make test-fast` while working). See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PYTEST_WORKERS ?= 2
export DEMO_PASSWORD ?= renewal-2002-demo
# make run's first training date: after the 28 February 2002 announcement, before Walsall's review
DEMO_DATE ?= 2002-03-01

.PHONY: run test test-fast install serve demo-data bench bench-load bench-faults assets lint check worker beat clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## make run: a working portal on http://127.0.0.1:8000 with SQLite and eager Celery, demo loaded,
## on a training clock whose today starts at DEMO_DATE (inside the 2002 story; README, "Time")
run: export DEBUG ?= 1
run: export TRAINING_CLOCK ?= 1
run: install
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py training_date --start $(DEMO_DATE)
	$(BIN)/python manage.py load_reference_data
	$(BIN)/python manage.py load_demo
	@echo ""
	@echo "Training service: today is the stored training date (not before $(DEMO_DATE)); as admin@nru.example,"
	@echo "  move it forward at http://127.0.0.1:8000/nru/training-date/"
	@echo "Demo sign-ins (password: $(DEMO_PASSWORD))"
	@echo "  LSP officer   officer@walsall.lsp.example   (any partnership: officer@<slug>.lsp.example)"
	@echo "  LSP chair     chair@walsall.lsp.example"
	@echo "  GO reviewer   reviewer@west-midlands.go.example   (any region: reviewer@<region>.go.example)"
	@echo "  NRU analyst   analyst@nru.example"
	@echo "  NRU admin     admin@nru.example   (also signs in to /admin/)"
	@echo ""
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# The tests keep Python's bytecode caches (and pytest's rewritten test modules) between runs,
# even where the environment turns them off (PYTHONDONTWRITEBYTECODE): each of the three
# processes of a run would otherwise compile the project and every test module again, seconds
# each. The caches are ignored by git (.gitignore).
test test-fast: export PYTHONDONTWRITEBYTECODE=

## make test: the whole suite. Uses DATABASE_URL / CELERY_BROKER_URL when set.
test: install
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

## make test-fast: the loop while working: everything but the browser (e2e), real-worker
## (integration) and national-scale (load) tests. Same databases and workers as make test.
FAST_MARKERS := not e2e and not integration and not load
test-fast: install
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup -m "$(FAST_MARKERS)" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

check: export DEBUG ?= 1
check: install
	$(BIN)/python manage.py makemigrations --check --dry-run

worker: install
	nice -n 10 $(BIN)/celery -A lsp_portal worker --loglevel=INFO --concurrency=2

beat: install
	$(BIN)/celery -A lsp_portal beat --loglevel=INFO

## make bench: benchmarks under bench/ (not part of the test run)
# On this machine's PostgreSQL (each benchmark makes its own databases, lsp_bench_*), as the load
# and fault scenarios need it anyway; BENCH_DATABASE_URL= (empty) runs the dashboard on SQLite.
bench: export BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/lsp_bench
# Settings refuse to load with DEBUG off and no SECRET_KEY (the benchmarks run with DEBUG off).
bench: export SECRET_KEY ?= bench-only-$(shell head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
bench: install
	$(BIN)/python bench/run.py

## make bench-load: 50 users for 60 s on gunicorn, PostgreSQL and a Celery worker (bench/load)
bench-load: install
	bash bench/load/run.sh

## make bench-faults: PostgreSQL restarted, Redis stopped, a worker killed (bench/faults)
bench-faults: install
	bash bench/faults/run.sh

## make assets: refresh GOV.UK Frontend (static/) and axe-core (tests/e2e/vendor/) from npm
assets:
	bash static/update-govuk-frontend.sh
	bash tests/e2e/vendor/update-axe.sh

clean:
	rm -rf $(VENV) var staticfiles
