//! Reading tensors back to the host. The browser's WebGPU can only read asynchronously, so the
//! library's read points are async; native callers block on them with [`block_on`].

use burn::tensor::Tensor;

use crate::error::{Error, Result};

/// Reads a float tensor's values, row-major.
pub async fn read_f32<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>> {
    let data = tensor.into_data_async().await.map_err(|e| Error::Tensor(format!("{e:?}")))?;
    data.try_to_vec::<f32>().map_err(|e| Error::Tensor(format!("{e:?}")))
}

/// Runs an async library call to completion: natively on the calling thread; in the browser
/// only a call on the CPU, where every read is ready at once.
pub fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    burn::tensor::read_sync(future)
}

/// The one way native code waits for the library's async calls: `measure(..).wait()`. Every
/// long-running call is written once, async (the browser can only read tensors back
/// asynchronously); natively it is driven to completion on the calling thread.
#[cfg(not(target_family = "wasm"))]
pub trait Wait: std::future::Future + Sized {
    fn wait(self) -> Self::Output {
        block_on(self)
    }
}

#[cfg(not(target_family = "wasm"))]
impl<F: std::future::Future> Wait for F {}
