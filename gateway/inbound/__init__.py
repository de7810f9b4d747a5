"""From a received file to booked orders and acknowledgements."""
