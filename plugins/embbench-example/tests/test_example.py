from embbench.plugins import Registry
from embbench.testing import check_provider, check_task


def test_conformance(tmp_path):
    registry = Registry.load()
    provider = check_provider(registry.make_provider("char-ngram"), cache_dir=tmp_path)
    check_task(registry.make_task("odd-one-out-google"), provider, cache_dir=tmp_path)
