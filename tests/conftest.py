"""Fixtures shared by the test modules. The helpers they build on (random feeders and
markets, naive reference solvers) are modules of the ``tests`` package."""
import pytest

import tempp_core as tc


@pytest.fixture(scope="session")
def paper():
    """The embedded default market case."""
    return tc.cases.paper()
