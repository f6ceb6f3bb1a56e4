import pytest

from civicgrid.addresses import matching


@pytest.fixture(autouse=True)
def _fresh_vocabulary():
    """Each test starts with no cached vocabulary (tests roll back the register and its revision)."""
    matching.invalidate()
    yield
    matching.invalidate()
