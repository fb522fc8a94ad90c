//! GELU, `x · Φ(x)`, with a fast `erf` on the CPU.
//!
//! burn-flex evaluates `erf` with libm's scalar `erff`, once in the forward and again in the
//! backward; in a BERT4Rec forward that was about a sixth of the time (the FFN applies GELU to
//! `batch · len · d_ff` activations per layer). On the CPU [`apply`] computes GELU and its
//! derivative on the host in one pass with Eigen's rational `erf` (no `exp`; within 1e-6 of
//! libm's, see the tests; the density's `exp` is [`super::softmax::exp`]) and hands autodiff the
//! exact derivative:
//!
//! ```text
//! y = gelu(x̄) + (x − x̄) · gelu'(x̄)      x̄ = x without gradient
//! ```
//!
//! whose value is `gelu(x)` (to a rounding) and whose gradient is `gelu'(x)`. Without a graph
//! it only computes `gelu(x)`. On a GPU it is burn's `gelu`.

use burn::tensor::activation::gelu;
use burn::tensor::{Device, Tensor, TensorData};

use super::softmax::exp;

/// Eigen's `generic_fast_erf_float`: an odd rational approximation on [−4, 4], ±1 beyond.
/// Plain multiplies and adds (`mul_add` is a libm call without FMA at compile time), so the
/// loops over a tensor vectorise.
pub fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = x2 * -2.726_142_3e-10 + 2.770_681_4e-8;
    p = x2 * p - 2.101_024e-6;
    p = x2 * p - 5.692_506_4e-5;
    p = x2 * p - 7.349_906_3e-4;
    p = x2 * p - 2.954_6e-3;
    p = x2 * p - 1.609_603_3e-2;
    let mut q = x2 * -1.456_607_2e-5 - 2.133_740_6e-4;
    q = x2 * q - 1.682_827e-3;
    q = x2 * q - 7.373_329e-3;
    q = x2 * q - 1.426_474e-2;
    x * p / q
}

/// `gelu(x)` and `gelu'(x) = Φ(x) + x · φ(x)`.
fn gelu_and_slope(x: f32) -> (f32, f32) {
    const INV_SQRT_2: f32 = std::f32::consts::FRAC_1_SQRT_2;
    const INV_SQRT_2PI: f32 = 0.398_942_3;
    let cdf = 0.5 * (1.0 + erf(x * INV_SQRT_2));
    let pdf = INV_SQRT_2PI * exp(-0.5 * x * x);
    (x * cdf, cdf + x * pdf)
}

/// `gelu(x) = x · Φ(x)`, elementwise.
///
/// # Shapes
/// - `x`: any; returns the same shape
pub fn apply<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let device = x.device();
    if device != Device::flex() {
        return gelu(x);
    }
    let shape = x.shape();
    let mut values = x.clone().into_data().try_into_vec::<f32>().expect("float activations are f32");
    if !x.is_tracked() {
        for v in &mut values {
            *v *= 0.5 * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
        }
        return Tensor::from_data(TensorData::new(values, shape), &device);
    }
    // y = gelu(x̄) + (x − x̄)·gelu'(x̄), written as x·gelu'(x̄) + (gelu(x̄) − x̄·gelu'(x̄)).
    let (offset, slope): (Vec<f32>, Vec<f32>) = values
        .iter()
        .map(|&v| {
            let (y, slope) = gelu_and_slope(v);
            (y - v * slope, slope)
        })
        .unzip();
    let offset = Tensor::<D>::from_data(TensorData::new(offset, shape.clone()), &device);
    let slope = Tensor::<D>::from_data(TensorData::new(slope, shape), &device);
    x * slope + offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_is_within_a_millionth_of_libm() {
        let worst = (-60_000..=60_000).map(|i| i as f32 * 1e-4).map(|x| (erf(x) as f64 - libm::erf(x as f64)).abs()).fold(0.0f64, f64::max);
        assert!(worst < 1e-6, "max |erf − libm| = {worst:e}");
        assert!((erf(9.0) - 1.0).abs() < 1e-6 && (erf(-9.0) + 1.0).abs() < 1e-6);
    }

    #[test]
    fn the_slope_is_the_derivative() {
        for i in -80..=80 {
            let x = i as f32 * 0.05;
            let h = 1e-3f64;
            let f = |v: f64| v * 0.5 * (1.0 + libm::erf(v / std::f64::consts::SQRT_2));
            let numeric = (f(x as f64 + h) - f(x as f64 - h)) / (2.0 * h);
            let (y, slope) = gelu_and_slope(x);
            assert!((y as f64 - f(x as f64)).abs() < 1e-6, "gelu({x})");
            assert!((slope as f64 - numeric).abs() < 1e-5, "gelu'({x}): {slope} vs {numeric}");
        }
    }
}
