"""Connectionist Temporal Classification (CTC): a loss and decoders for unaligned sequences.

A CTC model reads a sequence (the columns of a captcha image, the frames of a spectrogram)
and, at every time step, scores each class plus one extra *blank* class. The text it reads
is what remains after merging repeated classes and dropping the blanks, so ``"-hh-e-ll-lo"``
reads ``"hello"`` (two ``l`` need a blank between them). The loss sums the probability of
every such alignment of the label with the output steps, and the decoders turn the scores
back into text.

* :func:`ctc_loss`: the per-example loss of ``keras.ops.ctc_loss`` (batch-major logits,
  ``mask_index`` names the blank class);
* :func:`ctc_decode`: ``keras.ops.ctc_decode``, greedy or beam search;
* :func:`tf_ctc_loss`, :func:`ctc_greedy_decoder` and :func:`ctc_beam_search_decoder`:
  TensorFlow's ``tf.nn`` forms (time-major logits by default, sparse results).

The loss is the forward-backward algorithm in log space: ``alpha`` (the log-probability of
reading the first states of the label by step ``t``) runs forward over time, ``beta`` (of
reading the rest after ``t``) runs backward, and both are vectorised over the batch and the
states of the label (one loop over the time steps). Their product is the posterior of each
state at each step, and the gradient with respect to the logits is ``softmax - posterior``.

Examples
--------
>>> import numpy as np
>>> from learnet import ctc
>>> logits = np.zeros((1, 4, 3), dtype="float32")  # 4 steps, 2 classes and the blank 0
>>> loss = ctc.ctc_loss([[1, 2]], logits, [2], [4])
>>> round(float(loss[0]), 4)  # -log(15 alignments / 3 ** 4)
1.6864
"""

import numpy

from learnet.backend import xp
from learnet.ops.shape import transpose
from learnet.sparse import SparseTensor
from learnet.tape import primitive
from learnet.tensor import Tensor, to_array

__all__ = ["ctc_loss", "ctc_decode", "tf_ctc_loss", "ctc_greedy_decoder", "ctc_beam_search_decoder"]


# --- checks ------------------------------------------------------------------------------------
def _logits_tensor(value, who):
    if isinstance(value, Tensor):
        tensor = value
    else:
        try:
            tensor = Tensor(value)
        except (TypeError, ValueError) as error:
            raise TypeError(f"{who}: expected a tensor of scores, got {type(value).__name__} ({error})") from None
    if tensor.ndim != 3:
        raise ValueError(
            f"{who}: expected scores of shape (batch_size, max_length, num_classes), got shape {tuple(tensor.shape)}"
        )
    if tensor.dtype.name not in ("float16", "float32", "float64"):
        tensor = Tensor(to_array(tensor, "float32"))
    return tensor


def _integers(value, who, what):
    array = numpy.asarray(value.numpy() if isinstance(value, Tensor) else value)
    if array.dtype.kind == "f":
        if not numpy.all(array == numpy.round(array)):
            raise ValueError(f"{who}: {what} must hold whole numbers, got {array.dtype} values with fractions")
    elif array.dtype.kind not in "iub":
        raise TypeError(f"{who}: {what} must be integers, got dtype {array.dtype}")
    return array.astype(numpy.int64)


def _lengths(value, batch_size, who, what):
    lengths = _integers(value, who, what)
    if lengths.shape != (batch_size,):
        raise ValueError(f"{who}: {what} must have shape (batch_size,) = ({batch_size},), got {lengths.shape}")
    return lengths


def _blank(mask_index, num_classes, who):
    blank = num_classes - 1 if mask_index is None else int(mask_index)
    if blank < 0:
        blank += num_classes
    if not 0 <= blank < num_classes:
        raise ValueError(f"{who}: the blank index {mask_index} is outside the {num_classes} classes")
    return blank


def _check_labels(labels, label_length, logit_length, num_classes, blank, who):
    """The label lengths to use, after rejecting labels that no alignment can read (naming the
    example at fault).

    Labels outside the classes at the end of an example are padding, even when its
    ``target_length`` counts them (keras.io's handwriting example pads with 99 and gives the
    padded length): the example ends before them, as TensorFlow's sparse CTC and Keras 2's
    ``ctc_batch_cost`` read it. One outside the classes with a real label after it is an error.
    """
    batch_size, max_label_length = labels.shape
    lengths = numpy.array(label_length, copy=True)
    for b in range(batch_size):
        length = label_length[b]
        if not 0 <= length <= max_label_length:
            raise ValueError(f"{who}: target_length[{b}] = {length} is outside 0..{max_label_length}")
        label = labels[b, :length]
        outside = (label < 0) | (label >= num_classes)
        if outside.any():
            first = int(numpy.argmax(outside))
            if not outside[first:].all():
                raise ValueError(
                    f"{who}: example {b} has a label outside the {num_classes} classes before its last "
                    f"label: {label.tolist()}"
                )
            length = lengths[b] = first
            label = label[:first]
        if (label == blank).any():
            raise ValueError(
                f"{who}: example {b} uses the blank index {blank} as a label: {label.tolist()} "
                f"(give its target_length, or choose another mask_index)"
            )
        # Each label takes one step, and equal neighbours need a blank step between them.
        needed = int(length + numpy.count_nonzero(label[1:] == label[:-1]))
        if needed > logit_length[b]:
            raise ValueError(
                f"{who}: example {b} needs at least {needed} output steps for its {length} labels "
                f"(repeated labels need a blank between them), got output_length {logit_length[b]}"
            )
    return lengths


# --- the forward-backward algorithm ------------------------------------------------------------
def _log_softmax(x):
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=-1, keepdims=True))


def _logsumexp3(a, b, c):
    """``log(exp(a) + exp(b) + exp(c))``, elementwise, stable where all three are ``-inf``."""
    m = xp.maximum(xp.maximum(a, b), c)
    m = xp.where(xp.isfinite(m), m, 0.0)
    with numpy.errstate(divide="ignore"):
        return m + xp.log(xp.exp(a - m) + xp.exp(b - m) + xp.exp(c - m))


def _shift(x, by):
    """Move the states of ``x`` (last axis) ``by`` places right (left if negative), filling ``-inf``."""
    out = xp.full_like(x, -xp.inf)
    if by > 0:
        out[:, by:] = x[:, :-by]
    else:
        out[:, :by] = x[:, -by:]
    return out


def _extended_labels(labels, label_length, blank):
    """The label with a blank before, between and after its classes: ``a b`` -> ``- a - b -``.

    Also says into which states a path may *skip* a blank: a class state whose class differs
    from the class two states back.
    """
    batch_size, max_label_length = labels.shape
    inside = numpy.arange(max_label_length)[None, :] < label_length[:, None]
    states = numpy.full((batch_size, 2 * max_label_length + 1), blank, dtype=numpy.int64)
    states[:, 1::2] = numpy.where(inside, labels, blank)
    can_skip = numpy.zeros(states.shape, dtype=bool)
    can_skip[:, 3::2] = (states[:, 3::2] != states[:, 1:-2:2]) & inside[:, 1:]
    return states, can_skip


@primitive(inputs=1, higher_order=False)
def _ctc_loss_from_logits(logits, labels, label_length, logit_length, blank):
    """Per-example ``-log p(label | logits)``; logits ``(batch, time, classes)``, checked labels."""
    batch_size, max_time, num_classes = logits.shape
    states, can_skip = _extended_labels(labels, label_length, blank)
    states, can_skip = xp.asarray(states), xp.asarray(can_skip)
    log_probs = _log_softmax(logits)
    emit = xp.take_along_axis(log_probs, states[:, None, :], axis=2)  # (batch, time, states)
    steps = xp.asarray(logit_length)
    rows = xp.arange(batch_size)
    last = xp.asarray(2 * label_length)  # the final blank; the final class is the state before

    # alpha[t, b, s]: log-probability of the paths that read states 0..s with steps 0..t.
    alpha = xp.empty((max_time, batch_size, states.shape[1]), dtype=logits.dtype)
    previous = xp.full((batch_size, states.shape[1]), -xp.inf, dtype=logits.dtype)
    previous[:, 0] = 0.0  # before the first step, "nothing read yet" leads into state 0 or 1
    start = previous
    for t in range(max_time):
        skip = xp.where(can_skip, _shift(previous, 2), -xp.inf)
        current = _logsumexp3(previous, _shift(previous, 1), skip) + emit[:, t]
        previous = xp.where((t < steps)[:, None], current, previous)  # an example past its end stays
        alpha[t] = previous
    final = previous if max_time else start
    end_blank = final[rows, last]
    end_class = xp.where(last > 0, final[rows, xp.maximum(last - 1, 0)], -xp.inf)
    log_likelihood = xp.logaddexp(end_blank, end_class)
    loss = -log_likelihood

    def backward(g, logits, output):
        # beta[t, b, s]: log-probability of reading the states after s with the steps after t.
        beta = xp.empty_like(alpha)
        at_end = xp.full_like(start, -xp.inf)  # a path ends on the final blank or the final class
        with_labels = last > 0
        at_end[rows[with_labels], last[with_labels] - 1] = 0.0
        at_end[rows, last] = 0.0
        following = at_end
        for t in range(max_time - 1, -1, -1):
            if t < max_time - 1:
                ahead = following + emit[:, t + 1]
                skip_from = xp.zeros_like(can_skip)  # from state s a path may skip to s + 2
                skip_from[:, :-2] = can_skip[:, 2:]
                skip = xp.where(skip_from, _shift(ahead, -2), -xp.inf)
                following = _logsumexp3(ahead, _shift(ahead, -1), skip)
            following = xp.where((t >= steps - 1)[:, None], at_end, following)
            beta[t] = following
        inside = (xp.arange(max_time)[:, None] < steps[None, :])[:, :, None]  # (time, batch, 1)
        posterior = xp.where(inside, xp.exp(alpha + beta - log_likelihood[None, :, None]), 0.0)
        one_hot = (states[:, :, None] == xp.arange(num_classes)[None, None, :]).astype(logits.dtype)
        per_class = xp.matmul(posterior.transpose(1, 0, 2), one_hot)  # (batch, time, classes)
        softmax = xp.exp(log_probs) * inside.transpose(1, 0, 2)
        return (softmax - per_class) * g[:, None, None]

    return loss.astype(logits.dtype), backward


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """CTC loss of each example, as ``keras.ops.ctc_loss``.

    Parameters
    ----------
    target : array_like of int, shape (batch_size, max_label_length)
        The labels; entries past an example's ``target_length`` are padding (any value), and
        so are labels outside the classes at its end.
    output : tensor, shape (batch_size, max_length, num_classes)
        Logits (not softmax probabilities), time on axis 1.
    target_length, output_length : array_like of int, shape (batch_size,)
        How many labels and how many output steps each example has.
    mask_index : int, default 0
        The class of the blank (Keras calls it the mask character).

    Returns
    -------
    Tensor, shape (batch_size,)
        ``-log p(target | output)`` per example, in the float dtype of ``output``;
        differentiable with respect to ``output``.

    Raises
    ------
    ValueError
        For wrong ranks or shapes, and for a label that cannot be read in its output steps
        (longer than them, or with repeats that need blanks between them).

    Examples
    --------
    >>> import numpy as np
    >>> logits = np.log(np.array([[[0.1, 0.9], [0.1, 0.9]]], dtype="float32"))
    >>> round(float(ctc_loss([[1]], logits, [1], [2])[0]), 4)  # -log(.09 + .81 + .09)
    0.0101
    """
    who = "ctc_loss"
    output = _logits_tensor(output, who)
    batch_size, max_time, num_classes = output.shape
    labels = _integers(target, who, "target")
    if labels.ndim != 2:
        raise ValueError(f"{who}: expected target of shape (batch_size, max_label_length), got shape {labels.shape}")
    if labels.shape[0] != batch_size:
        raise ValueError(f"{who}: target has {labels.shape[0]} examples, output {batch_size}")
    label_length = _lengths(target_length, batch_size, who, "target_length")
    logit_length = _lengths(output_length, batch_size, who, "output_length")
    if (logit_length < 0).any() or (logit_length > max_time).any():
        raise ValueError(f"{who}: output_length {logit_length.tolist()} must lie in 0..{max_time}")
    blank = _blank(mask_index, num_classes, who)
    label_length = _check_labels(labels, label_length, logit_length, num_classes, blank, who)
    return _ctc_loss_from_logits(output, labels, label_length, logit_length, blank)


def tf_ctc_loss(
    labels, logits, label_length, logit_length, logits_time_major=True, unique=None, blank_index=None, name=None
):
    """CTC loss of each example, as TensorFlow's ``tf.nn.ctc_loss`` (``learnet.nn.ctc_loss``).

    Parameters
    ----------
    labels : array_like of int, shape (batch_size, max_label_length), or SparseTensor
        The labels (dense, padded past ``label_length``; or sparse, then ``label_length``
        may be ``None``).
    logits : tensor
        Unnormalised scores, ``(max_time, batch_size, num_classes)`` when
        ``logits_time_major`` (the default), else ``(batch_size, max_time, num_classes)``.
    label_length, logit_length : array_like of int, shape (batch_size,)
    unique : ignored
        TensorFlow's precomputed ``tf.nn.ctc_unique_labels``, an optimisation only.
    blank_index : int, optional
        The blank class; ``None`` means 0, a negative value counts from the end.

    Examples
    --------
    >>> import numpy as np
    >>> logits = np.zeros((4, 1, 3), dtype="float32")  # time-major
    >>> round(float(tf_ctc_loss([[1, 2]], logits, [2], [4])[0]), 4)
    1.6864
    """
    who = "tf.nn.ctc_loss"
    logits = _logits_tensor(logits, who)
    if logits_time_major:
        logits = transpose(logits, (1, 0, 2))
    if isinstance(labels, SparseTensor):
        dense = numpy.full(tuple(int(s) for s in labels.dense_shape.numpy()), 0, dtype=numpy.int64)
        indices = labels.indices.numpy()
        dense[indices[:, 0], indices[:, 1]] = labels.values.numpy()
        if label_length is None:
            label_length = numpy.bincount(indices[:, 0], minlength=dense.shape[0])
        labels = dense
    if blank_index is None:
        blank_index = 0
    return ctc_loss(labels, logits, label_length, logit_length, mask_index=blank_index)


# --- decoding ----------------------------------------------------------------------------------
def _numpy(value):
    array = value._value if isinstance(value, Tensor) else value
    return numpy.asarray(array.get() if hasattr(array, "get") else array)


def _greedy(scores, lengths, merge_repeated, blank):
    """The best class at each step, repeats merged, blanks dropped and the rest moved left."""
    batch_size, max_time, _ = scores.shape
    best = scores.argmax(axis=-1)
    best_score = scores.max(axis=-1)
    past_end = numpy.arange(max_time)[None, :] >= lengths[:, None]
    best = numpy.where(past_end, blank, best)
    best_score = numpy.where(past_end, 0.0, best_score)
    if merge_repeated:
        repeat = numpy.zeros_like(past_end)
        repeat[:, 1:] = best[:, 1:] == best[:, :-1]
        best = numpy.where(repeat, blank, best)
    decoded = numpy.full((batch_size, max_time), -1, dtype=numpy.int32)
    for b in range(batch_size):
        kept = best[b][best[b] != blank]
        decoded[b, : kept.size] = kept
    return decoded, -best_score.sum(axis=1, keepdims=True)


def _merge(inverse, scores, size):
    """Add the probabilities of the scores that share a path (``inverse``), in log space."""
    top = scores.max()
    with numpy.errstate(divide="ignore", invalid="ignore"):
        total = numpy.zeros(size, dtype=scores.dtype)
        numpy.add.at(total, inverse, numpy.exp(scores - top))
        return numpy.log(total) + top


def _unique_rows(paths, size):
    """Sorted distinct rows of ``paths`` padded with rows of -1 to ``size``, and where each row went."""
    unique, inverse = numpy.unique(paths, axis=0, return_inverse=True)
    padded = numpy.full((size, paths.shape[1]), -1, dtype=paths.dtype)
    padded[: len(unique)] = unique
    return padded, inverse.reshape(-1)


def _beam_search_one(log_probs, length, beam_width, top_paths, blank):
    """Beam search over one example's ``(time, classes)`` log-probabilities.

    Each beam keeps two scores: paths whose last step emitted a class, and paths whose last
    step was a blank (after a blank, the same class again starts a new label). The classes
    are numbered backwards inside so that ties break as in TensorFlow.
    """
    max_time, num_classes = log_probs.shape
    log_probs = log_probs[:, ::-1]
    blank = num_classes - blank - 1
    width = 2 * beam_width
    paths = numpy.full((width, max_time), -1, dtype=numpy.int64)
    first = min(num_classes, beam_width)
    best = numpy.argsort(log_probs[0], kind="stable")[-first:]
    paths[:first, 0] = numpy.where(best == blank, -1, best)
    scores = numpy.full(width, -numpy.inf, dtype=log_probs.dtype)
    scores[:first] = log_probs[0, best]
    masked = paths[:, 0] == -1
    classes = numpy.arange(num_classes)
    classes[blank] = -1
    classes = numpy.tile(classes, width)
    rows = numpy.arange(width * num_classes)
    for t in range(1, min(length, max_time)):
        # extend every path by every class
        paths = numpy.repeat(paths, num_classes, axis=0)
        scores = numpy.repeat(scores, num_classes) + numpy.tile(log_probs[t], width)
        was_masked = numpy.repeat(masked, num_classes)
        tail = numpy.argmax(paths == -1, axis=1)
        tails = numpy.where(tail == 0, -1, paths[rows, tail - 1])
        masked = classes == -1
        added = numpy.where(~was_masked & (tails == classes), -1, classes)  # a repeat merges
        paths[rows, tail] = added
        # merge equal paths and keep the best
        paths, inverse = _unique_rows(paths, width * num_classes)
        emit = _merge(inverse, numpy.where(masked, -numpy.inf, scores), width * num_classes)
        blank_end = _merge(inverse, numpy.where(masked, scores, -numpy.inf), width * num_classes)
        keep = numpy.argsort(numpy.logaddexp(emit, blank_end), kind="stable")[-beam_width:]
        paths = numpy.tile(paths[keep], (2, 1))
        scores = numpy.concatenate([emit[keep], blank_end[keep]])
        masked = numpy.concatenate([numpy.zeros(beam_width, bool), numpy.ones(beam_width, bool)])
    paths, inverse = _unique_rows(paths, width * num_classes)
    scores = _merge(inverse, scores, len(scores))
    keep = numpy.argsort(scores, kind="stable")[-top_paths:][::-1]
    paths = paths[keep]
    return numpy.where(paths == -1, -1, num_classes - paths - 1), scores[keep]


def _beam_search(log_probs, lengths, beam_width, top_paths, blank):
    results = [_beam_search_one(log_probs[b], lengths[b], beam_width, top_paths, blank) for b in range(len(lengths))]
    paths = numpy.stack([p for p, _ in results], axis=1).astype(numpy.int32)  # (top_paths, batch, time)
    return paths, numpy.stack([s for _, s in results])


def _decoder_inputs(inputs, sequence_lengths, who):
    scores = _logits_tensor(inputs, who)
    values = _numpy(scores)
    lengths = _integers(sequence_lengths, who, "sequence_lengths").reshape(-1)
    if lengths.shape != (values.shape[0],):
        raise ValueError(
            f"{who}: sequence_lengths must have one length per example ({values.shape[0]}), got {lengths.shape}"
        )
    return values, lengths


def ctc_decode(
    inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1, merge_repeated=True, mask_index=0
):
    """Read the labels from a CTC model's output, as ``keras.ops.ctc_decode``.

    Parameters
    ----------
    inputs : tensor, shape (batch_size, max_length, num_classes)
        Logits (beam search applies ``log_softmax`` itself; greedy uses them as they are).
    sequence_lengths : array_like of int, shape (batch_size,)
    strategy : {"greedy", "beam_search"}
    beam_width, top_paths : int
        Beam search only: how many paths to keep at each step and how many to return.
    merge_repeated : bool, default True
        Greedy only: merge equal neighbours into one label.
    mask_index : int or None, default 0
        The blank class (``None``: the last).

    Returns
    -------
    decoded : Tensor of int32, shape (top_paths, batch_size, max_length)
        The labels of each path, left-aligned and padded with ``-1`` (greedy: ``top_paths`` is 1).
    scores : Tensor, shape (batch_size, top_paths)
        Greedy: minus the sum of the best logit of each step. Beam search: the
        log-probability of each path.

    Examples
    --------
    >>> import numpy as np
    >>> steps = np.eye(3, dtype="float32")[[1, 1, 0, 1, 2]]  # one-hot "a a - a b"
    >>> decoded, _ = ctc_decode(steps[None], [5])
    >>> decoded.numpy()
    array([[[ 1,  1,  2, -1, -1]]], dtype=int32)
    """
    who = "ctc_decode"
    values, lengths = _decoder_inputs(inputs, sequence_lengths, who)
    blank = _blank(mask_index, values.shape[2], who)
    if strategy == "greedy":
        decoded, scores = _greedy(values, lengths, merge_repeated, blank)
        return Tensor(decoded[None]), Tensor(scores.astype(values.dtype))
    if strategy == "beam_search":
        if int(beam_width) < 1 or not 1 <= int(top_paths) <= int(beam_width):
            raise ValueError(f"{who}: need 1 <= top_paths <= beam_width, got {top_paths} and {beam_width}")
        log_probs = _numpy(Tensor._wrap(_log_softmax(xp.asarray(values))))
        decoded, scores = _beam_search(log_probs, lengths, int(beam_width), int(top_paths), blank)
        return Tensor(decoded), Tensor(scores.astype(values.dtype))
    raise ValueError(f"{who}: strategy must be 'greedy' or 'beam_search', got {strategy!r}")


def _to_sparse(decoded):
    """One ``SparseTensor`` of int64 labels, ``(batch_size, longest)``, from left-aligned rows padded with -1."""
    rows, columns = numpy.nonzero(decoded >= 0)
    longest = int(columns.max()) + 1 if columns.size else 0
    return SparseTensor(
        numpy.stack([rows, columns], axis=1),
        Tensor(decoded[rows, columns].astype(numpy.int64)),
        (len(decoded), longest),
    )


def ctc_greedy_decoder(inputs, sequence_length, merge_repeated=True, blank_index=None):
    """TensorFlow's ``tf.nn.ctc_greedy_decoder``: the best class of each step.

    Parameters
    ----------
    inputs : tensor, shape (max_time, batch_size, num_classes)
        Logits, time-major.
    sequence_length : array_like of int, shape (batch_size,)
    merge_repeated : bool, default True
    blank_index : int, optional
        The blank class; ``None`` means the last one, a negative value counts from the end.

    Returns
    -------
    decoded : list of one SparseTensor, shape (batch_size, longest decoded)
    neg_sum_logits : Tensor, shape (batch_size, 1)

    Examples
    --------
    >>> import numpy as np
    >>> steps = np.eye(3, dtype="float32")[[0, 2, 1]][:, None]  # "a - b", blank last
    >>> decoded, _ = ctc_greedy_decoder(steps, [3])
    >>> decoded[0].values.numpy()
    array([0, 1])
    """
    who = "tf.nn.ctc_greedy_decoder"
    values, lengths = _decoder_inputs(
        Tensor(_numpy(_logits_tensor(inputs, who)).transpose(1, 0, 2)), sequence_length, who
    )
    blank = _blank(blank_index, values.shape[2], who)
    decoded, scores = _greedy(values, lengths, merge_repeated, blank)
    return [_to_sparse(decoded)], Tensor(scores.astype(values.dtype))


def ctc_beam_search_decoder(inputs, sequence_length, beam_width=100, top_paths=1):
    """TensorFlow's ``tf.nn.ctc_beam_search_decoder``: the ``top_paths`` most likely labels.

    ``inputs`` are time-major logits ``(max_time, batch_size, num_classes)``; the blank is
    the last class. Returns a list of ``top_paths`` SparseTensors and their
    log-probabilities, shape ``(batch_size, top_paths)``.

    Examples
    --------
    >>> import numpy as np
    >>> steps = np.log(np.eye(3, dtype="float32")[[0, 2, 1]][:, None] * 0.9 + 0.05)
    >>> decoded, _ = ctc_beam_search_decoder(steps, [3], beam_width=4)
    >>> decoded[0].values.numpy()
    array([0, 1])
    """
    who = "tf.nn.ctc_beam_search_decoder"
    batch_major = Tensor(_numpy(_logits_tensor(inputs, who)).transpose(1, 0, 2))
    decoded, scores = ctc_decode(
        batch_major, sequence_length, strategy="beam_search", beam_width=beam_width, top_paths=top_paths, mask_index=-1
    )
    return [_to_sparse(path) for path in decoded.numpy()], scores
