"""The command line as a parent process sees it: `listening on`, tokens, signals, errors."""

import asyncio
import os
import signal
import socket
import sys
import tempfile
import unittest

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

import helpers as h

TESTS = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.dirname(TESTS)
START = 60.0  # generous: a loaded 2-core machine


def env(**extra):
    e = {k: v for k, v in os.environ.items() if k != "PLENARY_TOKEN"}
    e["PYTHONPATH"] = os.pathsep.join([PYTHON_DIR, TESTS])
    e.update(extra)
    return e


class Process:
    def __init__(self, proc):
        self.proc = proc
        self.address = None

    @classmethod
    async def spawn(cls, *args, environ=None, stdin=asyncio.subprocess.DEVNULL):
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "plenary_delegation",
            *args,
            stdin=stdin,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environ or env(),
            cwd=TESTS,
        )
        return cls(proc)

    async def listening(self):
        line = await asyncio.wait_for(self.proc.stdout.readline(), START)
        text = line.decode()
        if not text.startswith("listening on "):
            err = await self.proc.stderr.read()
            raise AssertionError(f"expected `listening on`, got {text!r}; stderr: {err.decode()}")
        self.address = text[len("listening on ") :].strip()
        return self.address

    async def finish(self, timeout=START):
        out, err = await asyncio.wait_for(self.proc.communicate(), timeout)
        return self.proc.returncode, out.decode(), err.decode()

    async def kill(self):
        if self.proc.returncode is None:
            self.proc.kill()
        await self.proc.communicate()


class CliTest(unittest.IsolatedAsyncioTestCase):
    async def spawn(self, *args, **kw):
        p = await Process.spawn(*args, **kw)
        self.addAsyncCleanup(p.kill)
        return p

    async def test_prints_the_bound_address_serves_and_stops_on_sigterm(self):
        p = await self.spawn("--strategy", "helpers:Recorder", "--listen", "127.0.0.1:0")
        address = await p.listening()
        host, port = address.rsplit(":", 1)
        self.assertEqual(host, "127.0.0.1")
        self.assertGreater(int(port), 0)
        async with grpc.aio.insecure_channel(address) as ch:
            r = await health_pb2_grpc.HealthStub(ch).Check(
                health_pb2.HealthCheckRequest(service="plenary.v2.Delegation")
            )
            self.assertEqual(r.status, health_pb2.HealthCheckResponse.SERVING)
        c = h.ChairStream(address)
        await c.hello()
        (a,) = await c.send([h.open_()])
        self.assertEqual(a.opened.strategy, "recorder")
        await c.close()
        p.proc.send_signal(signal.SIGTERM)
        code, _, err = await p.finish()
        self.assertEqual(code, 0, err)

    async def test_a_strategy_file_and_sigint(self):
        p = await self.spawn("--strategy", os.path.join(TESTS, "helpers.py") + ":Recorder")
        await p.listening()
        p.proc.send_signal(signal.SIGINT)
        code, _, err = await p.finish()
        self.assertEqual(code, 0, err)

    async def test_the_token_from_the_environment(self):
        p = await self.spawn("--strategy", "helpers:Recorder", environ=env(PLENARY_TOKEN="tok-123"))
        address = await p.listening()
        bad = h.ChairStream(address)
        code, _ = await bad.status()
        self.assertEqual(code, grpc.StatusCode.UNAUTHENTICATED)
        await bad.close()
        good = h.ChairStream(address, token="tok-123")
        self.assertEqual((await good.hello()).version, 2)
        await good.close()

    async def test_a_token_file_must_be_private(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "token")
            with open(path, "w") as fh:
                fh.write("tok-456\n")
            os.chmod(path, 0o644)
            p = await self.spawn("--strategy", "helpers:Recorder", "--token-file", path)
            code, out, err = await p.finish()
            self.assertEqual(code, 2, err)
            self.assertIn(f"chmod 600 {path}", err)
            self.assertNotIn("listening", out)
            os.chmod(path, 0o600)
            p = await self.spawn("--strategy", "helpers:Recorder", "--token-file", path)
            address = await p.listening()
            good = h.ChairStream(address, token="tok-456")
            self.assertEqual((await good.hello()).version, 2)
            await good.close()
            both = await self.spawn(
                "--strategy", "helpers:Recorder", "--token-file", path, environ=env(PLENARY_TOKEN="x")
            )
            code, _, err = await both.finish()
            self.assertEqual(code, 2)
            self.assertIn("PLENARY_TOKEN", err)

    async def test_an_address_in_use_is_an_error(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            port = s.getsockname()[1]
            p = await self.spawn("--strategy", "helpers:Recorder", "--listen", f"127.0.0.1:{port}")
            code, out, err = await p.finish()
        self.assertEqual(code, 1, err)
        self.assertIn(f"cannot listen on 127.0.0.1:{port}", err)

    async def test_bad_arguments(self):
        for args, needle in (
            (["--strategy", "helpers:NoSuchThing"], "no 'NoSuchThing'"),
            (["--strategy", "helpers"], "MODULE:NAME"),
            (["--strategy", "helpers:Recorder", "--listen", "nonsense"], "HOST:PORT"),
            (["--strategy", "helpers:Recorder", "--register", "http://127.0.0.1:9"], "--state"),
        ):
            with self.subTest(args=args):
                p = await self.spawn(*args)
                code, _, err = await p.finish()
                self.assertIn(code, (1, 2), err)
                self.assertIn(needle, err)

    async def test_exit_with_stdin(self):
        p = await self.spawn("--strategy", "helpers:Recorder", "--exit-with-stdin", stdin=asyncio.subprocess.PIPE)
        await p.listening()
        p.proc.stdin.close()
        code, _, err = await p.finish()
        self.assertEqual(code, 0, err)


if __name__ == "__main__":
    unittest.main()
