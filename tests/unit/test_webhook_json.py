"""webhooks.common.parse_json_object: orjson on the usual body, the standard parser with its checks on the rest,
the same answer either way."""

from __future__ import annotations

import json
from typing import Any

import pytest

from webhooks import common
from webhooks.common import MAX_JSON_INTEGER, Rejected, parse_json_object


def standard(body: bytes) -> dict[str, Any] | str:
    """What the standard parser alone answers: the object, or the reason it is refused."""
    try:
        payload = json.loads(body, parse_int=common._json_int, parse_float=common._json_float,
                             parse_constant=common._json_constant)
        common._check_depth(body, payload)
    except common.AbsurdJSON as exc:
        return f"absurd JSON: {exc}"
    except RecursionError:
        return f"absurd JSON: nested deeper than {common.MAX_JSON_DEPTH} levels"
    except (ValueError, UnicodeDecodeError) as exc:
        return f"malformed JSON: {exc}"
    return payload if isinstance(payload, dict) else "JSON body must be an object"


def answer(body: bytes) -> dict[str, Any] | str:
    try:
        return parse_json_object(body)
    except Rejected as rejected:
        assert rejected.status == 400
        return rejected.reason


BODIES = [
    b'{"id": 820982911946154508, "line_items": [{"sku": "A", "quantity": 2, "price": "19.99"}]}',
    b'{"total_weight": 0, "rate": 0.06, "neg": -0.0, "big": 1.5e308, "tiny": 1e-400, "e": 1E2}',
    b'{"note": "caf\\u00e9 \\ud83d\\ude00", "unicode": "\xc3\xa9", "nested": {"a": [1, [2, [3]]]}}',
    b' {"a" : 1 } \n',
    b'{"a": 1, "a": 2}',
    b'{"ref": "gateway 1234567890123456789012"}',  # a long digit run in a string: the standard path
    b'{"id": %d}' % MAX_JSON_INTEGER,
    b'{"id": %d}' % -MAX_JSON_INTEGER,
    b'{"id": 999999999999999999}',  # 18 digits: orjson
    b'{"id": %d}' % (MAX_JSON_INTEGER + 1),  # orjson would take it (64-bit unsigned)
    b'{"id": 18446744073709551616}',  # orjson would turn it into a float
    b'{"id": -9223372036854775809}',
    b'{"id": 1000000000000000000000000000000}',
    b'{"total": 1e400}',
    b'{"total": -1e400}',
    b'{"total": NaN}',
    b'{"total": Infinity}',
    b'{"lone": "\\ud800"}',  # the standard parser takes a lone surrogate escape; orjson does not
    b'\xef\xbb\xbf{"bom": 1}',
    b'{"bad": "\xff"}',
    b'{"a": 1} trailing',
    b'{"a": ',
    b"",
    b"null",
    b"[1, 2]",
    b'"text"',
    b"[" * 40 + b"]" * 40,
    b'{"deep": ' + b"[" * 70 + b"]" * 70 + b"}",
    b'{"deep": ' + b"[" * 2000 + b"]" * 2000 + b"}",  # past orjson's own depth limit
]


@pytest.mark.parametrize("body", BODIES, ids=[body[:40].decode("latin-1") for body in BODIES])
def test_the_answer_is_the_standard_parsers_whichever_parser_reads_the_body(body):
    expected = standard(body)
    got = answer(body)
    if isinstance(expected, str) and expected.startswith("malformed JSON"):
        assert isinstance(got, str) and got.startswith("malformed JSON")  # orjson's wording may differ
    else:
        assert got == expected
        assert type(got) is type(expected)
        if isinstance(expected, dict):
            assert json.dumps(got, sort_keys=True) == json.dumps(expected, sort_keys=True)  # ints stay ints


@pytest.mark.parametrize("body", [
    b'{"id": %d}' % (MAX_JSON_INTEGER + 1),
    b'{"id": 18446744073709551616}',
    b'{"line_items": [{"quantity": 1000000000000000000000000000000}]}',
])
def test_integers_past_the_limit_are_refused_even_where_orjson_would_take_them(body):
    with pytest.raises(Rejected, match="absurd JSON: integer .* is out of range"):
        parse_json_object(body)


def test_the_usual_body_goes_to_orjson_and_a_long_digit_run_to_the_standard_parser(monkeypatch):
    calls: list[str] = []
    real_orjson, real_json = common.orjson.loads, common.json.loads
    monkeypatch.setattr(common.orjson, "loads", lambda body: calls.append("orjson") or real_orjson(body))
    monkeypatch.setattr(common.json, "loads", lambda body, **kw: calls.append("json") or real_json(body, **kw))
    assert parse_json_object(b'{"id": 820982911946154508, "note": "12345678901234567"}') == {
        "id": 820982911946154508, "note": "12345678901234567"}
    assert calls == ["orjson"]
    calls.clear()
    assert parse_json_object(b'{"id": 1, "note": "1234567890123456789"}') == {"id": 1, "note": "1234567890123456789"}
    assert calls == ["json"]
    calls.clear()
    with pytest.raises(Rejected, match="absurd JSON: NaN"):
        parse_json_object(b'{"total": NaN}')
    assert calls == ["orjson", "json"]  # orjson refused it; the standard parser says why
