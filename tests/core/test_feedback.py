"""One style for feedback: messages announced by kind, problems named by their labels, a summary
linking to the fields of a form with several problems, and a way out of every edit form."""

import re

import sqlalchemy as sa

from tests.pages import text
from tracker.core.forms import label_of
from tracker.plans.models import Action


def test_a_success_is_a_status_and_a_problem_an_alert(client, auth, users, iclei, session):
    auth.login(users["editor"])
    saved = client.post(
        f"/plans/{iclei}/hours/new",
        data={"spent_on": "2025-03-15", "hours": "2", "target": "management", "note": ""},
        follow_redirects=True,
    ).text
    assert re.search(r'role="status"[^>]*>\s*<p class="flash flash-success">', saved)
    assert "2.0 h logged on 2025-03-15." in text_of_flash(saved)
    bulk = client.post(
        f"/plans/{iclei}/actions/status", data={"status": "", "note": ""}, follow_redirects=True
    )
    assert re.search(r'role="alert" class="flashes">\s*<p class="flash flash-error">', bulk.text)
    assert "New status: choose a status" in text(bulk)


def text_of_flash(html: str) -> str:
    return " ".join(
        re.sub(r"<[^>]+>", " ", m) for m in re.findall(r'<p class="flash[^"]*">(.*?)</p>', html, re.S)
    )


def test_the_bulk_status_menu_has_no_status_chosen(client, auth, users, iclei):
    auth.login(users["editor"])
    html = client.get(f"/plans/{iclei}/actions").text
    menu = re.search(r'<select id="status" name="status">(.*?)</select>', html, re.S).group(1)
    assert re.search(r'<option selected value="">Choose a status…</option>', menu)
    assert 'selected value="completed"' not in menu


def test_several_problems_are_summed_up_with_links_by_label(client, auth, users, iclei):
    auth.login(users["editor"])
    response = client.post(
        f"/plans/{iclei}/hours/new", data={"spent_on": "someday", "hours": "lots", "target": "management"}
    )
    assert response.status_code == 422
    summary = re.search(r'<div class="error-summary" role="alert".*?</div>', response.text, re.S).group(0)
    assert "2 problems to fix" in summary
    assert re.search(r'<a href="#spent_on">Date: [^<]+</a>', summary)
    assert re.search(r'<a href="#hours">Hours: [^<]+</a>', summary)
    one = client.post(
        f"/plans/{iclei}/hours/new", data={"spent_on": "2025-03-15", "hours": "lots", "target": "management"}
    )
    assert one.status_code == 422 and "error-summary" not in one.text


def test_problems_never_show_internal_field_names(client, auth, users, iclei):
    auth.login(users["admin"])
    page = text(
        client.post(f"/admin/plans/{iclei}", data={"title": "", "start_year": "x", "end_year": "2026"})
    )
    assert "Title: " in page and "First year: " in page
    assert "start_year" not in page and "title:" not in page
    assert label_of("response_rate") == "Response rate"
    assert label_of("indicator-0-name") == "Indicator 1, name"


def test_every_edit_form_has_a_cancel(client, auth, users, iclei, session):
    auth.login(users["admin"])
    action = session.scalar(sa.select(Action).where(Action.code == "3.2.6"))
    pages = {
        f"/actions/{action.id}/edit": f"/actions/{action.id}",
        f"/plans/{iclei}/hours/new?action={action.id}": f"/actions/{action.id}",
        "/admin/users/new": "/admin/users",
        "/account/password": "/",
    }
    for url, back in pages.items():
        assert re.search(rf'<a href="{re.escape(back)}">Cancel</a>', client.get(url).text), url


def test_a_long_form_sums_up_its_problems_in_the_pages_words(client, auth, users, iclei):
    auth.login(users["editor"])
    created = client.post(f"/plans/{iclei}/assessments", data={"year": "2025"})
    assessment = created.location.split("/")[2]
    response = client.post(
        f"/assessments/{assessment}/edit",
        data={"title": "Report", "respondents": "-3", "response_rate": "120", "version": "1"},
    )
    assert response.status_code == 422
    summary = re.search(r'<div class="error-summary" role="alert".*?</div>', response.text, re.S).group(0)
    assert re.search(r'<a href="#respondents">Respondents: must be between', summary)
    assert re.search(r'<a href="#response_rate">Response rate \(%\): must be between 0 and 100</a>', summary)
    assert "response_rate:" not in text(response)
