"""Named parameter sets for every notebook: ``quick`` (CI, minutes on a laptop CPU) and
``full`` (the homework's real settings). This is the single source of truth: the runner
injects these values into each notebook's ``parameters`` cell, and a test checks that every
notebook's own defaults equal its ``quick`` profile.
"""

from __future__ import annotations

PROFILE_NAMES = ("quick", "full")

PROFILES: dict[str, dict[str, dict]] = {
    "01_mnist_quickstart": {
        "quick": {"DATASET": "mnist", "EPOCHS": 5, "TRAIN_LIMIT": 12000, "BATCH_SIZE": 32, "SEED": 0},
        "full": {"DATASET": "mnist", "EPOCHS": 5, "TRAIN_LIMIT": 0, "BATCH_SIZE": 32, "SEED": 0},
    },
    "02_transfer_learning_hub": {
        "quick": {
            "FEATURE_MODULE": "mobilenet_v2_100_224",
            "CLASSIFIER_MODULE": "mobilenet_v2_100_224_classifier",
            "BACKBONE_BUILD": "quick",
            "IMAGE_SIZE": 64,
            "IMAGES_PER_CLASS": 80,
            "BATCH_CHOICES": [4, 16, 64],
            "EPOCHS": 5,
            "SEED": 123,
        },
        "full": {
            "FEATURE_MODULE": "mobilenet_v2_100_224",
            "CLASSIFIER_MODULE": "mobilenet_v2_100_224_classifier",
            "BACKBONE_BUILD": "full",
            "IMAGE_SIZE": 224,
            "IMAGES_PER_CLASS": 0,
            "BATCH_CHOICES": [8, 32, 128],
            "EPOCHS": 10,
            "SEED": 123,
        },
    },
    "03_make_image_classifier": {
        "quick": {
            "MODULE": "https://tfhub.dev/google/tf2-preview/mobilenet_v2/feature_vector/4",
            "OTHER_MODULE": "https://tfhub.dev/google/imagenet/inception_v3/feature_vector/5",
            "IMAGE_SIZE": 224,
            "IMAGES_PER_CLASS": 40,
            "EPOCHS": 10,
            "BATCH_SIZE": 10,
            "BATCH_SIZES": [32, 4],
            "BATCH_EPOCHS": 2,
            "OWN_IMAGES_DIR": "",
            "OWN_IMAGES_PER_CLASS": 30,
            "OWN_COUNTS": [2, 6, 24],
            "SEED": 0,
        },
        "full": {
            "MODULE": "https://tfhub.dev/google/tf2-preview/mobilenet_v2/feature_vector/4",
            "OTHER_MODULE": "https://tfhub.dev/google/imagenet/inception_v3/feature_vector/5",
            "IMAGE_SIZE": 224,
            "IMAGES_PER_CLASS": 0,
            "EPOCHS": 50,
            "BATCH_SIZE": 10,
            "BATCH_SIZES": [32, 4],
            "BATCH_EPOCHS": 3,
            "OWN_IMAGES_DIR": "",
            "OWN_IMAGES_PER_CLASS": 100,
            "OWN_COUNTS": [2, 5, 20, 50, 80],
            "SEED": 0,
        },
    },
    "06_object_detection": {
        "quick": {
            "IMAGE_SIZE": 64,
            "TRAIN_IMAGES": 400,
            "TEST_IMAGES": 40,
            "EPOCHS": 40,
            "HEAD_EPOCHS": 6,
            "THRESHOLD": 0.4,
            "IMAGES_DIR": "",
            "FAST_MODEL": "",
            "SLOW_MODEL": "",
            "SEED": 0,
        },
        "full": {
            "IMAGE_SIZE": 64,
            "TRAIN_IMAGES": 2000,
            "TEST_IMAGES": 200,
            "EPOCHS": 40,
            "HEAD_EPOCHS": 15,
            "THRESHOLD": 0.5,
            "IMAGES_DIR": "",
            "FAST_MODEL": "",
            "SLOW_MODEL": "",
            "SEED": 0,
        },
    },
    "04_retrain_tf1": {
        "quick": {
            "ARCHITECTURE": "mobilenet_0.25_128",
            "IMAGES_PER_CLASS": 30,
            "IMAGE_BASE_SIZE": 64,
            "STEPS": 150,
            "LEARNING_RATES": [0.005, 0.01, 1.0],
            "OWN_IMAGES_DIR": "",
            "OWN_IMAGES_PER_CLASS": 30,
            "OWN_COUNTS": [5, 12, 30],
            "INCEPTION_IMAGES_PER_CLASS": 6,
            "INCEPTION_STEPS": 30,
            "INCEPTION_TEST_PERCENT": 30,
            "WORKDIR": "",
            "SEED": 0,
        },
        "full": {
            "ARCHITECTURE": "mobilenet_0.50_224",
            "IMAGES_PER_CLASS": 0,
            "IMAGE_BASE_SIZE": 240,
            "STEPS": 4000,
            "LEARNING_RATES": [0.005, 0.01, 1.0],
            "OWN_IMAGES_DIR": "",
            "OWN_IMAGES_PER_CLASS": 100,
            "OWN_COUNTS": [5, 20, 50, 100],
            "INCEPTION_IMAGES_PER_CLASS": 0,
            "INCEPTION_STEPS": 4000,
            "INCEPTION_TEST_PERCENT": 10,
            "WORKDIR": "",
            "SEED": 0,
        },
    },
    "05_cpu_vs_gpu": {
        "quick": {
            "ARCHITECTURES": ["mobilenet_0.25_128", "inception_v3"],
            "IMAGES_PER_CLASS": 6,
            "IMAGE_BASE_SIZE": 64,
            "STEPS": 100,
            "WORKDIR": "",
            "SEED": 0,
        },
        "full": {
            "ARCHITECTURES": ["mobilenet_0.50_224", "inception_v3"],
            "IMAGES_PER_CLASS": 0,
            "IMAGE_BASE_SIZE": 240,
            "STEPS": 4000,
            "WORKDIR": "",
            "SEED": 0,
        },
    },
    "07_concepts": {
        "quick": {
            "MOBILENET_SIZE": 224,
            "LATENCY_REPEATS": 9,
            "FEATURE_MODULE": "mobilenet_v2_100_224",
            "IMAGE_SIZE": 64,
            "IMAGES_PER_CLASS": 40,
            "SEED": 0,
        },
        "full": {
            "MOBILENET_SIZE": 224,
            "LATENCY_REPEATS": 20,
            "FEATURE_MODULE": "mobilenet_v2_100_224",
            "IMAGE_SIZE": 224,
            "IMAGES_PER_CLASS": 0,
            "SEED": 0,
        },
    },
}

# The real-size dry run (``labkit run --profile full --real-size``): the ``full`` parameters with
# training LENGTH capped (data counts, image sizes and architectures stay real, so memory and the
# cost per step are real). The full-length time is extrapolated from these caps
# (:mod:`labkit.realsize.estimate`); a notebook not listed runs uncapped.
REAL_SIZE_CAPS: dict[str, dict[str, object]] = {
    "02_transfer_learning_hub": {"EPOCHS": 1},
    "03_make_image_classifier": {"EPOCHS": 5, "BATCH_EPOCHS": 1},
    "04_retrain_tf1": {"STEPS": 500, "INCEPTION_STEPS": 500},
    "05_cpu_vs_gpu": {"STEPS": 500},
    "06_object_detection": {"EPOCHS": 10, "HEAD_EPOCHS": 5},
}


def notebook_key(name: str) -> str:
    """``notebooks/01_mnist_quickstart.ipynb`` -> ``01_mnist_quickstart``."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return base[: -len(".ipynb")] if base.endswith(".ipynb") else base


def get(notebook: str, profile: str) -> dict:
    """The parameters of ``notebook`` in ``profile`` (empty for notebooks without a profile)."""
    if profile not in PROFILE_NAMES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILE_NAMES)}")
    return dict(PROFILES.get(notebook_key(notebook), {}).get(profile, {}))


def real_size(notebook: str) -> dict:
    """The parameters of ``notebook`` in a real-size dry run: ``full`` with its caps applied."""
    return {**get(notebook, "full"), **REAL_SIZE_CAPS.get(notebook_key(notebook), {})}


def real_size_caps(notebook: str) -> dict:
    """``{name: [full value, capped value]}`` for the caps of ``notebook`` (empty when uncapped)."""
    full = get(notebook, "full")
    return {k: [full[k], v] for k, v in REAL_SIZE_CAPS.get(notebook_key(notebook), {}).items()}
