//! Requests as bytes on a socket, to the emulator's own accept loop (`capillary_emulator::serve`),
//! for what only the HTTP layer sees: requests hyper rejects before any route does.

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use capillary_emulator::{AppState, config::RuntimeConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

/// The emulator served on a port of its own over the test's database, until the test ends.
pub struct Served {
    pub address: std::net::SocketAddr,
    _stop: tokio::sync::oneshot::Sender<()>,
    _app: TestApp,
}

impl Served {
    pub async fn new() -> Served {
        let app = TestApp::new().await;
        let state = AppState::new(app.pool.clone(), RuntimeConfig::default()).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(capillary_emulator::serve(listener, state, async move {
            let _ = stopped.await;
        }));
        Served { address, _stop: stop, _app: app }
    }

    /// Sends `request` as it is and reads the answer until the connection closes.
    pub async fn send_raw(&self, request: &[u8], path: &str) -> TestResponse {
        let mut stream = tokio::net::TcpStream::connect(self.address).await.unwrap();
        // The server may answer (and close) before it has read everything.
        let _ = stream.write_all(request).await;
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(20), stream.read_to_end(&mut answer)).await;
        parse_answer(&answer, path)
    }
}

/// An HTTP/1.1 answer as bytes, with a body of `content-length` bytes.
fn parse_answer(answer: &[u8], path: &str) -> TestResponse {
    let head_end = answer.windows(4).position(|window| window == b"\r\n\r\n").unwrap_or_else(|| {
        panic!("no complete answer: {:?}", String::from_utf8_lossy(answer));
    });
    let head = String::from_utf8_lossy(&answer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':').unwrap();
        headers.append(HeaderName::from_bytes(name.trim().as_bytes()).unwrap(), HeaderValue::from_str(value.trim()).unwrap());
    }
    let length: usize = headers.get("content-length").map_or(0, |value| value.to_str().unwrap().parse().unwrap());
    let body = answer[head_end + 4..].to_vec();
    assert_eq!(body.len(), length, "the body is as long as content-length says");
    TestResponse { status: StatusCode::from_u16(status).unwrap(), headers, body, path: path.to_owned() }
}

fn get(target: &[u8], extra_headers: &[u8]) -> Vec<u8> {
    [b"GET ", target, b" HTTP/1.1\r\nhost: emulator\r\nconnection: close\r\n", extra_headers, b"\r\n"].concat()
}

#[tokio::test]
async fn what_the_http_layer_rejects_is_answered_in_the_familys_envelope() {
    let served = Served::new().await;

    // A URL over hyper's 65,534 bytes: 414.
    let long = format!("/v2/pointsLedger/getLedgerExplodeInfo?identifierName=id&identifierValue={}", "1".repeat(70_000));
    let response = served.send_raw(&get(long.as_bytes(), b""), "/v2/pointsLedger/getLedgerExplodeInfo").await;
    let message = assert_v2_error(&response, StatusCode::URI_TOO_LONG, 414);
    assert_eq!(message, "The request URL is too long (at most 65534 bytes)");

    // More than 100 headers: 431, with the path read from the request line.
    let many: Vec<u8> = (0..150).flat_map(|n| format!("x-header-{n}: {n}\r\n").into_bytes()).collect();
    let response = served.send_raw(&get(b"/das/getLedgerEntriesWithEventId?entity_id=1", &many), "/das/getLedgerEntriesWithEventId").await;
    let body = assert_plain_error(&response, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, None);
    assert_eq!(body["code"], 431);
    assert_eq!(body["message"], "The request headers are too large (at most 100 headers and about 400 KB in all)");

    // One header larger than the whole head may be: 431 as well, here in v3's envelope behind a
    // tenant prefix.
    let huge = format!("x-huge: {}\r\n", "h".repeat(500_000));
    let response = served.send_raw(&get(b"/t/acme/v3/users/1/targetGroups", huge.as_bytes()), "/t/acme/v3/users/1/targetGroups").await;
    assert_v3_error(&response, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, 431);

    // A raw byte outside ASCII in the query: 400, saying to percent-encode it.
    let response = served.send_raw(&get(b"/v3/users/1/targetGroups?includeInactiveTargets=\xff", b""), "/v3/users/1/targetGroups").await;
    let message = assert_v3_error(&response, StatusCode::BAD_REQUEST, 400);
    assert_eq!(message, "The request is not well-formed HTTP: the URL or a header holds a byte outside ASCII; percent-encode it");

    // The same in a header value of a DAS request.
    let response = served
        .send_raw(&get(b"/das/getTargetCompletedExplodeLedger", b"x-name: \x01\xfe\r\n"), "/das/getTargetCompletedExplodeLedger")
        .await;
    let body = assert_plain_error(&response, StatusCode::BAD_REQUEST, None);
    assert_eq!(body["code"], 400);

    // Not HTTP at all: 400 in the plain envelope, for the path "/".
    let response = served.send_raw(b"\x16\x03\x01\x02\x00 not http\r\n\r\n", "/").await;
    let body = assert_plain_error(&response, StatusCode::BAD_REQUEST, None);
    assert_eq!(body["message"], "The request is not well-formed HTTP");
    let response = served.send_raw(b"BR0KEN\r\n\r\n", "/").await;
    let body = assert_plain_error(&response, StatusCode::BAD_REQUEST, None);
    assert_eq!(body["message"], "The request is not well-formed HTTP");

    // The server goes on serving, and its own errors are untouched.
    let response = served.send_raw(&get(b"/__admin/health", b""), "/__admin/health").await;
    assert_eq!((response.status, response.json()), (StatusCode::OK, serde_json::json!({"status": "UP"})));
    let response = served
        .send_raw(
            &get(b"/v3/users/abc/targetGroups", b"authorization: Basic ZGVtby50aWxsOjYyY2MyZDhiNGJmMmQ4NzI4MTIwZDA1MjE2M2E3N2Rm\r\n"),
            "/v3/users/abc/targetGroups",
        )
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST, "{}", response.text());
    assert_eq!(keys_of(&response.json()), ["data", "errors", "warnings"], "the service's own error is untouched");
}

#[tokio::test]
async fn the_issues_oversized_requests_are_refused_in_the_envelope_over_a_socket() {
    let served = Served::new().await;
    let explode = "/v2/pointsLedger/getLedgerExplodeInfo";
    let ledger = "/das/getLedgerEntriesWithEventId";

    // A 1 MB value.
    let target = format!("{explode}?identifierName=id&identifierValue={}&source=INSTORE", "9".repeat(1 << 20));
    assert_v2_error(&served.send_raw(&get(target.as_bytes(), b""), explode).await, StatusCode::URI_TOO_LONG, 414);
    // 10,000 repeated parameters.
    let target = format!("{ledger}?{}", "entity_id=387970841&".repeat(10_000));
    let body = assert_plain_error(&served.send_raw(&get(target.as_bytes(), b""), ledger).await, StatusCode::URI_TOO_LONG, None);
    assert_eq!(body["path"], ledger);
    // 100,000 ids.
    let ids = (1..=100_000).map(|id| id.to_string()).collect::<Vec<_>>().join(",");
    let target = format!("{explode}?identifierName=id&identifierValue=1709400643455&source=INSTORE&eventIds={ids}");
    assert_v2_error(&served.send_raw(&get(target.as_bytes(), b""), explode).await, StatusCode::URI_TOO_LONG, 414);
    // A 1 MB header.
    let header = format!("DATA-SCOPE-ORG: {}\r\n", "4".repeat(1 << 20));
    let response = served.send_raw(&get(format!("{explode}?identifierName=id").as_bytes(), header.as_bytes()), explode).await;
    assert_v2_error(&response, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, 431);
}
