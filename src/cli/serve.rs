//! The demo page's server, bound to 127.0.0.1: axum on tokio, each file served by tower-http's
//! `ServeFile` (its type, HEAD, conditional and range requests). Which files is decided here:
//! only the page's own (regular files inside the root: no link leads out). Every response
//! carries a Content-Security-Policy that allows nothing but this origin and the cross-origin
//! isolation headers; a request that takes longer than 10 s is cut off, and at most 64 are
//! served at once.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use clap::Args;
use tower::ServiceExt;
use tower_http::services::ServeFile;
use tower_http::set_header::SetResponseHeaderLayer;

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// The folder to serve (the repository root).
    #[arg(long, default_value = ".")]
    pub(crate) root: PathBuf,
    #[arg(long, default_value_t = 8000)]
    pub(crate) port: u16,
}

/// Folders and files the page may load.
const ALLOWED: [&str; 8] = ["index.html", "sw.js", "www/", "pkg/", "pkg-threads/", "checkpoints/", "data/web/", "results/"];

/// The policy sent with every response: same origin only, wasm compilation allowed.
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; \
connect-src 'self'; img-src 'self' data: blob:; style-src 'self'; object-src 'none'; base-uri 'none'; \
form-action 'none'; frame-ancestors 'none'";

/// Maps a request path to a file under `root`, or `None` if it is not one of the page's files.
pub fn resolve(root: &Path, request_path: &str) -> Option<PathBuf> {
    let path = request_path.split(['?', '#']).next().unwrap_or("/");
    let path = path.trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    let relative = Path::new(path);
    if relative.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    if !ALLOWED.iter().any(|a| path == *a || (a.ends_with('/') && path.starts_with(a))) {
        return None;
    }
    // A regular file inside the root: no link leads out of it.
    let full = root.join(relative).canonicalize().ok()?;
    (full.starts_with(root.canonicalize().ok()?) && full.is_file()).then_some(full)
}

/// Headers sent with every response: the policy, cross-origin isolation (the page's own files
/// only), no sniffing, and revalidation (a rebuilt page is never served stale).
const HEADERS: [(HeaderName, &str); 5] = [
    (header::CONTENT_SECURITY_POLICY, CSP),
    (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
    (HeaderName::from_static("cross-origin-embedder-policy"), "require-corp"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::CACHE_CONTROL, "no-cache"),
];
/// How long a request may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Requests served at once; more wait.
const MAX_CONCURRENT: usize = 64;

/// One request: the page's file it names (percent-decoded), served by `ServeFile`, or 404.
async fn page_file(State(root): State<Arc<PathBuf>>, request: Request) -> Response {
    let path = percent_encoding::percent_decode_str(request.uri().path()).decode_utf8_lossy().into_owned();
    match resolve(&root, &path) {
        Some(file) => match ServeFile::new(file).oneshot(request).await {
            Ok(response) => response.into_response(),
            Err(never) => match never {},
        },
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// The server's routes and layers for the page under `root` (canonical).
pub fn router(root: PathBuf) -> Router {
    let mut router = Router::new().fallback(page_file).with_state(Arc::new(root));
    for (name, value) in HEADERS {
        router = router.layer(SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value)));
    }
    router
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, TIMEOUT))
        .layer(tower::limit::ConcurrencyLimitLayer::new(MAX_CONCURRENT))
}

/// Serves `root` on 127.0.0.1:`port` until interrupted.
pub fn run(root: &Path, port: u16) -> Result<()> {
    let root = root.canonicalize().with_context(|| format!("cannot serve {}", root.display()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .with_context(|| format!("port {port} on 127.0.0.1 is taken: pass --port"))?;
        println!("serving {} at http://127.0.0.1:{port}/ (Ctrl-C stops)", root.display());
        axum::serve(listener, router(root)).await.context("the server stopped")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_only_the_page_files() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert!(resolve(root, "/Cargo.toml").is_none());
        assert!(resolve(root, "/www/../Cargo.toml").is_none());
        assert!(resolve(root, "/src/main.rs").is_none());
        assert!(resolve(root, "/../Cargo.toml").is_none());
    }

    #[test]
    fn no_link_leads_out_of_the_root() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "secret").unwrap();
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("www")).unwrap();
        std::fs::write(root.path().join("www/main.js"), "ok").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), root.path().join("www/secret.js")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("pkg")).unwrap();
        assert!(resolve(root.path(), "/www/main.js").is_some());
        assert!(resolve(root.path(), "/www/secret.js").is_none());
        assert!(resolve(root.path(), "/pkg/secret").is_none());
    }

    /// A page root with a page file and a file outside the page.
    fn page_root() -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("www")).unwrap();
        std::fs::create_dir_all(root.path().join("pkg")).unwrap();
        std::fs::write(root.path().join("index.html"), "<p>twelve b</p>").unwrap();
        std::fs::write(root.path().join("www/main.js"), "ok").unwrap();
        std::fs::write(root.path().join("pkg/recforget_bg.wasm"), b"\0asm").unwrap();
        std::fs::write(root.path().join("secret.txt"), "secret").unwrap();
        root
    }

    /// Serves `root` on a free port in the background; returns the port.
    fn serve(root: &Path) -> u16 {
        let std_listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = std_listener.local_addr().unwrap().port();
        std_listener.set_nonblocking(true).unwrap();
        let root = root.canonicalize().unwrap();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
            runtime.block_on(async {
                let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
                axum::serve(listener, router(root)).await.unwrap();
            });
        });
        port
    }

    /// Sends raw `request` bytes and returns what comes back until the server closes the
    /// connection, or nothing more comes for a second (an unfinished request is waited on).
    fn exchange(port: u16, request: &[u8]) -> String {
        use std::io::{Read, Write};
        let mut client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        client.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
        let _ = client.write_all(request);
        let mut response = Vec::new();
        let _ = client.read_to_end(&mut response);
        String::from_utf8_lossy(&response).into_owned()
    }

    #[test]
    fn the_page_is_served_with_its_headers_and_types() {
        let root = page_root();
        let port = serve(root.path());
        let page = exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert!(page.starts_with("HTTP/1.1 200"), "{page}");
        for (name, value) in HEADERS {
            assert!(page.to_lowercase().contains(&format!("{}: {}", name.as_str(), value.to_lowercase())), "{name} missing: {page}");
        }
        assert!(page.contains("text/html") && page.ends_with("<p>twelve b</p>"), "{page}");
        let wasm = exchange(port, b"GET /pkg/recforget_bg.wasm HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert!(wasm.contains("content-type: application/wasm"), "{wasm}");
        let head = exchange(port, b"HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert!(head.contains("content-length: 15\r\n") && head.ends_with("\r\n\r\n"), "{head}");
        let encoded = exchange(port, b"GET /www/main%2ejs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert!(encoded.starts_with("HTTP/1.1 200") && encoded.ends_with("ok"), "{encoded}");
        let post = exchange(port, b"POST /www/main.js HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        assert!(post.starts_with("HTTP/1.1 405"), "{post}");
        let mut long = b"GET /".to_vec();
        long.extend(std::iter::repeat_n(b'a', 20_000));
        long.extend(b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert!(exchange(port, &long).starts_with("HTTP/1.1 4"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config { cases: 24, failure_persistence: None, ..Default::default() })]

        /// Any request the server is sent gets a status line back or nothing, and never a file
        /// outside the page.
        #[test]
        fn any_request_gets_a_status_and_nothing_outside_the_page(
            method in proptest::sample::select(vec!["GET", "HEAD", "POST", "", "GET GET", "\u{0}"]),
            path in "(/|/www/|/pkg/|/\\.\\./|%2e|%2f|\\?|#|[a-z.]{0,8}){0,6}",
            tail in proptest::sample::select(vec![" HTTP/1.1\r\nConnection: close\r\n\r\n", "\r\n\r\n", "", " HTTP/1.1\r\nHost: x\r\n", "\n\n"]),
        ) {
            static SERVER: std::sync::OnceLock<(tempfile::TempDir, u16)> = std::sync::OnceLock::new();
            let (root, port) = SERVER.get_or_init(|| {
                let root = page_root();
                let port = serve(root.path());
                (root, port)
            });
            let response = exchange(*port, format!("{method} {path}{tail}").as_bytes());
            proptest::prop_assert!(response.is_empty() || response.starts_with("HTTP/1.1 "), "{response}");
            proptest::prop_assert!(!response.contains("secret"), "{response}");
            if let Some(file) = resolve(root.path(), &path) {
                proptest::prop_assert!(file.starts_with(root.path().canonicalize().unwrap()));
            }
        }
    }
}
