"""The floors of the house (docs/ARCHITECTURE.md), and a reader of the imports in a source file.

A module imports only modules on its own floor or below: that is what keeps every
floor readable and testable without the ones above it.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "learnet"

FLOORS = {
    1: ["backend", "tree", "registry", "warn", "version", "not_yet", "weight_budget", "errors"],
    2: ["tensor", "tape"],
    3: [
        "ops",
        "math",
        "nn",
        "linalg",
        "random",
        "candidate_sampling",
        "testing",
        "distribute",
        "ragged",
        "sparse",
        "extension_type",
        "scatter",
        "strings",
        "containers",
        "control",
        "function_type",
        "einops_backend",
        "tensor_proto",
        "compat",
        "device_config",
        "test",
        "module",
        "debugging",
        "func_graph",
        "saved_function",
        "random_generator",
        "stateless_random",
        "signal",
        "audio",
        "complex_math",
        "ctc",
    ],
    4: [
        "layers",
        "activations",
        "initializers",
        "losses",
        "metrics",
        "confusion_metrics",
        "optimizers",
        "mixed_precision",
        "regularizers",
        "constraints",
        "schedules",
        "batching",
        "data",
        "csv_datasets",
        "keras_ops",
        "keras_ops_image",
        "experimental_numpy",
        "experimental",
        "keras_backend",
        "keras_config",
        "image",
        "image_quality",
        "image_sampling",
        "image_boxes",
        "io",
        "gfile",
        "py_dataset",
        "summary",
        "tfrecord",
        "train_example",
        "example_parsing",
        "feature_column",
        "lookup",
        "quantizers",
        "profiler",
        "proto_codec",
    ],
    5: [
        "models",
        "callbacks",
        "saving",
        "keras_files",
        "train",
        "checkpoint_graph",
        "saved_model",
        "saved_objects",
        "object_serialization",
        "onnx",
        "lite",
    ],
    6: [
        "datasets",
        "utils",
        "dataset_utils",
        "audio_dataset",
        "feature_space",
        "plot",
        "examples",
        "preprocessing",
        "applications",
    ],
    7: ["cli", "game", "__main__"],
}
FLOOR_NAMES = {1: "backend", 2: "autodiff", 3: "ops", 4: "blocks", 5: "models", 6: "around", 7: "apps"}
_FLOOR_OF = {name: floor for floor, names in FLOORS.items() for name in names}


def floor_of(module):
    """The floor of ``learnet.<first>...`` (``None`` for the package's front door and unknown names)."""
    parts = module.split(".")
    if parts[0] != "learnet" or len(parts) < 2:
        return None
    return _FLOOR_OF.get(parts[1])


def module_name(path, package=PACKAGE):
    relative = Path(path).relative_to(package.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imported_modules(source, module, is_package=False):
    """``[(line, imported module)]`` for every learnet import in ``source``, at any depth
    (imports inside functions count: they are how circles hide)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # `from learnet import layers` imports the module learnet.layers.
            found += [
                (node.lineno, f"{target}.{alias.name}")
                for alias in node.names
                if target == "learnet" and floor_of(f"learnet.{alias.name}") is not None
            ]
    return [(line, name) for line, name in found if name.startswith("learnet.") or name == "learnet"]


def wrong_floor_imports(path, package=PACKAGE, source=None):
    """The imports of one file that reach a higher floor, as readable lines."""
    path = Path(path)
    module = module_name(path, package)
    own = floor_of(module)
    if own is None:
        return []
    source = path.read_text() if source is None else source
    problems = []
    for line, name in imported_modules(source, module, path.name == "__init__.py"):
        other = floor_of(name)
        if other is not None and other > own:
            problems.append(
                f"{path.relative_to(package.parent)}:{line}: {module} (floor {own}, {FLOOR_NAMES[own]}) "
                f"imports {name} (floor {other}, {FLOOR_NAMES[other]})"
            )
    return problems


def source_files(package=PACKAGE):
    return sorted(p for p in package.rglob("*.py"))
