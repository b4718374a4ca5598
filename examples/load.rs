//! A small load generator for `scripts/bench`: keeps N concurrent clients calling the documented
//! samples' requests (from `tests/samples/manifest.json`, the list the tests and the README use)
//! for a while, then prints throughput and latency percentiles per request.
//!
//! Usage: load BASE_URL SECONDS CONCURRENCY MANIFEST [TILL PATH]...
//! (each extra TILL PATH pair is one more GET, with Basic auth as that till)

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use base64::{Engine, engine::general_purpose::STANDARD};
use md5::{Digest, Md5};
use reqwest::{Method, header::HeaderMap};
use serde_json::Value;

/// One request to drive: what the manifest gives for a sample.
#[derive(Clone)]
struct Target {
    label: String,
    method: Method,
    uri: String,
    headers: HeaderMap,
}

fn basic(till: &str, password: &str) -> String {
    let md5: String = Md5::digest(password.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect();
    format!("Basic {}", STANDARD.encode(format!("{till}:{md5}")))
}

/// An OAuth token for a client of the default bundle (its secret read from the bundle's files).
async fn token(client: &reqwest::Client, base: &str, key: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/default");
    let mut secret = None;
    for entry in std::fs::read_dir(dir).expect("fixtures/default") {
        let file: Value = serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        for record in file["oauth_clients"].as_array().into_iter().flatten() {
            if record["client_key"] == key {
                secret = record["client_secret"].as_str().map(str::to_owned);
            }
        }
    }
    let secret = secret.unwrap_or_else(|| panic!("no OAuth client {key} in fixtures/default"));
    let answer: Value = client
        .post(format!("{base}/v3/oauth/token/generate"))
        .json(&serde_json::json!({"key": key, "secret": secret}))
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token answer");
    answer["data"]["accessToken"].as_str().expect("accessToken").to_owned()
}

/// The manifest's distinct requests, labelled with their samples' names.
async fn targets(client: &reqwest::Client, base: &str, manifest: &str) -> Vec<Target> {
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(manifest).expect("MANIFEST is readable")).expect("MANIFEST is JSON");
    let password = manifest["password"].as_str().expect("password");
    let mut targets: Vec<(Value, Target)> = Vec::new();
    for sample in manifest["samples"].as_array().expect("samples") {
        let request = &sample["request"];
        let name = sample["name"].as_str().unwrap();
        // The load is of answers; a documented error's request is no load.
        if sample["status"] != 200 {
            continue;
        }
        if let Some((_, target)) = targets.iter_mut().find(|(seen, _)| seen == request) {
            target.label += &format!(", {name}");
            continue;
        }
        let mut headers = HeaderMap::new();
        for (header, value) in request["headers"].as_object().expect("headers") {
            headers.insert(header.parse::<reqwest::header::HeaderName>().unwrap(), value.as_str().unwrap().parse().unwrap());
        }
        if let Some(till) = request["credential"]["till"].as_str() {
            headers.insert("authorization", basic(till, password).parse().unwrap());
        } else if let Some(key) = request["credential"]["oauth"].as_str() {
            headers.insert("x-cap-api-oauth-token", token(client, base, key).await.parse().unwrap());
        }
        let query = request["query"].as_str().unwrap();
        let path = request["path"].as_str().unwrap();
        let uri = if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") };
        let method = request["method"].as_str().unwrap().parse().expect("method");
        targets.push((request.clone(), Target { label: name.to_owned(), method, uri, headers }));
    }
    targets.into_iter().map(|(_, target)| target).collect()
}

#[derive(Default, Clone)]
struct Tally {
    latencies: Vec<Duration>,
    failures: usize,
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 || !args.len().is_multiple_of(2) {
        eprintln!("usage: load BASE_URL SECONDS CONCURRENCY MANIFEST [TILL PATH]...");
        std::process::exit(2);
    }
    let base = args[0].trim_end_matches('/').to_owned();
    let seconds: f64 = args[1].parse().expect("SECONDS is a number");
    let concurrency: usize = args[2].parse().expect("CONCURRENCY is a whole number");

    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build().expect("client");
    let mut list = targets(&client, &base, &args[3]).await;
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(&args[3]).unwrap()).unwrap();
    let password = manifest["password"].as_str().expect("password");
    for pair in args[4..].chunks(2) {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", basic(&pair[0], password).parse().unwrap());
        list.push(Target { label: pair[1].clone(), method: Method::GET, uri: pair[1].clone(), headers });
    }
    let paths: Arc<Vec<Target>> = Arc::new(list);
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| {
            let (client, base, paths) = (client.clone(), base.clone(), paths.clone());
            tokio::spawn(async move {
                let mut tallies = vec![Tally::default(); paths.len()];
                let mut next = worker % paths.len();
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let target = &paths[next];
                    let response =
                        client.request(target.method.clone(), format!("{base}{}", target.uri)).headers(target.headers.clone()).send().await;
                    let ok = match response {
                        Ok(response) => response.status().is_success() && response.bytes().await.is_ok(),
                        Err(_) => false,
                    };
                    let tally = &mut tallies[next];
                    tally.latencies.push(sent.elapsed());
                    if !ok {
                        tally.failures += 1;
                    }
                    next = (next + 1) % paths.len();
                }
                tallies
            })
        })
        .collect();
    let mut totals = vec![Tally::default(); paths.len()];
    for worker in workers {
        for (total, tally) in totals.iter_mut().zip(worker.await.expect("worker")) {
            total.latencies.extend(tally.latencies);
            total.failures += tally.failures;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();

    let all: usize = totals.iter().map(|tally| tally.latencies.len()).sum();
    let failures: usize = totals.iter().map(|tally| tally.failures).sum();
    println!("{concurrency} clients for {elapsed:.1} s: {all} requests, {:.0} requests/s, {failures} failed", all as f64 / elapsed);
    println!("{:>8} {:>9} {:>9} {:>9} {:>9} {:>7}  request", "count", "p50 ms", "p90 ms", "p99 ms", "max ms", "failed");
    for (path, tally) in paths.iter().zip(totals.iter_mut()) {
        tally.latencies.sort();
        let percentile = |p: f64| {
            let latencies = &tally.latencies;
            if latencies.is_empty() {
                return 0.0;
            }
            let index = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
            latencies[index].as_secs_f64() * 1000.0
        };
        println!(
            "{:>8} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>7}  {}",
            tally.latencies.len(),
            percentile(0.50),
            percentile(0.90),
            percentile(0.99),
            percentile(1.0),
            tally.failures,
            path.label
        );
    }
    if failures > 0 {
        std::process::exit(1);
    }
}
