"""AS2 in the gateway: partnerships from config.yaml, receipts into the ledger, sending with MDN tracking."""
