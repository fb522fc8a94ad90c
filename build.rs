//! `cfg(parallel)`: independent CPU work may be split over threads. Natively always; in the
//! browser only in the threaded build (`--features threads`: shared memory and atomics, with a
//! Web Worker per thread behind rayon's pool).
fn main() {
    println!("cargo::rustc-check-cfg=cfg(parallel)");
    let wasm = std::env::var("CARGO_CFG_TARGET_FAMILY").is_ok_and(|family| family.split(',').any(|f| f == "wasm"));
    if !wasm || std::env::var_os("CARGO_FEATURE_THREADS").is_some() {
        println!("cargo::rustc-cfg=parallel");
    }
}
