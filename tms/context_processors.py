from typing import Any

from django.http import HttpRequest

from tms.roles import Role, roles_of


def roles(request: HttpRequest) -> dict[str, Any]:
    held = roles_of(request.user)
    return {
        "user_roles": held,
        "is_coordinator": Role.COORDINATOR in held,
        "is_instructor": Role.INSTRUCTOR in held,
        "is_learner": Role.LEARNER in held,
        "is_auditor": Role.AUDITOR in held,
    }
