"""docker-compose.yml, the Dockerfile and .dockerignore describe a deployment that works.

The files are parsed, not run (no Docker is needed): these checks pin what an operator relies
on (the services, their commands and health checks, one migration run before anything else,
production mode, the secret key read from a file) and keep compose and the image in agreement.
tests/deploy/test_processes.py runs the same commands against a real database and broker.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
APP_SERVICES = ("migrate", "web", "worker", "beat")
LONG_RUNNING_SERVICES = ("web", "worker", "beat", "postgres", "redis")
# Variables that must be exactly what this file says: compose interpolates ${...} from the
# checkout's `.env` too, which holds the embedded default (development, SQLite).
FIXED_VARIABLES = (
    "CCPLATFORM_ENV",
    "SECRET_KEY_FILE",
    "FIELD_ENCRYPTION_KEYS_FILE",
    "BLIND_INDEX_KEYS_FILE",
    "AUDIT_CHECKPOINT_KEYS_FILE",
    "DATABASE_URL",
    "REDIS_URL",
)
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|API_KEY|PRIVATE|_KEYS$")
# Production refuses to start without them; compose gives each as a secret file.
KEY_RINGS = ("FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEYS", "AUDIT_CHECKPOINT_KEYS")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    argument: str


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = compose["services"]
    assert isinstance(found, dict)
    return found


@pytest.fixture(scope="module")
def dockerfile() -> list[Instruction]:
    return parse_dockerfile((BASE_DIR / "Dockerfile").read_text(encoding="utf-8"))


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined and comment lines dropped, as Docker does."""
    instructions: list[Instruction] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, argument = (pending + line).partition(" ")
        instructions.append(Instruction(keyword.upper(), " ".join(argument.split())))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return instructions


def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    last_from = max(i for i, item in enumerate(instructions) if item.keyword == "FROM")
    return instructions[last_from:]


def _base_images(instructions: list[Instruction]) -> list[str]:
    """FROM images with build arguments declared before the first FROM resolved."""
    defaults: dict[str, str] = {}
    images: list[str] = []
    for item in instructions:
        if item.keyword == "ARG" and not images:
            name, _, value = item.argument.partition("=")
            defaults[name] = value
        elif item.keyword == "FROM":
            image = item.argument.split()[0]
            images.append(re.sub(r"\$\{(\w+)\}", lambda m: defaults.get(m[1], m[0]), image))
    return images


def _exec_form(argument: str) -> list[str]:
    loaded = yaml.safe_load(argument)  # a JSON array is valid YAML
    assert isinstance(loaded, list), f"{argument!r} is not in exec (JSON array) form"
    return [str(part) for part in loaded]


def _command(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    # Exec form: the process itself is PID 1's child and receives SIGTERM, not a shell.
    assert isinstance(command, list), f"command {command!r} should be a list (exec form)"
    return [str(part) for part in command]


def _environment(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return dict(item.split("=", 1) for item in environment)
    return {name: "" if value is None else str(value) for name, value in environment.items()}


def _healthcheck_text(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    return test if isinstance(test, str) else " ".join(test)


def _variables_read_by_the_platform() -> set[str]:
    """Every environment variable settings.py (and the blocks of ccplatform/config.py it calls)
    and gunicorn.conf.py read (secrets also as _FILE)."""
    names = {"DJANGO_SETTINGS_MODULE"}
    sources = [
        BASE_DIR / "ccplatform" / "settings.py",
        BASE_DIR / "ccplatform" / "config.py",
        BASE_DIR / "gunicorn.conf.py",
    ]
    for source in sources:
        text = source.read_text(encoding="utf-8")
        for method, name in re.findall(r'env\.(\w+)\(\s*"([A-Z0-9_]+)"', text):
            names.add(name)
            if method == "secret":
                names.add(f"{name}_FILE")
        names.update(re.findall(r'os\.environ\.get\(\s*"([A-Z0-9_]+)"', text))
    return names


def test_compose_defines_the_platform_services(services: dict[str, Any]) -> None:
    assert set(services) == {"web", "worker", "beat", "migrate", "postgres", "redis"}


def test_web_runs_gunicorn_with_the_project_config_like_the_image(
    services: dict[str, Any], dockerfile: list[Instruction]
) -> None:
    expected = ["gunicorn", "-c", "gunicorn.conf.py", "ccplatform.wsgi"]
    assert _command(services["web"]) == expected
    commands = [item for item in final_stage(dockerfile) if item.keyword == "CMD"]
    assert len(commands) == 1, "the image has one default command"
    assert _exec_form(commands[0].argument) == expected


def test_worker_and_beat_run_celery_for_the_project_app(services: dict[str, Any]) -> None:
    assert _command(services["worker"])[:4] == ["celery", "-A", "ccplatform", "worker"]
    assert _command(services["beat"])[:4] == ["celery", "-A", "ccplatform", "beat"]


def test_beat_keeps_its_schedule_where_the_app_user_may_write(
    services: dict[str, Any], dockerfile: list[Instruction]
) -> None:
    command = _command(services["beat"])
    schedule = PurePosixPath(command[command.index("--schedule") + 1])
    mounts = {str(volume).split(":")[1] for volume in services["beat"].get("volumes", [])}
    in_volume = any(schedule.is_relative_to(mount) for mount in mounts)
    assert in_volume or schedule.is_relative_to("/tmp"), f"{schedule} is in the read-only code"
    if in_volume:
        runs = " && ".join(item.argument for item in dockerfile if item.keyword == "RUN")
        # A named volume starts as a copy of the image's directory, owner included.
        assert f"chown app:app {schedule.parent}" in runs


@pytest.mark.parametrize("name", LONG_RUNNING_SERVICES)
def test_every_long_running_service_has_a_health_check(services: dict[str, Any], name: str) -> None:
    healthcheck = services[name].get("healthcheck")
    assert healthcheck, f"{name} has no healthcheck"
    assert not healthcheck.get("disable", False)
    test = healthcheck["test"]
    assert isinstance(test, list), test
    assert test[0] in {"CMD", "CMD-SHELL"}, test
    assert len(test) > 1


def test_health_checks_probe_what_each_service_is_for(services: dict[str, Any]) -> None:
    web = services["web"]["healthcheck"]["test"]
    # The slim image has no curl or wget: the probe is the image's own Python.
    assert web[:3] == ["CMD", "python", "-c"]
    assert "/healthz" in web[3]
    compile(web[3], "web healthcheck", "exec")

    worker = _healthcheck_text(services["worker"])
    assert "celery -A ccplatform inspect ping" in worker
    # $$ reaches the container as $, so the shell there expands the container's host name.
    assert "celery@$$HOSTNAME" in worker

    beat = services["beat"]["healthcheck"]["test"]
    assert beat[:3] == ["CMD", "python", "-c"]
    assert "HEARTBEAT_CACHE_KEY" in beat[3]
    compile(beat[3], "beat healthcheck", "exec")

    assert "pg_isready" in _healthcheck_text(services["postgres"])
    assert "redis-cli ping" in _healthcheck_text(services["redis"])


def test_postgres_keeps_its_data_in_a_named_volume(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    postgres = services["postgres"]
    assert re.fullmatch(r"postgres:1[56](\.\d+)?(-\w+)?", postgres["image"])
    data = [v for v in postgres["volumes"] if str(v).endswith(":/var/lib/postgresql/data")]
    assert len(data) == 1, "the data directory must be a volume, or it dies with the container"
    source = str(data[0]).split(":")[0]
    assert "/" not in source, f"{source} is a bind mount"
    assert not source.startswith("."), f"{source} is a bind mount"
    assert source in compose["volumes"]


def test_redis_is_version_7(services: dict[str, Any]) -> None:
    assert re.fullmatch(r"redis:7(\.\d+)*(-\w+)?", services["redis"]["image"])


def test_migrations_run_once_before_the_application_starts(services: dict[str, Any]) -> None:
    migrate = services["migrate"]
    assert _command(migrate) == ["python", "manage.py", "migrate", "--noinput"]
    # A one-shot service that restarted after success would never count as completed.
    assert migrate.get("restart", "no") == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        depends_on = services[name]["depends_on"]
        assert depends_on["migrate"]["condition"] == "service_completed_successfully", name
        assert depends_on["postgres"]["condition"] == "service_healthy", name
        assert depends_on["redis"]["condition"] == "service_healthy", name
        assert "migrate" not in _command(services[name]), f"{name} must not migrate on start"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_application_runs_in_production_with_the_secret_key_from_a_file(
    compose: dict[str, Any], services: dict[str, Any], name: str
) -> None:
    service = services[name]
    environment = _environment(service)
    assert environment["CCPLATFORM_ENV"] == "production"
    assert "SECRET_KEY" not in environment
    secret_path = PurePosixPath(environment["SECRET_KEY_FILE"])
    assert secret_path.parent == PurePosixPath("/run/secrets")
    mounted = [s if isinstance(s, str) else s["source"] for s in service["secrets"]]
    assert secret_path.name in mounted
    source = compose["secrets"][secret_path.name]["file"]
    assert PurePosixPath(source).parent == PurePosixPath("secrets"), source
    for variable in FIXED_VARIABLES:
        assert "${" not in environment[variable], f"{variable} must not be interpolated"


@pytest.mark.parametrize("name", APP_SERVICES)
@pytest.mark.parametrize("variable", KEY_RINGS)
def test_application_reads_its_encryption_keys_from_secret_files(
    compose: dict[str, Any], services: dict[str, Any], name: str, variable: str
) -> None:
    service = services[name]
    environment = _environment(service)
    assert variable not in environment
    assert f"{variable.removesuffix('_KEYS')}_ACTIVE_KEY" not in environment
    key_path = PurePosixPath(environment[f"{variable}_FILE"])
    assert key_path.parent == PurePosixPath("/run/secrets")
    mounted = [s if isinstance(s, str) else s["source"] for s in service["secrets"]]
    assert key_path.name in mounted
    source = compose["secrets"][key_path.name]["file"]
    assert PurePosixPath(source).parent == PurePosixPath("secrets"), source
    # The first-start instructions at the top of the file create it.
    text = (BASE_DIR / "docker-compose.yml").read_text(encoding="utf-8")
    assert f"> {source.removeprefix('./')}\n" in text


def test_secret_files_stay_out_of_git() -> None:
    ignore = (BASE_DIR / "secrets" / ".gitignore").read_text(encoding="utf-8").split()
    assert "*" in ignore
    tracked = subprocess.run(
        ["git", "ls-files", "--", "secrets"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert set(tracked) <= {"secrets/.gitignore"}


def test_no_plaintext_secret_in_the_compose_file(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for variable, value in _environment(service).items():
            if SECRET_NAME.search(variable):
                assert variable.endswith("_FILE"), f"{name}: {variable} is given in plain text"
            if "://" in value:
                assert urlsplit(value).password is None, f"{name}: {variable} has a password"


def test_compose_sets_only_variables_the_platform_reads(services: dict[str, Any]) -> None:
    # A misspelt name would be ignored silently and the default used instead.
    known = _variables_read_by_the_platform()
    for name in APP_SERVICES:
        unknown = set(_environment(services[name])) - known
        assert not unknown, f"{name} sets variables nothing reads: {sorted(unknown)}"


def test_ssl_redirect_is_configurable_and_documented_for_a_tls_proxy(
    services: dict[str, Any],
) -> None:
    assert _environment(services["web"])["SECURE_SSL_REDIRECT"] == "${SECURE_SSL_REDIRECT:-false}"
    text = (BASE_DIR / "docker-compose.yml").read_text(encoding="utf-8")
    assert "SECURE_SSL_REDIRECT=true" in text


def test_database_and_broker_are_reachable_only_inside_the_stack(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    networks = compose["networks"]
    for name in ("postgres", "redis"):
        assert "ports" not in services[name], f"{name} must not be published"
        for network in services[name]["networks"]:
            # PostgreSQL trusts its network, so nothing outside this file may join it.
            assert networks[network].get("internal") is True, f"{name} on {network}"
    published = [str(port) for port in services["web"]["ports"]]
    assert all(port.startswith("${WEB_BIND:-127.0.0.1}:") for port in published), published


def test_application_services_run_the_image_built_from_this_dockerfile(
    services: dict[str, Any],
) -> None:
    images = set()
    for name in APP_SERVICES:
        build = services[name]["build"]
        context = build if isinstance(build, str) else build.get("context", ".")
        dockerfile = (
            "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        )
        assert (BASE_DIR / context / dockerfile).resolve() == BASE_DIR / "Dockerfile", name
        images.add(services[name]["image"])
    assert len(images) == 1, f"one image for every process, got {images}"


def test_dockerfile_installs_the_locked_dependencies_with_hashes(
    dockerfile: list[Instruction],
) -> None:
    images = _base_images(dockerfile)
    assert images
    assert all(image == "python:3.12-slim" for image in images), images
    copies = [item.argument for item in dockerfile if item.keyword == "COPY"]
    assert any(argument.startswith("requirements/base.lock ") for argument in copies)
    runs = [item.argument for item in dockerfile if item.keyword == "RUN"]
    assert any("pip install --require-hashes -r requirements/base.lock" in run for run in runs)
    assert not any(re.search(r"pip install(?!.*--require-hashes)", run) for run in runs)


def test_lock_pins_every_package_with_a_hash_and_has_the_process_runners() -> None:
    text = (BASE_DIR / "requirements" / "base.lock").read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[A-Za-z0-9])", re.sub(r"(?m)^\s*#.*\n", "", text).strip())
    pinned = {}
    for entry in entries:
        requirement = entry.split()[0]
        assert "==" in requirement, f"{requirement} is not pinned"
        assert "--hash=sha256:" in entry, f"{requirement} has no hash"
        pinned[requirement.split("==")[0].lower()] = requirement
    for runner in ("gunicorn", "celery", "psycopg2-binary", "redis", "whitenoise"):
        assert runner in pinned, f"the image needs {runner}"


def test_image_runs_as_an_unprivileged_user(dockerfile: list[Instruction]) -> None:
    final = final_stage(dockerfile)
    users = [index for index, item in enumerate(final) if item.keyword == "USER"]
    assert users, "the image would run as root"
    user = final[users[-1]].argument.split(":")[0]
    assert user not in {"root", "0"}
    command = next(index for index, item in enumerate(final) if item.keyword == "CMD")
    assert users[-1] < command


def test_static_files_are_collected_at_build_with_a_throw_away_secret(
    dockerfile: list[Instruction],
) -> None:
    final = final_stage(dockerfile)
    collect = [i.argument for i in final if i.keyword == "RUN" and "collectstatic" in i.argument]
    assert len(collect) == 1
    assert "--noinput" in collect[0]
    # Settings refuse to load without these; they live only for that one command.
    for variable in (
        "SECRET_KEY=",
        "FIELD_ENCRYPTION_KEYS=",
        "BLIND_INDEX_KEYS=",
        "AUDIT_CHECKPOINT_KEYS=",
        "DATABASE_URL=",
        "REDIS_URL=",
        "ALLOWED_HOSTS=",
    ):
        assert variable in collect[0]
    # Generated on the spot, never written into the Dockerfile.
    for variable in KEY_RINGS:
        assert re.search(rf"{variable}=\"1:\$\(python -c", collect[0]), variable
    persisted = [i.argument for i in dockerfile if i.keyword in {"ENV", "ARG"}]
    for secret in ("SECRET_KEY", *KEY_RINGS):
        assert not any(secret in argument for argument in persisted), f"{secret} in the image"
    assert any("CCPLATFORM_ENV=production" in argument for argument in persisted)


def _dockerignore_rules() -> list[tuple[bool, str]]:
    rules = []
    for raw in (BASE_DIR / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            include = line.startswith("!")
            rules.append((include, line.lstrip("!").strip("/")))
    return rules


def _sent_to_docker(path: str, rules: list[tuple[bool, str]]) -> bool:
    """Whether `path` enters the build context (the last matching rule wins, as in Docker)."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: length + 1]) for length in range(len(parts))]
    sent = True
    for include, pattern in rules:
        if any(fnmatch.fnmatchcase(prefix, pattern) for prefix in prefixes):
            sent = include
    return sent


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        "secrets/secret_key",
        "secrets/field_encryption_keys",
        "secrets/blind_index_keys",
        "secrets/audit_checkpoint_keys",
        "var/db.sqlite3",
        "var/keyring.json",
        ".git/config",
        ".venv/bin/python",
        "x.csv",
    ],
)
def test_dockerignore_keeps_local_state_and_secrets_out_of_the_image(path: str) -> None:
    assert not _sent_to_docker(path, _dockerignore_rules())


def test_dockerignore_sends_everything_the_image_runs(dockerfile: list[Instruction]) -> None:
    rules = _dockerignore_rules()
    first_party = [
        app for app in settings.INSTALLED_APPS if (BASE_DIR / app / "__init__.py").is_file()
    ]
    needed = ["manage.py", "gunicorn.conf.py", *(f"{app}/__init__.py" for app in first_party)]
    for item in dockerfile:
        if item.keyword == "COPY" and not item.argument.startswith("--from"):
            needed += [source for source in shlex.split(item.argument)[:-1] if source != "."]
    missing = [path for path in needed if not _sent_to_docker(path, rules)]
    assert not missing, f".dockerignore leaves out {missing}"
