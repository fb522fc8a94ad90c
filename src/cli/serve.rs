//! A minimal static file server for the demo page, bound to 127.0.0.1. It serves only the
//! page's own files (regular files inside the root: no link leads out), with a
//! Content-Security-Policy that allows nothing but this origin; request lines are bounded, idle
//! connections time out, at most 64 are served at once, and HEAD gives the real length.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// The folder to serve (the repository root).
    #[arg(long, default_value = ".")]
    pub(crate) root: PathBuf,
    #[arg(long, default_value_t = 8000)]
    pub(crate) port: u16,
}

/// Folders and files the page may load.
const ALLOWED: [&str; 7] = ["index.html", "sw.js", "www/", "pkg/", "checkpoints/", "data/web/", "results/"];

/// The policy sent with every response: same origin only, wasm compilation allowed.
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; \
connect-src 'self'; img-src 'self' data: blob:; style-src 'self'; object-src 'none'; base-uri 'none'; \
form-action 'none'; frame-ancestors 'none'";

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("md") => "text/markdown; charset=utf-8",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

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

/// Writes a response; `head` sends the headers alone, with the body's real length.
fn respond(stream: &mut TcpStream, status: &str, kind: &str, body: &[u8], head: bool) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nContent-Security-Policy: {CSP}\r\n\
         Cross-Origin-Opener-Policy: same-origin\r\nCross-Origin-Embedder-Policy: require-corp\r\n\
         X-Content-Type-Options: nosniff\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if head { Ok(()) } else { stream.write_all(body) }
}

/// The longest request line read; a longer one is refused.
const MAX_REQUEST_LINE: u64 = 8 * 1024;
/// How long a connection may stay silent.
const IDLE: std::time::Duration = std::time::Duration::from_secs(10);
/// Connections served at once; more are answered 503.
const MAX_CONNECTIONS: usize = 64;

fn handle(root: &Path, mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(IDLE))?;
    stream.set_write_timeout(Some(IDLE))?;
    let mut line = String::new();
    BufReader::new(std::io::Read::take(&stream, MAX_REQUEST_LINE)).read_line(&mut line)?;
    if !line.ends_with('\n') {
        respond(&mut stream, "414 URI Too Long", "text/plain", b"request line too long", false)?;
        // Read (a bounded amount of) what the client still sends, so that closing does not reset
        // the connection before it has read the answer.
        stream.shutdown(std::net::Shutdown::Write)?;
        return std::io::copy(&mut std::io::Read::take(&stream, 1 << 20), &mut std::io::sink()).map(|_| ());
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    if method != "GET" && method != "HEAD" {
        return respond(&mut stream, "405 Method Not Allowed", "text/plain", b"only GET", false);
    }
    let head = method == "HEAD";
    match resolve(root, target) {
        Some(file) => {
            let body = std::fs::read(&file)?;
            respond(&mut stream, "200 OK", content_type(&file), &body, head)
        }
        None => respond(&mut stream, "404 Not Found", "text/plain", b"not found", head),
    }
}

/// Serves `root` on 127.0.0.1:`port` until interrupted.
pub fn run(root: &Path, port: u16) -> Result<()> {
    let root = root.canonicalize().with_context(|| format!("cannot serve {}", root.display()))?;
    let listener = TcpListener::bind(("127.0.0.1", port)).with_context(|| format!("port {port} on 127.0.0.1 is taken: pass --port"))?;
    println!("serving {} at http://127.0.0.1:{port}/ (Ctrl-C stops)", root.display());
    let open = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        if open.load(std::sync::atomic::Ordering::SeqCst) >= MAX_CONNECTIONS {
            let _ = respond(&mut stream, "503 Service Unavailable", "text/plain", b"busy", false);
            continue;
        }
        open.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let (root, open) = (root.clone(), open.clone());
        std::thread::spawn(move || {
            let _ = handle(&root, stream);
            open.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        });
    }
    Ok(())
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
        assert!(resolve(root, "/..%2fCargo.toml").is_none());
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

    /// Sends `request` to a server on `root` and returns the response.
    fn exchange(root: &Path, request: &[u8]) -> String {
        use std::io::Read;
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let root = root.to_path_buf();
        let server = std::thread::spawn(move || handle(&root, listener.accept().unwrap().0));
        let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
        client.write_all(request).unwrap();
        client.shutdown(std::net::Shutdown::Write).unwrap();
        let mut response = String::new();
        client.read_to_string(&mut response).unwrap();
        let _ = server.join();
        response
    }

    #[test]
    fn head_gives_the_real_length_and_a_huge_request_line_is_refused() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("index.html"), "<p>twelve b</p>").unwrap();
        let head = exchange(root.path(), b"HEAD / HTTP/1.1\r\n\r\n");
        assert!(head.contains("Content-Length: 15\r\n") && head.ends_with("\r\n\r\n"), "{head}");
        let mut long = b"GET /".to_vec();
        long.extend(std::iter::repeat_n(b'a', 20_000));
        long.extend(b" HTTP/1.1\r\n\r\n");
        assert!(exchange(root.path(), &long).starts_with("HTTP/1.1 414"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config { cases: 64, failure_persistence: None, ..Default::default() })]

        /// Any request the server is sent gets a status line back, and a 200 only for a page file
        /// inside the root.
        #[test]
        fn any_request_gets_a_status_and_nothing_outside_the_page(
            method in proptest::sample::select(vec!["GET", "HEAD", "POST", "", "GET GET", "\u{0}"]),
            path in "(/|/www/|/pkg/|/\\.\\./|%2e|\\?|#|[a-z.]{0,8}){0,6}",
            tail in proptest::sample::select(vec![" HTTP/1.1\r\n\r\n", "\r\n\r\n", "", " HTTP/1.1\r\nHost: x\r\n", "\n\n"]),
        ) {
            let root = tempfile::tempdir().unwrap();
            std::fs::create_dir_all(root.path().join("www")).unwrap();
            std::fs::write(root.path().join("www/main.js"), "ok").unwrap();
            std::fs::write(root.path().join("secret.txt"), "secret").unwrap();
            let response = exchange(root.path(), format!("{method} {path}{tail}").as_bytes());
            proptest::prop_assert!(response.is_empty() || response.starts_with("HTTP/1.1 "), "{response}");
            proptest::prop_assert!(!response.contains("secret"), "{response}");
            if let Some(file) = resolve(root.path(), &path) {
                proptest::prop_assert!(file.starts_with(root.path().canonicalize().unwrap()));
            }
        }
    }
}
