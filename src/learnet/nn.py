"""``learnet.nn``: activation functions and cross-entropies with TensorFlow's names.

Examples
--------
>>> import learnet as tf
>>> tf.nn.relu(tf.constant([-1.0, 2.0])).numpy()
array([0., 2.], dtype=float32)
"""
from learnet.ops.nn import (  # noqa: F401
    dropout, elu, l2_loss, leaky_relu, log_sigmoid, log_softmax, moments, relu, sigmoid,
    sigmoid_cross_entropy_with_logits, softmax, softmax_cross_entropy_with_logits, softplus,
    softsign, sparse_softmax_cross_entropy_with_logits, tanh,
)
from learnet.ops.conv import (  # noqa: E402,F401
    avg_pool, avg_pool1d, avg_pool2d, conv1d, conv2d, conv2d_transpose, max_pool, max_pool1d,
    max_pool2d,
)
