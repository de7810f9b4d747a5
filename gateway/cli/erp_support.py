"""What the factory-side commands share: ERP refusals as exit codes, argument parsing, lot look-up.

The ERP core refuses with its own coded errors (``QualityError``, ``ShippingError``, ...)
and pydantic ``ValidationError``; :func:`erp_refusals` turns them into the gateway's
operator errors at the command boundary, so the user sees ``error: CODE: message`` and
the documented exit code (1 refused, 4 not found) instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlmodel import Session, col, select

from erp_core.errors import AlreadyExistsError, ErpError
from erp_core.errors import NotFoundError as ErpNotFound
from erp_core.models import Item, SalesOrder
from erp_core.models_quality import Lot
from erp_core.services._quality import QualityError
from erp_core.services._shipping_errors import CodedError
from gateway.cli.state import CliState
from gateway.errors import InputRejected, NotFoundError

INPUT_INVALID = "INPUT_INVALID"

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]
ItemOpt = Annotated[str | None, typer.Option("--item", help="the lot's item (when several items share the number)")]


def erp_session(ctx: typer.Context) -> Session:
    """A session on the command's database (use it in ``with``, which closes it)."""
    state: CliState = ctx.obj
    return Session(state.context.engine)


def validation_text(exc: ValidationError) -> str:
    """Pydantic's errors as one line: ``field: message; field: message``."""
    parts = []
    for error in exc.errors(include_url=False):
        location = ".".join(str(part) for part in error["loc"])
        parts.append(f"{location}: {error['msg']}" if location else error["msg"])
    return "; ".join(parts)


@contextmanager
def erp_refusals() -> Iterator[None]:
    """Translate the ERP core's refusals raised inside the block into gateway errors.

    A coded refusal whose code ends in ``_UNKNOWN`` (an item, lot, shipment that does not
    exist) is "not found" (exit 4); every other refusal is "input rejected" (exit 1).
    """
    try:
        yield
    except ValidationError as exc:
        raise InputRejected(f"{INPUT_INVALID}: {validation_text(exc)}") from None
    except (QualityError, CodedError) as exc:
        kind = NotFoundError if exc.code.endswith("_UNKNOWN") else InputRejected
        raise kind(str(exc)) from None
    except ErpNotFound as exc:
        raise NotFoundError(str(exc)) from None
    except AlreadyExistsError as exc:
        raise InputRejected(f"EXISTS: {exc}") from None
    except ErpError as exc:  # e.g. NegativeStockError; the class carries its code when it has one
        raise InputRejected(f"{getattr(exc, 'code', 'REFUSED')}: {exc}") from None
    except ValueError as exc:  # the services' documented shape checks (e.g. units per day without a centre)
        raise InputRejected(f"{INPUT_INVALID}: {exc}") from None


def parse_decimal(text: str, option: str) -> Decimal:
    """A decimal command-line value, or a usage error naming the option."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise typer.BadParameter(f"{text!r} is not a number", param_hint=option) from None
    if not value.is_finite():
        raise typer.BadParameter(f"{text!r} is not a finite number", param_hint=option)
    return value


def parse_optional_decimal(text: str | None, option: str) -> Decimal | None:
    return None if text is None else parse_decimal(text, option)


def parse_date(text: str, option: str) -> date:
    """An ISO date (``2026-12-31``), or a usage error naming the option."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date YYYY-MM-DD", param_hint=option) from None


def parse_moment(text: str | None, option: str) -> datetime:
    """An ISO timestamp (naive means UTC), or now when ``text`` is None."""
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an ISO date-time", param_hint=option) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def resolve_lot(session: Session, lot_number: str, item_number: str | None) -> tuple[Lot, Item]:
    """The lot named on the command line; ``--item`` is needed only when several items share the number."""
    statement = select(Lot, Item).join(Item, col(Item.id) == col(Lot.item_id)).where(
        Lot.lot_number == lot_number.strip())
    if item_number is not None:
        statement = statement.where(Item.item_number == item_number.strip())
    found = list(session.exec(statement.order_by(col(Item.item_number))).all())
    if not found:
        of_item = f" of item {item_number}" if item_number else ""
        raise NotFoundError(f"LOT_UNKNOWN: no lot {lot_number!r}{of_item} (see 'edipulse lots list')")
    if len(found) > 1:
        items = ", ".join(item.item_number for _lot, item in found)
        raise typer.BadParameter(f"lot {lot_number} exists for {items}; give --item", param_hint="LOT")
    return found[0]


def order_partner(session: Session, po_number: str, partner_id: str | None) -> str:
    """The partner of order ``po_number``: ``partner_id`` when given, else the only one with that PO."""
    if partner_id is not None:
        return partner_id
    partners = sorted(set(session.exec(select(SalesOrder.partner_id).where(SalesOrder.po_number == po_number))))
    if not partners:
        raise NotFoundError(f"ORDER_UNKNOWN: no order with PO {po_number!r} (see 'edipulse orders')")
    if len(partners) > 1:
        raise typer.BadParameter(f"PO {po_number} exists for {', '.join(partners)}; give --partner",
                                 param_hint="--po")
    return partners[0]
