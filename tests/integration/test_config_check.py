"""tockd -Q and -p on the tutorial's configuration: every bad line in one run, with the fix;
the corrected configuration passes; nothing is resolved and no packet is sent."""
import os
import re
import subprocess

from conftest import REPO, TOCKD, require_tool
from tockutil import drop_nscd_probes

TUTORIAL = REPO / "examples" / "tutorial-chrony.conf"
CORRECTED = REPO / "examples" / "tock-tutorial.conf"

# Line -> a piece of the message, as documented in examples/tutorial-chrony.md.
EXPECTED_ERRORS = {
    18: "several directives on one line",
    22: "several directives on one line",
    26: "several directives on one line",
    30: "remove 'ntp': ratelimit interval 1 burst 8",
    34: "several directives on one line",
    38: "several directives on one line",
    42: "several directives on one line",
    69: "remove 'ntp'",
    90: "use sched_priority 1",
    92: "rate limiting cannot be enabled with noclientlog",
    96: "minpoll is an option of server/pool",
}


def check(path):
    return subprocess.run([str(TOCKD), "-Q", "-f", str(path)], capture_output=True, text=True,
                          timeout=30)


def test_tutorial_config_fails_at_the_documented_lines():
    r = check(TUTORIAL)
    assert r.returncode == 1
    errors = {}
    for line in r.stderr.splitlines():
        m = re.match(rf"{re.escape(str(TUTORIAL))}:(\d+): error: (.*)", line)
        if m:
            errors.setdefault(int(m.group(1)), []).append(m.group(2))
    assert set(errors) == set(EXPECTED_ERRORS), errors
    for line, piece in EXPECTED_ERRORS.items():
        assert any(piece in msg for msg in errors[line]), (line, errors[line])
    # Warnings for lines that have no effect, naming both lines.
    assert re.search(r":65: warning: deny all at \S+:65 denies everyone: it wipes the allow "
                     r"rules at", r.stderr), r.stderr
    assert re.search(r":26: warning: allow has no effect: port 0 at \S+:22", r.stderr)
    assert re.search(r":69: warning: ratelimit at \S+:69 overrides \S+:30", r.stderr)
    assert r.stderr.rstrip().endswith("13 errors, 10 warnings")


def test_corrected_config_passes():
    r = check(CORRECTED)
    assert r.returncode == 0, r.stderr
    assert "0 errors, 0 warnings" in r.stderr
    assert " error: " not in r.stderr


def test_print_reparses_to_the_same_config(tmp_path):
    p1 = subprocess.run([str(TOCKD), "-p", "-f", str(CORRECTED)], capture_output=True,
                        text=True, timeout=30)
    assert p1.returncode == 0, p1.stderr
    printed = tmp_path / "printed.conf"
    printed.write_text(p1.stdout)
    assert check(printed).returncode == 0
    p2 = subprocess.run([str(TOCKD), "-p", "-f", str(printed)], capture_output=True,
                        text=True, timeout=30)
    assert p2.stdout == p1.stdout


def test_check_resolves_no_name_and_sends_no_packet(tmp_path):
    """The tutorial's pools and servers are out of reach: -Q must not even try."""
    require_tool("strace")
    trace = tmp_path / "trace"
    # LeakSanitizer cannot work under ptrace (the ASan build)
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    r = subprocess.run(["strace", "-f", "-o", str(trace), "-e", "trace=network",
                        str(TOCKD), "-Q", "-f", str(CORRECTED)],
                       capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    # (-Q looks the daemon's user up for its file checks: glibc's nscd probe is no packet.)
    text = drop_nscd_probes(trace.read_text())
    assert not re.search(r"\b(socket|connect|sendto|sendmsg|sendmmsg)\(", text), text


def test_check_exit_status_without_file(tmp_path):
    r = check(tmp_path / "missing.conf")
    assert r.returncode == 1
    assert "missing.conf" in r.stderr
