"""The centralized reference (constraint generation over the dual Newton master, explicit rows
solved by sparse LU) against (A1)-(A4) as one exact QP (tests/reference/central_qp.py) on small
random cases with heterogeneous customers: optimum, transactions and, where the duals are
unique, dual prices."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tempp_core.clearing.centralized import solve_centralized
from tempp_core.errors import MarketInfeasibleError, NetworkUnsecurableError
from tempp_core.options import ClearingOptions

from tests.market_cases import max_violation, random_case
from tests.reference.central_qp import solve_central_qp


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_bus=st.integers(3, 9), n_customer=st.integers(1, 7), T=st.integers(1, 4),
       v_target=st.sampled_from([None, 0.96, 0.93, 0.9]), loads=st.sampled_from(["joint", "fixed"]))
def test_centralized_equals_the_exact_qp(seed, n_bus, n_customer, T, v_target, loads):
    try:
        case = random_case(seed, n_bus=n_bus, n_customer=n_customer, T=T, v_target=v_target)
    except MarketInfeasibleError:  # the market alone cannot clear: nothing to compare
        return
    reference = solve_central_qp(case, loads)
    if reference is None:  # (A1)-(A4) infeasible
        with pytest.raises(NetworkUnsecurableError):
            solve_centralized(case, ClearingOptions(loads=loads))
        return
    out = solve_centralized(case, ClearingOptions(loads=loads))
    assert out.objective == pytest.approx(reference["objective"], rel=1e-7, abs=1e-9)
    x = out.transactions.to_vector()
    np.testing.assert_allclose(x, reference["x"], rtol=0, atol=1e-6 * max(1.0, np.abs(x).max()))
    assert max_violation(case, x) <= 1e-9
    if reference["rho"] is None:  # duals not unique (limits that bind together): any split is valid
        return
    np.testing.assert_allclose(out.rho, reference["rho"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(out.locational_price, reference["participant"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(out.connection_price, reference["connection"], rtol=0, atol=1e-6)
