"""The commands docker-compose.yml runs work on this machine, against a real database and broker.

Each process is started from the compose file's own command line (console scripts run with
this interpreter) in the test's environment, pointed at the test database and the test broker
(tests/settings.py, so the worker and the test share broker, results and cache): gunicorn
answers /healthz and /readyz, a worker consumes a task sent through the broker, beat's
heartbeat is run by the worker, and the compose health checks pass against them. A production
start with a missing or weak secret key, without encryption keys, or without a database, stops
every entry point with one line naming the variable.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from celery.exceptions import AlwaysEagerIgnored
from celery.result import EagerResult
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from ccplatform.celery import app as celery_app
from ccplatform.crypto.keyring import new_key
from ccplatform.tasks import HEARTBEAT_CACHE_KEY
from tests.deploy.test_compose import final_stage, parse_dockerfile
from tests.processes import child_database_url, free_port

pytestmark = pytest.mark.slow

BASE_DIR = Path(settings.BASE_DIR)
SERVICES: dict[str, Any] = yaml.safe_load(
    (BASE_DIR / "docker-compose.yml").read_text(encoding="utf-8")
)["services"]
DEADLINE_SECONDS = 30.0
STOP_SECONDS = 15.0
POLL_SECONDS = 0.2
APPLICATION_NAME = "ccplatform-deploy-test"
STRONG_KEY = "deploy-test-" + "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"
CONFIG_ERROR = "ccplatform: configuration error: "
# gunicorn logs its own start line before the on_starting hook loads the settings.
GUNICORN_LOG_LINE = re.compile(r"^\[[^\]]+\] \[\d+\] \[INFO\] ")


def _local(command: list[str]) -> list[str]:
    """A compose command line for this machine: the image's console scripts via this Python."""
    program, *arguments = command
    if program == "python":
        return [sys.executable, *arguments]
    return [sys.executable, "-m", program, *arguments]


def _compose_command(service: str) -> list[str]:
    return _local([str(part) for part in SERVICES[service]["command"]])


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process started in its own session, with everything it forked."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Platform:
    """gunicorn, a Celery worker and Celery beat, started as compose starts them."""

    def __init__(self, env: dict[str, str], log_dir: Path, port: int, worker_host: str) -> None:
        self.env = env
        self.log_dir = log_dir
        self.base_url = f"http://127.0.0.1:{port}"
        self.worker_host = worker_host
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, command: list[str]) -> None:
        with (self.log_dir / f"{name}.log").open("wb") as log:
            self.processes[name] = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # one signal stops gunicorn's workers too
            )

    def stop(self) -> None:
        for process in self.processes.values():
            _stop(process)

    def output(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def assert_running(self) -> None:
        for name, process in self.processes.items():
            assert process.poll() is None, f"{name} exited with {process.returncode}"

    @contextmanager
    def output_on_failure(self) -> Iterator[None]:
        """Print every process's output when the block fails (pytest shows it with the error)."""
        try:
            yield
        except BaseException:
            for name, process in self.processes.items():
                print(f"----- {name} (exit code {process.poll()}) -----")
                print(self.output(name))
            raise

    def get(self, path: str) -> tuple[int, Any]:
        """GET `path`, waiting (bounded) for gunicorn to accept connections."""
        deadline = time.monotonic() + DEADLINE_SECONDS
        while True:
            self.assert_running()
            try:
                with urllib.request.urlopen(self.base_url + path, timeout=5) as response:
                    return response.status, json.loads(response.read())
            except urllib.error.HTTPError as error:
                return error.code, error.read().decode(errors="replace")
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(POLL_SECONDS)  # gunicorn is still binding its port

    def wait_for_worker(self) -> None:
        """Wait (bounded) until the worker answers a broadcast ping: it is consuming."""
        node = f"celery@{self.worker_host}"
        deadline = time.monotonic() + DEADLINE_SECONDS
        while not celery_app.control.ping(destination=[node], timeout=POLL_SECONDS * 2):
            self.assert_running()
            assert time.monotonic() < deadline, f"{node} did not answer in {DEADLINE_SECONDS}s"

    def healthcheck(self, service: str) -> subprocess.CompletedProcess[str]:
        """Run the compose healthcheck of `service` here, retried as Docker would (bounded)."""
        test = [str(part) for part in SERVICES[service]["healthcheck"]["test"]]
        if test[0] == "CMD":
            command = _local(test[1:])
        else:
            # CMD-SHELL: compose turns $$ into $, and the container's console scripts are
            # this interpreter's modules here.
            script = test[1].replace("$$", "$")
            script = re.sub(r"^celery ", f"{shlex.quote(sys.executable)} -m celery ", script)
            command = ["/bin/sh", "-c", script]
        deadline = time.monotonic() + DEADLINE_SECONDS
        while True:
            self.assert_running()
            result = subprocess.run(
                command, cwd=BASE_DIR, env=self.env, capture_output=True, text=True, check=False
            )
            if result.returncode == 0 or time.monotonic() > deadline:
                return result
            time.sleep(POLL_SECONDS)


@pytest.fixture
def platform(transactional_db: None, tmp_path: Path) -> Iterator[Platform]:
    port = free_port()
    # The compose worker healthcheck pings celery@$HOSTNAME; a name of our own keeps any
    # other worker on the test broker from answering for this one.
    worker_host = f"deploy-test-{os.getpid()}"
    env = {
        **os.environ,
        # tests.settings: the test broker, result store and cache, shared with this process.
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": child_database_url(APPLICATION_NAME),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "CELERY_HEARTBEAT_SECONDS": "1",
        "HOSTNAME": worker_host,
    }
    env.pop("DATABASE_URL_FILE", None)
    # Messages left on the test broker by earlier runs would record heartbeats too.
    celery_app.control.purge()

    worker = [*_compose_command("worker"), "--pool", "solo", "--hostname", f"celery@{worker_host}"]
    beat = _compose_command("beat")
    beat[beat.index("--schedule") + 1] = str(tmp_path / "celerybeat-schedule")
    # tests.settings makes tasks eager for unit tests, and an eager beat would run the
    # heartbeat itself; beat must send it to the broker as in production.
    beat += ["--", "task_always_eager=false"]

    running = Platform(env, tmp_path, port, worker_host)
    try:
        running.start("web", _compose_command("web"))
        running.start("worker", worker)
        running.start("beat", beat)
        yield running
    finally:
        running.stop()


def _web_holds_a_test_database_session(platform: Platform) -> bool:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE application_name = %s AND datname = current_database()",
                [APPLICATION_NAME],
            )
            row = cursor.fetchone()
        return row is not None and row[0] > 0
    # SQLite: the gunicorn worker (a child of the master) has the test database file open.
    master = platform.processes["web"].pid
    children = Path(f"/proc/{master}/task/{master}/children")
    if not children.exists():
        pytest.skip("needs /proc to see which files the web process has open")
    database = str(Path(connection.settings_dict["NAME"]).resolve())
    for child in children.read_text().split():
        for descriptor in Path(f"/proc/{child}/fd").iterdir():
            try:
                if os.readlink(descriptor) == database:
                    return True
            except OSError:
                continue  # closed between listing and reading
    return False


@pytest.mark.django_db(transaction=True)
# Celery warns that results are not stored in eager mode: this result comes from the worker.
@pytest.mark.filterwarnings("ignore:Results are not stored in backend:RuntimeWarning")
def test_compose_processes_serve_consume_and_schedule(platform: Platform) -> None:
    started = timezone.now()
    with platform.output_on_failure():
        assert platform.get("/healthz") == (200, {"status": "ok"})

        status, body = platform.get("/readyz")
        assert status == 200, body
        assert body["checks"] == {"database": "ok", "broker": "ok", "cache": "ok"}
        # The persistent connection /readyz opened must be to this run's test database.
        assert _web_holds_a_test_database_session(platform)

        web = platform.healthcheck("web")
        assert web.returncode == 0, web.stderr
        # Waiting here, in this process, spares a slow retry of the healthcheck (each try
        # waits out its --timeout when the worker is still starting).
        platform.wait_for_worker()
        worker = platform.healthcheck("worker")
        assert worker.returncode == 0, worker.stdout + worker.stderr
        assert f"celery@{platform.worker_host}: OK" in worker.stdout

        # This process runs tasks eagerly (tests/settings.py); send_task never does.
        assert celery_app.conf.task_always_eager is True
        with pytest.warns(AlwaysEagerIgnored):
            result = celery_app.send_task("ccplatform.tasks.ping")
        assert not isinstance(result, EagerResult)
        assert result.get(timeout=DEADLINE_SECONDS) == "pong"
        assert result.id in platform.output("worker")

        heartbeat = None
        deadline = time.monotonic() + DEADLINE_SECONDS
        while heartbeat is None and time.monotonic() < deadline:
            platform.assert_running()
            value = cache.get(HEARTBEAT_CACHE_KEY)
            if isinstance(value, str) and datetime.fromisoformat(value) > started:
                heartbeat = value
            else:
                time.sleep(POLL_SECONDS)  # beat sends one a second
        assert heartbeat is not None, f"no heartbeat recorded since {started.isoformat()}"
        # Beat sent it and the worker ran it; beat running it itself would log its result.
        assert "ccplatform.tasks.heartbeat[" in platform.output("worker")
        assert "ccplatform.tasks.heartbeat[" not in platform.output("beat")

        beat = platform.healthcheck("beat")
        assert beat.returncode == 0, beat.stderr


@pytest.mark.django_db(transaction=True)
def test_migrate_service_command_finds_the_test_database_migrated() -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": child_database_url(APPLICATION_NAME),
    }
    env.pop("DATABASE_URL_FILE", None)
    result = subprocess.run(
        _compose_command("migrate"),
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # A second run is a no-op, which is what makes the one-shot service safe to repeat.
    assert "No migrations to apply." in result.stdout


def test_dockerfile_build_step_loads_production_settings() -> None:
    """The image's collectstatic line, run as written (dry run) with the image's ENV only."""
    final = final_stage(parse_dockerfile((BASE_DIR / "Dockerfile").read_text(encoding="utf-8")))
    # The image's PATH leads to its virtualenv; here that is this interpreter's.
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for item in final:
        if item.keyword == "ENV":
            for pair in shlex.split(item.argument):
                name, _, value = pair.partition("=")
                if name not in {"PATH", "VIRTUAL_ENV"}:
                    env[name] = value
    run = next(i.argument for i in final if i.keyword == "RUN" and "collectstatic" in i.argument)
    step = next(part for part in run.split(" && ") if "collectstatic" in part)
    result = subprocess.run(
        ["/bin/sh", "-c", f"{step} --dry-run"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
        check=False,
    )
    # A setting that production starts to require fails the image build, and this test.
    assert result.returncode == 0, result.stderr
    assert "static files copied" in result.stdout


# Read from secret files, as compose gives them (the test run's own keys are left out).
SECRET_FILES = ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEYS")


def _production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    """A complete production configuration, as compose gives it, with `overrides` applied."""
    inherited_out = {
        "DATABASE_URL",
        "DATABASE_URL_FILE",
        "FIELD_ENCRYPTION_ACTIVE_KEY",
        "BLIND_INDEX_ACTIVE_KEY",
        *SECRET_FILES,
        *(f"{name}_FILE" for name in SECRET_FILES),
    }
    env = {name: value for name, value in os.environ.items() if name not in inherited_out}
    key_file = tmp_path / "secret_key"
    key_file.write_text(STRONG_KEY + "\n", encoding="utf-8")
    for name in ("FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEYS"):
        path = tmp_path / name.lower()
        path.write_text(f"1:{new_key()}\n", encoding="utf-8")
        env[f"{name}_FILE"] = str(path)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "ccplatform.settings",
            "CCPLATFORM_ENV": "production",
            # The checkout's .env would otherwise fill in whatever the test leaves out.
            "CCPLATFORM_READ_DOTENV": "0",
            "SECRET_KEY_FILE": str(key_file),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'never-opened.sqlite3'}",
            # Settings only check that a broker is named; nothing listens on port 9.
            "REDIS_URL": "redis://127.0.0.1:9/0",
            "ALLOWED_HOSTS": "ccplatform.example.com",
            "EMAIL_HOST": "smtp.example.com",
            "GUNICORN_BIND": f"127.0.0.1:{free_port()}",
            "GUNICORN_WORKERS": "1",
        }
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _entry_points(tmp_path: Path) -> dict[str, list[str]]:
    beat = _compose_command("beat")
    beat[beat.index("--schedule") + 1] = str(tmp_path / "celerybeat-schedule")
    return {
        "manage.py check": [sys.executable, "manage.py", "check"],
        "migrate": _compose_command("migrate"),
        "web (gunicorn)": _compose_command("web"),
        "worker": [*_compose_command("worker"), "--pool", "solo"],
        "beat": beat,
    }


def _run_all(commands: dict[str, list[str]], env: dict[str, str]) -> dict[str, tuple[int, str]]:
    """Run the commands side by side; each gets a bounded time and is stopped after it."""
    started = {
        name: subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        for name, command in commands.items()
    }
    results = {}
    try:
        for name, process in started.items():
            try:
                _, stderr = process.communicate(timeout=DEADLINE_SECONDS)
            except subprocess.TimeoutExpired:
                _stop(process)
                _, stderr = process.communicate()
                results[name] = (-1, f"still running after {DEADLINE_SECONDS}s\n")
                continue
            results[name] = (process.returncode, stderr.decode(errors="replace"))
    finally:
        for process in started.values():
            _stop(process)
    return results


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param({"SECRET_KEY_FILE": None}, "SECRET_KEY", id="secret-key-missing"),
        pytest.param(
            {"SECRET_KEY_FILE": None, "SECRET_KEY": "ab" * 30},
            "SECRET_KEY is too weak",
            id="secret-key-weak",
        ),
        pytest.param(
            {"SECRET_KEY_FILE": "/run/secrets/not-mounted"},
            "SECRET_KEY_FILE",
            id="secret-file-missing",
        ),
        pytest.param({"DATABASE_URL": None}, "DATABASE_URL", id="database-url-missing"),
        pytest.param(
            {"FIELD_ENCRYPTION_KEYS_FILE": None, "BLIND_INDEX_KEYS_FILE": None},
            "FIELD_ENCRYPTION_KEYS and BLIND_INDEX_KEYS",
            id="encryption-keys-missing",
        ),
        pytest.param(
            {"BLIND_INDEX_KEYS_FILE": "/run/secrets/not-mounted"},
            "BLIND_INDEX_KEYS_FILE",
            id="key-file-missing",
        ),
    ],
)
def test_production_start_with_bad_configuration_stops_with_one_line(
    tmp_path: Path, overrides: dict[str, str | None], expected: str
) -> None:
    env = _production_env(tmp_path, **overrides)
    problems = []
    for name, (code, stderr) in _run_all(_entry_points(tmp_path), env).items():
        lines = stderr.splitlines()
        errors = [line for line in lines if line.startswith(CONFIG_ERROR)]
        # gunicorn's own start line is allowed; nothing else, and never a traceback.
        others = [line for line in lines if line not in errors]
        if name.startswith("web"):
            others = [line for line in others if not GUNICORN_LOG_LINE.match(line)]
        if code != 2 or len(errors) != 1 or expected not in errors[0] or others:
            problems.append(f"{name}: exit code {code}, stderr:\n{stderr}")
    assert not problems, "\n".join(problems)


def test_complete_production_configuration_passes_the_same_checks(tmp_path: Path) -> None:
    # The control for the test above: its environment fails only by what each case removes.
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
