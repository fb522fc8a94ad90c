//! Softmax and log-softmax over the last dimension, with a vectorised `exp` on the CPU.
//!
//! burn-flex takes `exp` from libm's scalar `expf`, in its fused softmax and in the decomposed one
//! autodiff records; and the attention's blocked scores (-1e9) send each of theirs down glibc's
//! slow underflow path. In the training and distill profiles that was `expf` 9% and
//! `__math_xflowf` 3%. On the CPU, [`softmax`] and [`log_softmax`] compute the value on the host,
//! row by row, with [`exp`] (Cephes' polynomial in plain arithmetic, so the loops vectorise), and
//! hand autodiff the exact Jacobian as a linear term in `d = x − x̄` (`x̄` = `x` without gradient,
//! so `d` is exactly zero and the value is exactly `ȳ`):
//!
//! ```text
//! softmax:      y = ȳ + ȳ ⊙ (d − Σ ȳ ⊙ d)        ȳ = softmax(x̄)
//! log-softmax:  y = ȳ + d − Σ p̄ ⊙ d              ȳ = log_softmax(x̄), p̄ = softmax(x̄)
//! ```
//!
//! A tracked input must be finite (blocked scores are -1e9, not −∞: `−∞ − −∞` is NaN); without a
//! graph −∞ is allowed and gives 0. On a GPU both are burn's.

use burn::tensor::activation;
use burn::tensor::{Device, Tensor, TensorData};

/// Below this `exp` is 0 (`e^-87.34` is the smallest normal f32).
const LOWEST: f32 = -87.336_55;
/// Above this `exp` is not computed (softmax's arguments are ≤ 0).
const HIGHEST: f32 = 88.0;

/// `eˣ` for `x ≤ 88`, within 2 ulp of the exact value; 0 below −87.34 (no subnormals) and for −∞.
/// Cephes' `expf`: `x = n ln 2 + r`, a degree-6 polynomial in `r`, `2ⁿ` built in the exponent
/// bits. Round-to-nearest by adding 1.5·2²³ and integer bit arithmetic keep it to plain adds and
/// multiplies (no `floor`, a libm call without SSE4.1), so loops over a slice vectorise.
pub fn exp(x: f32) -> f32 {
    const ROUND: f32 = 12_582_912.0; // 1.5 · 2²³
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let xc = x.clamp(LOWEST, HIGHEST);
    let t = xc * std::f32::consts::LOG2_E + ROUND;
    let n = t - ROUND; // round(x / ln 2), exactly an integer
    // The same integer, from the rounded sum's low bits (wrapping: no overflow check to branch on).
    let n_bits = (t.to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32);
    let r = xc - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_2e-4f32;
    p = p * r + 1.398_2e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let y = p * r * r + r + 1.0;
    let scale = f32::from_bits((n_bits.wrapping_add(127) << 23) as u32);
    if x < LOWEST { 0.0 } else { y * scale }
}

/// The largest value of a row (8 lanes, so it vectorises).
fn row_max(row: &[f32]) -> f32 {
    let mut lanes = [f32::NEG_INFINITY; 8];
    let chunks = row.chunks_exact(8);
    let tail = chunks.remainder();
    for chunk in chunks {
        for (m, &v) in lanes.iter_mut().zip(chunk) {
            *m = if v > *m { v } else { *m };
        }
    }
    tail.iter().chain(&lanes).fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m })
}

/// The sum of a row (8 lanes, so it vectorises).
fn row_sum(row: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let chunks = row.chunks_exact(8);
    let tail = chunks.remainder();
    for chunk in chunks {
        for (s, &v) in lanes.iter_mut().zip(chunk) {
            *s += v;
        }
    }
    tail.iter().sum::<f32>() + lanes.iter().sum::<f32>()
}

/// `e^(x − max)` of each value, in place; returns the max and the sum.
fn shifted_exp(row: &mut [f32]) -> (f32, f32) {
    let max = row_max(row);
    for v in row.iter_mut() {
        *v = exp(*v - max);
    }
    (max, row_sum(row))
}

/// The values of a CPU tensor and its last dimension's length.
fn rows_of<const D: usize>(x: &Tensor<D>) -> (Vec<f32>, usize) {
    let width = x.dims()[D - 1];
    (x.clone().inner().into_data().try_into_vec::<f32>().expect("float activations are f32"), width)
}

/// `softmax(x)` over the last dimension.
///
/// # Shapes
/// - `x`: any; returns the same shape
pub fn softmax<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let device = x.device();
    if device != Device::flex() {
        return activation::softmax(x, D - 1);
    }
    let (mut values, width) = rows_of(&x);
    for row in values.chunks_mut(width.max(1)) {
        let inv = 1.0 / shifted_exp(row).1;
        row.iter_mut().for_each(|v| *v *= inv);
    }
    let y = Tensor::<D>::from_data(TensorData::new(values, x.shape()), &device);
    if !x.is_tracked() {
        return y;
    }
    let d = x.clone() - x.detach();
    let s = (y.clone() * d.clone()).sum_dim(D - 1);
    y.clone() + y * (d - s)
}

/// `log_softmax(x)` over the last dimension.
///
/// # Shapes
/// - `x`: any; returns the same shape
pub fn log_softmax<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let device = x.device();
    if device != Device::flex() {
        return activation::log_softmax(x, D - 1);
    }
    let (values, width) = rows_of(&x);
    let mut log_p = values.clone();
    let mut p = values;
    for (lp, e) in log_p.chunks_mut(width.max(1)).zip(p.chunks_mut(width.max(1))) {
        let (max, sum) = shifted_exp(e);
        let log_sum = max + sum.ln();
        lp.iter_mut().for_each(|v| *v -= log_sum);
        let inv = 1.0 / sum;
        e.iter_mut().for_each(|v| *v *= inv);
    }
    let y = Tensor::<D>::from_data(TensorData::new(log_p, x.shape()), &device);
    if !x.is_tracked() {
        return y;
    }
    let p = Tensor::<D>::from_data(TensorData::new(p, x.shape()), &device);
    let d = x.clone() - x.detach();
    let s = (p * d.clone()).sum_dim(D - 1);
    y + (d - s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_within_two_ulp_and_zero_below_the_normals() {
        let mut worst = 0.0f64;
        for i in -873_000..=880_000 {
            let x = i as f32 * 1e-4;
            let exact = (x as f64).exp();
            worst = worst.max(((exp(x) as f64 - exact) / exact).abs());
        }
        assert!(worst < 2.5e-7, "max relative error {worst:e}");
        assert_eq!(exp(0.0), 1.0);
        for x in [-87.4, -100.0, -1.0e9, f32::NEG_INFINITY] {
            assert_eq!(exp(x), 0.0, "exp({x})");
        }
    }

    #[test]
    fn row_reductions_see_every_value() {
        let row: Vec<f32> = (0..19).map(|i| ((i * 7) % 19) as f32).collect();
        assert_eq!(row_max(&row), 18.0);
        assert_eq!(row_sum(&row), (0..19).sum::<i32>() as f32);
        assert_eq!(row_max(&[-3.0, -1.0, -2.0]), -1.0);
    }
}
