"""The floor: the MLP training step written by hand in NumPy, no framework.

What it measures (one process, one run): the same Fashion-MNIST MLP as the
other workers -- Dense(512, relu) -> Dense(10, softmax), RMSprop, batch 128,
sparse categorical cross-entropy, shuffled every epoch, batch loss and
accuracy tracked like Keras' ``fit`` does -- with nothing between Python and
NumPy/BLAS. learnet's MLP epoch is compared against this to give its
framework overhead in percent.

How it is kept fast (it should be a floor that is hard to beat with NumPy):

- everything is float32 and every buffer (batch, activations, gradients,
  optimizer scratch) is allocated once; each step writes into them with
  ``out=`` arguments, so a step allocates only a few tiny temporaries;
- softmax and cross-entropy are fused: the gradient with respect to the logits
  is ``(p - onehot(y)) / n``, computed in place in the probability buffer;
- the five matrix products go to BLAS directly (transposes are views, BLAS
  reads them with its transpose flag);
- RMSprop runs in place in eight elementwise passes per weight. Its state is
  kept divided by ``(1 - rho)`` so the ``(1 - rho) * g**2`` product needs no
  pass of its own; the step is algebraically identical to Keras' RMSprop:
  ``v = rho*v + (1-rho)*g**2; w -= lr * g / sqrt(v + eps)``.

The same worker reports predict throughput (forward + softmax at batch 1024)
and test accuracy, and its ``--probe`` prints NumPy's BLAS configuration.
"""

from __future__ import annotations

import sys

import common


class NumpyMLP:
    """Dense(hidden, relu) -> Dense(10, softmax) trained with RMSprop, by hand."""

    def __init__(self, weights, batch_size: int, rmsprop: dict):
        import numpy as np

        self.np = np
        self.params = [np.ascontiguousarray(p) for p in weights]  # W1, b1, W2, b2
        self.grads = [np.empty_like(p) for p in self.params]
        self.scratch = [np.empty_like(p) for p in self.params]
        self.velocity = [np.zeros_like(p) for p in self.params]  # v / (1 - rho)

        rho, lr, eps = rmsprop["rho"], rmsprop["learning_rate"], rmsprop["epsilon"]
        scale = 1.0 - rho
        self.rho = np.float32(rho)
        # sqrt(v + eps) = sqrt(scale) * sqrt(v/scale + eps/scale)
        self.step_size = np.float32(lr / np.sqrt(scale))
        self.eps = np.float32(eps / scale)

        inputs, hidden = self.params[0].shape
        classes = self.params[2].shape[1]
        f32 = np.float32
        self.x = np.empty((batch_size, inputs), f32)
        self.h = np.empty((batch_size, hidden), f32)
        self.dh = np.empty((batch_size, hidden), f32)
        self.inactive = np.empty((batch_size, hidden), bool)
        self.p = np.empty((batch_size, classes), f32)
        self.rows = np.arange(batch_size)
        self.tiny = np.float32(1e-7)

    def _forward(self, x, h, p):
        """Logits -> softmax probabilities, written into ``p``; hidden into ``h``."""
        np = self.np
        w1, b1, w2, b2 = self.params
        np.matmul(x, w1, out=h)
        h += b1
        np.maximum(h, 0, out=h)
        np.matmul(h, w2, out=p)
        p += b2
        p -= p.max(axis=1, keepdims=True)
        np.exp(p, out=p)
        p /= p.sum(axis=1, keepdims=True)

    def train_step(self, x_all, y_all, index):
        """One RMSprop step on the rows ``index``; returns (loss sum, correct count)."""
        np = self.np
        n = len(index)
        x, h, dh, p = self.x[:n], self.h[:n], self.dh[:n], self.p[:n]
        inactive, rows = self.inactive[:n], self.rows[:n]
        y = y_all[index]
        np.take(x_all, index, axis=0, out=x)

        self._forward(x, h, p)

        # metrics, as fit() reports them (cheap: n x 10)
        p_true = p[rows, y]
        loss_sum = -np.log(np.maximum(p_true, self.tiny)).sum()
        correct = np.count_nonzero(p.argmax(axis=1) == y)

        # fused softmax + cross-entropy: dL/dlogits = (p - onehot) / n, in place
        p[rows, y] = p_true - 1
        p *= np.float32(1.0 / n)

        w1, b1, w2, b2 = self.params
        g_w1, g_b1, g_w2, g_b2 = self.grads
        np.matmul(h.T, p, out=g_w2)
        np.sum(p, axis=0, out=g_b2)
        np.matmul(p, w2.T, out=dh)
        np.less_equal(h, 0, out=inactive)
        np.copyto(dh, 0, where=inactive)  # relu'
        np.matmul(x.T, dh, out=g_w1)
        np.sum(dh, axis=0, out=g_b1)

        self._rmsprop()
        return float(loss_sum), int(correct)

    def _rmsprop(self):
        np = self.np
        for w, g, v, t in zip(self.params, self.grads, self.velocity, self.scratch):
            v *= self.rho
            np.multiply(g, g, out=t)
            v += t
            np.add(v, self.eps, out=t)
            np.sqrt(t, out=t)
            np.divide(g, t, out=t)
            t *= self.step_size
            w -= t

    def predict(self, x, batch_size: int):
        np = self.np
        out = np.empty((len(x), self.params[2].shape[1]), np.float32)
        h = np.empty((batch_size, self.params[0].shape[1]), np.float32)
        for start in range(0, len(x), batch_size):
            stop = min(start + batch_size, len(x))
            self._forward(x[start:stop], h[: stop - start], out[start:stop])
        return out


def run(args) -> dict:
    (x_train, y_train), (x_test, y_test) = common.load_fashion_mnist(args.train_limit, args.test_limit)
    memory = common.after_load()
    model = NumpyMLP(common.mlp_initial_weights(args.seed, args.hidden), args.batch_size, common.RMSPROP)
    training = common.train_epochs(
        lambda index: model.train_step(x_train, y_train, index),
        len(x_train),
        args.batch_size,
        args.epochs,
        args.warmup_steps if args.epochs else 0,
        args.seed,
    )
    train_peak = common.memory_snapshot()["peak_rss_mib"]
    timing = common.time_predict(lambda x: model.predict(x, args.predict_batch), x_test, args.predict_repeats)
    probabilities = timing.pop("probabilities")
    return common.with_predict_gauge(
        {
            **training,
            "test_loss": common.crossentropy(probabilities, y_test),
            "test_accuracy": common.accuracy(probabilities, y_test),
            **timing,
            **memory,
            "train_peak_rss_mib": train_peak,
            "peak_rss_mib": common.memory_snapshot()["peak_rss_mib"],
            "train_images": len(x_train),
            "flops_per_epoch": common.mlp_flops_per_sample(args.hidden) * len(x_train),
        }
    )


def main(argv=None) -> int:
    args = common.base_parser(__doc__.splitlines()[0]).parse_args(argv)
    common.apply_threads(args.threads)
    if args.probe:
        common.emit({"available": True, "framework": "numpy", **common.numpy_blas_info()})
        return 0
    if args.task != "mlp":
        common.emit({"available": False, "reason": "the NumPy floor implements the MLP only"})
        return 0
    result = run(args)
    common.emit(
        {
            "available": True,
            "framework": "numpy",
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
