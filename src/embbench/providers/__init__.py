"""Built-in providers, registered through the same entry points as third-party plugins."""
