from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from threatlake.config import SETTINGS, Config, load_config
from threatlake.errors import ConfigError

DOCS = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


def test_settings_table_matches_the_config_object() -> None:
    fields = {f.name: f.default for f in dataclasses.fields(Config)}
    assert fields == {s.name: s.default for s in SETTINGS}


def test_every_setting_is_documented() -> None:
    text = DOCS.read_text()
    assert [s.env for s in SETTINGS if f"`{s.env}`" not in text] == []


def test_environment_then_overrides() -> None:
    config = load_config({"THREATLAKE_PORT": "9000", "THREATLAKE_LOAD_SAMPLES": "no"}, data_dir="/srv/tl")
    assert (config.port, config.load_samples, config.data_dir) == (9000, False, Path("/srv/tl"))
    assert load_config({"THREATLAKE_PORT": "9000"}, port=9100).port == 9100
    assert load_config({}) == Config()
    assert (
        load_config({"THREATLAKE_PUBLIC_URL": "https://tl.example.com/"}).public_url
        == "https://tl.example.com"
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"THREATLAKE_PORT": "0"}, "invalid value for port (THREATLAKE_PORT)"),
        ({"THREATLAKE_MAX_BODY_BYTES": "ten"}, "invalid value for max_body_bytes"),
        ({"THREATLAKE_LOAD_SAMPLES": "maybe"}, "expected true or false"),
        ({"THREATLAKE_PUBLIC_URL": "threatlake.example.com"}, "invalid value for public_url"),
        ({"THREATLAKE_PUBLIC_URL": "https://x.example.com/?a=1"}, "expected an http(s) URL"),
    ],
)
def test_invalid_values_name_the_setting(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_config(env)
