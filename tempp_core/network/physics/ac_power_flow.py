"""Unbalanced three-phase AC power flow on the radial feeder, for a whole batch at once.

The same tree, bus order and batch layout as :func:`tempp_core.power_flow`, solved exactly
(to ``tol``) by backward/forward sweeps instead of linearized. See
:mod:`tempp_core.network.kernels.ac` for the line model and docs/validation.md for how it compares
with OpenDSS.
"""
from __future__ import annotations

import warnings
import weakref
from dataclasses import dataclass

import numpy as np

from ...errors import InjectionError
from ..feeder import Feeder
from ..kernels import ac
from .layout import as_bus_major, n_chunks, to_public

#: Balanced phase angles of the swing bus (a, b, c), radians.
SWING_ANGLES = np.array([0.0, -2.0 * np.pi / 3.0, 2.0 * np.pi / 3.0])
#: Named load models: shares (constant impedance, constant current, constant power).
LOAD_MODELS = {"power": (0.0, 0.0, 1.0), "current": (0.0, 1.0, 0.0), "impedance": (1.0, 0.0, 0.0)}


@dataclass(frozen=True, eq=False)
class AcPowerFlowBuffers:
    """Arrays of :func:`ac_power_flow`, reusable across calls.

    The batch of ``B`` columns is cut into ``n_chunk`` chunks of ``bc`` columns (the last one
    padded), one per thread; the iteration works on each chunk's own block.

    Attributes
    ----------
    v : complex ndarray (n_bus, B, 3)
    vm : ndarray (n_bus, B, 3)
    P, Q : ndarray (n_line, B, 3)
    loss_P, loss_Q : ndarray (n_line, B)
    sp, sq, vr, vi : ndarray (n_chunk, n_bus, 3, bc)
        Work: loads, real and imaginary voltages of each chunk.
    jr, ji : ndarray (n_chunk, n_bus, 3, bc)
        Work: currents through the lines' impedances (row j: the line feeding bus j).
    iterations : int64 ndarray (n_chunk, bc)
    mismatch : ndarray (n_chunk, bc)
    status : int8 ndarray (n_chunk, bc)
        One of the status codes of :mod:`tempp_core.network.kernels.ac`.
    codes : int64 ndarray (2 n_chunk,)
        Each chunk's load check.
    """

    v: np.ndarray
    vm: np.ndarray
    P: np.ndarray
    Q: np.ndarray
    loss_P: np.ndarray
    loss_Q: np.ndarray
    sp: np.ndarray
    sq: np.ndarray
    vr: np.ndarray
    vi: np.ndarray
    jr: np.ndarray
    ji: np.ndarray
    iterations: np.ndarray
    mismatch: np.ndarray
    status: np.ndarray
    codes: np.ndarray

    @classmethod
    def allocate(cls, feeder: Feeder, batch_size: int, n_chunk: int | None = None) -> "AcPowerFlowBuffers":
        """Buffers for ``batch_size`` columns, every page touched now (as
        :meth:`tempp_core.PowerFlowBuffers.allocate`).

        ``n_chunk``: how many threads share the batch (default:
        :func:`tempp_core.network.physics.layout.n_chunks`).
        """
        n_chunk = n_chunks(feeder.n_bus, batch_size) if n_chunk is None else max(1, min(int(n_chunk), batch_size))
        bc = -(-batch_size // n_chunk)
        nb, nl = feeder.n_bus, feeder.n_line
        work = lambda n: np.full((n_chunk, n, 3, bc), 0.0)  # noqa: E731
        return cls(
            v=np.full((nb, batch_size, 3), 0.0j), vm=np.full((nb, batch_size, 3), 0.0),
            P=np.full((nl, batch_size, 3), 0.0), Q=np.full((nl, batch_size, 3), 0.0),
            loss_P=np.full((nl, batch_size), 0.0), loss_Q=np.full((nl, batch_size), 0.0),
            sp=work(nb), sq=work(nb), vr=work(nb), vi=work(nb), jr=work(nb), ji=work(nb),
            iterations=np.zeros((n_chunk, bc), dtype=np.int64), mismatch=np.zeros((n_chunk, bc)),
            status=np.zeros((n_chunk, bc), dtype=np.int8), codes=np.zeros(2 * n_chunk, dtype=np.int64),
        )

    @property
    def batch_size(self) -> int:
        return self.v.shape[1]

    @property
    def n_chunk(self) -> int:
        return self.sp.shape[0]


@dataclass(frozen=True, eq=False)
class AcPowerFlowResult:
    """Solved AC state of every batch element.

    An element that did not converge has no AC state, and its arrays say so rather than show
    an iterate: ``v``, ``vm``, ``P``, ``Q``, ``loss_P`` and ``loss_Q`` are 0 on all its present
    phases (the swing bus included), and :attr:`collapsed` marks its present bus-phases, as
    :class:`tempp_core.PowerFlowResult` marks a collapsed voltage. No present phase ever holds
    NaN or inf.

    Attributes
    ----------
    v : complex ndarray (..., n_bus, 3)
        Phase-to-neutral voltages, p.u. of each bus's base; the swing bus's phase a at angle 0.
        NaN on absent phases.
    vm : ndarray (..., n_bus, 3)
        ``|v|``, p.u. (NaN on absent phases).
    P, Q : ndarray (..., n_line, 3)
        Active and reactive power entering each line at its sending end (charging of that
        end included), p.u. (NaN on absent phases).
    loss_P, loss_Q : ndarray (..., n_line)
        Power entering each line minus power leaving it, summed over phases, p.u.
        (``loss_Q`` is net of the line's charging).
    converged : bool ndarray (batch shape)
        The element has an AC state: the sweeps reached ``tol`` and every output is finite.
    iterations : int64 ndarray (batch shape)
        Backward/forward sweeps done.
    mismatch : ndarray (batch shape)
        Largest voltage update of the last sweep, ``max |F(V) - V|`` over bus-phases, p.u.
        (inf where the element collapsed).
    feeder : Feeder
    """

    v: np.ndarray
    vm: np.ndarray
    P: np.ndarray
    Q: np.ndarray
    loss_P: np.ndarray
    loss_Q: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    mismatch: np.ndarray
    feeder: Feeder

    @property
    def collapsed(self) -> np.ndarray:
        """bool ndarray (..., n_bus, 3): the present bus-phases of the elements that did not
        converge, where ``vm`` is 0 (False on absent phases)."""
        return ~self.converged[..., None, None] & self.feeder.bus_phases


def ac_power_flow(feeder: Feeder, p, q, *, out: AcPowerFlowBuffers | None = None, tol: float = 1e-10,
                  max_iter: int = 100, load_model=None, start: str = "flat") -> AcPowerFlowResult:
    """Solve the unbalanced three-phase AC power flow for a batch of net loads.

    The line model: each line's series impedance ``r_pu + j x_pu`` (3x3, mutual terms
    included) sits on the sending side of its ideal ratio ``feeder.ratio``, so that
    ``V_to = ratio * (V_from - Z I)`` per phase (as OpenDSS models a regulator whose tap is on
    its second winding); half of the charging ``feeder.b_shunt_pu`` sits at each end; the
    capacitors ``feeder.cap_q_pu`` are constant susceptances (their rating at 1 p.u.). The
    swing bus holds ``feeder.v_swing_pu`` with balanced angles (0, -120, 120 degrees).

    Parameters
    ----------
    feeder : Feeder
    p, q : array_like (..., n_bus, 3)
        Net active and reactive load per bus and phase at 1 p.u. voltage, p.u. of
        ``feeder.s_base_kva`` (consumption positive), as for :func:`tempp_core.power_flow`.
        Leading dimensions are a batch solved at once; the swing bus's entry is ignored;
        entries on absent phases must be zero.
    out : AcPowerFlowBuffers, optional
        Reuse these buffers (batch size must match); the result's arrays are views of them.
    tol : float
        Convergence when one more sweep moves no voltage by more than ``tol`` p.u.
    max_iter : int
        Sweeps allowed per batch element.
    load_model : None, str or array_like, optional
        How each net load depends on its voltage magnitude ``|V|`` (p.u.):
        ``S(V) = S * (k_z |V|^2 + k_i |V| + k_p)``. ``None`` or ``"power"``: constant power
        (``k_p = 1``); ``"current"``: constant current magnitude (``k_i = 1``, OpenDSS model 5);
        ``"impedance"``: constant impedance (``k_z = 1``, model 2); or an array of shares
        ``(k_z, k_i, k_p)`` (each triple summing to 1) that broadcasts to
        ``(n_bus, 3, 2, 3)``: bus, phase, P or Q, share. So ``(3,)`` applies to every load's P
        and Q, ``(2, 3)`` gives P and Q their own (e.g. OpenDSS model 4, ``[[0, 1, 0], [1, 0,
        0]]``), ``(n_bus, 3, 1, 3)`` sets each bus and phase. The model applies to the net
        load of a bus-phase as a whole.
    start : {"flat", "previous"}
        ``"flat"``: every element starts from the swing voltages carried through the ratios.
        ``"previous"``: elements that converged in the last call with the same ``out`` (on the
        same feeder) start from that solution, which saves sweeps when the loads moved
        little (a market loop re-checking nearby transactions); the others start flat.

    Returns
    -------
    AcPowerFlowResult
        Elements that did not converge within ``max_iter`` sweeps, or collapsed (a voltage
        went to zero, blew up or became non-finite, or a flow overflowed), have ``converged``
        False and hold 0 on their present phases (see :class:`AcPowerFlowResult`); one
        RuntimeWarning per call says how many and which was worst.

    Raises
    ------
    InjectionError
        Wrong shape, non-finite value, a load on a phase a bus lacks, a bad load model, or
        buffers of the wrong size.
    ValueError
        ``tol`` not positive, ``max_iter`` below 1, or an unknown ``start`` (or
        ``"previous"`` without ``out``).

    Examples
    --------
    >>> import tempp_core as tc
    >>> feeder, p, q = tc.io.read_csv_case(tc.cases.data_path("ieee13"))
    >>> res = tc.ac_power_flow(feeder, p, q)
    >>> bool(res.converged)
    True
    """
    if not (tol > 0.0 and np.isfinite(tol)):
        raise ValueError(f"tol must be positive and finite, got {tol!r}")
    if int(max_iter) < 1:
        raise ValueError(f"max_iter must be at least 1, got {max_iter!r}")
    if start not in ("flat", "previous") or (start == "previous" and out is None):
        raise ValueError(f"start must be 'flat' or 'previous' (with the buffers of the previous call as out), "
                         f"got {start!r}")
    p_bm, batch = as_bus_major(p, feeder.n_bus, "p")
    q_bm, _ = as_bus_major(q, feeder.n_bus, "q", batch)
    t = _tree_arrays(feeder)
    constant_power = load_model is None or (isinstance(load_model, str) and load_model == "power")
    shares, has_zip = (t.constant_power, False) if constant_power else _load_shares(load_model, feeder)
    nb = p_bm.shape[1]
    if out is None:
        out = AcPowerFlowBuffers.allocate(feeder, nb)
    elif out.batch_size != nb or out.v.shape[0] != feeder.n_bus:
        raise InjectionError(f"buffers hold {out.v.shape[:2]} (bus, batch); this call needs ({feeder.n_bus}, {nb})")
    root = feeder.v_swing_pu * np.exp(1j * SWING_ANGLES)
    kernel = ac.solve_parallel if out.n_chunk > 1 else ac.solve_serial
    kernel(feeder.parent, feeder.child_ptr, feeder.child, t.ratio_on, t.inv_ratio_on, t.zr, t.zi, feeder.bus_phases,
           t.absent, t.bsh, t.has_shunt, t.b_half, p_bm, q_bm, shares, has_zip, root.real.copy(), root.imag.copy(),
           float(tol), int(max_iter), start == "previous", out.sp, out.sq, out.vr, out.vi, out.jr, out.ji,
           out.iterations, out.mismatch, out.status, out.v, out.vm, out.P, out.Q, out.loss_P, out.loss_Q, out.codes)
    _raise_bad_loads(feeder, out.codes)
    _mark_overflows(out)
    status = out.status.reshape(-1)[:nb]
    iterations = out.iterations.reshape(-1)[:nb]
    mismatch = out.mismatch.reshape(-1)[:nb]
    converged = status == ac.CONVERGED
    if not converged.all():
        _clear_failed(feeder, out, ~converged)
        _warn_unconverged(status, iterations, mismatch, batch)
    return AcPowerFlowResult(
        v=to_public(out.v, batch), vm=to_public(out.vm, batch),
        P=to_public(out.P, batch), Q=to_public(out.Q, batch),
        loss_P=out.loss_P.T.reshape(batch + (feeder.n_line,)), loss_Q=out.loss_Q.T.reshape(batch + (feeder.n_line,)),
        converged=converged.reshape(batch), iterations=iterations.reshape(batch), mismatch=mismatch.reshape(batch),
        feeder=feeder,
    )


def _raise_bad_loads(feeder: Feeder, codes: np.ndarray) -> None:
    n = codes.size // 2
    bad = np.flatnonzero(codes[:n])
    if not bad.size:
        return
    c = bad[np.argmin(codes[n:][bad])]  # the first bus any chunk found
    code, bus = codes[c], codes[n + c]
    if code == 1:
        raise InjectionError(f"bus '{feeder.bus_names[bus]}' has a non-finite load")
    raise InjectionError(f"bus '{feeder.bus_names[bus]}' has a non-zero load on a phase it lacks "
                         f"(it has only '{feeder.phase_string(bus)}')")


def _mark_overflows(out: AcPowerFlowBuffers) -> None:
    """Mark the converged columns whose flows overflowed as collapsed (mismatch inf) in the
    buffers themselves (possible only with loads or capacitors near the float range's limit on
    lines of almost no impedance). In place, because ``status`` is also what tells the next
    ``start="previous"`` which columns to reuse, and an element reported as failed must start
    flat. A non-finite P or Q of a line makes that line's loss non-finite, so the losses
    (n_line, B) are the whole check; a converged voltage is finite by construction."""
    overflow = np.zeros(out.status.size, dtype=bool)  # (n_chunk * bc,): the padding past B has no flows
    overflow[:out.batch_size] = ~(np.isfinite(out.loss_P) & np.isfinite(out.loss_Q)).all(axis=0)
    overflow = overflow.reshape(out.status.shape) & (out.status == ac.CONVERGED)
    out.status[overflow] = ac.COLLAPSED
    out.mismatch[overflow] = np.inf


def _clear_failed(feeder: Feeder, out: AcPowerFlowBuffers, failed: np.ndarray) -> None:
    """Write 0 on the present phases of the ``failed`` columns (B,) of the public arrays
    (absent phases keep NaN): an element without an AC state shows no iterate."""
    bus_fill = np.where(feeder.bus_phases, 0.0, np.nan)[:, None, :]
    line_fill = np.where(feeder.line_phases, 0.0, np.nan)[:, None, :]
    out.v[:, failed] = bus_fill
    out.vm[:, failed] = bus_fill
    out.P[:, failed] = line_fill
    out.Q[:, failed] = line_fill
    out.loss_P[:, failed] = 0.0
    out.loss_Q[:, failed] = 0.0


def _warn_unconverged(status: np.ndarray, iterations: np.ndarray, mismatch: np.ndarray,
                      batch: tuple[int, ...]) -> None:
    bad = np.flatnonzero(status != ac.CONVERGED)
    collapsed = int((status[bad] == ac.COLLAPSED).sum())
    worst = bad[np.argmax(mismatch[bad])]  # a collapse (mismatch inf) first
    where = tuple(int(k) for k in np.unravel_index(worst, batch)) if batch else ()
    how = (f"collapsed at sweep {iterations[worst]}" if status[worst] == ac.COLLAPSED else
           f"mismatch {mismatch[worst]:.3g} p.u. after {iterations[worst]} sweeps")
    warnings.warn(
        f"ac_power_flow: {bad.size} of {status.size} batch elements did not converge "
        f"({collapsed} collapsed: a voltage went to zero, blew up or became non-finite, or a flow overflowed); "
        f"worst: element {where}, {how}. Their present phases hold 0; see result.converged and result.collapsed.",
        RuntimeWarning, stacklevel=3,
    )


def _load_shares(load_model, feeder: Feeder) -> tuple[np.ndarray, bool]:
    """Shares (z_P, i_P, z_Q, i_Q) per bus and phase (n_bus, 3, 4), and whether any is non-zero."""
    if isinstance(load_model, str):
        if load_model not in LOAD_MODELS:
            raise InjectionError(f"load_model {load_model!r} is not one of {sorted(LOAD_MODELS)} or an array of shares")
        load_model = LOAD_MODELS[load_model]
    shares = np.asarray(load_model, dtype=np.float64)
    try:
        shares = np.broadcast_to(shares, (feeder.n_bus, 3, 2, 3))
    except ValueError:
        raise InjectionError(f"load_model has shape {shares.shape}; expected shares (k_z, k_i, k_p) that broadcast "
                             f"to ({feeder.n_bus}, 3, 2, 3) (bus, phase, P/Q, share)") from None
    bad = ~(np.isfinite(shares).all(axis=-1) & (np.abs(shares.sum(axis=-1) - 1.0) <= 1e-9))
    if bad.any():
        j, f, k = np.argwhere(bad)[0]
        raise InjectionError(f"load_model shares of {'PQ'[k]} at bus '{feeder.bus_names[j]}' phase {'abc'[f]} are "
                             f"{shares[j, f, k]}; expected finite (k_z, k_i, k_p) summing to 1")
    packed = np.ascontiguousarray(shares[..., :2].reshape(feeder.n_bus, 3, 4))
    return packed, bool(packed.any())


@dataclass(frozen=True)
class _TreeArrays:
    """Per-feeder arrays of the AC kernels, derived once (the feeder is immutable)."""

    ratio_on: np.ndarray
    inv_ratio_on: np.ndarray
    zr: np.ndarray
    zi: np.ndarray
    absent: np.ndarray
    bsh: np.ndarray
    b_half: np.ndarray
    has_shunt: bool
    constant_power: np.ndarray  # the load shares of constant power: zeros (n_bus, 3, 4)


_TREE_CACHE: "weakref.WeakKeyDictionary[Feeder, _TreeArrays]" = weakref.WeakKeyDictionary()


def _tree_arrays(feeder: Feeder) -> _TreeArrays:
    cached = _TREE_CACHE.get(feeder)
    if cached is not None:
        return cached
    b_half = 0.5 * feeder.b_shunt_pu
    bsh = np.zeros((feeder.n_bus, 3, 3))
    # each line's charging: one half at its receiving bus, the other at its sending bus
    bsh[1:] += b_half
    np.add.at(bsh, feeder.parent[1:], b_half)
    idx = np.arange(3)
    bsh[:, idx, idx] += feeder.cap_q_pu
    on = feeder.bus_phases[1:]
    arrays = _TreeArrays(
        ratio_on=np.where(on, feeder.ratio, 0.0), inv_ratio_on=np.where(on, 1.0 / feeder.ratio, 0.0),
        zr=np.ascontiguousarray(feeder.r_pu), zi=np.ascontiguousarray(feeder.x_pu),
        absent=(~feeder.bus_phases).astype(np.float64),
        bsh=bsh, b_half=np.ascontiguousarray(b_half), has_shunt=bool(bsh.any()),
        constant_power=np.zeros((feeder.n_bus, 3, 4)),
    )
    _TREE_CACHE[feeder] = arrays
    return arrays
