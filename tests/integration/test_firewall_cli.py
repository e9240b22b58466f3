"""tockctl firewall: rules from the configuration's allow/deny, validated by nft itself."""
import shutil
import subprocess

import pytest

from conftest import REPO, TOCKCTL, needs_root

CORRECTED = REPO / "examples" / "tock-tutorial.conf"


def run(*args):
    return subprocess.run([str(TOCKCTL), "firewall", *args], capture_output=True, text=True,
                          timeout=30)


@needs_root
def test_nftables_output_is_valid_and_exact(tmp_path):
    if not shutil.which("nft"):
        pytest.skip("nft not installed")
    out = run("--nftables", "--notrack", "-f", str(CORRECTED))
    assert out.returncode == 0, out.stderr
    rules = tmp_path / "tock.nft"
    rules.write_text(out.stdout)
    for subnet in ("192.168.1.0/24", "10.0.0.0/8", "172.16.0.0/12"):
        assert f"ip saddr {subnet} udp dport 123 accept" in out.stdout
    assert "udp dport 123 drop" in out.stdout
    # Checked by nft in a private network namespace (nothing is loaded on this machine).
    check = subprocess.run(["unshare", "-n", "nft", "-c", "-f", str(rules)],
                           capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr


def test_ufw_and_firewalld_from_the_tutorial():
    ufw = run("--ufw", "-f", str(CORRECTED))
    assert ufw.returncode == 0, ufw.stderr
    assert "ufw allow proto udp from 10.0.0.0/8 to any port 123" in ufw.stdout
    # Never the tutorial's `ufw limit 123/udp`, which opens the port to everyone.
    commands = [l for l in ufw.stdout.splitlines() if l and not l.startswith("#")]
    assert commands and all(l.startswith("ufw ") and " limit " not in l for l in commands)
    fwd = run("--firewalld", "-f", str(CORRECTED))
    assert fwd.returncode == 0, fwd.stderr
    assert "priority=" in fwd.stdout
    assert 'source address="172.16.0.0/12"' in fwd.stdout


def test_port_zero_opens_nothing(tmp_path):
    conf = tmp_path / "c.conf"
    conf.write_text("port 0\nallow 10.0.0.0/8\n")
    out = run("--nftables", "-f", str(conf))
    assert out.returncode == 0
    assert "accept" not in out.stdout


def test_bad_config_and_usage():
    bad = run("--nftables", "-f", str(REPO / "examples" / "tutorial-chrony.conf"))
    assert bad.returncode == 1
    assert "has errors" in bad.stderr
    assert run("-f", str(CORRECTED)).returncode == 2
