"""``tf.experimental.ExtensionType`` and the dispatch decorators, against real TensorFlow 2.21.

The cases are the examples of TensorFlow's "Extension types" guide, written once in
fixtures/make_tf_extension_type_fixture.py (which ran them with TensorFlow) and run here with learnet.
"""

import importlib.util
import json
from pathlib import Path
from typing import List, Mapping, Tuple, Union  # noqa: UP035 - the guide's spelling

import numpy as np
import pytest

import learnet
import learnet as tf
from learnet import extension_type, tape

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE = json.loads((FIXTURES / "tf_extension_type_reference.json").read_text())["cases"]


def _fixture_module():
    spec = importlib.util.spec_from_file_location(
        "make_tf_extension_type_fixture", FIXTURES / "make_tf_extension_type_fixture.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _LearnetAsTF:
    """learnet, with ``tf.type_spec_from_value`` taken from learnet.extension_type while the top level lacks it."""

    def __getattr__(self, name):
        if name == "type_spec_from_value" and not hasattr(learnet, name):
            return extension_type.type_spec_from_value
        return getattr(learnet, name)


FIXTURE = _fixture_module()
CASES = FIXTURE.cases(_LearnetAsTF())

# Where learnet deliberately differs from TensorFlow 2.21:
DIFFERENT = {
    # TensorFlow cannot resolve "Node" for a class defined inside a function; learnet looks the
    # class's own name up too, so the guide's forward reference works wherever the class is defined.
    "node_forward_reference",
    "spec_node",
    # TensorFlow's Tensor operators do not dispatch (`tensor + masked` fails); learnet's operators
    # are its ops, which do.
    "dispatch_tensor_plus",
    # TensorFlow's __eq__ of two values without tensors fails (reduce_all of an empty float stack).
    "eq_python_fields",
}
# Errors whose messages print a tensor (TensorFlow's and learnet's tensors print differently).
TYPE_ONLY = {"no_handler"}


@pytest.mark.parametrize("name", sorted(set(CASES) - DIFFERENT))
def test_matches_tensorflow(name):
    got = FIXTURE.outcome(tf, CASES[name])
    want = REFERENCE[name]
    if "error" in want or name in TYPE_ONLY:
        assert got.get("error") == want["error"], got
        if name not in TYPE_ONLY:
            assert got["message"] == want["message"]
        return
    assert "result" in got, got
    _assert_same(got["result"], want["result"], name)


def _assert_same(got, want, where):
    if isinstance(want, dict) and "value" in want and "dtype" in want:
        assert got["dtype"] == want["dtype"] and got["shape"] == want["shape"], where
        np.testing.assert_allclose(
            np.asarray(got["value"], dtype=float), np.asarray(want["value"], dtype=float), rtol=1e-6, err_msg=where
        )
    elif isinstance(want, dict):
        assert isinstance(got, dict) and sorted(got) == sorted(want), (where, got, want)
        for key in want:
            _assert_same(got[key], want[key], f"{where}.{key}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), (where, got, want)
        for i, (g, w) in enumerate(zip(got, want)):
            _assert_same(g, w, f"{where}[{i}]")
    else:
        assert got == want and type(got) is type(want), (where, got, want)


# --- The differences, each as learnet behaves ---------------------------------------------------------------
def test_forward_reference_resolved_inside_a_function():
    got = FIXTURE.outcome(tf, CASES["node_forward_reference"])["result"]
    assert [child["fields"]["value"]["value"] for child in got["fields"]["children"]] == [5, 2]
    assert "children=(" in FIXTURE.outcome(tf, CASES["spec_node"])["result"]


def test_tensor_operator_dispatches():
    got = FIXTURE.outcome(tf, CASES["dispatch_tensor_plus"])["result"]
    assert got["fields"]["values"]["value"] == [11, 18, 27]
    assert got["fields"]["mask"]["value"] == [True, False, True]


def test_equality_without_tensors():
    assert FIXTURE.outcome(tf, CASES["eq_python_fields"])["result"]["value"] is True


# --- Batches ------------------------------------------------------------------------------------------------
class Points(tf.experimental.BatchableExtensionType):
    xy: tf.Tensor
    weight: tf.Tensor


def test_unstack_and_stack_give_tensorflow_dataset_rows_and_batches():
    points = Points([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [1, 2, 3])
    rows = extension_type.unstack(points)
    _assert_same(FIXTURE.describe(tf, rows), REFERENCE["dataset_rows"]["result"], "rows")
    batches = [extension_type.stack(rows[:2]), extension_type.stack(rows[2:])]
    _assert_same(FIXTURE.describe(tf, batches), REFERENCE["dataset_batch"]["result"], "batches")
    assert batches[0]._type_spec == points._type_spec._unbatch()._batch(2)


def test_stack_and_unstack_reject_bad_input():
    with pytest.raises(TypeError, match="non-empty list"):
        extension_type.stack([])
    with pytest.raises(TypeError, match="BatchableExtensionType"):
        extension_type.unstack(tf.constant([1, 2]))
    with pytest.raises(ValueError, match="first axis"):
        extension_type.unstack(Points([1.0, 2.0], 3))


def test_spec_components_round_trip():
    points = Points([[1.0, 2.0]], [7])
    spec = points._type_spec
    tensors = spec._to_components(points)
    assert [t.shape for t in tensors] == [(1, 2), (1,)]
    again = spec._from_components(tensors)
    assert bool(again == points)
    with pytest.raises(ValueError, match="left over"):
        spec._from_components([*tensors, tf.constant(1)])


def test_map_tensors_keeps_python_fields():
    class Scaled(tf.experimental.ExtensionType):
        label: str
        values: tf.Tensor

    doubled = extension_type.map_tensors(lambda t: t * 2, Scaled("x", [1, 2]))
    assert doubled.label == "x" and doubled.values.numpy().tolist() == [2, 4]


# --- Class definition and construction ---------------------------------------------------------------------
def test_unsupported_annotation_raises_at_class_definition():
    with pytest.raises(TypeError, match="In field 'x': Unsupported type annotation 'list'"):

        class Bad(tf.experimental.ExtensionType):
            x: list


def test_abstract_base_cannot_be_instantiated():
    with pytest.raises(AssertionError, match="abstract base class"):
        tf.experimental.ExtensionType()


def test_field_without_default_after_one_with_default():
    class Late(tf.experimental.ExtensionType):
        a: int = 1
        b: int

    with pytest.raises(TypeError, match="'b' without a default"):
        Late(b=2)


def test_custom_constructor_must_set_every_field():
    class Half(tf.experimental.ExtensionType):
        a: tf.Tensor
        b: tf.Tensor

        def __init__(self, a):
            self.a = a

    with pytest.raises(TypeError, match="'b' was not set"):
        Half(1)


def test_subclass_adds_fields_and_keeps_methods():
    class Graph(tf.experimental.ExtensionType):
        edge_src: tf.Tensor
        edge_dst: tf.Tensor

        def count(self):
            return int(self.edge_src.shape[0])

    class Weighted(Graph):
        weights: tf.Tensor

    weighted = Weighted([0, 1], [1, 2], [0.5, 2.0])
    assert weighted.count() == 2
    assert list(Weighted.Spec.from_value(weighted).__dict__) == ["edge_src", "edge_dst", "weights"]


def test_ragged_field_and_its_spec():
    class Sentences(tf.experimental.ExtensionType):
        words: tf.RaggedTensor

    value = Sentences(tf.ragged.constant([[1, 2], [3]]))
    assert "RaggedTensorSpec" in repr(value._type_spec)
    assert bool(value == Sentences(tf.ragged.constant([[1, 2], [3]])))
    assert not bool(value == Sentences(tf.ragged.constant([[1, 2], [4]])))


def test_dtype_field_takes_tensorflow_dtypes():
    class Typed(tf.experimental.ExtensionType):
        dtype: tf.dtypes.DType

    assert Typed(tf.float32).dtype == np.dtype("float32")
    with pytest.raises(TypeError, match="expected 'tf.DType', got 'str'"):
        Typed("float32")


def test_guide_custom_spec_constructor():
    class Masked(tf.experimental.BatchableExtensionType):
        values: tf.Tensor
        mask: tf.Tensor

        class Spec:
            def __init__(self, shape, dtype=tf.float32):
                self.values = tf.TensorSpec(shape, dtype)
                self.mask = tf.TensorSpec(shape, tf.bool)

            shape = property(lambda self: self.values.shape)

    spec = Masked.Spec([None, 2])
    assert spec.shape == (None, 2) and spec.mask.dtype == np.dtype(bool)
    assert spec.is_compatible_with(Masked([[1.0, 2.0]], [[True, False]]))
    assert hash(spec) == hash(Masked.Spec([None, 2]))


def test_variable_field_carries_gradients():
    class Scaled(tf.experimental.ExtensionType):
        scale: tf.Tensor

    weight = tf.Variable(3.0)
    with tf.GradientTape() as g:
        value = Scaled(weight)
        loss = value.scale * value.scale
    assert float(g.gradient(loss, weight)) == pytest.approx(6.0)


def test_tf_function_with_signature_of_specs():
    class Pair(tf.experimental.ExtensionType):
        left: tf.Tensor
        right: tf.Tensor

    spec = Pair.Spec(tf.TensorSpec([2]), tf.TensorSpec([2]))

    @tf.function(input_signature=[spec])
    def total(pair):
        return pair.left + pair.right

    assert total(Pair([1.0, 2.0], [3.0, 4.0])).numpy().tolist() == [4.0, 6.0]


# --- Dispatch ----------------------------------------------------------------------------------------------
class Masked(tf.experimental.ExtensionType):
    values: tf.Tensor
    mask: tf.Tensor


def test_dispatch_gradient_flows_through_the_handler():
    @tf.experimental.dispatch_for_unary_elementwise_apis(Masked)
    def unary(api_func, x):
        return Masked(api_func(x.values), x.mask)

    try:
        x = tf.Variable([1.0, -2.0])
        with tf.GradientTape() as g:
            y = tf.math.square(Masked(x, [True, False]))
            loss = tf.reduce_sum(y.values)
        np.testing.assert_allclose(g.gradient(loss, x).numpy(), [2.0, -4.0])
    finally:
        tf.experimental.unregister_dispatch_for(unary)


def test_dispatch_for_api_signature_given_as_dict():
    def masked_concat(values, axis):
        return Masked(tf.concat([v.values for v in values], axis), tf.concat([v.mask for v in values], axis))

    tf.experimental.dispatch_for_api(tf.concat, {"values": List[Masked]})(masked_concat)  # noqa: UP006
    try:
        got = tf.concat([Masked([1], [True]), Masked([2], [False])], 0)
        assert got.values.numpy().tolist() == [1, 2] and got.mask.numpy().tolist() == [True, False]
    finally:
        tf.experimental.unregister_dispatch_for(masked_concat)


def test_unmatched_signature_falls_through_to_the_op():
    @tf.experimental.dispatch_for_api(tf.stack)
    def only_masked(values: List[Masked], axis=0):  # noqa: UP006
        raise AssertionError("not for plain tensors")

    try:
        assert tf.stack([tf.constant(1), tf.constant(2)]).numpy().tolist() == [1, 2]
        with pytest.raises(ValueError):  # a list mixing both: no handler matches, the op cannot convert
            tf.stack([Masked([1], [True]), tf.constant([2])])
    finally:
        tf.experimental.unregister_dispatch_for(only_masked)


def test_bad_dispatch_registrations_raise_and_register_nothing():
    before = (dict(extension_type._api_handlers), list(extension_type._unary_handlers))

    def no_annotations(values, axis=0):
        return values

    with pytest.raises(ValueError, match="needs type annotations"):
        tf.experimental.dispatch_for_api(tf.stack)(no_annotations)
    with pytest.raises(ValueError, match="lacks"):
        tf.experimental.dispatch_for_api(tf.stack, {"tensors": List[Masked]})(no_annotations)  # noqa: UP006
    with pytest.raises(TypeError, match="signature is a dict"):
        tf.experimental.dispatch_for_api(tf.stack, [Masked])
    with pytest.raises(TypeError, match="expected a type"):
        tf.experimental.dispatch_for_unary_elementwise_apis("Masked")
    with pytest.raises(TypeError, match="API function"):
        tf.experimental.dispatch_for_api(3)
    assert (dict(extension_type._api_handlers), list(extension_type._unary_handlers)) == before


def test_api_without_hook_warns():
    with pytest.warns(UserWarning, match="does not dispatch"):

        @tf.experimental.dispatch_for_api(tf.matmul)
        def masked_matmul(a: Masked, b):
            return a

    tf.experimental.unregister_dispatch_for(masked_matmul)


def test_hook_is_installed_only_by_registration():
    # Ordinary tensors never reach the hook: the ops ask it only on their conversion path.
    calls = []
    saved = tape.dispatch_hook
    tape.dispatch_hook = lambda op, args, kwargs: calls.append(op.__name__) or NotImplemented
    try:
        a = tf.constant([1.0, 2.0])
        tf.abs(a), tf.add(a, a), a * a
        assert calls == []
        tf.abs([1.0]), a * 2.0
        assert calls == ["abs", "multiply"]
    finally:
        tape.dispatch_hook = saved


def test_exposed_names():
    for name in (
        "ExtensionType",
        "BatchableExtensionType",
        "ExtensionTypeSpec",
        "BatchableExtensionTypeSpec",
        "dispatch_for_api",
        "dispatch_for_unary_elementwise_apis",
        "dispatch_for_binary_elementwise_apis",
        "unregister_dispatch_for",
    ):
        assert getattr(tf.experimental, name) is getattr(extension_type, name)
    assert tf.experimental.ExtensionType.Spec is tf.experimental.ExtensionTypeSpec
    assert issubclass(tf.experimental.BatchableExtensionTypeSpec, tf.experimental.ExtensionTypeSpec)


def test_mapping_field_is_immutable():
    class Player(tf.experimental.ExtensionType):
        name: tf.Tensor
        attributes: Mapping[str, tf.Tensor]  # noqa: UP006

    anne = Player("Anne", {"height": 8.3})
    assert (
        repr(anne._type_spec.attributes)
        == "ImmutableDict({'height': TensorSpec(shape=(), dtype=tf.float32, name=None)})"
    )
    with pytest.raises(TypeError):
        anne.attributes["height"] = 1  # type: ignore[index]


def test_union_takes_the_first_option_that_converts():
    class Either(tf.experimental.ExtensionType):
        value: Union[tf.Tensor, Tuple[int, ...]]  # noqa: UP006, UP007

    class Number(tf.experimental.ExtensionType):
        value: Union[float, int]  # noqa: UP007

    assert isinstance(Either((1, 2)).value, tf.Tensor)  # as TensorFlow: the tensor option comes first
    assert Number(1).value == 1 and type(Number(1).value) is int
    assert Number(True).value is True
