"""The learner invitation at send time: a set-password link made now, for this account.

Django's password-reset tokens hash the password and the last sign-in, so the link stops
working once it is used (or the password is set another way). Registered in
`AttendanceConfig.ready`.
"""

from __future__ import annotations

from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from attendance.learner_accounts import INVITATION_TEMPLATE
from notifications.models import OutboxMessage
from notifications.registry import Rendered, Superseded, register
from tms.links import absolute_link


def build_learner_invitation(message: OutboxMessage) -> Rendered:
    user = message.recipient
    if user is None or not user.is_active:
        raise Superseded(_("The account no longer exists or is deactivated."))
    if user.has_usable_password():
        raise Superseded(_("The learner has set a password already."))
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = absolute_link("password-set", uid, default_token_generator.make_token(user))
    return Rendered(
        subject=_("You are invited to the training portal"),
        context={
            "recipient": user,
            "set_password_url": link,
            "sign_in_url": absolute_link("login"),
            "username": user.get_username(),
            "invited_by": message.context.get("invited_by", ""),
        },
    )


def register_builders() -> None:
    register(INVITATION_TEMPLATE, build_learner_invitation)
