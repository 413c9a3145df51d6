"""The forward pass of a small network, neuron by neuron, as drawn on a blackboard.

Three layers of sigmoid neurons: 2 inputs -> 3 neurons -> 2 neurons -> 1 output.
Every weight is set by hand, so each printed number can be checked with pencil and
paper: a neuron multiplies each input by its weight, adds them and its bias (``z``),
and squashes the sum with the sigmoid, ``a = 1 / (1 + e^-z)``.

    python examples/forward_pass.py
"""

import numpy as np

import learnet as keras  # instead of: from tensorflow import keras
from learnet import layers

# One row per input, one column per neuron: WEIGHTS[l][i][j] connects input i to neuron j.
WEIGHTS = [
    np.array([[0.5, -0.3, 0.8], [0.2, 0.7, -0.6]]),
    np.array([[0.4, -0.5], [0.9, 0.3], [-0.7, 0.6]]),
    np.array([[1.2], [-0.8]]),
]
BIASES = [
    np.array([0.1, 0.0, -0.2]),
    np.array([0.0, 0.1]),
    np.array([0.3]),
]
INPUTS = (1.0, 0.5)


def build_network():
    """The 2-3-2-1 sigmoid network with the hand-set weights above."""
    model = keras.Sequential(
        [
            keras.Input(shape=(2,)),
            layers.Dense(3, activation="sigmoid", name="hidden_1"),
            layers.Dense(2, activation="sigmoid", name="hidden_2"),
            layers.Dense(1, activation="sigmoid", name="output"),
        ]
    )
    for layer, kernel, bias in zip(model.layers, WEIGHTS, BIASES):
        layer.set_weights([kernel, bias])
    return model


def _signed_sum(terms):
    """``["0.50*x1", "-0.30*x2", "0.10"]`` -> ``"0.50*x1 - 0.30*x2 + 0.10"``."""
    text = terms[0]
    for term in terms[1:]:
        text += f" - {term[1:]}" if term.startswith("-") else f" + {term}"
    return text


def main(inputs=INPUTS):
    """Run the network on ``inputs``, printing every neuron; returns each layer's outputs."""
    model = build_network()
    values = np.array([inputs], dtype="float32")  # a batch of one example
    print("inputs: " + "   ".join(f"x{i + 1} = {v:.4f}" for i, v in enumerate(values[0])))
    names = ["x"]
    outputs = []
    for number, layer in enumerate(model.layers, start=1):
        kernel, bias = layer.get_weights()
        activations = layer(values).numpy()  # what learnet computes
        neurons = "neuron" if layer.units == 1 else "neurons"
        print(f"\nlayer {number} ({layer.name}, {layer.units} sigmoid {neurons})")
        for j in range(layer.units):
            terms = [f"{kernel[i, j]:.2f}*{names[-1]}{i + 1}" for i in range(kernel.shape[0])]
            formula = _signed_sum(terms + [f"{bias[j]:.2f}"])
            z = float(values[0] @ kernel[:, j] + bias[j])
            print(f"  neuron {number}.{j + 1}: z = {formula} = {z:.4f}   a = sigmoid(z) = {activations[0, j]:.4f}")
        names.append(f"a{number}.")
        values = activations
        outputs.append(activations[0])
    print(f"\nthe network's answer: {values[0, 0]:.4f}")
    return outputs


if __name__ == "__main__":
    main()
