//! What every training step shares, for training from scratch and for distillation alike:
//! fresh autodiff leaves per thread, picking the parameters that move, and a data-parallel step
//! whose update does not depend on the number of threads.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::Tensor;

/// Makes every parameter a fresh autodiff leaf with the same parameter id. Each thread of a
/// data-parallel step differentiates its own leaves (same ids, so the optimizer still sums the
/// gradients per parameter): burn's autodiff graph must not share nodes between concurrent
/// backward passes.
pub struct FreshLeaves;

impl ModuleMapper for FreshLeaves {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        param.map(|t| t.detach().require_grad())
    }
}

/// The ids of a module's float parameters.
#[derive(Default)]
pub struct ParamIds(pub Vec<ParamId>);

impl ModuleVisitor for ParamIds {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0.push(param.id);
    }
}

/// The ids of `module`'s float parameters.
pub fn param_ids<M: Module>(module: &M) -> Vec<ParamId> {
    let mut ids = ParamIds::default();
    module.visit(&mut ids);
    ids.0
}

/// Whether every float parameter of `module` is finite: one reduction and one read per
/// parameter (blocking, so native only).
#[cfg(not(target_family = "wasm"))]
pub fn all_finite<M: Module>(module: &M) -> bool {
    struct Finite(bool);
    impl ModuleVisitor for Finite {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if self.0 {
                let sum: f32 = param.val().abs().sum().into_scalar();
                self.0 = sum.is_finite();
            }
        }
    }
    let mut finite = Finite(true);
    module.visit(&mut finite);
    finite.0
}

/// Runs `work` on each part on fresh leaves of `model`, on up to `threads` threads (one after
/// the other with one thread, or in a build without threads), and returns the summed loss and
/// each part's gradients, ready for `ModuleOptimizer::step_multi`, or the first part's error.
pub fn parallel_gradients<M, P, F>(
    model: &M,
    parts: &[P],
    threads: usize,
    device: &burn::tensor::Device,
    work: F,
) -> crate::error::Result<(f32, burn::optim::MultiGradientsParams)>
where
    M: Module + crate::backend::Shareable,
    P: crate::backend::Shareable,
    F: Fn(M, &P) -> crate::error::Result<(f32, burn::optim::GradientsParams)> + crate::backend::Shareable,
{
    // Each part draws its dropout masks from its own streams, so the step depends neither on
    // which thread asks first nor on how many threads there are: the same seed gives the same
    // model on any run and any machine.
    let step = crate::model::dropout::next_stream();
    let run =
        |(index, part): (usize, &P)| crate::model::dropout::with_streams(step, index, || work(model.clone().map(&mut FreshLeaves), part));
    let one_by_one = || parts.iter().enumerate().map(run).collect::<crate::error::Result<Vec<_>>>();
    #[cfg(parallel)]
    let results = if threads > 1 && parts.len() > 1 {
        use rayon::prelude::*;
        parts.par_iter().enumerate().map(run).collect::<crate::error::Result<Vec<_>>>()
    } else {
        one_by_one()
    }?;
    #[cfg(not(parallel))]
    let results = {
        let _ = threads;
        one_by_one()?
    };
    let loss = results.iter().map(|(v, _)| v).sum();
    let grads = burn::optim::MultiGradientsParams { grads: results.into_iter().map(|(_, g)| (g, device.clone())).collect() };
    Ok((loss, grads))
}
