"""MkDocs hooks: the reference pages, generated from the code at build time so that they cannot drift from it.

The CLI reference comes from the typer app, the record schema from the pydantic model's JSON Schema, the task and
provider catalogues from the task cards and the registry, and the performance table from the benchmark's own
output (``benchmarks/results.md``); the changelog and the default board's screenshot are taken from the repository.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    for path, text in generated_pages().items():
        files.append(File.generated(config, path, content=text))
    screenshot = ROOT / "leaderboards" / "default" / "leaderboard.png"
    files.append(File.generated(config, "assets/leaderboard.png", abs_src_path=str(screenshot)))
    return files


def generated_pages() -> dict[str, str]:
    from embbench.plugins import Registry

    registry = Registry.load()
    return {
        "reference/cli.md": cli_reference(),
        "reference/record-schema.md": record_schema(),
        "reference/tasks.md": task_catalogue(registry),
        "reference/providers.md": provider_catalogue(registry),
        "reference/benchmarks.md": benchmark_tables(),
        "changelog.md": (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"),
    }


def prose(text: str) -> str:
    """Text from a docstring or help string as Markdown shows it as written (``<model>`` is not a tag)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cell(value: Any) -> str:
    """A value as a Markdown table cell."""
    text = "" if value is None else str(value)
    return prose(text).replace("|", "\\|").replace("\n", " ")


def table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def cli_reference() -> str:
    """The reference of the installed ``embbench`` command, found by its console-script entry point."""
    from importlib import import_module
    from importlib.metadata import entry_points

    import typer

    (script,) = entry_points(group="console_scripts", name="embbench")
    app = import_module(script.module).app

    out = ["# CLI reference", "", "Generated from the command's own definitions. `embbench COMMAND --help` prints the"
           " same.", ""]  # fmt: skip

    def walk(command: Any, path: str) -> None:
        if hasattr(command, "commands"):  # a group (typer's own click types: no isinstance check)
            for name in sorted(command.commands):
                walk(command.commands[name], f"{path} {name}")
            return
        out.extend([f"## `{path}`", "", prose(inspect.cleandoc(command.help or "")), ""])
        rows = []
        for param in command.params:
            if param.name == "help":
                continue
            if param.param_type_name == "argument":
                names = f"`{(param.metavar or param.name).upper()}`"
            else:
                names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
            default = param.default if not callable(param.default) and param.default not in (None, (), []) else ""
            rows.append([names, default, getattr(param, "help", "") or ""])
        if rows:
            out.append(table(["option", "default", "what"], rows))

    walk(typer.main.get_command(app), "embbench")
    return "\n".join(out)


def record_schema() -> str:
    from embbench.records.record import Record

    schema = Record.model_json_schema()
    required = set(schema.get("required", []))
    rows = []
    for name, field in schema["properties"].items():
        kind = field.get("type") or " or ".join(str(part.get("type", part.get("$ref", "?"))) for part in
                                                 field.get("anyOf", []))  # fmt: skip
        if "enum" in field:
            kind = " / ".join(json.dumps(v) for v in field["enum"])
        rows.append([f"`{name}`", kind, "yes" if name in required else "", field.get("description", "")])
    return "\n".join([
        "# Record schema", "",
        "One record per (provider, task) pair: `<provider>__<task>__<key>.json`, its per-item outputs beside it in"
        " `<same name>.items.parquet`. Generated from the pydantic model (`embbench.Record`).", "",
        table(["field", "type", "required", "what"], rows),
        "## JSON Schema", "", "```json", json.dumps(schema, indent=2), "```", "",
    ])  # fmt: skip


def task_catalogue(registry: Any) -> str:
    from embbench.catalogue import Kind, describe

    datasets = {row["name"]: row for row in describe(Kind.datasets, registry)}
    tasks = describe(Kind.tasks, registry)
    types = {row["name"]: row for row in tasks if row["card"] is None and row["name"] == row["type"]}
    out = ["# Task catalogue", "",
           "Every named task (a task card in `tasks/`, or a plugin's), grouped by task type, with its data, licence and"
           " citation; the type's protocol is its own description. Generated from the cards and the registry"
           " (`embbench list tasks`, `embbench list datasets`).", ""]  # fmt: skip
    for type_name, kind in sorted(types.items()):
        entry = registry.tasks[type_name]
        named = [row for row in tasks if row["type"] == type_name and row["name"] != type_name]
        out += [f"## `{type_name}`", "", f"Family: {kind['family']} · main score: `{kind['main_score']}` · plugin:"
                f" `{kind['plugin']}`", "", prose(inspect.cleandoc(entry.obj.__doc__ or kind["description"] or "")), "",
                f"Options: `{kind['options']}`" if kind["options"] else "", ""]  # fmt: skip
        rows = []
        for row in named:
            data = datasets.get(row["dataset"] or "", {})
            rows.append([f"`{row['name']}`", row["description"], data.get("rows", ""), data.get("licence", ""),
                         data.get("source", ""), data.get("citation", "")])  # fmt: skip
        if rows:
            out.append(table(["task", "what", "rows", "licence", "source", "citation"], rows))
    return "\n".join(out)


def provider_catalogue(registry: Any) -> str:
    from embbench.catalogue import Kind, describe

    out = ["# Provider catalogue", "", "Every registered provider with its options and their defaults. Generated from"
           " the registry (`embbench list providers`).", ""]  # fmt: skip
    for row in describe(Kind.providers, registry):
        cls = registry.providers[row["name"]].obj
        out += [f"## `{row['name']}`", "", prose(row["description"] or ""), "",
                f"Version {cls.version} · plugin `{row['plugin']}`", "",
                f"Options: `{row['options']}`", ""]  # fmt: skip
    return "\n".join(out)


def benchmark_tables() -> str:
    results = (ROOT / "benchmarks" / "results.md").read_text(encoding="utf-8")
    profile = (ROOT / "benchmarks" / "suite-profile.md").read_text(encoding="utf-8")
    return "\n".join(
        [
            "# Benchmark results",
            "",
            "The benchmark script's own output (`benchmarks/results.md`, `benchmarks/suite-profile.md`),"
            " included as it is.",
            "",
            results,
            "",
            "## Where the default suite's time goes",
            "",
            profile,
        ]
    )
