"""config.toml documents every setting, with the code's defaults; bad configs fail clearly."""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from pathlib import Path

import pytest

from soundalike.engine.config import ExportFormat, QueryPaths, Settings, load_settings, settings_from_table
from soundalike.engine.embedders.registry import BACKENDS
from soundalike.engine.errors import UserError

CONFIG = Path(__file__).resolve().parents[2] / "config.toml"


def _as_toml_value(value):
    return list(value) if isinstance(value, tuple) else value


# every typed section (engine, index, watch, bridge, tui, and any added later); backends are checked below
SECTIONS = tuple(f.name for f in dataclasses.fields(Settings) if f.name != "backends")


def test_every_section_of_the_code_is_in_config_toml_and_nothing_else():
    assert set(SECTIONS) >= {"engine", "index", "watch", "bridge", "tui"}
    assert set(tomllib.loads(CONFIG.read_text())) == {*SECTIONS, "backends"}


@pytest.mark.parametrize("section", SECTIONS)
def test_config_toml_lists_every_setting_with_its_default_and_a_comment(section):
    table = tomllib.loads(CONFIG.read_text())
    defaults = Settings()
    lines = CONFIG.read_text().splitlines()
    expected = {
        f.name: _as_toml_value(getattr(getattr(defaults, section), f.name))
        for f in dataclasses.fields(getattr(defaults, section))
    }
    assert expected, f"[{section}] has no settings"
    assert table[section] == expected, f"[{section}] in config.toml differs from the code's defaults"
    start = lines.index(f"[{section}]")
    for key in expected:
        at = next(i for i, line in enumerate(lines) if i > start and line.split("=")[0].strip() == key)
        assert lines[at - 1].lstrip().startswith("#"), f"{section}.{key} has no comment above it"


def test_backend_tables_in_config_toml_are_valid_options():
    for name, options in tomllib.loads(CONFIG.read_text()).get("backends", {}).items():
        valid = {f.name for f in dataclasses.fields(BACKENDS[name].Options)}
        assert set(options) <= valid, f"[backends.{name}] has unknown settings"


def test_user_config_overrides_defaults(tmp_path, monkeypatch):
    user = tmp_path / "mine.toml"
    user.write_text('[engine]\nworkers = 3\nbackends = ["builtin"]\n[index]\ndefault_k = 25\n')
    monkeypatch.delenv("SOUNDALIKE_DATA_DIR", raising=False)
    settings = load_settings(user)
    assert settings.engine.workers == 3 and settings.index.default_k == 25
    assert settings.engine.max_seconds == Settings().engine.max_seconds


def test_data_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SOUNDALIKE_DATA_DIR", str(tmp_path / "lib"))
    monkeypatch.setenv("SOUNDALIKE_CONFIG", str(tmp_path / "absent.toml"))
    assert load_settings().engine.resolved_data_dir() == tmp_path / "lib"


@pytest.mark.parametrize(
    "table,message",
    [
        ({"engin": {}}, "unknown section"),
        ({"engine": {"workerz": 2}}, "unknown setting"),
        ({"engine": {"workers": "two"}}, "must be int"),
        ({"engine": {"backends": "builtin"}}, "must be a list"),
        ({"tui": {"autoplay": 1}}, "must be bool"),
    ],
)
def test_bad_settings_are_user_errors(table, message):
    with pytest.raises(UserError, match=message):
        settings_from_table(table)


def test_missing_config_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_a_bad_config_reports_every_problem_in_one_line():
    table = {
        "engin": {},
        "engine": {"workers": "two", "musical": 1},
        "tui": {"autoplai": True},
        "backends": {"clap": 3},
    }
    with pytest.raises(UserError) as caught:
        settings_from_table(table, source="my.toml")
    message = str(caught.value)
    assert "\n" not in message
    for part in (
        "unknown section(s) ['engin']",
        "[engine]: workers must be int",
        "[engine]: musical must be bool",
        "[tui]: unknown setting(s) ['autoplai']",
        "[backends] must hold",
    ):
        assert part in message


@pytest.mark.parametrize(
    "section, name, bad, valid",
    [
        ("bridge", "query_paths", "everywhere", "library, anywhere"),
        ("tui", "export_mode", "move", "copy, link"),
        ("tui", "export_format", "mp3", "keep, wav"),
    ],
)
def test_a_setting_with_choices_takes_only_those_and_says_which(section, name, bad, valid):
    with pytest.raises(UserError, match=f"\\[{section}\\]: {name} must be one of {valid}, got '{bad}'"):
        settings_from_table({section: {name: bad}})
    for choice in valid.split(", "):
        assert getattr(getattr(settings_from_table({section: {name: choice}}), section), name) == choice


def test_the_checks_of_a_choice_read_the_settings_own_list():
    from soundalike.bridge.osc.path_policy import MODES
    from soundalike.tui.export import FORMATS

    assert MODES == typing.get_args(QueryPaths) and FORMATS == typing.get_args(ExportFormat)
