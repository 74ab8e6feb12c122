"""Catalogue pages: the product list (search, group, paging) and the product card with stock."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import render
from django.views import View
from django.views.generic import ListView

from orderdesk.core.errors import NotFound
from orderdesk.core.panels import render_panels
from orderdesk.core.views import HtmxTemplateMixin

from . import selectors


class ProductListView(LoginRequiredMixin, HtmxTemplateMixin, ListView):
    """Every signed-in user looks products up (sales for orders, the warehouse for stock)."""

    template_name = "catalog/products.html"
    fragment_template_name = "catalog/_product_table.html"
    context_object_name = "products"
    paginate_by = 50

    def filters(self) -> dict:
        get = self.request.GET
        group = get.get("group", "")
        return {
            "q": get.get("q", "").strip(),
            "group": group if group.isdigit() else "",
            "active": None if get.get("all") else True,
        }

    def get_queryset(self):
        return selectors.product_list(**self.filters())

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        filters = self.filters()
        ctx.update(
            q=filters["q"],
            group=filters["group"],
            show_all=bool(self.request.GET.get("all")),
            groups=selectors.product_group_list(),
        )
        return ctx


class ProductDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        try:
            product = selectors.product_get(pk)
        except NotFound:
            raise Http404 from None
        balances = list(product.balances.all())
        return render(
            request,
            "catalog/product.html",
            {
                "product": product,
                "balances": balances,
                "total_on_hand": sum(b.on_hand for b in balances),
                "total_available": sum(b.available for b in balances),
                "panels": render_panels("product_card", request, product),
            },
        )
