"""`reload sources` (sourcedir files read again: new lines added, gone or changed ones
removed, the rest keep their measurements) and `dump` (measurement histories in chronyd's
dump format, which a real chronyd -r loads), through the Unix socket."""
import json
import os
import re
import signal
import subprocess
import time

from chronyd_util import CHRONYC, chronyd
from conftest import TOCKCTL, give_to_test_user
from tockutil import wait_until


def ctl(sock, *args):
    r = subprocess.run([str(TOCKCTL), "-h", str(sock), *args], capture_output=True, text=True,
                       timeout=20)
    return r.returncode, r.stdout, r.stderr


def sources(sock):
    rc, out, err = ctl(sock, "-j", "sourcestats")
    assert rc == 0, out + err
    return {s["address"]: s for s in json.loads(out)["sources"]}


def line(host, port, extra=""):
    return f"server {host} port {port} iburst minpoll 0 maxpoll 0{extra}\n"


def test_reload_sources(tockd, tmp_path):
    srcdir = tmp_path / "sources.d"
    srcdir.mkdir()
    with chronyd(["local stratum 8", "allow 127.0.0.1"]) as a, \
            chronyd(["local stratum 8", "allow 127.0.0.1"], address="127.0.0.2") as b, \
            chronyd(["local stratum 9", "allow 127.0.0.1"], address="127.0.0.3") as c:
        # Started with an empty sourcedir and one source in the main file.
        d = tockd(line("127.0.0.3", c.port) + f"port 0\ncmdport 0\nsourcedir {srcdir}\n",
                  args=["-d", "-x"], wait=r"command socket")
        assert wait_until(lambda: sources(d.socket).get("127.0.0.3", {}).get("samples", 0) >= 3,
                          20)
        (srcdir / "a.sources").write_text(line("127.0.0.1", a.port))
        (srcdir / "ignored.conf").write_text(line("192.0.2.1", 123))  # not *.sources
        rc, out, _ = ctl(d.socket, "reload", "sources")
        assert (rc, out) == (0, "200 OK\n")
        d.wait_log(r"sources reloaded: 1 added, 0 removed")
        assert sorted(sources(d.socket)) == ["127.0.0.1", "127.0.0.3"]
        assert wait_until(lambda: sources(d.socket)["127.0.0.1"]["samples"] >= 4, 20)

        # b added, a unchanged (keeps its samples), with chronyc this time.
        before = sources(d.socket)["127.0.0.1"]["samples"]
        (srcdir / "b.sources").write_text(line("127.0.0.2", b.port) + "bogus line\n")
        r = subprocess.run([CHRONYC, "-h", str(d.socket), "reload", "sources"],
                           capture_output=True, text=True, timeout=20)
        assert (r.returncode, r.stdout) == (0, "200 OK\n"), r.stderr
        text = d.wait_log(r"sources reloaded: 1 added, 0 removed.*\n(.*\n)*.*sources reloaded: "
                          r"1 added, 0 removed")
        assert re.search(r"reload sources: .*b\.sources:2: .*bogus", text), text
        s = sources(d.socket)
        assert sorted(s) == ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
        assert s["127.0.0.1"]["samples"] >= before  # not reset

        # a changed (another option): removed and added again, its history starts over;
        # b's file removed: b goes; the main file's source stays whatever the files say.
        (srcdir / "a.sources").write_text(line("127.0.0.1", a.port, " maxdelay 0.5"))
        (srcdir / "b.sources").unlink()
        assert ctl(d.socket, "reload", "sources")[:2] == (0, "200 OK\n")
        d.wait_log(r"sources reloaded: 1 added, 2 removed")
        s = sources(d.socket)
        assert sorted(s) == ["127.0.0.1", "127.0.0.3"]
        assert s["127.0.0.1"]["samples"] < 4
        assert s["127.0.0.3"]["samples"] >= 3
        # and it is polled again
        assert wait_until(lambda: sources(d.socket)["127.0.0.1"]["samples"] >= 3, 20)
        rc, out, _ = ctl(d.socket, "-j", "activity")
        act = json.loads(out)
        assert act["online"] + act["burst_online"] == 2, out  # (the new one may be in iburst)
        assert d.alive()


def test_reload_from_no_sources(tockd, tmp_path):
    """A daemon started without any source gets its first through reload sources."""
    srcdir = tmp_path / "sources.d"
    srcdir.mkdir()
    with chronyd(["local stratum 8", "allow 127.0.0.1"]) as a:
        d = tockd(f"port 0\ncmdport 0\nsourcedir {srcdir}\n", args=["-d", "-x"],
                  wait=r"command socket")
        assert sources(d.socket) == {}
        (srcdir / "a.sources").write_text(line("127.0.0.1", a.port))
        assert ctl(d.socket, "reload", "sources")[:2] == (0, "200 OK\n")

        def synced():
            rc, out, _ = ctl(d.socket, "-j", "tracking")
            return json.loads(out)["stratum"] == 9
        assert wait_until(synced, 30), ctl(d.socket, "sources")[1]


def test_dump_loaded_by_chronyd(tockd, tmp_path):
    """tockd's dump files are chronyd's: a chronyd -r with the same source line loads
    them. `dump` without dumpdir is "200 OK" and writes nothing, as in chronyd; with
    dumpdir, the files are also written at exit."""
    dumpdir = tmp_path / "dump"
    dumpdir.mkdir()
    give_to_test_user(dumpdir)
    with chronyd(["local stratum 8", "allow 127.0.0.1"]) as a:
        src = line("127.0.0.1", a.port)
        d = tockd(src + f"port 0\ncmdport 0\ndumpdir {dumpdir}\n", args=["-d", "-x"],
                  wait=r"command socket")
        assert wait_until(lambda: sources(d.socket).get("127.0.0.1", {}).get("samples", 0) >= 6,
                          30)
        assert ctl(d.socket, "dump")[:2] == (0, "200 OK\n")
        path = dumpdir / "127.0.0.1.dat"
        text = path.read_text().splitlines()
        assert text[:2] == ["SRC0", "127.0.0.1"]
        auth, reach, size, stratum, leap = text[2].split()
        assert (auth, stratum, leap) == ("0", "8", "0") and int(reach, 8) > 0
        n = int(text[3].split()[0])
        assert n >= 6 and len(text) == 4 + n
        for row in text[4:]:
            assert re.fullmatch(r"\d+\.\d{9}( -?\d\.\d{6}e[+-]\d\d){6}", row), row
        mtime = path.stat().st_mtime_ns
        time.sleep(0.05)
        assert d.stop() == 0
        assert "dumped the measurements of 1 source" in d.log()
        assert path.stat().st_mtime_ns > mtime  # written again at exit

        with chronyd([src, f"dumpdir {dumpdir}"], extra_args=["-r"]) as c:
            assert wait_until(lambda: "Loaded dump file for 127.0.0.1" in c.read_log(), 10), \
                c.read_log()
            assert "Could not load" not in c.read_log()

    d2 = tockd("port 0\ncmdport 0\nlocal stratum 10\n", args=["-d", "-x"],
               wait=r"command socket")
    assert ctl(d2.socket, "dump")[:2] == (0, "200 OK\n")
    os.kill(d2.proc.pid, signal.SIGTERM)
    assert d2.stop() == 0
