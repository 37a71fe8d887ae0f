"""Secrets spelt with lookalike or invisible characters, and text that is not well formed."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scalewarden.checks.lib.lookalikes import matching_view, well_formed
from scalewarden.checks.lib.redact import audit_url, redact, secret_kinds

VALUE = "hunter2hunter2"


@pytest.mark.parametrize(
    "key",
    [
        "p\u0430ssword",  # Cyrillic а
        "\u0440assword",  # Cyrillic р
        "t\u043eken",  # Cyrillic о
        "tok\u200ben",  # zero-width space
        "pass\u200dword",  # zero-width joiner
        "se\u00adcret",  # soft hyphen
        "\uff50\uff41\uff53\uff53\uff57\uff4f\uff52\uff44",  # fullwidth letters
        "pa\u0301ssword",  # a combining accent
        "p\u00e1ssword",  # an accented letter
        "\u03c1assword",  # Greek rho
        "api\u2060key",  # word joiner
    ],
)
@pytest.mark.parametrize("sep", ["=", ":", "\uff1d"])  # fullwidth "=" too
def test_key_words_spelt_with_lookalikes_hide_the_value_and_the_key(key: str, sep: str) -> None:
    text = f"scale {key}{sep}{VALUE} policy"
    out = redact(text)
    assert VALUE not in out
    assert out == "scale [REDACTED:credential] policy"  # the original span, lookalikes and all


def test_lookalikes_in_token_prefixes_and_addresses() -> None:
    assert "ghp_" not in redact("deploy_gh\u0440_" + "a1B2c3D4e5F6g7H8i9J0" * 2)
    assert redact("ops@ex\u0430mple.com") == "[REDACTED:email]"
    assert "IOSFODNN7" not in redact("\uff21KIAIOSFODNN7EXAMPLE")  # a fullwidth A


@pytest.mark.parametrize(
    "name",
    [
        "\u043c\u043e\u0439-\u0441\u0435\u0440\u0432\u0438\u0441",  # Cyrillic words
        "caf\u00e9-prod",
        "\u6570\u636e\u5e93-\u7f29\u653e",  # CJK
        "prod\u200dservice",
        "\uff50\uff52\uff4f\uff44-web",
        "r\u00e9sum\u00e9-token-rotation",
    ],
)
def test_ordinary_non_ascii_names_are_left_alone(name: str) -> None:
    assert redact(name) == name
    assert secret_kinds(name) == []


def test_the_view_maps_each_character_back_to_its_original() -> None:
    text = "a\u200bb\uff43\u0430"
    view, origin = matching_view(text)
    assert view == "abca"
    assert origin is not None and list(origin) == [0, 2, 3, 4]
    assert matching_view("plain ascii") == ("plain ascii", None)


@given(st.text(max_size=60))
@settings(max_examples=300, deadline=None)
def test_redaction_never_leaves_a_lone_surrogate(text: str) -> None:
    out = redact(text)
    out.encode("utf-8")  # raises on a lone surrogate
    assert redact(out) == out


@pytest.mark.parametrize(
    "text", ["\ud800", "name-\udfff-tail", "password=\ud83d" + VALUE, "a\ud800@b.io"]
)
def test_lone_surrogates_become_replacement_characters(text: str) -> None:
    out = redact(text)
    out.encode("utf-8")
    assert "\ufffd" in out or out == "[REDACTED:credential]"
    assert VALUE not in out


def test_a_url_with_a_lone_surrogate_is_audited() -> None:
    # ``quote`` encodes to UTF-8: a custom resource id holding one raised, and the check with it
    audit = audit_url("https://api.example.com/\ud800/scale?x=\udc00&token=abc")
    audit.redacted.encode("utf-8")
    assert audit.secret_params == ("token",)


def test_well_formed_keeps_real_characters() -> None:
    emoji = json.loads('"\\ud83d\\ude00"')  # a surrogate pair in JSON is one character
    assert well_formed(emoji) == emoji
    assert well_formed(json.loads('"\\ud83d x"')) == "\ufffd x"
