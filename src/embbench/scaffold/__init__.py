"""``embbench new plugin``: a ready plugin package from templates, using only embbench's public surface."""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

from embbench.errors import EmbbenchError

TEMPLATES = Path(__file__).parent / "templates"
NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
HEADER = '''"""The $dist plugin: $what."""

from __future__ import annotations

'''
IMPORTS = {  # what each part's template uses: standard library, third party, embbench
    "provider": ({"import zlib", "from collections.abc import Sequence", "from typing import ClassVar"},
                 {"import numpy as np", "from pydantic import Field"},
                 {"Context", "Options", "Provider", "Register", "hookimpl", "tokenize"}),
    "task": (set(), {"import numpy as np"}, {"Options", "Provider", "Register", "Task", "TaskOutput", "hookimpl"}),
}  # fmt: skip


def _imports(parts: list[str]) -> str:
    """The module's import block for the parts it has, as ruff's defaults format it (embbench is third party to a
    plugin; lines of at most 88 characters)."""
    stdlib, third, ours = (set().union(*(IMPORTS[part][i] for part in parts)) for i in range(3))
    names = sorted(ours, key=lambda name: (not name[0].isupper(), name))  # isort's order: classes, then functions
    embbench = f"from embbench import {', '.join(names)}"
    if len(embbench) > 88:
        embbench = "from embbench import (\n" + "".join(f"    {name},\n" for name in names) + ")"
    third.add(embbench)
    key = lambda line: (line.startswith("from"), line.split()[1].lower())  # noqa: E731
    return "\n\n".join("\n".join(sorted(block, key=key)) for block in (stdlib, third) if block) + "\n"


def _render(template: str, **values: str) -> str:
    return Template(template).substitute(values)


def new_plugin(name: str, out: Path, provider: bool = True, task: bool = True) -> list[Path]:
    """Write the package of a plugin called ``name`` into ``out``: pyproject with the entry point, the module with a
    provider and/or a task skeleton, tests running ``embbench.testing.parametrize_with_checks``, and a README."""
    if not NAME.match(name):
        raise EmbbenchError("a plugin name is lower-case letters and digits, words joined by '-'", f"'{name}'")
    if not (provider or task):
        raise EmbbenchError("a plugin needs a provider, a task or both", "--no-provider --no-task")
    if out.exists() and any(out.iterdir()):
        raise EmbbenchError("exists and is not empty", str(out))
    cls = "".join(part.title() for part in name.split("-"))
    values = {
        "name": name, "dist": f"embbench-{name}", "package": f"embbench_{name.replace('-', '_')}", "cls": cls,
        "task": f"{name}-synonyms", "task_cls": f"{cls}Synonyms",
        "what": " and ".join(k for k, wanted in (("a provider", provider), ("a task", task)) if wanted),
        "test_provider": name if provider else "glove",
    }  # fmt: skip
    values["providers"] = "[PROVIDER]" if provider else "[]"
    values["tasks"] = f'[(REGISTRY.make_task("{values["task"]}"), PROVIDER)]' if task else "[]"
    values["listing"] = "".join(f"embbench list {kind}\n" for kind, wanted in (("providers", provider), ("tasks", task))
                                if wanted)  # fmt: skip
    parts = [kind for kind, wanted in (("provider", provider), ("task", task)) if wanted]
    module = _render(HEADER, **values) + _imports(parts)
    module += "".join(_render((TEMPLATES / f"{part}.py.tmpl").read_text(), **values) for part in parts)
    files = {
        out / "pyproject.toml": _render((TEMPLATES / "pyproject.toml.tmpl").read_text(), **values),
        out / "src" / values["package"] / "__init__.py": module,
        out / "tests" / "test_plugin.py": _render((TEMPLATES / "test_plugin.py.tmpl").read_text(), **values),
        out / "README.md": _render((TEMPLATES / "README.md.tmpl").read_text(), **values),
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)
