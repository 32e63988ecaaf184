"""The records a board is made of: everything a results folder holds that embbench can put on a board."""

from __future__ import annotations

from pathlib import Path

from embbench.plugins import Registry
from embbench.records.record import Record, load_records


def board_records(folders: list[Path], registry: Registry) -> list[Record]:
    """The embbench records under each folder and, beside them, any MTEB result files as records from MTEB: what
    `embbench leaderboard` and `embbench run --leaderboard` both put on their board."""
    from embbench.integrations.mteb_results import mteb_records

    return [record for folder in folders for record in load_records(folder) + mteb_records(folder, registry)]
