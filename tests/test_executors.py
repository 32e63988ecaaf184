"""Parallel execution: worker processes and a real local Ray cluster give the same records as the local loop."""

from __future__ import annotations

from pathlib import Path

import pytest

from embbench import run

PROVIDERS = ["glove", "pca:base=glove,dim=10", "onehot:max_vocab=3000"]
TASKS = ["ws353", "ap", "mc30"]


def comparable(records) -> dict:
    return {(r.provider_label, r.task_label): (r.status, r.scores, r.coverage, r.ci95) for r in records}


@pytest.fixture(scope="module")
def local_records(tmp_path_factory, registry, cache_dir):
    return run(PROVIDERS, TASKS, tmp_path_factory.mktemp("local"), registry=registry, cache_dir=cache_dir)


@pytest.mark.slow
def test_worker_processes_match_local(local_records, tmp_path: Path, cache_dir) -> None:
    records = run(PROVIDERS, TASKS, tmp_path, cache_dir=cache_dir, jobs=2)
    assert comparable(records) == comparable(local_records)
    assert len(list(tmp_path.glob("*.json"))) == 9


@pytest.mark.slow
def test_ray_local_cluster_matches_local(local_records, tmp_path: Path, cache_dir) -> None:
    import ray

    ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True)
    try:
        assert ray.cluster_resources()["CPU"] == 2
        records = run(PROVIDERS, TASKS, tmp_path, cache_dir=cache_dir, executor="ray")
    finally:
        ray.shutdown()
    assert comparable(records) == comparable(local_records)
    assert len(list(tmp_path.glob("*.json"))) == 9


def test_bert_asks_for_a_gpu_on_cuda(registry) -> None:
    assert registry.make_provider("bert:device=cuda").resources() == {"num_cpus": 1, "num_gpus": 1}
    assert registry.make_provider("bert:device=cpu").resources() == {"num_cpus": 1}
    assert registry.make_provider("glove").resources() == {"num_cpus": 1}
