"""A drill-down's query string is what urlencode makes of its filters, whatever they
hold, and the transaction search reads it back to the same filter."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from urllib.parse import parse_qsl, urlencode

from hypothesis import given
from hypothesis import strategies as st

from coffer.reports.engine import Drilldown

ids = st.lists(st.uuids(), max_size=4).map(tuple)
drilldowns = st.builds(
    Drilldown,
    date_from=st.none() | st.dates(),
    date_to=st.none() | st.dates(),
    account_ids=ids,
    category_ids=ids,
    tag_ids=ids,
    merchant_ids=ids,
    uncategorised=st.booleans(),
    transfers=st.none() | st.booleans(),
)


@given(drilldowns)
def test_the_query_string_is_urlencoded_pairs(drill: Drilldown) -> None:
    text = drill.query_string()
    assert text == urlencode(drill.pairs())
    assert parse_qsl(text) == drill.pairs()


@given(drilldowns, st.none() | st.dates(), st.none() | st.dates())
def test_other_dates_read_as_the_search_with_those_dates(
    drill: Drilldown, date_from: date | None, date_to: date | None
) -> None:
    moved = replace(drill, date_from=date_from, date_to=date_to)
    assert drill.query_string_between(date_from, date_to) == urlencode(moved.pairs())
