from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditConfig(AppConfig):
    name = "orderdesk.credit"
    label = "credit"
    verbose_name = _("Credit control")

    def ready(self) -> None:
        # what the per-transaction memo of credit figures depends on (see memo.py)
        from orderdesk.customers.models import Customer
        from orderdesk.receivables.models import CustomerBalance, OpenItem

        from . import memo
        from .models import Commitment, CreditAccount, CreditHold, CreditLimit

        memo.track(CreditLimit, CreditAccount, Commitment, CreditHold, CustomerBalance, OpenItem,
                   Customer)  # fmt: skip
