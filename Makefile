# Two commands for everyone:  make lab   (set up, then open the course)
#                             make test  (set up, then run every test)
# Both are idempotent: the virtual environment is only rebuilt when a
# requirements file changes.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
LAB_OK  := $(VENV)/.lab-installed
TEST_OK := $(VENV)/.test-installed
# jupyter refuses to run as root (containers, CI) unless asked to.
ALLOW_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
PORT ?= 8888

.PHONY: lab test setup setup-test data browser images slides bench clean

lab: setup
	-@$(PY) -m course_utils.data || echo "(lessons 1-3 work without the data set; lesson 4 needs it)"
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks --ServerApp.ip=127.0.0.1 \
		--ServerApp.port=$(PORT) $(ALLOW_ROOT)

# The notebooks run as tests with the quick "smoke" training profile.
test: setup-test data browser
	COURSE_PROFILE=$${COURSE_PROFILE:-smoke} $(PY) -m pytest tests notebooks --nbval-lax --nbval-current-env

setup: $(LAB_OK)
setup-test: $(TEST_OK)

$(LAB_OK): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements.txt
	@# d2l 1.0.3 pins numpy 1.23.5 and 2023 libraries; its real imports are in requirements.txt.
	$(PIP) install --no-deps d2l==1.0.3
	$(PIP) install --no-deps -e .
	@touch $@

$(TEST_OK): $(LAB_OK) requirements-test.txt
	$(PIP) install -r requirements-test.txt
	@touch $@

data: setup
	$(PY) -m course_utils.data

# Debian's Chromium for the real-browser test (no browser download works offline).
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		{ DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || \
		  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; }; } || \
		echo "chromium is not installed: the real-browser test will be skipped"

clean:
	rm -rf $(VENV) .pytest_cache

# Figures drawn by code (course_utils/figures.py) into Images/, byte for byte the same
# every run; the model-zoo speeds come from course_utils/model_zoo_speeds.json
# (re-measure them on this machine with: $(PY) -m course_utils.figures --measure).
images: setup
	$(PY) -m course_utils.figures --out Images

# Every notebook as a reveal.js deck that needs no internet in the classroom; npm
# fetches reveal.js and MathJax once, at build time. SLIDES_DIR=/some/folder make slides
SLIDES_DIR ?= slides
slides: setup
	$(PY) -m course_utils.slides --out $(SLIDES_DIR)
