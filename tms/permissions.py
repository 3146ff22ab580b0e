from rest_framework.permissions import BasePermission


class PolicyPermission(BasePermission):
    pass
