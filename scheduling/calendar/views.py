"""Calendar pages: the schedule (coordinators, auditors) and an instructor's calendar ("My
calendar"), each as a week, a month or an agenda in the viewer's zone.

GET parameters: `view` (week, month or agenda; week by default) and `date` (YYYY-MM-DD, any day
of the period; today by default), plus the schedule's filters (`course`, `site`, `instructor`,
`mode`). Navigation and the view switch are plain links that keep the other parameters. An
instructor adds and removes their own unavailability on their calendar (plain POST forms);
times typed there are in the instructor's home zone.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from instructors import services as instructor_services
from instructors.models import Instructor, Unavailability
from scheduling.calendar.entries import instructor_entries, instructor_for, schedule_entries
from scheduling.calendar.forms import PeriodForm, ScheduleFilterForm, UnavailabilityForm
from scheduling.calendar.grid import Layout, View, build, window
from scheduling.selectors import course_list_for
from tms.exceptions import DomainError
from tms.views import policy_required, scope_for, viewer_zone

VIEWS = (
    (View.WEEK, gettext_lazy("Week")),
    (View.MONTH, gettext_lazy("Month")),
    (View.AGENDA, gettext_lazy("Agenda")),
)


def _period(
    request: HttpRequest, zone: str, data: QueryDict | None = None
) -> tuple[PeriodForm, View, dt.date]:
    form = PeriodForm(request.GET if data is None else data)
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(zone)).date()
    if not form.is_valid():
        return form, View.WEEK, today
    view = View(form.cleaned_data.get("view") or View.WEEK)
    return form, view, form.cleaned_data.get("date") or today


def _links(request: HttpRequest, layout: Layout) -> dict[str, Any]:
    """Previous / today / next and the view switch, keeping the other GET parameters."""

    def link(view: str, day: dt.date | None) -> str:
        query: QueryDict = request.GET.copy()
        query["view"] = view
        if day is None:
            query.pop("date", None)
        else:
            query["date"] = day.isoformat()
        return f"{request.path}?{query.urlencode()}"

    return {
        "previous_url": link(layout.view, layout.previous),
        "next_url": link(layout.view, layout.next),
        "today_url": link(layout.view, None),
        "views": [
            {"name": name, "label": label, "url": link(name, layout.anchor)}
            for name, label in VIEWS
        ],
    }


def _page(
    request: HttpRequest,
    template: str,
    layout: Layout,
    period_form: PeriodForm,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    if period_form.errors:
        status = 400
    return render(
        request,
        template,
        {"layout": layout, "period_form": period_form, **_links(request, layout), **context},
        status=status,
    )


# --- The schedule --------------------------------------------------------------------------------


@require_GET
@policy_required("calendar", "list")
def schedule(request: HttpRequest) -> HttpResponse:
    """Every session block the user may see in the period, filtered."""
    zone = viewer_zone(request).key
    period_form, view, anchor = _period(request, zone)
    filter_form = ScheduleFilterForm(request.GET, courses=course_list_for(request.user))
    filters = filter_form.filters() if filter_form.is_valid() else None
    start, end = window(view, anchor, zone)
    entries = (
        schedule_entries(request.user, start=start, end=end, filters=filters)
        if filters is not None
        else []
    )
    layout = build(view, entries=entries, zone=zone, anchor=anchor, now=timezone.now())
    status = 400 if filter_form.errors else 200
    context = {"filter_form": filter_form, "heading": _("Calendar")}
    return _page(request, "scheduling/calendar/schedule.html", layout, period_form, context, status)


# --- An instructor's calendar ------------------------------------------------------------------


def _instructor(request: HttpRequest, pk: int | None) -> Instructor:
    """The instructor whose calendar this is: the user's own, or (for those who see every
    instructor) anyone's; else 404."""
    person = instructor_for(request.user, pk)
    if person is None:
        raise Http404(_("No such instructor."))
    if str(scope_for(request.user, "calendar", "retrieve")) != "all" and (
        person.user_id != request.user.pk
    ):
        raise Http404(_("No such instructor."))
    return person


def _calendar_url(person: Instructor, request: HttpRequest) -> str:
    if person.user_id == request.user.pk:
        return reverse("calendar:mine")
    return reverse("calendar:instructor", args=[person.pk])


def _instructor_page(
    request: HttpRequest,
    person: Instructor,
    *,
    form: UnavailabilityForm | None = None,
    conflicts: list[dict[str, Any]] | None = None,
    status: int = 200,
) -> HttpResponse:
    zone = viewer_zone(request).key
    period_form, view, anchor = _period(request, zone, _posted_period(request))
    start, end = window(view, anchor, zone)
    entries, absences = instructor_entries(person, start=start, end=end)
    layout = build(view, entries=entries, zone=zone, anchor=anchor, now=timezone.now())
    may_change = scope_for(request.user, "unavailability", "create") is not None
    context = {
        "person": person,
        "own": person.user_id == request.user.pk,
        "absences": absences,
        "may_change": may_change,
        "form": form or UnavailabilityForm(zone=person.home_time_zone, auto_id="id_away_%s"),
        "conflicts": conflicts or [],
        "calendar_url": _calendar_url(person, request),
        "home_zone": person.home_time_zone,
    }
    return _page(
        request, "scheduling/calendar/instructor.html", layout, period_form, context, status
    )


def _posted_period(request: HttpRequest) -> QueryDict | None:
    """A refused form shows the period it was about (its view, its start date)."""
    if request.method != "POST":
        return None
    data = QueryDict(mutable=True)
    data["view"] = request.POST.get("view", "")
    if PeriodForm({"date": request.POST.get("start_date", "")}).is_valid():
        data["date"] = request.POST.get("start_date", "")
    return data


@require_GET
@policy_required("calendar", "retrieve")
def mine(request: HttpRequest) -> HttpResponse:
    """The signed-in instructor's "My calendar"."""
    return _instructor_page(request, _instructor(request, None))


@require_GET
@policy_required("calendar", "retrieve")
def instructor(request: HttpRequest, pk: int) -> HttpResponse:
    return _instructor_page(request, _instructor(request, pk))


@require_POST
@policy_required("unavailability", "create")
def unavailability_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a period away. One over a session the instructor teaches is refused (409) naming
    the session, on the form."""
    person = _instructor(request, pk)
    form = UnavailabilityForm(request.POST, zone=person.home_time_zone, auto_id="id_away_%s")
    if not form.is_valid():
        return _instructor_page(request, person, form=form, status=400)
    data = form.cleaned_data
    try:
        instructor_services.unavailability_create(
            instructor=person,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            kind=data["kind"],
            note=data.get("note", ""),
        )
    except DomainError as error:
        form.add_error(None, error.message)
        for name, problems in error.fields.items():
            for problem in problems:
                form.add_error(name if name in form.fields else None, problem)
        return _instructor_page(
            request,
            person,
            form=form,
            conflicts=error.conflicts,
            status=int(error.status_code),
        )
    messages.success(
        request,
        _("Your unavailability is saved.")
        if person.user_id == request.user.pk
        else _("The unavailability is saved."),
    )
    return _back(request, person, data["starts_at"])


@require_POST
@policy_required("unavailability", "delete")
def unavailability_delete(request: HttpRequest, pk: int, absence_pk: int) -> HttpResponse:
    person = _instructor(request, pk)
    absence = Unavailability.objects.filter(pk=absence_pk, instructor=person).first()
    if absence is None:
        raise Http404(_("No such unavailability."))
    instructor_services.unavailability_delete(unavailability_id=absence.pk)
    messages.success(request, _("The unavailability is removed."))
    return _back(request, person, absence.starts_at)


def _back(request: HttpRequest, person: Instructor, moment: dt.datetime) -> HttpResponse:
    """To the calendar, on the period that shows `moment` (in the view the form was on)."""
    view = request.POST.get("view", "")
    query = QueryDict(mutable=True)
    query["view"] = view if view in View.__members__.values() else View.WEEK
    query["date"] = moment.astimezone(viewer_zone(request)).date().isoformat()
    return redirect(f"{_calendar_url(person, request)}?{query.urlencode()}")
