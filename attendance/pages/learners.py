"""Learner accounts for coordinators: invite by email (the account gets the learner role and
an invitation with a set-password link), search by name or email, edit, deactivate; and the
small suggestion endpoint of the enrolment picker on the roster."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from attendance import learner_accounts as accounts
from tms.crud import SEARCH_MAX, Column, Resource, ResourceForm
from tms.exceptions import DomainError
from tms.views import policy_required


class LearnerForm(ResourceForm):
    email = forms.EmailField(label=_("Email"), max_length=150)
    first_name = forms.CharField(label=_("First name"), required=False, max_length=150)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=150)
    department = forms.CharField(
        label=_("Department"),
        required=False,
        max_length=200,
        help_text=_("Compliance requirements may apply to a whole department."),
    )
    is_active = forms.BooleanField(
        label=_("Active"), required=False, help_text=_("Inactive learners cannot sign in.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance is None:  # a new account is active, and invited
            del self.fields["is_active"]

    def initial_from(self, instance: Any) -> dict[str, Any]:
        initial = super().initial_from(instance)
        profile = getattr(instance, "profile", None)
        initial["department"] = profile.department if profile is not None else ""
        return initial


def _status(user: User) -> Any:
    if not user.is_active:
        return _("Deactivated")
    if not user.has_usable_password():
        return _("Invited (no password yet)")
    return _("Active")


def _create(request: HttpRequest, form: ResourceForm) -> Any:
    inviter = request.user if isinstance(request.user, User) else None
    return accounts.learner_invite(**form.values(), invited_by=inviter, now=timezone.now())


def _update(request: HttpRequest, user: User, form: ResourceForm) -> Any:
    return accounts.learner_update(user_id=user.pk, changes=form.values())


def _delete(request: HttpRequest, user: User) -> None:
    accounts.learner_deactivate(user_id=user.pk)


def _search(rows: QuerySet[User], text: str) -> QuerySet[User]:
    return accounts.learner_search(rows, text)


LEARNERS = Resource(
    key="learners",
    policy="learner",
    title=_("Learners"),
    noun=_("learner"),
    rows=accounts.learner_list,
    search=_search,
    columns=[
        Column(_("Name"), lambda u: u.get_full_name() or u.get_username()),
        Column(_("Email"), lambda u: u.email),
        Column(_("Account"), _status),
    ],
    form=LearnerForm,
    create=_create,
    update=_update,
    delete=_delete,
    search_help=_("Name or email"),
    create_label=_("Invite a learner"),
    edit_extra="manage/partials/learner_invitation.html",
    record_url="compliance:learner-record",
    record_label=_("Record"),
    delete_label=_("Deactivate"),
    delete_help=_(
        "The account stays with its registrations and history, but can no longer sign in."
    ),
    lede=_(
        "Inviting creates the account with the learner role and emails a link to choose a password."
    ),
)


@require_GET
@policy_required("learner", "search")
def learner_suggest(request: HttpRequest) -> HttpResponse:
    """Learners matching the typed name or email, as choices inside the enrolment form."""
    text = request.GET.get("email", "")[:SEARCH_MAX]
    found = accounts.learner_suggestions(text.replace("\x00", ""))
    context = {"learners": found, "text": text}
    return render(request, "manage/partials/learner_suggestions.html", context)


@require_POST
@policy_required("learner", "create")
def learner_reinvite(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue the invitation again for a learner who has not chosen a password yet."""
    try:
        accounts.learner_invite_again(
            user_id=pk,
            invited_by=request.user if isinstance(request.user, User) else None,
            now=timezone.now(),
        )
    except User.DoesNotExist:
        raise Http404 from None
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The invitation is on its way again."))
    return redirect("manage:learners-edit", pk)
