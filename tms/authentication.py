"""Token authentication that also reads the user's roles, in one plain statement.

Every API request checks the policy table, which needs the caller's roles; reading them with
the token saves a round trip per request. The statement is written out (the user's columns
come from the model) because building the equivalent ORM query, with its aggregate, cost more
CPU than the database spent answering it, on every request of a registration rush.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from tms.db import PreparedStatement
from tms.roles import Role


@cache
def _token_query() -> tuple[PreparedStatement, list[str]]:
    """The statement and the user fields it reads, in order (built once per process)."""
    user_model = get_user_model()
    fields = list(user_model._meta.concrete_fields)
    columns = ", ".join(f"u.{connection.ops.quote_name(f.column)}" for f in fields)
    user_table = connection.ops.quote_name(user_model._meta.db_table)
    group_link = connection.ops.quote_name(user_model.groups.through._meta.db_table)
    sql = f"""
SELECT t.created,
       ARRAY(SELECT g.name FROM {group_link} ug JOIN auth_group g ON g.id = ug.group_id
              WHERE ug.user_id = u.id),
       {columns}
  FROM authtoken_token t JOIN {user_table} u ON u.id = t.user_id
 WHERE t.key = %s::varchar
"""  # noqa: S608 (table and column names come from the models, the key is a parameter)
    return PreparedStatement("tms_token_user", sql), [f.attname for f in fields]


# What Token.generate_key() makes: 40 lowercase hex digits. Anything else (a NUL character
# included, which PostgreSQL cannot even be sent) is refused without a query.
_KEY = re.compile(r"[0-9a-f]{40}")


class TokenWithRolesAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        if not _KEY.fullmatch(key):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        statement, attnames = _token_query()
        with connection.cursor() as cursor:
            statement.execute(cursor, [key])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        created, role_names, *values = row
        user = get_user_model().from_db(connection.alias, attnames, values)
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        names = {name for name in role_names if name}
        if user.is_superuser:
            names.add(Role.COORDINATOR)
        user._tms_roles = frozenset(names)  # read by tms.roles.roles_of
        token = Token(key=key, user=user, created=created)
        token._state.adding = False
        token._state.db = connection.alias
        return user, token
