"""The stock service: on-hand and reserved per dealer and SKU, and the reservations."""
