//! Dropout with a cheap mask on the CPU.
//!
//! burn's [`Dropout::forward`] draws every element's Bernoulli through the backend's sampler and
//! then multiplies twice (by the mask, then by `1 / keep`). On the flex backend that was about a
//! seventh of a BERT4Rec training step: the attention weights alone take `batch · heads · len²`
//! draws per layer. On the CPU [`apply`] draws the mask on the host instead, 16 random bits per
//! element from SplitMix64, with the kept entries already `1 / keep`, and multiplies once. On a
//! GPU it leaves the mask to burn, which draws it on the device.
//!
//! The module stays burn's [`Dropout`] (its probability and its training flag, so `valid()` turns
//! it off and checkpoints keep their layout); only the forward differs.

use std::sync::atomic::{AtomicU64, Ordering};

use burn::nn::Dropout;
use burn::tensor::{Device, Tensor, TensorData};

/// The next mask's stream: every mask mixes a fresh value of this counter into its seed.
static STREAM: AtomicU64 = AtomicU64::new(0);

/// Seeds the CPU masks (as `Device::seed` seeds burn's). The parts of a data-parallel step draw
/// from streams of their own ([`with_streams`]), so thread timing never changes a mask.
pub fn seed(seed: u64) {
    STREAM.store(mix(seed ^ 0xD1B5_4A32_D192_ED03), Ordering::Relaxed);
}

std::thread_local! {
    /// This thread's own streams while it runs one part of a data-parallel step.
    static PART_STREAM: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

/// Takes the next stream from the shared counter.
pub fn next_stream() -> u64 {
    STREAM.fetch_add(1, Ordering::Relaxed)
}

/// Runs `f` (part `part` of the data-parallel step that took stream `step`) with masks drawn
/// from streams of that part alone, whatever the other threads draw meanwhile.
pub fn with_streams<T>(step: u64, part: usize, f: impl FnOnce() -> T) -> T {
    let previous = PART_STREAM.with(|s| s.replace(Some(mix(step ^ mix(part as u64 + 1)))));
    let out = f();
    PART_STREAM.with(|s| s.set(previous));
    out
}

/// The stream of the next mask: the part's own while a data-parallel part runs on this thread,
/// else the shared counter's.
fn mask_stream() -> u64 {
    PART_STREAM.with(|s| s.get().inspect(|stream| s.set(Some(stream.wrapping_add(0x9E37_79B9_7F4A_7C15))))).unwrap_or_else(next_stream)
}

/// SplitMix64's output function.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `len` mask values of stream `stream`: `1 / keep` with probability `keep` (to 1/65536),
/// else 0.
fn host_mask(stream: u64, len: usize, keep: f64) -> Vec<f32> {
    const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;
    let threshold = (keep * 65536.0).round() as u64; // keep a 16-bit draw below this
    let scale = (1.0 / keep) as f32;
    let mut state = mix(stream);
    let mut mask = Vec::with_capacity(len);
    while mask.len() < len {
        state = state.wrapping_add(GAMMA);
        let bits = mix(state);
        for lane in 0..4.min(len - mask.len()) {
            let draw = (bits >> (16 * lane)) & 0xFFFF;
            mask.push(if draw < threshold { scale } else { 0.0 });
        }
    }
    mask
}

/// `dropout` applied to `input`: nothing outside training (a `valid()` module, or an input that
/// tracks no gradients), else each entry kept with probability `1 - prob` and scaled by
/// `1 / (1 - prob)`.
///
/// # Shapes
/// - `input`: any; returns the same shape
pub fn apply<const D: usize>(dropout: &Dropout, input: Tensor<D>) -> Tensor<D> {
    let device = input.device();
    if !dropout.training.is_enabled() || !device.is_autodiff() || dropout.prob == 0.0 {
        return input;
    }
    if device != Device::flex() {
        return dropout.forward(input);
    }
    let shape = input.shape();
    let mask = host_mask(mask_stream(), shape.num_elements(), 1.0 - dropout.prob);
    let mask = Tensor::<D>::from_data(TensorData::new(mask, shape), &device);
    input * mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mask_keeps_the_right_share_scaled() {
        let mask = host_mask(3, 1_000_003, 0.9);
        let kept = mask.iter().filter(|&&v| v != 0.0).count() as f64 / mask.len() as f64;
        assert!((kept - 0.9).abs() < 0.002, "kept {kept}");
        assert!(mask.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.9).abs() < 1e-6));
        // Mean 1: the expected activation is unchanged.
        let mean = mask.iter().map(|&v| v as f64).sum::<f64>() / mask.len() as f64;
        assert!((mean - 1.0).abs() < 0.003, "mean {mean}");
    }

    #[test]
    fn a_stream_repeats_and_neighbouring_streams_differ() {
        let (a, b) = (host_mask(11, 4096, 0.5), host_mask(12, 4096, 0.5));
        assert_eq!(host_mask(11, 4096, 0.5), a);
        assert_ne!(a, b);
        assert_ne!(a[1..], b[..4095], "not the same sequence shifted");
    }
}
