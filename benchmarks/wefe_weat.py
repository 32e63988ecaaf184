"""WEFE's WEAT with permutation p-values on GloVe 6B 50d, timed; run in its own environment (tox -e bench-wefe)
because WEFE pins numpy<=1.26. Writes <work>/wefe.json for benchmarks/run.py."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main() -> None:
    from wefe.metrics import WEAT
    from wefe.query import Query
    from wefe_glove import glove_model

    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / ".work"
    _, model = glove_model()
    test = json.loads((Path(__file__).parents[1] / "tasks/bias/weat.json").read_text())[0]
    sets = [test[k]["words"] for k in ("first_target", "second_target", "first_attribute", "second_attribute")]
    query = Query(sets[:2], sets[2:], ["Flowers", "Insects"], ["Pleasant", "Unpleasant"])
    permutations = 1000
    start = time.perf_counter()
    result = WEAT().run_query(query, model, calculate_p_value=True, p_value_iterations=permutations,
                              p_value_method="approximate")  # fmt: skip
    seconds = time.perf_counter() - start
    work.mkdir(parents=True, exist_ok=True)
    out = {"seconds": seconds, "permutations": permutations, "ms_per_permutation": 1000 * seconds / permutations,
           "effect_size": result.get("effect_size"), "p_value": result.get("p_value")}  # fmt: skip
    (work / "wefe.json").write_text(json.dumps(out, indent=2, default=float))
    print(json.dumps(out, default=float))


if __name__ == "__main__":
    main()
