"""The one registry of base-model facts for ``labkit retrain`` (as in the original ``retrain.py``).

``parse("mobilenet_0.50_224")`` returns an :class:`Architecture` with the input size, input and
bottleneck tensor names, bottleneck size, input mean/std and the pretrained archive to use.
Plain facts without TensorFlow, imported by :mod:`labkit.retrain` (which trains on them) and by
:mod:`labkit.assets` (which downloads the archives) — so the asset layer needs nothing from retrain.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from labkit.errors import LabkitError

MOBILENET_VERSIONS = ("1.0", "0.75", "0.50", "0.25")
MOBILENET_SIZES = ("224", "192", "160", "128")
DOWNLOAD_BASE = "http://download.tensorflow.org/models/"
INCEPTION_URL = DOWNLOAD_BASE + "image/imagenet/inception-2015-12-05.tgz"


@dataclass(frozen=True)
class Architecture:
    """Everything ``retrain``/``label-image`` need to know about one base model."""

    name: str  # lower-cased architecture string, e.g. "mobilenet_0.25_128"
    family: str  # "inception_v3" or "mobilenet_v1"
    input_size: int  # square input side S (S×S×3)
    input_tensor: str  # "Mul:0" / "input:0"
    bottleneck_tensor: str  # "pool_3/_reshape:0" / "MobilenetV1/Predictions/Reshape:0"
    bottleneck_size: int  # 2048 / 1001
    input_mean: float
    input_std: float
    data_url: str  # where the original pretrained archive is downloaded from
    model_file: str  # path of the frozen graph inside --model_dir after extraction
    alpha: float | None = None
    quantized: bool = False
    input_depth: int = 3

    @property
    def archive_name(self) -> str:
        """File name of the pretrained archive looked for in ``--model_dir``."""
        return self.data_url.rsplit("/", 1)[-1]

    @property
    def input_layer(self) -> str:
        """The input op name to pass to ``label-image --input_layer``."""
        return self.input_tensor.split(":")[0]

    @property
    def base_key(self) -> str:
        """Name of the float base network (quantized and float share one offline graph)."""
        if self.family == "inception_v3":
            return "inception_v3"
        return f"mobilenet_v1_{self.name.split('_')[1]}_{self.input_size}"


def valid_names(include_quantized: bool = True) -> list[str]:
    """Every architecture string ``--architecture`` accepts."""
    names = ["inception_v3"]
    for v in MOBILENET_VERSIONS:
        for s in MOBILENET_SIZES:
            names.append(f"mobilenet_{v}_{s}")
            if include_quantized:
                names.append(f"mobilenet_{v}_{s}_quantized")
    return names


def _bad(name: str, why: str) -> LabkitError:
    return LabkitError(
        f"--architecture={name!r}: {why}. Valid values are 'inception_v3' and "
        f"'mobilenet_<{'|'.join(MOBILENET_VERSIONS)}>_<{'|'.join(MOBILENET_SIZES)}>[_quantized]', "
        "e.g. mobilenet_0.50_224, mobilenet_1.0_224, mobilenet_0.25_128_quantized."
    )


def parse(architecture: str) -> Architecture:
    """Parse an ``--architecture`` string (case-insensitive) into an :class:`Architecture`."""
    name = str(architecture).lower()
    if name == "inception_v3":
        return Architecture(
            name=name,
            family="inception_v3",
            input_size=299,
            input_tensor="Mul:0",
            bottleneck_tensor="pool_3/_reshape:0",
            bottleneck_size=2048,
            input_mean=128.0,
            input_std=128.0,
            data_url=INCEPTION_URL,
            model_file="classify_image_graph_def.pb",
        )
    if not name.startswith("mobilenet_"):
        raise _bad(architecture, "unknown architecture")
    parts = name.split("_")
    if len(parts) not in (3, 4):
        raise _bad(architecture, "a MobileNet name has the form mobilenet_<version>_<size>[_quantized]")
    version, size = parts[1], parts[2]
    if version not in MOBILENET_VERSIONS:
        raise _bad(architecture, f"MobileNet version must be one of {', '.join(MOBILENET_VERSIONS)}, not {version!r}")
    if size not in MOBILENET_SIZES:
        raise _bad(architecture, f"MobileNet input size must be one of {', '.join(MOBILENET_SIZES)}, not {size!r}")
    if len(parts) == 4 and parts[3] != "quantized":
        raise _bad(architecture, f"unknown suffix {parts[3]!r} (only '_quantized' is allowed)")
    quantized = len(parts) == 4
    folder = f"mobilenet_v1_{version}_{size}"
    return Architecture(
        name=name,
        family="mobilenet_v1",
        input_size=int(size),
        input_tensor="input:0",
        bottleneck_tensor="MobilenetV1/Predictions/Reshape:0",
        bottleneck_size=1001,
        input_mean=127.5,
        input_std=127.5,
        data_url=f"{DOWNLOAD_BASE}mobilenet_v1_{version}_{size}_frozen.tgz",
        model_file=os.path.join(folder, "quantized_graph.pb" if quantized else "frozen_graph.pb"),
        alpha=float(version),
        quantized=quantized,
    )
