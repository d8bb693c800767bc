"""The trading side of the CLOB adapter: sign orders offline (the hash is the venue's order id, known
before anything is sent), submit stored signed orders, and read back our orders and trades.

Outcomes of a submission are kept apart the way the venue proves them: ACCEPTED (it answered with
the order), REJECTED (it answered no, with its words) and UNKNOWN (timeout, 5xx, lost reply: only
reconciliation by the hash can tell).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from decimal import Decimal
from typing import Any

from py_clob_client_v2.client import ClobClient
from py_clob_client_v2.clob_types import (
    ApiCreds,
    AssetType,
    BalanceAllowanceParams,
    CreateOrderOptions,
    MarketOrderArgsV2,
    OrderArgsV2,
    TradeParams,
)
from py_clob_client_v2.config import get_contract_config
from py_clob_client_v2.endpoints import POST_ORDERS
from py_clob_client_v2.exceptions import PolyApiException, PolyException
from py_clob_client_v2.order_utils.exchange_order_builder_v2 import ExchangeOrderBuilderV2
from py_clob_client_v2.order_utils.model.order_data_v2 import order_to_json_v2

from lt_pipeline.clock import to_unix
from lt_pipeline.model.plan import OrderPlan
from lt_pipeline.money import USDC_UNIT
from lt_pipeline.model.reports import ReadResult, SignedIntent, SubmitResult, VenueOrder
from lt_pipeline.model.reports import SubmitOutcome as Outcome
from lt_pipeline.venues.polymarket.models import VenueError, VenueRejected, VenueUnavailable
from lt_pipeline.venues.polymarket.reports import parse_each, parse_order, parse_trade

log = logging.getLogger(__name__)

MAX_BATCH = 15  # the venue's limit for POST /orders
# Texts with which a 503 proves the order was not taken (anything else 5xx is an unknown outcome).
REFUSING_503 = ("Trading is currently disabled", "Trading is currently cancel-only")


class ClobTrader:
    """One user's trading connection. The key stays inside the client library's signer; this class
    never logs or returns it."""

    def __init__(
        self,
        host: str,
        chain_id: int,
        private_key: str,
        *,
        creds: ApiCreds | None = None,
        funder: str | None = None,
        signature_type: int = 0,
        use_server_time: bool = False,
    ) -> None:
        self.client = ClobClient(
            host,
            chain_id=chain_id,
            key=private_key,
            creds=creds,
            signature_type=signature_type,
            funder=funder,
            use_server_time=use_server_time,
        )
        if creds is None:
            self.client.set_api_creds(self._derive_creds())
        contracts = get_contract_config(chain_id)
        signer = self.client.signer
        self._exchanges = {
            neg_risk: ExchangeOrderBuilderV2(
                contracts.neg_risk_exchange_v2 if neg_risk else contracts.exchange_v2, chain_id, signer, domain_version="2"
            )
            for neg_risk in (False, True)
        }

    def __repr__(self) -> str:  # never the key or the API secret
        return f"ClobTrader(address={self.address}, funder={self.funder})"

    @property
    def address(self) -> str:
        return self.client.get_address()

    @property
    def funder(self) -> str:
        return self.client.builder.funder

    @property
    def api_key(self) -> str:
        return self.client.creds.api_key

    # --- placing ---------------------------------------------------------------------------------

    def sign(self, token_id: str, plan: OrderPlan, *, neg_risk: bool) -> SignedIntent:
        """Build and sign the order offline; no I/O."""
        options = CreateOrderOptions(tick_size=plan.tick_size, neg_risk=neg_risk)
        # Decimals, not floats: the builder's rounding then signs exactly the amounts the plan checked.
        if plan.is_market_order:
            order = self.client.builder.build_market_order(
                MarketOrderArgsV2(token_id=token_id, **plan.client_kwargs()), options, version=2
            )
        else:
            order = self.client.builder.build_order(OrderArgsV2(token_id=token_id, **plan.client_kwargs()), options, version=2)
        expected = (int(plan.maker_amount * 1_000_000), int(plan.taker_amount * 1_000_000))
        if (int(order.makerAmount), int(order.takerAmount)) != expected:
            raise ValueError(
                f"signed amounts {order.makerAmount}/{order.takerAmount} differ from the plan's {expected[0]}/{expected[1]}"
            )
        exchange = self._exchanges[neg_risk]
        order_id = exchange.build_order_hash(exchange.build_order_typed_data(order))
        payload = order_to_json_v2(order, self.api_key, plan.order_type, False, False)
        return SignedIntent(order_id, payload)

    def submit(self, intents: list[SignedIntent]) -> list[SubmitResult]:
        """POST /orders in batches of at most 15; one result per intent, in order."""
        results: list[SubmitResult] = []
        for start in range(0, len(intents), MAX_BATCH):
            results += self._submit_batch(intents[start : start + MAX_BATCH])
        return results

    def _submit_batch(self, batch: list[SignedIntent]) -> list[SubmitResult]:
        payloads = [intent.payload for intent in batch]
        serialized = json.dumps(payloads, separators=(",", ":"), ensure_ascii=False)
        try:
            headers = self.client._l2_headers("POST", POST_ORDERS, body=payloads, serialized_body=serialized)
            answer = self.client._post(f"{self.client.host}{POST_ORDERS}", headers=headers, data=serialized)
        except PolyApiException as error:
            return [_failed_submission(intent.order_id, error) for intent in batch]
        except Exception as error:  # a transport failure we cannot classify: the outcome is unknown
            # (the same signed orders may go again: a copy that arrived is refused as a duplicate)
            return [SubmitResult(i.order_id, Outcome.UNKNOWN, reason=f"{type(error).__name__}: {error}", retry_after=0.5)
                    for i in batch]
        if not isinstance(answer, list) or len(answer) != len(batch):
            return [SubmitResult(i.order_id, Outcome.UNKNOWN, reason=f"unexpected reply: {str(answer)[:200]}") for i in batch]
        return [_per_order_result(intent.order_id, reply) for intent, reply in zip(batch, answer)]

    # --- reading back ----------------------------------------------------------------------------

    def order(self, order_id: str) -> VenueOrder | None:
        """The venue's record of one of our orders, or None when it keeps none. A record that breaks
        the wire contract raises BadPayload."""
        try:
            answer = self.client.get_order(order_id)
        except PolyApiException as error:
            if error.status_code == 404:
                return None
            raise _read_error(error, f"order {order_id}") from None
        return parse_order(answer) if isinstance(answer, dict) and answer.get("id") else None

    def trades(self, *, after: datetime | None = None) -> ReadResult:
        """Our trades (as taker or maker), optionally since `after`, as VenueTrade reports."""
        params = TradeParams(maker_address=self.funder, after=to_unix(after) if after else None)
        try:
            raws = self.client.get_trades(params)
        except PolyApiException as error:
            raise _read_error(error, "trades") from None
        return ReadResult(*parse_each(raws, parse_trade, "trade"))

    def open_orders(self) -> ReadResult:
        """Our orders resting at the venue, as VenueOrder reports."""
        try:
            raws = self.client.get_open_orders()
        except PolyApiException as error:
            raise _read_error(error, "open orders") from None
        return ReadResult(*parse_each(raws, parse_order, "open order"))

    def collateral_balance(self) -> Decimal:
        """The collateral (USD) the venue lets new orders of this user spend: its balance less what open
        orders reserve."""
        try:
            answer = self.client.get_balance_allowance(BalanceAllowanceParams(asset_type=AssetType.COLLATERAL))
        except PolyApiException as error:
            raise _read_error(error, "balance") from None
        balance = _amount(answer.get("balance") if isinstance(answer, dict) else None)
        if balance is None:
            raise VenueUnavailable(f"balance: unexpected answer {str(answer)[:120]}")
        return balance / USDC_UNIT

    def cancel(self, order_ids: list[str]) -> tuple[list[str], dict[str, str]]:
        if not order_ids:
            return [], {}
        try:
            answer = self.client.cancel_orders(list(order_ids))
        except PolyApiException as error:
            raise _read_error(error, "cancel") from None
        return list(answer.get("canceled") or []), dict(answer.get("not_canceled") or {})

    def _derive_creds(self, attempts: int = 6, sleep=time.sleep):
        """The API key for this signer: derived, or created when the venue has none for it yet. A
        throttled or failing venue is asked again (1, 2, 3 ... s apart): a strategy whose key could not
        be had places nothing that tick.

        Derived first, unlike the library's create_or_derive_api_key: a signer's key exists from its first
        run on, and asking to create it again fails with an error the library logs on every start."""
        for attempt in range(attempts):
            try:
                return self._call(self.client.derive_api_key, "API key")
            except VenueError:  # none yet ("Could not derive api key!"), or a throttled derivation
                try:
                    return self._call(self.client.create_api_key, "API key")
                except VenueError:
                    if attempt == attempts - 1:
                        raise
                    sleep(attempt + 1)

    def _call(self, function, what: str):
        try:
            return function()
        except PolyApiException as error:
            raise _read_error(error, what) from None
        except PolyException as error:
            raise VenueUnavailable(f"{what}: {error}") from None


def _error_text(error: PolyApiException) -> str:
    body = error.error_msg
    if isinstance(body, dict):
        return str(body.get("error") or body.get("errorMsg") or body)
    return str(body)


def _failed_submission(order_id: str, error: PolyApiException) -> SubmitResult:
    status, text = error.status_code, _error_text(error)
    if status is None or status == 429 or (status >= 500 and not text.startswith(REFUSING_503)):
        # Not received, or received with the reply lost: either way the same signed order may go again
        # (a copy the venue holds is refused as a duplicate).
        return SubmitResult(order_id, Outcome.UNKNOWN, reason=f"HTTP {status or 'transport error'}: {text}",
                            retry_after=_retry_after(error))
    return SubmitResult(order_id, Outcome.REJECTED, reason=text)


def _retry_after(error: PolyApiException) -> float:
    """The venue's `retry_after_seconds` when its error body has one (the client keeps no headers);
    else a second for a 429 and half a second for anything else."""
    body = error.error_msg
    if isinstance(body, dict):
        try:
            return max(0.0, float(body.get("retry_after_seconds")))
        except (TypeError, ValueError):
            pass
    return 1.0 if error.status_code == 429 else 0.5


def _per_order_result(order_id: str, reply: Any) -> SubmitResult:
    if not isinstance(reply, dict):
        return SubmitResult(order_id, Outcome.UNKNOWN, reason=f"unexpected reply: {str(reply)[:200]}")
    if reply.get("success") is True and not reply.get("errorMsg"):
        return SubmitResult(
            order_id,
            Outcome.ACCEPTED,
            status=str(reply.get("status") or ""),
            making_amount=_amount(reply.get("makingAmount")),
            taking_amount=_amount(reply.get("takingAmount")),
            trade_ids=tuple(reply.get("tradeIDs") or ()),
        )
    text = str(reply.get("errorMsg") or reply.get("error") or "refused without a reason")
    if "Duplicated" in text:
        # The venue already holds this very order (a resubmission after a crash): reconcile it.
        return SubmitResult(order_id, Outcome.UNKNOWN, reason=text)
    return SubmitResult(order_id, Outcome.REJECTED, reason=text)


def _amount(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except Exception:
        return None


def _read_error(error: PolyApiException, what: str) -> Exception:
    status, text = error.status_code, _error_text(error)
    if status is None or status == 429 or status >= 500:
        return VenueUnavailable(f"{what}: HTTP {status or 'transport error'}: {text}", status=status)
    return VenueRejected(status, f"{what}: {text}")
