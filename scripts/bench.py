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

# wrk: requests from a file of "path<TAB>header: value<TAB>...". Each thread goes round its own
# slice of the file, so that no request comes back before a whole slice of others (more than the
# response cache holds) has been asked: the cold mix is never answered from memory. At the end,
# the figures as JSON into WRK_REPORT.
WRK_SCRIPT = r"""
local lines, first, size, position = {}, 0, 1, 0
local threads, counter = {}, 0
function setup(thread)
  counter = counter + 1
  thread:set("index", counter - 1)
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
  local count = tonumber(args[2]) or 1
  size = math.max(1, math.floor(#lines / count))
  first = (index * size) % #lines
end
function request()
  local line = lines[first + position + 1]
  position = (position + 1) % size
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
    command = ["wrk", "-t", str(threads), "-c", str(concurrency), "-d", f"{seconds}s", "--timeout", "10s", "-s", script, url, "--", lines_file, str(threads)]
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
        for path_and_query, headers, *_ in requests:
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
            {"org": org, "id": cid, "types": "{" + types + "}", "first_day": "" if ignore_dates else day(start),
             "last_day": "" if ignore_dates else day(start + span), "lim": size, "off": (page - 1) * size},
        ))
        cid, org, _ = customer()
        start, span, page = rng.randrange(0, 400), rng.choice([30, 90, 365, 540]), rng.choice([1, 1, 2])
        completion.append((
            f"/das/getTargetCompletedExplodeLedger?ledgerEntryTypes=CREDIT&userId={cid}&startDate={day(start)}"
            f"&endDate={day(start + span)}&page={page}",
            {"Authorization": gen_auth(org)},
            {"org": org, "id": cid, "types": "{CREDIT}", "first_day": day(start), "last_day": day(start + span), "lim": 10, "off": (page - 1) * 10},
        ))
        cid, org, _ = customer()
        inactive_targets = rng.random() < 0.5
        flags = "&includeInactiveTargets=true" if inactive_targets else ""
        v3.append((
            f"/v3/users/{cid}/targetGroups?{flags.lstrip('&')}".rstrip("?"),
            {"Authorization": gen_auth(org)},
            {"org": org, "id": cid, "inactive_targets": str(inactive_targets).lower()},
        ))
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
            by_id, mobile = rng.random() < 0.5, f"91{7_000_000_000 + index}"
            identifier = f"identifierName=id&identifierValue={cid}" if by_id else f"identifierName=mobile&identifierValue={mobile}"
            flags = [flag for flag in ["getBillDetails", "getPointsEarnedBreakup", "getCustomFields", "getPaymentModes"] if rng.random() < 0.5]
            explode.append((
                f"/v2/pointsLedger/getLedgerExplodeInfo?{identifier}&source=INSTORE&eventIds={chosen}" + "".join(f"&{flag}=true" for flag in flags),
                {"Authorization": gen_auth(int(org))},
                {"org": int(org), "id": int(cid), "by_id": int(by_id), "mobile": mobile, "ids": "{" + chosen + "}",
                 "bill_blocks": int(bool({"getBillDetails", "getPointsEarnedBreakup", "getPaymentModes"} & set(flags)))},
            ))
    rng.shuffle(explode)
    return {"das-ledger": das, "das-completion": completion, "v2-explode": explode[:count], "v3-target-groups": v3}


# --- pgbench: each endpoint's own statements, over the cold mix's own requests --------------------
#
# Every cold request's values go into a table of the benchmark's (schema `bench`), together with
# what the endpoint derives from them (times in the org's zone, which kinds of events the explode
# meets). A pgbench transaction picks one request by its number (a
# primary-key lookup: the only statement the endpoint does not run) and runs the statements the
# endpoint runs for it: the same texts as the store's (a NULL parameter is passed as '' through
# NULLIF), in the same order, skipping those the endpoint skips, with generic plans as the
# emulator's connections use. They are copies of the store's SQL: change both together.

LEDGER_ENTRIES = r"""SELECT l.ledger_entry_type, l.cps_id, l.config_metadata, l.points_ledger_id, l.created_on,
       c.name AS points_category_name, l.event_subject_id, e.processing_time,
       l.points, c.category_type, e.event_type_id, l.program_id,
       l.entity_metadata, e.request_id, l.customer_id, e.event_time, e.event_name,
       e.generic_event_id, e.event_log_id, e.till_id, e.unique_id
FROM points_ledger_entries l
JOIN event_logs e ON e.event_log_id = l.event_log_id AND e.org_id = l.org_id
JOIN points_categories c ON c.points_category_id = l.points_category_id AND c.org_id = l.org_id
WHERE l.org_id = :org AND l.customer_id = :id
  AND l.alternate_currency_id IS NULL
  AND l.ledger_entry_type = ANY(:types::text[])
  AND (NULLIF(:cf, '')::timestamptz IS NULL OR l.created_on >= NULLIF(:cf, '')::timestamptz)
  AND (NULLIF(:cu, '')::timestamptz IS NULL OR l.created_on < NULLIF(:cu, '')::timestamptz)
  AND (NULLIF(:tills, '')::bigint[] IS NULL OR e.till_id = ANY(NULLIF(:tills, '')::bigint[]))
ORDER BY l.points_ledger_id DESC
LIMIT :lim OFFSET :off"""

COMPLETION_COLUMNS = r"""tc.event_log_id, tc.customer_id, tc.source_id, tc.source_type, tc.parent_event_log_id,
       tc.return_event_log_id, tc.target_achieved_event_log_id, tc.target_achieved_event_log_created_on,
       tc.unified_targets_achieved_created_on, tc.bill_id, tc.target_group_id, g.name AS target_group_name,
       g.description AS target_group_description, tc.target_rule_id, r.name AS target_rule_name,
       r.description AS target_rule_description, tc.period_id, (SELECT p.ref_code FROM target_periods p WHERE p.period_id = tc.period_id) AS period_ref_code,
        (SELECT m.name FROM milestones m WHERE m.milestone_id = tc.milestone_id) AS milestone_name,
       tc.target_value, tc.achieved_value, tc.trigger_value,
       e.event_type_id, e.event_time, e.processing_time, e.till_id, e.unique_id,
       e.details->>'targetGroupName' AS recorded_target_group_name, e.details->>'targetName' AS recorded_target_name,
       e.details->>'targetDescription' AS recorded_target_description"""

COMPLETION_TABLES = r"""FROM target_completions tc
JOIN event_logs e ON e.event_log_id = tc.event_log_id AND e.org_id = tc.org_id
JOIN LATERAL (SELECT g.name, g.description FROM target_groups g
              WHERE g.target_group_id = tc.target_group_id AND g.org_id = tc.org_id OFFSET 0) g ON true
LEFT JOIN LATERAL (SELECT r.name, r.description FROM target_rules r WHERE r.target_rule_id = tc.target_rule_id OFFSET 0) r ON true"""

COMPLETIONS_IN_LEDGER = "SELECT " + COMPLETION_COLUMNS + ", matched.newest_entry " + COMPLETION_TABLES + r"""
JOIN LATERAL (
    SELECT max(l.points_ledger_id) AS newest_entry
    FROM points_ledger_entries l
    WHERE l.org_id = tc.org_id AND l.event_log_id = tc.event_log_id AND l.customer_id = tc.customer_id
      AND l.ledger_entry_type = ANY(:types::text[])
      AND l.created_on >= :cf::timestamptz
      AND (NULLIF(:cu, '')::timestamptz IS NULL OR l.created_on < NULLIF(:cu, '')::timestamptz)
      AND CASE WHEN NULLIF(:cur, '')::bigint[] IS NULL THEN l.alternate_currency_id IS NULL
               ELSE l.alternate_currency_id = ANY(NULLIF(:cur, '')::bigint[]) END
) matched ON matched.newest_entry IS NOT NULL
WHERE tc.org_id = :org AND tc.customer_id = :id
ORDER BY matched.newest_entry DESC
LIMIT :lim OFFSET :off"""



def customer_page(page, order):
    """A DAS page with its customer check in one statement (store::customers::customer_page_sql)."""
    return ("SELECT known.customer_known, page.* FROM (SELECT EXISTS (SELECT 1 FROM customers WHERE org_id = :org AND customer_id = :id)"
            f" AS customer_known) known LEFT JOIN LATERAL ({page}) page ON true ORDER BY {order}")


REACHABLE_BY_ID = r"""SELECT c.customer_id FROM customers c WHERE c.org_id = :org AND c.customer_id = :id AND (((:src::text IS NULL OR upper(c.source) = upper(:src)) AND (NULLIF(:acct, '')::text IS NULL OR c.account_id = NULLIF(:acct, ''))) OR EXISTS (SELECT 1 FROM customer_identifiers si WHERE si.org_id = c.org_id AND si.customer_id = c.customer_id AND (:src::text IS NULL OR upper(si.source) = upper(:src)) AND (NULLIF(:acct, '')::text IS NULL OR si.account_id = NULLIF(:acct, ''))))"""

REACHABLE_BY_IDENTIFIER = r"""SELECT i.customer_id FROM customer_identifiers i
WHERE i.org_id = :org AND lower(i.identifier_type) = lower(:kind) AND lower(i.value) = lower(:mobile)
  AND (i.value = :mobile OR lower(:kind) = 'email')
  AND (:src::text IS NULL OR upper(i.source) = upper(:src))
  AND (NULLIF(:acct, '')::text IS NULL OR i.account_id = NULLIF(:acct, ''))
ORDER BY i.customer_id
LIMIT 1"""

EVENTS_BY_IDS = r"""SELECT e.event_log_id, e.org_id, e.customer_id, e.event_name, e.event_time, e.till_id, e.event_reference_id,
       e.unique_id, e.request_id, e.details, coalesce(e.customer_id = ANY(:customers::bigint[]) OR EXISTS (SELECT 1 FROM points_transfers t
            WHERE t.event_log_id = e.event_log_id AND (t.from_customer_id = ANY(:customers::bigint[]) OR t.to_customer_id = ANY(:customers::bigint[]))) OR (e.user_group_id = ANY(:groups::bigint[]) AND (NOT :primary_only::boolean OR e.customer_id = (SELECT g.primary_customer_id FROM user_groups g WHERE g.group_id = e.user_group_id))),
       false) AS owned
FROM event_logs e WHERE e.org_id = ANY(:orgs::bigint[]) AND e.event_log_id = ANY(:ids::bigint[]) ORDER BY e.event_log_id"""

# The details statement holds only the lists a request wants (store::events::DetailsWanted): one
# text per combination.
AWARDS = r"""EXISTS (SELECT 1 FROM alternate_currencies WHERE org_id = ANY(:orgs::bigint[])) AS any_alternate_currency,
(SELECT coalesce(json_agg(a ORDER BY a.event_log_id, a.position, a.points_award_id), '[]') FROM (
    SELECT a.event_log_id, a.position, a.points_award_id, a.award_type, a.line_item_id, a.program_id,
           coalesce(a.extra->>'programName', (SELECT p.name FROM programs p WHERE p.program_id = a.program_id)) AS program_name,
           a.promotion_id, coalesce(a.extra->>'promotionName', pr.name) AS promotion_name,
           pr.start_date AS promotion_start_date, pr.end_date AS promotion_end_date,
           a.value::text AS value,
           coalesce((a.extra->>'awardedValue')::numeric, a.value + coalesce((a.extra->>'returnPoints')::numeric, 0))::text AS awarded_value,
           (a.extra->>'returnPoints')::numeric::text AS return_points,
           a.expires_on, a.expiry_type, a.conversion_date, a.awarded_on,
           a.allocation_strategy_id, a.allocation_strategy_name, a.expiry_strategy_id, a.expiry_strategy_name,
           a.points_category_id,
           (SELECT pc.name FROM points_categories pc WHERE pc.points_category_id = a.points_category_id) AS points_category_name,
           ac.identifier AS alternate_currency_identifier, ac.name AS alternate_currency_name,
           a.extra->'sourceValue' AS source_value, a.extra->'awardActionDetails' AS award_action_details
    FROM points_awards a
    LEFT JOIN LATERAL (SELECT pr.name, pr.start_date, pr.end_date FROM promotions pr
                       WHERE pr.promotion_id = a.promotion_id OFFSET 0) pr ON true
    LEFT JOIN LATERAL (SELECT ac.identifier, ac.name FROM alternate_currencies ac
                       WHERE ac.alternate_currency_id = a.alternate_currency_id OFFSET 0) ac ON true
    WHERE a.org_id = ANY(:orgs::bigint[]) AND a.event_log_id = ANY(:ids::bigint[])
      AND (a.alternate_currency_id IS NULL OR :all_currencies::boolean OR a.alternate_currency_id = ANY(:currencies::bigint[]))) a) AS awards"""

BILL_LISTS = r"""(SELECT coalesce(json_agg(b ORDER BY b.event_log_id), '[]') FROM (
    SELECT event_log_id, bill_type, bill_number, gross_amount::text AS gross_amount, discount::text AS discount,
           bill_amount::text AS bill_amount, note, source, bill_date, return_bill_id, return_type, return_date,
           return_amount::text AS return_amount
    FROM bills WHERE org_id = ANY(:orgs::bigint[]) AND event_log_id = ANY(:ids::bigint[])) b) AS bills,
(SELECT coalesce(json_agg(i ORDER BY i.event_log_id, i.position, i.line_item_id), '[]') FROM (
    SELECT event_log_id, position, line_item_id, item_code, source, serial_number, gross_amount::text AS gross_amount,
           discount::text AS discount, amount::text AS amount, rate::text AS rate, qty::text AS qty,
           return_amount::text AS return_amount, return_rate::text AS return_rate, return_qty::text AS return_qty,
           return_value::text AS return_value
    FROM bill_line_items WHERE org_id = ANY(:orgs::bigint[]) AND event_log_id = ANY(:ids::bigint[])) i) AS line_items,
(SELECT coalesce(json_agg(m ORDER BY m.event_log_id, m.position), '[]') FROM (
    SELECT event_log_id, position, mode FROM bill_payment_modes
    WHERE org_id = ANY(:orgs::bigint[]) AND event_log_id = ANY(:ids::bigint[])) m) AS payment_modes,
(SELECT coalesce(json_agg(s ORDER BY s.event_log_id, s.position, s.program_id), '[]') FROM (
    SELECT event_log_id, position, slab_number, slab_name, program_id, is_default_program FROM point_in_time_slabs
    WHERE org_id = ANY(:orgs::bigint[]) AND event_log_id = ANY(:ids::bigint[])) s) AS slabs"""

REDEMPTIONS = r"""(SELECT coalesce(json_agg(r), '[]') FROM (
    SELECT event_log_id, points_redeemed::text AS points_redeemed, redemption_purpose, transaction_number,
           redemption_id, billing_time, external_reference_number, notes, group_redemption
    FROM points_redemptions WHERE org_id = ANY(:orgs::bigint[]) AND event_log_id = ANY(:ids::bigint[])
    UNION ALL
    SELECT v.event_log_id, r.points_redeemed::text, r.redemption_purpose, r.transaction_number,
           r.redemption_id, r.billing_time, r.external_reference_number, r.notes, r.group_redemption
    FROM points_redemption_reversals v JOIN points_redemptions r ON r.event_log_id = v.redemption_event_log_id
    WHERE v.org_id = ANY(:orgs::bigint[]) AND v.event_log_id = ANY(:ids::bigint[])) r) AS redemptions"""

TRANSFERS = r"""(SELECT coalesce(json_agg(t), '[]') FROM (
    SELECT t.event_log_id, t.transfer_type, t.notes,
           t.from_customer_id, coalesce(t.from_first_name, f.first_name) AS from_first_name,
           coalesce(t.from_last_name, f.last_name) AS from_last_name,
           t.to_customer_id, coalesce(t.to_first_name, r.first_name) AS to_first_name,
           coalesce(t.to_last_name, r.last_name) AS to_last_name
    FROM points_transfers t
    JOIN customers f ON f.customer_id = t.from_customer_id
    JOIN customers r ON r.customer_id = t.to_customer_id
    WHERE t.org_id = ANY(:orgs::bigint[]) AND t.event_log_id = ANY(:ids::bigint[])) t) AS transfers"""

REDEMPTION_PROGRAM_POINTS = r"""SELECT r.event_log_id, NULL::text AS side, r.position, r.program_id,
           (SELECT p.name FROM programs p WHERE p.program_id = r.program_id) AS program_name, r.points::text AS points
    FROM points_redemption_programs r WHERE r.org_id = ANY(:orgs::bigint[]) AND r.event_log_id = ANY(:ids::bigint[])"""
TRANSFER_PROGRAM_POINTS = r"""SELECT t.event_log_id, t.side, t.position, t.program_id,
           (SELECT p.name FROM programs p WHERE p.program_id = t.program_id) AS program_name, t.points::text AS points
    FROM points_transfer_programs t WHERE t.org_id = ANY(:orgs::bigint[]) AND t.event_log_id = ANY(:ids::bigint[])"""


def event_details(bills, redemptions, transfers):
    """The details statement for the lists wanted, as store::events::DetailsWanted::statement."""
    parts = [part for wanted, part in [(redemptions, REDEMPTION_PROGRAM_POINTS), (transfers, TRANSFER_PROGRAM_POINTS)] if wanted]
    program_points = (
        "(SELECT coalesce(json_agg(pp ORDER BY pp.event_log_id, pp.side NULLS FIRST, pp.position, pp.program_id), '[]') FROM ("
        + " UNION ALL ".join(parts) + ") pp) AS program_points"
        if parts else "'[]'::json AS program_points"
    )
    return "SELECT " + ", ".join([
        AWARDS,
        BILL_LISTS if bills else "'[]'::json AS bills, '[]'::json AS line_items, '[]'::json AS payment_modes, '[]'::json AS slabs",
        REDEMPTIONS if redemptions else "'[]'::json AS redemptions",
        TRANSFERS if transfers else "'[]'::json AS transfers",
        program_points,
    ])


# The org's release comes with the org the credential decides, kept in memory (store::orgs).

# v3 keeps each org's target configuration in memory (platform::cache); a request reads only the
# customer's own rows, with this one statement.
CUSTOMER_TARGETS = r"""SELECT c.customer_id, c.first_name, c.last_name, c.source, c.account_id, c.org_source_id, c.loyalty_type,
    c.lifetime_purchases, c.created_on, c.last_updated_on, c.created_by, c.last_updated_by, c.custom_fields,
       (SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'identifier_type', i.identifier_type, 'value', i.value, 'account_id', i.account_id,
                   'is_primary', i.is_primary, 'verified', i.verified, 'subscribed', i.subscribed,
                   'attributes', i.attributes)
               ORDER BY i.position, i.identifier_type, i.value), '[]')
        FROM customer_identifiers i
        WHERE i.org_id = c.org_id AND i.customer_id = c.customer_id AND lower(i.identifier_type) = ANY(:channel_types::text[])) AS channels,
       (SELECT coalesce(json_agg(t ORDER BY t.user_target_id), '[]')
        FROM (SELECT ut.user_target_id, ut.target_rule_id, ut.period_id,
                     ut.target_value::text AS target_value, ut.achieved_value::text AS achieved_value,
                     ut.enrolled_on, ut.achieved_on, coalesce(ut.last_updated_on, ut.enrolled_on) AS last_updated_on, ut.un_enrolled,
                     (SELECT tc.target_achieved_event_log_id FROM target_completions tc
                      WHERE tc.user_target_id = ut.user_target_id AND tc.milestone_id IS NULL
                      ORDER BY tc.event_log_id LIMIT 1) AS target_achieved_event_log_id
              FROM user_targets ut WHERE ut.org_id = c.org_id AND ut.customer_id = c.customer_id) t) AS user_targets,
       (SELECT coalesce(json_agg(a.target_group_id), '[]')
        FROM target_group_audiences a WHERE a.org_id = c.org_id AND a.customer_id = c.customer_id) AS audiences,
       (SELECT coalesce(json_agg(um), '[]')
        FROM (SELECT um.user_target_id, um.milestone_id, um.achieved_on
              FROM user_targets ut JOIN user_milestones um ON um.user_target_id = ut.user_target_id
              WHERE ut.org_id = c.org_id AND ut.customer_id = c.customer_id AND um.org_id = c.org_id) um) AS reached,
       (SELECT coalesce(json_agg(us ORDER BY us.user_streak_id), '[]')
        FROM (SELECT user_streak_id, streak_id, status, current_count, achieved_user_target_id, achieved_on
              FROM user_streaks WHERE org_id = c.org_id AND customer_id = c.customer_id) us) AS streaks
FROM customers c WHERE c.org_id = :org AND c.customer_id = :id"""


def day_bounds(table):
    """Sets the request's first instant (`cf`) and its end (`cu`: the day after its last) in the
    org's zone, as DayRange::bounds does; a request without days keeps ''."""
    return (
        f"UPDATE {table} b SET cf = (first_day::date::timestamp AT TIME ZONE o.time_zone)::text,"
        " cu = ((last_day::date + 1)::timestamp AT TIME ZONE o.time_zone)::text FROM orgs o WHERE o.org_id = b.org AND first_day <> ''"
    )


# Per endpoint: the request table's columns (those the cold mix fills first, then those derived in
# SQL), the derivation, and the pgbench script.
REQUEST_TABLES = {
    "das-ledger": {
        "table": "bench.das_ledger",
        "columns": "org bigint, id bigint, types text, first_day text, last_day text, lim int, off int",
        "derived": "cf text DEFAULT '', cu text DEFAULT '', tills text DEFAULT ''",
        "setup": [day_bounds("bench.das_ledger")],
        "script": [customer_page(LEDGER_ENTRIES, "page.points_ledger_id DESC")],
    },
    "das-completion": {
        "table": "bench.das_completion",
        "columns": "org bigint, id bigint, types text, first_day text, last_day text, lim int, off int",
        "derived": "cf text, cu text, cur text DEFAULT ''",
        "setup": [day_bounds("bench.das_completion")],
        "script": [customer_page(COMPLETIONS_IN_LEDGER, "page.newest_entry DESC")],
    },
    "v2-explode": {
        "table": "bench.v2_explode",
        "columns": "org bigint, id bigint, by_id int, mobile text, ids text, bill_blocks int",
        "derived": "by_mobile int, kind text DEFAULT 'mobile', src text DEFAULT 'INSTORE', acct text DEFAULT '', orgs text, customers text,"
        " groups text DEFAULT '{}', primary_only boolean DEFAULT false, all_currencies boolean DEFAULT false, currencies text DEFAULT '{}',"
        " bills int, completions int, redemptions int, transfers int",
        "setup": [
            "UPDATE bench.v2_explode b SET by_mobile = 1 - by_id, orgs = '{' || org || '}', customers = '{' || id || '}',"
            " bills = bill_blocks * (SELECT count(*) FROM event_logs e WHERE e.event_log_id = ANY(b.ids::bigint[])"
            "   AND e.event_name IN ('TransactionAdd', 'NewBill', 'GroupTransactionAdd', 'ReturnBill'))::int,"
            " completions = (SELECT count(*) FROM event_logs e WHERE e.event_log_id = ANY(b.ids::bigint[]) AND e.event_name = 'TargetCompleted')::int,"
            " redemptions = (SELECT count(*) FROM event_logs e WHERE e.event_log_id = ANY(b.ids::bigint[])"
            "   AND e.event_name IN ('PointsRedemption', 'PointsRedemptionReversal'))::int,"
            " transfers = (SELECT count(*) FROM event_logs e WHERE e.event_log_id = ANY(b.ids::bigint[]) AND e.event_name = 'PointsTransfer')::int",
            "UPDATE bench.v2_explode SET bills = least(bills, 1), completions = least(completions, 1), redemptions = least(redemptions, 1),"
            " transfers = least(transfers, 1)",
        ],
        "script": [
            (":by_id", [REACHABLE_BY_ID]),
            (":by_mobile", [REACHABLE_BY_IDENTIFIER]),
            EVENTS_BY_IDS,
            *[
                (f":bills = {int(b)} AND :redemptions = {int(r)} AND :transfers = {int(t)}", [event_details(b, r, t)])
                for b in (False, True) for r in (False, True) for t in (False, True)
            ],
            (":completions", ["SELECT " + COMPLETION_COLUMNS + " " + COMPLETION_TABLES + " WHERE tc.org_id = ANY(:orgs::bigint[]) AND tc.event_log_id = ANY(:ids::bigint[])"]),
        ],
    },
    "v3-target-groups": {
        "table": "bench.v3_target_groups",
        "columns": "org bigint, id bigint, inactive_targets boolean",
        "derived": "channel_types text DEFAULT '{mobile,email,wechat,android,ios,line,whatsapp}'",
        "setup": [],
        "script": [CUSTOMER_TARGETS],
    },
}


def load_request_tables(db_url, cold, work):
    """Fills each endpoint's request table from the cold mix and derives the rest in SQL."""
    psql(db_url, "DROP SCHEMA IF EXISTS bench CASCADE; CREATE SCHEMA bench")
    for name, spec in REQUEST_TABLES.items():
        keys = [column.split()[0] for column in spec["columns"].split(", ")]
        path = os.path.join(work, f"{name}-values.tsv")
        with open(path, "w") as f:
            for n, (_, _, values) in enumerate(cold[name], 1):
                f.write("\t".join([str(n)] + [str(values[key]) for key in keys]) + "\n")
        psql(db_url, f"CREATE TABLE {spec['table']} (n int PRIMARY KEY, {spec['columns']}, {spec['derived']})")
        subprocess.run(["psql", db_url, "-Xq", "-c", f"\\copy {spec['table']} (n, {', '.join(keys)}) FROM '{path}'"], check=True)
        for statement in spec["setup"]:
            psql(db_url, statement)
        psql(db_url, f"ANALYZE {spec['table']}")


def pgbench_script(spec):
    lines = [r"\set n random(1, :rows)", f"SELECT * FROM {spec['table']} WHERE n = :n \\gset"]
    for step in spec["script"]:
        if isinstance(step, tuple):
            flag, statements = step
            lines.append(f"\\if {flag}")
            lines += [" ".join(statement.split()) + ";" for statement in statements]
            lines.append("\\endif")
        else:
            lines.append(" ".join(step.split()) + ";")
    return "\n".join(lines) + "\n"


def pgbench(db_url, endpoint, rows, seconds, concurrency, threads, work):
    script = os.path.join(work, f"pgbench-{endpoint}.sql")
    with open(script, "w") as f:
        f.write(pgbench_script(REQUEST_TABLES[endpoint]))
    prefix = os.path.join(work, f"pgbench-{endpoint}-log")
    for name in os.listdir(work):
        if name.startswith(os.path.basename(prefix)):
            os.remove(os.path.join(work, name))
    command = [
        "pgbench", "-n", "-M", "prepared", "-c", str(concurrency), "-j", str(threads), "-T", str(seconds),
        "-D", f"rows={rows}", "-f", script, "-l", f"--log-prefix={prefix}", db_url,
    ]
    # Generic plans, as the emulator's connections make them (db::prepare_connection).
    env = {**os.environ, "PGOPTIONS": os.environ.get("PGOPTIONS", "") + " -c plan_cache_mode=force_generic_plan"}
    out = subprocess.run(command, capture_output=True, text=True, cwd=work, env=env)
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


def start_emulator(processes, binary, db_url, work, pool_size=None, response_cache=True):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "EMULATOR_LISTEN": f"127.0.0.1:{port}", "RUST_LOG": "warn", "EMULATOR_FIXTURES": "fixtures/default"}
    if not response_cache:
        env["EMULATOR_RESPONSE_CACHE"] = "off"
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
    cold = cold_requests(db_url, rng, 200 if args.smoke else 6000)
    load_request_tables(db_url, cold, work)
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
        for path, headers, _ in cold[name][:5]:
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
        results[name]["db"] = pgbench(db_url, name, len(cold[name]), seconds, concurrency, args.threads, work)

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
    cold = cold_requests(db_url, random.Random(7), 50)
    load_request_tables(db_url, cold, work)
    print(f"bench: generated {args.ledger_entries} ledger entries in {generated_in} s; the plans of each endpoint's statements for its first cold request:")
    failures = []
    for endpoint, spec in REQUEST_TABLES.items():
        names = [row[0] for row in psql(db_url, f"SELECT column_name FROM information_schema.columns WHERE table_schema = 'bench' AND table_name = '{spec['table'].split('.')[1]}'")]
        values = dict(zip(names, psql(db_url, f"SELECT {', '.join(names)} FROM {spec['table']} WHERE n = 1")[0]))
        statements = [step for step in spec["script"] if isinstance(step, str)] + [s for step in spec["script"] if isinstance(step, tuple) for s in step[1]]
        for n, statement in enumerate(statements, 1):
            literal = re.sub(r"(?<!:):([a-z_]+)", lambda match: "'" + values[match.group(1)].replace("'", "''") + "'", statement)
            plan = "\n".join(row[0] for row in psql(db_url, "EXPLAIN (COSTS OFF) " + literal))
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
        cold = cold_requests(db_url, random.Random(7), 200 if args.smoke else 6000)
        # The smallest sizes have few distinct requests; the cache off, every size measures the
        # database path, which is what grows with the data.
        emulator, base = start_emulator(processes, args.serve_binary or args.binary, db_url, work, args.pool_size, response_cache=False)
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
