"""The dashboard's changes (POST): create a live twin (and launch it), launch, pause, resume, edit its
settings, add a user. Each goes through the domain's own function, so it is refused for the same
reasons and in the same words as `lt strategy ...`; a refused change shows the form again with the
message and writes nothing. A done change redirects to the strategy's card (post, redirect, get)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.datastructures import MultiDict
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from lt_pipeline.execution.controls import ControlError
from lt_pipeline.execution.credentials import CredentialsError, TraderPool, trader_for_strategy
from lt_pipeline.execution.settings import SettingsError, parse_settings
from lt_pipeline.execution.strategies import StrategyError, create_strategy, edit_limits, ensure_user, get_user
from lt_pipeline.execution.strategies import launch as launch_strategy
from lt_pipeline.execution.strategies import pause as pause_strategy
from lt_pipeline.execution.strategies import resume as resume_strategy
from lt_pipeline.venues.polymarket.models import VenueError
from lt_pipeline.web import pages
from lt_pipeline.web.forms import settings_from_form, split_messages
from lt_pipeline.web.guard import checked_form

if TYPE_CHECKING:
    from lt_pipeline.web.app import Web

read_form = checked_form
DEFAULT_PAUSE_REASON = "paused by hand"  # as `lt strategy pause` without --reason


def create(web: Web, request: Request, form: MultiDict) -> Response:
    """Create the live twin of the chosen FT wallet; with the "launch" button, launch it too."""
    messages: list[str] = []
    settings = None
    try:
        settings = parse_settings(settings_from_form(form))
    except SettingsError as error:
        messages.extend(split_messages(error))
    wallet_id, user_id = form.get("ft_wallet_id", "").strip(), form.get("user_id", "").strip()
    if not wallet_id:
        messages.append("ft_wallet_id: expected the FT wallet to mirror, got nothing")
    if not user_id:
        messages.append("user_id: expected the user who trades it, got nothing")
    if not messages:
        try:
            strategy_id = create_strategy(web.engine, user_id, wallet_id, settings, web.now())
        except (StrategyError, SettingsError) as error:
            messages.extend(split_messages(error))
    if messages:
        return pages.create_form(web, request, form=form, messages=messages, status=400)
    if form.get("then") != "launch":
        return _to_card(strategy_id, "created")
    try:
        launch_strategy(web.engine, strategy_id, web.now())
    except StrategyError as error:
        return _card_with_error(web, request, strategy_id, str(error))
    return _to_card(strategy_id, "launched")


def launch(web: Web, request: Request, form: MultiDict) -> Response:
    strategy_id = _known(web, request)
    try:
        launch_strategy(web.engine, strategy_id, web.now())
    except StrategyError as error:
        return _card_with_error(web, request, strategy_id, str(error))
    return _to_card(strategy_id, "launched")


def pause(web: Web, request: Request, form: MultiDict) -> Response:
    """Pause; with "cancel resting orders" ticked, also cancel its resting orders at the venue (as
    `lt strategy pause --cancel-resting`), which needs the strategy user's trader."""
    strategy_id = _known(web, request)
    reason = form.get("reason", DEFAULT_PAUSE_REASON)
    cancel = form.get("cancel_resting") == "on"
    try:
        trader = trader_for_strategy(web.engine, strategy_id, TraderPool(web.settings, engine=web.engine)) if cancel else None
        result = pause_strategy(web.engine, strategy_id, reason, web.now(), cancel_resting=cancel, trader=trader)
    except (StrategyError, ControlError, CredentialsError) as error:
        return _card_with_error(web, request, strategy_id, str(error))
    except VenueError as error:
        return _card_with_error(web, request, strategy_id, f"venue: {error}")
    if cancel and not result.cancels.complete:
        return _card_with_error(web, request, strategy_id, f"paused, but {result.cancels.summary()}", status=200)
    return _to_card(strategy_id, "paused")


def resume(web: Web, request: Request, form: MultiDict) -> Response:
    strategy_id = _known(web, request)
    try:
        resume_strategy(web.engine, strategy_id, web.now())
    except StrategyError as error:
        return _card_with_error(web, request, strategy_id, str(error))
    return _to_card(strategy_id, "resumed")


def edit(web: Web, request: Request, form: MultiDict) -> Response:
    strategy_id = _known(web, request)
    try:
        result = edit_limits(web.engine, strategy_id, settings_from_form(form), web.now())
    except (StrategyError, SettingsError) as error:
        return pages.edit_form(web, request, form=form, messages=split_messages(error), status=400)
    web.pictures.forget()
    return _to_card(strategy_id, "edited" if result.changes else "unchanged")


def add_user(web: Web, request: Request, form: MultiDict) -> Response:
    """Add a user (id and name; the funder and keys stay with the CLI and the environment), then back to
    the create form with that user chosen."""
    user_id = form.get("new_user_id", "").strip()
    name = form.get("new_user_name", "").strip()
    try:
        existing = get_user(web.engine, user_id) if user_id else None
        ensure_user(web.engine, user_id, name or (existing.display_name if existing else user_id), now=web.now())
    except StrategyError as error:
        return pages.create_form(web, request, form=form, messages=[str(error)], status=400)
    return RedirectResponse(f"/strategies/new?notice=user&user={user_id}", status_code=303)


def _known(web: Web, request: Request) -> str:
    return pages._strategy(web, request.path_params["strategy_id"]).strategy_id


def _to_card(strategy_id: str, notice: str) -> Response:
    return RedirectResponse(f"/strategies/{strategy_id}?notice={notice}", status_code=303)


def _card_with_error(web: Web, request: Request, strategy_id: str, message: str, *, status: int = 409) -> Response:
    request.scope.setdefault("path_params", {})["strategy_id"] = strategy_id
    return pages.strategy_card(web, request, error=message, status=status)
