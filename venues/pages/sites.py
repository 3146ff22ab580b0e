"""Sites: name, address and the time zone every time at the site is read in."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tms.crud import Column, Resource, ResourceForm
from tms.forms import time_zone_choices
from venues import services
from venues.models import Site
from venues.selectors import site_list


class SiteForm(ResourceForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    address = forms.CharField(
        label=_("Address"), required=False, max_length=2000, widget=forms.Textarea({"rows": 3})
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)


def _rows() -> QuerySet[Site]:
    return site_list().annotate(room_count=Count("rooms"))


def _search(rows: QuerySet[Site], text: str) -> QuerySet[Site]:
    return rows.filter(Q(name__icontains=text) | Q(address__icontains=text))


def _create(request: HttpRequest, form: ResourceForm) -> Any:
    return services.site_create(**form.values())


def _update(request: HttpRequest, site: Site, form: ResourceForm) -> Any:
    return services.site_update(site_id=site.pk, changes=form.values())


def _delete(request: HttpRequest, site: Site) -> None:
    services.site_delete(site_id=site.pk)


SITES = Resource(
    key="sites",
    policy="site",
    title=_("Sites"),
    noun=_("site"),
    rows=_rows,
    search=_search,
    columns=[
        Column(_("Name"), lambda s: s.name),
        Column(_("Time zone"), lambda s: s.time_zone),
        Column(_("Rooms"), lambda s: s.room_count),
        Column(_("Address"), lambda s: s.address),
    ],
    form=SiteForm,
    create=_create,
    update=_update,
    delete=_delete,
    search_help=_("Name or address"),
    delete_help=_("A site with rooms cannot be deleted: delete or move its rooms first."),
)
