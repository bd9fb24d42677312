from __future__ import annotations

import json

import pytest

from coffer.imports.parsers import PRESETS, CsvMapping, MappingError


def test_a_mapping_round_trips_through_json() -> None:
    mapping = CsvMapping(
        date_column="Buchungstag",
        date_format="%d.%m.%Y",
        debit_column="Soll",
        credit_column="Haben",
        payee_column=3,
        memo_columns=("Verwendungszweck", 5),
        decimal_comma=True,
        delimiter="\t",
        skip_rows=4,
        encoding="cp1252",
    )
    saved = json.loads(json.dumps(mapping.to_dict()))
    assert saved["version"] == 1
    assert CsvMapping.from_dict(saved) == mapping


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_round_trip(name: str) -> None:
    assert CsvMapping.from_dict(PRESETS[name].to_dict()) == PRESETS[name]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"date_column": "D"}, "amount_column: give an amount column"),
        ({"date_column": "D", "amount_column": "A", "debit_column": "X"}, "not both"),
        ({"date_column": "D", "debit_column": "X"}, "debit and credit columns go together"),
        ({"date_column": "D", "amount_column": "A", "date_format": "%Y"}, "date_format:"),
        ({"date_column": "D", "amount_column": "A", "delimiter": ";;"}, "delimiter:"),
        ({"date_column": "D", "amount_column": "A", "encoding": "klingon"}, "encoding:"),
        ({"date_column": "D", "amount_column": "A", "skip_rows": 5000}, "skip_rows:"),
        ({"date_column": "D", "amount_column": "A", "skip_rows": "2"}, "skip_rows:"),
        ({"date_column": "D", "amount_column": "A", "negate": "yes"}, "negate:"),
        ({"date_column": " ", "amount_column": "A"}, "cannot be empty"),
        ({"date_column": -1, "amount_column": "A"}, "count from 0"),
        ({"date_column": "D", "amount_column": "A", "has_header": False}, "by position"),
        ({"date_column": "D", "amount_column": "A", "surprise": 1}, "surprise: not a mapping"),
        ({"date_column": ["D"], "amount_column": "A"}, "wrong type"),
        ({"date_column": "D", "amount_column": "A", "memo_columns": [{}]}, "memo_columns:"),
    ],
)
def test_bad_saved_mappings_are_refused_naming_the_field(
    data: dict[str, object], problem: str
) -> None:
    with pytest.raises(MappingError) as caught:
        CsvMapping.from_dict(data)
    assert any(problem in message for message in caught.value.problems), caught.value.problems


def test_a_mapping_is_a_json_object() -> None:
    with pytest.raises(MappingError, match="JSON object"):
        CsvMapping.from_dict(["date"])  # type: ignore[arg-type]
