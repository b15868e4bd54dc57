//! MNIST in the IDX format (LeCun et al.), gzip-compressed or not.
//!
//! IDX (big-endian): images = magic 2051, count, rows, cols, then
//! count·rows·cols bytes row-major; labels = magic 2049, count, then count bytes.
//! The loader checks magic numbers, counts, sizes and label values, and says
//! which file is wrong and how.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Magic number of an IDX file of unsigned bytes with 3 dimensions (images).
pub const IMAGES_MAGIC: u32 = 2051;
/// Magic number of an IDX file of unsigned bytes with 1 dimension (labels).
pub const LABELS_MAGIC: u32 = 2049;

/// Which half of MNIST.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// 60,000 training examples.
    Train,
    /// 10,000 test examples.
    Test,
}

impl Split {
    fn stem(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "t10k",
        }
    }
}

/// Images and labels of one split.
#[derive(Clone, Debug)]
pub struct Mnist {
    /// Pixel intensities 0-255, image after image, `rows · cols` bytes each.
    pub pixels: Vec<u8>,
    /// Digit labels 0-9.
    pub labels: Vec<u8>,
    /// Image height.
    pub rows: usize,
    /// Image width.
    pub cols: usize,
}

impl Mnist {
    /// Number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Pixels of example `k`.
    pub fn image(&self, k: usize) -> &[u8] {
        let n = self.rows * self.cols;
        &self.pixels[k * n..(k + 1) * n]
    }

    /// The first `n` examples (all when `n` exceeds the count).
    pub fn truncated(mut self, n: usize) -> Self {
        let n = n.min(self.len());
        self.labels.truncate(n);
        self.pixels.truncate(n * self.rows * self.cols);
        self
    }
}

/// The directory bundled with the project (`data/mnist`).
pub fn bundled_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist")
}

/// `<dir>/<stem>-<kind>-idx<d>-ubyte.gz` if present, else the uncompressed name.
fn find(dir: &Path, split: Split, kind: &str, dims: u8) -> Result<PathBuf> {
    let base = format!("{}-{kind}-idx{dims}-ubyte", split.stem());
    for name in [format!("{base}.gz"), base.clone()] {
        let p = dir.join(&name);
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(Error::file(
        dir.join(&base),
        "not found (neither .gz nor uncompressed)",
    ))
}

/// Reads a whole file, gunzipping it when it starts with the gzip magic bytes.
fn read_maybe_gz(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| Error::file(path, format!("corrupt or truncated gzip data: {e}")))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

fn be_u32(bytes: &[u8], at: usize, path: &Path) -> Result<u32> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| {
            Error::file(
                path,
                format!("truncated IDX header ({} bytes)", bytes.len()),
            )
        })
}

/// Parses an IDX image file's bytes: `(count, rows, cols, pixels)`.
pub fn parse_images(bytes: &[u8], path: &Path) -> Result<(usize, usize, usize, Vec<u8>)> {
    let magic = be_u32(bytes, 0, path)?;
    if magic != IMAGES_MAGIC {
        return Err(Error::file(
            path,
            format!("magic number {magic}, expected {IMAGES_MAGIC} (IDX images)"),
        ));
    }
    let n = be_u32(bytes, 4, path)? as usize;
    let rows = be_u32(bytes, 8, path)? as usize;
    let cols = be_u32(bytes, 12, path)? as usize;
    let want = 16 + n * rows * cols;
    if bytes.len() != want {
        return Err(Error::file(
            path,
            format!(
                "{} bytes, expected {want} for {n} images of {rows}x{cols} (truncated or wrong file)",
                bytes.len()
            ),
        ));
    }
    Ok((n, rows, cols, bytes[16..].to_vec()))
}

/// Parses an IDX label file's bytes.
pub fn parse_labels(bytes: &[u8], path: &Path) -> Result<Vec<u8>> {
    let magic = be_u32(bytes, 0, path)?;
    if magic != LABELS_MAGIC {
        return Err(Error::file(
            path,
            format!("magic number {magic}, expected {LABELS_MAGIC} (IDX labels)"),
        ));
    }
    let n = be_u32(bytes, 4, path)? as usize;
    if bytes.len() != 8 + n {
        return Err(Error::file(
            path,
            format!(
                "{} bytes, expected {} for {n} labels (truncated or wrong file)",
                bytes.len(),
                8 + n
            ),
        ));
    }
    let labels = bytes[8..].to_vec();
    if let Some((k, &l)) = labels.iter().enumerate().find(|(_, l)| **l > 9) {
        return Err(Error::file(
            path,
            format!("label {l} at index {k}: expected a digit 0-9"),
        ));
    }
    Ok(labels)
}

/// Loads one split from `dir` and checks that its images are `rows × cols`;
/// an error names the image file and the size it holds.
pub fn load_sized(dir: &Path, split: Split, rows: usize, cols: usize) -> Result<Mnist> {
    let m = load(dir, split)?;
    if (m.rows, m.cols) != (rows, cols) {
        let ip = find(dir, split, "images", 3)?;
        return Err(Error::file(
            &ip,
            format!("images are {}x{}, expected {rows}x{cols}", m.rows, m.cols),
        ));
    }
    Ok(m)
}

/// Loads one split from `dir` (files named as distributed, gzip or not).
pub fn load(dir: &Path, split: Split) -> Result<Mnist> {
    let ip = find(dir, split, "images", 3)?;
    let lp = find(dir, split, "labels", 1)?;
    let (n, rows, cols, pixels) = parse_images(&read_maybe_gz(&ip)?, &ip)?;
    let labels = parse_labels(&read_maybe_gz(&lp)?, &lp)?;
    if labels.len() != n {
        return Err(Error::file(
            &lp,
            format!(
                "{} labels but {} holds {n} images",
                labels.len(),
                ip.display()
            ),
        ));
    }
    Ok(Mnist {
        pixels,
        labels,
        rows,
        cols,
    })
}
