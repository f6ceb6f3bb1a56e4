"""The 12345 orders at a standard address, as a panel of the address's page.

Registered with `addresses.presenters.register_panel` from `CasesConfig.ready` (the addresses app
sits below cases and cannot read them itself). The panel lists the latest orders whose order found
this address (`HotlineOrder.address`: routed by the register, or placed there by an operator),
among the cases the reader may see (`access.scope_cases`); the callers as the case page shows them
(`presenters.reporter_of`: named and called only by who handles the case, masked for everyone else).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from civicgrid.addresses.models import Address
from civicgrid.cases import access
from civicgrid.cases.models import Case, HotlineOrder
from civicgrid.cases.presenters import ReporterView, reporter_of
from civicgrid.core.scopes import is_signed_in

# The panel shows this many orders, the latest first; the count is of all.
LATEST = 10
TEMPLATE = "cases/includes/address_orders.html"


@dataclass(frozen=True)
class AddressOrder:
    """One order at the address, as this reader sees it."""

    case: Case
    order_number: str
    kind_label: str
    category_path: str
    received_at: datetime | None
    routed_by: str
    caller: ReporterView | None


@dataclass(frozen=True)
class AddressOrdersPanel:
    orders: list[AddressOrder]
    total: int
    template: str = TEMPLATE

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.orders))


def address_orders(user, address: Address, *, limit: int = LATEST) -> AddressOrdersPanel | None:
    """Return the panel of the orders at `address` for `user`, or None for a reader who may see no
    cases at all (a page without the panel).

    Two bounded queries: the latest `limit` (by case id, on the index of `HotlineOrder.address`) and
    their count, both within the reader's cases.
    """
    if not is_signed_in(user) or access.scope_parts(user, listing=True) == []:
        return None
    cases = access.scope_cases(user, Case.objects.filter(hotline_order__address=address), listing=True)
    latest = list(
        cases.select_related("category", "hotline_order", "grid", "village", "town", "district").order_by(
            "-id"
        )[:limit]
    )
    total = len(latest) if len(latest) < limit else cases.count()
    rows = []
    for case in latest:
        order: HotlineOrder = case.hotline_order
        rows.append(
            AddressOrder(
                case=case,
                order_number=order.order_number,
                kind_label=order.get_kind_display(),
                category_path=order.category_path,
                received_at=order.received_at,
                routed_by=order.routed_by,
                caller=reporter_of(case, user),
            )
        )
    return AddressOrdersPanel(rows, total)
