"""Reading typed numbers: one decimal separator, nothing that could mean two numbers."""

from decimal import Decimal

import pytest

from tracker.core import validation
from tracker.core.validation import Invalid


@pytest.mark.parametrize(
    ("typed", "hours"),
    [
        ("1.5", "1.50"),
        ("1,5", "1.50"),
        ("1500", "1500.00"),
        ("0,25", "0.25"),
        (" 12 ", "12.00"),
        ("0.500", "0.50"),
        ("1234.50", "1234.50"),
    ],
)
def test_one_decimal_point_or_comma_is_read(typed, hours):
    assert validation.planned_hours("planned_2025", typed) == Decimal(hours)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1,500", "'1,500' is ambiguous: write 1500 or 1.5, without thousands separators"),
        ("1.500", "'1.500' is ambiguous: write 1500 or 1.5, without thousands separators"),
        ("12.345", "'12.345' is ambiguous: write 12345, without thousands separators"),
        ("1 500", "'1 500' has a thousands separator: write 1500 without one"),
        ("1,500.5", "'1,500.5' has a thousands separator: write 1500.5 without one"),
        ("1.500,5", "'1.500,5' has a thousands separator: write 1500.5 without one"),
        ("1_0", "'1_0' is not a number: write digits with at most one decimal point or comma"),
        ("１２", "'１２': type the digits 0-9, such as 12 or 1.5"),
        ("١٢", "type the digits 0-9"),
        ("1e3", "'1e3' is not a number"),
        ("NaN", "'NaN' is not a number"),
    ],
)
def test_numbers_that_could_be_misread_are_refused_saying_what_to_type(typed, message):
    with pytest.raises(Invalid) as refused:
        validation.planned_hours("planned_2025", typed)
    assert message in refused.value.errors["planned_2025"]


@pytest.mark.parametrize(("number", "hours"), [(1500, "1500.00"), (1.5, "1.50"), (Decimal("2.25"), "2.25")])
def test_json_numbers_are_read_as_they_are(number, hours):
    assert validation.decimal("hours", number) == Decimal(hours)
