"""What the reports app adds to shared places: the "Reports" entry of the top menu.

Loaded from ReportsConfig.ready(). Every role sees the entry: the warehouse finds its queue
there, the other roles their dashboards and the reports they may run.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from orderdesk.core.navigation import register_nav

from .permissions import DASHBOARD_ROLES

register_nav("reports", _("Reports"), "reports:index", order=80, roles=DASHBOARD_ROLES)
