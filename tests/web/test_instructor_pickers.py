"""Instructor pickers list the qualified, free instructors first for the blocks in the form;
the others are disabled with the reason. No Ctrl-click multi-select."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests import factories
from tests.conftest import at

pytestmark = pytest.mark.django_db


class Options(HTMLParser):
    """(value, label, disabled) of each option of <select name=…>, and checkbox inputs."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.options: list[tuple[str, str, bool]] = []
        self.checkboxes: list[tuple[str, bool]] = []
        self.multiple = False
        self._in = False
        self._current: tuple[str, bool] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "select" and found.get("name") == self.name:
            self._in = True
            self.multiple = "multiple" in found
        elif tag == "option" and self._in:
            self._current = (found.get("value") or "", "disabled" in found)
        elif tag == "input" and found.get("name") == self.name and found.get("type") == "checkbox":
            self.checkboxes.append((found.get("value") or "", "disabled" in found))

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            value, disabled = self._current
            self.options.append((value, data.strip(), disabled))
            self._current = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._in = False


def _parse(html: str, name: str) -> Options:
    parser = Options(name)
    parser.feed(html)
    return parser


@pytest.fixture
def people(course, schedule):  # type: ignore[no-untyped-def]
    """Aaron is booked on 4 March 10:00 by another session; Zoe is qualified and free;
    Mia is not qualified."""
    aaron = factories.InstructorFactory(user__first_name="Aaron", user__last_name="A")
    zoe = factories.InstructorFactory(user__first_name="Zoe", user__last_name="Z")
    mia = factories.InstructorFactory(user__first_name="Mia", user__last_name="M")
    factories.QualificationFactory(instructor=zoe, course=course)
    rival = schedule(
        [(at("2030-03-04", "10:00"), at("2030-03-04", "11:00"))],
        rooms=[factories.RoomFactory()],
        instructors=[aaron],
    )
    return {"aaron": aaron, "zoe": zoe, "mia": mia, "rival": rival}


def test_the_check_swaps_in_pickers_ordered_for_the_blocks(
    page_client, coordinator, form_data, people, instructor
):
    response = page_client(coordinator).post(
        reverse("scheduling:session-check"),
        form_data(lead=""),
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    assert 'id="instructor-pickers" hx-swap-oob="true"' in html
    lead = _parse(html, "lead")
    values = [value for value, _label, _disabled in lead.options]
    # Empty choice, then the free ones (the form's instructor, Zoe), then the others.
    free = {str(instructor.pk), str(people["zoe"].pk)}
    assert set(values[1:3]) == free
    by_value = {value: (label, disabled) for value, label, disabled in lead.options}
    label, disabled = by_value[str(people["aaron"].pk)]
    assert disabled
    assert f"already booked by session #{people['rival'].pk}" in label
    label, disabled = by_value[str(people["mia"].pk)]
    assert disabled
    assert "not qualified" in label
    assert not by_value[str(people["zoe"].pk)][1]
    co = _parse(html, "co_facilitators")
    assert not co.multiple
    assert dict(co.checkboxes)[str(people["aaron"].pk)] is True
    assert dict(co.checkboxes)[str(people["zoe"].pk)] is False


def test_a_chosen_instructor_stays_selectable_with_the_reason(
    page_client, coordinator, form_data, people
):
    response = page_client(coordinator).post(
        reverse("scheduling:session-check"),
        form_data(lead=people["aaron"].pk),
        HTTP_HX_REQUEST="true",
    )

    lead = _parse(response.content.decode(), "lead")
    by_value = {value: (label, disabled) for value, label, disabled in lead.options}
    label, disabled = by_value[str(people["aaron"].pk)]
    assert not disabled
    assert "not available" in label


def test_a_form_opened_from_a_link_orders_its_pickers(page_client, coordinator, course, people):
    query = {
        "course": course.pk,
        "capacity": "10",
        "time_zone": "Europe/Paris",
        "blocks-0-date": "2030-03-04",
        "blocks-0-starts": "09:00",
        "blocks-0-ends": "12:00",
    }

    response = page_client(coordinator).get(reverse("scheduling:session-create"), query)

    assert response.status_code == 200
    lead = _parse(response.content.decode(), "lead")
    assert lead.options[1][0] == str(people["zoe"].pk)
    assert all(disabled for _v, _l, disabled in lead.options[2:])
    assert "errorlist" not in response.content.decode()


def test_an_empty_form_lists_everyone_by_name(page_client, coordinator, people):
    response = page_client(coordinator).get(reverse("scheduling:session-create"))

    lead = _parse(response.content.decode(), "lead")
    assert not any(disabled for _v, _l, disabled in lead.options)
    labels = [label for _v, label, _d in lead.options]
    ours = [label for label in labels if label in {"Aaron A", "Mia M", "Zoe Z"}]
    assert ours == ["Aaron A", "Mia M", "Zoe Z"]  # by last name
    assert "Ctrl" not in response.content.decode()


def test_the_session_pages_assign_picker_puts_the_free_qualified_first(
    page_client, coordinator, schedule, course, people
):
    session = schedule(instructors=[])

    html = (
        page_client(coordinator)
        .get(reverse("scheduling:session-detail", args=[session.pk]))
        .content.decode()
    )

    picker = _parse(html, "instructor")
    assert picker.options[1][0] == str(people["zoe"].pk)
    assert not picker.options[1][2]
    rest = {value: (label, disabled) for value, label, disabled in picker.options[2:]}
    assert rest[str(people["aaron"].pk)][1]
    assert re.search(r"booked by session #\d+", rest[str(people["aaron"].pk)][0])
    assert rest[str(people["mia"].pk)][1]
