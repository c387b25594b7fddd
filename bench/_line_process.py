"""A helper process the benchmarks talk to by lines: the Bot API double in its own process, so
that its clock and limits do not share the measured bot's event loop.

The process prints one JSON line when it is ready (kept as `info`), then answers each command
line on its stdin with one JSON line, and stops on "quit".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
from typing import Any


class LineProcess:
    def __init__(self, script: str, *argv: str) -> None:
        self.script = script
        self.process = subprocess.Popen(
            [sys.executable, script, *argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.info = self._read()

    def _read(self) -> Any:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"{self.script} stopped")
        return json.loads(line)

    def ask_now(self, command: str) -> Any:
        """The answer to one command, waiting for it in this thread."""
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self._read()

    async def ask(self, command: str) -> Any:
        """The answer to one command, waited for off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(None, self.ask_now, command)

    def close(self, timeout: float = 60) -> None:
        assert self.process.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self.process.stdin.write("quit\n")
            self.process.stdin.flush()
        self.process.wait(timeout=timeout)
