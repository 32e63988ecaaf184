"""Interoperability with other evaluation tools (MTEB): adapters between embbench's runs and records and another
tool's models, tasks and result files. A layer beside ``publish``: it builds on ``running`` (an MTEB model embeds
through the run's embedding cache) and ``records`` (an MTEB result file becomes a record), never on a built-in."""
