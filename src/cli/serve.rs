//! A minimal static file server for the demo page, bound to 127.0.0.1. It serves only the
//! page's own files, with a Content-Security-Policy that allows nothing but this origin.

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
const ALLOWED: [&str; 6] = ["index.html", "www/", "pkg/", "checkpoints/", "data/web/", "results/"];

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
    let full = root.join(relative);
    full.is_file().then_some(full)
}

fn respond(stream: &mut TcpStream, status: &str, kind: &str, body: &[u8]) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nContent-Security-Policy: {CSP}\r\n\
         Cross-Origin-Opener-Policy: same-origin\r\nCross-Origin-Embedder-Policy: require-corp\r\n\
         X-Content-Type-Options: nosniff\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body)
}

fn handle(root: &Path, mut stream: TcpStream) -> std::io::Result<()> {
    let mut line = String::new();
    BufReader::new(&stream).read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    if method != "GET" && method != "HEAD" {
        return respond(&mut stream, "405 Method Not Allowed", "text/plain", b"only GET");
    }
    match resolve(root, target) {
        Some(file) => {
            let body = std::fs::read(&file)?;
            let body = if method == "HEAD" { &[][..] } else { &body[..] };
            respond(&mut stream, "200 OK", content_type(&file), body)
        }
        None => respond(&mut stream, "404 Not Found", "text/plain", b"not found"),
    }
}

/// Serves `root` on 127.0.0.1:`port` until interrupted.
pub fn run(root: &Path, port: u16) -> Result<()> {
    let root = root.canonicalize().with_context(|| format!("cannot serve {}", root.display()))?;
    let listener = TcpListener::bind(("127.0.0.1", port)).with_context(|| format!("port {port} on 127.0.0.1 is taken: pass --port"))?;
    println!("serving {} at http://127.0.0.1:{port}/ (Ctrl-C stops)", root.display());
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let root = root.clone();
        std::thread::spawn(move || {
            let _ = handle(&root, stream);
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
}
