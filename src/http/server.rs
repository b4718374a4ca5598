//! The accept loop: HTTP/1.1 connections served by hyper, with graceful shutdown, and hyper's own
//! rejections put into the family's envelope.
//!
//! hyper answers some requests itself, before any service sees them: 414 for a URL over 65,534
//! bytes, 431 for a request head over its buffer or with more than 100 headers, 400 for a request
//! line or header it cannot parse (raw bytes outside ASCII in the URL, for instance). It writes
//! those with an empty body and offers no hook to change them. So each connection's stream is
//! wrapped in [`EnvelopedRejections`], which replaces such an answer, as hyper writes it, with the
//! same status and a JSON body in the envelope of the family the request's path names (the path
//! is read from the start of the request head, kept as it arrives).

use std::{
    future::Future,
    io,
    pin::{Pin, pin},
    task::{Context, Poll, ready},
    time::Duration,
};

use axum::{Router, http::StatusCode};
use hyper::server::conn::http1;
use hyper_util::{rt::TokioIo, server::graceful::GracefulShutdown, service::TowerToHyperService};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpListener,
};

use crate::http::error::{ApiError, ErrorCode, Family, codes, readable};

/// Serves `app` on `listener` until `shutdown` completes; then stops accepting (new connections
/// are refused), lets the requests in flight finish, and returns.
pub async fn serve(listener: TcpListener, app: Router, shutdown: impl Future<Output = ()> + Send + 'static) -> io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut shutdown = pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(error) => {
                    wait_after_accept_error(error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(app.clone());
        let connection = http1::Builder::new().serve_connection(TokioIo::new(EnvelopedRejections::new(stream)), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// A connection that failed before it was accepted is the client's business; anything else (out
/// of file descriptors) is worth a pause before the next accept, as hyper's own server did.
async fn wait_after_accept_error(error: io::Error) {
    if matches!(error.kind(), io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset) {
        return;
    }
    tracing::error!(%error, "cannot accept a connection");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// How much of a request's head is kept to find its path: enough for any family's prefix and a
/// tenant prefix.
const KEPT_HEAD: usize = 512;

/// A connection's stream that rewrites hyper's own bodiless rejections into enveloped ones.
///
/// The start of the current request is what was read since the last answer was written (HTTP/1.1
/// clients send the next request after the answer; a pipelining client may get the envelope of an
/// earlier request's family, which is still an envelope).
pub struct EnvelopedRejections<T> {
    inner: T,
    request_start: Vec<u8>,
    /// Whether the current request's first line has ended: when hyper's buffer fills before it
    /// does, the URL is what is too long, though hyper says 431.
    request_line_ended: bool,
    answered: bool,
    /// An enveloped rejection being written: its bytes, how many are written, and the length of
    /// hyper's answer it replaces.
    replacement: Option<(Vec<u8>, usize, usize)>,
}

impl<T> EnvelopedRejections<T> {
    pub fn new(inner: T) -> EnvelopedRejections<T> {
        EnvelopedRejections { inner, request_start: Vec::new(), request_line_ended: false, answered: true, replacement: None }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for EnvelopedRejections<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.inner).poll_read(cx, buf))?;
        let read = &buf.filled()[before..];
        if read.is_empty() {
            return Poll::Ready(Ok(()));
        }
        let this = &mut *self;
        if this.answered {
            this.answered = false;
            this.request_start.clear();
            this.request_line_ended = false;
        }
        // Past the blank lines a request may start with.
        let skipped = if this.request_start.iter().all(|byte| matches!(byte, b'\r' | b'\n')) {
            read.iter().position(|byte| !matches!(byte, b'\r' | b'\n')).unwrap_or(read.len())
        } else {
            0
        };
        this.request_line_ended |= read[skipped..].contains(&b'\n');
        let room = KEPT_HEAD.saturating_sub(this.request_start.len());
        this.request_start.extend_from_slice(&read[..read.len().min(room)]);
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for EnvelopedRejections<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.replacement.is_none()
            && let Some(status) = hyper_rejection(buf)
        {
            let status = if status == StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE && !this.request_line_ended {
                StatusCode::URI_TOO_LONG
            } else {
                status
            };
            this.replacement = Some((enveloped_rejection(status, &this.request_start), 0, buf.len()));
        }
        if let Some((bytes, written, replaced)) = &mut this.replacement {
            while *written < bytes.len() {
                let n = ready!(Pin::new(&mut this.inner).poll_write(cx, &bytes[*written..]))?;
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                *written += n;
            }
            let replaced = *replaced;
            this.replacement = None;
            this.answered = true;
            return Poll::Ready(Ok(replaced));
        }
        let written = ready!(Pin::new(&mut this.inner).poll_write(cx, buf))?;
        this.answered = true;
        Poll::Ready(Ok(written))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The status of an answer hyper wrote itself: a whole head, without a body, of a status hyper
/// rejects requests with. The service never answers so: every error it sends has a JSON body.
/// (hyper writes into one buffer, as the stream does not write vectored, so a head comes whole.)
fn hyper_rejection(buf: &[u8]) -> Option<StatusCode> {
    let status = match buf.get(..13)? {
        b"HTTP/1.1 400 " => StatusCode::BAD_REQUEST,
        b"HTTP/1.1 414 " => StatusCode::URI_TOO_LONG,
        b"HTTP/1.1 431 " => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        _ => return None,
    };
    let head = buf.strip_suffix(b"\r\n\r\n")?;
    if head.windows(4).any(|window| window == b"\r\n\r\n") {
        return None;
    }
    let bodiless = head.split(|byte| *byte == b'\n').any(|line| line.eq_ignore_ascii_case(b"content-length: 0\r"));
    bodiless.then_some(status)
}

/// The whole answer for a request hyper rejected with `status`, in the envelope of the family
/// the request's path names (the plain envelope when no path can be read).
fn enveloped_rejection(status: StatusCode, request_start: &[u8]) -> Vec<u8> {
    let path = requested_path(request_start);
    let error = match status {
        StatusCode::URI_TOO_LONG => ApiError::of(codes::URI_TOO_LONG),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => ApiError::of(codes::HEADERS_TOO_LARGE),
        _ if !request_start.is_ascii() => {
            ApiError::detailed(codes::MALFORMED_REQUEST, ": the URL or a header holds a byte outside ASCII; percent-encode it")
        }
        _ => ApiError::of(codes::MALFORMED_REQUEST),
    };
    let path = path.unwrap_or_else(|| "/".to_owned());
    let family = Family::of_path(without_tenant_prefix(&path));
    let body = serde_json::to_vec(&error.envelope(family, &readable(path))).unwrap_or_default();
    let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT");
    let code: ErrorCode = error.code;
    let mut answer = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\ndate: {date}\r\n\r\n",
        code.status.as_u16(),
        code.status.canonical_reason().unwrap_or("Error"),
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(&body);
    answer
}

/// The path of the request line at the start of `head`, if one can be read: `METHOD SP target`,
/// the target's path without its query (an absolute-form target loses its scheme and host).
fn requested_path(head: &[u8]) -> Option<String> {
    let start = head.iter().position(|byte| !matches!(byte, b'\r' | b'\n'))?;
    let line = &head[start..];
    let line = &line[..line.iter().position(|byte| matches!(byte, b'\r' | b'\n')).unwrap_or(line.len())];
    let target_start = line.iter().position(|byte| *byte == b' ')? + 1;
    let target = &line[target_start..];
    let target = &target[..target.iter().position(|byte| matches!(byte, b' ' | b'?' | b'#')).unwrap_or(target.len())];
    let target = String::from_utf8_lossy(target).into_owned();
    let path = match target.split_once("://") {
        Some((_scheme, rest)) => rest.find('/').map_or_else(|| "/".to_owned(), |slash| rest[slash..].to_owned()),
        None => target,
    };
    path.starts_with('/').then_some(path)
}

/// `/t/{tenant}/rest` as `/rest`, so that the family is the one of the path after the prefix.
fn without_tenant_prefix(path: &str) -> &str {
    match path.strip_prefix("/t/").and_then(|rest| rest.find('/').map(|slash| &rest[slash..])) {
        Some(rest) => rest,
        None => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bodiless_heads_of_rejection_statuses_are_hyper_rejections() {
        let head = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: Sun, 29 Nov 2026 23:00:00 GMT\r\n\r\n";
        assert_eq!(hyper_rejection(head), Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE));
        let with_body = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(hyper_rejection(with_body), None);
        let json_head = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 20\r\n\r\n";
        assert_eq!(hyper_rejection(json_head), None);
        assert_eq!(hyper_rejection(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"), None);
    }

    #[test]
    fn the_path_is_read_from_the_start_of_the_request() {
        assert_eq!(requested_path(b"GET /v2/pointsLedger/x?a=1 HTTP/1.1\r\nhost: h\r\n").as_deref(), Some("/v2/pointsLedger/x"));
        assert_eq!(requested_path(b"\r\nGET http://h:1/v3/users/1 HTTP/1.1").as_deref(), Some("/v3/users/1"));
        assert_eq!(requested_path(b"GET /das/aaaaaaaaaa").as_deref(), Some("/das/aaaaaaaaaa"));
        assert_eq!(requested_path(b"GET"), None);
        assert_eq!(requested_path(b"\x16\x03\x01 junk"), None);
        assert_eq!(without_tenant_prefix("/t/acme/v2/x"), "/v2/x");
        assert_eq!(without_tenant_prefix("/t/acme"), "/t/acme");
    }
}
