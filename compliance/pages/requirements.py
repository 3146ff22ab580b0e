"""Requirements for coordinators: who (a role, a department or chosen people) must hold which
certifications."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from compliance.models import AudienceKind, Certification, Requirement
from compliance.selectors import requirement_list
from compliance.services import certifications as services
from tms.crud import Column, Resource, ResourceForm


class RequirementForm(ResourceForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=5000, widget=forms.Textarea({"rows": 3})
    )
    certifications = forms.ModelMultipleChoiceField(
        label=_("Certifications required (all of them)"),
        queryset=Certification.objects.order_by("code"),
        widget=forms.CheckboxSelectMultiple,
    )
    audience = forms.ChoiceField(
        label=_("Who must comply"), choices=AudienceKind.choices, widget=forms.RadioSelect
    )
    group = forms.ModelChoiceField(
        label=_("Role"),
        queryset=Group.objects.order_by("name"),
        required=False,
        help_text=_("For “Everyone with a role”."),
    )
    department = forms.CharField(
        label=_("Department"),
        required=False,
        max_length=200,
        help_text=_("For “A department”: as written on the learners' accounts."),
    )
    learners = forms.ModelMultipleChoiceField(
        label=_("People"),
        queryset=get_user_model().objects.filter(is_active=True).order_by("last_name", "username"),
        required=False,
        help_text=_("For “Chosen people”."),
    )
    expiring_soon_days = forms.IntegerField(
        label=_("Expiring soon within (days)"), min_value=1, max_value=3650, initial=60
    )

    def initial_from(self, instance: Any) -> dict[str, Any]:
        initial = super().initial_from(instance)
        initial["certifications"] = list(instance.certifications.all())
        initial["learners"] = list(instance.learners.all())
        return initial

    def values(self) -> dict[str, Any]:
        values = dict(self.cleaned_data)
        values["department"] = values.get("department") or ""
        return values


def _search(rows: QuerySet[Requirement], text: str) -> QuerySet[Requirement]:
    return rows.filter(name__icontains=text)


def _create(request: HttpRequest, form: ResourceForm) -> Any:
    return services.requirement_create(**form.values())


def _update(request: HttpRequest, requirement: Requirement, form: ResourceForm) -> Any:
    return services.requirement_update(requirement_id=requirement.pk, changes=form.values())


def _delete(request: HttpRequest, requirement: Requirement) -> None:
    services.requirement_delete(requirement_id=requirement.pk)


def _audience(requirement: Requirement) -> Any:
    if requirement.audience == AudienceKind.ROLE and requirement.group is not None:
        return _("Role: %s") % requirement.group.name
    if requirement.audience == AudienceKind.DEPARTMENT:
        return _("Department: %s") % requirement.department
    return _("%d chosen people") % len(requirement.learners.all())


REQUIREMENTS = Resource(
    key="requirements",
    policy="requirement",
    title=_("Requirements"),
    noun=_("requirement"),
    rows=requirement_list,
    search=_search,
    columns=[
        Column(_("Name"), lambda r: r.name),
        Column(_("Who"), _audience),
        Column(_("Certifications"), lambda r: ", ".join(c.code for c in r.certifications.all())),
        Column(_("Expiring soon within"), lambda r: _("%d days") % r.expiring_soon_days),
    ],
    form=RequirementForm,
    create=_create,
    update=_update,
    delete=_delete,
    search_help=_("Name"),
    lede=_("The compliance matrix shows, for each requirement, where each person stands."),
)
