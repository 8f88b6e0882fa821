"""The kernel a report's notebooks run in: its five channels on Unix-domain sockets.

jupyter_client starts kernels on localhost TCP ports by default; anyone on the machine can
connect to an unencrypted port, and ipykernel says so on every start ("Kernel is running
over TCP without encryption"). :func:`ipc_kernels` gives papermill (through nbclient's
``kernel_manager_class`` and ``config``) a kernel manager that uses the ``ipc`` transport
for the kernel's channels (shell, iopub, stdin, control, heartbeat), with their socket files
in a private folder (mode 0700) removed afterwards, and kills a kernel still running when
the build stops (a signal while the kernel starts, say).

One localhost TCP port remains: ipykernel's IOPub "pipe" (``IOPubThread(pipe=True)``,
hard-wired in ipykernel's kernel app), a PULL socket bound to ``127.0.0.1`` on a random
port, through which processes the kernel forks send their output. It carries no code and
no result to the kernel: it only forwards output messages, and drops every message that
does not start with a 16-byte random key the kernel made for itself
(``_pipe_uuid``). A local user who finds the port can at most send messages that are
dropped (and printed as "Bad pipe message" to the kernel's stderr). Turning it off would
mean patching ipykernel; ``tests/reports/test_report_hygiene.py`` checks that it is the only TCP
port a report's kernel listens on.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

from jupyter_client.manager import AsyncKernelManager
from traitlets import default
from traitlets.config import Config


class IPCKernelManager(AsyncKernelManager):
    """An :class:`~jupyter_client.manager.AsyncKernelManager` whose transport is ``ipc``."""

    started: ClassVar[weakref.WeakSet] = weakref.WeakSet()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        IPCKernelManager.started.add(self)

    @default("transport")
    def _default_transport(self) -> str:
        return "ipc"


def kill_kernels(folder: Path) -> None:
    """Kill every kernel whose sockets are in ``folder`` and is still running."""
    for manager in list(IPCKernelManager.started):
        if not str(manager.ip).startswith(str(folder)):
            continue
        process = getattr(manager.provisioner, "process", None)
        if process is not None and process.poll() is None:
            process.kill()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        manager.cleanup_connection_file()


class KernelFolder:
    """A private folder (mode 0700) for the sockets of a build's kernels.

    :meth:`options` gives :func:`papermill.execute_notebook` the keyword arguments that start
    one IPC kernel with its sockets at ``<folder>/k<n>-<port>``: each notebook of a build its
    own prefix, so kernels started at the same time never pick the same socket, and short
    enough for the 107-byte limit of a Unix socket path.
    """

    def __init__(self, folder: Path):
        self.folder = folder

    def options(self, number: int) -> dict:
        config = Config({"IPCKernelManager": {"ip": str(self.folder / f"k{number}")}})
        return {
            "kernel_manager_class": IPCKernelManager,
            "config": config,
            # Kill the kernel at the end instead of asking it to stop: a kernel asked while a
            # cell still runs (a build stopped by a signal) prints a traceback on stderr.
            "shutdown_kernel": "immediate",
        }

    def kill(self) -> None:
        """Kill every kernel of this build that still runs (the build is stopping)."""
        kill_kernels(self.folder)


@contextmanager
def ipc_kernels() -> Iterator[KernelFolder]:
    """The socket folder of a build's kernels; every kernel left is killed at the end."""
    folder = Path(tempfile.mkdtemp(prefix="infermodel-kernel-"))
    try:
        yield KernelFolder(folder)
    finally:
        kill_kernels(folder)
        shutil.rmtree(folder, ignore_errors=True)
