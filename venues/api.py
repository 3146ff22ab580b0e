"""REST API for venues: sites, rooms, room closures, virtual-classroom host accounts.

Thin views: check the policy (tms/permissions.py), validate the shape, call one service,
answer with an output serializer.
"""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tms.api import PolicyMixin
from venues import selectors, services
from venues.filters import HostAccountFilter, RoomClosureFilter, RoomFilter
from venues.models import HostAccount, Room, RoomClosure, Site
from venues.serializers import (
    HostAccountInput,
    HostAccountOutput,
    RoomClosureInput,
    RoomClosureOutput,
    RoomInput,
    RoomOutput,
    SiteInput,
    SiteOutput,
)

COLLECTION = {"GET": "list", "POST": "create"}
DETAIL = {"GET": "retrieve", "PATCH": "update", "DELETE": "delete"}


# --- Sites ------------------------------------------------------------------------------------


class SiteCollectionApi(PolicyMixin, generics.ListAPIView):
    policy_resource = "site"
    policy_actions = COLLECTION
    serializer_class = SiteOutput

    def get_queryset(self) -> QuerySet[Site]:
        return selectors.site_list()

    @extend_schema(request=SiteInput, responses={201: SiteOutput})
    def post(self, request: Request) -> Response:
        site = services.site_create(**self.validated(SiteInput))
        return Response(SiteOutput(site).data, status=status.HTTP_201_CREATED)


class SiteDetailApi(PolicyMixin, APIView):
    policy_resource = "site"
    policy_actions = DETAIL

    @extend_schema(responses={200: SiteOutput})
    def get(self, request: Request, pk: int) -> Response:
        return Response(SiteOutput(self.get_visible(selectors.site_list(), pk=pk)).data)

    @extend_schema(request=SiteInput, responses={200: SiteOutput})
    def patch(self, request: Request, pk: int) -> Response:
        site = self.get_visible(selectors.site_list(), pk=pk)
        changes = self.validated(SiteInput, partial=True)
        return Response(SiteOutput(services.site_update(site_id=site.pk, changes=changes)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        site = self.get_visible(selectors.site_list(), pk=pk)
        services.site_delete(site_id=site.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Rooms ------------------------------------------------------------------------------------


class RoomCollectionApi(PolicyMixin, generics.ListAPIView):
    policy_resource = "room"
    policy_actions = COLLECTION
    serializer_class = RoomOutput
    filterset_class = RoomFilter

    def get_queryset(self) -> QuerySet[Room]:
        return selectors.room_list()

    @extend_schema(request=RoomInput, responses={201: RoomOutput})
    def post(self, request: Request) -> Response:
        room = services.room_create(**self.validated(RoomInput))
        return Response(RoomOutput(room).data, status=status.HTTP_201_CREATED)


class RoomDetailApi(PolicyMixin, APIView):
    policy_resource = "room"
    policy_actions = DETAIL

    @extend_schema(responses={200: RoomOutput})
    def get(self, request: Request, pk: int) -> Response:
        return Response(RoomOutput(self.get_visible(selectors.room_list(), pk=pk)).data)

    @extend_schema(request=RoomInput, responses={200: RoomOutput})
    def patch(self, request: Request, pk: int) -> Response:
        room = self.get_visible(selectors.room_list(), pk=pk)
        changes = self.validated(RoomInput, partial=True)
        return Response(RoomOutput(services.room_update(room_id=room.pk, changes=changes)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        room = self.get_visible(selectors.room_list(), pk=pk)
        services.room_delete(room_id=room.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Room closures ---------------------------------------------------------------------------


class RoomClosureCollectionApi(PolicyMixin, generics.ListAPIView):
    policy_resource = "room_closure"
    policy_actions = COLLECTION
    serializer_class = RoomClosureOutput
    filterset_class = RoomClosureFilter

    def get_queryset(self) -> QuerySet[RoomClosure]:
        return selectors.room_closure_list()

    @extend_schema(request=RoomClosureInput, responses={201: RoomClosureOutput})
    def post(self, request: Request) -> Response:
        closure = services.room_closure_create(**self.validated(RoomClosureInput))
        return Response(RoomClosureOutput(closure).data, status=status.HTTP_201_CREATED)


class RoomClosureDetailApi(PolicyMixin, APIView):
    policy_resource = "room_closure"
    policy_actions = DETAIL

    @extend_schema(responses={200: RoomClosureOutput})
    def get(self, request: Request, pk: int) -> Response:
        closure = self.get_visible(selectors.room_closure_list(), pk=pk)
        return Response(RoomClosureOutput(closure).data)

    @extend_schema(request=RoomClosureInput, responses={200: RoomClosureOutput})
    def patch(self, request: Request, pk: int) -> Response:
        closure = self.get_visible(selectors.room_closure_list(), pk=pk)
        changes = self.validated(RoomClosureInput, partial=True)
        closure = services.room_closure_update(closure_id=closure.pk, changes=changes)
        return Response(RoomClosureOutput(closure).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        closure = self.get_visible(selectors.room_closure_list(), pk=pk)
        services.room_closure_delete(closure_id=closure.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Host accounts ----------------------------------------------------------------------------


class HostAccountCollectionApi(PolicyMixin, generics.ListAPIView):
    policy_resource = "host_account"
    policy_actions = COLLECTION
    serializer_class = HostAccountOutput
    filterset_class = HostAccountFilter

    def get_queryset(self) -> QuerySet[HostAccount]:
        return selectors.host_account_list()

    @extend_schema(request=HostAccountInput, responses={201: HostAccountOutput})
    def post(self, request: Request) -> Response:
        account = services.host_account_create(**self.validated(HostAccountInput))
        return Response(HostAccountOutput(account).data, status=status.HTTP_201_CREATED)


class HostAccountDetailApi(PolicyMixin, APIView):
    policy_resource = "host_account"
    policy_actions = DETAIL

    @extend_schema(responses={200: HostAccountOutput})
    def get(self, request: Request, pk: int) -> Response:
        account = self.get_visible(selectors.host_account_list(), pk=pk)
        return Response(HostAccountOutput(account).data)

    @extend_schema(request=HostAccountInput, responses={200: HostAccountOutput})
    def patch(self, request: Request, pk: int) -> Response:
        account = self.get_visible(selectors.host_account_list(), pk=pk)
        changes = self.validated(HostAccountInput, partial=True)
        account = services.host_account_update(host_account_id=account.pk, changes=changes)
        return Response(HostAccountOutput(account).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        account = self.get_visible(selectors.host_account_list(), pk=pk)
        services.host_account_delete(host_account_id=account.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
