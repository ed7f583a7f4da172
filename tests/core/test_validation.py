"""Reading typed numbers: one decimal separator, nothing that could mean two numbers."""

from decimal import Decimal

import pytest
from flask_babel import force_locale

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
        ("1,500.5.5", "'1,500.5.5' is not a number"),
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


@pytest.mark.parametrize(
    ("language", "typed", "hours"),
    [
        ("fr", "1,5", "1.5"),
        ("fr", "1\u202f234,5", "1234.5"),
        ("fr", "1 234,5", "1234.5"),
        ("fr", "1.5", "1.5"),
        ("es", "1.234,5", "1234.5"),
        ("es", "1,5", "1.5"),
        ("en", "1,234.5", "1234.5"),
        ("en", "1.5", "1.5"),
        ("en", "12,345,678", "12345678"),
    ],
)
def test_hours_are_read_with_the_separators_of_the_person_s_language(app, language, typed, hours):
    with app.test_request_context(), force_locale(language):
        assert validation.decimal("planned_2025", typed) == Decimal(hours)


@pytest.mark.parametrize(
    ("language", "typed"),
    [
        ("en", "1,500"),  # 1500, or someone's 1.5
        ("es", "1.500"),
        ("fr", "1.500"),
        ("en", "1.234,5"),  # another language's grouping
        ("es", "1,234.5"),
        ("fr", "1,234.5"),
    ],
)
def test_a_number_that_could_be_misread_in_the_language_is_refused_naming_the_field(app, language, typed):
    with app.test_request_context(), force_locale(language), pytest.raises(Invalid) as refused:
        validation.decimal("planned_2025", typed)
    assert list(refused.value.errors) == ["planned_2025"]
    assert typed in refused.value.errors["planned_2025"]


@pytest.mark.parametrize(("number", "hours"), [(1500, "1500.00"), (1.5, "1.50"), (Decimal("2.25"), "2.25")])
def test_json_numbers_are_read_as_they_are(number, hours):
    assert validation.decimal("hours", number) == Decimal(hours)
