"""The notification ledger page: every message queued, sent, failed or bounced, what the
reminder sweep will send in the next 48 hours, and a resend button for coordinators."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from notifications import registry
from notifications.health import delivery_health
from notifications.models import MessageChannel, MessageStatus, OutboxMessage
from notifications.selectors import ledger
from notifications.services import message_resend
from tms.exceptions import DomainError
from tms.views import can, policy_required, viewer_zone

PAGE_SIZE = 50
RESENDABLE = (MessageStatus.SENT, MessageStatus.FAILED, MessageStatus.BOUNCED)


class LedgerFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[("", gettext_lazy("Any")), *MessageStatus.choices],
        required=False,
    )
    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": gettext_lazy("Email or event")}
        ),
    )


@require_GET
@policy_required("ledger", "list")
def message_list(request: HttpRequest) -> HttpResponse:
    form = LedgerFilterForm(request.GET)
    if form.is_valid():
        rows = ledger(
            status=form.cleaned_data["status"] or None,
            search=form.cleaned_data["q"].strip() or None,
        )
    else:
        rows = OutboxMessage.objects.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for message in page.object_list:
        # Until it is sent a message has no subject: name it after its template.
        message.label = (
            message.subject
            # An xAPI statement says what it is about when it is queued.
            or (message.context.get("summary") if message.channel == MessageChannel.XAPI else "")
            or message.template.replace("_", " ").capitalize()
        )
    context = {
        "form": form,
        "page": page,
        "query": request.GET,
        "resendable": RESENDABLE,
        "can_resend": can(request.user, "ledger", "resend"),
    }
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "notifications/partials/ledger_results.html", context)
    else:
        context["preview"] = registry.preview()
        # A warning when delivery has stopped: no worker seen lately, or mail overdue.
        context["health"] = delivery_health(now=timezone.now())
        context["viewer_zone"] = viewer_zone(request)
        response = render(request, "notifications/ledger.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
@policy_required("ledger", "resend")
def message_resend_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a copy of a sent, failed or bounced message (linked to the original)."""
    try:
        copy = message_resend(message_id=pk)
    except OutboxMessage.DoesNotExist:
        raise Http404(_("No such message.")) from None
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("The message to %(email)s is queued again (message #%(pk)s).")
            % {"email": copy.address, "pk": copy.pk},
        )
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(reverse("notifications:message-list"))
