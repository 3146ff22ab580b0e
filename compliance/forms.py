"""Forms of the compliance pages: the matrix filters (shape only; the selector filters)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from compliance.matrix import MatrixStatus
from compliance.models import Requirement


class MatrixFilterForm(forms.Form):
    requirement = forms.ModelChoiceField(
        label=_("Requirement"),
        queryset=Requirement.objects.order_by("name"),
        required=False,
        empty_label=_("All requirements"),
    )
    department = forms.CharField(label=_("Department"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *MatrixStatus.choices],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].widget.attrs["autocomplete"] = "off"

    def clean_department(self) -> str:
        return str(self.cleaned_data.get("department") or "").replace("\x00", "").strip()
