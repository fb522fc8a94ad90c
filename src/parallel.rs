//! Splitting independent work across CPU cores (flex runs each operation on one core): rayon's
//! pool natively, and in the browser's threaded build the same pool on Web Workers.

#[cfg(parallel)]
use crate::error::Result;

/// The number of threads to use: rayon's pool (every core natively; in the browser the workers
/// the page started, one without the threaded build).
pub fn cores() -> usize {
    #[cfg(parallel)]
    return rayon::current_num_threads();
    #[cfg(not(parallel))]
    1
}

/// Threads for independent work on `device`: every core for the CPU backend, one for a GPU
/// (which parallelises each operation itself).
pub fn threads_for(device: &burn::tensor::Device) -> usize {
    if *device == burn::tensor::Device::flex() { cores() } else { 1 }
}

/// Runs `f` on up to `threads` consecutive chunks of `items` in parallel and concatenates the
/// results in order. `f` gets the chunk and its offset in `items`.
#[cfg(parallel)]
pub fn map_chunks<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&[T], usize) -> Result<Vec<R>> + Sync + Send,
) -> Result<Vec<R>> {
    use rayon::prelude::*;
    let per = items.len().div_ceil(threads.max(1)).max(1);
    if threads <= 1 || items.len() <= per {
        return f(items, 0);
    }
    let parts: Vec<Result<Vec<R>>> = items.par_chunks(per).enumerate().map(|(i, chunk)| f(chunk, i * per)).collect();
    let mut out = Vec::with_capacity(items.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}
