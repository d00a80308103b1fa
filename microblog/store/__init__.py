"""The storage layer: the only code that runs SQL or talks to Redis."""
