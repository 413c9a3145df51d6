"""``tf.config``: the devices learnet computes on, and the runtime settings TensorFlow code asks of them.

learnet computes on one device per process: the CPU with NumPy, or the GPU with CuPy
(``LEARNET_BACKEND=cupy``). This module describes that device the way TensorFlow does
(``PhysicalDevice``, ``LogicalDevice``, visible devices, memory statistics) and keeps the
settings course code sets (threads, soft placement, synchronous execution), with
TensorFlow's rules about when a setting may still change.

Devices count as *initialized* once ``list_logical_devices`` has been called or a
``Variable`` exists (the moment ``backend.set_backend`` stops allowing a switch too).
From then on, as in TensorFlow, the visible devices and the thread pools are fixed and
changing them raises ``RuntimeError``. (TensorFlow initializes on its first op of any
kind; learnet is more lenient before the first Variable.)

``tf.sysconfig`` (what learnet was built with) lives here as well; ``tf.test``'s
device questions are in ``learnet.test``.

Examples
--------
>>> import learnet as tf
>>> tf.config.list_physical_devices("CPU")
[PhysicalDevice(name='/physical_device:CPU:0', device_type='CPU')]
>>> tf.config.threading.get_inter_op_parallelism_threads()
0
"""

import collections
import contextlib
import os
import re
import tracemalloc
import types

import numpy

from learnet import backend, errors, warn
from learnet.ops import parallel

__all__ = [
    "PhysicalDevice",
    "LogicalDevice",
    "LogicalDeviceConfiguration",
    "list_physical_devices",
    "list_logical_devices",
    "get_visible_devices",
    "set_visible_devices",
    "get_logical_device_configuration",
    "set_logical_device_configuration",
    "get_soft_device_placement",
    "set_soft_device_placement",
    "run_functions_eagerly",
    "functions_run_eagerly",
    "experimental_run_functions_eagerly",
    "experimental_functions_run_eagerly",
    "threading",
    "experimental",
    "optimizer",
    "device",
    "sysconfig",
]


class PhysicalDevice(collections.namedtuple("PhysicalDevice", ["name", "device_type"])):
    """A device of this machine, as ``tf.config.list_physical_devices`` lists it.

    Examples
    --------
    >>> from learnet.device_config import PhysicalDevice
    >>> PhysicalDevice("/physical_device:CPU:0", "CPU")
    PhysicalDevice(name='/physical_device:CPU:0', device_type='CPU')
    """

    __slots__ = ()


class LogicalDevice(collections.namedtuple("LogicalDevice", ["name", "device_type"])):
    """A device ops run on, as ``tf.config.list_logical_devices`` lists it (``/device:CPU:0``).

    Examples
    --------
    >>> from learnet.device_config import LogicalDevice
    >>> LogicalDevice("/device:CPU:0", "CPU")
    LogicalDevice(name='/device:CPU:0', device_type='CPU')
    """

    __slots__ = ()


class LogicalDeviceConfiguration:
    """A logical device's settings (``tf.config.LogicalDeviceConfiguration``); see
    ``set_logical_device_configuration``: learnet does not create logical devices."""

    def __init__(self, memory_limit=None, experimental_priority=None, experimental_device_ordinal=None):
        self.memory_limit = memory_limit
        self.experimental_priority = experimental_priority
        self.experimental_device_ordinal = experimental_device_ordinal


_CPU = PhysicalDevice("/physical_device:CPU:0", "CPU")
_GPU = PhysicalDevice("/physical_device:GPU:0", "GPU")


def _fresh_state():
    """The settings of a process that has changed none (what tests start from)."""
    return {
        "initialized": False,  # list_logical_devices was called, or a Variable was seen
        "hidden": set(),  # names of the physical devices made invisible
        "gpu_hidden": False,  # the GPU was hidden, so learnet switched from CuPy to NumPy
        "soft_placement": True,  # on by default, as in TensorFlow
        "synchronous": True,
        "tensor_float_32": True,
        "inter_op": None,  # None: never set (read as 0, the system's choice)
        "intra_op": None,
        "threads_before": None,  # learnet's element-wise threads before intra_op first changed them
        "blas_limits": None,  # threadpoolctl's limiter while intra_op limits BLAS
        "gpu_peak": 0,  # the GPU memory pool's highest use seen (CuPy keeps no peak)
    }


_state = _fresh_state()
_memory_growth = {}  # GPU device name -> the memory growth asked for


def _variables_exist():
    """Whether any learnet Variable is alive (the check ``backend.set_backend`` makes)."""
    return any(guard() for guard in backend._switch_guards)


def _initialized():
    if not _state["initialized"] and _variables_exist():
        _state["initialized"] = True
    return _state["initialized"]


def _as_flag(value, who, default):
    """A Python bool from ``value`` (a bool, NumPy's bool or 0/1); ``None`` gives the default."""
    if value is None:
        return default
    if not isinstance(value, (int, numpy.bool_)):  # Python's bool is an int
        raise TypeError(f"{who} expects a bool, got {type(value).__name__} {value!r}")
    return bool(value)


# --- the devices ---------------------------------------------------------------------------------


def _physical_devices():
    devices = [_CPU]
    if backend.name() == "cupy" or _state["gpu_hidden"]:
        devices.append(_GPU)
    return devices


def list_physical_devices(device_type=None):
    """The devices of this machine learnet can compute on (``tf.config.list_physical_devices``).

    Parameters
    ----------
    device_type : str, optional
        ``"CPU"`` or ``"GPU"`` (spelled as TensorFlow does: ``"gpu"`` matches nothing);
        all devices when omitted.

    Returns
    -------
    list of PhysicalDevice
        The CPU, and the GPU when learnet computes with CuPy.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.config.list_physical_devices()
    [PhysicalDevice(name='/physical_device:CPU:0', device_type='CPU')]
    >>> tf.config.list_physical_devices("GPU")   # on NumPy's backend
    []
    """
    return [d for d in _physical_devices() if device_type is None or d.device_type == device_type]


def get_visible_devices(device_type=None):
    """The physical devices learnet may use (``tf.config.get_visible_devices``).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.config.get_visible_devices()
    [PhysicalDevice(name='/physical_device:CPU:0', device_type='CPU')]
    """
    return [d for d in list_physical_devices(device_type) if d.name not in _state["hidden"]]


def set_visible_devices(devices, device_type=None):
    """Choose the physical devices learnet may use (``tf.config.set_visible_devices``).

    Setting the devices that are visible already is always accepted. Hiding the GPU
    (under CuPy) makes learnet compute with NumPy, and is allowed only before the devices
    are initialized, as in TensorFlow. The CPU cannot be hidden: TensorFlow accepts that
    and then fails every op with ``NotFoundError``; learnet raises that error at once.

    Parameters
    ----------
    devices : PhysicalDevice or list of PhysicalDevice
        Devices from ``list_physical_devices``.
    device_type : str, optional
        Only devices of this type are set; the others keep their visibility.

    Raises
    ------
    ValueError
        For a device that is not one of ``list_physical_devices(device_type)``.
    RuntimeError
        When the devices changed after being initialized.
    tf.errors.NotFoundError
        When the CPU would be hidden. In every case nothing changes.

    Examples
    --------
    >>> import learnet as tf
    >>> cpus = tf.config.list_physical_devices("CPU")
    >>> tf.config.set_visible_devices(cpus, "CPU")
    >>> tf.config.set_visible_devices([], "GPU")
    """
    chosen = devices if isinstance(devices, list) else [devices]
    allowed = list_physical_devices(device_type)
    for item in chosen:
        if not isinstance(item, PhysicalDevice) or item not in allowed:
            raise ValueError(f"Unrecognized device: {item!r}")
    kept = [d.name for d in _physical_devices() if device_type is not None and d.device_type != device_type]
    visible = {d.name for d in chosen} | {name for name in kept if name not in _state["hidden"]}
    hidden = {d.name for d in _physical_devices()} - visible
    if hidden == _state["hidden"]:
        return
    if _initialized():
        raise RuntimeError("Visible devices cannot be modified after being initialized")
    if _CPU.name in hidden:
        raise errors.NotFoundError(
            None,
            None,
            "No CPU devices are available in this process: learnet keeps the CPU visible "
            "(hide the GPU instead, or leave the visible devices as they are)",
        )
    _show_gpu(_GPU.name not in hidden)
    _state["hidden"] = hidden


def _show_gpu(visible):
    """Compute with CuPy while the GPU is visible, with NumPy once it is hidden."""
    if visible and _state["gpu_hidden"]:  # pragma: no cover - needs CuPy
        backend.set_backend("cupy")
        _state["gpu_hidden"] = False
    elif not visible and backend.name() == "cupy":
        backend.set_backend("numpy")
        _state["gpu_hidden"] = True


def list_logical_devices(device_type=None):
    """The devices ops run on (``tf.config.list_logical_devices``); this initializes them.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.config.list_logical_devices("CPU")
    [LogicalDevice(name='/device:CPU:0', device_type='CPU')]
    """
    _state["initialized"] = True
    return _logical_devices(device_type)


def _logical_devices(device_type=None):
    return [
        LogicalDevice(d.name.replace("/physical_device:", "/device:"), d.device_type)
        for d in get_visible_devices(device_type)
    ]


def _known_device(device, who):
    if not isinstance(device, PhysicalDevice) or device not in _physical_devices():
        raise ValueError(f"{who}: Unrecognized device: {device!r} (pass one of tf.config.list_physical_devices())")
    return device


def get_logical_device_configuration(device):
    """``tf.config.get_logical_device_configuration``: ``None``, as learnet never splits a device."""
    _known_device(device, "get_logical_device_configuration")


def set_logical_device_configuration(device, logical_devices):
    """``tf.config.set_logical_device_configuration``: learnet computes on one device per process.

    The configuration is ignored, with a warning saying so.
    """
    _known_device(device, "set_logical_device_configuration")
    warn.warn(
        "learnet computes on one device per process and does not split it into logical devices; "
        "the configuration is ignored (for several replicas, run several processes with "
        "MultiWorkerMirroredStrategy)"
    )


def get_device_details(device):
    """What is known of a physical device (``tf.config.experimental.get_device_details``).

    ``{}`` for the CPU, as in TensorFlow; the GPU's name and compute capability under CuPy.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.config.experimental.get_device_details(tf.config.list_physical_devices("CPU")[0])
    {}
    """
    if not isinstance(device, PhysicalDevice):
        raise ValueError(f"device must be a tf.config.PhysicalDevice, but got: {device}")
    if device not in _physical_devices():
        raise ValueError(
            f"The PhysicalDevice must be one obtained from calling `tf.config.list_physical_devices`, but got: {device!r}"
        )
    if device.device_type != "GPU":
        return {}
    import cupy  # pragma: no cover - needs a GPU

    properties = cupy.cuda.runtime.getDeviceProperties(0)  # pragma: no cover
    name = properties["name"]  # pragma: no cover
    return {  # pragma: no cover
        "device_name": name.decode() if isinstance(name, bytes) else str(name),
        "compute_capability": (int(properties["major"]), int(properties["minor"])),
    }


def _set_memory_growth(device, enable):
    """``tf.config.experimental.set_memory_growth``: for GPUs only, as in TensorFlow (CuPy grows its pool itself)."""
    if _known_device(device, "set_memory_growth").device_type != "GPU":
        raise ValueError(f"Cannot set memory growth on non-GPU and non-Pluggable devices ({device.name})")
    _memory_growth[device.name] = bool(enable)  # pragma: no cover - needs a GPU


def _get_memory_growth(device):
    """``tf.config.experimental.get_memory_growth``: the GPU's setting (``None`` if never set)."""
    if _known_device(device, "get_memory_growth").device_type != "GPU":
        raise KeyError(f"memory growth is a setting of GPUs, not of {device.name}")  # TensorFlow's error type
    return _memory_growth.get(device.name)  # pragma: no cover - needs a GPU


# --- memory --------------------------------------------------------------------------------------

_DEVICE_NAME = re.compile(r"^(?:/?job:localhost)?(?:/replica:0)?(?:/task:0)?/?(?:device:)?([A-Za-z_]+):(\d+)$")


def _memory_device(device, who):
    """The logical device a memory call names (``"GPU:0"``, ``"/device:CPU:0"``)."""
    if not isinstance(device, str):
        raise TypeError(f"{who} expects a device name such as 'GPU:0' (a str), got {type(device).__name__} {device!r}")
    match = _DEVICE_NAME.match(device)
    if match is None:
        if re.search(r"[A-Za-z_]+:\d+$", device):  # a well-formed name of another job, replica or task
            raise ValueError(f"No matching devices found for '{device}'")
        raise ValueError(
            f"Failed parsing device name: '{device}'. Note a valid device string should at least contain "
            'a device type and a device index, like "GPU:0".'
        )
    name = f"/device:{match.group(1)}:{int(match.group(2))}"
    if name not in [d.name for d in list_logical_devices()]:  # this initializes the devices, as in TensorFlow
        raise ValueError(f"No matching devices found for '{device}'")
    return match.group(1)


def _gpu_pool():  # pragma: no cover - needs a GPU
    import cupy

    return cupy.get_default_memory_pool()


def get_memory_info(device):
    """The memory a device holds now and at most, in bytes (``tf.config.experimental.get_memory_info``).

    On the GPU (CuPy) these are the bytes CuPy's memory pool hands out; on the CPU, the
    bytes Python's ``tracemalloc`` counts (NumPy reports its arrays to it) while it traces,
    else ``0`` as TensorFlow reports before its CPU allocator has been used.

    Parameters
    ----------
    device : str
        A device name: ``"CPU:0"``, ``"GPU:0"``, ``"/device:GPU:0"``.

    Returns
    -------
    dict
        ``{"current": bytes, "peak": bytes}``.

    Raises
    ------
    ValueError
        For a name that is no device (``"nonsense"``) or a device this process lacks.
    TypeError
        For a device that is not a str.

    Examples
    --------
    >>> import learnet as tf
    >>> sorted(tf.config.experimental.get_memory_info("CPU:0"))
    ['current', 'peak']
    """
    if _memory_device(device, "get_memory_info") == "GPU":  # pragma: no cover - needs a GPU
        current = int(_gpu_pool().used_bytes())
        _state["gpu_peak"] = max(_state["gpu_peak"], current)
        return {"current": current, "peak": _state["gpu_peak"]}
    if tracemalloc.is_tracing():
        current, peak = tracemalloc.get_traced_memory()
        return {"current": int(current), "peak": int(peak)}
    return {"current": 0, "peak": 0}


def reset_memory_stats(device):
    """Start the device's peak memory again from its current use (``tf.config.experimental.reset_memory_stats``).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.config.experimental.reset_memory_stats("CPU:0")
    """
    if _memory_device(device, "reset_memory_stats") == "GPU":  # pragma: no cover - needs a GPU
        _state["gpu_peak"] = int(_gpu_pool().used_bytes())
    elif tracemalloc.is_tracing():
        tracemalloc.reset_peak()


def get_memory_usage(device):
    """Deprecated in TensorFlow: ``get_memory_info(device)["current"]``."""
    warn.deprecated(
        "tf.config.experimental.get_memory_usage is deprecated and will be removed in a future version. "
        "Instructions for updating: Use tf.config.experimental.get_memory_info(device)['current'] instead."
    )
    return get_memory_info(device)["current"]


# --- settings ------------------------------------------------------------------------------------


def set_soft_device_placement(enabled):
    """Let ops asked for a missing device run on one that exists (``tf.config.set_soft_device_placement``).

    On by default. Switched off, ``with tf.device("GPU:2"):`` on a machine without that
    device raises ``tf.errors.InvalidArgumentError``, as TensorFlow's ops do.
    ``None`` restores the default.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.config.set_soft_device_placement(False)
    >>> tf.config.get_soft_device_placement()
    False
    >>> tf.config.set_soft_device_placement(True)
    """
    _state["soft_placement"] = _as_flag(enabled, "set_soft_device_placement", True)


def get_soft_device_placement():
    """Whether soft device placement is on (``tf.config.get_soft_device_placement``)."""
    return _state["soft_placement"]


def set_synchronous_execution(enable):
    """Run each op to its end before the next (``tf.config.experimental.set_synchronous_execution``).

    learnet always does; the setting is remembered for ``get_synchronous_execution``.
    ``None`` restores the default (``True``).

    Examples
    --------
    >>> import learnet as tf
    >>> tf.config.experimental.set_synchronous_execution(True)
    >>> tf.config.experimental.get_synchronous_execution()
    True
    """
    _state["synchronous"] = _as_flag(enable, "set_synchronous_execution", True)


def get_synchronous_execution():
    """The value of ``set_synchronous_execution`` (``True`` by default)."""
    return _state["synchronous"]


def enable_tensor_float_32_execution(enabled):
    """Remembered only: learnet's float32 products run in full float32 precision."""
    _state["tensor_float_32"] = _as_flag(enabled, "enable_tensor_float_32_execution", True)


def tensor_float_32_execution_enabled():
    """The value of ``enable_tensor_float_32_execution`` (``True`` by default, as in TensorFlow)."""
    return _state["tensor_float_32"]


def _thread_count(num_threads, who):
    if isinstance(num_threads, (bool, numpy.bool_)) or not isinstance(num_threads, (int, numpy.integer)):
        raise TypeError(f"{who} expects an int number of threads (0: let the system choose), got {num_threads!r}")
    return int(num_threads)


def get_inter_op_parallelism_threads():
    """The threads independent ops may run on (``0``: the system chooses), as set.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.config.threading.get_inter_op_parallelism_threads()
    0
    """
    return _state["inter_op"] or 0


def set_inter_op_parallelism_threads(num_threads):
    """Set the threads independent ops may run on (``tf.config.threading.set_inter_op_parallelism_threads``).

    Remembered only: learnet runs one op after the other, as the Python program calls
    them. As in TensorFlow, it must be set before the devices are initialized.

    Raises
    ------
    TypeError
        For a number of threads that is not an int.
    RuntimeError
        When the count changes after the devices are initialized. In both cases nothing changes.
    """
    count = _thread_count(num_threads, "set_inter_op_parallelism_threads")
    if count == _state["inter_op"]:
        return
    if _initialized():
        raise RuntimeError("Inter op parallelism cannot be modified after initialization.")
    _state["inter_op"] = count


def get_intra_op_parallelism_threads():
    """The threads one op may use (``0``: the system chooses), as set."""
    return _state["intra_op"] or 0


def set_intra_op_parallelism_threads(num_threads):
    """Set the threads one op may use (``tf.config.threading.set_intra_op_parallelism_threads``).

    A positive count becomes learnet's element-wise thread count
    (``learnet.ops.parallel.set_num_threads``) and, when ``threadpoolctl`` is installed, the
    limit of NumPy's BLAS threads (the matrix products); ``0`` (or less) gives both back
    their defaults. As in TensorFlow, it must be set before the devices are initialized.

    Raises
    ------
    TypeError
        For a number of threads that is not an int.
    RuntimeError
        When the count changes after the devices are initialized. In both cases nothing changes.
    """
    count = _thread_count(num_threads, "set_intra_op_parallelism_threads")
    if count == _state["intra_op"]:
        return
    if _initialized():
        raise RuntimeError("Intra op parallelism cannot be modified after initialization.")
    _limit_threads(count)
    _state["intra_op"] = count


def _limit_threads(count):
    """Element-wise and BLAS threads for an intra-op count (``<= 0``: back to the defaults)."""
    if _state["blas_limits"] is not None:
        _state["blas_limits"].restore_original_limits()
        _state["blas_limits"] = None
    if count <= 0:
        if _state["threads_before"] is not None:
            parallel.set_num_threads(_state["threads_before"])
            _state["threads_before"] = None
        return
    if _state["threads_before"] is None:
        _state["threads_before"] = parallel.num_threads()
    parallel.set_num_threads(count)
    if backend.name() == "numpy":
        try:
            import threadpoolctl
        except ImportError:  # pragma: no cover - threadpoolctl is optional
            return
        _state["blas_limits"] = threadpoolctl.threadpool_limits(limits=count, user_api="blas")


def _accept_setting(*args, **kwargs):
    """A TensorFlow runtime setting with nothing to change in learnet (it is always eager)."""


def functions_run_eagerly():
    """``True``: a ``tf.function`` runs its Python code eagerly in learnet."""
    return True


def run_functions_eagerly(run_eagerly):
    """Accepted: learnet's ``tf.function`` always runs eagerly (``tf.config.run_functions_eagerly``)."""


experimental_run_functions_eagerly = run_functions_eagerly
experimental_functions_run_eagerly = functions_run_eagerly

_jit = {
    "jit": "",
    "options": {"disable_model_pruning": False, "disable_meta_optimizer": False},
}  # tf.config.optimizer's settings, kept as given (no graph compiler here)

# XLA's just-in-time compilation: learnet has no graph to compile, so the switch is remembered only.
optimizer = types.SimpleNamespace(
    set_jit=lambda enabled: _jit.__setitem__("jit", "autoclustering" if enabled is True else enabled or ""),
    get_jit=lambda: _jit["jit"],
    set_experimental_options=lambda options: _jit["options"].update(options),
    get_experimental_options=lambda: dict(_jit["options"]),
)

threading = types.SimpleNamespace(
    get_inter_op_parallelism_threads=get_inter_op_parallelism_threads,
    set_inter_op_parallelism_threads=set_inter_op_parallelism_threads,
    get_intra_op_parallelism_threads=get_intra_op_parallelism_threads,
    set_intra_op_parallelism_threads=set_intra_op_parallelism_threads,
)

experimental = types.SimpleNamespace(
    list_physical_devices=list_physical_devices,
    list_logical_devices=list_logical_devices,
    get_visible_devices=get_visible_devices,
    set_visible_devices=set_visible_devices,
    get_device_details=get_device_details,
    get_memory_info=get_memory_info,
    get_memory_usage=get_memory_usage,
    reset_memory_stats=reset_memory_stats,
    set_memory_growth=_set_memory_growth,
    get_memory_growth=_get_memory_growth,
    get_virtual_device_configuration=get_logical_device_configuration,
    set_virtual_device_configuration=set_logical_device_configuration,
    VirtualDeviceConfiguration=LogicalDeviceConfiguration,
    set_synchronous_execution=set_synchronous_execution,
    get_synchronous_execution=get_synchronous_execution,
    enable_tensor_float_32_execution=enable_tensor_float_32_execution,
    tensor_float_32_execution_enabled=tensor_float_32_execution_enabled,
    # learnet's ops give the same results on every run already (one NumPy thread order, seeded
    # random numbers), so asking for determinism changes nothing.
    enable_op_determinism=_accept_setting,
)

_CONFIG_NAMES = tuple(name for name in __all__ if name not in ("device", "sysconfig"))  # tf.config's own


def config_namespace(**settings):
    """``tf.config``: its device names here, beside ``settings`` (``keras.config``'s, as learnet is both)."""
    return types.SimpleNamespace(**settings, **{name: globals()[name] for name in _CONFIG_NAMES})


# --- tf.device -----------------------------------------------------------------------------------

_DEVICE_TYPES = ("CPU", "GPU", "TPU")
_FIELDS = ("job", "replica", "task", "device_type", "device_index")
_scopes = [dict.fromkeys(_FIELDS)]  # the merged device specification of each open `with tf.device`


def _parse_device(spec):
    """The fields of a device string (``"/job:localhost/device:GPU:1"``, ``"gpu:0"``), as TensorFlow reads them."""
    fields = dict.fromkeys(_FIELDS)
    for part in spec.split("/"):
        pieces = part.split(":")
        head = pieces[0]
        if len(pieces) == 2 and head in ("job", "replica", "task"):
            fields[head] = pieces[1] if head == "job" else int(pieces[1])
        elif len(pieces) in (1, 2) and head.upper() in _DEVICE_TYPES or len(pieces) == 3 and head == "device":
            if fields["device_type"] is not None:
                raise ValueError(f"Multiple device types are not allowed while parsing the device spec: {spec}.")
            kind, index = (pieces[1], pieces[2]) if len(pieces) == 3 else (head, pieces[1] if len(pieces) == 2 else "*")
            fields["device_type"] = kind.upper()
            fields["device_index"] = None if index == "*" else int(index)
        elif head:
            raise ValueError(f"Unknown attribute '{head}' is encountered while parsing the device spec: '{spec}'.")
    return fields


def _check_placement(fields):
    """Raise TensorFlow's error for another process's device, and for a missing one when soft placement is off."""
    job, replica, task = fields["job"] or "localhost", fields["replica"] or 0, fields["task"] or 0
    kind, index = fields["device_type"] or "CPU", fields["device_index"] or 0
    full = f"/job:{job}/replica:{replica}/task:{task}/device:{kind}:{index}"
    # In a cluster (TF_CONFIG set, MultiWorkerMirroredStrategy) other jobs and tasks exist.
    if (job, replica, task) != ("localhost", 0, 0) and not os.environ.get("TF_CONFIG"):
        raise errors.InvalidArgumentError(None, None, f"{full} unknown device.")
    if _state["soft_placement"]:
        return
    devices = _logical_devices()
    if fields["device_type"] is None or any(
        d.device_type == kind and (fields["device_index"] is None or d.name.endswith(f":{index}")) for d in devices
    ):
        return
    kinds = ", ".join(sorted({d.device_type for d in devices}, reverse=True))
    everything = ", ".join(f"/job:localhost/replica:0/task:0{d.name}" for d in devices)
    raise errors.InvalidArgumentError(
        None,
        None,
        f"Could not satisfy device specification '{full}'. enable_soft_placement=0. "
        f"Supported device types [{kinds}]. All available devices [{everything}].",
    )


@contextlib.contextmanager
def device(device_name):
    """Run the block's ops on a device (``with tf.device("CPU:0"):``).

    learnet computes on its one device (the backend is chosen before import:
    ``LEARNET_BACKEND=cupy`` for the GPU), so with soft device placement on (the default)
    the block runs as it would outside the ``with``. A device of another job, replica or
    task raises ``tf.errors.InvalidArgumentError``, as in TensorFlow. With
    ``tf.config.set_soft_device_placement(False)``, a device this process lacks raises
    ``tf.errors.InvalidArgumentError`` as TensorFlow's ops do, here when the block is
    entered. ``None`` clears the device of an outer block.

    Raises
    ------
    TypeError
        For a device name that is not a str (or ``None``).
    ValueError
        For a string that is no device specification (``"garbage"``).
    tf.errors.InvalidArgumentError
        For a device of another process, or a missing device while soft placement is off.

    Examples
    --------
    >>> import learnet as tf
    >>> with tf.device("/GPU:0"):        # soft placement: runs where learnet computes
    ...     x = tf.ones(2) + 1
    >>> x.numpy()
    array([2., 2.], dtype=float32)
    """
    if device_name is not None and not isinstance(device_name, str):
        raise TypeError(f"device expects a device name such as 'CPU:0', got {device_name!r}")
    if device_name is None:
        merged = dict.fromkeys(_FIELDS)
    else:
        inner = _parse_device(device_name)
        merged = {key: inner[key] if inner[key] is not None else _scopes[-1][key] for key in _FIELDS}
        if inner["device_type"] is not None and inner["device_index"] is None:
            merged["device_index"] = None
    _check_placement(merged)
    _scopes.append(merged)
    try:
        yield
    finally:
        _scopes.pop()


# --- tf.sysconfig --------------------------------------------------------------------------------


def get_build_info():
    """What learnet computes with, under TensorFlow's keys (``tf.sysconfig.get_build_info``).

    A CPU build's facts on NumPy's backend; under CuPy, a CUDA build's, with the CUDA
    version and the GPU's compute capability.

    Examples
    --------
    >>> import learnet as tf
    >>> dict(tf.sysconfig.get_build_info())
    {'is_cuda_build': False, 'is_rocm_build': False, 'is_tensorrt_build': False}
    """
    info = collections.OrderedDict(is_cuda_build=False, is_rocm_build=False, is_tensorrt_build=False)
    if backend.name() == "cupy":  # pragma: no cover - needs a GPU
        import cupy

        version = int(cupy.cuda.runtime.runtimeGetVersion())
        major, minor = get_device_details(_GPU)["compute_capability"]
        info["is_cuda_build"] = True
        info["cuda_version"] = f"{version // 1000}.{version % 1000 // 10}"
        info["cuda_compute_capabilities"] = [f"sm_{major}{minor}"]
    return info


sysconfig = types.SimpleNamespace(get_build_info=get_build_info)
