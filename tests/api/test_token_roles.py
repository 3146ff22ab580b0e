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


def test_the_token_user_is_the_whole_user_and_a_superuser_acts_as_coordinator(admin_user):
    from tms.authentication import TokenWithRolesAuthentication
    from tms.roles import roles_of

    token = Token.objects.create(user=admin_user)
    user, found = TokenWithRolesAuthentication().authenticate_credentials(token.key)

    assert (user.pk, user.username, user.email) == (admin_user.pk, "admin", admin_user.email)
    assert user.password == admin_user.password
    assert user.is_superuser
    assert roles_of(user) == {"Coordinator"}
    assert (found.key, found.user_id, found.created) == (token.key, admin_user.pk, token.created)


def test_a_deactivated_users_token_is_refused(learner):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=learner).key}")
    assert api.get("/api/v1/sites/").status_code == 200
    learner.is_active = False
    learner.save()

    response = api.get("/api/v1/sites/")

    assert response.status_code == 403
    assert "inactive" in str(response.json()).lower()
