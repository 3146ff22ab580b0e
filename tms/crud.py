"""The coordinators' management pages, one pattern for every resource: a searchable, paginated
list, a create form, an edit form and a delete (or deactivate) confirmation.

A page module describes its resource with a `Resource` (the selector listing it, the search,
the columns, the form, and the three service calls); `resource_urls` makes its routes
(`manage:<key>-list|create|edit|delete`). The views stay thin: the policy guard, the form's
shape check, one service call. A `DomainError` from the service comes back as form errors (its
fields on the matching inputs, the rest on the form) with the error's status (400, 409), never
a 500, and nothing written. Lists are for coordinators and auditors (`manage.view`); writes
need the resource's own create/update/delete rule in the policy table (coordinators).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from tms.exceptions import DomainError
from tms.views import policy_required, scope_for

PAGE_SIZE = 25
SEARCH_MAX = 100
VIEW_RULE = ("manage", "list")
DELETE = gettext_lazy("Delete")


if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as Text
else:
    Text = str


@dataclass(frozen=True)
class Column:
    label: Text
    value: Callable[[Any], Any]


class ResourceForm(forms.Form):
    """A management form: built from an object when editing (`initial_from`), and handing the
    service its values (`values`: the cleaned data unless a form reshapes them)."""

    def __init__(self, *args: Any, instance: Any = None, **kwargs: Any) -> None:
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(instance)
        super().__init__(*args, **kwargs)

    def initial_from(self, instance: Any) -> dict[str, Any]:
        return {
            name: getattr(instance, name) for name in self.base_fields if hasattr(instance, name)
        }

    def values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


Write = Callable[[HttpRequest, ResourceForm], Any]
Change = Callable[[HttpRequest, Any, ResourceForm], Any]
Remove = Callable[[HttpRequest, Any], Any]


@dataclass(frozen=True)
class Resource:
    key: str  # URL segment and route names: "sites" → /manage/sites/, manage:sites-list
    policy: str  # the policy table's resource for the writes ("site")
    title: Text  # "Sites"
    noun: Text  # "site", in messages and buttons
    rows: Callable[[], QuerySet[Any]]  # the selector listing them
    search: Callable[[QuerySet[Any], str], QuerySet[Any]]
    columns: Sequence[Column]
    form: type[ResourceForm]
    create: Write
    update: Change
    delete: Remove
    search_help: Text = ""
    lede: Text = ""  # what the reader should know, such as which zone the times are in
    create_label: Text = ""  # "Add a site" by default
    delete_label: Text = DELETE
    delete_help: Text = ""
    # A template with more actions on the edit page (such as "send the invitation again").
    edit_extra: str = ""
    # A read-only page of one row for every reader of the list (a learner's record): the URL
    # name, taking the pk, and the link's text.
    record_url: str = ""
    record_label: Text = ""
    # Service field names that are called otherwise in the form: {"starts_at": "starts"}.
    field_names: Mapping[str, str] = field(default_factory=dict)

    def url(self, action: str, *args: Any) -> str:
        return reverse(f"manage:{self.key}-{action}", args=args)


class SearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        max_length=SEARCH_MAX,
        widget=forms.TextInput(attrs={"type": "search"}),
    )


def show_refusal(form: forms.Form, error: DomainError, names: Mapping[str, str]) -> None:
    """Put a service's refusal on the form: field messages on their inputs, the rest (and the
    message itself when no field was named) on the form."""
    placed = False
    for name, problems in error.fields.items():
        target = names.get(name, name)
        for problem in problems:
            if target in form.fields:
                form.add_error(target, problem)
                placed = True
            elif problem != error.message:
                form.add_error(None, problem)
    if not placed or error.conflicts:
        form.add_error(None, error.message)


def _object(resource: Resource, pk: int) -> Any:
    try:
        return resource.rows().get(pk=pk)
    except resource.rows().model.DoesNotExist:
        raise Http404(_("No such %s.") % resource.noun) from None


def _context(request: HttpRequest, resource: Resource, **extra: Any) -> dict[str, Any]:
    return {
        "resource": resource,
        "list_url": resource.url("list"),
        "can_create": scope_for(request.user, resource.policy, "create") == "all",
        "can_update": scope_for(request.user, resource.policy, "update") == "all",
        "can_delete": scope_for(request.user, resource.policy, "delete") == "all",
        **extra,
    }


def list_page(resource: Resource) -> Callable[..., HttpResponse]:
    @require_GET
    @policy_required(*VIEW_RULE)
    def view(request: HttpRequest) -> HttpResponse:
        search = SearchForm(request.GET)
        search.fields["q"].help_text = resource.search_help
        rows = resource.rows()
        text = search.cleaned_data["q"].strip() if search.is_valid() else ""
        if text:
            rows = resource.search(rows, text)
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        table = [
            (obj, [(column.label, column.value(obj)) for column in resource.columns])
            for obj in page
        ]
        context = _context(
            request, resource, search=search, text=text, page=page, table=table, query=request.GET
        )
        partial = getattr(request, "htmx", False) and not request.htmx.history_restore_request  # type: ignore[attr-defined]
        template = "manage/partials/results.html" if partial else "manage/list.html"
        status = 400 if search.errors else 200
        return render(request, template, context, status=status)

    return view


def _form_page(
    request: HttpRequest, resource: Resource, form: forms.Form, obj: Any, status: int
) -> HttpResponse:
    if form.errors and status < 400:
        status = 400
    # An edit page shows the object's history below the form, for those who may read the
    # audit log (manage/form.html, compliance's `object_history` tag).
    context = _context(request, resource, form=form, object=obj)
    return render(request, "manage/form.html", context, status=status)


def create_page(resource: Resource) -> Callable[..., HttpResponse]:
    @require_http_methods(["GET", "POST"])
    @policy_required(resource.policy, "create", everyone=True)
    def view(request: HttpRequest) -> HttpResponse:
        form = resource.form(request.POST or None)
        status = 200
        if request.method == "POST" and form.is_valid():
            try:
                created = resource.create(request, form)
            except DomainError as error:
                show_refusal(form, error, resource.field_names)
                status = error.status_code
            else:
                messages.success(request, _("Saved: %s.") % created)
                return redirect(resource.url("list"))
        return _form_page(request, resource, form, None, status)

    return view


def edit_page(resource: Resource) -> Callable[..., HttpResponse]:
    @require_http_methods(["GET", "POST"])
    @policy_required(resource.policy, "update", everyone=True)
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        obj = _object(resource, pk)
        form = resource.form(request.POST or None, instance=obj)
        status = 200
        if request.method == "POST" and form.is_valid():
            try:
                changed = resource.update(request, obj, form)
            except DomainError as error:
                show_refusal(form, error, resource.field_names)
                status = error.status_code
            else:
                messages.success(request, _("Saved: %s.") % changed)
                return redirect(resource.url("list"))
        return _form_page(request, resource, form, obj, status)

    return view


def delete_page(resource: Resource) -> Callable[..., HttpResponse]:
    @require_http_methods(["GET", "POST"])
    @policy_required(resource.policy, "delete", everyone=True)
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        obj = _object(resource, pk)
        refusal = ""
        status = 200
        if request.method == "POST":
            label = str(obj)
            try:
                resource.delete(request, obj)
            except DomainError as error:
                refusal, status = error.message, error.status_code
            else:
                messages.success(
                    request,
                    _("%(verb)s: %(what)s.") % {"verb": resource.delete_label, "what": label},
                )
                return redirect(resource.url("list"))
        context = _context(request, resource, object=obj, refusal=refusal)
        return render(request, "manage/delete.html", context, status=status)

    return view


def resource_urls(resource: Resource) -> list[URLPattern]:
    key = resource.key
    return [
        path(f"{key}/", list_page(resource), name=f"{key}-list"),
        path(f"{key}/new/", create_page(resource), name=f"{key}-create"),
        path(f"{key}/<id:pk>/edit/", edit_page(resource), name=f"{key}-edit"),
        path(f"{key}/<id:pk>/delete/", delete_page(resource), name=f"{key}-delete"),
    ]
