"""How a batch's rows travel to PostgreSQL (connector/restock/repository.py): integers as one array
text, repeated strings once with a position per row; anything that is not an int is refused."""

from __future__ import annotations

import pytest

from connector.restock.repository import _indexed, _int_array


def test_integers_travel_as_postgresqls_array_text():
    assert _int_array([3, 10, -2]) == "{3,10,-2}"
    assert _int_array([]) == "{}"
    assert _int_array(iter([True, 7])) == "{1,7}"


@pytest.mark.parametrize("bad", ["1", "1,2", 1.5, None])
def test_anything_but_an_int_is_refused_before_it_reaches_the_statement(bad):
    with pytest.raises(TypeError):
        _int_array([1, bad])


def test_repeated_values_travel_once_and_each_row_names_its_position():
    rows = [("purchase_order", "po:1"), ("purchase_order", "po:1"), ("store_stock", 'x,"}'),
            ("purchase_order", "po:1")]
    assert _indexed(rows) == ([("purchase_order", "po:1"), ("store_stock", 'x,"}')], "{1,1,2,1}")
    assert _indexed(iter(["allocated", "open", "open"])) == (["allocated", "open"], "{1,2,2}")
