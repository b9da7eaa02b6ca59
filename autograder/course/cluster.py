"""Who may talk to the grading cluster: the grader, and machines that hold the course's key.

A Dask scheduler and its workers run whatever a connected client sends them,
as the user who started them (root, when grading as root). So no part of
the cluster listens in the clear:

* The local cluster (``cnn-grader autograde --workers N``) speaks TLS with
  mutual authentication, from a certificate made in memory for this run
  (distributed's ``Security.temporary()``) and handed to the worker processes
  through their start-up pipe, never through a file. Only this process and
  its workers hold it; another user of the machine is refused at the TLS
  handshake, before Dask reads a byte. Its HTTP servers serve nothing, and
  its workers keep their files in a folder only the grader can open.
* A running cluster (``--scheduler tls://host:8786``) authenticates with the
  course's certificate in ``<course>/cluster-tls/`` (``cnn-grader
  cluster-certificate`` makes it; its scheduler and workers are started with
  the same files, see docs/cluster.md). A plain
  ``tcp://`` scheduler is refused unless :data:`PLAIN_TCP_OPTION` accepts
  that anyone who reaches it runs code as its workers' user.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import shutil
import signal
import ssl
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TLS_FOLDER = "cluster-tls"
CERTIFICATE = "cluster.pem"  # the course's certificate, and the only authority its TLS trusts
KEY = "cluster.key"
CERTIFICATE_DAYS = 400  # a course year, with room
PLAIN_TCP_OPTION = "--plain-tcp-anyone-can-run-code"
DOCS = "docs/cluster.md"


class ClusterSetupError(Exception):
    """The cluster cannot be used as asked; the message says why and what to do."""


def tls_folder(course_root: Path) -> Path:
    """Where a course keeps the certificate and key of its grading cluster."""
    return Path(course_root) / TLS_FOLDER


# --- the local cluster: TLS from a certificate that lives only in memory ----------------------


@contextlib.contextmanager
def local_cluster_client(workers: int) -> Iterator[Any]:
    """A Dask client of a new LocalCluster of ``workers`` processes that only it can reach.

    One single-threaded worker process per slot: each task is a subprocess
    (nbgrader and its kernel), so a worker only waits on it. Workers are not
    daemonic: each forks nbgrader from a warm process of its own
    (:mod:`autograder.course.forkserver`), which multiprocessing forbids a daemon.
    """
    import dask
    from distributed import Client, LocalCluster
    from distributed.security import Security

    security = Security.temporary()  # one self-signed certificate for every role, in memory
    private = Path(tempfile.mkdtemp(prefix="cnn-dask-"))  # mode 0700: the workers' files
    config = {
        "distributed.worker.daemon": False,
        # The scheduler's lock files, too: never in $TMPDIR/dask-scratch-space, which
        # another user of a shared /tmp can make first.
        "temporary-directory": str(private),
        # The scheduler and every worker start an HTTP server whatever the options say
        # (dashboard, worker list, logs, metrics; plain HTTP, no login): serve nothing.
        "distributed.scheduler.http.routes": [],
        "distributed.worker.http.routes": [],
    }
    try:
        with dask.config.set(config):
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                protocol="tls://",
                security=security,
                dashboard_address=None,
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # not the busy :8787
                local_directory=str(private),
                preload=[__name__],  # dask_setup, below, in each worker process
                silence_logs=logging.ERROR,
            )
        try:
            with Client(cluster, security=security) as client:
                yield client
        finally:
            cluster.close()
    finally:
        shutil.rmtree(private, ignore_errors=True)


def dask_setup(worker: Any) -> None:
    """Dask's preload hook, run in each worker process as it starts (``--preload``).

    Ctrl-C at the terminal reaches every process of the grader's group. The
    grader alone answers it (it stops the notebooks being graded, see
    :func:`autograder.course.forkserver.stop_run`); a worker process that took it too
    would die with a traceback mid-task. And the worker's own temporary files
    (its forkserver's socket, nbgrader's logs) go to Dask's temporary folder:
    the local cluster's private one, removed with it even when a worker was
    killed; a running worker's own (``DASK_TEMPORARY_DIRECTORY``).
    """
    import dask

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    tempfile.tempdir = dask.config.get("temporary-directory", None) or tempfile.gettempdir()


# --- a running cluster: the course's certificate --------------------------------------------


@contextlib.contextmanager
def scheduler_client(
    scheduler: str, course_root: Path, *, plain_tcp: bool = False
) -> Iterator[Any]:
    """A Dask client of the running scheduler at ``scheduler``, authenticated as the course."""
    from distributed import Client

    security = scheduler_security(scheduler, course_root, plain_tcp=plain_tcp)
    try:
        client = Client(scheduler, security=security, timeout=30)
    except (OSError, TimeoutError) as error:
        raise ClusterSetupError(
            f"cannot reach the scheduler at {scheduler}: {error}\n"
            "Is it running, and started with the course's certificate (see "
            f"{DOCS})?"
        ) from None
    with client:
        yield client


def scheduler_security(scheduler: str, course_root: Path, *, plain_tcp: bool = False) -> Any:
    """The Security to reach ``scheduler`` with; a :class:`ClusterSetupError` when refused."""
    from distributed.security import Security

    scheme = scheduler.split("://", 1)[0] if "://" in scheduler else "tcp"
    if scheme == "tls":
        return course_security(tls_folder(course_root))
    if scheme == "tcp" and plain_tcp:
        return Security(require_encryption=False)
    if scheme == "tcp":
        raise ClusterSetupError(
            f"refusing the plain scheduler address {scheduler}: anyone who can reach it runs "
            "code on its workers as their user, and reads and rewrites the gradebook.\n"
            f"Start the scheduler and workers with the course's certificate and use "
            f"tls://{scheduler.split('://', 1)[-1]} (see {DOCS}), or accept the risk with "
            f"{PLAIN_TCP_OPTION}."
        )
    raise ClusterSetupError(
        f"the scheduler address {scheduler} is neither tls:// nor tcp:// (see {DOCS})"
    )


def course_security(folder: Path) -> Any:
    """Dask's Security from the course's certificate and key, checked first.

    The certificate is also the only authority trusted: a peer must hold the
    course's key. Refused with every problem found: a missing folder or file,
    a link, a key that others can read or that belongs to another user, a
    folder others can write in, a certificate out of date, a key that is not
    the certificate's.
    """
    from distributed.security import Security

    folder = Path(folder)
    certificate, key = folder / CERTIFICATE, folder / KEY
    make = f"cnn-grader cluster-certificate --course {folder.parent}"
    if not folder.is_dir():
        raise ClusterSetupError(
            f"no course certificate for a tls:// scheduler: {folder} is not a folder.\n"
            f"Make one with `{make}` (or the openssl commands in {DOCS})."
        )
    problems = [*_ownership_problems(folder, certificate, key)]
    if not problems:
        problems += _certificate_problems(certificate, key, make)
    if problems:
        raise ClusterSetupError(
            f"the course certificate in {folder} cannot be used:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    files = {"tls_ca_file": str(certificate)}
    for role in ("client", "scheduler", "worker"):
        files |= {f"tls_{role}_cert": str(certificate), f"tls_{role}_key": str(key)}
    return Security(require_encryption=True, **files)


def _ownership_problems(folder: Path, certificate: Path, key: Path) -> Iterator[str]:
    me = os.geteuid()
    info = folder.stat()
    if info.st_uid != me:
        yield f"{folder} belongs to uid {info.st_uid}, not to you (uid {me})"
    if info.st_mode & 0o022:
        yield f"others can write in {folder} (mode {info.st_mode & 0o777:o}): chmod 700 {folder}"
    for path in (certificate, key):
        try:
            info = path.lstat()
        except FileNotFoundError:
            yield f"{path} is missing"
            continue
        if not stat.S_ISREG(info.st_mode):
            yield f"{path} is not a regular file (a link?)"
        elif path == key and info.st_uid != me:
            yield f"{path} belongs to uid {info.st_uid}, not to you (uid {me})"
        elif path == key and info.st_mode & 0o077:
            yield f"others can read {path} (mode {info.st_mode & 0o777:o}): chmod 600 {path}"


def _certificate_problems(certificate: Path, key: Path, make: str) -> Iterator[str]:
    from cryptography import x509

    try:
        loaded = x509.load_pem_x509_certificate(certificate.read_bytes())
    except ValueError:
        yield f"{certificate} is not a PEM certificate"
        return
    now = datetime.datetime.now(datetime.UTC)
    if now < loaded.not_valid_before_utc:
        yield f"{certificate} is valid only from {loaded.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"
    if now > loaded.not_valid_after_utc:
        yield (
            f"{certificate} expired on {loaded.not_valid_after_utc:%Y-%m-%d}: make a new one "
            f"with `{make} --force` and give it to the workers"
        )
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_cert_chain(certificate, key)
    except ssl.SSLError:
        yield f"{key} is not the key of {certificate} (or not a PEM key)"


def make_certificate(folder: Path, *, days: int = CERTIFICATE_DAYS, force: bool = False) -> Path:
    """Make the course's cluster certificate and key in ``folder`` (mode 0700; the key 0600).

    One self-signed certificate for the scheduler, the workers and the
    grader, which is also the only authority they trust: whoever holds the
    key is in the cluster. The same as ``openssl req -x509`` would make (see
    the documentation); returns the folder.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = Path(folder)
    if not force and ((folder / CERTIFICATE).exists() or (folder / KEY).exists()):
        raise ClusterSetupError(
            f"{folder} already holds a certificate; --force replaces it (every scheduler and "
            "worker then needs the new files)"
        )
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if folder.is_symlink() or folder.stat().st_uid != os.geteuid():
        raise ClusterSetupError(f"{folder} is a link or belongs to another user")
    folder.chmod(0o700)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cnn-grader cluster")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))  # clocks of other machines
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    _write_private(
        folder / KEY,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        0o600,
    )
    _write_private(
        folder / CERTIFICATE, certificate.public_bytes(serialization.Encoding.PEM), 0o644
    )
    return folder


def _write_private(path: Path, data: bytes, mode: int) -> None:
    """Write a new file with ``mode`` from its creation, then put it in place of ``path``."""
    fresh = path.with_name(f".{path.name}.new")
    fresh.unlink(missing_ok=True)
    fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(fresh, path)


def cluster_commands(course_root: Path, host: str = "HOST", port: int = 8786) -> dict[str, str]:
    """The shell commands that start a scheduler, a worker and the grading, with the course's
    certificate: what ``cnn-grader cluster-certificate`` prints, and the tests run."""
    folder = tls_folder(course_root)
    tls = (
        f"--tls-ca-file {folder / CERTIFICATE} --tls-cert {folder / CERTIFICATE} "
        f"--tls-key {folder / KEY}"
    )
    no_http = "--dashboard-address 127.0.0.1:0"  # and its routes off, by the variables
    scratch = "$HOME/.cache/cnn-dask"  # not a shared /tmp
    return {
        "scheduler": (
            f"DASK_DISTRIBUTED__SCHEDULER__HTTP__ROUTES='[]' DASK_TEMPORARY_DIRECTORY={scratch} "
            f"dask scheduler --port {port} {no_http} {tls}"
        ),
        "worker": (
            "DASK_DISTRIBUTED__WORKER__HTTP__ROUTES='[]' DASK_DISTRIBUTED__WORKER__DAEMON=False "
            f"DASK_TEMPORARY_DIRECTORY={scratch} "
            f"dask worker tls://{host}:{port} --nworkers 1 --nthreads 1 {no_http} "
            f"--preload {__name__} {tls}"
        ),
        "grader": f"cnn-grader autograde --course {course_root} --scheduler tls://{host}:{port}",
    }
