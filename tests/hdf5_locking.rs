//! A child process started while one of our HDF5 files is open (a job
//! submitter, a Python reader, a test runner) must not keep that file locked:
//! HDF5 opens files without close-on-exec, and with its default `flock`
//! locking the child's inherited descriptor made later opens fail with
//! "unable to lock file".

use std::process::Command;

use stdp_harness::record::h5::{create_file, open_file, put};

#[test]
fn files_stay_readable_while_a_child_holds_an_inherited_descriptor() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.h5");
    let file = create_file(&path).unwrap();
    // The child inherits the open descriptor and outlives the writer's close.
    let mut child = Command::new("sleep").arg("3").spawn().unwrap();
    put(&file, "v", &ndarray::arr1(&[1.0f32, 2.0, 3.0]), &path).unwrap();
    file.close().unwrap();
    let reopened = open_file(&path);
    let _ = child.kill();
    let _ = child.wait();
    let f = reopened.expect("readable while the child lives");
    let v: ndarray::Array1<f32> = f.dataset("v").unwrap().read_1d().unwrap();
    assert_eq!(v.to_vec(), vec![1.0, 2.0, 3.0]);
}
