//! A small load generator for `scripts/bench`: keeps N concurrent clients calling a list of
//! requests for a while, then prints throughput and latency percentiles per request.
//!
//! Usage: load BASE_URL SECONDS CONCURRENCY AUTHORIZATION PATH...

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use reqwest::header::AUTHORIZATION;

#[derive(Default, Clone)]
struct Tally {
    latencies: Vec<Duration>,
    failures: usize,
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 5 {
        eprintln!("usage: load BASE_URL SECONDS CONCURRENCY AUTHORIZATION PATH...");
        std::process::exit(2);
    }
    let base = args[0].trim_end_matches('/').to_owned();
    let seconds: f64 = args[1].parse().expect("SECONDS is a number");
    let concurrency: usize = args[2].parse().expect("CONCURRENCY is a whole number");
    let authorization = args[3].clone();
    let paths: Arc<Vec<String>> = Arc::new(args[4..].to_vec());

    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build().expect("client");
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| {
            let (client, base, authorization, paths) = (client.clone(), base.clone(), authorization.clone(), paths.clone());
            tokio::spawn(async move {
                let mut tallies = vec![Tally::default(); paths.len()];
                let mut next = worker % paths.len();
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let response = client.get(format!("{base}{}", paths[next])).header(AUTHORIZATION, &authorization).send().await;
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
            path
        );
    }
    if failures > 0 {
        std::process::exit(1);
    }
}
