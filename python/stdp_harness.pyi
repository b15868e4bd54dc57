"""Type stubs of the extension module `stdp_harness` (see docs/python.md)."""
import os
from typing import Any, Literal, Mapping

import numpy as np
import numpy.typing as npt

__version__: str

_Path = str | os.PathLike[str]
_F32 = npt.NDArray[np.float32]
_Compartment = Literal["in", "out", "x_pre", "x_post"]

class ExpStdpSynapse:
    """The seed's exponential weight-dependent STDP synapse (ngclearn's older
    ExpSTDPSynapse): float32 arrays (batch, units), weights (n_in, n_out)."""

    def __init__(
        self,
        name: str,
        shape: tuple[int, int],
        *,
        w_bound: float = 1.0,
        eta: float = 5e-5,
        x_tar: float = 0.7,
        exp_beta: float = 1.0,
        a_plus: float | None = None,
        a_minus: float | None = None,
        w_norm: float | None = None,
        seed: int = 0,
        init_range: tuple[float, float] = (0.025, 0.8),
        weights: _F32 | None = None,
        Aplus: float | None = None,
        Aminus: float | None = None,
    ) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def shape(self) -> tuple[int, int]: ...
    @property
    def params(self) -> dict[str, float | None]: ...
    @property
    def weights(self) -> _F32:
        """A read-only view of the component's weights (no copy)."""
    @weights.setter
    def weights(self, value: _F32) -> None: ...
    def set(self, compartment_name: _Compartment, value: _F32) -> None: ...
    def get(self, compartment_name: _Compartment) -> _F32 | None: ...
    def advance_state(self, inputs: _F32 | None = None) -> _F32: ...
    def evolve(self, x_pre: _F32 | None = None, x_post: _F32 | None = None) -> str: ...
    def reset(self) -> None: ...
    def save(self, directory: _Path) -> os.PathLike[str]: ...
    def load(self, directory: _Path) -> None: ...

def diehl_cook(
    config: _Path | Mapping[str, Any],
    out: _Path | None = None,
    threads: int | None = None,
    *,
    mnist: _Path | None = None,
    force: bool = False,
    quiet: bool = False,
    **overrides: Any,
) -> dict[str, Any]: ...
def grid(
    grid_file: _Path,
    out: _Path | None = None,
    threads: int | None = None,
    *,
    shard: str | None = None,
    mnist: _Path | None = None,
    retry_failed: bool = False,
    quiet: bool = False,
) -> dict[str, Any]: ...
def read_run(run_dir: _Path) -> dict[str, Any]: ...
def evaluate(
    run_dir: _Path,
    images: npt.NDArray[np.uint8] | npt.NDArray[np.floating[Any]],
    labels: npt.ArrayLike | None = None,
    *,
    repeats: int = 1,
    threads: int | None = None,
    quiet: bool = True,
) -> dict[str, Any]: ...
