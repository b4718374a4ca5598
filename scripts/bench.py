#!/usr/bin/env python3
"""The benchmark behind `scripts/bench` (which installs the tools, builds and finds PostgreSQL,
then runs this): generates a dataset, serves it, and drives each read endpoint with wrk, next to
nginx serving the same bytes, Prism mocking the endpoint's reference spec, and pgbench running the
endpoint's own statements. Everything it starts, it stops. README "Benchmarks" explains the figures.
"""

import argparse
import base64
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIRST_ORG = 900001
FIRST_CUSTOMER = 80_000_000_000
PASSWORD_MD5 = hashlib.md5(b"demo123").hexdigest()
SPECS = os.path.join(os.path.dirname(ROOT), "shared", "api-docs", "reference")
PRISM = os.path.join(ROOT, "bench", ".tools", "node_modules", ".bin", "prism")

# The read endpoints: name, the documented sample repeated for "hot" (tests/samples/manifest.json),
# the reference spec Prism mocks, and the request Prism gets (its booleans take true/false).
ENDPOINTS = [
    {
        "name": "das-ledger",
        "title": "DAS getLedgerEntriesWithEventId",
        "sample": "das-ledger",
        "spec": "capillary-das-getLedgerEntriesWithEventId.openapi.yaml",
        "prism": "/das/getLedgerEntriesWithEventId?ledger_entry_types=CREDIT,DEBIT&entity_id=387970841&start_date=2025-06-03"
        "&end_date=2025-06-04&is_filter_not_based_on_date=false&till_ids=-1&is_till_not_present=true",
        "prism_floor": 2.0,
    },
    {
        "name": "das-completion",
        "title": "DAS getTargetCompletedExplodeLedger",
        "sample": "das-completion",
        "spec": "capillary-das-getTargetCompletedExplodeLedger.openapi.yaml",
        "prism": "/das/getTargetCompletedExplodeLedger?ledgerEntryTypes=CREDIT&userId=387970841&startDate=2025-06-01&endDate=2025-06-22",
        "prism_floor": 2.0,
    },
    {
        "name": "v2-explode",
        "title": "v2 getLedgerExplodeInfo",
        "sample": "v2-example-bill",
        "spec": "capillary-v2.1-getLedgerExplodeInfo.openapi.yaml",
        "prism": "/v2.1/pointsLedger/getLedgerExplodeInfo?identifierName=mobile&identifierValue=9988221100&source=INSTORE"
        "&eventIds=13499088",
        "prism_headers": {"DATA-SCOPE": "SELF", "DATA-SCOPE-ORG": "50406"},
        # Prism mocks the 2.1 spec, the only v2 reference spec there is; both answer the same shape.
        "prism_floor": 1.0,
    },
    {
        "name": "v3-target-groups",
        "title": "v3 users/{id}/targetGroups",
        "sample": "v3-include-inactive-targets",
        "spec": "capillary-v3-users-targetGroups.openapi.json",
        # The spec's server is https://{host}/v3, so its paths start after /v3.
        "prism": "/users/387043873/targetGroups",
        "prism_floor": 1.0,
    },
]

# wrk: requests from a file of "path<TAB>header: value<TAB>...", each thread starting elsewhere in
# it; at the end, the figures as JSON into WRK_REPORT.
WRK_SCRIPT = r"""
local lines, position = {}, 0
local threads, counter = {}, 0
function setup(thread)
  counter = counter + 1
  thread:set("offset", counter)
  table.insert(threads, thread)
end
function init(args)
  for line in io.lines(args[1]) do
    local fields = {}
    for field in line:gmatch("[^\t]+") do table.insert(fields, field) end
    local headers = {}
    for i = 2, #fields do
      local name, value = fields[i]:match("^([^:]+):%s*(.*)$")
      headers[name] = value
    end
    table.insert(lines, {fields[1], headers})
  end
  position = (offset * 7919) % #lines
end
function request()
  position = position % #lines + 1
  local line = lines[position]
  return wrk.format("GET", line[1], line[2])
end
function done(summary, latency, requests)
  local e = summary.errors
  local out = io.open(os.getenv("WRK_REPORT"), "w")
  out:write(string.format(
    '{"requests": %d, "duration_us": %d, "errors": %d, "non_2xx": %d, "p50_us": %d, "p99_us": %d, "p999_us": %d, "mean_us": %.1f}',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout + e.status, e.status,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.mean))
  out:close()
end
"""


class Processes:
    """What the benchmark started, stopped at exit whatever happens."""

    def __init__(self):
        self.running = []

    def start(self, name, command, **kwargs):
        process = subprocess.Popen(command, start_new_session=True, **kwargs)
        self.running.append((name, process))
        return process

    def stop(self, process):
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.running = [(name, p) for name, p in self.running if p is not process]

    def stop_all(self):
        for _, process in list(reversed(self.running)):
            self.stop(process)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, seconds, headers=None, process=None):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"bench: the process for {url} exited with {process.returncode}")
        try:
            request = urllib.request.Request(url, headers=headers or {})
            with urllib.request.urlopen(request, timeout=2) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"bench: {url} did not answer within {seconds} s")


def fetch(url, headers):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def psql(url, sql):
    out = subprocess.run(["psql", url, "-XqAt", "-F", "\t", "-c", sql], check=True, capture_output=True, text=True)
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def basic(till):
    return "Basic " + base64.b64encode(f"{till}:{PASSWORD_MD5}".encode()).decode()


def gen_auth(org_id):
    return basic(f"gen{org_id - FIRST_ORG + 1}.till")


def wrk(url, lines_file, seconds, concurrency, threads, work):
    report = os.path.join(work, "wrk-report.json")
    script = os.path.join(work, "requests.lua")
    if not os.path.exists(script):
        with open(script, "w") as f:
            f.write(WRK_SCRIPT)
    if os.path.exists(report):
        os.remove(report)
    command = ["wrk", "-t", str(threads), "-c", str(concurrency), "-d", f"{seconds}s", "--timeout", "10s", "-s", script, url, "--", lines_file]
    subprocess.run(command, check=True, capture_output=True, env={**os.environ, "WRK_REPORT": report})
    with open(report) as f:
        figures = json.load(f)
    seconds_run = figures["duration_us"] / 1e6
    return {
        "rps": round(figures["requests"] / seconds_run, 1),
        "p50_ms": figures["p50_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
        "p999_ms": figures["p999_us"] / 1000,
        "errors": figures["errors"],
        "requests": figures["requests"],
    }


def write_lines(path, requests):
    with open(path, "w") as f:
        for path_and_query, headers in requests:
            f.write("\t".join([path_and_query] + [f"{name}: {value}" for name, value in headers.items()]) + "\n")


def manifest_samples():
    with open(os.path.join(ROOT, "tests", "samples", "manifest.json")) as f:
        manifest = json.load(f)
    return {sample["name"]: sample for sample in manifest["samples"]}


def sample_request(sample):
    request = sample["request"]
    path = request["path"] + ("?" + request["query"] if request["query"] else "")
    headers = dict(request.get("headers") or {})
    headers["Authorization"] = basic(request["credential"]["till"])
    return path, headers


# --- the cold mix: random customers, date ranges, pages and flags over the generated orgs --------


def day(offset):
    return time.strftime("%Y-%m-%d", time.gmtime(time.mktime((2023, 1, 1, 12, 0, 0, 0, 0, 0)) + offset * 86400))


def cold_requests(db_url, rng, count):
    customers, orgs = (
        int(v) for v in psql(db_url, f"SELECT count(*), count(DISTINCT org_id) FROM customers WHERE org_id BETWEEN {FIRST_ORG} AND {FIRST_ORG + 999}")[0]
    )
    if customers == 0:
        raise SystemExit("bench: the database holds no generated customers")

    def customer():
        index = rng.randrange(customers)
        return FIRST_CUSTOMER + index, FIRST_ORG + index % orgs, index

    das, completion, v3 = [], [], []
    for _ in range(count):
        cid, org, _ = customer()
        start = rng.randrange(0, 520)
        span = rng.choice([1, 7, 30, 90, 365])
        types = rng.choice(["CREDIT", "DEBIT", "CREDIT,DEBIT", "CREDIT,DEBIT"])
        ignore_dates = rng.random() < 0.2
        page, size = rng.choice([1, 1, 1, 2, 3]), rng.choice([10, 10, 20, 50])
        das.append((
            f"/das/getLedgerEntriesWithEventId?ledger_entry_types={types}&entity_id={cid}&start_date={day(start)}"
            f"&end_date={day(start + span)}&is_filter_not_based_on_date={int(ignore_dates)}&till_ids=-1&is_till_not_present=1"
            f"&page={page}&count={size}",
            {"Authorization": gen_auth(org)},
        ))
        cid, org, _ = customer()
        start = rng.randrange(0, 400)
        completion.append((
            f"/das/getTargetCompletedExplodeLedger?ledgerEntryTypes=CREDIT&userId={cid}&startDate={day(start)}"
            f"&endDate={day(start + rng.choice([30, 90, 365, 540]))}&page={rng.choice([1, 1, 2])}",
            {"Authorization": gen_auth(org)},
        ))
        cid, org, _ = customer()
        flags = "&includeInactiveTargets=true" if rng.random() < 0.5 else ""
        v3.append((f"/v3/users/{cid}/targetGroups?{flags.lstrip('&')}".rstrip("?"), {"Authorization": gen_auth(org)}))
    # Explode needs event ids: a few of each sampled customer's events, by id or by bill.
    picked = sorted({customer()[0] for _ in range(min(count, customers))})
    rows = psql(
        db_url,
        "SELECT customer_id, org_id, (array_agg(event_log_id ORDER BY event_log_id DESC))[1:40] FROM event_logs "
        f"WHERE customer_id = ANY('{{{','.join(map(str, picked))}}}') AND customer_id IS NOT NULL GROUP BY customer_id, org_id",
    )
    explode = []
    for cid, org, ids in rows:
        ids = ids.strip("{}").split(",")
        index = int(cid) - FIRST_CUSTOMER
        for _ in range(max(1, count // max(1, len(rows)))):
            chosen = ",".join(rng.sample(ids, min(len(ids), rng.choice([1, 1, 2, 3]))))
            identifier = rng.choice([f"identifierName=id&identifierValue={cid}", f"identifierName=mobile&identifierValue=91{7_000_000_000 + index}"])
            flags = "".join(f"&{flag}=true" for flag in ["getBillDetails", "getPointsEarnedBreakup", "getCustomFields", "getPaymentModes"] if rng.random() < 0.5)
            explode.append((f"/v2/pointsLedger/getLedgerExplodeInfo?{identifier}&source=INSTORE&eventIds={chosen}{flags}", {"Authorization": gen_auth(int(org))}))
    rng.shuffle(explode)
    return {"das-ledger": das, "das-completion": completion, "v2-explode": explode[:count], "v3-target-groups": v3}, customers, orgs


# --- pgbench: each endpoint's own statements, random customers -------------------------------------

PGBENCH_PRELUDE = r"""\set c random(0, :customers - 1)
\set org 900001 + :c % :orgs
\set id 80000000000 + :c
\set start random(0, 520)
"""

PGBENCH = {
    "das-ledger": PGBENCH_PRELUDE + r"""SELECT EXISTS (SELECT 1 FROM customers WHERE org_id = :org AND customer_id = :id);
SELECT l.ledger_entry_type, l.cps_id, l.config_metadata, l.points_ledger_id, l.created_on, c.name, l.event_subject_id, e.processing_time, l.points, c.category_type, e.event_type_id, l.program_id, l.entity_metadata, e.request_id, l.customer_id, e.event_time, e.event_name, e.generic_event_id, e.event_log_id, e.till_id, e.unique_id FROM points_ledger_entries l JOIN event_logs e ON e.event_log_id = l.event_log_id AND e.org_id = l.org_id JOIN points_categories c ON c.points_category_id = l.points_category_id AND c.org_id = l.org_id WHERE l.org_id = :org AND l.customer_id = :id AND l.alternate_currency_id IS NULL AND l.ledger_entry_type = ANY('{CREDIT,DEBIT}') AND l.created_on >= timestamptz '2023-01-01' + make_interval(days => :start) AND l.created_on < timestamptz '2023-01-01' + make_interval(days => :start + 90) ORDER BY l.points_ledger_id DESC LIMIT 10 OFFSET 0;
""",
    "das-completion": PGBENCH_PRELUDE + r"""SELECT EXISTS (SELECT 1 FROM customers WHERE org_id = :org AND customer_id = :id);
SELECT tc.event_log_id, tc.source_id, tc.source_type, g.name, r.name, p.ref_code, m.name, e.event_time, e.till_id FROM target_completions tc JOIN event_logs e ON e.event_log_id = tc.event_log_id AND e.org_id = tc.org_id JOIN target_groups g ON g.target_group_id = tc.target_group_id AND g.org_id = tc.org_id LEFT JOIN target_rules r ON r.target_rule_id = tc.target_rule_id LEFT JOIN target_periods p ON p.period_id = tc.period_id LEFT JOIN milestones m ON m.milestone_id = tc.milestone_id JOIN LATERAL (SELECT max(l.points_ledger_id) AS newest_entry FROM points_ledger_entries l WHERE l.org_id = tc.org_id AND l.event_log_id = tc.event_log_id AND l.customer_id = tc.customer_id AND l.ledger_entry_type = ANY('{CREDIT}') AND l.created_on >= timestamptz '2023-01-01' + make_interval(days => :start) AND l.alternate_currency_id IS NULL) matched ON matched.newest_entry IS NOT NULL WHERE tc.org_id = :org AND tc.customer_id = :id ORDER BY matched.newest_entry DESC LIMIT 10 OFFSET 0;
""",
    "v2-explode": PGBENCH_PRELUDE + r"""SELECT c.customer_id FROM customers c WHERE c.org_id = :org AND c.customer_id = :id;
SELECT e.event_log_id, e.event_name, e.event_time, e.details FROM event_logs e WHERE e.org_id = :org AND e.customer_id = :id ORDER BY e.event_time DESC LIMIT 3;
SELECT l.event_log_id, l.points FROM points_ledger_entries l WHERE l.org_id = :org AND l.customer_id = :id ORDER BY l.points_ledger_id DESC LIMIT 3;
SELECT a.event_log_id, a.value, p.name FROM points_awards a JOIN programs p ON p.program_id = a.program_id WHERE a.org_id = :org AND a.event_log_id IN (SELECT event_log_id FROM points_ledger_entries WHERE org_id = :org AND customer_id = :id ORDER BY points_ledger_id DESC LIMIT 3);
SELECT b.bill_number, b.bill_amount FROM bills b WHERE b.org_id = :org AND b.event_log_id IN (SELECT event_log_id FROM points_ledger_entries WHERE org_id = :org AND customer_id = :id ORDER BY points_ledger_id DESC LIMIT 3);
SELECT i.item_code, i.amount FROM bill_line_items i WHERE i.org_id = :org AND i.event_log_id IN (SELECT event_log_id FROM points_ledger_entries WHERE org_id = :org AND customer_id = :id ORDER BY points_ledger_id DESC LIMIT 3);
""",
    "v3-target-groups": PGBENCH_PRELUDE + r"""SELECT EXISTS (SELECT 1 FROM customers WHERE org_id = :org AND customer_id = :id);
SELECT g.target_group_id, g.name FROM target_groups g WHERE g.org_id = :org AND EXISTS (SELECT 1 FROM user_targets ut JOIN target_rules r ON r.target_rule_id = ut.target_rule_id WHERE ut.org_id = :org AND ut.customer_id = :id AND r.target_group_id = g.target_group_id);
SELECT ut.user_target_id, ut.target_value, ut.achieved_value, r.name, p.ref_code, p.start_time, p.end_time, (SELECT c.target_achieved_event_log_id FROM target_completions c WHERE c.user_target_id = ut.user_target_id AND c.milestone_id IS NULL ORDER BY c.event_log_id LIMIT 1) FROM user_targets ut JOIN target_rules r ON r.target_rule_id = ut.target_rule_id JOIN target_periods p ON p.period_id = ut.period_id WHERE ut.org_id = :org AND ut.customer_id = :id;
SELECT p.period_id, p.ref_code FROM target_periods p WHERE p.org_id = :org AND p.target_group_id IN (SELECT target_group_id FROM target_groups WHERE org_id = :org);
SELECT milestone_id, name FROM milestones WHERE org_id = :org;
SELECT us.user_streak_id, us.status FROM user_streaks us JOIN streaks s ON s.streak_id = us.streak_id WHERE us.org_id = :org AND us.customer_id = :id;
""",
}


def pgbench(db_url, endpoint, customers, orgs, seconds, concurrency, threads, work):
    script = os.path.join(work, f"pgbench-{endpoint}.sql")
    with open(script, "w") as f:
        f.write(PGBENCH[endpoint])
    prefix = os.path.join(work, f"pgbench-{endpoint}-log")
    for name in os.listdir(work):
        if name.startswith(os.path.basename(prefix)):
            os.remove(os.path.join(work, name))
    command = [
        "pgbench", "-n", "-M", "prepared", "-c", str(concurrency), "-j", str(threads), "-T", str(seconds),
        "-D", f"customers={customers}", "-D", f"orgs={orgs}", "-f", script, "-l", f"--log-prefix={prefix}", db_url,
    ]
    out = subprocess.run(command, capture_output=True, text=True, cwd=work)
    if out.returncode != 0:
        raise SystemExit(f"bench: pgbench failed for {endpoint}: {out.stderr[-2000:]}")
    tps = float(re.search(r"tps = ([0-9.]+)", out.stdout).group(1))
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    latencies = []
    for name in os.listdir(work):
        if name.startswith(os.path.basename(prefix)):
            with open(os.path.join(work, name)) as f:
                latencies += [int(line.split()[2]) for line in f if line.strip()]
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] / 1000 if latencies else 0.0

    return {"rps": round(tps, 1), "p50_ms": pct(50), "p99_ms": pct(99), "p999_ms": pct(99.9), "errors": int(failed.group(1)) if failed else 0}


# --- the servers ----------------------------------------------------------------------------------


def start_emulator(processes, binary, db_url, work, pool_size=None):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "EMULATOR_LISTEN": f"127.0.0.1:{port}", "RUST_LOG": "warn", "EMULATOR_FIXTURES": "fixtures/default"}
    if pool_size:
        env["EMULATOR_DB_POOL_SIZE"] = str(pool_size)
    log = open(os.path.join(work, "emulator.log"), "a")
    process = processes.start("emulator", [binary, "serve"], cwd=ROOT, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    status = wait_for(base + "/__admin/ready", 120, process=process)
    if status != 200:
        raise SystemExit(f"bench: the emulator is not ready ({status}); see {work}/emulator.log")
    return process, base


def peak_rss_mb(process):
    try:
        with open(f"/proc/{process.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def start_nginx(processes, work, files):
    root = os.path.join(work, "www")
    os.makedirs(root, exist_ok=True)
    for name, body in files.items():
        with open(os.path.join(root, name), "wb") as f:
            f.write(body)
    for path in [work, root] + [os.path.join(root, name) for name in files]:
        os.chmod(path, 0o755)
    port = free_port()
    conf = os.path.join(work, "nginx.conf")
    temp = os.path.join(work, "nginx-temp")
    os.makedirs(temp, exist_ok=True)
    os.chmod(temp, 0o777)
    with open(conf, "w") as f:
        f.write(f"""daemon off;
worker_processes auto;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    default_type application/json;
    client_body_temp_path {temp}/body; proxy_temp_path {temp}/proxy; fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi; scgi_temp_path {temp}/scgi;
    keepalive_requests 1000000;
    server {{ listen 127.0.0.1:{port}; root {root}; location / {{ }} }}
}}
""")
    process = processes.start("nginx", ["nginx", "-c", conf, "-p", work], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_for(base + "/" + next(iter(files)), 20, process=process)
    return process, base


def start_prism(processes, spec, work):
    port = free_port()
    log = open(os.path.join(work, "prism.log"), "a")
    process = processes.start("prism", [PRISM, "mock", "-h", "127.0.0.1", "-p", str(port), os.path.join(SPECS, spec)], stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    wait_for(base + "/", 90, process=process)
    return process, base


# --- the runs -------------------------------------------------------------------------------------


def generate(binary, db_url, entries, work):
    psql(db_url.rsplit("/", 1)[0] + "/postgres", "DROP DATABASE IF EXISTS " + db_url.rsplit("/", 1)[1])
    started = time.time()
    env = {**os.environ, "DATABASE_URL": db_url, "RUST_LOG": "warn", "EMULATOR_FIXTURES": "fixtures/default"}
    out = subprocess.run([binary, "generate", "--ledger-entries", str(entries)], cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"bench: generate failed: {out.stderr}")
    return round(time.time() - started, 2), out.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--database-url", required=True, help="the server's URL; the benchmark uses its database emulator_bench")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--scale", action="store_true")
    parser.add_argument("--explain", action="store_true", help="print each endpoint's statements' plans and check they use indexes")
    parser.add_argument("--ledger-entries", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pool-size", type=int, default=None)
    parser.add_argument("--serve-binary", default=None, help="serve with another build (e.g. an older one, for a before/after)")
    parser.add_argument("--name", default=None, help="the results' file name (default: latest, smoke, scale)")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    args = parser.parse_args()
    db_url = args.database_url.rsplit("/", 1)[0] + "/emulator_bench"
    processes = Processes()
    work = tempfile.mkdtemp(prefix="capillary-bench-")
    os.chmod(work, 0o755)

    def interrupted(signum, _frame):
        raise SystemExit(f"bench: interrupted (signal {signum})")

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    try:
        if args.explain:
            failures = run_explain(args, db_url, work)
        elif args.scale:
            failures = run_scale(args, processes, db_url, work)
        else:
            failures = run_benchmark(args, processes, db_url, work)
    finally:
        processes.stop_all()
        try:
            psql(db_url.rsplit("/", 1)[0] + "/postgres", "DROP DATABASE IF EXISTS emulator_bench WITH (FORCE)")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("bench: FAILED: " + "; ".join(failures), file=sys.stderr)
        sys.exit(1)


def run_benchmark(args, processes, db_url, work):
    rng = random.Random(7)
    seconds, warmup, concurrency = args.seconds, args.warmup, args.concurrency
    generated_in, generate_output = generate(args.binary, db_url, args.ledger_entries, work)
    print(f"bench: generated {args.ledger_entries} ledger entries in {generated_in} s")
    print(generate_output.rstrip())
    cold, customers, orgs = cold_requests(db_url, rng, 200 if args.smoke else 4000)
    emulator, base = start_emulator(processes, args.serve_binary or args.binary, db_url, work, args.pool_size)
    samples = manifest_samples()
    results, failures = {}, []
    bodies = {}
    for endpoint in ENDPOINTS:
        name = endpoint["name"]
        hot_request = sample_request(samples[endpoint["sample"]])
        status, body = fetch(base + hot_request[0], hot_request[1])
        if status != 200:
            failures.append(f"{name}: its sample answered {status}")
        bodies[name + ".json"] = body
        cold_file, hot_file = os.path.join(work, f"{name}-cold.txt"), os.path.join(work, f"{name}-hot.txt")
        write_lines(cold_file, cold[name])
        write_lines(hot_file, [hot_request])
        # Every cold request must be a 200 too: a 4xx would be a cheap answer, not a benchmark.
        for path, headers in cold[name][:5]:
            status, answer = fetch(base + path, headers)
            if status != 200:
                failures.append(f"{name}: {path} answered {status} {answer[:300]!r}")
        if warmup:
            wrk(base, cold_file, warmup, concurrency, args.threads, work)
        results[name] = {
            "title": endpoint["title"],
            "cold": wrk(base, cold_file, seconds, concurrency, args.threads, work),
            "hot": wrk(base, hot_file, seconds, concurrency, args.threads, work),
        }
        print(f"bench: {name}: cold {results[name]['cold']['rps']} req/s, hot {results[name]['hot']['rps']} req/s", flush=True)
    rss = peak_rss_mb(emulator)
    processes.stop(emulator)

    nginx, nginx_base = start_nginx(processes, work, bodies)
    for endpoint in ENDPOINTS:
        name = endpoint["name"]
        lines = os.path.join(work, f"{name}-nginx.txt")
        write_lines(lines, [(f"/{name}.json", {})])
        results[name]["nginx"] = wrk(nginx_base, lines, seconds, concurrency, args.threads, work)
    processes.stop(nginx)

    prism_available = os.path.exists(PRISM)
    for endpoint in ENDPOINTS:
        name = endpoint["name"]
        if prism_available:
            prism, prism_base = start_prism(processes, endpoint["spec"], work)
            lines = os.path.join(work, f"{name}-prism.txt")
            # The specs ask for Basic auth; Prism checks that it is there.
            headers = {**endpoint.get("prism_headers", {}), "Authorization": basic("demo.till")}
            write_lines(lines, [(endpoint["prism"], headers)])
            status, _ = fetch(prism_base + endpoint["prism"], headers)
            if status != 200:
                failures.append(f"{name}: Prism answered {status}")
            wrk(prism_base, lines, max(1, warmup), concurrency, args.threads, work)
            results[name]["prism"] = wrk(prism_base, lines, seconds, concurrency, args.threads, work)
            processes.stop(prism)
        results[name]["db"] = pgbench(db_url, name, customers, orgs, seconds, concurrency, args.threads, work)

    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cores": os.cpu_count(),
        "concurrency": concurrency,
        "seconds": seconds,
        "ledger_entries": args.ledger_entries,
        "generate_seconds": generated_in,
        "emulator_peak_rss_mb": rss,
        "endpoints": results,
    }
    report["floors"] = floors(report)
    print_report(report)
    failures += [f"{name}: {run} had {r['errors']} errors" for name, e in results.items() for run, r in e.items() if isinstance(r, dict) and r.get("errors")]
    failures += [f"{name}: {run} made no request" for name, e in results.items() for run, r in e.items() if isinstance(r, dict) and r.get("rps") == 0]
    save(args, report, args.name or ("smoke" if args.smoke else "latest"))
    return failures


def floors(report):
    checks = []
    for name, e in report["endpoints"].items():
        floor = next(endpoint["prism_floor"] for endpoint in ENDPOINTS if endpoint["name"] == name)
        if "prism" in e:
            checks.append((f"{name}: cold >= {floor}x Prism", e["cold"]["rps"] / e["prism"]["rps"], floor))
        checks.append((f"{name}: cold >= 0.6x the database", e["cold"]["rps"] / e["db"]["rps"], 0.6))
        checks.append((f"{name}: hot >= 0.3x nginx", e["hot"]["rps"] / e["nginx"]["rps"], 0.3))
        checks.append((f"{name}: cold p99 < 20 ms", e["cold"]["p99_ms"], 20, "below"))
        checks.append((f"{name}: hot p99 < 10 ms", e["hot"]["p99_ms"], 10, "below"))
        checks.append((f"{name}: zero errors", e["cold"]["errors"] + e["hot"]["errors"], 0.5, "below"))
    rss = report["emulator_peak_rss_mb"]
    if rss is not None:
        checks.append(("emulator peak RSS < 100 MB", rss, 100, "below"))
    return [
        {"floor": check[0], "value": round(check[1], 3), "limit": check[2], "met": check[1] < check[2] if len(check) > 3 else check[1] >= check[2]}
        for check in checks
    ]


def print_report(report):
    print(f"\nbench: {report['ledger_entries']} ledger entries, concurrency {report['concurrency']}, {report['seconds']} s a run, {report['cores']} cores")
    header = f"{'endpoint':<18} {'run':<6} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'p99.9 ms':>9} {'errors':>7}"
    print(header)
    print("-" * len(header))
    for name, e in report["endpoints"].items():
        for run in ["cold", "hot", "nginx", "prism", "db"]:
            if run in e:
                r = e[run]
                print(f"{name:<18} {run:<6} {r['rps']:>9.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['p999_ms']:>9.2f} {r['errors']:>7}")
        ratios = [f"cold/db {e['cold']['rps'] / e['db']['rps']:.2f}", f"hot/nginx {e['hot']['rps'] / e['nginx']['rps']:.2f}"]
        if "prism" in e:
            ratios.insert(0, f"cold/Prism {e['cold']['rps'] / e['prism']['rps']:.2f}")
        print(f"{'':<18} ratios: {', '.join(ratios)}")
    print(f"emulator peak RSS: {report['emulator_peak_rss_mb']} MB; generate: {report['generate_seconds']} s")
    print("floors:")
    for check in report["floors"]:
        print(f"  [{'met' if check['met'] else 'NOT met'}] {check['floor']} (value {check['value']})")


def save(args, report, name):
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, f"{name}.json")
    with open(path, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    print(f"bench: wrote {os.path.relpath(path, ROOT)}")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench: no chart (python3 -m pip install matplotlib)")
        return
    if "endpoints" in report:
        names = list(report["endpoints"])
        runs = ["cold", "hot", "nginx", "prism", "db"]
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 8))
        width = 0.16
        for i, run in enumerate(runs):
            xs = [n + (i - 2) * width for n in range(len(names))]
            top.bar(xs, [report["endpoints"][n].get(run, {}).get("rps", 0) for n in names], width, label=run)
            bottom.bar(xs, [report["endpoints"][n].get(run, {}).get("p99_ms", 0) for n in names], width, label=run)
        top.set_yscale("log")
        top.set_ylabel("requests/s (log)")
        bottom.set_ylabel("p99 ms")
        for axis in (top, bottom):
            axis.set_xticks(range(len(names)))
            axis.set_xticklabels(names)
            axis.legend(ncol=5, fontsize=8)
        top.set_title(f"capillary-emulator, {report['ledger_entries']:,} ledger entries, concurrency {report['concurrency']}")
    else:
        sizes = [run["ledger_entries"] for run in report["sizes"]]
        fig, axis = plt.subplots(figsize=(9, 5))
        for endpoint in report["sizes"][0]["endpoints"]:
            p50s = [run["endpoints"][endpoint]["p50_ms"] for run in report["sizes"]]
            p99s = [run["endpoints"][endpoint]["p99_ms"] for run in report["sizes"]]
            axis.plot(sizes, p50s, marker="o", label=f"{endpoint} p50")
            axis.plot(sizes, p99s, marker="x", linestyle="--", label=f"{endpoint} p99")
        axis.set_xscale("log")
        axis.set_xlabel("ledger entries")
        axis.set_ylabel("ms")
        axis.legend(fontsize=7)
        axis.set_title("cold-mix latency by dataset size")
    fig.tight_layout()
    png = os.path.join(args.out, f"{name}.png")
    fig.savefig(png, dpi=100)
    print(f"bench: wrote {os.path.relpath(png, ROOT)}")


# Tables that grow with the data: a sequential scan of one of them is a plan that does not scale.
GROWING = ["customers", "customer_identifiers", "event_logs", "points_ledger_entries", "points_awards", "bills", "bill_line_items",
           "bill_payment_modes", "point_in_time_slabs", "points_redemptions", "points_redemption_programs", "points_transfers",
           "points_transfer_programs", "user_targets", "user_milestones", "user_streaks", "target_completions"]


def run_explain(args, db_url, work):
    generated_in, _ = generate(args.binary, db_url, args.ledger_entries, work)
    print(f"bench: generated {args.ledger_entries} ledger entries in {generated_in} s; the plans of each endpoint's statements for one generated customer:")
    failures = []
    values = {"org": FIRST_ORG + 1, "id": FIRST_CUSTOMER + 1, "start": 100}
    for endpoint, script in PGBENCH.items():
        statements = [line for line in script.splitlines() if line.strip() and not line.startswith("\\")]
        for n, statement in enumerate(statements, 1):
            for name, value in values.items():
                statement = re.sub(rf":{name}\b", str(value), statement)
            plan = "\n".join(row[0] for row in psql(db_url, "SET plan_cache_mode = force_generic_plan; EXPLAIN (COSTS OFF) " + statement))
            print(f"\n--- {endpoint}, statement {n}\n{plan}")
            scanned = [table for table in GROWING if re.search(rf"Seq Scan on {table}\b", plan)]
            if scanned:
                failures.append(f"{endpoint} statement {n} scans {', '.join(scanned)}")
    print("\nbench: every statement reads through an index" if not failures else "")
    return failures


def run_scale(args, processes, db_url, work):
    sizes = [1000, 3000] if args.smoke else [10_000, 100_000, 1_000_000]
    runs, failures = [], []
    for size in sizes:
        generated_in, _ = generate(args.binary, db_url, size, work)
        cold, _, _ = cold_requests(db_url, random.Random(7), 200 if args.smoke else 2000)
        emulator, base = start_emulator(processes, args.serve_binary or args.binary, db_url, work, args.pool_size)
        endpoints = {}
        for name, requests in cold.items():
            lines = os.path.join(work, f"{name}-scale.txt")
            write_lines(lines, requests)
            if args.warmup:
                wrk(base, lines, args.warmup, args.concurrency, args.threads, work)
            endpoints[name] = wrk(base, lines, args.seconds, args.concurrency, args.threads, work)
            if endpoints[name]["errors"]:
                failures.append(f"{size}: {name} had {endpoints[name]['errors']} errors")
        runs.append({"ledger_entries": size, "generate_seconds": generated_in, "emulator_peak_rss_mb": peak_rss_mb(emulator), "endpoints": endpoints})
        processes.stop(emulator)
        print(f"bench: {size} ledger entries done", flush=True)
    print(f"\n{'endpoint':<18} " + " ".join(f"{f'{s:,} p50/p99 ms':>24}" for s in sizes) + "   p50 largest/smallest")
    ratios = {}
    for name in runs[0]["endpoints"]:
        cells = " ".join(f"{run['endpoints'][name]['p50_ms']:>11.2f} / {run['endpoints'][name]['p99_ms']:<10.2f}" for run in runs)
        ratio = runs[-1]["endpoints"][name]["p50_ms"] / max(runs[0]["endpoints"][name]["p50_ms"], 0.001)
        ratios[name] = round(ratio, 2)
        print(f"{name:<18} {cells}   {ratio:.2f} {'(floor 1.5 met)' if ratio <= 1.5 else '(floor 1.5 NOT met)'}")
    save(args, {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "concurrency": args.concurrency, "sizes": runs, "p50_ratio_largest_smallest": ratios}, args.name or ("scale-smoke" if args.smoke else "scale"))
    return failures


if __name__ == "__main__":
    main()
