# Two commands for everyone:  make lab   (set up, then open the course)
#                             make test  (set up, then run every test)
# For a class server:         make hub   (JupyterHub for many students, see hub/README.md)
# Both are idempotent: the virtual environment is only rebuilt when a
# requirements file changes.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
LAB_OK  := $(VENV)/.lab-installed
TEST_OK := $(VENV)/.test-installed
NBGRADER_OK := $(VENV)/.nbgrader-installed
HUB_OK  := $(VENV)/.hub-installed
PROXY_OK := hub/node_modules/.package-lock.json
PORT ?= 8888

.PHONY: lab test setup setup-test setup-hub data browser images slides bench clean student wheel hub

# course_utils/lab.py checks the data set, then starts JupyterLab on 127.0.0.1 with a
# fresh random token (whatever the user's Jupyter config says), serving the repository
# so the lessons' ../../Images/ figures load, and prints the address in your language.
lab: setup
	$(PY) -m course_utils.lab --port $(PORT)

# The notebooks, and the student edition built from them, run as tests with the quick
# "smoke" training profile.
test: setup-test $(NBGRADER_OK) setup-hub data browser
	$(PY) -m course_utils.student --out build/student
	COURSE_PROFILE=$${COURSE_PROFILE:-smoke} $(PY) -m pytest tests notebooks build/student \
		--nbval-lax --nbval-current-env

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

# Debian's Chromium for the real-browser tests (no browser download works offline), and the
# Liberation fonts the deck-glyph test uses as "a PC with Latin fonts only".
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		{ DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation >/dev/null 2>&1 || \
		  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation >/dev/null; }; }; } || \
		echo "chromium is not installed: the real-browser test will be skipped"

clean:
	rm -rf $(VENV) .pytest_cache hub/node_modules

# The class hub (hub/jupyterhub_config.py): JupyterHub, its authenticator and spawner and
# nbgitpuller from PyPI, its proxy from npm (hub/package-lock.json). Without npm the hub
# test is skipped and says why. COURSE_HUB_MODE=test make hub tries it on this machine.
setup-hub: $(HUB_OK) $(PROXY_OK)

$(HUB_OK): $(LAB_OK) requirements-hub.txt
	$(PIP) install -r requirements-hub.txt
	@touch $@

$(PROXY_OK): hub/package.json hub/package-lock.json
	@if command -v npm >/dev/null 2>&1; then cd hub && npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm is not installed: the hub's proxy (configurable-http-proxy) needs it (apt-get install npm)"; fi

hub: setup-hub $(NBGRADER_OK) data
	$(PY) -m jupyterhub -f hub/jupyterhub_config.py

# Figures drawn by code (course_utils/figures/) into Images/, byte for byte the same
# every run; the model-zoo speeds come from course_utils/model_zoo_speeds.json
# (re-measure them on this machine with: $(PY) -m course_utils.figures --measure).
images: setup
	$(PY) -m course_utils.figures --out Images

# Every notebook as a reveal.js deck that needs no internet in the classroom; npm
# fetches reveal.js and MathJax once, at build time. SLIDES_DIR=/some/folder make slides
SLIDES_DIR ?= slides
slides: setup
	$(PY) -m course_utils.slides --out $(SLIDES_DIR)

# The student edition: build/student/{zh,en}/*.ipynb without solutions (nbgrader's
# ClearSolutions), outputs cleared except figures, speaker notes left out.
# nbgrader comes from requirements-test.txt; its JupyterLab and server extensions
# are switched off so that `make lab` looks the same with it installed.
STUDENT_DIR ?= build/student
student: setup $(NBGRADER_OK)
	$(PY) -m course_utils.student --out $(STUDENT_DIR)
	@# the edition carries the course's package, so a student needs nothing else from here
	rm -f $(STUDENT_DIR)/course_utils-*.whl
	$(PIP) wheel --no-deps --no-build-isolation -w $(STUDENT_DIR) .

$(NBGRADER_OK): requirements-test.txt
	$(PIP) install "$$(grep -E '^nbgrader' requirements-test.txt)"
	for ext in formgrader validate_assignment assignment_list course_list; do \
		$(VENV)/bin/jupyter server extension disable --sys-prefix nbgrader.server_extensions.$$ext >/dev/null 2>&1; done
	-$(VENV)/bin/jupyter labextension disable --level=sys_prefix @jupyter/nbgrader >/dev/null 2>&1
	@touch $@

# The course's package as a wheel (dist/), for a hub image or a class's own server:
# pip install dist/course_utils-*.whl  (every subpackage and data file is inside).
wheel: setup
	$(PIP) wheel --no-deps --no-build-isolation -w dist .
