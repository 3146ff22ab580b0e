"""Virtual-classroom host accounts (licences): provider, base URL, participant limit."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tms.crud import Column, Resource, ResourceForm
from venues import services
from venues.models import MAX_CAPACITY, HostAccount, VirtualClassroomProvider
from venues.selectors import host_account_list


class HostAccountForm(ResourceForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    provider = forms.ChoiceField(label=_("Provider"), choices=VirtualClassroomProvider.choices)
    base_url = forms.URLField(
        label=_("Base URL"),
        required=False,
        max_length=200,
        assume_scheme="https",
        help_text=_("For link-on-base-URL providers; empty uses the site default."),
    )
    participant_limit = forms.IntegerField(
        label=_("Participant limit"), min_value=1, max_value=MAX_CAPACITY
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


def _search(rows: QuerySet[HostAccount], text: str) -> QuerySet[HostAccount]:
    return rows.filter(name__icontains=text)


def _create(request: HttpRequest, form: ResourceForm) -> Any:
    return services.host_account_create(**form.values())


def _update(request: HttpRequest, account: HostAccount, form: ResourceForm) -> Any:
    return services.host_account_update(host_account_id=account.pk, changes=form.values())


def _delete(request: HttpRequest, account: HostAccount) -> None:
    services.host_account_delete(host_account_id=account.pk)


HOST_ACCOUNTS = Resource(
    key="host-accounts",
    policy="host_account",
    title=_("Host accounts"),
    noun=_("host account"),
    rows=host_account_list,
    search=_search,
    columns=[
        Column(_("Name"), lambda a: a.name),
        Column(_("Provider"), lambda a: a.get_provider_display()),
        Column(_("Participant limit"), lambda a: a.participant_limit),
        Column(_("Active"), lambda a: _("Yes") if a.active else _("No")),
    ],
    form=HostAccountForm,
    create=_create,
    update=_update,
    delete=_delete,
    search_help=_("Name"),
    delete_help=_("An account used by sessions cannot be deleted: deactivate it instead."),
)
