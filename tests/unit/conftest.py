import pytest

from tests.unit.mocks import evaluate


@pytest.fixture(scope="session")
def graphs():
    """The whole program evaluated once per stack (dev, prod, local)."""
    return {stack: evaluate(stack) for stack in ("dev", "prod", "local")}
