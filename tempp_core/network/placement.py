"""Where each participant connects, and the linear map from transactions (kW) to net loads (p.u.).

Placement is TEMO-side knowledge: the market never sees it. This is also where market units
(kW) become network units (p.u.): the map divides by the feeder's per-phase power base, once,
and its transpose brings gradients back.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from ..errors import CaseError, FeederError
from ..messages import TransactionLayout
from ..units import kw_to_pu
from .feeder import Feeder
from .feeder.phases import parse_phases, phase_string


@dataclass(frozen=True)
class Placement:
    """Where one participant connects.

    Parameters
    ----------
    name : str
        The DER's or customer's name in the market's layout.
    bus : str
        Bus name on the feeder.
    phases : str
        Phase letters ('a', 'bc', 'abc').
    shares : tuple of float, optional
        Share of the participant's power on each of its phases (sums to 1); equal split
        when omitted.
    """

    name: str
    bus: str
    phases: str
    shares: tuple[float, ...] | None = None

    def share_vector(self) -> np.ndarray:
        """Share on phases a, b, c, shape (3,)."""
        mask = _phases(self)
        out = np.zeros(3)
        if self.shares is None:
            out[mask] = 1.0 / mask.sum()
            return out
        try:
            shares = np.asarray(self.shares, dtype=np.float64)
        except (TypeError, ValueError):
            shares = np.full(0, np.nan)
        if shares.shape != (mask.sum(),) or not np.isfinite(shares).all() or (shares < 0).any() \
                or not np.isclose(shares.sum(), 1.0):
            raise CaseError(
                f"participant '{self.name}' has shares {self.shares} on phases '{self.phases}';"
                f" expected {mask.sum()} non-negative numbers summing to 1"
            )
        out[mask] = shares
        return out


@dataclass(frozen=True, eq=False)
class InjectionMap:
    """Linear map x (kW, transaction layout) -> net load (p, q) p.u. per bus and phase.

    Attributes
    ----------
    Gp, Gq : scipy.sparse.csr_matrix (n_bus * 3, n_der + 1 + n_customer)
        ``p[(bus, phase), t] = Gp @ X[:, t]`` with ``X = x.reshape(-1, T)`` (the transaction
        layout is participant-major). DER columns carry ``-share / S_base`` (injection),
        customer columns ``+share / S_base`` (and ``tan_phi`` times that in Gq); the MG
        column is zero (the MG supplies the balance at the swing bus).
    """

    layout: TransactionLayout
    n_bus: int
    Gp: sp.csr_matrix
    Gq: sp.csr_matrix

    @classmethod
    def build(cls, feeder: Feeder, layout: TransactionLayout, placement: Sequence[Placement],
              customer_tan_phi: np.ndarray | None = None) -> "InjectionMap":
        """Check placement against the feeder and build the map.

        Parameters
        ----------
        feeder : Feeder
        layout : TransactionLayout
        placement : sequence of Placement
            One per DER and customer of the layout (any order).
        customer_tan_phi : ndarray (n_customer,), optional
            Reactive-to-active ratio tan(phi) of each customer's load (q = p tan(phi)), in
            layout order; zero when omitted. DERs inject active power only.

        Raises
        ------
        CaseError
            A participant placed twice or not at all, a placement naming no participant, an
            unknown bus, phases its bus lacks, a DER or customer at the swing bus.
        """
        by_name: dict[str, Placement] = {}
        for place in placement:
            if place.name in by_name:
                raise CaseError(f"participant '{place.name}' is placed twice (buses '{by_name[place.name].bus}' "
                                f"and '{place.bus}'); expected one placement per participant")
            by_name[place.name] = place
        names = list(layout.der_names) + list(layout.customer_names)
        missing = [n for n in names if n not in by_name]
        if missing:
            raise CaseError(f"participant(s) {missing[:5]} have no placement (bus and phases)")
        extra = sorted(set(by_name) - set(names))
        if extra:
            raise CaseError(f"placement(s) {extra[:5]} name no participant of the market")
        conns = [by_name[n] for n in names]
        try:
            buses = feeder.bus_index([c.bus for c in conns])
        except KeyError as exc:
            bad = next(c for c in conns if c.bus not in feeder.bus_names)
            hint = f" (bus names are text: '{bad.bus}')" if not isinstance(bad.bus, str) and str(bad.bus) in \
                feeder.bus_names else ""
            raise CaseError(f"participant '{bad.name}' is placed at bus {bad.bus!r}, which is not on the feeder"
                            f"{hint}") from exc
        shares = _share_matrix(conns)
        lacks = np.flatnonzero(((shares > 0) & ~feeder.bus_phases[buses]).any(axis=1))
        if lacks.size:
            c = conns[lacks[0]]
            raise CaseError(
                f"participant '{c.name}' is placed on phases '{c.phases}' of bus '{c.bus}', which has only "
                f"'{phase_string(feeder.bus_phases[buses[lacks[0]]])}'"
            )
        at_swing = np.flatnonzero(buses == 0)
        if at_swing.size:
            c = conns[at_swing[0]]
            raise CaseError(
                f"participant '{c.name}' is placed at the swing bus '{c.bus}', where only the main grid connects"
            )
        nd = layout.n_der
        sign = np.concatenate([-np.ones(nd), np.ones(layout.n_customer)])
        tan_phi = np.zeros(len(conns))
        if customer_tan_phi is not None:
            tan_phi[nd:] = np.asarray(customer_tan_phi, dtype=np.float64)
        column = np.concatenate([np.arange(nd), np.arange(layout.n_customer) + nd + 1])
        k, ph = np.nonzero(shares)
        rows = buses[k] * 3 + ph
        cols = column[k]
        vals = kw_to_pu(sign[k] * shares[k, ph], feeder.s_base_kva)  # per kW of transaction
        shape = (feeder.n_bus * 3, nd + 1 + layout.n_customer)
        Gp = sp.csr_matrix((vals, (rows, cols)), shape=shape)
        Gq = sp.csr_matrix((vals * tan_phi[k], (rows, cols)), shape=shape)
        Gq.eliminate_zeros()
        return cls(layout, feeder.n_bus, Gp, Gq)

    def net_load(self, x_kw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Net load (p, q) p.u. in the kernels' bus-major layout (n_bus, S*T, 3).

        ``x_kw`` is one transaction vector (S = 1) or a stack of S of them, (S, layout.size);
        column ``s*T + t`` of the result is scenario s, period t.
        """
        T = self.layout.n_periods
        X = np.atleast_2d(np.asarray(x_kw, dtype=np.float64))
        S = X.shape[0]
        # (S, participants, T) -> (participants, S*T): one sparse product for every scenario
        X = X.reshape(S, -1, T).transpose(1, 0, 2).reshape(-1, S * T)
        p = (self.Gp @ X).reshape(self.n_bus, 3, S * T).transpose(0, 2, 1)
        q = (self.Gq @ X).reshape(self.n_bus, 3, S * T).transpose(0, 2, 1)
        return np.ascontiguousarray(p), np.ascontiguousarray(q)

    def gradient(self, g_p: np.ndarray, g_q: np.ndarray) -> np.ndarray:
        """Bring gradients w.r.t. net load (bus-major (n_bus, B, 3), per p.u.) back to the
        transaction variables: returns (n_der + 1 + n_customer, B), per kW."""
        B = g_p.shape[1]
        gp = np.ascontiguousarray(g_p.transpose(0, 2, 1)).reshape(self.n_bus * 3, B)
        gq = np.ascontiguousarray(g_q.transpose(0, 2, 1)).reshape(self.n_bus * 3, B)
        return self.Gp.T @ gp + self.Gq.T @ gq


def _phases(place: Placement) -> np.ndarray:
    """The phase mask of a placement; a CaseError (the case's data, not the feeder's) if unreadable."""
    try:
        return parse_phases(place.phases, f"participant '{place.name}'")
    except FeederError as exc:
        raise CaseError(str(exc)) from None


def _share_matrix(conns: Sequence[Placement]) -> np.ndarray:
    """Shares on phases a, b, c of every placement, (n, 3): phase strings are parsed once
    each, equal splits vectorized; explicit shares go through :meth:`Placement.share_vector`."""
    first_user = {}
    for c in conns:
        first_user.setdefault(c.phases, c.name)
    masks = {ph: _phases(Placement(name, "", ph)) for ph, name in first_user.items()}
    out = np.array([masks[c.phases] if c.shares is None else np.zeros(3) for c in conns], dtype=np.float64)
    out = out / np.maximum(out.sum(axis=1, keepdims=True), 1.0)
    for k, c in enumerate(conns):
        if c.shares is not None:
            out[k] = c.share_vector()
    return out.reshape(len(conns), 3)
