"""The module-wide offline switch several test files share; a file takes it by importing it
(``from offline_fixtures import offline``)."""

import pytest


@pytest.fixture(scope="module", autouse=True)
def offline():
    """``LABKIT_OFFLINE=1`` for the whole module, so module-scoped fixtures (set up before the per-test
    environment of conftest) resolve offline too."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LABKIT_OFFLINE", "1")
        yield
