"""Token authentication reads the caller's roles with the token: one query, same decisions."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_token_auth_and_roles_cost_one_query(coordinator, learner, django_assert_num_queries):
    from tms.authentication import TokenWithRolesAuthentication
    from tms.roles import roles_of

    key = Token.objects.create(user=learner).key
    with django_assert_num_queries(1):
        user, _token = TokenWithRolesAuthentication().authenticate_credentials(key)
        assert roles_of(user) == {"Learner"}


def test_a_learner_token_is_refused_where_only_coordinators_may_act(learner, coordinator):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=learner).key}")
    assert api.get("/api/v1/sites/").status_code == 200
    assert api.post("/api/v1/sites/", {"name": "X", "time_zone": "UTC"}).status_code == 403
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=coordinator).key}")
    assert api.post("/api/v1/sites/", {"name": "X", "time_zone": "UTC"}).status_code == 201
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    # DRF answers 403 here: session authentication, listed first, sends no WWW-Authenticate.
    assert api.get("/api/v1/sites/").status_code == 403
