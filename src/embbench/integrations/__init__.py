"""Interoperability with other evaluation tools (MTEB): adapters that use only embbench's public surface."""
