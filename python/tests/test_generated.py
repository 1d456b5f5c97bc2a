"""The committed stubs match the .proto files (python/generate.py --check)."""

import os
import subprocess
import sys
import unittest

GENERATE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "generate.py")


class GeneratedTest(unittest.TestCase):
    def test_the_committed_stubs_match_the_proto_files(self):
        # Needs grpcio-tools (the `dev` extra): a missing generator fails, it never skips.
        r = subprocess.run([sys.executable, GENERATE, "--check"], capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("up to date", r.stdout)


if __name__ == "__main__":
    unittest.main()
