"""WEFE's Hard Debias on GloVe 6B 50d with the bundled Bolukbasi lists, timed; run in WEFE's own environment
(tox -e bench-wefe). Saves <work>/wefe_debias.npy (the debiased vectors, in GloVe's word order) and
<work>/wefe_debias.json for benchmarks/run.py, which compares them word by word with embbench's debias:method=hard."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np


def main() -> None:
    from wefe.debias.hard_debias import HardDebias
    from wefe_glove import glove_model

    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / ".work"
    words, model = glove_model()
    lists = json.loads((Path(__file__).parents[1] / "tasks/bias/bolukbasi.json").read_text())["gender"]
    start = time.perf_counter()
    debiased = (
        HardDebias(criterion_name="gender", pca_args={"n_components": 10})
        .fit(model, definitional_pairs=lists["definitional_pairs"], equalize_pairs=lists["equalize_pairs"])
        .transform(model, ignore=lists["specific_full"], copy=True)
    )
    seconds = time.perf_counter() - start
    matrix = np.stack([debiased.wv[w] for w in words]).astype(np.float32)
    work.mkdir(parents=True, exist_ok=True)
    np.save(work / "wefe_debias.npy", matrix)
    (work / "wefe_debias.json").write_text(json.dumps({"seconds": seconds, "words": len(words)}))
    print(json.dumps({"seconds": seconds}))


if __name__ == "__main__":
    main()
