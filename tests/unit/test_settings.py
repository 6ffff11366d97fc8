"""Settings: defaults, then TOML, then SITREP_* variables, then keyword overrides."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import Secret, Settings, SettingsError

TOKEN = "123456:AAE-secret-token-value"


@pytest.fixture
def empty_toml(tmp_path: Path) -> Path:
    path = tmp_path / "empty.toml"
    path.write_text("", encoding="utf-8")
    return path


def toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sitrep.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_when_nothing_is_configured(empty_toml: Path) -> None:
    settings = Settings.load(env={}, config_file=empty_toml)
    assert settings == Settings()
    assert settings.ask_top_k == 5
    assert settings.ask_max_k == 8
    assert settings.data_dir == Path("data")
    assert settings.vector_index == "faiss"
    assert settings.hf_offline is True
    assert settings.telegram_token is None
    assert settings.db_path == Path("data") / "sitrep.sqlite3"


def test_project_config_file_loads_when_none_is_given() -> None:
    # config/default.toml is read by default: every key in it must be a known, valid setting.
    assert isinstance(Settings.load(env={}), Settings)


def test_toml_section_key_sets_the_field(tmp_path: Path) -> None:
    path = toml(tmp_path, "[ask]\ntop_k = 3\nthreshold = 0.5\n\n[ingest]\ntimeout_s = 5\n")
    settings = Settings.load(env={}, config_file=path)
    assert settings.ask_top_k == 3
    assert settings.ask_threshold == 0.5
    assert settings.ingest_timeout_s == 5.0
    assert isinstance(settings.ingest_timeout_s, float)


def test_sitrep_config_variable_names_the_toml_file(tmp_path: Path) -> None:
    path = toml(tmp_path, "[ask]\ntop_k = 2\n")
    assert Settings.load(env={"SITREP_CONFIG": str(path)}).ask_top_k == 2


def test_env_overrides_toml(tmp_path: Path) -> None:
    path = toml(tmp_path, "[ask]\ntop_k = 3\n")
    settings = Settings.load(env={"SITREP_ASK_TOP_K": "6"}, config_file=path)
    assert settings.ask_top_k == 6


def test_keyword_overrides_override_env(tmp_path: Path) -> None:
    path = toml(tmp_path, "[ask]\ntop_k = 3\n")
    env = {"SITREP_ASK_TOP_K": "6", "SITREP_ASK_THRESHOLD": "0.4"}
    settings = Settings.load(env=env, config_file=path, ask_top_k=2, ask_threshold=None)
    assert settings.ask_top_k == 2
    assert settings.ask_threshold == 0.4  # None means "not given on the command line"


def test_data_dir_from_env_is_a_path(empty_toml: Path, tmp_path: Path) -> None:
    settings = Settings.load(
        env={"SITREP_DATA_DIR": str(tmp_path / "store")}, config_file=empty_toml
    )
    assert settings.data_dir == tmp_path / "store"
    assert isinstance(settings.data_dir, Path)
    assert settings.db_path == tmp_path / "store" / "sitrep.sqlite3"


def test_index_path_follows_the_vector_index_kind(empty_toml: Path) -> None:
    faiss = Settings.load(env={}, config_file=empty_toml)
    numpy = Settings.load(env={"SITREP_VECTOR_INDEX": "numpy"}, config_file=empty_toml)
    assert faiss.index_path.name == "vectors.faiss"
    assert numpy.index_path.name == "vectors.npz"


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("SITREP_ASK_TOP_K", "abc"),
        ("SITREP_ASK_THRESHOLD", "high"),
        ("SITREP_HF_OFFLINE", "maybe"),
        ("SITREP_ASK_TOP_K", "3.5"),
    ],
)
def test_bad_env_value_raises_settings_error_naming_the_variable(
    empty_toml: Path, var: str, value: str
) -> None:
    with pytest.raises(SettingsError, match=var) as info:
        Settings.load(env={var: value}, config_file=empty_toml)
    assert repr(value) in str(info.value)


def test_bad_keyword_value_names_the_command_line_option(empty_toml: Path) -> None:
    with pytest.raises(SettingsError, match="--ask-top-k"):
        Settings.load(env={}, config_file=empty_toml, ask_top_k="many")


def test_toml_bool_for_a_number_is_rejected(tmp_path: Path) -> None:
    path = toml(tmp_path, "[ask]\ntop_k = true\n")
    with pytest.raises(SettingsError, match="ask_top_k"):
        Settings.load(env={}, config_file=path)


def test_toml_fraction_for_a_whole_number_is_rejected(tmp_path: Path) -> None:
    path = toml(tmp_path, "[ask]\ntop_k = 3.7\n")
    with pytest.raises(SettingsError, match="ask_top_k"):
        Settings.load(env={}, config_file=path)


def test_unknown_toml_key_is_named(tmp_path: Path) -> None:
    path = toml(tmp_path, "[ask]\ntopk = 3\n")
    with pytest.raises(SettingsError, match="ask_topk"):
        Settings.load(env={}, config_file=path)


def test_invalid_toml_raises_settings_error(tmp_path: Path) -> None:
    path = toml(tmp_path, "[ask\ntop_k = = 3\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        Settings.load(env={}, config_file=path)


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(SettingsError, match=r"nope\.toml"):
        Settings.load(env={}, config_file=missing)


def test_top_k_above_max_k_is_rejected(empty_toml: Path) -> None:
    with pytest.raises(SettingsError, match="ask_top_k"):
        Settings.load(env={"SITREP_ASK_TOP_K": "9"}, config_file=empty_toml)
    raised = Settings.load(
        env={"SITREP_ASK_TOP_K": "9", "SITREP_ASK_MAX_K": "10"}, config_file=empty_toml
    )
    assert (raised.ask_top_k, raised.ask_max_k) == (9, 10)


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"SITREP_ASK_TOP_K": "0"}, "ask_top_k"),
        ({"SITREP_INGEST_TIMEOUT_S": "-1"}, "ingest_timeout_s"),
        ({"SITREP_ASK_LEXICAL_WEIGHT": "1.5"}, "ask_lexical_weight"),
        ({"SITREP_VECTOR_INDEX": "annoy"}, "vector_index"),
    ],
)
def test_out_of_range_values_are_rejected_by_name(
    empty_toml: Path, env: dict[str, str], name: str
) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.load(env=env, config_file=empty_toml)


def test_telegram_token_is_a_secret_that_never_prints(empty_toml: Path) -> None:
    settings = Settings.load(env={"SITREP_TELEGRAM_TOKEN": TOKEN}, config_file=empty_toml)
    assert isinstance(settings.telegram_token, Secret)
    assert settings.telegram_token.get() == TOKEN
    for shown in (
        repr(settings),
        str(settings),
        repr(settings.telegram_token),
        str(settings.telegram_token),
        f"{settings.telegram_token}",
    ):
        assert TOKEN not in shown
        assert "123456" not in shown


def test_empty_telegram_token_means_no_token(empty_toml: Path) -> None:
    settings = Settings.load(env={"SITREP_TELEGRAM_TOKEN": ""}, config_file=empty_toml)
    assert settings.telegram_token is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("false", False), ("1", True), ("0", False), ("TRUE", True), (" no ", False)],
)
def test_bools_parse_common_spellings(empty_toml: Path, raw: str, expected: bool) -> None:
    settings = Settings.load(env={"SITREP_HF_OFFLINE": raw}, config_file=empty_toml)
    assert settings.hf_offline is expected


def test_toml_bool_is_read(tmp_path: Path) -> None:
    path = toml(tmp_path, "hf_offline = false\n")
    assert Settings.load(env={}, config_file=path).hf_offline is False


def test_replace_validates_like_load(empty_toml: Path) -> None:
    settings = Settings.load(env={}, config_file=empty_toml)
    assert settings.replace(ask_top_k=7).ask_top_k == 7
    with pytest.raises(SettingsError, match="ask_top_k"):
        settings.replace(ask_top_k=20)


def test_log_level_is_checked_and_applied(empty_toml: Path, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="log_level"):
        Settings.load(env={"SITREP_CONFIG": str(empty_toml), "SITREP_LOG_LEVEL": "loud"})
    settings = Settings.load(env={"SITREP_CONFIG": str(empty_toml), "SITREP_LOG_LEVEL": "info"})
    assert settings.log_level == "info"


def test_the_cli_applies_the_log_level(
    empty_toml: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = logging.getLogger()
    before = root.level
    monkeypatch.setenv("SITREP_CONFIG", str(empty_toml))
    monkeypatch.setenv("SITREP_LOG_LEVEL", "error")
    try:
        assert main(["--data-dir", str(tmp_path / "data"), "stats"]) == 0
        assert root.level == logging.ERROR
    finally:
        root.setLevel(before)
