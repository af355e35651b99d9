"""The environment readers behind settings.py: typed values, secret files, .env, secret keys."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from ccplatform.config import ConfigurationError, Env, Rate, check_secret_key, read_dotenv

STRONG_KEY = "Zq3vX9pL2mN7bR4tY8wK1cJ6hF5gD0sA-_eUiOoPlMnBvCxQzWaSdErTy"


# --- flag ----------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["1", "true", "TRUE", "yes", " on "])
def test_flag_reads_true_spellings(raw: str) -> None:
    assert Env({"DEBUG": raw}).flag("DEBUG", False) is True


@pytest.mark.parametrize("raw", ["0", "false", "No", "off"])
def test_flag_reads_false_spellings(raw: str) -> None:
    assert Env({"DEBUG": raw}).flag("DEBUG", True) is False


@pytest.mark.parametrize("environ", [{}, {"DEBUG": ""}, {"DEBUG": "   "}])
def test_flag_unset_or_empty_gives_the_default(environ: dict[str, str]) -> None:
    assert Env(environ).flag("DEBUG", True) is True
    assert Env(environ).flag("DEBUG", False) is False


def test_flag_with_another_word_is_an_error_naming_the_variable() -> None:
    with pytest.raises(ConfigurationError, match=r"^DEBUG must be true or false, got 'maybe'$"):
        Env({"DEBUG": "maybe"}).flag("DEBUG", False)


# --- integer -------------------------------------------------------------------------------


def test_integer_reads_a_whole_number_and_defaults_when_unset() -> None:
    assert Env({"PORT": " 8080 "}).integer("PORT", 1) == 8080
    assert Env({}).integer("PORT", 1) == 1


@pytest.mark.parametrize("raw", ["abc", "1.5", "10s"])
def test_integer_that_is_not_a_whole_number_is_an_error_naming_the_variable(raw: str) -> None:
    with pytest.raises(ConfigurationError, match=r"^DB_CONN_MAX_AGE must be a whole number"):
        Env({"DB_CONN_MAX_AGE": raw}).integer("DB_CONN_MAX_AGE", 600)


def test_integer_below_its_minimum_is_an_error_naming_the_variable() -> None:
    with pytest.raises(
        ConfigurationError, match=r"^MAX_REQUEST_BYTES must be at least 1024, got 5$"
    ):
        Env({"MAX_REQUEST_BYTES": "5"}).integer("MAX_REQUEST_BYTES", 4096, minimum=1024)
    assert Env({"MAX_REQUEST_BYTES": "1024"}).integer("MAX_REQUEST_BYTES", 0, minimum=1024) == 1024


# --- items, choice, text -------------------------------------------------------------------


def test_items_splits_on_commas_and_drops_blanks() -> None:
    env = Env({"ALLOWED_HOSTS": " a.example, b.example ,,c.example,"})
    assert env.items("ALLOWED_HOSTS") == ["a.example", "b.example", "c.example"]


def test_items_unset_gives_a_copy_of_the_default() -> None:
    default = ["localhost"]
    value = Env({"ALLOWED_HOSTS": " "}).items("ALLOWED_HOSTS", default)
    assert value == ["localhost"]
    value.append("changed")
    assert default == ["localhost"]
    assert Env({}).items("ALLOWED_HOSTS") == []


def test_subset_reads_known_items_in_any_case_or_none() -> None:
    choices = ("gdpr", "hipaa")
    assert Env({"R": "HIPAA, gdpr,hipaa"}).subset("R", choices, []) == ["gdpr", "hipaa"]
    assert Env({}).subset("R", choices, ["gdpr"]) == ["gdpr"]
    assert Env({"R": "none"}).subset("R", choices, ["gdpr"]) == []


def test_subset_names_the_unknown_items() -> None:
    with pytest.raises(ConfigurationError, match=r"R takes gdpr, hipaa .*got ccpa"):
        Env({"R": "gdpr,ccpa"}).subset("R", ("gdpr", "hipaa"), [])


def test_choice_accepts_any_case_and_defaults_when_unset() -> None:
    choices = ("production", "development")
    assert Env({"CCPLATFORM_ENV": "Development"}).choice(
        "CCPLATFORM_ENV", choices, "production"
    ) == ("development")
    assert Env({}).choice("CCPLATFORM_ENV", choices, "production") == "production"


def test_choice_outside_the_list_is_an_error_naming_the_variable_and_the_choices() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Env({"CCPLATFORM_ENV": "staging"}).choice(
            "CCPLATFORM_ENV", ("production", "development"), "production"
        )
    assert str(caught.value) == (
        "CCPLATFORM_ENV must be one of production, development, got 'staging'"
    )


def test_required_text_missing_is_an_error_naming_the_variable() -> None:
    with pytest.raises(ConfigurationError, match=r"^EMAIL_HOST is required and not set$"):
        Env({"EMAIL_HOST": ""}).text("EMAIL_HOST")
    assert Env({}).text("EMAIL_HOST", "localhost") == "localhost"


# --- secret --------------------------------------------------------------------------------


def test_secret_reads_the_variable_itself() -> None:
    assert Env({"SECRET_KEY": "s3cr$t"}).secret("SECRET_KEY") == "s3cr$t"
    assert Env({}).secret("SECRET_KEY") is None


def test_secret_reads_the_file_named_by_name_file_without_the_trailing_newline(
    tmp_path: Path,
) -> None:
    secret_file = tmp_path / "secret_key"
    secret_file.write_text("from-a-docker-secret\n", encoding="utf-8")
    env = Env({"SECRET_KEY_FILE": str(secret_file)})
    assert env.secret("SECRET_KEY") == "from-a-docker-secret"


def test_secret_set_both_ways_is_an_error(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret_key"
    secret_file.write_text("one", encoding="utf-8")
    env = Env({"SECRET_KEY": "two", "SECRET_KEY_FILE": str(secret_file)})
    with pytest.raises(ConfigurationError, match=r"^set SECRET_KEY or SECRET_KEY_FILE, not both$"):
        env.secret("SECRET_KEY")


def test_secret_file_that_cannot_be_read_is_an_error_naming_the_variable(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(ConfigurationError) as caught:
        Env({"DATABASE_URL_FILE": str(missing)}).secret("DATABASE_URL")
    message = str(caught.value)
    assert message.startswith("DATABASE_URL_FILE points to ")
    assert str(missing) in message
    assert "cannot be read" in message
    assert "\n" not in message


def test_secret_file_that_is_a_directory_is_an_error_naming_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"^REDIS_URL_FILE points to"):
        Env({"REDIS_URL_FILE": str(tmp_path)}).secret("REDIS_URL")


# --- read_dotenv ---------------------------------------------------------------------------


def _dotenv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".env"
    path.write_text(text, encoding="utf-8")
    return path


def test_dotenv_values_are_literal_and_quotes_are_stripped(tmp_path: Path) -> None:
    path = _dotenv(
        tmp_path,
        "# a comment\n"
        "\n"
        "SECRET_KEY=ab$cd${HOME}$ef\n"
        'export QUOTED="two words"\n'
        "SINGLE='$HOME'\n"
        "  SPACED =  padded value  \n"
        "EMPTY=\n"
        'HALF_QUOTED="open\n',
    )
    environ: dict[str, str] = {}
    read_dotenv(path, environ)
    assert environ == {
        "SECRET_KEY": "ab$cd${HOME}$ef",
        "QUOTED": "two words",
        "SINGLE": "$HOME",
        "SPACED": "padded value",
        "EMPTY": "",
        "HALF_QUOTED": '"open',
    }


def test_dotenv_never_overrides_the_environment(tmp_path: Path) -> None:
    path = _dotenv(tmp_path, "CCPLATFORM_ENV=development\nDEBUG=true\n")
    environ = {"CCPLATFORM_ENV": "production"}
    read_dotenv(path, environ)
    assert environ == {"CCPLATFORM_ENV": "production", "DEBUG": "true"}


def test_dotenv_malformed_line_is_an_error_with_its_line_number(tmp_path: Path) -> None:
    path = _dotenv(tmp_path, "# header\nGOOD=1\nthis is not a setting\n")
    with pytest.raises(ConfigurationError) as caught:
        read_dotenv(path, {})
    assert str(caught.value) == f"{path}:3 is not a KEY=VALUE line"


def test_dotenv_missing_file_is_not_an_error(tmp_path: Path) -> None:
    environ: dict[str, str] = {}
    read_dotenv(tmp_path / ".env", environ)
    assert environ == {}


# --- check_secret_key ----------------------------------------------------------------------


def test_strong_secret_key_is_accepted() -> None:
    generated = secrets.token_urlsafe(50)
    assert check_secret_key("SECRET_KEY", generated) == generated
    assert check_secret_key("SECRET_KEY", STRONG_KEY) == STRONG_KEY


@pytest.mark.parametrize("value", [None, ""])
def test_missing_secret_key_is_refused(value: str | None) -> None:
    with pytest.raises(ConfigurationError, match=r"^SECRET_KEY \(or SECRET_KEY_FILE\) is required"):
        check_secret_key("SECRET_KEY", value)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(STRONG_KEY[:49], id="49-characters"),
        pytest.param("ab" * 40, id="two-distinct-characters"),
        pytest.param("abcdefghi" * 8, id="nine-distinct-characters"),
        pytest.param("django-insecure-" + STRONG_KEY, id="django-placeholder"),
    ],
)
def test_weak_secret_key_is_refused_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigurationError, match=r"^SECRET_KEY is too weak") as caught:
        check_secret_key("SECRET_KEY", value)
    assert value not in str(caught.value), "the message must not echo the secret"


# --- rate ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "count", "seconds"),
    [("30/hour", 30, 3600), (" 5 / Minute ", 5, 60), ("1/second", 1, 1), ("2/day", 2, 86400)],
)
def test_rate_reads_a_count_per_period(raw: str, count: int, seconds: int) -> None:
    rate = Env({"REVEAL_RATE": raw}).rate("REVEAL_RATE", "30/hour")
    assert (rate.count, rate.seconds) == (count, seconds)


def test_rate_unset_gives_the_default_and_prints_as_drf_reads_it() -> None:
    rate = Env({}).rate("API_THROTTLE_ANON", "60/minute")
    assert rate == Rate(60, "minute")
    assert str(rate) == "60/minute"


@pytest.mark.parametrize("raw", ["30/hours", "30", "thirty/hour", "0/hour", "-1/hour", "30/h"])
def test_a_malformed_rate_is_an_error_naming_the_variable(raw: str) -> None:
    with pytest.raises(ConfigurationError, match=r"^REVEAL_RATE must look like 30/hour"):
        Env({"REVEAL_RATE": raw}).rate("REVEAL_RATE", "30/hour")
