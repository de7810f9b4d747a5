"""The message ledger: every file, interchange and transaction set, in and out, with its history."""
