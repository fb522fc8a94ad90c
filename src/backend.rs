//! The compute backends recforget runs on.

use serde::{Deserialize, Serialize};

/// A burn backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Backend {
    /// burn's pure-Rust CPU backend.
    #[default]
    Flex,
    /// WebGPU/Vulkan through wgpu (a GPU, or lavapipe on a CPU-only machine).
    Wgpu,
}

impl Backend {
    /// The backend's name.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Flex => "flex",
            Backend::Wgpu => "wgpu",
        }
    }

    /// The backend a device belongs to.
    pub fn of(device: &burn::tensor::Device) -> Backend {
        if *device == burn::tensor::Device::flex() { Backend::Flex } else { Backend::Wgpu }
    }

    /// Initialises a device (natively; the browser uses `init_async`).
    #[cfg(not(target_family = "wasm"))]
    pub fn device(self) -> crate::Result<burn::tensor::Device> {
        use crate::Error;
        use burn::tensor::Device;
        match self {
            Backend::Flex => Ok(Device::flex()),
            Backend::Wgpu => Device::wgpu_options()
                .init()
                .map_err(|e| Error::Config(format!("no wgpu adapter could be initialised ({e:?}); use --backend flex"))),
        }
    }
}

/// Seeds everything random on `device`: burn's sampler and the CPU dropout masks.
pub fn seed(device: &burn::tensor::Device, seed: u64) {
    device.seed(seed);
    crate::model::dropout::seed(seed);
}
