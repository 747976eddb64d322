#!/usr/bin/env python3
"""Measurements and the table of `make bench` (started by bench.sh, which
builds the programs and installs what is needed; see bench.sh for the
story). Standard library only. Every row is measured in this run.

Deterministic numbers (instructions, heap bytes, stack bytes, request and
connection counts) come from callgrind, the heap counter and the emulator;
wall times are medians of a few runs and only their ratios mean anything.
"""
import http.server
import json
import os
import re
import shutil
import socketserver
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.getcwd()
B = os.environ.get("BENCH_BUILD", "build/bench")
EMU = os.environ.get("BENCH_EMULATOR", "target/release/gcal-emulator")
VENV_PY = os.environ.get("BENCH_VENV_PY", "")
TRIPLES = {
    "armv7": ("armv7-unknown-linux-gnueabihf", "arm-linux-gnueabihf-", "armhf"),
    "aarch64": ("aarch64-unknown-linux-gnu", "aarch64-linux-gnu-", "arm64"),
    "x86_64": ("x86_64-unknown-linux-gnu", "", "amd64"),
}
QEMU = {
    "armv7": ["qemu-arm", "-L", "/usr/arm-linux-gnueabihf"],
    "aarch64": ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"],
}
# Budgets of issue 7; the armv7 sizes as raised by issue 14 (Workspace mode).
BUDGET_ARMV7_DEFAULT = 1.33e6
BUDGET_ARMV7_LEAN = 1.27e6
BUDGET_HEAP = 128 * 1024
BUDGET_STACK = 64 * 1024
BUDGET_FIRST = 0.3
BUDGET_STEADY = 1.0
BUDGET_PY_RSS = 1 / 5
# Presence (issue 15).
BUDGET_PRESENCE_REQUESTS = 20  # one refresh of 1,000 extensions, on 1 connection
BUDGET_PRESENCE_HEAP = 256 * 1024  # the presence table for 1,000 extensions
BUDGET_PRESENCE_GET = 5000  # instructions of one gs_gcal_presence_get
BUDGET_LINEAR = 1.25  # per-unit cost at the largest N <= 1.25 x at the smaller
PRESENCE_N = (100, 1000, 10000)
DEFAULT_BUDGET_TXT = "<= %.2f MB" % (BUDGET_ARMV7_DEFAULT / 1e6)
LEAN_BUDGET_TXT = "<= %.2f MB" % (BUDGET_ARMV7_LEAN / 1e6)

WORK = tempfile.mkdtemp(prefix="gs_gcal_bench.")
RUN_ID = [0]
ROWS = []  # (section, what, ours, baseline, ratio, budget, verdict)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def row(section, what, ours, base="", ratio="", budget="", verdict=""):
    ROWS.append((section, what, str(ours), str(base), str(ratio), str(budget), verdict))


def kb(n):
    return "%.1f KB" % (n / 1024)


def mb(n):
    return "%.3f MB" % (n / 1e6)


def mi(n):
    return "%.2f M" % (n / 1e6)


def ratio(a, b):
    return "%.2f" % (a / b) if b else "n/a"


def verdict(ok):
    return "PASS" if ok else "FAIL"


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise SystemExit("%s failed (%d):\n%s%s" % (" ".join(cmd), p.returncode, p.stdout[-2000:], p.stderr[-3000:]))
    return p


def prefix():
    """A fresh meeting-id prefix per run (events must not collide), always
    the same length so that every request body has the same size."""
    RUN_ID[0] += 1
    return "R%03d" % RUN_ID[0]


# --------------------------------------------------------------------------- footprint
def strip_size(path, triple):
    cross = TRIPLES[triple][1]
    out = os.path.join(WORK, os.path.basename(path) + "." + triple + ".stripped")
    run([cross + "strip", "-o", out, path])
    return os.path.getsize(out)


def needed(path, cross):
    out = run([cross + "readelf", "-d", path]).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", out)


def lib_dirs(triple):
    multi = {"armv7": "arm-linux-gnueabihf", "aarch64": "aarch64-linux-gnu", "x86_64": "x86_64-linux-gnu"}[triple]
    if triple == "x86_64":
        return ["/usr/lib/" + multi, "/lib/" + multi]
    sysroot = os.path.join(B, "sysroot-" + TRIPLES[triple][2])
    return [
        os.path.join(sysroot, "usr/lib", multi),
        os.path.join(sysroot, "lib", multi),
        "/usr/%s/lib" % multi,
    ]


def base_wrap(t):
    """How the baseline runs: under qemu with the downloaded libraries."""
    if t == "x86_64":
        return []
    return QEMU[t] + ["-E", "LD_LIBRARY_PATH=" + ":".join(lib_dirs(t)[:2])]


# The C runtime both programs need anyway; not counted as the baseline's.
LIBC = re.compile(r"^(libc|libm|libdl|libpthread|librt|libutil|libresolv|libgcc_s|ld-linux.*)\.so")


def closure(prog, triple):
    """Shared libraries the program loads beyond the C runtime: {name: size}."""
    cross = TRIPLES[triple][1]
    seen, todo = {}, needed(prog, cross)
    while todo:
        name = todo.pop()
        if name in seen or LIBC.match(name):
            continue
        for d in lib_dirs(triple):
            p = os.path.join(d, name)
            if os.path.exists(p):
                real = os.path.realpath(p)
                seen[name] = os.path.getsize(real)
                todo.extend(needed(real, cross))
                break
        else:
            seen[name] = None
    return seen


def footprint():
    for t in ("armv7", "aarch64", "x86_64"):
        triple = TRIPLES[t][0]
        d = os.path.join(B, triple)
        ours = strip_size(os.path.join(d, "push_one"), t)
        nolib = strip_size(os.path.join(d, "push_one_nolib"), t)
        base_prog = os.path.join(d, "curl_baseline")
        have_base = os.path.exists(base_prog)
        if have_base:
            base = strip_size(base_prog, t)
            libs = closure(base_prog, t)
            missing = [n for n, s in libs.items() if s is None]
            core = sum(libs.get(n) or 0 for n in libs if re.match(r"lib(curl|ssl|crypto)\.so", n))
            allsz = sum(s or 0 for s in libs.values())
            base_txt = "%s (program %s + .so %s)" % (mb(base + core), mb(base), mb(core))
            ratio_txt = ratio(ours, base + core)
        else:
            base_txt, ratio_txt = "n/a (no %s libcurl)" % t, ""
        budget, ok = "", ""
        if t == "armv7":
            budget, ok = DEFAULT_BUDGET_TXT, verdict(ours <= BUDGET_ARMV7_DEFAULT)
        row("Footprint", "%s push program, stripped, default build" % t, mb(ours), base_txt, ratio_txt, budget, ok)
        row("Footprint", "%s library's share (minus the program without it, %d B)" % (t, nolib),
            mb(ours - nolib), mb(core) if have_base else "", ratio(ours - nolib, core) if have_base else "")
        if have_base:
            row("Footprint", "%s all %d libraries libcurl loads (beyond libc)%s" % (
                t, len(libs), "; missing: " + ",".join(missing) if missing else ""), "0 (static)", mb(allsz))
        lean = os.path.join(d, "push_one_lean")
        if os.path.exists(lean):
            ls = strip_size(lean, t)
            row("Footprint", "%s push program, lean build (CA file roots)" % t, mb(ls),
                "", "", LEAN_BUDGET_TXT if t == "armv7" else "",
                verdict(ls <= BUDGET_ARMV7_LEAN) if t == "armv7" else "")
        else:
            row("Footprint", "%s push program, lean build (CA file roots)" % t,
                "n/a (no lean feature yet)", "", "", LEAN_BUDGET_TXT if t == "armv7" else "",
                "n/a" if t == "armv7" else "")


# --------------------------------------------------------------------------- emulator
class Emulator:
    def __init__(self):
        self.dir = os.path.join(WORK, "emulator")
        os.makedirs(self.dir)
        self.p = subprocess.Popen([EMU, "--ca-dir", self.dir, "--exit-on-stdin-eof"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=open(os.path.join(self.dir, "log"), "w"), text=True)
        self.line = self.p.stdout.readline().strip()
        if not self.line:
            raise SystemExit("the emulator did not start: " + open(os.path.join(self.dir, "log")).read())
        self.info = json.loads(self.line)
        self.token = self.info["token_endpoint"]
        self.api = self.info["calendar_api_base"]
        self.ca = self.info["ca_file"]
        self.port = self.info["https_port"]

    def counters(self):
        import urllib.request
        with urllib.request.urlopen("http://127.0.0.1:%d/control/requests" % self.info["control_port"]) as r:
            return json.loads(r.read())

    def stop(self):
        self.p.stdin.close()
        self.p.wait(timeout=10)


def setup_state(emu):
    env = dict(os.environ, GS_GCAL_EMULATOR=emu.line)
    d = run([os.path.join(B, "bench_setup")], env=env).stdout.strip()
    state = json.load(open(os.path.join(d, "gs_gcal.state.json")))
    shutil.rmtree(d)
    creds = os.path.join(WORK, "creds")
    with open(creds, "w") as f:
        f.write("%s\n%s\n%s\n" % (state["client"]["client_id"], state["client"]["client_secret"],
                                  state["tokens"]["refresh_token"]))
    os.chmod(creds, 0o600)
    # Cold: the PBX starts hours after its last push; the access token has
    # expired, so the first push refreshes it (as the baseline and the
    # Python peer, which keep no access token, always do).
    WARM_STATE.update(json.loads(json.dumps(state)))
    state["tokens"]["access_expires_at"] = 0
    return state, creds


WARM_STATE = {}  # the authorized state as it was: access token valid for ~1 h


def cold_dir(state):
    d = tempfile.mkdtemp(prefix="state.", dir=WORK)
    with open(os.path.join(d, "gs_gcal.state.json"), "w") as f:
        json.dump(state, f)
    os.chmod(os.path.join(d, "gs_gcal.state.json"), 0o600)
    return d


class Programs:
    """Command lines of ours, the baseline and the peer for one target."""

    def __init__(self, emu, state, creds, token=None, api=None):
        self.emu, self.state, self.creds = emu, state, creds
        self.token, self.api = token or emu.token, api or emu.api

    def ours(self, exe, count, state_dir=None, pfx=None):
        return [exe, state_dir or cold_dir(self.state), self.token, self.api, self.emu.ca, pfx or prefix(), str(count)]

    def base(self, exe, count, pfx=None):
        return [exe, self.creds, self.token, self.api, self.emu.ca, pfx or prefix(), str(count)]

    def python(self, count, pfx=None):
        return [VENV_PY, os.path.join(ROOT, "ffi-tests/bench/python_peer.py"), self.creds, self.token, self.api,
                self.emu.ca, pfx or prefix(), str(count)]


def measured(cmd, env=None):
    """Runs cmd through rusage_run; returns (wall seconds, peak RSS KB, stdout)."""
    p = subprocess.run([os.path.join(B, "rusage_run")] + cmd, capture_output=True, env=env)
    err = p.stderr.decode(errors="replace")
    m = re.search(r"rusage_run maxrss_kb=(\d+) wall_s=([\d.]+)\s*$", err)
    if p.returncode != 0 or not m:
        raise SystemExit("%s failed (%d): %s %s" % (" ".join(cmd), p.returncode, p.stdout.decode(), err))
    return float(m.group(2)), int(m.group(1)), p.stdout.decode()


# --------------------------------------------------------------------------- same bodies
def same_bodies(emu, state, creds):
    """All three clients against a plain-HTTP capture server standing in for
    the Calendar API (loopback http is allowed): the insert bodies must be
    byte-identical."""
    got = {}

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            n = int(self.headers.get("Content-Length", 0))
            got.setdefault(self.server.who, []).append(
                (self.path, sorted(k.lower() for k in self.headers.keys()), self.rfile.read(n)))
            body = b'{"id":"x","htmlLink":"https://calendar.example/x"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True

    srv = S(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    api = "http://127.0.0.1:%d/calendar/v3" % srv.server_address[1]
    progs = Programs(emu, state, creds, api=api)
    x86 = os.path.join(B, TRIPLES["x86_64"][0])
    for who, cmd in (("ours", progs.ours(os.path.join(x86, "push_one"), 1, pfx="SAME")),
                     ("baseline", progs.base(os.path.join(x86, "curl_baseline"), 1, pfx="SAME")),
                     ("python", progs.python(1, pfx="SAME") if VENV_PY else None)):
        if cmd is None:
            continue
        srv.who = who
        measured(cmd)
    srv.shutdown()
    bodies = {w: v[0][2] for w, v in got.items()}
    paths = {w: v[0][0].replace("&alt=json", "") for w, v in got.items()}
    log("insert request per client: " + json.dumps({w: [v[0][0], v[0][1], len(v[0][2])] for w, v in got.items()}))
    same = bodies.get("ours") is not None and bodies.get("ours") == bodies.get("baseline")
    row("Requests", "insert body, ours vs baseline: byte-identical (%d bytes)" % len(bodies.get("ours", b"")),
        "yes" if same else "NO", "", "", "identical", verdict(same and paths.get("ours") == paths.get("baseline")))
    if "python" in bodies:
        py_same = json.loads(bodies["python"]) == json.loads(bodies["ours"])
        row("Requests", "insert body, python peer: the same JSON (its own spacing, +alt=json)",
            "yes" if py_same else "NO", "", "", "same JSON", verdict(py_same))
    if not same:
        for w, b in bodies.items():
            log("%s: %s" % (w, b.decode(errors="replace")))


# --------------------------------------------------------------------------- counts
def count_connections(cmd, port):
    """TCP connections to the emulator's TLS port (each one is a TLS handshake):
    the emulator has no connection counter, so strace counts connect()."""
    trace = os.path.join(WORK, "strace.%d" % RUN_ID[0])
    measured(["strace", "-f", "-qq", "-e", "trace=connect", "-o", trace] + cmd)
    n = sum(1 for line in open(trace) if "connect(" in line and "htons(%d)" % port in line)
    return n


def delta(before, after):
    keys = set(before) | set(after)
    return {k: after.get(k, 0) - before.get(k, 0) for k in keys if after.get(k, 0) != before.get(k, 0)}


def requests_and_handshakes(emu, state, creds):
    progs = Programs(emu, state, creds)
    x86 = os.path.join(B, TRIPLES["x86_64"][0])
    res = {}
    how = ["TCP connects to its TLS port, by strace"]
    for who in ("ours", "baseline"):
        exe = os.path.join(x86, "push_one" if who == "ours" else "curl_baseline")
        # Cold: a restarted PBX, expired access token, 20 pushes.
        sdir = cold_dir(state)
        c0 = emu.counters()
        cmd = progs.ours(exe, 20, state_dir=sdir) if who == "ours" else progs.base(exe, 20)
        conns = count_connections(cmd, emu.port)
        d_cold = delta(c0, emu.counters())
        if "connections" in d_cold:
            # The emulator counts TCP connections to its TLS port: prefer its count.
            conns_strace, conns = conns, d_cold.pop("connections")
            how[0] = "emulator's connections counter"
            if conns != conns_strace:
                log("%s: the emulator counted %d connections, strace %d" % (who, conns, conns_strace))
        # Warm: the same PBX pushes 20 more a minute later (its token has ~59 min left).
        c1 = emu.counters()
        cmd = progs.ours(exe, 20, state_dir=sdir) if who == "ours" else progs.base(exe, 20)
        measured(cmd)
        d_warm = delta(c1, emu.counters())
        d_warm.pop("connections", None)
        res[who] = (conns, d_cold, d_warm)
        log("%s: cold 20 pushes %s, %d connection(s); warm 20 pushes %s" % (who, d_cold, conns, d_warm))
    o, b = res["ours"], res["baseline"]

    def reqs(d):
        return sum(v for k, v in d.items() if k in ("token", "events.insert"))

    row("Requests", "HTTP requests, cold process, 20 pushes (refresh + inserts)", reqs(o[1]), reqs(b[1]),
        ratio(reqs(o[1]), reqs(b[1])), "", "")
    per = reqs(o[2]) / 20
    row("Requests", "HTTP requests per push, steady state (warm process, 20 pushes)", "%.2f" % per,
        "%.2f" % (reqs(b[2]) / 20), ratio(reqs(o[2]), reqs(b[2])), "exactly 1", verdict(per == 1.0))
    ref = o[2].get("token.refresh", 0)
    row("Requests", "token refreshes with minutes left (warm process, 20 pushes)", ref,
        "%d (keeps no token)" % b[2].get("token.refresh", 0), "", "0", verdict(ref == 0))
    row("Requests", "TLS handshakes per 20 pushes, cold process (%s)" % how[0], o[0], b[0],
        ratio(o[0], b[0]), "<= 1", verdict(o[0] <= 1))


# --------------------------------------------------------------------------- callgrind
def callgrind(cmd, tag, env=None):
    out = os.path.join(WORK, "callgrind.%s" % tag)
    run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out + ".%p"] + cmd, env=env)
    phases = {}
    for f in os.listdir(WORK):
        if f.startswith("callgrind.%s." % tag):
            text = open(os.path.join(WORK, f)).read(4096 * 4)
            m = re.search(r"^desc: Trigger: Client Request: (\S+)", text, re.M)
            tot = re.search(r"^(?:totals|summary): (\d+)", open(os.path.join(WORK, f)).read(), re.M)
            if m and tot:
                phases[m.group(1)] = int(tot.group(1))
    return phases


def instructions(emu, state, creds):
    progs = Programs(emu, state, creds)
    x86 = os.path.join(B, TRIPLES["x86_64"][0])
    o = callgrind(progs.ours(os.path.join(x86, "push_one_bench"), 20), "ours")
    OAUTH_X86.update(o)
    b = callgrind(progs.base(os.path.join(x86, "curl_baseline_bench"), 20), "base")
    steady_o = statistics.median(o["push%d" % i] for i in range(2, 21))
    steady_b = statistics.median(b["push%d" % i] for i in range(2, 21))
    first_o = o["start"] + o["setup"] + o["push1"]
    first_b = b["start"] + b["setup"] + b["push1"]
    row("Instructions", "process start-up to main() (dynamic loading)", mi(o["start"]), mi(b["start"]),
        ratio(o["start"], b["start"]))
    row("Instructions", "setup (open + options / curl_global_init + handle)", mi(o["setup"]), mi(b["setup"]),
        ratio(o["setup"], b["setup"]))
    row("Instructions", "first push alone (TCP + TLS handshake + refresh + insert)", mi(o["push1"]),
        mi(b["push1"]), ratio(o["push1"], b["push1"]))
    row("Instructions", "first push from process start (start-up + setup + first push)", mi(first_o), mi(first_b),
        ratio(first_o, first_b), "<= 0.30 x", verdict(first_o <= BUDGET_FIRST * first_b))
    row("Instructions", "steady-state push, kept-alive (median of pushes 2-20)", mi(steady_o), mi(steady_b),
        ratio(steady_o, steady_b), "<= 1.00 x", verdict(steady_o <= BUDGET_STEADY * steady_b))


# --------------------------------------------------------------------------- heap, stack
def kv(out, key):
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^%s (\S+) (\d+)$" % key, out, re.M)}


def massif_peak(cmd, tag):
    out = os.path.join(WORK, "massif." + tag)
    run(["valgrind", "--tool=massif", "--massif-out-file=" + out] + cmd)
    return max(int(x) for x in re.findall(r"mem_heap_B=(\d+)", open(out).read()))


def memory(emu, state, creds):
    progs = Programs(emu, state, creds)
    x86 = os.path.join(B, TRIPLES["x86_64"][0])
    _, _, oo = measured(progs.ours(os.path.join(x86, "push_one_heap"), 20))
    _, _, bo = measured(progs.base(os.path.join(x86, "curl_baseline_heap"), 20))
    oh, bh = kv(oo, "heap_peak"), kv(bo, "heap_peak")
    so = max(oh["push%d" % i] for i in range(2, 21))
    sb = max(bh["push%d" % i] for i in range(2, 21))
    row("Heap", "peak live heap, first push (cold; counter, usable bytes)", kb(oh["push1"]), kb(bh["push1"]),
        ratio(oh["push1"], bh["push1"]), "<= 128 KB", verdict(oh["push1"] <= BUDGET_HEAP))
    row("Heap", "peak live heap, steady-state push (max of pushes 2-20)", kb(so), kb(sb), ratio(so, sb),
        "<= 128 KB", verdict(so <= BUDGET_HEAP))
    mo = massif_peak(progs.ours(os.path.join(x86, "push_one_bench"), 1), "ours")
    mb_ = massif_peak(progs.base(os.path.join(x86, "curl_baseline_bench"), 1), "base")
    row("Heap", "peak heap of a whole 1-push process (valgrind massif, requested bytes)", kb(mo), kb(mb_),
        ratio(mo, mb_), "<= 128 KB", verdict(mo <= BUDGET_HEAP))
    env = dict(os.environ, BENCH_STACK="1")
    for t in ("x86_64", "armv7"):
        d = os.path.join(B, TRIPLES[t][0])
        wrap = QEMU.get(t, [])
        base_exe = os.path.join(d, "curl_baseline_bench")
        _, _, oo = measured(wrap + progs.ours(os.path.join(d, "push_one_bench"), 20), env=env)
        s_o = int(re.search(r"^stack_peak_bytes (\d+)", oo, re.M).group(1))
        s_b = None
        if os.path.exists(base_exe):
            _, _, bo = measured(base_wrap(t) + progs.base(base_exe, 20), env=env)
            s_b = int(re.search(r"^stack_peak_bytes (\d+)", bo, re.M).group(1))
        row("Stack", "%s peak stack of the calling thread (open, cold push, 19 more)" % t, kb(s_o),
            kb(s_b) if s_b else "n/a", ratio(s_o, s_b) if s_b else "", "<= 64 KB", verdict(s_o <= BUDGET_STACK))


# --------------------------------------------------------------------------- python, wall
def python_peer(emu, state, creds):
    if not VENV_PY:
        row("Python", "google-api-python-client peer", "n/a (no python3 venv)")
        return
    progs = Programs(emu, state, creds)
    x86 = os.path.join(B, TRIPLES["x86_64"][0])
    ow, orss, pw, prss = [], [], [], []
    for _ in range(3):
        w, r, _ = measured(progs.ours(os.path.join(x86, "push_one"), 20))
        ow.append(w)
        orss.append(r)
        w, r, _ = measured(progs.python(20))
        pw.append(w)
        prss.append(r)
    o_r, p_r = max(orss), max(prss)
    row("Python", "peak RSS, cold process, refresh + 20 inserts", "%d KB" % o_r, "%d KB (python)" % p_r,
        ratio(o_r, p_r), "<= 0.20 x", verdict(o_r <= BUDGET_PY_RSS * p_r))
    row("Python", "wall time, same (median of 3; ratio only)", "%.3f s" % statistics.median(ow),
        "%.3f s (python)" % statistics.median(pw), ratio(statistics.median(ow), statistics.median(pw)))


def wall(emu, state, creds):
    progs = Programs(emu, state, creds)
    for t, runs in (("x86_64", 5), ("armv7", 3)):
        d = os.path.join(B, TRIPLES[t][0])
        wrap = QEMU.get(t, [])
        base_exe = os.path.join(d, "curl_baseline")
        ow, bw = [], []
        for _ in range(runs):  # interleaved, so both see the same machine
            ow.append(measured(wrap + progs.ours(os.path.join(d, "push_one"), 100))[0])
            if os.path.exists(base_exe):
                bw.append(measured(base_wrap(t) + progs.base(base_exe, 100))[0])
        mo = statistics.median(ow)
        mbw = statistics.median(bw) if bw else None
        row("Wall", "100 pushes, cold process, %s (median of %d)" % (
            "native x86_64" if t == "x86_64" else "qemu-arm armv7", runs),
            "%.3f s" % mo, "%.3f s" % mbw if mbw else "n/a", ratio(mo, mbw) if mbw else "")


def scaling(emu, state, creds):
    """Queues N meetings while Google is unreachable, then drains them with
    gs_gcal_sync: instructions (callgrind) and wall time per push, journal
    and state-file sizes. Linear means a flat cost per push."""
    # A warm state (valid access token), so the first queued push makes no
    # refresh; the drain then opens the one TLS connection.
    progs = Programs(emu, WARM_STATE, creds)
    x86 = os.path.join(B, TRIPLES["x86_64"][0])
    dead = "https://127.0.0.1:1/calendar/v3"
    res = {}
    for n in (1, 10, 100, 1000):
        cmd = progs.ours(os.path.join(x86, "sync_scale"), n) + [dead]
        _, _, out = measured(cmd)
        vals = dict(re.findall(r"^(\w+) ([\d.]+)$", out, re.M))
        ph = callgrind(progs.ours(os.path.join(x86, "sync_scale_bench"), n) + [dead], "sync%d" % n)
        res[n] = (ph, vals)
        log("outbox n=%d: %s %s" % (n, ph, vals))
    ns = sorted(res)
    fmt = lambda f: " / ".join(f(n) for n in ns)
    drain = {n: res[n][0]["drain"] / n for n in ns}
    queue = {n: res[n][0]["queue"] / n for n in ns}
    row("Scaling", "drain: instructions per push, N = 1/10/100/1000 queued (gs_gcal_sync)",
        fmt(lambda n: mi(drain[n])), "", "", "linear (flat per push)",
        verdict(drain[1000] <= 1.25 * drain[100]))
    row("Scaling", "queue: instructions per queued push (journal append), N = 1/10/100/1000",
        fmt(lambda n: mi(queue[n])), "", "", "linear (flat per push)",
        verdict(queue[1000] <= 1.25 * queue[100]))
    row("Scaling", "wall ms per push drained / queued, N = 1/10/100/1000",
        fmt(lambda n: "%.2f/%.2f" % (1e3 * float(res[n][1]["drain_wall_s"]) / n,
                                      1e3 * float(res[n][1]["queue_wall_s"]) / n)))
    row("Scaling", "journal bytes with N queued / state file after draining N",
        fmt(lambda n: "%s/%s" % (res[n][1]["journal_bytes"], res[n][1]["state_bytes_drained"])))


# --------------------------------------------------------------------------- workspace (issue 14)
# What Workspace mode adds to the program, by symbol: its two modules, its C
# entry point, and the parts of ring only an RSA private-key operation uses
# (key parsing from PKCS#8/DER, the CRT private key, constant-time
# exponentiation and its window tables, PKCS#1 v1.5 encoding). ring's
# bigint basics, Montgomery multiplication, DER reader and RSA public-key
# code are shared with certificate verification and not counted.
WORKSPACE_SYMBOLS = re.compile(
    r"gs_gcal::auth::service_account::|gs_gcal::oauth::jwt::|^gs_gcal_set_service_account$|"
    r"ring::rsa::keypair::|ring::pkcs8::|elem_exp_consttime|RsaEncoding>::encode|"
    r"LIMBS_select_512_32|LIMBS_window5_")


def workspace_footprint():
    t = "armv7"
    prog = os.path.join(B, TRIPLES[t][0], "push_one")
    out = run([TRIPLES[t][1] + "nm", "--size-sort", "-S", "-C", prog]).stdout
    total, by_part = 0, {"service_account.rs": 0, "jwt.rs": 0, "C API": 0, "ring RSA signing": 0}
    for line in out.splitlines():
        parts = line.split(None, 3)
        if len(parts) != 4 or parts[2].lower() not in ("t", "r", "d", "b"):
            continue
        name = parts[3]
        if not WORKSPACE_SYMBOLS.search(name):
            continue
        size = int(parts[1], 16)
        total += size
        if "service_account::" in name:
            by_part["service_account.rs"] += size
        elif "oauth::jwt::" in name:
            by_part["jwt.rs"] += size
        elif name == "gs_gcal_set_service_account":
            by_part["C API"] += size
        else:
            by_part["ring RSA signing"] += size
    log("workspace symbols on armv7: %s, total %d B" % (by_part, total))
    row("Workspace", "armv7 Workspace mode's code (nm: service_account + jwt + C entry + ring RSA sign)",
        "%s (%s)" % (kb(total), " + ".join("%.1f" % (by_part[k] / 1024) for k in
                                          ("service_account.rs", "jwt.rs", "C API", "ring RSA signing"))))


QEMU_RUNS = [0]


def qemu_insns(t, cmd, env=None):
    """Guest instructions of a whole process under qemu-user (qemu_insn.c)."""
    QEMU_RUNS[0] += 1
    logf = os.path.join(WORK, "qemu_insn.%d" % QEMU_RUNS[0])
    measured(QEMU[t] + ["-plugin", os.path.join(B, "qemu_insn.so"), "-d", "plugin", "-D", logf] + cmd, env=env)
    m = re.search(r"^qemu_insn (\d+)$", open(logf).read(), re.M)
    if not m:
        raise SystemExit("qemu_insn wrote no count: " + open(logf).read()[-500:])
    return int(m.group(1))


def workspace(emu, state, creds):
    """A JWT-signed first push: push_one on a fresh (never authorized) state
    directory with GS_BENCH_SA_KEY naming the emulator's service-account
    key; the first push signs an RS256 JWT, makes the jwt-bearer grant for
    the host's calendar and inserts there. Compared with the OAuth user's
    cold first push (refresh-token grant) measured the same way."""
    key = emu.info.get("service_account_key")
    if not key or not os.path.exists(key):
        row("Workspace", "JWT-signed first push", "n/a (the emulator wrote no service_account_key)")
        return
    workspace_footprint()
    # Admin console > Domain-wide delegation: the scopes the library asks for
    # (its default scopes: events, calendar list, free/busy) and more.
    control_post(emu, "/control/workspace", {"delegation": [
        "https://www.googleapis.com/auth/" + s for s in (
            "calendar", "calendar.events", "calendar.readonly", "calendar.calendarlist.readonly",
            "calendar.freebusy")], "key_deleted": False, "not_in_effect": False})
    progs = Programs(emu, state, creds)
    env = dict(os.environ, GS_BENCH_SA_KEY=key)
    fresh = lambda: tempfile.mkdtemp(prefix="ws.", dir=WORK)
    x86 = os.path.join(B, TRIPLES["x86_64"][0])
    arm = os.path.join(B, TRIPLES["armv7"][0])

    # Requests of one Workspace push (a sanity check that it took the JWT path).
    c0 = emu.counters()
    measured(progs.ours(os.path.join(x86, "push_one"), 1, state_dir=fresh()), env=env)
    d = delta(c0, emu.counters())
    log("workspace: one push from a fresh process: %s" % d)
    if d.get("token.jwt", 0) != 1:
        raise SystemExit("the Workspace push made no jwt-bearer grant: %s" % d)
    conns = d.pop("connections", 0)
    row("Workspace", "requests of a JWT-signed first push (emulator counters)",
        "%s; %d connection(s)" % (", ".join("%s %d" % (k, v) for k, v in sorted(d.items())), conns))

    # Instructions, x86_64 (callgrind phases).
    w = callgrind(progs.ours(os.path.join(x86, "push_one_bench"), 1, state_dir=fresh()), "ws", env=env)
    o = OAUTH_X86
    row("Workspace", "x86_64 setup with gs_gcal_set_service_account (OAuth user's setup: %s)"
        % (mi(o["setup"]) if o else "n/a"), mi(w["setup"]))
    row("Workspace", "x86_64 JWT-signed first push alone (OAuth user's cold: %s)"
        % (mi(o["push1"]) if o else "n/a"), mi(w["push1"]))
    first = w["start"] + w["setup"] + w["push1"]
    row("Workspace", "x86_64 JWT-signed first push from process start (OAuth user's: %s)" % (
        mi(o["start"] + o["setup"] + o["push1"]) if o else "n/a"), mi(first))

    # Instructions, armv7: guest instructions under qemu-arm, 1-push process
    # minus 0-push process (the phases' callgrind markers are no-ops there).
    exe = os.path.join(arm, "push_one")
    ws1 = qemu_insns("armv7", progs.ours(exe, 1, state_dir=fresh()), env=env)
    ws0 = qemu_insns("armv7", progs.ours(exe, 0, state_dir=fresh()), env=env)
    oa1 = qemu_insns("armv7", progs.ours(exe, 1))
    oa0 = qemu_insns("armv7", progs.ours(exe, 0))
    log("workspace armv7 guest instructions: ws 1 push %d, 0 pushes %d; oauth cold 1 push %d, 0 pushes %d"
        % (ws1, ws0, oa1, oa0))
    row("Workspace", "armv7 JWT-signed first push alone (qemu-arm guest insns; OAuth user's: %s)"
        % mi(oa1 - oa0), mi(ws1 - ws0))
    row("Workspace", "armv7 JWT-signed first push from process start (same; OAuth user's: %s)"
        % mi(oa1), mi(ws1))

    # Heap: the interposed counter, x86_64 natively and armv7 under qemu-arm.
    for t, wrap in (("x86_64", []), ("armv7", QEMU["armv7"])):
        d_ = os.path.join(B, TRIPLES[t][0])
        _, _, ho = measured(wrap + progs.ours(os.path.join(d_, "push_one_heap"), 1, state_dir=fresh()), env=env)
        _, _, hu = measured(wrap + progs.ours(os.path.join(d_, "push_one_heap"), 1))
        h, hu = kv(ho, "heap_peak"), kv(hu, "heap_peak")
        row("Workspace", "%s peak live heap, JWT-signed first push (OAuth user's cold: %s)" % (
            t, kb(hu["push1"])), kb(h["push1"]), "", "", "<= 128 KB", verdict(h["push1"] <= BUDGET_HEAP))


OAUTH_X86 = {}  # the OAuth user's callgrind phases, from instructions()


# --------------------------------------------------------------------------- presence (issue 15)
def control_post(emu, path, body):
    import urllib.request
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (emu.info["control_port"], path),
                                 data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def ext(i):
    return "ext%05d@pbx.example.com" % i


def presence_directory(emu, n):
    """n colleague calendars in the emulator, each busy from now + 1 h to
    now + 2 h (presence_scale asks at now + 1.5 h)."""
    control_post(emu, "/control/directory", {"calendars": [ext(i) for i in range(n)]})
    now = int(time.time())
    iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
    for i in range(n):
        control_post(emu, "/control/put_event", {"calendar": ext(i), "event": {
            "id": "bench%05d" % i, "summary": "busy", "start": {"dateTime": iso(now + 3600)},
            "end": {"dateTime": iso(now + 7200)}}})


def presence(emu, state, creds):
    x86 = os.path.join(B, TRIPLES["x86_64"][0])
    t0 = time.time()
    presence_directory(emu, max(PRESENCE_N))
    log("presence: %d calendars with one busy period each in %.1f s" % (max(PRESENCE_N), time.time() - t0))
    # A warm state (access token valid): only freebusy.query requests.
    cmd = lambda exe, n, warm: [os.path.join(x86, exe), cold_dir(WARM_STATE), emu.token, emu.api, emu.ca,
                                str(n), str(warm)]
    # One refresh of 1,000 from a fresh process: requests and connections.
    c0 = emu.counters()
    wall_s, _, out = measured(cmd("presence_scale", 1000, 0))
    d = delta(c0, emu.counters())
    conns = d.pop("connections", 0)
    reqs = sum(d.values())
    vals = dict(re.findall(r"^(\w+) (\S+)", out, re.M))
    log("presence 1000: %s; requests %s, %d connection(s); %.3f s" % (vals, d, conns, wall_s))
    ok = reqs <= BUDGET_PRESENCE_REQUESTS and conns == 1 and vals.get("refreshed") == "1000" \
        and vals.get("remaining") == "0"
    row("Presence", "one refresh of 1,000 extensions: requests / connections (emulator counters; %s answered)"
        % vals.get("refreshed"), "%d / %d" % (reqs, conns), "", "", "<= 20 / 1", verdict(ok))
    row("Presence", "wall time of that process (set + refresh of 1,000 + 4 gets), native x86_64",
        "%.3f s" % wall_s)
    # Instructions per extension (callgrind), the connection already open.
    res = {}
    for n in PRESENCE_N:
        res[n] = callgrind(cmd("presence_scale_bench", n, 1), "presence%d" % n)
        log("presence n=%d: %s" % (n, {k: v for k, v in res[n].items() if not k.startswith("pre_")}))
    ns = sorted(res)
    per = {n: res[n]["refresh"] / n for n in ns}
    slope = (res[1000]["refresh"] - res[100]["refresh"]) / 900
    slope_hi = (res[10000]["refresh"] - res[1000]["refresh"]) / 9000
    row("Presence", "instructions per extension refreshed, slope N 100->1,000 / 1,000->10,000",
        "%.0f / %.0f" % (slope, slope_hi))
    row("Presence", "instructions per extension, one refresh of N = 100/1,000/10,000 (I(N) / N)",
        " / ".join("%.0f" % per[n] for n in ns), "", "", "linear (10,000 <= 1.25 x 100)",
        verdict(per[max(ns)] <= BUDGET_LINEAR * per[min(ns)]))
    row("Presence", "gs_gcal_presence_set of N = 100/1,000/10,000: instructions per address",
        " / ".join("%.0f" % (res[n]["set"] / n) for n in ns), "", "", "linear (10,000 <= 1.25 x 100)",
        verdict(res[max(ns)]["set"] / max(ns) <= BUDGET_LINEAR * res[min(ns)]["set"] / min(ns)))
    names = ("get_first", "get_middle", "get_last", "get_unlisted")
    for n in (1000, 10000):
        g = [res[n][k] for k in names]
        row("Presence", "gs_gcal_presence_get alone, directory of {:,}: max of first/middle/last/unlisted".format(n),
            "%d (%s)" % (max(g), "/".join(str(x) for x in g)), "", "", "<= 5,000",
            verdict(max(g) <= BUDGET_PRESENCE_GET))
    # Heap of the table: live bytes after the refresh of 1,000 minus before
    # presence_set (the warm-up's connection already open).
    _, _, out = measured(cmd("presence_scale_heap", 1000, 1))
    live, peak = kv(out, "heap_live"), kv(out, "heap_peak")
    answers = dict(re.findall(r"^(get_\w+) (\w+ \S+)$", out, re.M))
    log("presence heap: live %s, peak %s; answers %s" % (live, peak, answers))
    table_b = live["refresh"] - live["warmup"]
    row("Presence", "heap of the presence table, 1,000 extensions (live; peak in set + refresh %s)"
        % kb(max(peak["set"], peak["refresh"]) - live["warmup"]),
        kb(table_b), "", "", "<= 256 KB", verdict(table_b <= BUDGET_PRESENCE_HEAP))
    busy = answers.get("get_middle", "").startswith("busy") and answers.get("get_unlisted", "").startswith("unknown")
    row("Presence", "answers at now + 1.5 h, first/middle/last/unlisted (all busy 1 h - 2 h)",
        "/".join(answers.get(k, "?") for k in names), "", "", "busy x3, unknown", verdict(busy))


# --------------------------------------------------------------------------- table
def table():
    heads = ("what", "ours", "libcurl baseline", "ours/base", "budget", "")
    rows = []
    section = None
    for s, what, o, b, r, bud, v in ROWS:
        if s != section:
            rows.append(("[%s]" % s, "", "", "", "", ""))
            section = s
        rows.append(("  " + what, o, b, r, bud, v))
    w = [max(len(x[i]) for x in rows + [heads]) for i in range(6)]
    line = lambda x: " | ".join(c.ljust(w[i]) for i, c in enumerate(x)).rstrip()
    print(line(heads))
    print("-+-".join("-" * n for n in w))
    for x in rows:
        print(line(x))
    fails = sum(1 for x in ROWS if x[6] == "FAIL")
    passes = sum(1 for x in ROWS if x[6] == "PASS")
    print("\nbudgets: %d PASS, %d FAIL" % (passes, fails))


def main():
    t0 = time.time()
    scaled = [False]
    log("bench: footprint")
    footprint()
    emu = Emulator()
    try:
        state, creds = setup_state(emu)
        log("bench: same bodies")
        same_bodies(emu, state, creds)
        log("bench: requests and TLS handshakes")
        requests_and_handshakes(emu, state, creds)
        log("bench: callgrind")
        instructions(emu, state, creds)
        log("bench: heap and stack")
        memory(emu, state, creds)
        log("bench: Workspace mode (JWT-signed first push)")
        workspace(emu, state, creds)
        log("bench: python peer")
        python_peer(emu, state, creds)
        log("bench: wall time")
        wall(emu, state, creds)
        if os.path.exists(os.path.join(B, TRIPLES["x86_64"][0], "sync_scale")):
            log("bench: outbox scaling (the 1000 under callgrind take a while)")
            scaling(emu, state, creds)
            scaled[0] = True
        if os.path.exists(os.path.join(B, TRIPLES["x86_64"][0], "presence_scale")):
            log("bench: presence (10,000 extensions under callgrind take a while)")
            presence(emu, state, creds)
        else:
            row("Presence", "presence refresh of 1,000 extensions", "n/a (needs gs_gcal_presence_refresh)")
    finally:
        emu.stop()
    if not scaled[0]:
        row("Scaling", "cost per push for 1/10/100/1000 queued meetings (gs_gcal_sync)",
            "n/a (needs the outbox, issue 5)")
    print()
    print("gs-gcal bench, %s, %s, %s cores, %s" % (
        time.strftime("%Y-%m-%d"), os.uname().machine, os.cpu_count(),
        run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]).stdout.strip()))
    table()
    print("(measured in %.0f s; instructions by callgrind on x86_64, armv7 guest instructions by a qemu-arm"
          " TCG plugin; heap by an interposed malloc counter and massif; stack by painting the thread's stack)"
          % (time.time() - t0))
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
