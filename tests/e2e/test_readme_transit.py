"""The README's transit section, run literally with the `bao` CLI against a Coffer dev server (issue 12, item 11)."""
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from conftest import http

README = Path(__file__).resolve().parents[2] / "README.md"


def transit_example():
    text = README.read_text()
    section = text[text.index("## Transit\n"):]
    section = section[: section.index("\n## ", 1)]
    m = re.search(r"```sh\n(.*?)```", section, re.S)
    assert m, "the README's transit section has a sh example"
    return m.group(1)


@pytest.mark.skipif(shutil.which("bao") is None, reason="bao not installed")
def test_readme_transit_example_runs(coffer_server):
    # A mount path of its own, so the session's dev server can be shared: the README's "transit" becomes unique.
    mount = "transit-readme-" + uuid.uuid4().hex[:8]
    script = transit_example()
    assert "bao secrets enable transit" in script and "xwing-mlkem768-x25519" in script
    for t in ("mldsa-44", "mldsa-65", "mldsa-87"):
        assert t in script
    script = script.replace("bao secrets enable transit", f"bao secrets enable -path={mount} transit").replace("transit/", f"{mount}/")
    # bao prints a -field value without a newline when its output is not a terminal: add one, to read the results.
    lines = []
    for line in script.splitlines():
        line = re.sub(r"\s+#.*$", "", line)
        lines.append(line + "; echo" if line.strip().startswith("bao write -field") else line)
    script = "\n".join(lines)
    env = dict(os.environ, VAULT_ADDR=coffer_server["addr"], VAULT_TOKEN=coffer_server["token"])
    env.pop("VAULT_CACERT", None)
    p = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, (p.stdout, p.stderr)
    lines = [line.strip() for line in p.stdout.splitlines()]
    assert "card 4111" in lines and "long-lived secret" in lines, p.stdout
    assert lines.count("true") == 3, p.stdout
    status, body = http(coffer_server["addr"], "GET", f"{mount}/keys/release-mldsa-65", token=coffer_server["token"])
    assert status == 200 and body["data"]["type"] == "mldsa-65" and body["data"]["keys"]["1"]["public_key"]
