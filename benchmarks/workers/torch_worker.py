"""PyTorch (CPU build) running the same two Fashion-MNIST models as learnet.

What it measures (one process, one run, one task):

- ``--task mlp``: Dense(512, relu) -> Dense(10, softmax) as ``nn.Linear`` +
  ``ReLU`` + ``nn.Linear``, RMSprop, batch 128;
- ``--task cnn``: the keras.io MNIST convnet -- Conv 32 3x3 relu -> MaxPool 2
  -> Conv 64 3x3 relu -> MaxPool 2 -> Flatten -> Dropout 0.5 -> Dense 10
  softmax -- with images channels-first ``(n, 1, 28, 28)`` as PyTorch's
  convolutions expect, Adam, batch 128.

Both are written the way a PyTorch user writes them (eager mode, default
optimizer implementations, ``CrossEntropyLoss`` on logits, which is the fused
softmax + cross-entropy Keras' ``Dense(10, activation="softmax")`` +
``sparse_categorical_crossentropy`` computes), with Keras' defaults where the
two libraries differ:

- init: glorot-uniform kernels (drawn with NumPy; for the MLP the very same
  weights the NumPy floor starts from) and zero biases;
- ``RMSprop(lr=1e-3, alpha=0.9, eps=1e-7)`` and ``Adam(lr=1e-3, eps=1e-7)``.
  (PyTorch adds eps outside the square root, Keras' RMSprop inside; with
  eps=1e-7 the difference shows only in the smallest steps.)

Each epoch is shuffled with the same NumPy permutation as the NumPy floor's,
and the batch loss and accuracy are accumulated as ``fit`` does. After the
timed epochs: ``predict`` throughput (eval mode, ``inference_mode``, batch
1024, softmax included), test accuracy and loss, and peak RSS. Threads:
``torch.set_num_threads(--threads)`` plus the environment variables.
"""

from __future__ import annotations

import sys

import common


def build_mlp(torch, seed: int, hidden: int):
    w1, b1, w2, b2 = common.mlp_initial_weights(seed, hidden)
    model = torch.nn.Sequential(
        torch.nn.Linear(common.IMAGE_PIXELS, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, common.NUM_CLASSES)
    )
    with torch.no_grad():
        for layer, kernel, bias in ((model[0], w1, b1), (model[2], w2, b2)):
            layer.weight.copy_(torch.from_numpy(kernel.T.copy()))  # (out, in)
            layer.bias.copy_(torch.from_numpy(bias))
    return model


def build_cnn(torch, seed: int):
    import numpy as np

    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.5),
        nn.Linear(64 * 5 * 5, common.NUM_CLASSES),
    )
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for layer in model:
            if isinstance(layer, (nn.Conv2d, nn.Linear)):
                receptive = layer.weight[0, 0].numel() if layer.weight.dim() == 4 else 1
                fan_out, fan_in = layer.weight.shape[0], layer.weight.shape[1]
                kernel = common.glorot_uniform(rng, fan_in * receptive, fan_out * receptive, tuple(layer.weight.shape))
                layer.weight.copy_(torch.from_numpy(kernel))
                layer.bias.zero_()
    return model


def run(args, torch) -> dict:
    import numpy as np

    (x_train, y_train), (x_test, y_test) = common.load_fashion_mnist(args.train_limit, args.test_limit)
    memory = common.after_load()
    torch.manual_seed(args.seed)  # dropout masks

    image_shape = (-1, common.IMAGE_PIXELS) if args.task == "mlp" else (-1, 1, 28, 28)
    x_all = torch.from_numpy(x_train).view(image_shape)  # views: no copy
    y_all = torch.from_numpy(y_train)
    if args.task == "mlp":
        model = build_mlp(torch, args.seed, args.hidden)
        optimizer = torch.optim.RMSprop(
            model.parameters(),
            lr=common.RMSPROP["learning_rate"],
            alpha=common.RMSPROP["rho"],
            eps=common.RMSPROP["epsilon"],
        )
    else:
        model = build_cnn(torch, args.seed)
        optimizer = torch.optim.Adam(
            model.parameters(),
            lr=common.ADAM["learning_rate"],
            betas=(common.ADAM["beta_1"], common.ADAM["beta_2"]),
            eps=common.ADAM["epsilon"],
        )
    loss_fn = torch.nn.CrossEntropyLoss()

    def train_step(index):
        index = torch.from_numpy(index)
        x, y = x_all.index_select(0, index), y_all.index_select(0, index)
        logits = model(x)
        loss = loss_fn(logits, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.item() * len(index), int((logits.argmax(dim=1) == y).sum())

    model.train()
    training = common.train_epochs(
        train_step,
        len(x_train),
        args.batch_size,
        args.epochs,
        args.warmup_steps if args.epochs else 0,
        args.seed,
        framework="torch",
    )
    train_peak = common.memory_snapshot()["peak_rss_mib"]

    model.eval()

    def predict(x):
        out = np.empty((len(x), common.NUM_CLASSES), np.float32)
        with torch.inference_mode():
            for start in range(0, len(x), args.predict_batch):
                batch = torch.from_numpy(x[start : start + args.predict_batch]).view(image_shape)
                out[start : start + len(batch)] = torch.softmax(model(batch), dim=1).numpy()
        return out

    timing = common.time_predict(predict, x_test, args.predict_repeats, framework="torch")
    probabilities = timing.pop("probabilities")
    result = {
        **training,
        "test_loss": common.crossentropy(probabilities, y_test),
        "test_accuracy": common.accuracy(probabilities, y_test),
        **timing,
        **memory,
        "train_peak_rss_mib": train_peak,
        "peak_rss_mib": common.memory_snapshot()["peak_rss_mib"],
        "train_images": len(x_train),
    }
    if args.task == "mlp":
        result["flops_per_epoch"] = common.mlp_flops_per_sample(args.hidden) * len(x_train)
    return common.with_predict_gauge(result)


def torch_info(torch) -> dict:
    import re

    config = torch.__config__.show()
    fields = {
        key.lower(): value.strip()
        for key, value in re.findall(r"\b(BLAS_INFO|LAPACK_INFO|USE_MKLDNN|USE_OPENMP)=([^,\n]*)", config)
    }
    capability = re.search(r"CPU capability usage: (\S+)", config)
    if capability:
        fields["cpu_capability"] = capability.group(1)
    return {"torch": torch.__version__, "num_threads": torch.get_num_threads(), **fields}


def main(argv=None) -> int:
    args = common.base_parser(__doc__.splitlines()[0]).parse_args(argv)
    common.apply_threads(args.threads)
    try:
        import torch
    except ImportError as error:
        common.emit(
            {
                "available": False,
                "framework": "torch",
                "reason": f"PyTorch is not installed ({error}); pip install torch (CPU build)",
            }
        )
        return 0
    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(args.threads)
    except RuntimeError:  # already fixed by an earlier parallel call
        pass
    if args.probe:
        common.emit({"available": True, "framework": "torch", **torch_info(torch)})
        return 0
    result = run(args, torch)
    common.emit(
        {
            "available": True,
            "framework": "torch",
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
