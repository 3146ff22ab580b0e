"""Certifications for coordinators: code, name, validity and the courses that grant them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from compliance.models import Certification
from compliance.selectors import certification_list
from compliance.services import certifications as services
from scheduling.models import Course
from tms.crud import Column, Resource, ResourceForm


class CertificationForm(ResourceForm):
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=5000, widget=forms.Textarea({"rows": 3})
    )
    valid_months = forms.IntegerField(
        label=_("Valid for (months)"),
        required=False,
        min_value=1,
        max_value=600,
        help_text=_("Leave blank if it never expires."),
    )
    courses = forms.ModelMultipleChoiceField(
        label=_("Granted by completing"),
        queryset=Course.objects.order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def initial_from(self, instance: Any) -> dict[str, Any]:
        initial = super().initial_from(instance)
        initial["courses"] = list(instance.courses.all())
        return initial


def _search(rows: QuerySet[Certification], text: str) -> QuerySet[Certification]:
    return rows.filter(Q(code__icontains=text) | Q(name__icontains=text))


def _create(request: HttpRequest, form: ResourceForm) -> Any:
    return services.certification_create(**form.values())


def _update(request: HttpRequest, certification: Certification, form: ResourceForm) -> Any:
    return services.certification_update(certification_id=certification.pk, changes=form.values())


def _delete(request: HttpRequest, certification: Certification) -> None:
    services.certification_delete(certification_id=certification.pk)


def _validity(certification: Certification) -> Any:
    if certification.valid_months is None:
        return _("Never expires")
    return _("%d months") % certification.valid_months


CERTIFICATIONS = Resource(
    key="certifications",
    policy="certification",
    title=_("Certifications"),
    noun=_("certification"),
    rows=certification_list,
    search=_search,
    columns=[
        Column(_("Code"), lambda c: c.code),
        Column(_("Name"), lambda c: c.name),
        Column(_("Valid for"), _validity),
        Column(_("Granted by"), lambda c: ", ".join(x.code for x in c.courses.all()) or "—"),
    ],
    form=CertificationForm,
    create=_create,
    update=_update,
    delete=_delete,
    search_help=_("Code or name"),
    lede=_(
        "Completing a granting course issues the certification, valid for its months from the "
        "session's last day; a later completion renews it."
    ),
    delete_help=_("A certification that was issued, or that a requirement asks for, stays."),
)
