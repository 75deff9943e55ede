"""The server recipe's files as shipped: nginx accepts the site, systemd accepts the units, and the two agree on
the app processes."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.proxy import SITE, site_for_test

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = sorted(p for p in (DEPLOY / "systemd").iterdir() if p.suffix in {".service", ".target", ".timer"})


def test_nginx_accepts_the_shipped_site(tmp_path):
    if not shutil.which("nginx"):
        pytest.skip("nginx is not installed (Debian: apt-get install nginx)")
    conf = site_for_test(tmp_path, https_port=18443, http_port=18080, app_ports=[8501, 8502])
    checked = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True,
                             timeout=30, check=False)
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in SITE.read_text()  # nothing older


def test_the_site_routes_every_app_process_it_balances_to():
    """Each process in the upstream is one a session's cookie may name, and the other way round: a process
    missing from the map would have its sessions' uploads sent elsewhere."""
    site = SITE.read_text()
    upstream = re.search(r"upstream cpcm_app \{(.*?)\}", site, re.S)
    held = re.search(r"map \$cookie_cpcm_process \$cpcm_held \{(.*?)\}", site, re.S)
    assert upstream and held
    balanced = set(re.findall(r"server (\S+?) ", upstream.group(1)))
    named = set(re.findall(r'"(\S+)" (\S+);', held.group(1)))
    assert balanced == {a for a, _ in named} == {b for _, b in named} and balanced
    units = (DEPLOY / "systemd" / "cpcm.target").read_text()
    assert {f"127.0.0.1:{port}" for port in re.findall(r"cpcm@(\d+)\.service", units)} == balanced


def test_systemd_accepts_the_units(tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed (not a systemd machine)")
    project = Path(__file__).resolve().parents[2]
    python = Path(shutil.which("python") or "/usr/bin/python3").parent
    env_file = tmp_path / "cpcm.env"
    env_file.write_text((DEPLOY / "systemd" / "cpcm.env.example").read_text())
    for unit in UNITS:  # the install's paths, moved to where this checkout and its Python are
        text = unit.read_text().replace("/opt/cpcm/venv/bin/", f"{python}/").replace("/opt/cpcm/app", str(project))
        (tmp_path / unit.name).write_text(text.replace("/etc/cpcm/cpcm.env", str(env_file)))
    names = [str(tmp_path / u.name).replace("cpcm@.service", "cpcm@8501.service") for u in UNITS]
    (tmp_path / "cpcm@8501.service").write_text((tmp_path / "cpcm@.service").read_text())
    checked = subprocess.run(["systemd-analyze", "verify", "--man=no", *names], capture_output=True, text=True,
                             timeout=60, check=False, cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert not checked.stderr.strip(), checked.stderr


def test_the_security_policy_allows_exactly_streamlits_inline_script():
    """A Streamlit upgrade that changes its page's inline script fails here, naming the hash to put in the site."""
    import base64
    import hashlib

    import streamlit

    page = (Path(streamlit.__file__).parent / "static" / "index.html").read_text()
    inline = re.findall(r"<script>(.*?)</script>", page, re.S)
    hashes = {"'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'" for s in inline}
    policy = re.search(r'Content-Security-Policy "([^"]+)"', SITE.read_text())
    assert policy
    script_src = next(d for d in policy.group(1).split(";") if d.strip().startswith("script-src")).split()
    assert hashes <= set(script_src), f"put {sorted(hashes)} in the site's script-src"
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
