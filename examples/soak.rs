//! The soak driver of `scripts/soak`: every endpoint, success and error cases, in several tenants,
//! from CONCURRENCY clients for SECONDS; then the figures. Each request's expected status is what it
//! answers when sent alone before the run (a documented sample must answer its documented status);
//! during the run any other status or a failed connection is a failed request. Exits 1 when a
//! request failed, the server's RSS at the end is over 10% above the RSS after warm-up, or it holds
//! more file descriptors or database connections at the end than after warm-up.
//!
//! Usage: soak BASE_URL SECONDS CONCURRENCY SERVER_PID DATABASE_URL MANIFEST

use std::{
    collections::BTreeMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use base64::{Engine, engine::general_purpose::STANDARD};
use md5::{Digest, Md5};
use reqwest::Method;
use serde_json::{Value, json};

#[derive(Clone, Debug)]
struct Target {
    label: String,
    method: Method,
    uri: String,
    headers: Vec<(String, String)>,
    body: Option<Value>,
    expected: u16,
}

fn basic(till: &str) -> String {
    let md5: String = Md5::digest(b"demo123").iter().map(|byte| format!("{byte:02x}")).collect();
    format!("Basic {}", STANDARD.encode(format!("{till}:{md5}")))
}

fn oauth_secret(key: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/default");
    for entry in std::fs::read_dir(dir).expect("fixtures/default") {
        let file: Value = serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        for record in file["oauth_clients"].as_array().into_iter().flatten() {
            if record["client_key"] == key {
                return record["client_secret"].as_str().unwrap().to_owned();
            }
        }
    }
    panic!("no OAuth client {key}")
}

async fn send(client: &reqwest::Client, base: &str, target: &Target) -> Result<u16, String> {
    let mut request = client.request(target.method.clone(), format!("{base}{}", target.uri));
    for (name, value) in &target.headers {
        request = request.header(name, value);
    }
    if let Some(body) = &target.body {
        request = request.json(body);
    }
    let response = request.send().await.map_err(|error| error.to_string())?;
    let status = response.status().as_u16();
    response.bytes().await.map_err(|error| error.to_string())?;
    Ok(status)
}

/// Every request of the soak, in the tenant behind `prefix`.
async fn targets(client: &reqwest::Client, base: &str, prefix: &str, manifest: &Value) -> Vec<Target> {
    let mut targets = Vec::new();
    let admin = vec![("authorization".to_owned(), "Bearer admin".to_owned())];
    let mut tokens = BTreeMap::new();
    for sample in manifest["samples"].as_array().unwrap() {
        let request = &sample["request"];
        let query = request["query"].as_str().unwrap();
        let uri = format!("{prefix}{}{}{query}", request["path"].as_str().unwrap(), if query.is_empty() { "" } else { "?" });
        let mut headers: Vec<(String, String)> = request["headers"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(name, value)| (name.clone(), value.as_str().unwrap().to_owned()))
            .collect();
        let credential = if let Some(till) = request["credential"]["till"].as_str() {
            ("authorization".to_owned(), basic(till))
        } else {
            let key = request["credential"]["oauth"].as_str().unwrap().to_owned();
            if !tokens.contains_key(&key) {
                let answer: Value = client
                    .post(format!("{base}{prefix}/v3/oauth/token/generate"))
                    .json(&json!({"key": key, "secret": oauth_secret(&key)}))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                tokens.insert(key.clone(), answer["data"]["accessToken"].as_str().unwrap().to_owned());
            }
            ("X-CAP-API-OAUTH-TOKEN".to_owned(), tokens[&key].clone())
        };
        let name = sample["name"].as_str().unwrap();
        let method: Method = request["method"].as_str().unwrap().parse().unwrap();
        // Without a credential: 401.
        targets.push(Target {
            label: format!("{name} without credential"),
            method: method.clone(),
            uri: uri.clone(),
            headers: headers.clone(),
            body: None,
            expected: 0,
        });
        // A malformed parameter: the first one's value replaced.
        if let Some((first, _)) = query.split('&').next().and_then(|pair| pair.split_once('=')) {
            let broken = uri.replacen(&format!("{first}="), &format!("{first}=%27%20OR%201%3D1--&x{first}="), 1);
            let mut headers = headers.clone();
            headers.push(credential.clone());
            targets.push(Target { label: format!("{name} broken"), method: method.clone(), uri: broken, headers, body: None, expected: 0 });
        }
        headers.push(credential);
        targets.push(Target {
            label: name.to_owned(),
            method,
            uri,
            headers,
            body: None,
            expected: sample["status"].as_u64().unwrap() as u16,
        });
    }
    let demo = vec![("authorization".to_owned(), basic("demo.till"))];
    let plain = |label: &str, method: Method, uri: String, headers: &Vec<(String, String)>, body: Option<Value>| Target {
        label: label.to_owned(),
        method,
        uri,
        headers: headers.clone(),
        body,
        expected: 0,
    };
    targets.extend([
        plain("whoami", Method::GET, format!("{prefix}/__admin/whoami"), &demo, None),
        plain("health", Method::GET, "/__admin/health".to_owned(), &vec![], None),
        plain("ready", Method::GET, "/__admin/ready".to_owned(), &vec![], None),
        plain("openapi", Method::GET, "/openapi.json".to_owned(), &vec![], None),
        plain("unknown path", Method::GET, format!("{prefix}/v2/nowhere"), &demo, None),
        plain("wrong method", Method::DELETE, format!("{prefix}/v3/users/1/targetGroups"), &demo, None),
        plain("unknown tenant", Method::GET, "/t/no-such-tenant/v3/users/1/targetGroups".to_owned(), &demo, None),
        plain("journal", Method::GET, format!("{prefix}/__admin/requests?limit=5"), &admin, None),
        plain("journal count", Method::POST, format!("{prefix}/__admin/requests/count"), &admin, Some(json!({"method": "GET"}))),
        plain("clock", Method::GET, format!("{prefix}/__admin/clock"), &admin, None),
        plain("faults", Method::GET, format!("{prefix}/__admin/faults"), &admin, None),
        plain("tenants", Method::GET, "/__admin/tenants".to_owned(), &admin, None),
        plain("admin without token", Method::GET, format!("{prefix}/__admin/requests"), &vec![], None),
        plain(
            "token wrong secret",
            Method::POST,
            format!("{prefix}/v3/oauth/token/generate"),
            &vec![],
            Some(json!({"key": "demo-key", "secret": "no"})),
        ),
        plain("bad json", Method::POST, format!("{prefix}/__admin/clock/advance"), &admin, Some(json!({"by": "soon"}))),
    ]);
    targets
}

fn process_figures(pid: u32) -> (u64, usize) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss_kb = status.lines().find_map(|line| line.strip_prefix("VmRSS:")).and_then(|rest| rest.split_whitespace().next()?.parse().ok());
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map(|dir| dir.count()).unwrap_or(0);
    (rss_kb.unwrap_or(0), fds)
}

async fn database_connections(url: &str) -> i64 {
    let pool = sqlx::PgPool::connect(url).await.expect("the database answers");
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    count
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, base, seconds, concurrency, pid, database_url, manifest] = &args[..] else {
        eprintln!("usage: soak BASE_URL SECONDS CONCURRENCY SERVER_PID DATABASE_URL MANIFEST");
        std::process::exit(2);
    };
    let (seconds, concurrency, pid): (u64, usize, u32) = (seconds.parse().unwrap(), concurrency.parse().unwrap(), pid.parse().unwrap());
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(manifest).unwrap()).unwrap();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let admin = "Bearer admin";

    // Several tenants, each made from the default bundle.
    let mut prefixes = vec![String::new()];
    for n in 1..=3 {
        let id = format!("soak-{n}");
        let _ = client.delete(format!("{base}/__admin/tenants/{id}")).header("authorization", admin).send().await;
        let created =
            client.post(format!("{base}/__admin/tenants")).header("authorization", admin).json(&json!({"id": id})).send().await.unwrap();
        assert_eq!(created.status().as_u16(), 201, "tenant {id}: {}", created.text().await.unwrap());
        prefixes.push(format!("/t/{id}"));
    }
    let mut all = Vec::new();
    for prefix in &prefixes {
        all.extend(targets(&client, base, prefix, &manifest).await);
    }
    // Calibration: each request alone. A documented sample must answer its documented status, none a 5xx.
    let mut calibration_failures = Vec::new();
    for target in &mut all {
        match send(&client, base, target).await {
            Ok(status) if status >= 500 => calibration_failures.push(format!("{}: {status}", target.label)),
            Ok(status) if target.expected != 0 && status != target.expected => {
                calibration_failures.push(format!("{}: {status}, documented {}", target.label, target.expected))
            }
            Ok(status) => target.expected = status,
            Err(error) => calibration_failures.push(format!("{}: {error}", target.label)),
        }
    }
    let all = Arc::new(all);
    println!("soak: {} requests in {} tenants (successes and errors), concurrency {concurrency}, {seconds} s", all.len(), prefixes.len());

    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(Mutex::new(BTreeMap::<String, u64>::new()));
    let statuses = Arc::new(Mutex::new(BTreeMap::<u16, u64>::new()));
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..concurrency {
        let (client, base, all, stop, sent, failures, statuses) =
            (client.clone(), base.clone(), all.clone(), stop.clone(), sent.clone(), failures.clone(), statuses.clone());
        workers.push(tokio::spawn(async move {
            let mut next = worker * 7919;
            while !stop.load(Ordering::Relaxed) {
                let target = &all[next % all.len()];
                next += 1;
                sent.fetch_add(1, Ordering::Relaxed);
                match send(&client, &base, target).await {
                    Ok(status) => {
                        *statuses.lock().unwrap().entry(status).or_default() += 1;
                        if status != target.expected {
                            *failures
                                .lock()
                                .unwrap()
                                .entry(format!("{}: {status}, expected {}", target.label, target.expected))
                                .or_default() += 1;
                        }
                    }
                    Err(error) => *failures.lock().unwrap().entry(format!("{}: {error}", target.label)).or_default() += 1,
                }
            }
        }));
    }
    let warm_up = Duration::from_secs((seconds / 5).max(2).min(seconds));
    tokio::time::sleep(warm_up).await;
    let (rss_warm, fds_warm) = process_figures(pid);
    let connections_warm = database_connections(database_url).await;
    tokio::time::sleep(Duration::from_secs(seconds).saturating_sub(started.elapsed())).await;
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.unwrap();
    }
    let elapsed = started.elapsed();
    drop(client);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (rss_end, fds_end) = process_figures(pid);
    let connections_end = database_connections(database_url).await;

    let sent = sent.load(Ordering::Relaxed);
    let failures = failures.lock().unwrap().clone();
    let failed: u64 = failures.values().sum::<u64>() + calibration_failures.len() as u64;
    let growth = (rss_end as f64 / rss_warm.max(1) as f64 - 1.0) * 100.0;
    println!("soak: {sent} requests in {:.1} s ({:.0}/s), {failed} failed", elapsed.as_secs_f64(), sent as f64 / elapsed.as_secs_f64());
    println!("soak: statuses {:?}", statuses.lock().unwrap());
    println!("soak: server RSS {} KB after warm-up ({} s), {} KB at the end ({growth:+.1}%)", rss_warm, warm_up.as_secs(), rss_end);
    println!("soak: server file descriptors {fds_warm} after warm-up, {fds_end} at the end");
    println!("soak: database connections {connections_warm} after warm-up, {connections_end} at the end");
    for failure in calibration_failures.iter().map(|failure| (failure.clone(), 1)).chain(failures) {
        println!("soak: FAILED {} (×{})", failure.0, failure.1);
    }
    let mut problems = Vec::new();
    if failed > 0 {
        problems.push(format!("{failed} failed requests"));
    }
    if growth > 10.0 {
        problems.push(format!("RSS grew {growth:.1}%"));
    }
    if fds_end > fds_warm {
        problems.push("more file descriptors at the end".to_owned());
    }
    if connections_end > connections_warm {
        problems.push("more database connections at the end".to_owned());
    }
    if problems.is_empty() {
        println!("soak: passed");
    } else {
        println!("soak: FAILED: {}", problems.join("; "));
        std::process::exit(1);
    }
}
