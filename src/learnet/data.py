"""``learnet.data``: the small part of ``tf.data`` that course code uses.

A ``Dataset`` is a re-iterable sequence of elements (a tensor, or a tuple or dict
of tensors). Course code builds one from arrays, shuffles and batches it, and loops
over it in a custom training loop or passes it to ``model.fit``::

    ds = learnet.data.Dataset.from_tensor_slices((x_train, y_train))
    ds = ds.shuffle(10000).batch(32)
    for x_batch, y_batch in ds:
        ...

Elements are computed lazily, one pass at a time; ``shuffle`` draws a new order on
every pass (``reshuffle_each_iteration=True``, as TensorFlow). Slices of arrays are
batched by NumPy indexing, not element by element, so batching is fast.
"""

import os
import types

import numpy

from learnet import backend
from learnet.batching import Batcher
from learnet.control import TensorSpec
from learnet.tensor import Tensor
from learnet.tree import flatten, map_structure

AUTOTUNE = -1


def _lists_as_tensors(structure):
    """TensorFlow reads a list as one tensor (its rows stacked); tuples and dicts stay structures."""
    if isinstance(structure, tuple):
        return tuple(_lists_as_tensors(s) for s in structure)
    if isinstance(structure, dict):
        return {k: _lists_as_tensors(v) for k, v in structure.items()}
    if isinstance(structure, list):
        try:
            return numpy.asarray([numpy.asarray(item) for item in structure])
        except ValueError:
            return structure
    return structure


def _as_array(value):
    if isinstance(value, Tensor):
        return value.numpy()
    array = numpy.asarray(value)
    if array.dtype == numpy.float64:
        array = array.astype(backend.floatx())
    return array


def _to_tensors(structure):
    # A NumPy scalar keeps its dtype (an int64 element stays int64, as its element_spec says);
    # text goes through Tensor() to become a string tensor of bytes.
    def to_tensor(a):
        if isinstance(a, (numpy.ndarray, numpy.generic)) and a.dtype.kind not in "US":
            return Tensor._wrap(numpy.asarray(a))
        return Tensor(a)

    return map_structure(to_tensor, structure)


class Dataset:
    """A re-iterable pipeline of elements; build one with ``from_tensor_slices``.

    Examples
    --------
    >>> import numpy as np
    >>> from learnet.data import Dataset
    >>> ds = Dataset.from_tensor_slices((np.arange(5.0), np.arange(5))).batch(2)
    >>> [y.numpy().tolist() for _, y in ds]
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, make_iterator, length=None, spec=None):
        # make_iterator() starts a new pass and yields elements as NumPy structures.
        # spec() gives the element_spec a transformation knows without running the pipeline
        # (None: it is read from the first element).
        self._make_iterator = make_iterator
        self._length = length
        self._spec = spec

    # --- sources ----------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors):
        """One element per index of the first axis of ``tensors`` (an array or a tuple/dict of them).

        A Python list is one tensor, as in TensorFlow (``from_tensor_slices([1, 2, 3])``
        gives three numbers); tuples and dicts are structures of several tensors.
        """
        arrays = map_structure(_as_array, _lists_as_tensors(tensors))
        leaves = flatten(arrays)
        if not leaves:
            raise ValueError("from_tensor_slices needs at least one array")
        lengths = {leaf.shape[0] if leaf.ndim else None for leaf in leaves}
        if None in lengths:
            raise ValueError("from_tensor_slices: every array needs a first axis to slice along")
        if len(lengths) > 1:
            raise ValueError(f"from_tensor_slices: arrays have different first dimensions {sorted(lengths)}")
        length = lengths.pop()
        dataset = Dataset(
            lambda: (map_structure(lambda a: a[i], arrays) for i in range(length)),
            length,
            lambda: map_structure(lambda a: _spec_of(a.shape[1:], a.dtype), arrays),
        )
        dataset._arrays = arrays  # lets shuffle/batch index the arrays directly (fast path)
        return dataset

    @staticmethod
    def from_tensors(tensors):
        """A dataset of exactly one element: ``tensors``."""
        arrays = map_structure(_as_array, tensors)
        return Dataset(lambda: iter([arrays]), 1, lambda: map_structure(lambda a: _spec_of(a.shape, a.dtype), arrays))

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None, output_signature=None):
        """The elements a generator yields; ``generator`` is called again for every pass.

        ``output_signature`` / ``output_types`` / ``output_shapes`` are accepted for
        compatibility (they give ``element_spec``): learnet takes the elements as they come.
        """
        if not callable(generator):
            raise TypeError(
                f"from_generator expects a function that returns a generator, got {type(generator).__name__}"
            )
        arguments = tuple(args) if args is not None else ()

        def spec():
            if output_signature is not None:
                return output_signature
            if output_types is not None:
                return _zip_specs(output_types, output_shapes)
            return None

        known = output_signature is not None or output_types is not None
        return Dataset(
            lambda: (map_structure(_as_array, e) for e in generator(*arguments)), None, spec if known else None
        )

    @staticmethod
    def zip(*datasets):
        """Pair up the elements of several datasets (a tuple of datasets, or them as arguments)."""
        if len(datasets) == 1 and isinstance(datasets[0], (tuple, list)):
            datasets = tuple(datasets[0])
        if not datasets or not all(isinstance(d, Dataset) for d in datasets):
            raise TypeError("Dataset.zip expects datasets, e.g. Dataset.zip((images, labels))")
        lengths = [d._length for d in datasets]
        length = None if None in lengths else min(lengths)
        return Dataset(
            lambda: zip(*(d._make_iterator() for d in datasets)),
            length,
            lambda: tuple(d.element_spec for d in datasets),
        )

    @staticmethod
    def range(*args):
        """Like Python's ``range``, as a dataset of int64 scalars."""
        values = numpy.arange(*args, dtype=numpy.int64)
        return Dataset.from_tensor_slices(values)

    # --- transformations -------------------------------------------------------------------
    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True):
        """Shuffle elements: a new order each pass (a full shuffle when the buffer covers the data)."""
        if int(buffer_size) < 1:
            raise ValueError(f"shuffle: buffer_size must be at least 1, got {buffer_size}")
        buffer_size = int(buffer_size)
        fixed = numpy.random.default_rng(seed) if seed is not None else None
        first_order = []

        def generator():
            return fixed if fixed is not None else backend.host_rng()

        arrays = getattr(self, "_arrays", None)
        if arrays is not None and self._length is not None and buffer_size >= self._length:
            length = self._length

            def order():
                if reshuffle_each_iteration or not first_order:
                    first_order[:] = [generator().permutation(length)]
                return first_order[0]

            dataset = Dataset(
                lambda: (map_structure(lambda a: a[i], arrays) for i in order()), length, self._known_spec
            )
            dataset._arrays = arrays
            dataset._order = order
            return dataset

        source = self

        def make_buffered():
            rng = generator()
            buffer = []
            for element in source._make_iterator():
                if len(buffer) < buffer_size:
                    buffer.append(element)
                    continue
                index = rng.integers(len(buffer))
                yield buffer[index]
                buffer[index] = element
            order = rng.permutation(len(buffer))
            for index in order:
                yield buffer[index]

        return Dataset(make_buffered, self._length, self._known_spec)

    def batch(self, batch_size, drop_remainder=False):
        """Group consecutive elements into batches (stacked along a new first axis)."""
        if isinstance(batch_size, bool) or int(batch_size) < 1:
            raise ValueError(f"batch: batch_size must be a positive integer, got {batch_size!r}")
        batch_size = int(batch_size)
        length = None
        if self._length is not None:
            length = self._length // batch_size if drop_remainder else -(-self._length // batch_size)
        batched_spec = self._batched_spec(batch_size if drop_remainder else None)
        arrays = getattr(self, "_arrays", None)
        if arrays is not None and self._length is not None:
            # Fast path: the shared Batcher indexes the arrays with whole batches of positions
            # (copies, so changing a batch never changes the dataset).
            total = self._length
            batcher = Batcher(
                arrays,
                batch_size=batch_size,
                shuffle=False,
                drop_last=drop_remainder,
                order=getattr(self, "_order", None) or (lambda: numpy.arange(total)),
            )
            return Dataset(lambda: iter(batcher), length, batched_spec)

        source = self

        def make():
            batch = []
            for element in source._make_iterator():
                batch.append(element)
                if len(batch) == batch_size:
                    yield _stack(batch)
                    batch = []
            if batch and not drop_remainder:
                yield _stack(batch)

        return Dataset(make, length, batched_spec)

    def map(self, map_func, num_parallel_calls=None):
        """Apply ``map_func`` to every element (a tuple element is passed as separate arguments)."""
        source = self

        def make():
            for element in source._make_iterator():
                tensors = _to_tensors(element)
                result = map_func(*tensors) if isinstance(tensors, tuple) else map_func(tensors)
                yield map_structure(_as_array, result)

        mapped = Dataset(make, self._length)
        mapped._spec = lambda: _mapped_spec(source, mapped)
        return mapped

    def filter(self, predicate):
        """Keep the elements for which ``predicate`` is true."""
        source = self

        def make():
            for element in source._make_iterator():
                tensors = _to_tensors(element)
                keep = predicate(*tensors) if isinstance(tensors, tuple) else predicate(tensors)
                if bool(keep):
                    yield element

        return Dataset(make, None, self._known_spec)

    def take(self, count):
        """The first ``count`` elements (all of them if ``count`` is -1)."""
        count = int(count)
        source = self

        def make():
            for i, element in enumerate(source._make_iterator()):
                if 0 <= count <= i:
                    return
                yield element

        length = self._length if count < 0 or self._length is None else min(count, self._length)
        return Dataset(make, length, self._known_spec)

    def skip(self, count):
        """All but the first ``count`` elements."""
        count = int(count)
        source = self

        def make():
            for i, element in enumerate(source._make_iterator()):
                if i >= count:
                    yield element

        length = None if self._length is None else max(self._length - count, 0)
        return Dataset(make, length, self._known_spec)

    def repeat(self, count=None):
        """Repeat the dataset ``count`` times (forever if ``None``)."""
        source = self

        def make():
            passes = 0
            while count is None or count < 0 or passes < count:
                empty = True
                for element in source._make_iterator():
                    empty = False
                    yield element
                passes += 1
                if empty:
                    return

        length = None if count is None or count < 0 or self._length is None else self._length * count
        return Dataset(make, length, self._known_spec)

    def unbatch(self):
        """Split each element (a batch) back into its rows: the opposite of ``batch``."""
        source = self

        def make():
            for element in source._make_iterator():
                leaves = flatten(element)
                if not leaves or any(leaf.ndim == 0 for leaf in leaves):
                    raise ValueError("unbatch: every element must be batched (have a first axis)")
                for i in range(leaves[0].shape[0]):
                    yield map_structure(lambda a: a[i], element)

        def spec():
            batched = self.element_spec
            if any(leaf.shape is not None and len(leaf.shape) == 0 for leaf in flatten(batched)):
                raise ValueError("unbatch: every element must be batched (have a first axis)")
            return map_structure(
                lambda leaf: TensorSpec(None if leaf.shape is None else leaf.shape[1:], leaf.dtype), batched
            )

        return Dataset(make, None, spec)

    def concatenate(self, dataset):
        """This dataset's elements, then those of ``dataset``."""
        if not isinstance(dataset, Dataset):
            raise TypeError(f"concatenate expects a Dataset, got {type(dataset).__name__}")
        first, second = self, dataset
        length = None if None in (first._length, second._length) else first._length + second._length

        def make():
            yield from first._make_iterator()
            yield from second._make_iterator()

        return Dataset(make, length, lambda: _most_specific_common(first.element_spec, second.element_spec))

    def enumerate(self, start=0):
        """Pairs ``(index, element)``, counting from ``start``."""
        source = self
        return Dataset(
            lambda: ((numpy.int64(i), e) for i, e in enumerate(source._make_iterator(), start)),
            self._length,
            lambda: (TensorSpec((), "int64"), source.element_spec),
        )

    def prefetch(self, buffer_size=None):
        """Accepted for compatibility: learnet reads data in the training process."""
        return self

    def cache(self, filename=""):
        """Accepted for compatibility: the elements already live in memory."""
        return self

    # --- what an element looks like ----------------------------------------------------------
    @property
    def element_spec(self):
        """The structure of ``tf.TensorSpec`` that every element matches (``tf.data``'s ``element_spec``).

        A batch dimension that may be smaller in the last batch is ``None``, as in TensorFlow.

        Examples
        --------
        >>> import numpy as np, learnet as tf
        >>> ds = tf.data.Dataset.from_tensor_slices((np.zeros((4, 3), "float32"), np.arange(4)))
        >>> ds.batch(2).element_spec
        (TensorSpec(shape=(None, 3), dtype=tf.float32, name=None), TensorSpec(shape=(None,), dtype=tf.int64, name=None))
        """
        if self._spec is not None:
            return self._spec()
        for element in self._make_iterator():
            return map_structure(lambda a: _spec_of(numpy.shape(a), numpy.asarray(a).dtype), element)
        raise ValueError("element_spec: this dataset has no elements to read its structure from")

    def _known_spec(self):
        return self.element_spec

    def _batched_spec(self, batch_dimension):
        def spec():
            return map_structure(
                lambda leaf: TensorSpec(None if leaf.shape is None else (batch_dimension, *leaf.shape), leaf.dtype),
                self.element_spec,
            )

        return spec

    # --- reading ---------------------------------------------------------------------------
    def __iter__(self):
        for element in self._make_iterator():
            yield _to_tensors(element)

    def as_numpy_iterator(self):
        """Iterate over the elements as NumPy arrays."""
        return iter(self._make_iterator())

    def __len__(self):
        if self._length is None:
            raise TypeError("the length of this dataset is unknown (it is filtered or infinite)")
        return self._length

    def cardinality(self):
        """The number of elements, or -2 when unknown (TensorFlow's UNKNOWN)."""
        return self._length if self._length is not None else -2

    def __repr__(self):
        return f"<learnet.data.Dataset length={self._length if self._length is not None else 'unknown'}>"


def _spec_of(shape, dtype):
    # Text arrays (NumPy's str and bytes kinds) become string tensors when read.
    return TensorSpec(shape, numpy.object_ if numpy.dtype(dtype).kind in "USO" else dtype)


def _zip_specs(types, shapes):
    if isinstance(types, dict):
        return {key: _zip_specs(types[key], None if shapes is None else shapes[key]) for key in types}
    if isinstance(types, (tuple, list)):
        return tuple(_zip_specs(t, None if shapes is None else shapes[i]) for i, t in enumerate(types))
    return TensorSpec(shapes, types)


def _most_specific_common(a, b):
    """One spec both structures fit: sizes that differ become ``None`` (``concatenate``)."""
    if flatten(map_structure(lambda _: 0, a)) != flatten(map_structure(lambda _: 0, b)) or type(a) is not type(b):
        raise TypeError(f"concatenate: the datasets have different structures: {a} and {b}")
    pairs = zip(flatten(a), flatten(b))
    merged = []
    for left, right in pairs:
        if left.dtype != right.dtype:
            raise TypeError(f"concatenate: the datasets have different dtypes: {left} and {right}")
        if left.shape is None or right.shape is None or len(left.shape) != len(right.shape):
            merged.append(TensorSpec(None, left.dtype))
        else:
            merged.append(TensorSpec([p if p == q else None for p, q in zip(left.shape, right.shape)], left.dtype))
    iterator = iter(merged)
    return map_structure(lambda _: next(iterator), a)


def _mapped_spec(source, mapped):
    # The function is run on the first element (TensorFlow traces it once). A batch axis that
    # is None in the input stays None in the output, for every output that keeps it.
    for element in mapped._make_iterator():
        first = source._make_iterator()
        batch = None
        source_leaves = flatten(source.element_spec)
        if source_leaves and all(leaf.shape and leaf.shape[0] is None for leaf in source_leaves):
            batch = numpy.shape(flatten(next(iter(first)))[0])[0]

        def spec(a):
            shape = numpy.shape(a)
            if batch is not None and len(shape) and shape[0] == batch:
                shape = (None, *shape[1:])
            return _spec_of(shape, numpy.asarray(a).dtype)

        return map_structure(spec, element)
    raise ValueError("element_spec: this dataset has no elements to read its structure from")


def _stack(elements):
    first = elements[0]
    if isinstance(first, tuple):
        return tuple(_stack([e[i] for e in elements]) for i in range(len(first)))
    if isinstance(first, list):
        return [_stack([e[i] for e in elements]) for i in range(len(first))]
    if isinstance(first, dict):
        return {k: _stack([e[k] for e in elements]) for k in first}
    return numpy.stack(elements)


# Older TensorFlow code reaches these through `tf.data.experimental`.
experimental = types.SimpleNamespace(
    AUTOTUNE=AUTOTUNE,
    cardinality=lambda dataset: dataset.cardinality(),
    UNKNOWN_CARDINALITY=-2,
    INFINITE_CARDINALITY=-1,
)


def TextLineDataset(filenames, compression_type=None, buffer_size=None, num_parallel_reads=None, name=None):  # noqa: N802 - TF's name
    """The lines of text files, one string tensor per line, without their line endings.

    Examples
    --------
    >>> import learnet as tf, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "lines.txt")
    >>> _ = open(path, "w").write("first\\nsecond\\n")
    >>> [line.numpy() for line in tf.data.TextLineDataset(path)]
    [b'first', b'second']
    """
    if compression_type not in (None, ""):
        raise ValueError(f"TextLineDataset: compressed files ({compression_type}) are not supported")
    if isinstance(filenames, Tensor):
        filenames = filenames.numpy().tolist()
    names = [filenames] if isinstance(filenames, (str, bytes, os.PathLike)) else list(filenames)
    names = [os.fsdecode(n) for n in names]
    for path in names:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"TextLineDataset: no file {path!r}")

    def lines():
        for path in names:
            with open(path, "rb") as stream:
                for line in stream:
                    yield numpy.array(line.rstrip(b"\r\n"), dtype=object)

    return Dataset(lines, None, lambda: TensorSpec((), numpy.object_))
