//! The compute backends recforget runs on.

use serde::{Deserialize, Serialize};

/// A burn backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default, strum::IntoStaticStr)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
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
        self.into()
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
            #[cfg(feature = "wgpu")]
            Backend::Wgpu => Device::wgpu_options()
                .init()
                .map_err(|e| Error::Config(format!("no wgpu adapter could be initialised ({e:?}); use --backend flex"))),
            #[cfg(not(feature = "wgpu"))]
            Backend::Wgpu => {
                Err(Error::Config("this build has no wgpu backend (built without the `wgpu` feature); use --backend flex".into()))
            }
        }
    }
}

/// Where the work runs: the device, and how many CPU threads split it (one on a GPU, and in the
/// browser's single-thread build).
#[derive(Clone, Debug)]
pub struct RunContext<'a> {
    pub device: &'a burn::tensor::Device,
    pub threads: usize,
}

impl<'a> RunContext<'a> {
    /// Independent work split over the CPU cores when the device is the CPU.
    pub fn new(device: &'a burn::tensor::Device) -> RunContext<'a> {
        RunContext { device, threads: crate::parallel::threads_for(device) }
    }
}

/// A progress callback: natively it may be called from worker threads (`Send`), in the browser
/// anything.
#[cfg(not(target_family = "wasm"))]
pub trait OnProgress<T>: FnMut(T) + Send {}
#[cfg(not(target_family = "wasm"))]
impl<T, F: FnMut(T) + Send> OnProgress<T> for F {}
#[cfg(target_family = "wasm")]
pub trait OnProgress<T>: FnMut(T) {}
#[cfg(target_family = "wasm")]
impl<T, F: FnMut(T)> OnProgress<T> for F {}

/// A progress callback behind a reference, as the methods pass it on.
#[cfg(not(target_family = "wasm"))]
pub type Progress<'a, T> = dyn FnMut(T) + Send + 'a;
#[cfg(target_family = "wasm")]
pub type Progress<'a, T> = dyn FnMut(T) + 'a;

/// What worker threads may share (`Sync` where the build splits work over threads; anything in
/// the browser's single-thread build).
#[cfg(parallel)]
pub trait Shareable: Sync {}
#[cfg(parallel)]
impl<T: Sync + ?Sized> Shareable for T {}
#[cfg(not(parallel))]
pub trait Shareable {}
#[cfg(not(parallel))]
impl<T: ?Sized> Shareable for T {}

/// Seeds everything random on `device`: burn's sampler and the CPU dropout masks.
pub fn seed(device: &burn::tensor::Device, seed: u64) {
    device.seed(seed);
    crate::model::dropout::seed(seed);
}

/// The backend a page visitor asks for (`?backend=`): the page's choice, then the device.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, strum::EnumIter, strum::IntoStaticStr)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum PageBackend {
    /// WebGPU on a hardware adapter; the CPU when there is none or only a software emulation.
    #[default]
    Auto,
    /// WebGPU on whatever adapter the browser offers (an error without one).
    Webgpu,
    /// The CPU backend, on every core where the page is cross-origin isolated.
    Cpu,
}

/// The browser's WebGPU adapter, as its `GPUAdapterInfo` describes it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AdapterInfo {
    pub vendor: String,
    pub architecture: String,
    pub description: String,
    pub is_fallback_adapter: bool,
}

impl AdapterInfo {
    /// Its name as the page shows it.
    pub fn name(&self) -> String {
        let parts: Vec<&str> =
            [&self.vendor, &self.architecture, &self.description].into_iter().map(String::as_str).filter(|p| !p.is_empty()).collect();
        if parts.is_empty() { "unnamed adapter".into() } else { parts.join(" ") }
    }

    /// Whether it emulates a GPU in software (SwiftShader, llvmpipe: far slower than the CPU backend).
    pub fn software(&self) -> bool {
        let name = self.name().to_lowercase();
        self.is_fallback_adapter || ["swiftshader", "llvmpipe", "lavapipe", "software", "basic render"].iter().any(|s| name.contains(s))
    }
}

/// What the browser allows the CPU backend: its cores, whether the page is cross-origin isolated
/// (shared memory, so Web Workers can share the wasm's memory), and the threads the visitor asked
/// for (`?threads=`; none: every core).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CpuCores {
    pub cores: usize,
    pub isolated: bool,
    pub wanted: Option<usize>,
}

impl CpuCores {
    /// The CPU backend's threads here, and its label.
    fn threads(self) -> (usize, String) {
        let threads = if self.isolated { self.wanted.unwrap_or(self.cores).clamp(1, self.cores.max(1)) } else { 1 };
        let why = match () {
            _ if threads > 1 => return (threads, format!("CPU (wasm, {threads} threads)")),
            _ if self.wanted == Some(1) => "one thread, as asked",
            _ if !self.isolated && self.cores > 1 => {
                "one thread: this host does not send the cross-origin isolation headers (COOP and COEP) that threads need"
            }
            _ => "one thread",
        };
        (1, format!("CPU (wasm, {why})"))
    }
}

/// What the page runs on: `cpu` or `webgpu`, with how many threads, and the label that says why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackendChoice {
    pub kind: PageBackend,
    pub label: String,
    /// Whether the WebGPU adapter is a software emulation (tests assert what the page does on each).
    pub software: bool,
    /// The CPU backend's threads (the worker loads the threaded build when more than one); 1 on
    /// WebGPU.
    pub threads: usize,
}

/// The page's backend for `choice`, given the adapter the browser offers (none: no WebGPU) and
/// what it allows the CPU.
pub fn choose_backend(choice: PageBackend, adapter: Option<&AdapterInfo>, cpu: CpuCores) -> crate::Result<BackendChoice> {
    let (threads, label) = cpu.threads();
    let software = adapter.is_some_and(AdapterInfo::software);
    let cpu = |why: Option<String>| BackendChoice {
        kind: PageBackend::Cpu,
        label: why.map_or(label.clone(), |why| format!("{label} — {why}")),
        software,
        threads,
    };
    let webgpu = |a: &AdapterInfo| BackendChoice {
        kind: PageBackend::Webgpu,
        label: format!("WebGPU — {}{}", a.name(), if a.software() { " (software emulation)" } else { "" }),
        software: a.software(),
        threads: 1,
    };
    Ok(match (choice, adapter) {
        (PageBackend::Cpu, _) => cpu(None),
        (PageBackend::Webgpu, Some(a)) => webgpu(a),
        (PageBackend::Webgpu, None) => {
            return Err(crate::Error::Config("backend=webgpu: this browser offers no WebGPU adapter; use backend=cpu or auto.".into()));
        }
        (PageBackend::Auto, None) => cpu(Some("no WebGPU adapter in this browser".into())),
        (PageBackend::Auto, Some(a)) if a.software() => cpu(Some(format!(
            "the only WebGPU adapter, {}, is a software emulation, slower than the CPU (add ?backend=webgpu to the address to use it anyway)",
            a.name()
        ))),
        (PageBackend::Auto, Some(a)) => webgpu(a),
    })
}

/// How far a GPU's scores may lie from the CPU's on the same input, relative to the scores' scale
/// (at least 1): summing in another order moves float scores by about 1e-6 of it, a wrong kernel
/// by far more.
pub const PARITY_TOLERANCE: f32 = 1e-3;

/// A GPU session's scores of a fixed history beside a CPU session's: the page keeps the GPU only
/// when they agree.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Parity {
    /// The largest absolute difference between the two (infinite when the GPU's are not all
    /// finite numbers or not as many).
    pub max_difference: f32,
    /// Whether it is within [`PARITY_TOLERANCE`] of the scale.
    pub ok: bool,
}

impl Parity {
    pub fn of(gpu: &[f32], cpu: &[f32]) -> Parity {
        let comparable = gpu.len() == cpu.len() && gpu.iter().chain(cpu).all(|x| x.is_finite());
        let max_difference = if comparable { gpu.iter().zip(cpu).map(|(g, c)| (g - c).abs()).fold(0.0, f32::max) } else { f32::INFINITY };
        let scale = cpu.iter().map(|c| c.abs()).fold(1.0, f32::max);
        Parity { max_difference, ok: max_difference <= PARITY_TOLERANCE * scale }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parity_holds_within_the_tolerance_of_the_scale_and_never_for_nan() {
        assert!(Parity::of(&[1.0, -2.0], &[1.0005, -2.0]).ok);
        assert!(!Parity::of(&[1.0, -2.0], &[1.01, -2.0]).ok);
        // Scores of size 100 allow differences of 0.1.
        assert!(Parity::of(&[100.05, 3.0], &[100.0, 3.0]).ok);
        assert!(!Parity::of(&[f32::NAN, 3.0], &[1.0, 3.0]).ok);
        assert!(!Parity::of(&[1.0], &[1.0, 3.0]).ok);
        assert_eq!(Parity::of(&[1.0], &[1.5]).max_difference, 0.5);
    }

    #[test]
    fn auto_takes_a_hardware_gpu_and_leaves_a_software_one() {
        let swiftshader = AdapterInfo { vendor: "google".into(), architecture: "swiftshader".into(), ..Default::default() };
        let nvidia = AdapterInfo { vendor: "nvidia".into(), architecture: "hopper".into(), ..Default::default() };
        let one = CpuCores { cores: 1, ..Default::default() };
        let auto = |a| choose_backend(PageBackend::Auto, a, one).unwrap();
        assert_eq!(auto(Some(&nvidia)).kind, PageBackend::Webgpu);
        assert_eq!(auto(Some(&nvidia)).label, "WebGPU — nvidia hopper");
        assert_eq!(auto(Some(&swiftshader)).kind, PageBackend::Cpu);
        assert!(auto(Some(&swiftshader)).label.contains("google swiftshader, is a software emulation"));
        assert_eq!(auto(None).kind, PageBackend::Cpu);
        let forced = choose_backend(PageBackend::Webgpu, Some(&swiftshader), one).unwrap();
        assert_eq!((forced.kind, forced.label.as_str()), (PageBackend::Webgpu, "WebGPU — google swiftshader (software emulation)"));
        assert!(choose_backend(PageBackend::Webgpu, None, one).unwrap_err().to_string().contains("no WebGPU adapter"));
        let fallback = AdapterInfo { is_fallback_adapter: true, ..Default::default() };
        assert!(fallback.software() && fallback.name() == "unnamed adapter");
        assert_eq!(choose_backend(PageBackend::Cpu, Some(&nvidia), one).unwrap().label, "CPU (wasm, one thread)");
    }

    #[test]
    fn the_cpu_takes_every_core_only_where_the_page_is_isolated() {
        let cpu = |cores, isolated, wanted| choose_backend(PageBackend::Cpu, None, CpuCores { cores, isolated, wanted }).unwrap();
        let isolated = cpu(8, true, None);
        assert_eq!((isolated.threads, isolated.label.as_str()), (8, "CPU (wasm, 8 threads)"));
        assert_eq!(cpu(8, true, Some(3)).threads, 3);
        assert_eq!(cpu(8, true, Some(64)).threads, 8, "never more threads than cores");
        let asked = cpu(8, true, Some(1));
        assert_eq!((asked.threads, asked.label.as_str()), (1, "CPU (wasm, one thread, as asked)"));
        let not_isolated = cpu(8, false, None);
        assert_eq!(not_isolated.threads, 1);
        assert!(not_isolated.label.contains("cross-origin isolation headers (COOP and COEP)"), "{}", not_isolated.label);
        let auto = choose_backend(PageBackend::Auto, None, CpuCores { cores: 4, isolated: true, wanted: None }).unwrap();
        assert_eq!(auto.label, "CPU (wasm, 4 threads) — no WebGPU adapter in this browser");
        let nvidia = AdapterInfo { vendor: "nvidia".into(), ..Default::default() };
        assert_eq!(
            choose_backend(PageBackend::Auto, Some(&nvidia), CpuCores { cores: 4, isolated: true, wanted: None }).unwrap().threads,
            1
        );
    }
}
