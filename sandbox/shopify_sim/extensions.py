"""Root fields that feature modules add to the simulated Admin API.

Each extension is ``fn(api: AdminGraphQL, shop: Shop) -> {rootFieldName: resolver}``; resolvers
follow graphql-core's default resolver (dict keys, callables taking ``info, **args``). A feature
adds its module (shopify_sim/ext_<feature>.py) and one entry below; its types go into
subset.graphql as well, with the same names and types as Shopify's real schema.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.shopify_sim import ext_install

EXTENSIONS: list[Callable[[Any, Any], dict[str, Any]]] = [ext_install.extension]

from sandbox.shopify_sim import ext_catalog  # noqa: E402  (supply: product-page dates)

EXTENSIONS.append(ext_catalog.extension)

from sandbox.shopify_sim import ext_orders_admin  # noqa: E402  (notify: cancel, edit, discounts)

EXTENSIONS.append(ext_orders_admin.extension)

from sandbox.shopify_sim import ext_order_cancel  # noqa: E402  (notify: orderCancel as a job, job(id:))

EXTENSIONS.append(ext_order_cancel.extension)

from sandbox.shopify_sim import ext_fulfillment  # noqa: E402  (drop-ship: fulfillment orders, holds)

EXTENSIONS.append(ext_fulfillment.extension)

ORDER_FIELDS: list[Callable[[Any, Any], dict[str, Any]]] = []
"""``fn(api, order) -> {fieldName: value or resolver}`` merged into every simulated Order."""

from sandbox.shopify_sim import ext_refunds  # noqa: E402  (notify: refunds, payments)

EXTENSIONS.append(ext_refunds.extension)
ORDER_FIELDS.append(ext_refunds.order_fields)

from sandbox.shopify_sim import ext_selling_plans  # noqa: E402  (payments: selling plan groups)

EXTENSIONS.append(ext_selling_plans.extension)

from sandbox.shopify_sim import ext_charges  # noqa: E402  (payments: captures, mandate payments, invoices)

EXTENSIONS.append(ext_charges.extension)
ORDER_FIELDS.append(ext_charges.order_fields)

REST_ORDER_FIELDS: list[Callable[[Any, Any, dict[str, Any]], None]] = []
"""``fn(shop, order, body)`` filling fields of the REST Order JSON (orders/* webhook bodies) in place."""

from sandbox.shopify_sim import ext_merchant_fulfillment  # noqa: E402  (shipping: the merchant fulfils)

EXTENSIONS.append(ext_merchant_fulfillment.extension)
ORDER_FIELDS.append(ext_merchant_fulfillment.order_fields)
REST_ORDER_FIELDS.append(ext_merchant_fulfillment.rest_into)

from sandbox.shopify_sim import ext_storefront  # noqa: E402  (the shop's brand: Storefront access tokens)

EXTENSIONS.append(ext_storefront.extension)

from sandbox.shopify_sim import ext_bulk  # noqa: E402  (supply: staged uploads and bulk mutations)

EXTENSIONS.append(ext_bulk.extension)
