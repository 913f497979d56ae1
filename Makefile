# The two commands: `make run` and `make test` (see README.md). Everything else here serves them.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1
STAMP := $(VENV)/.installed

.PHONY: run test test-s3 lint types format migrations-check messages venv demo clean

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: set PYTHON=python3.11")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

# Development server and a real Celery worker together (scripts/devserver.py); one Ctrl-C stops both.
# Embedded defaults: SQLite, local files and a broker kept in files, all under DATA_DIR (default var/).
# The marker in DATA_DIR lets `./manage.py <command>` run in development mode later too (config/devmode.py).
run: venv
	$(PY) -m config.devmode
	DJANGO_DEBUG=true $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=true HOST=$(HOST) PORT=$(PORT) $(PY) manage.py demo
	DJANGO_DEBUG=true $(PY) manage.py doctemplates install
	DJANGO_DEBUG=true HOST=$(HOST) PORT=$(PORT) $(PY) scripts/devserver.py

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# mypy with the Django and DRF plugins over config, attachments and connector (pyproject.toml, [tool.mypy]).
types: venv
	$(VENV)/bin/mypy

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrations-check: venv
	DJANGO_SETTINGS_MODULE=config.test_settings $(PY) manage.py makemigrations --check --dry-run

# Translations (README, "Translations"): extract the strings of the Python code and the Jinja2 pages once (babel.cfg;
# Django's makemessages cannot read Jinja2), merge them into locale/<lang>/LC_MESSAGES/django.po for every language
# but English (LANGUAGES in config/settings.py; tests/test_i18n.py checks the two lists agree), then compile the .mo
# files Django reads. The .mo files are committed, so `make run`, `make test` and the image need no gettext step.
MESSAGE_KEYWORDS := gettext_lazy ngettext_lazy:1,2 pgettext_lazy:1c,2 npgettext_lazy:1c,2,3 gettext_noop
MESSAGE_LANGUAGES := de fr es
messages: venv
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k "$(MESSAGE_KEYWORDS)" --add-location=file --sort-by-file \
		--project=attachments --no-wrap -o locale/django.pot .
	set -e; for lang in $(MESSAGE_LANGUAGES); do \
		$(VENV)/bin/pybabel -q update -i locale/django.pot -d locale -D django -l $$lang --init-missing \
			--ignore-pot-creation-date --ignore-obsolete --no-wrap; \
	done
	set -e; for lang in $(MESSAGE_LANGUAGES); do \
		$(VENV)/bin/pybabel compile -d locale -D django -l $$lang --statistics; \
	done

# The order of CI: lint, types, migrations, then the tests: the whole suite with files in a folder per test, then
# the tests it saw write files again with the files in S3 (moto's server; tests/support/storage_run.py,
# docs/deploy.md "How this is tested"). PYTEST_ARGS narrows both ("tests/test_api.py -x").
# PYTEST_WORKERS: pytest-xdist processes. Most tests wait on other processes (PostgreSQL, Redis, Celery workers,
# Chromium, the fake DS), so three keep two cores busy: the suite took 10.4 minutes in one process and 5.8 in three
# (2026-12-05). Every run and worker keeps its own database, folders, cache prefix and broker keys.
PYTEST_WORKERS ?= 3
test: lint types migrations-check
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --storage=s3 $(PYTEST_ARGS)

# The S3 run alone, after `make test` (or a plain `pytest`) wrote the list of the tests that touch storage.
test-s3: venv
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --storage=s3 $(PYTEST_ARGS)

# 1,000 editing sessions over 300 s with the real DS's traffic: two web nodes behind bench/balancer.py, S3 (moto),
# Celery, PostgreSQL, Redis and the fake DS (bench/README.md).
# Needs PostgreSQL and Redis on 127.0.0.1 (or BENCH_POSTGRES_URL / BENCH_REDIS_URL); BENCH_ARGS passes flags.
bench-load: venv
	$(PY) -m bench.load $(BENCH_ARGS)

# Issue 8: one script per target, each prints floor, measurement and ratio; exit 1 on a miss (docs/performance.md).
bench-editor: venv
	$(PY) -m bench.editor_page $(BENCH_ARGS)
bench-callback: venv
	$(PY) -m bench.callback_ack $(BENCH_ARGS)
bench-download: venv
	$(PY) -m bench.download $(BENCH_ARGS)
bench-list: venv
	$(PY) -m bench.attachment_list $(BENCH_ARGS)
bench-save: venv
	$(PY) -m bench.save_pipeline $(BENCH_ARGS)
# All of them, each run even when an earlier one misses; fails if any missed.
bench: venv
	@status=0; for target in bench-editor bench-callback bench-save bench-download bench-list; do \
		$(MAKE) --no-print-directory $$target || status=1; done; exit $$status

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache tests/artifacts
