"""Simulated selling plan groups (deferred purchase options): ``sellingPlanGroupCreate`` / ``Update`` /
``AddProductVariants`` / ``RemoveProductVariants`` / ``Delete`` and the ``sellingPlanGroup(s)`` queries.

Answers use the real shapes and ``SellingPlanGroupUserError`` codes of the 2026-04 schema: an unknown
variant is ``PRODUCT_VARIANT_DOES_NOT_EXIST``, an unknown group ``GROUP_DOES_NOT_EXIST``, an unknown plan
``PLAN_DOES_NOT_EXIST``; a fixed billing policy is checked as Shopify documents it (100% at checkout needs
``NO_REMAINING_BALANCE`` and less forbids it; ``TIME_AFTER_CHECKOUT`` needs a positive duration;
``EXACT_TIME`` needs its time; a plan needs billing and delivery policies). A mutation with userErrors
changes nothing. ``sellingPlanGroups`` lists only this app's groups (every group here is), filtered by
``category:X``.

Control functions (they take the ShopifySimulator): ``groups`` (plain data), ``delete_in_admin`` (the
merchant deletes the group), ``plan_for`` (the plan a variant is sold under, for orders).
"""

from __future__ import annotations

import itertools
import re
import threading
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sandbox.shopify_sim.pagination import connection
from sandbox.shopify_sim.store import Shop, gid, graphql_time

_group_ids = itertools.count(2_101_001)
_plan_ids = itertools.count(6_901_001)


@dataclass
class SimPlan:
    id: int
    name: str
    category: str | None
    options: list[str]
    billing: dict[str, Any]
    delivery: dict[str, Any]
    inventory: dict[str, Any] | None
    created: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))


@dataclass
class SimGroup:
    id: int
    name: str
    merchant_code: str
    app_id: str | None
    description: str | None
    options: list[str]
    plans: list[SimPlan] = field(default_factory=list)
    variant_ids: list[int] = field(default_factory=list)
    created: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))


_STATES: weakref.WeakKeyDictionary[Any, dict[str, dict[int, SimGroup]]] = weakref.WeakKeyDictionary()
_lock = threading.RLock()


def _groups(api: Any, domain: str) -> dict[int, SimGroup]:
    with _lock:
        return _STATES.setdefault(api, {}).setdefault(domain, {})


def _number(value: str, resource: str) -> int | None:
    prefix = f"gid://shopify/{resource}/"
    tail = value[len(prefix):] if value.startswith(prefix) else ""
    return int(tail) if tail.isdigit() else None


def _error(field_path: list[str], message: str, code: str) -> dict[str, Any]:
    return {"field": field_path, "message": message, "code": code}


# -- views -----------------------------------------------------------------------------------------

def _plan_view(plan: SimPlan) -> dict[str, Any]:
    fixed = plan.billing.get("fixed") or {}
    charge = fixed.get("checkoutCharge") or {"type": "PERCENTAGE", "value": {"percentage": 0.0}}
    value = charge.get("value") or {}
    charge_value = ({"__typename": "SellingPlanCheckoutChargePercentageValue", "percentage": value["percentage"]}
                    if value.get("percentage") is not None
                    else {"__typename": "MoneyV2", "amount": str(value.get("fixedValue")), "currencyCode": "USD"})
    delivery = plan.delivery.get("fixed") or {}
    return {
        "__typename": "SellingPlan",
        "id": gid("SellingPlan", plan.id),
        "name": plan.name,
        "category": plan.category,
        "options": plan.options,
        "createdAt": graphql_time(plan.created),
        "billingPolicy": {
            "__typename": "SellingPlanFixedBillingPolicy",
            "remainingBalanceChargeTrigger": fixed.get("remainingBalanceChargeTrigger", "NO_REMAINING_BALANCE"),
            "remainingBalanceChargeExactTime": fixed.get("remainingBalanceChargeExactTime"),
            "remainingBalanceChargeTimeAfterCheckout": fixed.get("remainingBalanceChargeTimeAfterCheckout"),
            "checkoutCharge": {"type": charge.get("type") or "PERCENTAGE", "value": charge_value},
        },
        "deliveryPolicy": {"__typename": "SellingPlanFixedDeliveryPolicy",
                           "fulfillmentTrigger": delivery.get("fulfillmentTrigger", "ASAP"),
                           "fulfillmentExactTime": delivery.get("fulfillmentExactTime")},
        "inventoryPolicy": {"reserve": (plan.inventory or {}).get("reserve", "ON_SALE")},
    }


def _group_view(shop: Shop, group: SimGroup) -> dict[str, Any]:
    def plans(info: Any, **args: Any) -> dict[str, Any]:
        return connection(group.plans, [(str(p.id), p.id) for p in group.plans], _plan_view,
                          args if args.get("first") or args.get("last") else {**args, "first": 250})

    def variants(info: Any, productId: str | None = None, **args: Any) -> dict[str, Any]:  # noqa: N803
        with _lock:
            found = [v for v in (shop.variant_by_id(i) for i in sorted(group.variant_ids)) if v is not None]
        if productId:
            found = [v for v in found if gid("Product", v.product_id) == productId]
        return connection(found, [(str(v.id), v.id) for v in found], _variant_node, args)

    return {"__typename": "SellingPlanGroup", "id": gid("SellingPlanGroup", group.id), "name": group.name,
            "merchantCode": group.merchant_code, "appId": group.app_id, "description": group.description,
            "options": group.options, "createdAt": graphql_time(group.created), "summary": None,
            "sellingPlans": plans, "productVariants": variants,
            "productVariantsCount": lambda info, productId=None: {"count": len(group.variant_ids),  # noqa: N803
                                                                  "precision": "EXACT"}}


def _variant_node(variant: Any) -> dict[str, Any]:
    from sandbox.shopify_sim.store import graphql_variant

    return graphql_variant(variant)


# -- checks ----------------------------------------------------------------------------------------

def _plan_errors(plan: dict[str, Any], path: list[str]) -> list[dict[str, Any]]:
    errors = []
    billing, delivery = plan.get("billingPolicy") or {}, plan.get("deliveryPolicy") or {}
    if not billing:
        errors.append(_error(path + ["billingPolicy"], "Billing policy is missing",
                             "SELLING_PLAN_BILLING_POLICY_MISSING"))
    if not delivery:
        errors.append(_error(path + ["deliveryPolicy"], "Delivery policy is missing",
                             "SELLING_PLAN_DELIVERY_POLICY_MISSING"))
    if billing.get("fixed") and billing.get("recurring"):
        errors.append(_error(path + ["billingPolicy"], "Only one of fixed or recurring billing",
                             "ONLY_ONE_OF_FIXED_OR_RECURRING_BILLING"))
    fixed = billing.get("fixed") or {}
    if fixed:
        trigger = fixed.get("remainingBalanceChargeTrigger") or "NO_REMAINING_BALANCE"
        charge = fixed.get("checkoutCharge") or {}
        value = charge.get("value") or {}
        percentage = value.get("percentage")
        at = path + ["billingPolicy", "fixed"]
        if percentage is not None and value.get("fixedValue") is not None:
            errors.append(_error(at, "Only one checkout charge value", "ONLY_NEED_ONE_CHECKOUT_CHARGE_VALUE"))
        if percentage is not None and not 0 <= float(percentage) <= 100:
            errors.append(_error(at + ["checkoutCharge"], "Percentage must be between 0 and 100", "INVALID"))
        if charge.get("type") == "PERCENTAGE" and percentage is not None:
            if float(percentage) == 100 and trigger != "NO_REMAINING_BALANCE":
                errors.append(_error(at, "Remaining balance charge trigger must be no remaining balance when the "
                                     "checkout charge is 100%", "REMAINING_BALANCE_CHARGE_TRIGGER_ON_FULL_CHECKOUT"))
            if float(percentage) < 100 and trigger == "NO_REMAINING_BALANCE":
                errors.append(_error(at, "Remaining balance charge trigger can't be no remaining balance on a partial "
                                     "checkout charge",
                                     "REMAINING_BALANCE_CHARGE_TRIGGER_NO_REMAINING_BALANCE_ON_PARTIAL_PERCENTAGE_"
                                     "CHECKOUT_CHARGE"))
        if trigger == "EXACT_TIME" and not fixed.get("remainingBalanceChargeExactTime"):
            errors.append(_error(at, "Remaining balance charge exact time can't be blank",
                                 "REMAINING_BALANCE_CHARGE_EXACT_TIME_REQUIRED"))
        if trigger != "EXACT_TIME" and fixed.get("remainingBalanceChargeExactTime"):
            errors.append(_error(at, "Remaining balance charge exact time must be blank",
                                 "REMAINING_BALANCE_CHARGE_EXACT_TIME_NOT_ALLOWED"))
        if trigger == "TIME_AFTER_CHECKOUT" and not _positive_duration(
                fixed.get("remainingBalanceChargeTimeAfterCheckout")):
            errors.append(_error(at, "Remaining balance charge time after checkout must be greater than zero",
                                 "REMAINING_BALANCE_CHARGE_TIME_AFTER_CHECKOUT_MUST_BE_GREATER_THAN_ZERO"))
    fixed_delivery = delivery.get("fixed") or {}
    if fixed_delivery.get("fulfillmentTrigger") == "EXACT_TIME" and not fixed_delivery.get("fulfillmentExactTime"):
        errors.append(_error(path + ["deliveryPolicy", "fixed"], "Fulfillment exact time can't be blank",
                             "FULFILLMENT_EXACT_TIME_REQUIRED"))
    if not plan.get("name") and "id" not in plan:
        errors.append(_error(path + ["name"], "Name can't be blank", "BLANK"))
    return errors


_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def _positive_duration(value: Any) -> bool:
    match = _DURATION.match(str(value or ""))
    return match is not None and any(int(part) > 0 for part in match.groups() if part)


def _variants(shop: Shop, ids: list[str], path: list[str]) -> tuple[list[int], list[dict[str, Any]]]:
    found, errors = [], []
    for index, value in enumerate(ids):
        number = _number(value, "ProductVariant")
        if number is None or shop.variant_by_id(number) is None:
            errors.append(_error(path + [str(index)], "Product variant does not exist",
                                 "PRODUCT_VARIANT_DOES_NOT_EXIST"))
        elif number not in found:
            found.append(number)
    return found, errors


def _new_plan(plan: dict[str, Any]) -> SimPlan:
    return SimPlan(next(_plan_ids), str(plan.get("name") or ""), plan.get("category"), list(plan.get("options") or []),
                   dict(plan.get("billingPolicy") or {}), dict(plan.get("deliveryPolicy") or {}),
                   plan.get("inventoryPolicy"))


# -- the extension ---------------------------------------------------------------------------------

def extension(api: Any, shop: Shop) -> dict[str, Any]:
    groups = _groups(api, shop.domain)

    def find(value: str) -> SimGroup | None:
        number = _number(value, "SellingPlanGroup")
        return groups.get(number) if number is not None else None

    def missing_group() -> dict[str, Any]:
        return _error(["id"], "Selling plan group does not exist.", "GROUP_DOES_NOT_EXIST")

    def create(info: Any, input: dict[str, Any], resources: dict[str, Any] | None = None) -> dict[str, Any]:  # noqa: A002
        to_create = input.get("sellingPlansToCreate") or []
        errors: list[dict[str, Any]] = []
        if not to_create:
            errors.append(_error(["input", "sellingPlansToCreate"], "Selling plans count must be at least 1",
                                 "SELLING_PLAN_COUNT_LOWER_BOUND"))
        for index, plan in enumerate(to_create):
            errors += _plan_errors(plan, ["input", "sellingPlansToCreate", str(index)])
        if not input.get("name"):
            errors.append(_error(["input", "name"], "Name can't be blank", "BLANK"))
        if (resources or {}).get("productIds"):
            errors.append(_error(["resources", "productIds"], "The simulator attaches variants only",
                                 "RESOURCE_LIST_CONTAINS_INVALID_IDS"))
        with _lock:
            variant_ids, variant_errors = _variants(shop, list((resources or {}).get("productVariantIds") or []),
                                                    ["resources", "productVariantIds"])
            errors += variant_errors
            if errors:
                return {"sellingPlanGroup": None, "userErrors": errors}
            group = SimGroup(next(_group_ids), str(input["name"]), str(input.get("merchantCode") or input["name"]),
                             input.get("appId"), input.get("description"), list(input.get("options") or []),
                             [_new_plan(p) for p in to_create], variant_ids)
            groups[group.id] = group
            return {"sellingPlanGroup": _group_view(shop, group), "userErrors": []}

    def update(info: Any, id: str, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
        with _lock:
            group = find(id)
            if group is None:
                return {"sellingPlanGroup": None, "deletedSellingPlanIds": None, "userErrors": [missing_group()]}
            errors: list[dict[str, Any]] = []
            by_id = {gid("SellingPlan", p.id): p for p in group.plans}
            for index, plan in enumerate(input.get("sellingPlansToUpdate") or []):
                path = ["input", "sellingPlansToUpdate", str(index)]
                if not plan.get("id"):
                    errors.append(_error(path + ["id"], "Plan id must be specified to update",
                                         "PLAN_ID_MUST_BE_SPECIFIED_TO_UPDATE"))
                elif plan["id"] not in by_id:
                    errors.append(_error(path + ["id"], "Selling plan does not exist.", "PLAN_DOES_NOT_EXIST"))
                else:
                    merged = {**_as_input(by_id[plan["id"]]), **{k: v for k, v in plan.items() if v is not None}}
                    errors += _plan_errors(merged, path)
            for index, plan in enumerate(input.get("sellingPlansToCreate") or []):
                errors += _plan_errors(plan, ["input", "sellingPlansToCreate", str(index)])
            deleted = [p for p in input.get("sellingPlansToDelete") or [] if p in by_id]
            if len(group.plans) - len(deleted) + len(input.get("sellingPlansToCreate") or []) < 1:
                errors.append(_error(["input", "sellingPlansToDelete"], "Selling plans count must be at least 1",
                                     "SELLING_PLAN_COUNT_LOWER_BOUND"))
            if errors:
                return {"sellingPlanGroup": None, "deletedSellingPlanIds": None, "userErrors": errors}
            for key, attribute in (("name", "name"), ("merchantCode", "merchant_code"), ("appId", "app_id"),
                                   ("description", "description"), ("options", "options")):
                if input.get(key) is not None:
                    setattr(group, attribute, input[key])
            for plan in input.get("sellingPlansToUpdate") or []:
                target = by_id[plan["id"]]
                for key, attribute in (("name", "name"), ("category", "category"), ("options", "options"),
                                       ("billingPolicy", "billing"), ("deliveryPolicy", "delivery"),
                                       ("inventoryPolicy", "inventory")):
                    if plan.get(key) is not None:
                        setattr(target, attribute, plan[key])
            group.plans = [p for p in group.plans if gid("SellingPlan", p.id) not in deleted]
            group.plans += [_new_plan(p) for p in input.get("sellingPlansToCreate") or []]
            return {"sellingPlanGroup": _group_view(shop, group), "deletedSellingPlanIds": deleted, "userErrors": []}

    def add_variants(info: Any, id: str, productVariantIds: list[str]) -> dict[str, Any]:  # noqa: A002, N803
        with _lock:
            group = find(id)
            if group is None:
                return {"sellingPlanGroup": None, "userErrors": [missing_group()]}
            found, errors = _variants(shop, productVariantIds, ["productVariantIds"])
            if errors:
                return {"sellingPlanGroup": None, "userErrors": errors}
            group.variant_ids += [v for v in found if v not in group.variant_ids]
            return {"sellingPlanGroup": _group_view(shop, group), "userErrors": []}

    def remove_variants(info: Any, id: str, productVariantIds: list[str]) -> dict[str, Any]:  # noqa: A002, N803
        with _lock:
            group = find(id)
            if group is None:
                return {"removedProductVariantIds": None, "userErrors": [missing_group()]}
            found, errors = _variants(shop, productVariantIds, ["productVariantIds"])
            if errors:
                return {"removedProductVariantIds": None, "userErrors": errors}
            removed = [v for v in found if v in group.variant_ids]
            group.variant_ids = [v for v in group.variant_ids if v not in removed]
            return {"removedProductVariantIds": [gid("ProductVariant", v) for v in removed], "userErrors": []}

    def delete(info: Any, id: str) -> dict[str, Any]:  # noqa: A002
        with _lock:
            group = find(id)
            if group is None:
                return {"deletedSellingPlanGroupId": None, "userErrors": [missing_group()]}
            del groups[group.id]
            return {"deletedSellingPlanGroupId": id, "userErrors": []}

    def one(info: Any, id: str) -> dict[str, Any] | None:  # noqa: A002
        with _lock:
            group = find(id)
            return _group_view(shop, group) if group is not None else None

    def many(info: Any, query: str | None = None, **args: Any) -> dict[str, Any]:
        wanted = re.search(r"category:\s*([A-Z_,]+)", query or "")
        categories = set(wanted.group(1).split(",")) if wanted else None
        with _lock:
            found = [g for g in sorted(groups.values(), key=lambda g: g.id)
                     if categories is None or any(p.category in categories for p in g.plans)]
        return connection(found, [(str(g.id), g.id) for g in found], lambda g: _group_view(shop, g), args)

    return {"sellingPlanGroupCreate": create, "sellingPlanGroupUpdate": update,
            "sellingPlanGroupAddProductVariants": add_variants,
            "sellingPlanGroupRemoveProductVariants": remove_variants, "sellingPlanGroupDelete": delete,
            "sellingPlanGroup": one, "sellingPlanGroups": many}


def _as_input(plan: SimPlan) -> dict[str, Any]:
    return {"name": plan.name, "category": plan.category, "options": plan.options, "billingPolicy": plan.billing,
            "deliveryPolicy": plan.delivery, "inventoryPolicy": plan.inventory}


# -- test and demo controls ------------------------------------------------------------------------

def groups(sim: Any, domain: str) -> list[dict[str, Any]]:
    """Every selling plan group of the shop as plain data (its plans' inputs, its variants' skus)."""
    shop = sim.shop(domain)
    with _lock:
        return [{"id": gid("SellingPlanGroup", g.id), "name": g.name, "merchant_code": g.merchant_code,
                 "plans": [{"id": gid("SellingPlan", p.id), **_as_input(p)} for p in g.plans],
                 "skus": sorted(v.sku for v in (shop.variant_by_id(i) for i in g.variant_ids) if v is not None)}
                for g in sorted(_groups(sim.graphql, domain).values(), key=lambda g: g.id)]


def delete_in_admin(sim: Any, domain: str, group_id: str) -> None:
    """The merchant deletes the group in the Shopify admin (or Shopify does, 48 h after uninstall)."""
    with _lock:
        _groups(sim.graphql, domain).pop(_number(group_id, "SellingPlanGroup") or 0, None)


def plan_for(sim: Any, domain: str, sku: str) -> dict[str, Any] | None:
    """The first plan of a group the variant is attached to ({id, name, group_id, billing}), or None."""
    shop = sim.shop(domain)
    variant = shop.variant(sku)
    with _lock:
        for group in sorted(_groups(sim.graphql, domain).values(), key=lambda g: g.id):
            if variant.id in group.variant_ids and group.plans:
                plan = group.plans[0]
                return {"id": gid("SellingPlan", plan.id), "name": plan.name,
                        "group_id": gid("SellingPlanGroup", group.id), "billing": plan.billing.get("fixed") or {}}
    return None


def place_preorder(sim: Any, domain: str, lines: list[dict[str, Any]], *, deliver_webhook: bool = True,
                   **order: Any) -> dict[str, Any]:
    """A checkout where the customer buys each line whose variant carries a plan under that plan (the
    first group's): the line item names it (REST ``selling_plan_allocation``, GraphQL ``sellingPlan``), the
    order pays what the plans charge at checkout (their percentage; lines without a plan in full), and the
    balance sits on a vaulted card (a payment mandate) with payment terms due on fulfillment
    (``ON_FULFILLMENT``) or a fixed date (``TIME_AFTER_CHECKOUT``): ext_charges.vault. Returns the REST
    body sent with orders/create.

    The REST ``selling_plan_allocation`` is the shape Shopify documents for cart line items (price,
    compare_at_price, per_delivery_price, selling_plan {id, name, description, options}), amounts in cents."""
    from decimal import Decimal

    from sandbox.shopify_sim import ext_charges
    from sandbox.shopify_sim.store import rest_order

    shop = sim.shop(domain)
    plans = {raw["sku"]: plan_for(sim, domain, str(raw["sku"])) for raw in lines}
    body = sim.create_order(domain, lines, deliver_webhook=False, financial_status="pending", **order)
    placed = shop.order(body["id"])
    now_due, balance_trigger, after = Decimal("0"), None, None
    for line in placed.lines:
        plan = plans.get(line.variant.sku)
        price = Decimal(line.variant.price) * line.quantity
        if plan is None:
            now_due += price
            continue
        line.selling_plan = {"sellingPlanId": plan["id"], "name": plan["name"]}  # type: ignore[attr-defined]
        charge = ((plan["billing"].get("checkoutCharge") or {}).get("value") or {}).get("percentage") or 0
        now_due += price * Decimal(str(charge)) / 100
        balance_trigger = plan["billing"].get("remainingBalanceChargeTrigger")
        after = plan["billing"].get("remainingBalanceChargeTimeAfterCheckout")
    if balance_trigger not in (None, "NO_REMAINING_BALANCE"):
        days = _days(after) if balance_trigger == "TIME_AFTER_CHECKOUT" else None
        ext_charges.vault(sim, domain, placed.id, deposit=now_due.quantize(Decimal("0.01")),
                          terms="FULFILLMENT" if balance_trigger == "ON_FULFILLMENT" else "FIXED",
                          due_in_days=days if days is not None else 30)
    else:
        placed.financial_status = "paid"
    body = rest_order(shop, placed)
    for item in body["line_items"]:
        line = next(x for x in placed.lines if x.id == item["id"])
        chosen = getattr(line, "selling_plan", None)
        cents = int(Decimal(line.variant.price) * 100)
        item["selling_plan_allocation"] = None if chosen is None else {
            "price": cents, "compare_at_price": None, "per_delivery_price": cents, "price_adjustments": [],
            "selling_plan": {"id": _number(chosen["sellingPlanId"], "SellingPlan"), "name": chosen["name"],
                             "description": None, "options": [{"name": "Purchase option", "position": 1,
                                                               "value": chosen["name"]}]}}
    if deliver_webhook:
        sim._send(shop, "orders/create", body)
    return body


def _days(duration: Any) -> int | None:
    match = _DURATION.match(str(duration or ""))
    if not match:
        return None
    years, months, weeks, days = (int(part or 0) for part in match.groups()[:4])
    return years * 365 + months * 30 + weeks * 7 + days
