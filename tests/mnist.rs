//! The MNIST loader: the bundled data loads with the documented counts and
//! checksum-consistent content; wrong or truncated files give clear errors.

use std::io::Write;
use std::path::Path;

use stdp_harness::data::mnist::{Split, bundled_dir, load};

#[test]
fn bundled_mnist_loads_with_its_documented_counts() {
    let train = load(&bundled_dir(), Split::Train).unwrap();
    let test = load(&bundled_dir(), Split::Test).unwrap();
    assert_eq!((train.len(), train.rows, train.cols), (60_000, 28, 28));
    assert_eq!(test.len(), 10_000);
    // The well-known first labels of each split.
    assert_eq!(&train.labels[..5], &[5, 0, 4, 1, 9]);
    assert_eq!(&test.labels[..5], &[7, 2, 1, 0, 4]);
    // Every digit occurs, pixels are not all dark.
    for d in 0..10u8 {
        assert!(train.labels.contains(&d));
    }
    assert!(train.image(0).iter().filter(|&&p| p > 0).count() > 100);
}

fn write_gz(path: &Path, bytes: &[u8]) {
    let f = std::fs::File::create(path).unwrap();
    let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap();
}

fn idx_images(n: u32, rows: u32, cols: u32, body: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for x in [2051u32, n, rows, cols] {
        v.extend_from_slice(&x.to_be_bytes());
    }
    v.extend(std::iter::repeat_n(7u8, body));
    v
}

fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&2049u32.to_be_bytes());
    v.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    v.extend_from_slice(labels);
    v
}

#[test]
fn uncompressed_files_from_another_directory_load() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("t10k-images-idx3-ubyte"),
        idx_images(3, 2, 2, 12),
    )
    .unwrap();
    std::fs::write(
        d.path().join("t10k-labels-idx1-ubyte"),
        idx_labels(&[1, 2, 3]),
    )
    .unwrap();
    let m = load(d.path(), Split::Test).unwrap();
    assert_eq!((m.len(), m.rows, m.cols), (3, 2, 2));
    assert_eq!(m.image(2), &[7, 7, 7, 7]);
}

#[test]
fn bad_files_are_reported_with_their_name_and_problem() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let err = |e: stdp_harness::Error| e.to_string();
    // Missing.
    assert!(err(load(p, Split::Test).unwrap_err()).contains("t10k-images-idx3-ubyte"));
    // Truncated images (gzip).
    write_gz(
        &p.join("t10k-images-idx3-ubyte.gz"),
        &idx_images(3, 2, 2, 10),
    );
    std::fs::write(p.join("t10k-labels-idx1-ubyte"), idx_labels(&[1, 2, 3])).unwrap();
    let e = err(load(p, Split::Test).unwrap_err());
    assert!(
        e.contains("t10k-images-idx3-ubyte.gz") && e.contains("truncated"),
        "{e}"
    );
    // Wrong magic (labels given as images).
    write_gz(
        &p.join("t10k-images-idx3-ubyte.gz"),
        &idx_labels(&[1, 2, 3]),
    );
    let e = err(load(p, Split::Test).unwrap_err());
    assert!(e.contains("magic number 2049, expected 2051"), "{e}");
    // Count mismatch between images and labels.
    write_gz(
        &p.join("t10k-images-idx3-ubyte.gz"),
        &idx_images(4, 2, 2, 16),
    );
    let e = err(load(p, Split::Test).unwrap_err());
    assert!(e.contains("3 labels but") && e.contains("4 images"), "{e}");
    // Label out of range.
    write_gz(
        &p.join("t10k-images-idx3-ubyte.gz"),
        &idx_images(3, 2, 2, 12),
    );
    std::fs::write(p.join("t10k-labels-idx1-ubyte"), idx_labels(&[1, 12, 3])).unwrap();
    let e = err(load(p, Split::Test).unwrap_err());
    assert!(e.contains("label 12"), "{e}");
    // Corrupt gzip stream.
    let mut bytes = std::fs::read(p.join("t10k-images-idx3-ubyte.gz")).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(p.join("t10k-images-idx3-ubyte.gz"), bytes).unwrap();
    let e = err(load(p, Split::Test).unwrap_err());
    assert!(e.contains("gzip"), "{e}");
}
