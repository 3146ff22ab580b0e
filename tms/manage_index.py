"""The "Manage" hub: one link per management page."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tms.crud import VIEW_RULE, Resource
from tms.views import policy_required


def manage_index(resources: Sequence[Resource]) -> Callable[..., HttpResponse]:
    @require_GET
    @policy_required(*VIEW_RULE)
    def view(request: HttpRequest) -> HttpResponse:
        links = [(resource, resource.url("list")) for resource in resources]
        return render(request, "manage/index.html", {"links": links})

    return view
