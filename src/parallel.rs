//! Splitting independent work across CPU cores natively (flex runs each operation on one core).

use crate::error::Result;

/// The number of threads to use: all available cores.
pub fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// Threads for independent work on `device`: every core for the CPU backend, one for a GPU
/// (which parallelises each operation itself).
pub fn threads_for(device: &burn::tensor::Device) -> usize {
    if *device == burn::tensor::Device::flex() { cores() } else { 1 }
}

/// Runs `f` on up to `threads` consecutive chunks of `items` in parallel and concatenates the
/// results in order. `f` gets the chunk and its offset in `items`.
pub fn map_chunks<T: Sync, R: Send>(items: &[T], threads: usize, f: impl Fn(&[T], usize) -> Result<Vec<R>> + Sync) -> Result<Vec<R>> {
    let per = items.len().div_ceil(threads.max(1)).max(1);
    if threads <= 1 || items.len() <= per {
        return f(items, 0);
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(per)
            .enumerate()
            .map(|(i, chunk)| {
                let f = &f;
                scope.spawn(move || f(chunk, i * per))
            })
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for handle in handles {
            out.extend(handle.join().expect("a worker thread panicked")?);
        }
        Ok(out)
    })
}
