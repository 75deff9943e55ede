"""The shipped nginx site run for tests: a self-signed certificate, the site with only what its CHANGE marks ask
changed, nginx started in the foreground in a test folder and stopped after."""

from __future__ import annotations

import http.client
import os
import re
import signal
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SITE = Path(__file__).resolve().parents[1] / "deploy" / "nginx" / "cpcm.conf"


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
    # nginx started by root runs its workers as root here: the test folder is root's own
    user = "user root;\n" if os.geteuid() == 0 else ""
    for sub in ("logs", "body", "proxy"):
        (folder / sub).mkdir(exist_ok=True)
    conf = folder / "nginx.conf"
    conf.write_text(f"""{user}pid {folder}/nginx.pid;
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


def insecure_tls() -> ssl.SSLContext:
    """Trust the test's own self-signed certificate (and only ever used against it)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@contextmanager
def running_proxy(folder: Path, app_ports: list[int], https_port: int = 0) -> Iterator[tuple[str, str]]:
    """nginx with the shipped site in front of ``app_ports``; yields its https and http addresses."""
    from bench.serving import free_port

    https_port, http_port = https_port or free_port(), free_port()
    conf = site_for_test(folder, https_port=https_port, http_port=http_port, app_ports=app_ports)
    process = subprocess.Popen(["nginx", "-p", str(folder), "-c", str(conf), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"https://localhost:{https_port}"
    try:
        deadline = time.monotonic() + 30
        while True:  # nginx answers its plain-HTTP redirect itself: asking the apps would mark them down
            if process.poll() is not None:
                raise RuntimeError(f"nginx stopped: {process.stderr.read().decode() if process.stderr else ''}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", http_port, timeout=2)
                connection.request("GET", "/")
                if connection.getresponse().status == 301:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url, f"http://localhost:{http_port}"
    finally:
        process.send_signal(signal.SIGQUIT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
