"""Tasks that read one dataset file: a registered dataset by name, or the user's own file in the same format."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import Field, model_validator

from embbench.contract.context import Context
from embbench.contract.options import Options
from embbench.contract.task import Task
from embbench.errors import EmbbenchError


class FileTaskOptions(Options):
    """``dataset`` names a registered dataset; ``path`` points at the user's own file in the same format."""

    dataset: str | None = None
    path: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_source(cls, values: Any) -> Any:
        if isinstance(values, dict):
            if values.get("path"):
                values = {**values, "dataset": None}  # a user's file replaces a named task's dataset
            elif not values.get("dataset"):
                raise ValueError("give dataset=NAME or path=FILE")
        return values


class WordTaskOptions(FileTaskOptions):
    """Options of the tasks that search a word vocabulary (similarity, analogy)."""

    protocol: Literal["embbench", "gensim"] = "embbench"
    restrict_vocab: int | None = Field(None, ge=1)


FileOptionsT = TypeVar("FileOptionsT", bound=FileTaskOptions)


class FileTask(Task[FileOptionsT]):
    """A task over one dataset file; subclasses implement ``read(path)`` and ``evaluate``."""

    path_: Path
    sha256_: str

    def load(self, context: Context) -> None:
        if self.options.path:
            self.path_ = Path(self.options.path).expanduser()
            if not self.path_.is_file():
                what = "not a file" if self.path_.exists() else "file not found"
                raise EmbbenchError(f"dataset {what}: {self.path_}", f"task '{self.registered_name}' option 'path'")
            self.sha256_ = context.fingerprint(self.path_)
        else:
            where = f"task '{self.registered_name}' option 'dataset'"
            assert context.registry is not None
            dataset = context.registry.dataset(self.options.dataset, where)
            self.path_ = dataset.local_path(context.cache_dir)
            self.sha256_ = context.fingerprint(self.path_)
            if dataset.sha256 and dataset.sha256 != self.sha256_:
                raise EmbbenchError(f"the data file {self.path_.name} has sha256 {self.sha256_}, not the declared"
                                    f" {dataset.sha256}", dataset.where("data.sha256"))  # fmt: skip
        self.read(self.path_)

    def read(self, path: Path) -> None:
        raise NotImplementedError

    def dataset_sha256(self) -> str | None:
        return getattr(self, "sha256_", None)

    def data_bytes(self) -> int:
        path = getattr(self, "path_", None)
        return path.stat().st_size if path is not None and path.is_file() else 0
