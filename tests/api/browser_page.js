// Runs in headless Chromium on a page of another origin: what a frontend does with the sandbox.
(async () => {
  const base = "EMULATOR";
  const seen = {};
  try {
    const token = await fetch(base + "/v3/oauth/token/generate", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ key: "demo-key", secret: "demo-secret" }),
    }).then((r) => r.json());
    seen.token = typeof token.data.accessToken === "string";
    const headers = { "X-CAP-API-OAUTH-TOKEN": token.data.accessToken };
    // Each answer is read to its end, so that its timing entry is complete.
    const get = async (path) => {
      const response = await fetch(base + path, { headers });
      const text = await response.text();
      return { status: response.status, headers: response.headers, json: () => JSON.parse(text) };
    };
    seen.v3 = (await get("/v3/users/387043873/targetGroups")).status;
    seen.v2 = (await get("/v2/pointsLedger/getLedgerExplodeInfo?identifierName=id&identifierValue=1709400643455&source=INSTORE&eventIds=27909380")).status;
    seen.das = (await get("/das/getLedgerEntriesWithEventId?ledger_entry_types=CREDIT,DEBIT&entity_id=387970841&start_date=2025-06-03&end_date=2025-06-04&is_filter_not_based_on_date=0&till_ids=-1&is_till_not_present=1")).status;
    const error = await get("/v2/pointsLedger/getLedgerExplodeInfo");
    seen.errorStatus = error.status;
    seen.errorCode = error.json().errors[0].code;
    seen.requestId = error.headers.get("x-request-id");
    const entry = performance.getEntriesByType("resource").find((e) => e.name.includes("targetGroups"));
    // Timing-Allow-Origin lets the page see the real timings and the server's Server-Timing.
    seen.timing = !!entry && entry.responseStart > 0 && entry.serverTiming.some((timing) => timing.name === "app");
    if (!seen.timing) seen.timingEntry = entry ? entry.toJSON() : null;
  } catch (e) {
    // What a browser says when CORS refuses an answer.
    seen.blocked = e instanceof TypeError && String(e).includes("Failed to fetch");
    seen.error = String(e);
  }
  document.getElementById("result").textContent = JSON.stringify(seen);
})();
