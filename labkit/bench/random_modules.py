"""Real-size TF Hub-format feature-vector modules with random weights, for the benchmarks.

The homework's modules (MobileNetV2 1.0 224, Inception V3) cannot be downloaded everywhere, and
labkit's offline backbone is far smaller, so a benchmark run on it says little about the cost
the real network has. The modules themselves are built by :mod:`labkit.realsize.modules`; this
wraps one as a resolved hub module and announces it.
"""

from __future__ import annotations

from labkit import hub, provenance
from labkit.provenance import Source
from labkit.realsize.modules import ARCHITECTURES, build, module_dir

__all__ = ["ARCHITECTURES", "ensure", "module_dir"]


def ensure(name: str = "mobilenet_v2_100_224"):
    """The random-weight real-size module ``name`` as a resolved hub module (built on first use)."""
    target = build(name)
    _, size, dim = ARCHITECTURES[name]
    spec = hub.ModuleSpec(f"{name}_random", str(target), "feature_vector", size, dim)
    source = Source("offline", f"random-weight {name} ({dim}-d features, {size} px): {target}")
    provenance.announce(f"bench module {name}", source)
    return hub.ResolvedModule(str(target), source, spec)
