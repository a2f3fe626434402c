"""Engine errors become safe messages: the kind of failure, never the engine's text or the SQL."""

from __future__ import annotations

import pytest

from threatlake.query.failures import FAILED, user_message


@pytest.mark.parametrize(
    ("engine_text", "kind"),
    [
        (
            'Out of Range Error: Overflow in multiplication of INT64 (2 * 4611686018427387904)! SELECT "x"',
            "range",
        ),
        ("Conversion Error: Could not convert string 'x' to INT64 in SELECT CAST($1 AS BIGINT)", "converted"),
        ("Out of Memory Error: could not allocate block of size 256.0 KiB (3.7 GiB/3.7 GiB used)", "memory"),
        ("INTERRUPT Error: Interrupted!", "cancelled"),
        ("Code: 159. DB::Exception: Timeout exceeded: elapsed 60.0 seconds", "longer"),
        ("Invalid Input Error: Malformed JSON at byte 3 of input: unexpected character.", "cannot process"),
    ],
)
def test_engine_errors_are_described_without_their_text(engine_text: str, kind: str) -> None:
    message = user_message(engine_text)
    assert message.startswith(FAILED) and kind in message
    for leak in ("SELECT", "$1", "INT64", "Error", "DB::", "KiB", "byte 3"):
        assert leak not in message


def test_unknown_engine_errors_say_only_that_it_failed() -> None:
    message = user_message(
        'Binder Error: Referenced column "x" not found in FROM clause! SELECT "x" FROM events'
    )
    assert message == f"{FAILED}."
