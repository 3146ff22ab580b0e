"""Token authentication that also reads the user's roles, in one query.

Every API request checks the policy table, which needs the caller's roles; reading them with
the token saves a round trip per request (it matters in a registration rush).
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.aggregates import ArrayAgg
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from tms.roles import Role


class TokenWithRolesAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        token = (
            Token.objects.select_related("user")
            .annotate(role_names=ArrayAgg("user__groups__name", default=[]))
            .filter(key=key)
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user = token.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        names = {name for name in token.role_names if name}
        if user.is_superuser:
            names.add(Role.COORDINATOR)
        user._tms_roles = frozenset(names)  # read by tms.roles.roles_of
        return user, token
