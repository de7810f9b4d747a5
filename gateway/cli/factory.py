"""The factory-side commands, registered on the ``edipulse`` application in one call.

Master data and lots (:mod:`gateway.cli.factory_cmds`), quality
(:mod:`gateway.cli.quality_cmds`), shipping and billing (:mod:`gateway.cli.shipping_cmds`)
and the lot trace (:mod:`gateway.cli.trace_cmds`).
"""

from __future__ import annotations

import typer

from gateway.cli import factory_cmds, quality_cmds, shipping_cmds, trace_cmds


def register(app: typer.Typer) -> None:
    """Add the factory-side command groups and commands to ``app``."""
    app.add_typer(factory_cmds.items_app, name="items")
    app.add_typer(factory_cmds.stock_app, name="stock")
    app.add_typer(factory_cmds.workcentres_app, name="workcentres")
    app.add_typer(factory_cmds.routing_app, name="routing")
    app.add_typer(factory_cmds.lots_app, name="lots")
    app.command("inspect")(quality_cmds.inspect_cmd)
    app.add_typer(quality_cmds.nc_app, name="nc")
    app.add_typer(quality_cmds.alerts_app, name="alerts")
    app.add_typer(quality_cmds.mes_app, name="mes")
    app.add_typer(shipping_cmds.ship_app, name="ship")
    app.command("shipments")(shipping_cmds.shipments_cmd)
    app.add_typer(shipping_cmds.invoices_app, name="invoices")
    app.add_typer(shipping_cmds.payments_app, name="payments")
    app.command("trace")(trace_cmds.trace_cmd)
