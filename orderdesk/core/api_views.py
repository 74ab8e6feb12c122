"""Master-data API plumbing shared by the apps, and the currency and exchange-rate endpoints.

`MasterDataViewSet` is the shape every master-data resource takes: list and read through a
selector-built queryset (paginated, filtered with django-filter), create and change by parsing
an input serializer and calling one service, answering with the output serializer. Refusals
are DomainErrors, mapped by `core.api.exception_handler`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.response import Response

from .api import ERROR_RESPONSES
from .models import Currency, ExchangeRate
from .roles import Role, has_role
from .services import exchange_rate_set


def role_permission(predicate: Callable[[Any], bool], message: str) -> type:
    """A DRF permission class from a predicate over the user (answers 403 `permission_denied`)."""

    class RolePermission(permissions.BasePermission):
        def has_permission(self, request, view):
            return bool(request.user and request.user.is_authenticated and predicate(request.user))

    RolePermission.message = message
    return RolePermission


class AdministratorWrites(permissions.BasePermission):
    """Anyone signed in reads; only an administrator writes (for data without a `by=` service)."""

    message = _("Only an administrator may change this master data.")

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return has_role(request.user, Role.ADMINISTRATOR)


def crud_schema(
    *,
    output: type[serializers.Serializer],
    input: type[serializers.Serializer] | None = None,
    update_input: type[serializers.Serializer] | None = None,
    tags: list[str] | None = None,
) -> Callable:
    """Document a MasterDataViewSet: requests, responses and the error shapes of each action
    the view has (list, retrieve, create, partial_update, destroy)."""

    def decorate(view):
        answers = {
            "list": (None, {200: output(many=True)}),
            "retrieve": (None, {200: output}),
            "create": (input, {201: output}),
            "partial_update": (update_input or input, {200: output}),
            "destroy": (None, {204: None}),
        }
        views = {
            action: extend_schema(tags=tags, request=req, responses={**ok, **ERROR_RESPONSES})
            for action, (req, ok) in answers.items()
            if hasattr(view, action)
        }
        return extend_schema_view(**views)(view)

    return decorate


class MasterDataViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Read-only part: list (paginated, filtered) and read through `get_queryset`."""

    output_serializer: type[serializers.Serializer]
    input_serializer: type[serializers.Serializer] | None = None

    def get_serializer_class(self):
        if self.action in ("create", "partial_update") and self.input_serializer is not None:
            return self.input_serializer
        return self.output_serializer

    def parse(self, partial: bool = False) -> dict[str, Any]:
        serializer = self.input_serializer(
            data=self.request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def answer(self, obj, code: int = status.HTTP_200_OK) -> Response:
        out = self.output_serializer(obj, context=self.get_serializer_context())
        return Response(out.data, status=code)

    def reload(self, obj):
        """The saved object as the list shows it (annotations, prefetches)."""
        return self.get_queryset().filter(pk=obj.pk).first() or obj


class ServiceCreateMixin:
    """POST: parse `input_serializer`, call `create_service(by=user, **data)`, answer 201."""

    create_service: Callable

    def create(self, request, *args, **kwargs):
        obj = type(self).create_service(by=request.user, **self.extra_input(), **self.parse())
        return self.answer(self.reload(obj), status.HTTP_201_CREATED)

    def extra_input(self) -> dict[str, Any]:
        """Service arguments taken from the URL (the parent of a nested resource)."""
        return {}


class ServiceUpdateMixin:
    """PATCH: parse `input_serializer` (partial), call `update_service(by=user, <kwarg>=obj, ...)`."""

    update_service: Callable
    update_kwarg: str = "obj"

    def partial_update(self, request, *args, **kwargs):
        obj = self.get_object()
        data = self.parse(partial=True)
        obj = type(self).update_service(by=request.user, **{self.update_kwarg: obj}, **data)
        return self.answer(self.reload(obj))


# --- currencies and exchange rates ----------------------------------------------------------


class CurrencyOut(serializers.ModelSerializer):
    class Meta:
        model = Currency
        fields = ["code", "name", "minor_unit", "symbol", "active"]


class ExchangeRateOut(serializers.ModelSerializer):
    class Meta:
        model = ExchangeRate
        fields = ["id", "currency", "date", "rate", "units"]


class ExchangeRateIn(serializers.Serializer):
    currency = serializers.CharField(max_length=3)
    date = serializers.DateField()
    rate = serializers.DecimalField(max_digits=18, decimal_places=6)
    units = serializers.IntegerField(default=1)


class ExchangeRateFilter(django_filters.FilterSet):
    currency = django_filters.CharFilter(method="of_currency", label="currency (ISO 4217)")
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = ExchangeRate
        fields = ["currency", "date", "date_from", "date_to"]

    def of_currency(self, queryset, name, value):
        return queryset.filter(currency_id=value.strip().upper())


@crud_schema(output=CurrencyOut, tags=["currencies"])
class CurrencyViewSet(MasterDataViewSet):
    """ISO 4217 currencies documents may be in (changed in the admin)."""

    output_serializer = CurrencyOut
    queryset = Currency.objects.order_by("code")
    filterset_fields = ["active"]
    search_fields = ["code", "name"]


def _set_rate(*, by, currency: str, date, rate, units: int = 1) -> ExchangeRate:
    # The administrator check is AdministratorWrites: core has no user-aware service layer.
    return exchange_rate_set(currency=currency, date=date, rate=rate, units=units)


@crud_schema(output=ExchangeRateOut, input=ExchangeRateIn, tags=["currencies"])
class ExchangeRateViewSet(ServiceCreateMixin, MasterDataViewSet):
    """Official rates by date: base-currency units for `units` of the currency. POST sets the
    rate of a day (replacing it): `currency_unknown`, `rate_not_positive`, `units_not_positive`."""

    permission_classes = [permissions.IsAuthenticated, AdministratorWrites]
    output_serializer = ExchangeRateOut
    input_serializer = ExchangeRateIn
    create_service = staticmethod(_set_rate)
    queryset = ExchangeRate.objects.order_by("currency_id", "-date")
    filterset_class = ExchangeRateFilter
    ordering_fields = ["date", "currency"]
