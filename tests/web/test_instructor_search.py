"""The instructors' management list finds people word by word, as the learners' list does
(tms/account_search.py): every word in the name, email or username."""

from __future__ import annotations

from django.urls import reverse

from tests import factories


def test_instructors_are_found_by_every_word_of_name_email_or_username(page_client, coordinator):
    factories.InstructorFactory(
        user__first_name="Grace", user__last_name="Hopper", user__email="cobol@x.org"
    )
    factories.InstructorFactory(
        user__first_name="Grace", user__last_name="Kelly", user__username="monaco"
    )
    client = page_client(coordinator)

    def found(text: str) -> list[str]:
        page = client.get(reverse("manage:instructors-list"), {"q": text})
        assert page.status_code == 200
        return sorted(person.user.last_name for person, _cells in page.context["table"])

    assert found("grace") == ["Hopper", "Kelly"]
    assert found("grace hop") == ["Hopper"]
    assert found("COBOL@") == ["Hopper"]
    assert found("monaco grace") == ["Kelly"]
    assert found("grace nobody") == []
