"""Records: one per (provider, task) pair, its per-item outputs, the environment, and viewing one."""

MIN_COVERAGE = 0.9  # leaderboards mark a score that covers fewer of its task's items than this
TOLERANCE = 1e-4
"""How far a rerun of a deterministic computation may drift (float32 sums in another order) and still reproduce."""
