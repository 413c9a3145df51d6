"""Real MPI jobs on this machine: ``mpiexec -n 2`` (oversubscribed, one thread each).

The jobs are in ``mpi_job.py``; each process writes what it saw, and these tests read it.
"""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("mpi4py", reason="mpi4py is not installed; pip install 'learnet[mpi]' to run the MPI tests")

HERE = os.path.dirname(os.path.abspath(__file__))
JOB = os.path.join(HERE, "mpi_job.py")


def _mpiexec():
    local = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return local if os.path.exists(local) else shutil.which("mpiexec")


pytestmark = pytest.mark.skipif(
    _mpiexec() is None, reason="no mpiexec found; pip install 'learnet[mpi]' brings Open MPI"
)


def _env():
    env = dict(os.environ)
    env.update(
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        OMPI_ALLOW_RUN_AS_ROOT="1",
        OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
        OMPI_MCA_rmaps_base_oversubscribe="1",
    )
    src = os.path.join(os.path.dirname(os.path.dirname(HERE)), "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _run_job(scenario, outdir, processes=2, timeout=120):
    command = [
        _mpiexec(),
        "-n",
        str(processes),
        "--oversubscribe",
        "--bind-to",
        "none",
        sys.executable,
        JOB,
        scenario,
        str(outdir),
    ]
    return subprocess.run(command, env=_env(), capture_output=True, timeout=timeout)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("mpi-train")
    single = subprocess.run(
        [sys.executable, JOB, "train", str(outdir), "--single"], env=_env(), capture_output=True, timeout=120
    )
    assert single.returncode == 0, single.stderr.decode(errors="replace")
    job = _run_job("train", outdir)
    assert job.returncode == 0, job.stderr.decode(errors="replace")
    return outdir


def _load(outdir, name):
    with open(outdir / f"{name}.json") as file:
        return json.load(file)


@pytest.mark.parametrize("kind", ["fit", "loop"])
def test_weights_are_bit_identical_on_every_rank(trained, kind):
    rank0, rank1 = np.load(trained / f"rank0-{kind}.npz"), np.load(trained / f"rank1-{kind}.npz")
    assert sorted(rank0) == sorted(rank1)
    for key in rank0:
        assert rank0[key].tobytes() == rank1[key].tobytes(), key


@pytest.mark.parametrize("kind", ["fit", "loop"])
def test_two_processes_train_as_one_process_on_the_same_global_batches(trained, kind):
    distributed, single = np.load(trained / f"rank0-{kind}.npz"), np.load(trained / f"single-{kind}.npz")
    for key in single:
        np.testing.assert_allclose(distributed[key], single[key], rtol=1e-5, atol=1e-6, err_msg=key)


def test_losses_and_metrics_are_those_of_the_whole_data(trained):
    single, rank0, rank1 = (_load(trained, name) for name in ("single", "rank0", "rank1"))
    assert rank0["size"] == 2 and single["size"] == 1
    assert rank0["history"] == rank1["history"]  # every rank logs the same numbers
    assert rank0["history"]["loss"][-1] < rank0["history"]["loss"][0]  # it learned: equality is not trivial
    for key, values in single["history"].items():  # sums and counts, not averages of averages
        np.testing.assert_allclose(rank0["history"][key], values, rtol=1e-5, err_msg=key)
    for key, value in single["evaluate"].items():
        assert rank0["evaluate"][key] == pytest.approx(value, rel=1e-5)
    # strategy.reduce("MEAN", axis=0) averages over the global batch
    x_first_column = np.random.default_rng(0).normal(size=(130, 6)).astype("float32")[:, 0]
    assert rank0["mean_x"] == pytest.approx(float(x_first_column.mean()), rel=1e-5)


def test_files_are_written_once_by_rank_zero_and_load(trained):
    import learnet

    assert os.path.exists(trained / "log-0.csv")
    assert not os.path.exists(trained / "log-1.csv")  # CSVLogger runs on rank 0 only
    model = learnet.models.load_model(str(trained / "best.learnet"))
    assert model.predict(np.zeros((2, 6), "float32"), verbose=0).shape == (2, 3)


def test_a_rank_that_raises_stops_the_whole_job_with_its_error(tmp_path):
    # The timeout is the hang detector: without the abort hook the other rank waits forever.
    job = _run_job("raise", tmp_path, timeout=30)
    stderr = job.stderr.decode(errors="replace")
    assert job.returncode != 0
    assert "rank one gave up at batch 2" in stderr
    assert "rank 1 of 2 raised; stopping every process" in stderr


def test_mismatched_launches_are_refused_at_the_start(tmp_path):
    job = _run_job("mismatch", tmp_path, timeout=60)
    stderr = job.stderr.decode(errors="replace")
    assert job.returncode != 0
    assert (
        "MultiWorkerMirroredStrategy: the processes disagree on batch_size (rank 0: 20; rank 1: 21); "
        "every process must run the same script with the same model, data and arguments"
    ) in stderr


@pytest.fixture
def mnist_or_skip(datasets_dir):
    if not (datasets_dir / "mnist" / "train-images-idx3-ubyte.gz").exists():
        pytest.skip("the MNIST files were not found; set LEARNET_DATASETS to a folder holding mnist/")
    return str(datasets_dir)


def test_learnet_train_with_workers_trains_on_mnist_and_saves_once(tmp_path, mnist_or_skip):
    output = tmp_path / "mnist.learnet"
    env = _env()
    env["LEARNET_DATASETS"] = mnist_or_skip
    command = [
        sys.executable,
        "-m",
        "learnet",
        "train",
        "--workers",
        "2",
        "--epochs",
        "1",
        "--limit",
        "2000",
        "--verbose",
        "0",
        "--output",
        str(output),
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Test accuracy:") == 1  # rank 0 speaks for the job
    accuracy = float(result.stdout.split("Test accuracy:")[1].split()[0])
    assert accuracy > 0.8
    assert output.exists()
