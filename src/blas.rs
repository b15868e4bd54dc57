//! The one door to OpenBLAS: single-precision GEMM with a per-thread call counter, and thread control.
//!
//! ndarray's own `dot` silently falls back to a pure-Rust kernel for small or
//! oddly strided operands. The kernels of this crate call [`gemm`] instead, which
//! always reaches OpenBLAS (`cblas_sgemm`, or `cblas_sgemv` for one output row) (copying an operand to row-major order first when
//! its layout does not suit BLAS) and counts the calls, so tests can prove that a
//! product claimed to run through BLAS really does ([`gemm_calls`]).

use std::cell::Cell;
use std::os::raw::c_int;

use cblas_sys::{CBLAS_LAYOUT, CBLAS_TRANSPOSE, cblas_sgemm, cblas_sgemv};
use ndarray::{Array2, ArrayView2, ArrayViewMut2, CowArray, Ix2};

use crate::error::{Error, Result};

thread_local! {
    static GEMM_CALLS: Cell<u64> = const { Cell::new(0) };
}

unsafe extern "C" {
    fn openblas_set_num_threads(num_threads: c_int);
    fn openblas_get_num_threads() -> c_int;
}

/// Number of BLAS calls made by [`gemm`] so far *by the calling thread*.
///
/// Thread-local on purpose: a test that measures the difference across a call
/// sees exactly the calls that call made, whatever other tests run meanwhile.
pub fn gemm_calls() -> u64 {
    GEMM_CALLS.with(Cell::get)
}

/// Sets the number of OpenBLAS worker threads (process-wide).
///
/// Inside rayon tasks use 1: the rayon pool already occupies the cores, and two
/// pools competing for them is slower than either alone.
pub fn set_num_threads(n: usize) {
    let n = c_int::try_from(n.max(1)).unwrap_or(c_int::MAX);
    // SAFETY: plain setter exported by OpenBLAS; any positive value is valid.
    unsafe { openblas_set_num_threads(n) }
}

/// The number of OpenBLAS worker threads currently configured.
pub fn num_threads() -> usize {
    // SAFETY: plain getter exported by OpenBLAS.
    let n = unsafe { openblas_get_num_threads() };
    usize::try_from(n).unwrap_or(1)
}

/// Whether an operand is used as stored or transposed: `op(X) = X` or `X^T`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Use the matrix as stored.
    Id,
    /// Use its transpose.
    T,
}

impl Op {
    fn cblas(self) -> CBLAS_TRANSPOSE {
        match self {
            Op::Id => CBLAS_TRANSPOSE::CblasNoTrans,
            Op::T => CBLAS_TRANSPOSE::CblasTrans,
        }
    }

    fn dims(self, x: &ArrayView2<f32>) -> (usize, usize) {
        let (r, c) = x.dim();
        match self {
            Op::Id => (r, c),
            Op::T => (c, r),
        }
    }
}

fn to_int(n: usize, what: &str) -> Result<c_int> {
    c_int::try_from(n).map_err(|_| Error::shape(format!("{what} (too large for BLAS)"), &[], &[n]))
}

/// `x` as is when BLAS can read it in place (row-major rows with unit column
/// stride, like a column slice of a row-major matrix), else a row-major copy.
fn blas_layout(x: ArrayView2<f32>) -> CowArray<f32, Ix2> {
    let (r, c) = x.dim();
    let s = x.strides();
    let in_place = (c <= 1 || s[1] == 1) && (r <= 1 || s[0] >= c.max(1) as isize);
    if in_place {
        CowArray::from(x)
    } else {
        CowArray::from(x.as_standard_layout().into_owned())
    }
}

/// The row stride BLAS is told (`lda`): at least the number of columns, and 1.
fn leading_dim(x: &CowArray<f32, Ix2>) -> usize {
    let (r, c) = x.dim();
    if r <= 1 {
        c.max(1)
    } else {
        (x.strides()[0] as usize).max(c).max(1)
    }
}

/// `C = alpha · op(A) · op(B) + beta · C` through OpenBLAS, always: `cblas_sgemv`
/// when `C` has one row, else `cblas_sgemm`.
///
/// Operands that BLAS cannot read in place (see `blas_layout`) are copied first; `C` that is not
/// is computed in a row-major temporary and assigned back. Shape mismatches are
/// [`Error::Shape`].
pub fn gemm(
    alpha: f32,
    a: ArrayView2<f32>,
    op_a: Op,
    b: ArrayView2<f32>,
    op_b: Op,
    beta: f32,
    c: &mut ArrayViewMut2<f32>,
) -> Result<()> {
    let (m, k) = op_a.dims(&a);
    let (kb, n) = op_b.dims(&b);
    if kb != k {
        return Err(Error::shape("gemm: rows of op(B)", &[k, n], &[kb, n]));
    }
    if c.dim() != (m, n) {
        return Err(Error::shape("gemm: C", &[m, n], &[c.nrows(), c.ncols()]));
    }
    if m == 0 || n == 0 {
        return Ok(());
    }
    if k == 0 {
        c.mapv_inplace(|x| beta * x);
        return Ok(());
    }
    if !c.is_standard_layout() {
        let mut tmp: Array2<f32> = c.to_owned().as_standard_layout().into_owned();
        gemm(alpha, a, op_a, b, op_b, beta, &mut tmp.view_mut())?;
        c.assign(&tmp);
        return Ok(());
    }
    let a = blas_layout(a);
    let b = blas_layout(b);
    let (mi, ni, ki) = (to_int(m, "m")?, to_int(n, "n")?, to_int(k, "k")?);
    let lda = to_int(leading_dim(&a), "lda")?;
    let ldb = to_int(leading_dim(&b), "ldb")?;
    let ldc = to_int(n, "ldc")?;
    if m == 1 {
        // A single output row is a matrix-vector product: sgemv, which
        // OpenBLAS runs several times faster than a 1-row sgemm.
        let incx = match op_a {
            Op::Id => 1,
            Op::T => lda,
        };
        let (trans, rows, cols) = match op_b {
            Op::Id => (CBLAS_TRANSPOSE::CblasTrans, ki, ni),
            Op::T => (CBLAS_TRANSPOSE::CblasNoTrans, ni, ki),
        };
        // SAFETY: B is row-major (`rows` x `cols`, leading dimension ldb), x
        // holds k elements at stride incx, y = C's single contiguous row of n.
        unsafe {
            cblas_sgemv(
                CBLAS_LAYOUT::CblasRowMajor,
                trans,
                rows,
                cols,
                alpha,
                b.as_ptr(),
                ldb,
                a.as_ptr(),
                incx,
                beta,
                c.as_mut_ptr(),
                1,
            );
        }
    } else {
        // SAFETY: A and B are row-major with unit column stride and the leading
        // dimensions passed (`blas_layout`), C is contiguous row-major, and their
        // extents were checked against (m, n, k) above.
        unsafe {
            cblas_sgemm(
                CBLAS_LAYOUT::CblasRowMajor,
                op_a.cblas(),
                op_b.cblas(),
                mi,
                ni,
                ki,
                alpha,
                a.as_ptr(),
                lda,
                b.as_ptr(),
                ldb,
                beta,
                c.as_mut_ptr(),
                ldc,
            );
        }
    }
    GEMM_CALLS.with(|n| n.set(n.get() + 1));
    Ok(())
}
