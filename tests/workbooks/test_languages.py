"""The workbooks in the person's language, and an import that reads any of the three.

The words come from the catalogues as they are (tracker/translations): with the French and
Spanish catalogues merged, the sheets are in French and Spanish; the tests hold either way.
"""

import io

import openpyxl
import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from tests.workbooks.test_imports import export, history_count, import_into, values
from tracker.core.i18n import LANGUAGES
from tracker.plans.models import Action, Status


def sheets(data: bytes) -> dict:
    return {sheet.title: sheet for sheet in openpyxl.load_workbook(io.BytesIO(data))}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_plan_workbook_is_written_in_the_person_s_language(session, iclei, language):
    with force_locale(language):
        data = export(session, iclei)
        expected_sheets = [_("Plan"), _("Actions"), _("Hours"), _("History")]
        header = [_("Code"), _("Pillar"), _("Title"), _("Status")]
        words = {_(status.value) for status in Status}
    book = sheets(data)
    assert list(book) == expected_sheets
    actions = book[expected_sheets[1]]
    assert [cell.value for cell in actions[1]][:4] == header
    shown = {actions.cell(row, 4).value for row in range(2, actions.max_row + 1)}
    assert shown <= words and shown
    # Content stays as typed: the action titles are the plan's own, whatever the language.
    titles = {actions.cell(row, 3).value for row in range(2, actions.max_row + 1)}
    assert titles == set(session.scalars(sa.select(Action.title).where(Action.plan_id == iclei)))


@pytest.mark.parametrize("reader", LANGUAGES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_workbook_exported_in_any_language_round_trips_and_writes_nothing(session, iclei, language, reader):
    with force_locale(language):
        first = export(session, iclei)
    before = history_count(session)
    with force_locale(reader):
        result = import_into(session, first)
    assert (result.created, result.added, result.changed, result.unchanged) == (False, 0, 0, 17)
    assert history_count(session) == before
    with force_locale(language):
        assert values(export(session, iclei)) == values(first)
