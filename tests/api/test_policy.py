"""The policy table is walked over every API route: a route without a rule fails here.

For each route and method, every persona is sent a request; the table says whether it must be
refused (403) or let through (anything but 403: 200, 400, 404...). Ids in the URL point at
nothing and bodies are empty, so nothing is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from tests.api.conftest import PERSONAS
from tests.factories import UserFactory
from tms.api import PolicyMixin
from tms.permissions import PolicyPermission, Scope, action_for, policy_table, scope_for
from tms.roles import Role

pytestmark = pytest.mark.django_db

API_PREFIX = "api/v1/"
MISSING_ID = "987654"


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        else:
            yield route, pattern


def api_routes() -> list[tuple[str, type[APIView]]]:
    """Every URL pattern under /api/v1/, with its view class."""
    routes = [
        (route, getattr(pattern.callback, "cls", pattern.callback))
        for route, pattern in _walk(get_resolver().url_patterns)
        if route.startswith(API_PREFIX)
    ]
    assert routes, "no API routes found"
    return routes


def handled_methods(view: type[APIView]) -> list[str]:
    return [
        m.upper()
        for m in view.http_method_names
        if m not in ("head", "options") and hasattr(view, m)
    ]


def concrete(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?\w+>", MISSING_ID, route)


ROUTE_METHODS = [
    pytest.param(route, view, method, id=f"{method} /{route}")
    for route, view in api_routes()
    for method in handled_methods(view)
]


def unruled(routes: list[tuple[str, Any]]) -> list[str]:
    """What keeps each route from being ruled by the policy table (empty: all ruled)."""
    table = policy_table()
    problems = []
    for route, view in routes:
        if not (isinstance(view, type) and issubclass(view, PolicyMixin)):
            problems.append(f"/{route}: {view!r} is not an API class based on PolicyMixin")
            continue
        if PolicyPermission not in view.permission_classes:
            problems.append(f"/{route}: {view.__name__} does not use PolicyPermission")
        resource = getattr(view, "policy_resource", None)
        if resource not in table:
            problems.append(f"/{route}: {view.__name__} has no resource in the policy table")
            continue
        actions = getattr(view, "policy_actions", {})
        methods = handled_methods(view)
        if set(actions) != set(methods):
            problems.append(f"/{route}: methods {methods} but actions for {sorted(actions)}")
        problems += [
            f"{method} /{route}: no rule for {resource}.{actions[method]}"
            for method in methods
            if method in actions and actions[method] not in table[resource]
        ]
    return problems


def test_every_api_route_is_ruled_by_the_policy_table():
    assert unruled(api_routes()) == []


def test_a_route_without_a_rule_would_fail_the_build():
    class Forgotten(APIView):
        def get(self, request: Any) -> Any:  # pragma: no cover - never called
            raise AssertionError

    class Misspelled(PolicyMixin, APIView):
        policy_resource = "sesion"
        policy_actions = {"GET": "list"}

        def get(self, request: Any) -> Any:  # pragma: no cover - never called
            raise AssertionError

    class NewAction(PolicyMixin, APIView):
        policy_resource = "session"
        policy_actions = {"POST": "clone"}

        def post(self, request: Any) -> Any:  # pragma: no cover - never called
            raise AssertionError

    class ExtraMethod(PolicyMixin, APIView):
        policy_resource = "session"
        policy_actions = {"GET": "list"}

        def get(self, request: Any) -> Any:  # pragma: no cover - never called
            raise AssertionError

        def delete(self, request: Any) -> Any:  # pragma: no cover - never called
            raise AssertionError

    views = [Forgotten, Misspelled, NewAction, ExtraMethod]

    assert len(unruled([(f"api/v1/{v.__name__}/", v) for v in views])) == len(views)


def page_rules() -> set[tuple[str, str]]:
    """The rules pages name (`tms.views.policy_required`): some are reached only there (the
    calendar pages, the calendar subscriptions page)."""
    from tms import web_urls

    rules = set()
    for _route, pattern in _walk(web_urls.urlpatterns):
        rule = getattr(pattern.callback, "page_policy", None)
        if rule is not None:
            rules.add(tuple(rule))
    return rules


def test_every_rule_in_the_table_is_reachable_through_some_route():
    """Through the API, or through a page (`page_policy`, set by tms.views.policy_required:
    the management pages' rules, such as learner accounts, have no API)."""
    used = {
        (view.policy_resource, action)
        for _route, view in api_routes()
        for action in view.policy_actions.values()
    } | page_rules()
    ruled = {
        (resource, action) for resource, actions in policy_table().items() for action in actions
    }
    assert ruled == used


def test_the_table_grants_only_known_roles_and_scopes():
    for actions in policy_table().values():
        for rule in actions.values():
            assert set(rule) <= set(Role.values)
            assert set(rule.values()) <= set(Scope)


def test_the_table_cannot_be_changed_at_run_time():
    with pytest.raises(TypeError):
        policy_table()["session"]["create"][Role.LEARNER] = Scope.ALL  # type: ignore[index]


@pytest.mark.parametrize(("route", "view", "method"), ROUTE_METHODS)
def test_each_role_is_allowed_or_refused_as_the_table_says(
    route, view, method, persona_users, as_user
):
    url = concrete(route)
    for persona in PERSONAS:
        user = persona_users[persona]
        scope = (
            None
            if user is None
            else scope_for(user, view.policy_resource, view.policy_actions[method])
        )
        response = as_user(user).generic(method, url, data="{}", content_type="application/json")
        if scope is None:
            assert response.status_code == 403, f"{persona} {method} {url}: {response.status_code}"
            assert response.json()["code"] in {"permission_denied", "not_authenticated"}
        else:
            assert response.status_code != 403, f"{persona} {method} {url}: {response.content!r}"
            assert response.status_code < 500


def test_outsiders_and_anonymous_visitors_have_no_rule_anywhere(outsider):
    for resource, actions in policy_table().items():
        for action in actions:
            assert scope_for(outsider, resource, action) is None
            assert scope_for(AnonymousUser(), resource, action) is None


# What only a learner does for themself: nobody answers an offer or waits for a course on
# someone else's behalf (a coordinator enrols or cancels instead).
LEARNER_ONLY = {
    ("registration", "respond_offer"),
    ("course_waitlist", "create"),
    ("course_waitlist", "delete"),
    ("check_in", "create"),  # checking oneself in with the code shown in the room
}
# The only things a learner changes: their own registrations and any-date waitlist places.
# Everyone's own calendar subscription links (issue, regenerate, revoke): no schedule changes.
OWN_FEEDS = {("calendar_feed", "manage")}
# Exporting writes only the export's own record: auditors and coordinators export everything,
# a learner their own transcript.
EXPORTS = {("export", "create")}
LEARNER_WRITES = {
    *OWN_FEEDS,
    *EXPORTS,
    ("registration", "create"),
    ("registration", "cancel"),
    *LEARNER_ONLY,
}


def test_coordinators_may_do_everything_but_answer_for_a_learner(coordinator):
    for resource, actions in policy_table().items():
        for action in actions:
            expected = None if (resource, action) in LEARNER_ONLY else Scope.ALL
            assert scope_for(coordinator, resource, action) == expected, (resource, action)


# The only things an instructor changes: their own unavailability ("My calendar"), their
# own calendar subscription, and the attendance of the sessions they teach (marking, sign-off,
# check-in: showing the live code; participant reports: importing, resolving participants).
INSTRUCTOR_WRITES = {
    ("unavailability", "create"),
    ("unavailability", "delete"),
    ("attendance", "mark"),
    ("attendance", "sign_off"),
    *OWN_FEEDS,
    ("check_in", "code"),
    ("participant_report", "import"),
    ("participant_report", "resolve"),
}


def test_instructors_change_only_their_own_unavailability_subscriptions_and_attendance(
    instructor,
):
    reads = {"list", "retrieve"}
    for resource, actions in policy_table().items():
        for action in set(actions) - reads:
            expected = Scope.OWN if (resource, action) in INSTRUCTOR_WRITES else None
            assert scope_for(instructor.user, resource, action) == expected, (resource, action)


def test_learners_change_only_their_own_registrations_and_waitlist_places(learner):
    reads = {"list", "retrieve"}
    for resource, actions in policy_table().items():
        for action in set(actions) - reads:
            expected = Scope.OWN if (resource, action) in LEARNER_WRITES else None
            assert scope_for(learner, resource, action) == expected, (resource, action)


def test_auditors_read_and_export_everything_and_change_nothing(auditor):
    reads = {"list", "retrieve", "rooms", "instructors"}
    for resource, actions in policy_table().items():
        for action in actions:
            expected = Scope.ALL if action in reads or (resource, action) in EXPORTS else None
            assert scope_for(auditor, resource, action) == expected, (resource, action)


def test_a_view_without_a_policy_resource_is_refused(coordinator):
    class Unruled(APIView):
        def get(self, request: Any) -> Any:  # pragma: no cover - never reached
            raise AssertionError

    request = APIRequestFactory().get("/api/v1/unruled/")
    request.user = coordinator
    assert PolicyPermission().has_permission(request, Unruled()) is False
    assert action_for(Unruled(), "GET") is None


def test_a_method_without_an_action_is_refused(coordinator):
    class ReadOnly(PolicyMixin, APIView):
        policy_resource = "site"
        policy_actions = {"GET": "list"}

    request = APIRequestFactory().delete("/api/v1/sites/")
    request.user = coordinator
    assert PolicyPermission().has_permission(request, ReadOnly()) is False


def test_a_user_with_two_roles_gets_the_wider_scope(course):
    both = UserFactory(username="teaching-learner", role=Role.INSTRUCTOR)
    both.groups.add(*UserFactory(username="x", role=Role.LEARNER).groups.all())
    both = type(both).objects.get(pk=both.pk)  # drop the cached roles
    assert scope_for(both, "session", "list") == Scope.OWN_OR_PUBLISHED
    assert scope_for(both, "course", "list") == Scope.PUBLISHED
    assert scope_for(both, "session", "create") is None


def test_own_objects_pass_the_object_check_and_others_do_not(instructor, other_instructor):
    class Profile(PolicyMixin, APIView):
        policy_resource = "instructor"
        policy_actions = {"GET": "retrieve"}

        def policy_owns(self, obj: Any) -> bool:
            return bool(obj.user_id == self.request.user.pk)

    request = APIRequestFactory().get("/api/v1/instructors/1/")
    request.user = instructor.user
    view = Profile()
    view.request = request
    permission = PolicyPermission()

    assert permission.has_permission(request, view)
    assert view.policy_scope == Scope.OWN
    assert permission.has_object_permission(request, view, instructor)
    assert not permission.has_object_permission(request, view, other_instructor)
