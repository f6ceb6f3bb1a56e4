from civicgrid.cases.tests.conftest import PATHS


def test_it_walks_every_state(case_in):
    for state in PATHS:
        assert case_in(state).state == state
