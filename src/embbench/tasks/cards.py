"""The built-in task cards: the repository's ``tasks/`` folder (inside the wheel, ``embbench/_bundled/tasks``)."""

from __future__ import annotations

from embbench._util.bundled import bundled_dir
from embbench.hookspecs import Register, hookimpl


@hookimpl
def register_task_cards(register: Register) -> None:
    register(bundled_dir("tasks"))
