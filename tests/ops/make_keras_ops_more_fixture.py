"""Write fixtures/keras_ops_more_reference.npz: what real Keras 3 returns for keras_ops_more_cases.CASES.

Run with Keras 3 and JAX installed (not needed for the tests):

    KERAS_BACKEND=jax python tests/ops/make_keras_ops_more_fixture.py
"""

import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from keras_ops_more_cases import CASES, resolve  # noqa: E402


def flatten(result):
    if isinstance(result, (tuple, list)):
        return [leaf for item in result for leaf in flatten(item)]
    return [np.asarray(keras.ops.convert_to_numpy(result))]


def main():
    arrays = {"keras_version": np.array(keras.__version__)}
    for case_id, name, args, kwargs in CASES:
        result = getattr(keras.ops, name)(*resolve(args, keras.ops), **kwargs)
        for i, value in enumerate(flatten(result)):
            arrays[f"{case_id}/{i}"] = value
    out = Path(__file__).resolve().parent / "fixtures" / "keras_ops_more_reference.npz"
    np.savez_compressed(out, **arrays)
    print(f"{len(CASES)} cases from Keras {keras.__version__} -> {out}")


if __name__ == "__main__":
    main()
