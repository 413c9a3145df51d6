"""The public surface of TensorFlow/Keras that course code reaches for, and Keras' defaults.

``import learnet as tf`` and ``import learnet as keras`` must resolve every name below
(``tf.keras`` is learnet itself), and the constructors must default to what Keras
defaults to, so a script that leaves an argument out trains the same way.
"""

import inspect

import numpy as np
import pytest

import learnet

NAMES = """
Variable constant convert_to_tensor is_tensor GradientTape stop_gradient function executing_eagerly
Tensor TensorShape Module
matmul reduce_mean reduce_sum reduce_max reduce_min reduce_prod reduce_std reduce_variance
reduce_logsumexp reduce_all reduce_any argmax argmin
reshape transpose cast concat stack unstack split tile gather where expand_dims squeeze pad
broadcast_to one_hot identity
zeros ones zeros_like ones_like fill eye range linspace
add subtract multiply divide pow exp log sqrt square abs maximum minimum clip_by_value round sign
sin cos tanh sigmoid add_n norm equal not_equal greater greater_equal less less_equal
logical_and logical_or logical_not tensordot shape rank size
float16 float32 float64 int8 int16 int32 int64 uint8 bool string newaxis
device print config.list_physical_devices config.experimental.set_memory_growth UnconnectedGradients.ZERO
random.normal random.uniform random.truncated_normal random.shuffle random.set_seed
math.reduce_mean math.reduce_sum math.reduce_max math.reduce_std math.argmax math.exp math.log
math.sqrt math.square math.abs math.sigmoid math.softplus math.tanh math.add math.multiply
math.divide math.pow math.log1p math.maximum math.minimum math.equal math.round math.reciprocal
math.add_n math.confusion_matrix math.top_k math.in_top_k math.count_nonzero math.divide_no_nan
math.squared_difference math.softmax math.log_softmax math.is_nan math.is_finite
linalg.matmul linalg.inv linalg.norm linalg.matrix_transpose linalg.tensordot
nn.relu nn.relu6 nn.sigmoid nn.tanh nn.softmax nn.log_softmax nn.leaky_relu nn.elu nn.selu
nn.softplus nn.softsign nn.silu nn.swish nn.dropout nn.l2_loss nn.l2_normalize nn.moments
nn.bias_add nn.embedding_lookup nn.top_k nn.conv2d nn.depthwise_conv2d nn.separable_conv2d nn.max_pool2d nn.avg_pool2d
nn.softmax_cross_entropy_with_logits nn.sparse_softmax_cross_entropy_with_logits
nn.sigmoid_cross_entropy_with_logits
data.Dataset data.Dataset.from_tensor_slices data.Dataset.from_tensors data.Dataset.range data.AUTOTUNE
keras keras.Sequential keras.Model keras.Input keras.layers keras.models keras.optimizers
keras.losses keras.metrics keras.callbacks keras.utils keras.backend keras.datasets
keras.initializers keras.regularizers keras.activations keras.constraints
keras.layers.Dense keras.layers.Flatten keras.layers.Dropout keras.layers.Conv2D keras.layers.Conv1D
keras.layers.Conv2DTranspose keras.layers.DepthwiseConv2D keras.layers.SeparableConv2D keras.layers.MaxPooling2D keras.layers.MaxPool2D keras.layers.AveragePooling2D
keras.layers.MaxPooling1D keras.layers.GlobalAveragePooling2D keras.layers.GlobalMaxPooling2D
keras.layers.GlobalAveragePooling1D keras.layers.BatchNormalization keras.layers.LayerNormalization
keras.layers.Activation keras.layers.ReLU keras.layers.LeakyReLU keras.layers.PReLU keras.layers.ELU
keras.layers.Softmax keras.layers.Reshape keras.layers.Permute keras.layers.RepeatVector
keras.layers.Lambda keras.layers.Input keras.layers.InputLayer keras.layers.Layer keras.layers.Embedding
keras.layers.Concatenate keras.layers.concatenate keras.layers.Add keras.layers.add keras.layers.Average
keras.layers.average keras.layers.Multiply keras.layers.multiply keras.layers.Subtract keras.layers.Dot
keras.layers.Maximum keras.layers.UpSampling2D keras.layers.ZeroPadding2D keras.layers.Cropping2D
keras.layers.GaussianNoise keras.layers.GaussianDropout keras.layers.SpatialDropout2D
keras.layers.ActivityRegularization keras.layers.TimeDistributed keras.layers.Rescaling
keras.layers.Normalization keras.layers.Resizing keras.layers.RandomFlip keras.layers.RandomRotation
keras.layers.RandomZoom keras.layers.RandomTranslation keras.layers.RandomContrast
keras.layers.experimental.preprocessing.Rescaling keras.layers.experimental.preprocessing.Normalization
keras.layers.experimental.preprocessing.RandomFlip keras.layers.experimental.preprocessing.RandomRotation
keras.models.Sequential keras.models.Model keras.models.load_model keras.models.save_model
keras.models.clone_model keras.models.model_from_json
keras.optimizers.SGD keras.optimizers.RMSprop keras.optimizers.Adam keras.optimizers.AdamW
keras.optimizers.Adagrad keras.optimizers.Adadelta keras.optimizers.Adamax keras.optimizers.Nadam
keras.optimizers.Optimizer keras.optimizers.get keras.optimizers.legacy.Adam
keras.optimizers.schedules.ExponentialDecay keras.optimizers.schedules.PiecewiseConstantDecay
keras.optimizers.schedules.InverseTimeDecay keras.optimizers.schedules.PolynomialDecay
keras.optimizers.schedules.CosineDecay keras.optimizers.schedules.LearningRateSchedule
keras.losses.SparseCategoricalCrossentropy keras.losses.CategoricalCrossentropy
keras.losses.BinaryCrossentropy keras.losses.MeanSquaredError keras.losses.MeanAbsoluteError
keras.losses.Huber keras.losses.Loss keras.losses.mean_squared_error keras.losses.mse keras.losses.mae
keras.losses.binary_crossentropy keras.losses.categorical_crossentropy
keras.losses.sparse_categorical_crossentropy keras.losses.KLDivergence keras.losses.Hinge keras.losses.get
keras.metrics.Metric keras.metrics.Mean keras.metrics.Sum keras.metrics.Accuracy keras.metrics.BinaryAccuracy
keras.metrics.CategoricalAccuracy keras.metrics.SparseCategoricalAccuracy
keras.metrics.TopKCategoricalAccuracy keras.metrics.SparseTopKCategoricalAccuracy
keras.metrics.MeanSquaredError keras.metrics.MeanAbsoluteError keras.metrics.RootMeanSquaredError
keras.metrics.Precision keras.metrics.Recall keras.metrics.AUC keras.metrics.BinaryCrossentropy
keras.metrics.MeanMetricWrapper keras.metrics.binary_accuracy keras.metrics.sparse_categorical_accuracy
keras.callbacks.Callback keras.callbacks.History keras.callbacks.EarlyStopping
keras.callbacks.ModelCheckpoint keras.callbacks.LearningRateScheduler keras.callbacks.ReduceLROnPlateau
keras.callbacks.CSVLogger keras.callbacks.LambdaCallback keras.callbacks.TerminateOnNaN
keras.callbacks.TensorBoard
keras.utils.to_categorical keras.utils.normalize keras.utils.set_random_seed keras.utils.pad_sequences
keras.utils.array_to_img keras.utils.img_to_array keras.utils.load_img keras.utils.save_img keras.utils.plot_model
keras.utils.image_dataset_from_directory data.experimental.AUTOTUNE data.Dataset.zip data.Dataset.from_generator
keras.backend.clear_session keras.backend.epsilon keras.backend.floatx keras.backend.set_floatx
keras.backend.get_value keras.backend.set_value
keras.datasets.mnist.load_data keras.datasets.fashion_mnist.load_data
keras.initializers.HeNormal keras.initializers.HeUniform keras.initializers.GlorotUniform
keras.initializers.GlorotNormal keras.initializers.LecunNormal keras.initializers.RandomNormal
keras.initializers.RandomUniform keras.initializers.TruncatedNormal keras.initializers.Zeros
keras.initializers.Ones keras.initializers.Constant keras.initializers.VarianceScaling
keras.initializers.Orthogonal keras.initializers.he_normal keras.initializers.glorot_uniform
keras.regularizers.l1 keras.regularizers.l2 keras.regularizers.l1_l2 keras.regularizers.L1
keras.regularizers.L2 keras.regularizers.L1L2 keras.regularizers.Regularizer
keras.activations.relu keras.activations.sigmoid keras.activations.softmax keras.activations.tanh
keras.activations.elu keras.activations.selu keras.activations.swish keras.activations.gelu
keras.activations.linear keras.activations.get keras.activations.serialize
keras.constraints.max_norm keras.constraints.MaxNorm keras.constraints.NonNeg
keras.saving.load_model keras.saving.register_keras_serializable
optimizers.Adam losses.mse metrics.BinaryAccuracy initializers.HeNormal
"""


def _resolve(dotted):
    value = learnet
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def _names():
    for token in NAMES.split():
        name, _, note = token.partition(":")
        if note == "missing":
            yield pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=f"tf.{name} is not written yet"))
        else:
            yield name


@pytest.mark.parametrize("name", list(_names()))
def test_name_resolves(name):
    _resolve(name)  # raises AttributeError when a name is missing


def test_keras_is_learnet_itself():
    import learnet.keras

    assert learnet.keras is learnet and learnet.keras.layers is learnet.layers
    assert learnet.keras.keras.keras.layers.Dense is learnet.layers.Dense


def test_the_surface_is_broad():
    assert len(NAMES.split()) >= 300


# --- defaults that Keras has ---------------------------------------------------------------------------
def defaults(function):
    return {
        name: p.default
        for name, p in inspect.signature(function).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


@pytest.mark.parametrize(
    "function, expected",
    [
        (
            "layers.Dense",
            dict(
                activation=None,
                use_bias=True,
                kernel_initializer="glorot_uniform",
                bias_initializer="zeros",
                kernel_regularizer=None,
            ),
        ),
        (
            "layers.Conv2D",
            dict(
                padding="valid",
                activation=None,
                use_bias=True,
                kernel_initializer="glorot_uniform",
                bias_initializer="zeros",
                data_format=None,
            ),
        ),
        ("layers.Conv2DTranspose", dict(padding="valid")),
        (
            "layers.DepthwiseConv2D",
            dict(strides=(1, 1), padding="valid", depth_multiplier=1, dilation_rate=(1, 1), use_bias=True),
        ),
        (
            "layers.SeparableConv2D",
            dict(strides=(1, 1), padding="valid", depth_multiplier=1, pointwise_initializer="glorot_uniform"),
        ),
        ("layers.MaxPooling2D", dict(strides=None, padding="valid")),
        ("layers.AveragePooling2D", dict(strides=None, padding="valid")),
        ("layers.Dropout", dict(noise_shape=None, seed=None)),
        (
            "layers.BatchNormalization",
            dict(
                axis=-1,
                momentum=0.99,
                epsilon=1e-3,
                center=True,
                scale=True,
                beta_initializer="zeros",
                gamma_initializer="ones",
                moving_mean_initializer="zeros",
                moving_variance_initializer="ones",
            ),
        ),
        ("layers.LayerNormalization", dict(axis=-1, epsilon=1e-3)),
        ("layers.Embedding", dict(embeddings_initializer="uniform", mask_zero=False)),
        ("layers.ELU", dict(alpha=1.0)),
        ("layers.PReLU", dict(alpha_initializer="zeros")),
        ("layers.Rescaling", dict(offset=0.0)),
        ("optimizers.SGD", dict(learning_rate=0.01, momentum=0.0, nesterov=False)),
        ("optimizers.RMSprop", dict(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False)),
        ("optimizers.Adam", dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False)),
        ("optimizers.Adagrad", dict(learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7)),
        ("optimizers.Adadelta", dict(learning_rate=0.001, rho=0.95, epsilon=1e-7)),
        ("optimizers.Adamax", dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)),
        ("optimizers.Nadam", dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)),
        ("optimizers.AdamW", dict(learning_rate=0.001, weight_decay=0.004)),
        ("optimizers.schedules.ExponentialDecay", dict(staircase=False)),
        (
            "callbacks.EarlyStopping",
            dict(
                monitor="val_loss",
                min_delta=0,
                patience=0,
                verbose=0,
                mode="auto",
                baseline=None,
                restore_best_weights=False,
            ),
        ),
        (
            "callbacks.ModelCheckpoint",
            dict(
                monitor="val_loss",
                verbose=0,
                save_best_only=False,
                save_weights_only=False,
                mode="auto",
                save_freq="epoch",
            ),
        ),
        (
            "callbacks.ReduceLROnPlateau",
            dict(monitor="val_loss", factor=0.1, patience=10, mode="auto", min_delta=1e-4, cooldown=0, min_lr=0),
        ),
        ("losses.SparseCategoricalCrossentropy", dict(from_logits=False)),
        ("losses.CategoricalCrossentropy", dict(from_logits=False, label_smoothing=0.0)),
        ("losses.BinaryCrossentropy", dict(from_logits=False, label_smoothing=0.0)),
        ("losses.Huber", dict(delta=1.0)),
        ("metrics.BinaryAccuracy", dict(threshold=0.5)),
        ("metrics.TopKCategoricalAccuracy", dict(k=5)),
        ("metrics.AUC", dict(num_thresholds=200, curve="ROC")),
        ("initializers.RandomNormal", dict(mean=0.0, stddev=0.05)),
        ("initializers.RandomUniform", dict(minval=-0.05, maxval=0.05)),
        ("initializers.TruncatedNormal", dict(mean=0.0, stddev=0.05)),
        ("initializers.VarianceScaling", dict(scale=1.0, mode="fan_in", distribution="truncated_normal")),
        ("regularizers.l1", dict(l1=0.01)),
        ("regularizers.l2", dict(l2=0.01)),
        ("utils.to_categorical", dict(num_classes=None)),
        ("Model.compile", dict(optimizer="rmsprop", loss=None, metrics=None, loss_weights=None)),
        (
            "Model.fit",
            dict(
                batch_size=None,
                epochs=1,
                callbacks=None,
                validation_split=0.0,
                validation_data=None,
                shuffle=True,
                initial_epoch=0,
                steps_per_epoch=None,
            ),
        ),
        ("Model.evaluate", dict(batch_size=None, return_dict=False)),
        ("Model.predict", dict(batch_size=None)),
    ],
)
def test_keras_defaults(function, expected):
    actual = defaults(_resolve(function))
    assert {name: actual.get(name, "<missing>") for name in expected} == expected


def test_defaults_as_the_built_objects_hold_them():
    layers = learnet.layers
    dense = layers.Dense(4)
    dense.build((None, 3))
    assert type(dense.kernel_initializer).__name__ == "GlorotUniform"
    assert type(dense.bias_initializer).__name__ == "Zeros"
    assert np.all(dense.bias.numpy() == 0)
    conv = layers.Conv2D(8, 3)
    assert conv.kernel_size == (3, 3) and conv.strides == (1, 1) and conv.padding == "valid"
    assert conv.dilation_rate == (1, 1)
    pool = layers.MaxPooling2D()
    assert pool.pool_size == (2, 2) and pool.strides == (2, 2)
    assert layers.LeakyReLU().negative_slope == pytest.approx(0.3)  # Keras 2's alpha=0.3
    assert layers.LeakyReLU(alpha=0.2).negative_slope == pytest.approx(0.2)
    assert float(learnet.optimizers.SGD().learning_rate) == pytest.approx(0.01)
    assert float(learnet.optimizers.get("adam").learning_rate) == pytest.approx(0.001)
    stop = learnet.callbacks.EarlyStopping()
    assert stop.monitor == "val_loss" and stop.patience == 0
    assert learnet.backend.floatx() == "float32" and learnet.backend.epsilon() == 1e-7


def test_the_older_lr_argument_is_accepted_with_a_deprecation_warning():
    with pytest.warns(DeprecationWarning, match="lr"):
        optimizer = learnet.optimizers.SGD(lr=0.1)
    assert float(optimizer.learning_rate) == pytest.approx(0.1)
    with pytest.warns(DeprecationWarning):
        assert float(learnet.optimizers.RMSprop(lr=0.002).learning_rate) == pytest.approx(0.002)
    with pytest.warns(DeprecationWarning):
        assert float(learnet.optimizers.Adam(lr=0.003).lr) == pytest.approx(0.003)
