"""Learner accounts on the management pages: inviting creates the account with the learner
role and queues an invitation (an outbox row) whose set-password link works once; learners are
found by name or email; deactivating keeps the account."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.urls import reverse

from attendance.learner_accounts import learner_invite
from notifications.models import OutboxMessage
from notifications.services import outbox_dispatch
from tests import factories
from tms.roles import Role

pytestmark = pytest.mark.django_db

INVITE = {"email": "Zoe.Martin@example.org", "first_name": "Zoé", "last_name": "Martin"}


def _link(body: str) -> str:
    found = re.search(r"https?://\S+/accounts/set-password/\S+/", body)
    assert found, body
    return found.group(0)


def test_inviting_a_learner_creates_the_account_and_queues_the_invitation(page_client, coordinator):
    response = page_client(coordinator).post(reverse("manage:learners-create"), INVITE)

    assert response.status_code == 302
    user = User.objects.get(email="Zoe.Martin@example.org")
    assert user.groups.filter(name=Role.LEARNER).exists()
    assert not user.has_usable_password()
    message = OutboxMessage.objects.get(recipient=user)
    assert (message.address, message.template) == (user.email, "learner_invitation")
    assert "set-password" not in str(message.context)  # the link is made at send time


def test_the_invitation_link_sets_a_password_once_and_the_learner_signs_in(client, coordinator):
    learner_invite(email="new@example.org", first_name="Nia", invited_by=coordinator)

    assert outbox_dispatch() == {"sent": 1}
    (email,) = mail.outbox
    assert email.to == ["new@example.org"]
    link = _link(email.body)

    form = client.get(link, follow=True)
    assert form.status_code == 200
    assert form.context["validlink"] is True
    password = "a-long-new-password-2030"
    done = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"new_password1": password, "new_password2": password},
    )
    assert done.status_code == 302
    assert done["Location"] == reverse("login")
    user = User.objects.get(email="new@example.org")
    assert user.check_password(password)

    again = client.get(link, follow=True)
    assert again.context["validlink"] is False
    assert "no longer valid" in again.content.decode()


def test_an_invitation_to_someone_who_set_a_password_already_is_not_sent(coordinator):
    user = learner_invite(email="quick@example.org", invited_by=coordinator)
    user.set_password("chosen-elsewhere-2030")
    user.save()

    outbox_dispatch()

    assert mail.outbox == []
    assert OutboxMessage.objects.get().status == "skipped"


def test_an_address_already_in_use_is_a_form_error(page_client, coordinator, learner):
    response = page_client(coordinator).post(
        reverse("manage:learners-create"), {**INVITE, "email": learner.email.upper()}
    )

    assert response.status_code == 400
    assert (
        f"An account already uses {learner.email.upper()}."
        in response.context["form"].errors["email"]
    )
    assert User.objects.filter(email__iexact=learner.email).count() == 1
    assert not OutboxMessage.objects.exists()


def test_a_bad_address_is_a_form_error(page_client, coordinator):
    response = page_client(coordinator).post(
        reverse("manage:learners-create"), {**INVITE, "email": "not an address"}
    )

    assert response.status_code == 400
    assert not User.objects.filter(first_name="Zoé").exists()


def test_only_coordinators_invite(page_client, auditor, learner, instructor):
    for user in (auditor, learner, instructor.user):
        response = page_client(user).post(reverse("manage:learners-create"), INVITE)
        assert response.status_code == 403
    assert not User.objects.filter(email=INVITE["email"]).exists()


def test_learners_are_found_by_name_or_email(page_client, coordinator):
    factories.UserFactory(first_name="Ada", last_name="Lovelace", email="ada@x.org", role="Learner")
    factories.UserFactory(
        first_name="Alan", last_name="Turing", email="bombe@x.org", role="Learner"
    )
    factories.UserFactory(first_name="Ada", last_name="Instructor", role="Instructor")
    client = page_client(coordinator)
    list_url = reverse("manage:learners-list")

    def found(text: str) -> list[str]:
        page = client.get(list_url, {"q": text})
        return [user.last_name for user, _cells in page.context["table"]]

    assert found("ada") == ["Lovelace"]  # the instructor named Ada is not a learner
    assert found("BOMBE@") == ["Turing"]
    assert found("ada love") == ["Lovelace"]
    assert found("nobody") == []


def test_a_learner_is_edited_and_deactivated_not_deleted(page_client, coordinator, learner):
    client = page_client(coordinator)

    edited = client.post(
        reverse("manage:learners-edit", args=[learner.pk]),
        {
            "email": "renamed@example.org",
            "first_name": "Lee",
            "last_name": "Ner",
            "is_active": "on",
        },
    )
    assert edited.status_code == 302
    learner.refresh_from_db()
    assert (learner.email, learner.first_name, learner.is_active) == (
        "renamed@example.org",
        "Lee",
        True,
    )

    assert client.post(reverse("manage:learners-delete", args=[learner.pk])).status_code == 302
    learner.refresh_from_db()
    assert learner.is_active is False
    assert "Deactivated" in client.get(reverse("manage:learners-list")).content.decode()


def test_a_non_learner_is_not_found_on_the_learner_pages(page_client, coordinator, auditor):
    response = page_client(coordinator).get(reverse("manage:learners-edit", args=[auditor.pk]))
    assert response.status_code == 404


def test_the_invitation_is_sent_again_until_a_password_is_chosen(page_client, coordinator):
    user = learner_invite(email="slow@example.org", invited_by=coordinator)
    client = page_client(coordinator)
    edit = client.get(reverse("manage:learners-edit", args=[user.pk])).content.decode()
    again = reverse("manage:learners-reinvite", args=[user.pk])
    assert f'action="{again}"' in edit

    assert client.post(again).status_code == 302
    outbox_dispatch()
    assert [m.to for m in mail.outbox] == [["slow@example.org"], ["slow@example.org"]]
    first_link = client.get(_link(mail.outbox[0].body), follow=True)
    assert first_link.context["validlink"] is True  # the first link still works

    user.set_password("chosen-2030-password")
    user.save()
    refused = client.post(again, follow=True)
    assert "has already set a password" in refused.content.decode()
    assert OutboxMessage.objects.count() == 2
    assert page_client(None).post(again).status_code == 302  # to sign in
    assert OutboxMessage.objects.count() == 2


def test_the_invitation_shows_in_the_messages_ledger(page_client, coordinator):
    learner_invite(email="ledger@example.org", invited_by=coordinator)

    page = page_client(coordinator).get(reverse("notifications:message-list"))

    assert page.status_code == 200
    html = page.content.decode()
    assert "ledger@example.org" in html
    assert "learner invitation" in html
