"""Built-in task types (code), registered as plugins; the named tasks are the cards of the top-level tasks/ folder."""
