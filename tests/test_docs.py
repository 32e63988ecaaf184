"""The docs cannot drift from the code: the site builds with ``mkdocs build --strict`` (its reference pages
generated from the code), the plugin-hook page names every hook with its signature (as datasette checks its
``plugin_hooks`` page), and every command block of the README and the tutorial runs, offline, as written."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from embbench import hookspecs

ROOT = Path(__file__).resolve().parents[1]
NOT_RUN = "<!-- not run by the docs test:"


def hookspec_signatures() -> dict[str, str]:
    """Every hook embbench declares, as ``name(parameters)``."""
    return {name: f"{name}({', '.join(inspect.signature(function).parameters)})"
            for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
            if hasattr(function, "embbench_spec")}  # fmt: skip


def test_the_hook_page_documents_every_hook_with_its_signature() -> None:
    page = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    hooks = page.split("\n## Hooks\n", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^### `([a-z_]+\([^)]*\))`$", hooks, flags=re.M)
    assert sorted(documented) == sorted(hookspec_signatures().values())
    assert len(hookspec_signatures()) == 4


def test_the_site_builds_strictly_with_pages_generated_from_the_code(tmp_path: Path) -> None:
    built = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
                           cwd=ROOT, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert built.returncode == 0, built.stderr[-4000:]
    cli = (tmp_path / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    for command in ("run", "leaderboard", "compare", "reproduce", "mteb", "export", "new plugin", "list", "show"):
        assert f"embbench {command}</code>" in cli, command
    catalogue = (tmp_path / "reference" / "tasks" / "index.html").read_text(encoding="utf-8")
    for task in ("ws353", "google", "stsb", "mrpc", "trecqa", "bbc-retrieval", "weat-caliskan"):
        assert f"<code>{task}</code>" in catalogue, task
    schema = (tmp_path / "reference" / "record-schema" / "index.html").read_text(encoding="utf-8")
    assert "<code>items_sha256</code>" in schema and "checked whenever they are read" in schema
    assert (tmp_path / "assets" / "leaderboard.png").stat().st_size > 10_000


def command_blocks(path: Path) -> list[str]:
    """The ``bash`` blocks of a Markdown file, except those marked as not run (each mark gives its reason)."""
    text = path.read_text(encoding="utf-8")
    blocks = []
    for match in re.finditer(r"(?:^(<!--[^\n]*-->)\n)?^```bash\n(.*?)^```$", text, flags=re.M | re.S):
        mark, body = match.groups()
        if mark:
            assert mark.startswith(NOT_RUN) and len(mark) > len(NOT_RUN) + 10, f"{path.name}: {mark} (give a reason)"
            continue
        blocks.append(body)
    return blocks


PIP_INTO_SCRATCH = """
pip() {  # pip install into a scratch folder, so the test environment itself is left as it was
    if [ "$1" = install ]; then
        shift; args=()  # -e dropped: a folder (with [extras] or not) is then ./folder, which pip reads as a path
        for arg in "$@"; do
            if [ -d "${arg%%[*}" ]; then args+=("./$arg"); elif [ "$arg" != -e ]; then args+=("$arg"); fi
        done
        python -m pip install --quiet --no-deps --no-build-isolation --target "$SCRATCH_SITE" "${args[@]}"
        export PYTHONPATH="$SCRATCH_SITE${PYTHONPATH:+:$PYTHONPATH}"
    else
        python -m pip "$@"
    fi
}
"""


@pytest.mark.parametrize("document", ["README.md", "docs/tutorial.md"])
def test_every_command_block_runs_as_written(tmp_path: Path, document) -> None:
    """Each document's blocks run in order, in one shell, in a fresh folder beside the repository's published
    board, offline; a failing command fails the test with its output."""
    blocks = command_blocks(ROOT / document)
    assert blocks
    work = tmp_path / "work"
    work.mkdir()
    (work / "leaderboards").symlink_to(ROOT / "leaderboards")
    script = "set -euo pipefail\n" + PIP_INTO_SCRATCH + "\n".join(blocks)
    env = {**os.environ, "SCRATCH_SITE": str(tmp_path / "site"), "HF_HUB_OFFLINE": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}  # fmt: skip
    done = subprocess.run(["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr
