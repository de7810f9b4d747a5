"""What the gateway sends: acknowledgements now, ship notices and invoices later."""
