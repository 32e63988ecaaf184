"""Task cards: a named task declared as data, one TOML file beside its data file.

A card names the task type and its options, the family and main score, a description, and its data: the file,
its row count and sha256, source, licence and citation. A card without a ``type`` declares data only (a corpus,
word lists). ``embbench list tasks`` and ``embbench list datasets`` read the cards; a folder of cards is added with
``--tasks-dir DIR`` or a plugin's ``register_task_cards`` hook.

```toml
type = "word-similarity"
family = "word similarity"
main_score = "spearman"
description = "WordSim-353: 353 English word pairs, relatedness rated 0-10"

[options]            # the type's options (optional)
restrict_vocab = 30000

[data]
name = "ws353"       # the dataset's name (default: the card's), which other cards may share
file = "ws353.tsv"   # beside the card (or a path relative to it)
rows = 353
sha256 = "989786c1..."
source = "..."
licence = "..."
citation = "..."
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from embbench._util.files import read_toml
from embbench.datasets import Dataset
from embbench.errors import EmbbenchError

CARD_SUFFIX = ".toml"


class CardData(BaseModel):
    """A card's ``[data]`` table."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    file: str
    rows: int | None = Field(None, ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    source: str = ""
    licence: str = ""
    citation: str = ""
    note: str = ""


class CardFile(BaseModel):
    """What a card file may hold."""

    model_config = ConfigDict(extra="forbid")
    type: str | None = None
    family: str | None = None
    main_score: str | None = None
    description: str = ""
    options: dict[str, Any] = {}
    data: CardData | None = None


@dataclass(frozen=True)
class TaskCard:
    """A card read from ``path``: a named task (when it has a ``type``) and the dataset it declares, if any."""

    name: str
    path: Path
    type: str | None
    family: str | None = None
    main_score: str | None = None
    description: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    dataset: Dataset | None = None

    def where(self, key: str) -> str:
        return f"{self.path}: {key}"

    def task_options(self) -> dict[str, Any]:
        """The options the named task is built with: the card's own, and its dataset."""
        return {**({"dataset": self.dataset.name} if self.dataset else {}), **self.options}


def _key(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location)


def read_card(path: Path) -> TaskCard:
    """Read and check one card; a problem is an error naming the card's file and key."""
    try:
        card = CardFile.model_validate(read_toml(path))
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        what = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
        raise EmbbenchError(what, f"{path}: {_key(error['loc'])}") from None
    if card.type is None and card.data is None:
        raise EmbbenchError("a card needs a task type, a [data] table, or both", f"{path}: type")
    dataset = None
    if card.data is not None:
        data = card.data
        dataset = Dataset(
            name=data.name or path.stem, kind=path.parent.name, path=(path.parent / data.file).resolve(),
            sha256=data.sha256, rows=data.rows, source=data.source, licence=data.licence, citation=data.citation,
            card=path,
        )  # fmt: skip
    return TaskCard(path.stem, path, card.type, card.family, card.main_score, card.description, card.options,
                    dataset)  # fmt: skip


def card_files(folder: Path) -> list[Path]:
    """The card files under ``folder``, recursively, in path order."""
    return sorted(p for p in folder.rglob(f"*{CARD_SUFFIX}") if p.is_file())


def read_cards(folder: Path) -> tuple[list[TaskCard], list[EmbbenchError]]:
    """Every card under ``folder``, and the problems of those that could not be read (each names its card)."""
    if not folder.is_dir():
        return [], [EmbbenchError("not a folder of task cards", str(folder))]
    cards, problems = [], []
    for path in card_files(folder):
        try:
            cards.append(read_card(path))
        except EmbbenchError as exc:
            problems.append(exc)
    return cards, problems
