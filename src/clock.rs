//! Wall-clock seconds that work natively and in the browser (where `Instant` panics).

/// Seconds since an arbitrary origin.
pub fn now_seconds() -> f64 {
    #[cfg(target_family = "wasm")]
    {
        js_sys::Date::now() / 1000.0
    }
    #[cfg(not(target_family = "wasm"))]
    {
        use std::sync::OnceLock;
        use std::time::Instant;
        static ORIGIN: OnceLock<Instant> = OnceLock::new();
        ORIGIN.get_or_init(Instant::now).elapsed().as_secs_f64()
    }
}
