"""`civicbot` processes for the tests, forked from a pre-imported interpreter (a "zygote").

A new interpreter for each `civicbot run` a test starts spends 1.5 s (idle) to 7 s (a loaded
2-core machine) of CPU importing aiogram, pydantic and SQLAlchemy before the bot does anything;
the end-to-end tests start hundreds. A test session therefore starts one zygote: an
interpreter that has imported those modules once (and nothing else: no event loop, no thread,
no database connection) and forks a child for each command. The child is still a process of
its own: its own pid, environment, working folder, argv, stdin/stdout/stderr (the test's files
or pipes, passed over a Unix socket), its signals (SIGTERM and SIGKILL reach it, not the
zygote), and its exit status, which the zygote reports exactly as `waitpid` gave it. It runs
`python -m bot ARGS` as the interpreter would: `bot/__main__.py` as `__main__`, then the
interpreter's shutdown (non-daemon threads joined, atexit handlers, streams flushed).

A few tests start the real executable (`civicbot_process(..., real=True)`, the CLI and
config tests, the start benchmarks); CIVICBOT_TEST_REAL_PROCESSES=1 makes every test do so.
Under pytest-xdist the controller starts one zygote that all its workers share
(`start_shared_zygote`, its socket named to the workers in CIVICBOT_TEST_ZYGOTE_SOCKET): each
zygote is 5-7 s of CPU spent importing, on two cores. The workers themselves are forked from it
too (`fork_xdist_workers`), so that a test session imports aiogram once, not once per worker.
Every child dies with its zygote and the zygote with the pytest process that started it
(PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import io
import json
import os
import selectors
import shlex
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import types
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

REPO_ROOT = Path(__file__).resolve().parents[1]
PR_SET_PDEATHSIG = 1
# What `civicbot run` and the CLI commands the tests use import at start (and alembic, which a
# first start on an empty database loads); a module not listed is imported by the child.
PRELOAD = (
    "argparse",
    "sqlite3",
    "bot.app",
    "bot.max_app",
    "bot.config",
    "bot.config_checks",
    "bot.logs",
    "bot.cli_db",
    "bot.cli_chats",
    "bot.cli_reports",
    "bot.cli_spam",
    "bot.cli_updates",
    "bot.cli_webhook",
    "storage.db",
    "storage.uow",
    "aiosqlite",
    "asyncpg",
    "sqlalchemy.dialects.sqlite.aiosqlite",
    "sqlalchemy.dialects.postgresql.asyncpg",
    "alembic.command",
    "alembic.config",
)
_LENGTH = struct.Struct("!I")
SHARED_SOCKET = "CIVICBOT_TEST_ZYGOTE_SOCKET"

try:  # looked up before any fork: taking the loader's lock in a forked child could hang
    _prctl: Any = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None


def die_with_parent() -> None:
    """SIGKILL this process when the thread that started it ends (Linux; elsewhere a no-op)."""
    if _prctl is not None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def real_processes() -> bool:
    """Start every `civicbot` as a new interpreter (CIVICBOT_TEST_REAL_PROCESSES=1)?"""
    return os.environ.get("CIVICBOT_TEST_REAL_PROCESSES", "") not in ("", "0")


def bot_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a bot a test starts: the test's own, without CIVICBOT_* settings
    (the config file says everything), with this checkout's code first on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICBOT_")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    env.update(extra or {})
    return env


# --- the zygote's side -----------------------------------------------------------------------


def _serve(socket_path: str) -> None:
    """The zygote: import, then fork one child per request until the worker ends."""
    import gc
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    global _SHARED_TRAINING
    _SHARED_TRAINING = _anti_spam_training()
    assert threading.active_count() == 1, "a preloaded module started a thread"
    gc.collect()
    gc.freeze()  # the children share these objects' pages instead of copying them
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # Bound and listening under another name, then renamed: a client that finds the socket
    # (a worker waiting for the shared zygote) can connect at once.
    server.bind(socket_path + ".new")
    server.listen(64)
    os.rename(socket_path + ".new", socket_path)
    selector = selectors.DefaultSelector()
    selector.register(server, selectors.EVENT_READ)
    children: dict[int, tuple[int, socket.socket]] = {}  # pidfd -> (pid, connection)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        for key, _ in selector.select():
            if key.fileobj is server:
                connection, _ = server.accept()
                connection.setblocking(True)
                try:
                    request, fds = _receive(connection)
                except (OSError, ValueError):
                    connection.close()
                    continue
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    owned = [server, connection, *(c for _, c in children.values())]
                    _child(request, fds, owned, [selector], list(children))
                for fd in fds:
                    os.close(fd)
                pidfd = os.pidfd_open(pid)
                children[pidfd] = (pid, connection)
                selector.register(pidfd, selectors.EVENT_READ)
                with contextlib.suppress(OSError):
                    connection.sendall(json.dumps({"pid": pid}).encode() + b"\n")
            else:
                pidfd = int(key.fd)
                pid, connection = children.pop(pidfd)
                selector.unregister(pidfd)
                os.close(pidfd)
                _, status = os.waitpid(pid, 0)
                with contextlib.suppress(OSError):
                    connection.sendall(json.dumps({"status": status}).encode() + b"\n")
                connection.close()


# The zygote's one training of the anti-spam (_anti_spam_training), for its bot children.
_SHARED_TRAINING: Callable[[], None] | None = None


def _anti_spam_training() -> Callable[[], None]:
    """Every `civicbot run` trains the anti-spam on the shipped corpus at start, 0.5-1 s of
    CPU; the tests start a hundred or more. Training is deterministic, so the zygote trains once
    for the default policy, and each bot child (not a test worker) has `spam_memory.train`
    hand it a copy of that judge, as tests/e2e/conftest.py does for the bots in a worker's
    loop. Another corpus or policy is trained as before. Returns what installs it in a child."""
    import copy

    from bot.config import ModerationSettings
    from bot.domain import spam_eval
    from bot.domain.spam import SpamPolicy
    from bot.domain.spam_judge import SpamJudge
    from bot.services import spam_memory
    from bot.spam_corpus import shipped_corpus

    train = spam_eval.train
    corpus = tuple(shipped_corpus())
    default_policy = ModerationSettings().spam_policy()
    trained = train(corpus, default_policy, remember=False)

    def train_once(
        examples: Sequence[spam_eval.Example], policy: SpamPolicy, *, remember: bool
    ) -> SpamJudge:
        if not remember and policy == default_policy and tuple(examples) == corpus:
            return copy.deepcopy(trained)  # 0.03 s; a judge learns, the trained one must not
        return train(examples, policy, remember=remember)

    def install() -> None:
        vars(spam_memory)["train"] = train_once  # the name spam_memory looks up at each start

    return install


def _receive(connection: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """One request: its length, then JSON {argv, env, cwd}, with stdin, stdout and stderr
    passed as descriptors alongside."""
    data, fds, _, _ = socket.recv_fds(connection, 1 << 16, 3)
    while len(data) < _LENGTH.size or len(data) < _LENGTH.size + _LENGTH.unpack_from(data)[0]:
        more = connection.recv(1 << 16)
        if not more:
            for fd in fds:
                os.close(fd)
            raise ValueError("the request was cut short")
        data += more
    if len(fds) != 3:
        for fd in fds:
            os.close(fd)
        raise ValueError("a request passes stdin, stdout and stderr")
    return json.loads(data[_LENGTH.size :]), fds


def _child(
    request: dict[str, Any],
    fds: list[int],
    owned: list[socket.socket],
    selectors_: list[selectors.BaseSelector],
    pidfds: list[int],
) -> None:
    """In the forked child: become `python -m bot ARGS` and exit as the interpreter would."""
    code = 1
    try:
        zygote = os.getppid()
        die_with_parent()
        if os.getppid() != zygote:  # the zygote died before the line above
            os._exit(1)
        for selector in selectors_:
            selector.close()
        for sock in owned:
            sock.close()
        for pidfd in pidfds:
            os.close(pidfd)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in set(fds):
            if fd > 2:
                os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        time.tzset()
        if "python" in request:
            code = _run_as_interpreter(_python_c(request["python"]))
        else:
            sys.path[0] = os.getcwd()  # as `python -m` puts the working folder first
            if _SHARED_TRAINING is not None:
                _SHARED_TRAINING()
            code = _run_as_interpreter(_bot_main(request["argv"]))
    finally:
        os._exit(code)


def _bot_main(argv: list[str]) -> Callable[[], object]:
    """`python -m bot *argv`."""
    import runpy

    import bot

    sys.argv = [str(Path(bot.__file__).with_name("__main__.py")), *argv]
    return lambda: runpy.run_module("bot", run_name="__main__", alter_sys=True)


def _python_c(args: list[str]) -> Callable[[], object]:
    """`python -u -c CODE`, as execnet starts a pytest-xdist worker: standard streams of its
    own on descriptors 0-2 (stdout and stderr unbuffered, as -u makes them), CODE run as
    __main__ with the working folder first on the path."""
    if len(args) != 3 or args[:2] != ["-u", "-c"]:
        raise ValueError(f"a forked interpreter runs only -u -c CODE, not {args!r}")
    encoding = sys.stdout.encoding
    sys.stdin = open(0, encoding=encoding, closefd=False)  # noqa: SIM115 (sys.stdin)
    sys.stdout = io.TextIOWrapper(
        io.FileIO(1, "w", closefd=False), encoding=encoding, write_through=True
    )
    sys.stderr = io.TextIOWrapper(
        io.FileIO(2, "w", closefd=False),
        encoding=encoding,
        errors="backslashreplace",
        write_through=True,
    )
    sys.argv = ["-c"]
    sys.path[0] = ""
    main = types.ModuleType("__main__")
    sys.modules["__main__"] = main
    code = compile(args[2], "<string>", "exec")
    return lambda: exec(code, main.__dict__)


def _run_as_interpreter(main: Callable[[], object]) -> int:
    """`main`, then the interpreter's shutdown; the exit code, as the interpreter's would be."""
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = _exit_code(exc.code)
    except KeyboardInterrupt:
        # Python ends by the signal itself after an unhandled Ctrl+C.
        sys.excepthook(*sys.exc_info())
        _shutdown()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    except BaseException:
        sys.excepthook(*sys.exc_info())
        code = 1
    _shutdown()
    return code


def _shutdown() -> None:
    """What the interpreter does at exit: join the threads, run atexit, flush the streams."""
    import atexit

    with contextlib.suppress(BaseException):
        threading._shutdown()  # type: ignore[attr-defined]
    with contextlib.suppress(BaseException):
        atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):
            stream.flush()


def _exit_code(code: object) -> int:
    """The process's exit code for SystemExit(code), as the interpreter computes it."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    with contextlib.suppress(BaseException):
        print(code, file=sys.stderr)
    return 1


# --- the test worker's side ------------------------------------------------------------------


class _Zygote:
    """A zygote this process started: this worker's, on first use, or the one the xdist
    controller shares with its workers."""

    def __init__(self, *, wait: bool = True) -> None:
        self.folder = tempfile.mkdtemp(prefix="civicbot-zygote-")
        self.path = os.path.join(self.folder, "socket")
        self.process = subprocess.Popen(
            [sys.executable, "-c", f"from tests.zygote import _serve; _serve({self.path!r})"],
            cwd=REPO_ROOT,
            env=bot_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            preexec_fn=die_with_parent,
        )
        assert self.process.stdout is not None
        if not wait:  # its users wait for the socket (_SharedZygote)
            return
        line = self.process.stdout.readline()
        if line != b"ready\n":
            self.process.kill()
            self.process.wait()
            raise RuntimeError(f"the test zygote did not start: {line!r}")

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        for path in (self.path, self.path + ".new"):
            with contextlib.suppress(OSError):
                os.unlink(path)
        with contextlib.suppress(OSError):
            os.rmdir(self.folder)

    def fork(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        cwd: Path | str,
        fds: Sequence[int],
        *,
        python: bool = False,
    ) -> tuple[int, socket.socket]:
        """A child running `python -m bot *argv` (with `python`, `python *argv`, which may
        only be `-u -c CODE`): its pid and the connection that will carry its exit status."""
        command = {"python" if python else "argv": list(argv)}
        payload = json.dumps({**command, "env": dict(env), "cwd": str(cwd)}).encode()
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connection.connect(self.path)
            message = _LENGTH.pack(len(payload)) + payload
            sent = socket.send_fds(connection, [message], list(fds))
            connection.sendall(message[sent:])
            answer = _read_line(connection)
            if answer is None:
                raise RuntimeError("the test zygote ended without forking")
            return int(json.loads(answer)["pid"]), connection
        except BaseException:
            connection.close()
            raise


def _read_line(connection: socket.socket) -> bytes | None:
    data = b""
    while not data.endswith(b"\n"):
        chunk = connection.recv(1)
        if not chunk:
            return None
        data += chunk
    return data


class _SharedZygote(_Zygote):
    """The zygote the xdist controller started, used by this worker over its socket."""

    def __init__(self, path: str, timeout: float = 300.0) -> None:
        self.folder = os.path.dirname(path)
        self.path = path
        # The controller does not wait for its imports: the first worker to need it does.
        deadline = time.monotonic() + timeout
        while not os.path.exists(path):
            if time.monotonic() > deadline or not os.path.isdir(self.folder):
                raise RuntimeError(f"the shared test zygote did not start: {path}")
            time.sleep(0.05)

    def alive(self) -> bool:
        return os.path.exists(self.path)

    def close(self) -> None:
        """The controller ends it."""


_ZYGOTE: _Zygote | None = None
_START_LOCK = threading.Lock()


def start_shared_zygote() -> None:
    """Start the zygote that this process's xdist workers will share (they find its socket in
    the environment they inherit); ended by close_zygote, its children with it."""
    global _ZYGOTE
    if real_processes():
        return
    _ZYGOTE = _Zygote(wait=False)
    os.environ[SHARED_SOCKET] = _ZYGOTE.path


def _zygote() -> _Zygote:
    global _ZYGOTE
    with _START_LOCK:
        shared = os.environ.get(SHARED_SOCKET)
        if _ZYGOTE is None and shared:
            _ZYGOTE = _SharedZygote(shared)
        if _ZYGOTE is not None and not _ZYGOTE.alive():
            # The shared zygote is gone (the controller ended?): this worker starts its own.
            os.environ.pop(SHARED_SOCKET, None)
        if _ZYGOTE is None or not _ZYGOTE.alive():
            if _ZYGOTE is not None:
                _ZYGOTE.close()
            # PR_SET_PDEATHSIG follows the thread that started the zygote: the main thread,
            # which lives as long as the worker.
            assert threading.current_thread() is threading.main_thread()
            _ZYGOTE = _Zygote()
        return _ZYGOTE


def fork_xdist_workers(config: Any) -> None:
    """Have pytest-xdist's workers forked from the shared zygote (start_shared_zygote) instead
    of started as new interpreters: each would spend 5-7 s of CPU importing what the zygote
    has imported already. execnet starts a worker as `PYTHON -u -c BOOTSTRAP`; PYTHON here is
    this file run as a script (`_relay`), which has the zygote fork the worker with its
    standard streams, then waits for it and ends as it ends."""
    if _ZYGOTE is None or not isinstance(getattr(config.option, "tx", None), list):
        return
    if any(spec != "popen" for spec in config.option.tx):
        return  # workers the user chose (--tx): left as they are
    relay = f"{shlex.quote(sys.executable)} {shlex.quote(str(Path(__file__).resolve()))}"
    config.option.tx = [f"popen//python={relay}"] * len(config.option.tx)


def _relay(argv: list[str]) -> int:
    """`python tests/zygote.py ARGS`, an xdist worker's interpreter: the zygote named in the
    environment forks `python ARGS` with this process's stdin, stdout and stderr; this
    process lets go of stdin and stdout (execnet sees the worker end when its end of them
    closes), waits for the worker, and exits with its status."""
    zygote = _SharedZygote(os.environ[SHARED_SOCKET])
    pid, connection = zygote.fork(argv, os.environ, os.getcwd(), [0, 1, 2], python=True)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    code = ForkedProcess(pid, connection).wait_blocking()
    if code < 0:  # ended by a signal: so does this process
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    return code


def close_zygote() -> None:
    """End this worker's zygote (its children die with it); at the end of the session."""
    global _ZYGOTE
    if _ZYGOTE is not None:
        _ZYGOTE.close()
        _ZYGOTE = None


class ForkedProcess:
    """A child of the zygote, with the part of asyncio.subprocess.Process the tests use: pid,
    returncode (negative: the signal that ended it), wait(), send_signal(), terminate(),
    kill()."""

    def __init__(self, pid: int, connection: socket.socket) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._connection = connection
        self._buffer = b""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: list[asyncio.Future[int]] = []
        connection.setblocking(False)

    def _read_status(self) -> None:
        """Take what the zygote sent; once the status is in, the process has been reaped."""
        try:
            while True:
                chunk = self._connection.recv(4096)
                if not chunk:  # the zygote died, and its children with it (PDEATHSIG)
                    self._finished(-signal.SIGKILL)
                    return
                self._buffer += chunk
                if self._buffer.endswith(b"\n"):
                    status = json.loads(self._buffer)["status"]
                    self._finished(os.waitstatus_to_exitcode(status))
                    return
        except BlockingIOError:
            return

    def _finished(self, code: int) -> None:
        self.returncode = code
        self._unwatch()
        self._connection.close()
        for waiter in self._waiters:
            if not waiter.done():
                waiter.get_loop().call_soon_threadsafe(_resolve, waiter, code)
        self._waiters.clear()

    def _watch(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._loop is loop or self.returncode is not None:
            return
        self._unwatch()
        loop.add_reader(self._connection.fileno(), self._read_status)
        self._loop = loop

    def _unwatch(self) -> None:
        loop, self._loop = self._loop, None
        if loop is not None and not loop.is_closed():
            loop.remove_reader(self._connection.fileno())

    async def wait(self) -> int:
        if self.returncode is not None:
            return self.returncode
        loop = asyncio.get_running_loop()
        self._watch(loop)
        waiter: asyncio.Future[int] = loop.create_future()
        self._waiters.append(waiter)
        self._read_status()  # it may have ended before this loop watched it
        return await waiter

    def wait_blocking(self, timeout: float | None = None) -> int:
        """For synchronous callers: wait (at most `timeout` s) for the exit status."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise TimeoutError
            selector = selectors.DefaultSelector()
            with selector:
                selector.register(self._connection, selectors.EVENT_READ)
                if selector.select(remaining):
                    self._read_status()
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is not None:
            return
        self._read_status()  # an exit already reported is not signalled (the pid is free)
        if self.returncode is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _resolve(waiter: asyncio.Future[int], code: int) -> None:
    if not waiter.done():
        waiter.set_result(code)


def _fileno(target: IO[Any] | int | None, default: int) -> int:
    if target is None:
        return default
    if isinstance(target, int):
        return target
    return target.fileno()


async def civicbot_process(
    *argv: str,
    stdout: IO[Any] | int,
    stderr: IO[Any] | int,
    cwd: Path | str,
    env: Mapping[str, str] | None = None,
    real: bool = False,
) -> asyncio.subprocess.Process | ForkedProcess:
    """`python -m bot *argv` with stdout and stderr in files (or descriptors): forked from the
    zygote, or (`real`, or CIVICBOT_TEST_REAL_PROCESSES=1) a new interpreter. Either dies with
    the test worker; `env` defaults to `bot_env()`."""
    env = dict(env) if env is not None else bot_env()
    if real or real_processes():
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            *argv,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            env=env,
            cwd=cwd,
            preexec_fn=die_with_parent,
        )
    zygote = _zygote()
    with open(os.devnull, "rb") as devnull:
        fds = [devnull.fileno(), _fileno(stdout, 1), _fileno(stderr, 2)]
        pid, connection = zygote.fork(argv, env, cwd, fds)
    process = ForkedProcess(pid, connection)
    process._watch(asyncio.get_running_loop())
    return process


def run_civicbot(
    *argv: str, cwd: Path | str, env: Mapping[str, str] | None = None, timeout: float = 120.0
) -> subprocess.CompletedProcess[str]:
    """`python -m bot *argv` to its end, forked from the zygote (a new interpreter with
    CIVICBOT_TEST_REAL_PROCESSES=1), as subprocess.run(capture_output=True, text=True) gives
    it: exit code, stdout and stderr. A child still running after `timeout` s is killed and
    subprocess.TimeoutExpired raised."""
    args = [sys.executable, "-m", "bot", *argv]
    env = dict(env) if env is not None else bot_env()
    if real_processes():
        return subprocess.run(
            args,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        with open(os.devnull, "rb") as devnull:
            fds = [devnull.fileno(), out.fileno(), err.fileno()]
            process = ForkedProcess(*_zygote().fork(argv, env, cwd, fds))
        try:
            code = process.wait_blocking(timeout)
        except TimeoutError:
            process.kill()
            process.wait_blocking()
            raise subprocess.TimeoutExpired(args, timeout) from None
        return _completed(args, code, out, err)


async def run_civicbot_async(
    *argv: str, cwd: Path | str, env: Mapping[str, str] | None = None, timeout: float = 120.0
) -> subprocess.CompletedProcess[str]:
    """run_civicbot for a test's event loop: the loop runs on while the command does."""
    args = [sys.executable, "-m", "bot", *argv]
    if real_processes():
        real = await asyncio.create_subprocess_exec(
            *args,
            cwd=cwd,
            env=dict(env) if env is not None else bot_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(real.communicate(), timeout=timeout)
        except TimeoutError:
            real.kill()
            await real.wait()
            raise subprocess.TimeoutExpired(args, timeout) from None
        assert real.returncode is not None
        return subprocess.CompletedProcess(args, real.returncode, out.decode(), err.decode())
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        process = await civicbot_process(*argv, stdout=out_file, stderr=err_file, cwd=cwd, env=env)
        try:
            code = await asyncio.wait_for(process.wait(), timeout=timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise subprocess.TimeoutExpired(args, timeout) from None
        return _completed(args, code, out_file, err_file)


def _completed(
    args: list[str], code: int, out: IO[bytes], err: IO[bytes]
) -> subprocess.CompletedProcess[str]:
    out.seek(0)
    err.seek(0)
    return subprocess.CompletedProcess(
        args, code, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    )


__all__ = [
    "ForkedProcess",
    "bot_env",
    "civicbot_process",
    "close_zygote",
    "die_with_parent",
    "fork_xdist_workers",
    "real_processes",
    "run_civicbot",
    "run_civicbot_async",
]


if __name__ == "__main__":
    sys.exit(_relay(sys.argv[1:]))
