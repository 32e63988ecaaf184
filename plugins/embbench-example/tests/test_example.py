from embbench import Registry
from embbench.testing import parametrize_with_checks

REGISTRY = Registry.load()
PROVIDER = REGISTRY.make_provider("char-ngram")


@parametrize_with_checks(providers=[PROVIDER], tasks=[(REGISTRY.make_task("odd-one-out-google"), PROVIDER)])
def test_conformance(obj, check, tmp_path):
    check(obj, tmp_path)
