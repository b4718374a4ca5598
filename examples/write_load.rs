//! The load generator of `scripts/bench-writes`: registers one customer per client in the
//! walk-through org, then keeps the clients posting `POST /v2/transactions` (each bill a unique
//! number, `rawSideEffects=true`) for a while, and prints throughput and latency percentiles.
//! With SHARED=1 every client posts for the same customer (the row lock serializes them).
//!
//! Usage: write_load BASE_URL SECONDS CONCURRENCY [SHARED]

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use base64::{Engine, engine::general_purpose::STANDARD};
use md5::{Digest, Md5};
use serde_json::{Value, json};

fn basic(till: &str, password: &str) -> String {
    let md5: String = Md5::digest(password.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect();
    format!("Basic {}", STANDARD.encode(format!("{till}:{md5}")))
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let base = args.get(1).expect("BASE_URL").trim_end_matches('/').to_owned();
    let seconds: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10);
    let concurrency: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(8);
    let shared = args.get(4).is_some_and(|s| s == "1");
    let auth = basic("walk.till", "demo123");
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build().expect("client");
    let run = std::process::id();

    let mut customers = Vec::new();
    for n in 0..(if shared { 1 } else { concurrency }) {
        let mobile = format!("91{:05}{:05}", run % 100_000, n);
        let body = json!({"profiles": [{"firstName": "Bench", "lastName": format!("{n}"), "source": "INSTORE",
            "identifiers": [{"type": "mobile", "value": mobile}]}]});
        let answer: Value = client
            .post(format!("{base}/v2/customers"))
            .header("authorization", &auth)
            .json(&body)
            .send()
            .await
            .expect("register")
            .json()
            .await
            .expect("register answer");
        customers.push(answer["createdId"].as_i64().unwrap_or_else(|| panic!("registered: {answer}")));
    }

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let latencies = Arc::new(std::sync::Mutex::new(Vec::new()));
    let failures = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (client, auth, base) = (client.clone(), auth.clone(), base.clone());
        let customer = customers[if shared { 0 } else { worker }];
        let (latencies, failures) = (latencies.clone(), failures.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0_u64;
            let mut mine = Vec::new();
            while Instant::now() < deadline {
                n += 1;
                let amount = 100 + (n % 9) * 50;
                let body = json!({"type": "REGULAR", "billNumber": format!("bench-{run}-{worker}-{n}"), "billAmount": amount.to_string(),
                    "lineItemsV2": [{"itemCode": "SKU-1", "qty": 1, "rate": amount, "value": amount, "amount": amount}],
                    "paymentModes": [{"mode": "CASH", "value": amount}]});
                let started = Instant::now();
                let sent = client
                    .post(format!("{base}/v2/transactions?identifierName=id&identifierValue={customer}&source=INSTORE&rawSideEffects=true"))
                    .header("authorization", &auth)
                    .json(&body)
                    .send()
                    .await;
                let ok = match sent {
                    Ok(response) => response.status().is_success() && response.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if ok {
                    mine.push(started.elapsed());
                } else {
                    failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
            latencies.lock().unwrap().extend(mine);
        }));
    }
    for task in tasks {
        task.await.expect("client");
    }
    let mut latencies = latencies.lock().unwrap().clone();
    latencies.sort();
    let percentile = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let index = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[index].as_secs_f64() * 1000.0
    };
    let failed = failures.load(std::sync::atomic::Ordering::Relaxed);
    println!(
        "POST /v2/transactions: {} added in {seconds} s with {concurrency} clients{} = {:.1} transactions/s; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {failed} failed",
        latencies.len(),
        if shared { " on one customer" } else { ", one customer each" },
        latencies.len() as f64 / seconds as f64,
        percentile(0.50),
        percentile(0.99),
        latencies.last().map_or(0.0, |max| max.as_secs_f64() * 1000.0),
    );
    if failed > 0 {
        std::process::exit(1);
    }
}
