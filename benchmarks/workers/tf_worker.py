"""TensorFlow/Keras 3 (CPU) running the same two Fashion-MNIST models as learnet.

The models, optimizers and the timed ``fit`` are the very code the learnet worker
runs (``learnet_worker.build``, ``timed_fit``, ``run``), handed ``keras`` instead of
``learnet``: this is what the course code looks like with its original imports, so
the two columns differ only in the library underneath. Keras runs on the TensorFlow
backend (``KERAS_BACKEND=tensorflow`` unless set), with ``jit_compile`` left at
Keras' default, and TensorFlow's intra- and inter-op pools set to ``--threads``
(the BLAS/OpenMP variables are set too, as for every worker).

TensorFlow is best installed in its own virtual environment (it pins its own NumPy
and protobuf); ``compare.py --peer-python PATH`` runs this worker with that
interpreter.
"""

from __future__ import annotations

import os
import sys

import common


def tf_info(tf, keras) -> dict:
    return {
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default"),
    }


def main(argv=None) -> int:
    args = common.base_parser(__doc__.splitlines()[0]).parse_args(argv)
    common.apply_threads(args.threads)
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import keras
        import tensorflow as tf
    except ImportError as error:
        common.emit(
            {
                "available": False,
                "framework": "tf",
                "reason": f"TensorFlow/Keras is not installed ({error}); "
                "pip install tensorflow-cpu, or pass --peer-python",
            }
        )
        return 0
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    info = {"framework": "tf", **tf_info(tf, keras)}
    if args.probe:
        common.emit({"available": True, **info})
        return 0
    import learnet_worker

    result = learnet_worker.run(args, keras)
    common.emit(
        {
            "available": True,
            **info,
            "task": args.task,
            "threads": args.threads,
            "hidden": args.hidden,
            "batch_size": args.batch_size,
            **result,
            "blas_runtime": common.blas_runtime(),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
