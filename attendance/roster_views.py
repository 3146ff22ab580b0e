"""The roster page and its coordinator actions: give a free seat to a chosen waitlisted learner
(with a reason, kept), and message everyone registered (kept, listed on the roster).

Views are thin: policy, shape (a form), the session through the visibility selector, one
service call, then a redirect with a message. Bad input re-renders the roster with the form's
errors and a 400; a service's refusal is shown as an error message, and nothing was written.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from attendance.access import may_see_roster, may_use_reports
from attendance.models import (
    Registration,
    RegistrationStatus,
    RosterMessage,
    WaitlistPromotion,
)
from attendance.roster_forms import ChosenPromotionForm, RosterMessageForm
from attendance.selectors import seats_for
from attendance.services.chosen_promotion import waitlist_promote_chosen
from attendance.services.roster_messages import roster_message_send
from scheduling.models import Session, SessionStatus
from scheduling.selectors import session_get_for
from tms.exceptions import DomainError
from tms.views import can, policy_required

ROSTER_HISTORY_SIZE = 20


def _visible_session(request: HttpRequest, pk: int) -> Session:
    try:
        return session_get_for(request.user, pk)
    except Session.DoesNotExist:
        raise Http404(_("No such session.")) from None


def _who(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


def _roster_url(session_id: int, anchor: str) -> str:
    return f"{reverse('attendance:roster', args=[session_id])}#{anchor}"


def roster_extras(user: Any, session: Session) -> dict[str, Any]:
    """The roster page's own parts: kept messages and chosen promotions (with their
    reasons), and the message form for those who may send one. Two queries, plus one for
    the recipients of the listed messages."""
    return {
        "can_message": can(user, "roster", "message"),
        "message_form": RosterMessageForm(auto_id="id_message_%s")
        if can(user, "roster", "message")
        else None,
        "sent_messages": list(
            RosterMessage.objects.filter(session=session)
            .select_related("sent_by")
            .prefetch_related("recipients")[:ROSTER_HISTORY_SIZE]
        ),
        "chosen_promotions": list(
            WaitlistPromotion.objects.filter(registration__session=session).select_related(
                "registration__learner", "promoted_by"
            )[:ROSTER_HISTORY_SIZE]
        ),
    }


def roster_page(
    request: HttpRequest,
    session: Session,
    *,
    message_form: RosterMessageForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The roster page (attendance/roster.html) for a session the viewer may see the roster
    of; `attendance.views.roster` and a refused message both render it."""
    # Imported here: attendance.views imports this module for the roster page.
    from attendance.views import roster_context

    upcoming = (
        session.status == SessionStatus.SCHEDULED
        and session.starts_at is not None
        and session.starts_at > timezone.now()
    )
    context = {
        "session": session,
        "seats": seats_for(session),
        "can_import_reports": may_use_reports(request.user, session, "import"),
        **roster_context(request.user, session, upcoming=upcoming),
        **roster_extras(request.user, session),
    }
    if message_form is not None:
        context["message_form"] = message_form
    return render(request, "attendance/roster.html", context, status=status)


@require_POST
@policy_required("waitlist", "promote")
def promote_chosen(request: HttpRequest, pk: int) -> HttpResponse:
    """Give the free seat to this waitlisted learner (not necessarily the first in line)."""
    registration = Registration.objects.select_related("learner").filter(pk=pk).first()
    if registration is None:
        raise Http404(_("No such registration."))
    session = _visible_session(request, registration.session_id)
    back = _roster_url(session.pk, "waitlist-heading")
    form = ChosenPromotionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["reason"][0])
        return redirect(back)
    try:
        promoted = waitlist_promote_chosen(
            registration_id=registration.pk,
            promoted_by=request.user,
            reason=form.cleaned_data["reason"],
        )
    except Registration.DoesNotExist:
        raise Http404(_("No such registration.")) from None
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(back)
    who = _who(registration.learner)
    if promoted.status == RegistrationStatus.OFFERED:
        messages.success(
            request,
            _("%(who)s was offered the seat; the offer email is on its way.") % {"who": who},
        )
    else:
        messages.success(
            request,
            _("%(who)s has the seat (confirmed); the confirmation email is on its way.")
            % {"who": who},
        )
    return redirect(_roster_url(session.pk, "roster-heading"))


@require_POST
@policy_required("roster", "message")
def message_everyone(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue the coordinator's message to the session's learners (one email each)."""
    session = _visible_session(request, pk)
    if not may_see_roster(request.user, session):
        raise PermissionDenied
    form = RosterMessageForm(request.POST, auto_id="id_message_%s")
    if not form.is_valid():
        return roster_page(request, session, message_form=form, status=400)
    try:
        sent = roster_message_send(
            session_id=session.pk,
            sent_by=request.user,
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
            audience=form.cleaned_data["audience"],
        )
    except DomainError as error:
        form.add_error(None, error.message)
        for field, problems in error.fields.items():
            for problem in problems:
                form.add_error(field if field in form.fields else None, problem)
        return roster_page(request, session, message_form=form, status=400)
    count = sent.recipients.count()
    messages.success(
        request,
        _("Your message is on its way to %(n)d learner(s).") % {"n": count},
    )
    return redirect(_roster_url(session.pk, "messages-heading"))
