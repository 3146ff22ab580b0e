import pytest


@pytest.fixture
def published(schedule):
    """A scheduled (published) ILT session on 2030-03-04 09:00 Paris, capacity 2."""

    def make(capacity: int = 2, **kwargs):
        return schedule(status="scheduled", capacity=capacity, **kwargs)

    return make
