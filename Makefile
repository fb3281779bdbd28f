# The two commands: `make run` (serve the archive) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: install messages run test migrate seed

# requirements.lock pins every version the suite ran with (`make lock` writes it again after a
# change of pyproject.toml's dependencies); the project itself goes in editable, without them.
$(INSTALLED): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(INSTALLED)

install: $(INSTALLED)

.PHONY: lock
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check "pip-tools>=7.4,<8"
	$(PY) -m piptools compile --quiet --extra dev --strip-extras --no-emit-index-url --no-emit-find-links \
		-o requirements.lock pyproject.toml

# Korean interface text: locale/ko/*.po → .mo with gettext's msgfmt (Debian: gettext). Without it,
# the committed .mo files are used as they are.
messages: install
	@if command -v msgfmt >/dev/null; then $(PY) manage.py compilemessages --ignore=.venv -v0; \
	else echo "msgfmt (gettext) not found: using the committed .mo files"; fi

migrate: messages
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed

# The app and its task worker (docs/operations-worker.md: it indexes uploaded PDFs' pages, so a
# post's "Figure 2" opens the page), stopped together.
run: seed
	@$(PY) manage.py db_worker --no-reload -v0 & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:8000

# The task worker alone, for a server started some other way (gunicorn).
.PHONY: worker
worker: migrate
	$(PY) manage.py db_worker

# backups/<timestamp>.zip: every paper's discussion file plus the data (users, history) that
# `make restore FILE=backups/<timestamp>.zip` loads into an empty database (a new DATABASE_URL).
.PHONY: backup restore
backup: install
	$(PY) manage.py backup

restore: migrate
	@test -n "$(FILE)" || { echo "usage: make restore FILE=backups/<timestamp>.zip"; exit 2; }
	$(PY) manage.py restore "$(FILE)"

# The browser tests (Chromium, tests/browser/) run here too; `pytest -m browser` runs them alone.
test: messages
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m ruff check .
	$(PY) -m pytest

# The benchmark (docs/benchmark.md): SIZE=full (1,000 papers; several minutes) or SIZE=small (< 2 min).
SIZE ?= full
.PHONY: bench
bench: install
	$(PY) bench/run.py --size $(SIZE)

# Mutation sampling (docs/testing.md): N random small changes to MODULE (a file or a folder), one
# at a time, each run against TESTS; reports the share the tests catch, and the lines they miss.
MODULE ?= discussions/writes/
TESTS ?= tests/test_writes.py
N ?= 40
SEED ?= 22
.PHONY: mutate
mutate: install
	$(PY) bench/mutate.py $(MODULE) --tests $(TESTS) -n $(N) --seed $(SEED) $(if $(ONLY),--only $(ONLY))
