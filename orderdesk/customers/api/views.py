"""Customers API: thin views over customers.selectors (reads) and customers.services (writes)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, status
from rest_framework.response import Response

from orderdesk.core.api import ERROR_RESPONSES
from orderdesk.core.api_views import (
    MasterDataViewSet,
    ServiceCreateMixin,
    ServiceUpdateMixin,
    crud_schema,
    role_permission,
)

from .. import selectors, services
from ..models import Contact, Customer
from . import serializers as s

CanViewCustomers = role_permission(
    selectors.can_view_customers, _("Your role does not work with customers.")
)


class CustomerFilter(django_filters.FilterSet):
    class Meta:
        model = Customer
        fields = ["group", "manager", "active"]


@crud_schema(output=s.CustomerOut, input=s.CustomerIn, tags=["customers"])
class CustomerViewSet(ServiceCreateMixin, ServiceUpdateMixin, MasterDataViewSet):
    """Customers the user may see (`customer_not_found` otherwise). A sales manager who creates
    a customer becomes its manager; rights and input errors as in customers.services."""

    permission_classes = [permissions.IsAuthenticated, CanViewCustomers]
    output_serializer = s.CustomerOut
    input_serializer = s.CustomerIn
    create_service = staticmethod(services.customer_create)
    update_service = staticmethod(services.customer_update)
    update_kwarg = "customer"
    filterset_class = CustomerFilter
    search_fields = ["short_name", "legal_name", "=tax_id", "email", "phone"]
    ordering_fields = ["short_name", "created_at"]

    def get_queryset(self):
        return selectors.customer_list_for(user=self.request.user)

    def get_object(self):
        customer = selectors.customer_get_for(user=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, customer)
        return customer

    def get_serializer_class(self):
        if self.action == "list":
            return s.CustomerOut
        if self.action in ("create", "partial_update"):
            return s.CustomerIn
        return s.CustomerDetailOut

    def answer(self, obj, code=status.HTTP_200_OK):
        return Response(s.CustomerDetailOut(obj).data, status=code)

    @extend_schema(tags=["customers"], responses={200: s.CustomerDetailOut, **ERROR_RESPONSES})
    def retrieve(self, request, *args, **kwargs):
        return self.answer(self.get_object())


CUSTOMER_PATH = OpenApiParameter("customer_pk", int, OpenApiParameter.PATH)


@extend_schema(parameters=[CUSTOMER_PATH])
@crud_schema(output=s.ContactOut, input=s.ContactIn, tags=["customers"])
class ContactViewSet(
    ServiceCreateMixin, ServiceUpdateMixin, mixins.DestroyModelMixin, MasterDataViewSet
):
    """The people at a customer (`/customers/{customer_pk}/contacts/`). Managers keep the
    contacts of own customers; `contact_edit_forbidden` otherwise."""

    permission_classes = [permissions.IsAuthenticated, CanViewCustomers]
    output_serializer = s.ContactOut
    input_serializer = s.ContactIn
    create_service = staticmethod(services.contact_add)
    update_service = staticmethod(services.contact_update)
    update_kwarg = "contact"
    filter_backends: list = []

    def customer(self) -> Customer:
        if not hasattr(self, "_customer"):
            self._customer = selectors.customer_get_for(
                user=self.request.user, pk=self.kwargs["customer_pk"]
            )
        return self._customer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Contact.objects.none()
        return Contact.objects.filter(customer=self.customer()).order_by("-is_primary", "name")

    def get_object(self):
        return selectors.contact_get_for(
            user=self.request.user, customer_pk=self.kwargs["customer_pk"], pk=self.kwargs["pk"]
        )

    def extra_input(self):
        return {"customer": self.customer()}

    def perform_destroy(self, instance):
        services.contact_remove(by=self.request.user, contact=instance)


@crud_schema(output=s.CustomerGroupOut, input=s.CustomerGroupIn, tags=["trade terms"])
class CustomerGroupViewSet(ServiceCreateMixin, ServiceUpdateMixin, MasterDataViewSet):
    output_serializer = s.CustomerGroupOut
    input_serializer = s.CustomerGroupIn
    create_service = staticmethod(services.customer_group_create)
    update_service = staticmethod(services.customer_group_update)
    update_kwarg = "group"
    queryset = selectors.customer_group_list()
    search_fields = ["code", "name"]


@crud_schema(output=s.SalesTeamOut, tags=["trade terms"])
class SalesTeamViewSet(MasterDataViewSet):
    """Sales teams (kept in the admin): a head of sales and the managers in the team."""

    output_serializer = s.SalesTeamOut
    queryset = selectors.sales_team_list()
    filterset_fields = ["head"]
    search_fields = ["name"]


@crud_schema(output=s.PaymentTermsOut, input=s.PaymentTermsIn, tags=["trade terms"])
class PaymentTermsViewSet(ServiceCreateMixin, ServiceUpdateMixin, MasterDataViewSet):
    """Payment schedules; PATCH with `instalments` replaces the whole schedule."""

    output_serializer = s.PaymentTermsOut
    input_serializer = s.PaymentTermsIn
    create_service = staticmethod(services.payment_terms_create)
    update_service = staticmethod(services.payment_terms_update)
    update_kwarg = "terms"
    queryset = selectors.payment_terms_list()
    filterset_fields = ["active"]
    search_fields = ["code", "name"]


@crud_schema(output=s.PaymentMethodOut, input=s.PaymentMethodIn, tags=["trade terms"])
class PaymentMethodViewSet(ServiceCreateMixin, ServiceUpdateMixin, MasterDataViewSet):
    output_serializer = s.PaymentMethodOut
    input_serializer = s.PaymentMethodIn
    create_service = staticmethod(services.payment_method_create)
    update_service = staticmethod(services.payment_method_update)
    update_kwarg = "method"
    queryset = selectors.payment_method_list()
    filterset_fields = ["active", "kind"]
    search_fields = ["code", "name"]


@crud_schema(output=s.DeliveryMethodOut, input=s.DeliveryMethodIn, tags=["trade terms"])
class DeliveryMethodViewSet(ServiceCreateMixin, ServiceUpdateMixin, MasterDataViewSet):
    output_serializer = s.DeliveryMethodOut
    input_serializer = s.DeliveryMethodIn
    create_service = staticmethod(services.delivery_method_create)
    update_service = staticmethod(services.delivery_method_update)
    update_kwarg = "method"
    queryset = selectors.delivery_method_list()
    filterset_fields = ["active"]
    search_fields = ["code", "name"]
