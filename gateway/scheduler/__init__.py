"""Scheduled jobs of the gateway (inbound polling, outbound batches, housekeeping) under one leader."""
