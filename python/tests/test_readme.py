"""The complete example strategy of python/README.md works as the README says."""

import asyncio
import os
import re
import signal
import sys
import tempfile
import unittest

import helpers as h
from plenary_delegation.proto import delegation_pb2 as pb

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")
MARKER = "<!-- readme-example:"


def example_source() -> str:
    with open(README, encoding="utf-8") as fh:
        text = fh.read()
    after = text[text.index(MARKER) :]
    m = re.search(r"```python\n(.*?)```", after, re.DOTALL)
    return m.group(1)


class ReadmeExampleTest(unittest.IsolatedAsyncioTestCase):
    async def test_the_example_serves_a_seat_through_a_session(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "my_strategy.py")
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(example_source())
            env = dict(os.environ, PYTHONPATH=os.path.dirname(README))
            env.pop("PLENARY_TOKEN", None)
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                path,
                "--listen",
                "127.0.0.1:0",
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
            )
            try:
                line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
                if not line.startswith("listening on 127.0.0.1:"):
                    proc.kill()
                    self.fail(f"expected `listening on`, got {line!r}: {(await proc.stderr.read()).decode()}")
                chair = h.ChairStream(line.split()[-1])
                await chair.hello()
                # Item 1 (ideal 20, red line 20, salience 0.5) has no common policy yet.
                b = h.brief()
                b.items[1].ClearField("status_quo")
                package = h.vote(6, item=h.ITEMS, phase=pb.PHASE_PACKAGE, proposal=None)
                package.vote.context.package.add(item=1, value=25.0)
                bad_package = h.vote(7, item=h.ITEMS, phase=pb.PHASE_PACKAGE, proposal=None)
                bad_package.vote.context.package.add(item=1, value=25.0)
                bad_package.vote.context.package.add(item=0, value=90.0, status_quo=40.0)
                answers = await chair.send(
                    [
                        h.open_(b=b),
                        h.position(2, item=1),
                        h.vote(3, item=1, proposal=95.0),
                        h.vote(4, item=1, proposal=25.0),
                        h.outcome(5, item=1, value=25.0),
                        package,
                        bad_package,
                        h.vote(8, item=1, proposal=45.0),
                        h.session_end(9, gain=-1.0),
                    ]
                )
                await chair.close()
                bodies = [(a.WhichOneof("body"), a) for a in answers]
                self.assertEqual(
                    [b for b, _ in bodies],
                    ["opened", "position", "vote", "vote", "vote", "vote", "vote", "stance"],
                    answers,
                )
                self.assertEqual(answers[0].opened.strategy, "sincere")
                self.assertEqual(answers[1].position.position, 20.0)  # the true ideal of item 1
                self.assertEqual(answers[2].vote.vote, pb.VOTE_NO)  # beyond its red line, no policy to beat
                self.assertEqual(answers[3].vote.vote, pb.VOTE_YES)  # within its red line
                self.assertEqual(answers[4].vote.vote, pb.VOTE_YES)  # the package holds item 1 at 25
                self.assertEqual(answers[5].vote.vote, pb.VOTE_NO)  # item 0 at 90: beyond its red line
                self.assertEqual(answers[6].vote.vote, pb.VOTE_NO)  # beyond its red line, worse than 25 in force
                self.assertEqual(answers[7].stance.stance, pb.STANCE_STAY)  # legitimacy 0.5
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(await asyncio.wait_for(proc.wait(), 60), 0)
            finally:
                if proc.returncode is None:
                    proc.kill()
                await proc.communicate()


if __name__ == "__main__":
    unittest.main()
