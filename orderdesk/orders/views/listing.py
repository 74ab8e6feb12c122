"""The order list: what the user may see, filtered and paged."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.views.generic import TemplateView

from orderdesk.core.errors import DomainError
from orderdesk.core.views import HtmxTemplateMixin, error_status

from ..forms import OrderFilterForm, may_enter_orders, search_customers, visible_customers
from ..selectors import order_list_for

PAGE_SIZE = 50


class OrderListView(LoginRequiredMixin, HtmxTemplateMixin, TemplateView):
    """Orders in the user's scope; filters by status, customer, manager, dates and text.

    A filter the selector refuses (a reversed date range) is shown above an empty table with
    its code; the page never fails on a filter.
    """

    template_name = "orders/list.html"
    fragment_template_name = "orders/_list_results.html"

    def get(self, request, *args, **kwargs):
        user = request.user
        form = OrderFilterForm(request.GET, user=user)
        filters = form.filters()
        filter_error = None
        page = None
        try:
            qs = order_list_for(user=user, filters=filters)
            page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        except DomainError as exc:
            filter_error = exc
        selected = form.selected_customer()
        context = self.get_context_data(
            form=form,
            page=page,
            filter_error=filter_error,
            may_create=may_enter_orders(user),
            selected_customer=selected,
            customers=search_customers(visible_customers(user), "", limit=100),
        )
        status = error_status(filter_error) if filter_error else (400 if form.errors else 200)
        return self.render_to_response(context, status=status)
