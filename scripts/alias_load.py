#!/usr/bin/env python3
"""Latency of an ordinary query while four clients loop the 1000-alias `evidenceMap` document
(issue 9). Not a test: a measurement for the notes. Starts the given server binary on a fresh
SQLite file (seed corpus), measures the ordinary query alone, then under the load.

    scripts/alias_load.py path/to/public-voice [NAME=VALUE ...]

Extra NAME=VALUE settings go to the server, e.g. to switch the new limits off and so reproduce the
behaviour before them: PUBLIC_VOICE_MAX_ALIASES=100000 PUBLIC_VOICE_MAX_TOKENS=10000000
PUBLIC_VOICE_MAX_QUERY_COMPLEXITY=100000000 PUBLIC_VOICE_RATE_LIMIT=false
"""
import json, os, socket, statistics, subprocess, sys, tempfile, threading, time, urllib.request, urllib.error

ORDINARY = "{ findings(first: 5) { nodes { title } } }"
ATTACK = "{ " + " ".join(
    f"a{i}: evidenceMap(rows: MISSION, columns: THEME) {{ totalViews }}" for i in range(1000)
) + " }"
SAMPLES = 30


def post(url, query):
    body = json.dumps({"query": query}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as res:
            return res.status, res.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def latencies(url, n):
    out = []
    for _ in range(n):
        start = time.perf_counter()
        status, _ = post(url, ORDINARY)
        out.append(time.perf_counter() - start)
        assert status == 200, status
    return out


def summary(xs):
    xs = sorted(xs)
    return (f"median {statistics.median(xs) * 1000:.1f} ms, p90 {xs[int(len(xs) * 0.9) - 1] * 1000:.1f} ms, "
            f"max {xs[-1] * 1000:.1f} ms")


def main():
    binary, extra = sys.argv[1], dict(a.split("=", 1) for a in sys.argv[2:])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tmp = tempfile.mkdtemp()
    env = dict(os.environ, DATABASE_URL=f"sqlite://{tmp}/m.db?mode=rwc", PUBLIC_VOICE_PORT=str(port),
               RUST_LOG="warn", **extra)
    server = subprocess.Popen([binary], env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        for _ in range(200):
            try:
                post(url, "{ __typename }")
                break
            except OSError:
                time.sleep(0.1)
        print("settings:", extra or "defaults")
        print("ordinary query alone:      ", summary(latencies(url, SAMPLES)))
        stop = threading.Event()
        counts = {"sent": 0, "statuses": {}}

        def attacker():
            while not stop.is_set():
                status, body = post(url, ATTACK)
                counts["sent"] += 1
                code = json.loads(body).get("errors", [{}])[0].get("extensions", {}).get("code", "ok")
                counts["statuses"][f"{status} {code}"] = counts["statuses"].get(f"{status} {code}", 0) + 1

        threads = [threading.Thread(target=attacker) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(1)
        print("ordinary query under load: ", summary(latencies(url, SAMPLES)))
        stop.set()
        for t in threads:
            t.join()
        print("attack documents answered:", counts["sent"], counts["statuses"])
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
