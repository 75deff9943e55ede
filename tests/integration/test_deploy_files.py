"""The server recipe's files as shipped: nginx accepts the site, systemd accepts the units, and the two agree on
the app processes."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SITE = DEPLOY / "nginx" / "cpcm.conf"
UNITS = sorted(p for p in (DEPLOY / "systemd").iterdir() if p.suffix in {".service", ".target", ".timer"})


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for localhost, made for the test (as an IT officer's would be by their CA or certbot)."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
                   .not_valid_after(now + timedelta(days=2))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
                   .sign(key, hashes.SHA256()))
    cert, private = folder / "fullchain.pem", folder / "privkey.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    private.chmod(0o600)
    return cert, private


def site_for_test(folder: Path, *, https_port: int, http_port: int, app_ports: list[int]) -> Path:
    """The shipped site with only what its CHANGE marks ask changed (certificate, ports, app processes), inside
    a minimal nginx.conf that runs as this user in ``folder``. Returns the nginx.conf."""
    cert, private = self_signed_certificate(folder)
    site = SITE.read_text()
    site = site.replace("/etc/ssl/cpcm/fullchain.pem", str(cert)).replace("/etc/ssl/cpcm/privkey.pem", str(private))
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", site)
    servers = "".join(f"\n    server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;" for port in app_ports)
    site = re.sub(r"(\n    server 127\.0\.0\.1:850\d max_fails=1 fail_timeout=10s;)+", servers, site)
    held = "".join(f'\n    "127.0.0.1:{port}" 127.0.0.1:{port};' for port in app_ports)
    site = re.sub(r'(\n    "127\.0\.0\.1:850\d" 127\.0\.0\.1:850\d;)+', held, site)
    (folder / "site.conf").write_text(site)
    for sub in ("logs", "body", "proxy"):
        (folder / sub).mkdir(exist_ok=True)
    conf = folder / "nginx.conf"
    conf.write_text(f"""pid {folder}/nginx.pid;
error_log {folder}/logs/error.log;
events {{}}
http {{
    access_log {folder}/logs/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    include /etc/nginx/mime.types;
    include {folder}/site.conf;
}}
""")
    return conf


def test_nginx_accepts_the_shipped_site(tmp_path):
    if not shutil.which("nginx"):
        pytest.skip("nginx is not installed (Debian: apt-get install nginx)")
    conf = site_for_test(tmp_path, https_port=18443, http_port=18080, app_ports=[8501, 8502])
    checked = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True,
                             timeout=30, check=False)
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


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
