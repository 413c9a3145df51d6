"""The steps every network of ``learnet.applications`` takes around its own layers.

Checking the arguments, making the input, the optional pooling on top, and loading the
weights (ImageNet's through ``keras.utils.get_file``, into the cache's ``models`` folder
under the file names Keras uses, or a file the user names) are the same for all of them.
"""

import os

from learnet import layers
from learnet.applications import imagenet_utils
from learnet.keras_backend import image_data_format

#: Where Keras' ImageNet weights are published.
KERAS_WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications/"


def check_weights(weights, include_top, classes, pooling=None):
    """Refuse a ``weights`` that is neither None, ``"imagenet"`` nor an existing file, and a
    classifier of other than 1000 classes on ImageNet's weights."""
    if not (weights is None or (isinstance(weights, str) and weights == "imagenet") or _is_file(weights)):
        raise ValueError(
            "The weights argument should be either None (random initialization), 'imagenet' "
            f"(pre-training on ImageNet), or the path to the weights file to be loaded; got weights={weights!r}"
        )
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(
            f"If using weights='imagenet' with include_top=True, classes should be 1000; got classes={classes}"
        )
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"pooling must be None, 'avg' or 'max'; got pooling={pooling!r}")
    if image_data_format() != "channels_last":
        raise ValueError("learnet's applications take channels-last images only")


def check_input_tensor(input_tensor):
    """Refuse an ``input_tensor`` that is not a symbolic tensor (``keras.Input``), as Keras does."""
    from learnet.dataset_utils import is_keras_tensor

    if input_tensor is not None and not is_keras_tensor(input_tensor):
        raise ValueError(
            f"Argument `input_tensor` must be a KerasTensor. Received invalid type: {type(input_tensor).__name__}"
        )


def _is_file(weights):
    try:
        return os.path.exists(os.fspath(weights))
    except TypeError:
        return False


#: MD5 digests of Keras' ImageNet weight files, as Keras checks them (the MobileNet files have none).
WEIGHTS_HASHES = {
    "vgg16_weights_tf_dim_ordering_tf_kernels.h5": "64373286793e3c8b2b4e3219cbf3544b",
    "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5": "6d6bbae143d832006294945121d1f1fc",
    "vgg19_weights_tf_dim_ordering_tf_kernels.h5": "cbe5617147190e668d6c5d5026f83318",
    "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5": "253f8cb515780f3b799900260a226db6",
    "resnet50_weights_tf_dim_ordering_tf_kernels.h5": "2cb95161c43110f7111970584f804107",
    "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5": "4d473c1dd8becc155b73f8504c6f6626",
    "resnet101_weights_tf_dim_ordering_tf_kernels.h5": "f1aeb4b969a6efcfb50fad2f0c20cfc5",
    "resnet101_weights_tf_dim_ordering_tf_kernels_notop.h5": "88cf7a10940856eca736dc7b7e228a21",
    "resnet152_weights_tf_dim_ordering_tf_kernels.h5": "100835be76be38e30d865e96f2aaae62",
    "resnet152_weights_tf_dim_ordering_tf_kernels_notop.h5": "ee4c566cf9a93f14d82f913c2dc6dd0c",
    "resnet50v2_weights_tf_dim_ordering_tf_kernels.h5": "3ef43a0b657b3be2300d5770ece849e0",
    "resnet50v2_weights_tf_dim_ordering_tf_kernels_notop.h5": "fac2f116257151a9d068a22e544a4917",
    "resnet101v2_weights_tf_dim_ordering_tf_kernels.h5": "6343647c601c52e1368623803854d971",
    "resnet101v2_weights_tf_dim_ordering_tf_kernels_notop.h5": "c0ed64b8031c3730f411d2eb4eea35b5",
    "resnet152v2_weights_tf_dim_ordering_tf_kernels.h5": "a49b44d1979771252814e80f8ec446f9",
    "resnet152v2_weights_tf_dim_ordering_tf_kernels_notop.h5": "ed17cf2e0169df9d443503ef94b23b33",
    "inception_v3_weights_tf_dim_ordering_tf_kernels.h5": "9a0d58056eeedaa3f26cb7ebd46da564",
    "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5": "bcbd6486424b2319ff4ef7d526e38f63",
    "xception_weights_tf_dim_ordering_tf_kernels.h5": "0a58e3b7378bc2990ea3b43d5981f1f6",
    "xception_weights_tf_dim_ordering_tf_kernels_notop.h5": "b0042744bf5b25fce3cb969f33bebb97",
    "densenet121_weights_tf_dim_ordering_tf_kernels.h5": "9d60b8095a5708f2dcce2bca79d332c7",
    "densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5": "30ee3e1110167f948a6b9946edeeb738",
    "densenet169_weights_tf_dim_ordering_tf_kernels.h5": "d699b8f76981ab1b30698df4c175e90b",
    "densenet169_weights_tf_dim_ordering_tf_kernels_notop.h5": "b8c4d4c20dd625c148057b9ff1c1176b",
    "densenet201_weights_tf_dim_ordering_tf_kernels.h5": "1ceb130c1ea1b78c3bf6114dbdfd8807",
    "densenet201_weights_tf_dim_ordering_tf_kernels_notop.h5": "c13680b51ded0fb44dff2d8f86ac8bb1",
    "efficientnetb0.h5": "902e53a9f72be733fc0bcb005b3ebbac",
    "efficientnetb0_notop.h5": "50bc09e76180e00e4465e1a485ddc09d",
    "efficientnetb1.h5": "1d254153d4ab51201f1646940f018540",
    "efficientnetb1_notop.h5": "74c4e6b3e1f6a1eea24c589628592432",
    "efficientnetb2.h5": "b15cce36ff4dcbd00b6dd88e7857a6ad",
    "efficientnetb2_notop.h5": "111f8e2ac8aa800a7a99e3239f7bfb39",
    "efficientnetb3.h5": "ffd1fdc53d0ce67064dc6a9c7960ede0",
    "efficientnetb3_notop.h5": "af6d107764bb5b1abb91932881670226",
    "efficientnetb4.h5": "18c95ad55216b8f92d7e70b3a046e2fc",
    "efficientnetb4_notop.h5": "ebc24e6d6c33eaebbd558eafbeedf1ba",
    "efficientnetb5.h5": "ace28f2a6363774853a83a0b21b9421a",
    "efficientnetb5_notop.h5": "38879255a25d3c92d5e44e04ae6cec6f",
    "efficientnetb6.h5": "165f6e37dce68623721b423839de8be5",
    "efficientnetb6_notop.h5": "9ecce42647a20130c1f39a5d4cb75743",
    "efficientnetb7.h5": "8c03f828fec3ef71311cd463b6759d99",
    "efficientnetb7_notop.h5": "cbcfe4450ddf6f3ad90b1b398090fe4a",
}


def image_input(input_tensor, input_shape):
    """The network's input: ``input_tensor`` if it is a symbolic tensor already, else a new ``Input``."""
    from learnet.dataset_utils import is_keras_tensor

    if input_tensor is None:
        return layers.Input(shape=input_shape)
    if is_keras_tensor(input_tensor):
        return input_tensor
    return layers.Input(tensor=input_tensor, shape=input_shape)


def model_inputs(input_tensor, img_input):
    """What the model is built from: the ``Input`` tensors behind ``input_tensor``, if given."""
    from learnet.dataset_utils import get_source_inputs

    if input_tensor is None:
        return img_input
    return get_source_inputs(input_tensor)


def pooled(x, pooling, avg_name=None, max_name=None):
    """``x`` pooled over its rows and columns (``"avg"`` or ``"max"``), or ``x`` itself (``None``)."""
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    return x


def functional(inputs, outputs, name):
    """The functional model, its ``layers`` (and so its ``weights``) in Keras 3's order.

    Keras lists a graph's layers by their depth from the outputs, where learnet lists them in
    the order they run; for a branching network the two differ. Keras' order is what its
    weight files follow layer by layer, and what code such as ``model.layers[:100]`` means.
    """
    from learnet.keras_files import _keras_layers
    from learnet.models import Model

    model = Model(inputs, outputs, name=name)
    inputs_first = [layer for layer in model.layers if type(layer).__name__ == "InputLayer"]
    ordered = _keras_layers(model)
    ordered = inputs_first + [layer for layer in ordered if type(layer).__name__ != "InputLayer"]
    if sorted(map(id, ordered)) == sorted(map(id, model.operations)):
        model._graph_layers = ordered
    return model


def load_weights(model, weights, file_name=None, origin=None, hash_key=None):
    """Load ``weights`` into ``model``: ImageNet's file (fetched once as ``file_name`` from
    ``origin`` into the cache's ``models`` folder, checked against :data:`WEIGHTS_HASHES`) or
    the file the user named. Nothing happens for ``None``."""
    if weights is None:
        return model
    if isinstance(weights, str) and weights == "imagenet":
        from learnet.dataset_utils import get_file

        weights = get_file(
            file_name, origin, cache_subdir="models", file_hash=WEIGHTS_HASHES.get(hash_key or file_name)
        )
    model.load_weights(weights)
    return model


def classifier_check(classifier_activation, weights):
    imagenet_utils.validate_activation(classifier_activation, weights)


def multiply(inputs, name=None):
    """``keras.layers.multiply``: it broadcasts axes of size 1, as Keras 3's does."""
    return layers.Multiply(name=name)(inputs)
