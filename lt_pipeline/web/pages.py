"""The dashboard's pages (GET): the strategy list, a strategy's card, the create and edit forms, one
order's detail and the card's pictures. Each reads the ledger through the operator read models and
renders a template; none changes anything."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from lt_pipeline.execution.settings import LtStrategySettings
from lt_pipeline.execution.strategies import StrategyError, get_strategy, list_strategies, strategy_versions
from lt_pipeline.ledger.schema import users
from lt_pipeline.operator.card import strategy_card as read_card
from lt_pipeline.operator.common import UnknownId
from lt_pipeline.operator.order_detail import order_detail as read_order
from lt_pipeline.operator.orders import list_orders
from lt_pipeline.operator.wallets import ft_wallets
from lt_pipeline.operator.why import decisions_about
from lt_pipeline.web.forms import FIELDS, form_values, messages_by_field

if TYPE_CHECKING:
    from lt_pipeline.web.app import Web

RECENT_ORDERS = 20
HISTORY_SHOWN = 12

# What the card says after an action (the action redirects here with ?notice=...).
NOTICES = {
    "created": "Created. It places nothing until you launch it.",
    "launched": "Launched: signals from now on are placed.",
    "paused": "Paused: new signals are skipped, and never placed later.",
    "resumed": "Resumed: signals from now on are placed.",
    "edited": "Saved: the new settings apply from the next signal.",
    "unchanged": "Nothing changed: the settings were already so.",
    "user": "User saved.",
}


def strategy_list(web: Web, request: Request) -> Response:
    now = web.now()
    cards = [read_card(web.engine, web.duckdb_path, s.strategy_id, now) for s in list_strategies(web.engine)]
    halt_reason = next((card.halt_reason for card in cards if card.halt_reason), None)
    return web.templates.TemplateResponse(request, "strategies.html", {
        "cards": cards, "halt_reason": halt_reason, "notice": _notice(request),
        "wallet_count": len(ft_wallets(web.engine, now)),
    })


def strategy_card(web: Web, request: Request, *, error: str | None = None, status: int = 200) -> Response:
    strategy_id = request.path_params["strategy_id"]
    card = read_card(web.engine, web.duckdb_path, strategy_id, web.now())
    strategy = _strategy(web, strategy_id)
    versions = strategy_versions(web.engine, strategy_id)[-HISTORY_SHOWN:][::-1]
    return web.templates.TemplateResponse(request, "card.html", {
        "card": card, "strategy": strategy, "settings": form_values(strategy.settings), "fields": FIELDS,
        "orders": list_orders(web.engine, strategy_id=strategy_id, limit=RECENT_ORDERS),
        "pictures": [title for title, _ in web.pictures.of(strategy_id)], "versions": versions,
        "notice": _notice(request), "error": error,
    }, status_code=status)


def create_form(web: Web, request: Request, *, form: Mapping[str, str] | None = None,
                messages: list[str] | None = None, status: int = 200) -> Response:
    now = web.now()
    wallets = ft_wallets(web.engine, now)
    with web.engine.connect() as connection:
        people = connection.execute(select(users.c.user_id, users.c.display_name).order_by(users.c.user_id)).all()
    values = form_values(LtStrategySettings())
    chosen = request.query_params.get("ft_wallet", "")
    user_id = request.query_params.get("user") or web.default_user
    if form is not None:
        values.update({field.name: form.get(field.name, "") for field in FIELDS})
        chosen, user_id = form.get("ft_wallet_id", ""), form.get("user_id", "")
    return web.templates.TemplateResponse(request, "create.html", {
        "wallets": wallets, "users": people, "chosen": chosen, "user_id": user_id, "values": values,
        "fields": FIELDS, "messages": messages or [], "by_field": messages_by_field(messages or []),
        "notice": _notice(request),
    }, status_code=status)


def edit_form(web: Web, request: Request, *, form: Mapping[str, str] | None = None,
              messages: list[str] | None = None, status: int = 200) -> Response:
    strategy = _strategy(web, request.path_params["strategy_id"])
    values = form_values(strategy.settings)
    if form is not None:
        values.update({field.name: form.get(field.name, "") for field in FIELDS})
    return web.templates.TemplateResponse(request, "edit.html", {
        "strategy": strategy, "values": values, "fields": FIELDS, "messages": messages or [],
        "by_field": messages_by_field(messages or []),
    }, status_code=status)


def order_detail(web: Web, request: Request) -> Response:
    detail = read_order(web.engine, request.path_params["lt_order_id"])
    others = [d for d in decisions_about(web.engine, detail.signal.source_trade_id)
              if d.strategy_id != detail.strategy_id]
    return web.templates.TemplateResponse(request, "order.html", {"order": detail, "others": others})


def picture(web: Web, request: Request) -> Response:
    strategy_id, index = request.path_params["strategy_id"], request.path_params["index"]
    pictures = web.pictures.of(strategy_id)
    if not 0 <= index < len(pictures):
        raise UnknownId("picture", f"{strategy_id}/{index}", "the strategy card lists its pictures")
    return Response(pictures[index][1], media_type="image/png", headers={"cache-control": "no-store"})


def _strategy(web: Web, strategy_id: str):
    try:
        return get_strategy(web.engine, strategy_id)
    except StrategyError:
        raise UnknownId("LT strategy", strategy_id, "see the strategy list") from None


def _notice(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("notice", ""))
