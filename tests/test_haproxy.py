"""The balancer's configuration (deploy/haproxy.cfg.j2): HAProxy itself accepts it, and it says what it must."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from server.cluster import haproxy
from server.cluster.haproxy import Node

ROOT = Path(__file__).resolve().parents[1]


def check(binary: str, config: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``haproxy -c`` on a rendered configuration."""
    path = tmp_path / "haproxy.cfg"
    path.write_text(config)
    return subprocess.run([binary, "-c", "-f", str(path)], capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("bind", ["127.0.0.1:8080", ":80", "[::1]:8443"])
def test_rendered_configuration_is_valid_for_haproxy(haproxy_binary, tmp_path, bind):
    nodes = [Node("a-1", "127.0.0.1:9001"), Node("a-2", "127.0.0.1:9002"), Node("b-1", "[::1]:9003")]
    config = haproxy.render(nodes, bind, stats_socket=tmp_path / "haproxy.sock", secure_cookie=True)
    result = check(haproxy_binary, config, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Configuration file is valid" in result.stdout + result.stderr
    # A broken configuration is refused by the same check (the check can fail).
    broken = check(haproxy_binary, config.replace("balance roundrobin", "balance nowhere"), tmp_path)
    assert broken.returncode != 0


def test_configuration_keeps_browsers_on_a_node_checks_health_and_spreads_the_rest(tmp_path):
    config = haproxy.render([Node("n1", "10.0.0.1:8080"), Node("n2", "10.0.0.2:8080")], ":80")
    lines = [line.strip() for line in config.splitlines()]
    assert "balance roundrobin" in lines  # clients without the cookie (captioning tools)
    assert f"cookie {haproxy.COOKIE} insert indirect nocache httponly" in lines  # long-polling stays on one node
    assert "http-check send meth GET uri /healthz" in lines and "http-check expect status 200" in lines
    default_server = next(line for line in lines if line.startswith("default-server"))
    assert "inter 500ms" in default_server and "fall 2" in default_server  # out within about a second
    assert "on-marked-down shutdown-sessions" in default_server  # its clients reconnect elsewhere
    assert "option redispatch" in lines and "timeout tunnel 1h" in lines  # WebSockets live for hours
    assert "http-request deny deny_status 404 if { path /metrics }" in lines
    assert "server n1 10.0.0.1:8080 cookie n1" in lines and "server n2 10.0.0.2:8080 cookie n2" in lines
    assert "stats socket" not in config and " secure" not in config


@pytest.mark.parametrize(("nodes", "said"), [
    ([], "at least one node"),
    ([Node("n1", "10.0.0.1:80"), Node("n1", "10.0.0.2:80")], "must differ"),
])
def test_render_refuses_what_haproxy_would_not_run(nodes, said):
    with pytest.raises(ValueError, match=said):
        haproxy.render(nodes, ":80")


@pytest.mark.parametrize(("text", "said"), [
    ("10.0.0.1", "expected HOST:PORT"), ("10.0.0.1:0", "expected HOST:PORT"), ("10.0.0.1:http", "expected HOST:PORT"),
    ("bad name=10.0.0.1:80", "node name"), ("=10.0.0.1:80", "node name"),
])
def test_a_bad_node_is_refused_with_what_is_wrong(text, said):
    with pytest.raises(ValueError, match=said):
        haproxy.parse_node(text, 1)


def test_haproxy_config_command_prints_a_valid_configuration(haproxy_binary, tmp_path):
    out = subprocess.run([sys.executable, "run.py", "haproxy-config", "--node", "10.0.0.11:8080", "--node",
                          "east=10.0.0.12:8080", "--bind", ":80"], cwd=ROOT, capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0, out.stderr
    assert "server node1 10.0.0.11:8080 cookie node1" in out.stdout
    assert "server east 10.0.0.12:8080 cookie east" in out.stdout
    assert check(haproxy_binary, out.stdout, tmp_path).returncode == 0
    bad = subprocess.run([sys.executable, "run.py", "haproxy-config", "--node", "10.0.0.11"], cwd=ROOT,
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and bad.stderr.strip() == "error: node address '10.0.0.11': expected HOST:PORT"


def test_a_missing_haproxy_is_named_with_how_to_install_it():
    with pytest.raises(haproxy.HAProxyMissing, match="apt-get install haproxy"):
        haproxy.binary("/nonexistent/haproxy")
