"""Instructor profiles: the linked account, home zone, weekly hour limit, day rate."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from instructors import services
from instructors.models import Instructor
from tms.account_search import with_every_word
from tms.crud import Column, Resource, ResourceForm
from tms.forms import time_zone_choices


class InstructorForm(ResourceForm):
    account = forms.CharField(
        label=_("Account (email or username)"),
        max_length=254,
        help_text=_("The user who teaches."),
    )
    grant_role = forms.BooleanField(
        label=_("Give the account the Instructor role"),
        required=False,
        initial=True,
        help_text=_("Without it, the person cannot sign in as an instructor."),
    )
    home_time_zone = forms.ChoiceField(label=_("Home time zone"), choices=time_zone_choices)
    weekly_hour_limit = forms.IntegerField(
        label=_("Weekly hour limit"), min_value=1, max_value=168, initial=40
    )
    day_rate = forms.DecimalField(
        label=_("Day rate"), min_value=Decimal(0), max_digits=10, decimal_places=2, initial=0
    )
    currency = forms.RegexField(
        label=_("Currency"),
        regex=r"^[A-Z]{3}$",
        max_length=3,
        initial="EUR",
        error_messages={"invalid": _("Three capital letters, such as EUR.")},
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance is not None:  # the account of a profile does not change
            del self.fields["account"]
            del self.fields["grant_role"]

    def clean_account(self) -> User:
        text = self.cleaned_data["account"].strip()
        user = (
            User.objects.filter(Q(email__iexact=text) | Q(username__iexact=text))
            .order_by("pk")
            .first()
        )
        if user is None:
            raise forms.ValidationError(_("No account uses %(who)s."), params={"who": text})
        return user

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if "account" in data:
            data["user"] = data.pop("account")
        return data


def instructor_rows() -> QuerySet[Instructor]:
    return Instructor.objects.select_related("user").order_by(
        "user__last_name", "user__first_name", "user__username", "pk"
    )


def _search(rows: QuerySet[Instructor], text: str) -> QuerySet[Instructor]:
    return with_every_word(rows, text, account="user__")


def _create(request: HttpRequest, form: ResourceForm) -> Any:
    return services.instructor_create(**form.values())


def _update(request: HttpRequest, person: Instructor, form: ResourceForm) -> Any:
    return services.instructor_update(instructor_id=person.pk, changes=form.values())


def _delete(request: HttpRequest, person: Instructor) -> None:
    services.instructor_delete(instructor_id=person.pk)


INSTRUCTORS = Resource(
    key="instructors",
    policy="instructor",
    title=_("Instructors"),
    noun=_("instructor"),
    rows=instructor_rows,
    search=_search,
    columns=[
        Column(_("Name"), lambda p: p.display_name),
        Column(_("Email"), lambda p: p.user.email),
        Column(_("Home time zone"), lambda p: p.home_time_zone),
        Column(_("Weekly limit"), lambda p: _("%s h") % p.weekly_hour_limit),
        Column(_("Day rate"), lambda p: f"{p.day_rate} {p.currency}"),
        Column(_("Active"), lambda p: _("Yes") if p.active else _("No")),
    ],
    form=InstructorForm,
    create=_create,
    update=_update,
    delete=_delete,
    search_help=_("Name or email"),
    field_names={"user": "account"},
    delete_help=_("A profile with assignments cannot be deleted: mark it inactive instead."),
)
