"""The bar store: persistence of ``md.Bar`` messages (storage port and adapters, service on top)."""
