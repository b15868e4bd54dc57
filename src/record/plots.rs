//! PNG figures: receptive fields (each neuron's input weights as a 28x28 tile)
//! and the training-accuracy curve.

use std::path::Path;

use ndarray::ArrayView2;
use plotters::prelude::*;

use super::atomic::write_atomically;
use crate::error::{Error, Result};

/// Pixels per weight in the receptive-field figure.
const CELL: u32 = 3;
/// Gap between tiles, pixels.
const GAP: u32 = 2;

/// Draws the columns of `w` (`(rows·cols, n)`) as a square grid of
/// `rows × cols` tiles, dark = 0, white = the largest weight.
pub fn receptive_fields(path: &Path, w: ArrayView2<f32>, rows: usize, cols: usize) -> Result<()> {
    let n = w.ncols();
    let grid = (n as f64).sqrt().ceil().max(1.0) as u32;
    let tile_w = cols as u32 * CELL + GAP;
    let tile_h = rows as u32 * CELL + GAP;
    let grid_rows = (n as u32).div_ceil(grid).max(1);
    let (width, height) = (grid * tile_w + GAP, grid_rows * tile_h + GAP);
    let w_max = w.iter().cloned().fold(f32::MIN_POSITIVE, f32::max);
    write_atomically(path, |tmp| {
        let e = |m: String| Error::file(path, m);
        // plotters picks the format from the extension: draw to a .png temporary.
        let tmp_png = tmp.with_extension("partial.png");
        {
            let root = BitMapBackend::new(&tmp_png, (width, height)).into_drawing_area();
            root.fill(&RGBColor(40, 40, 40))
                .map_err(|x| e(x.to_string()))?;
            for k in 0..n {
                let (gx, gy) = (k as u32 % grid, k as u32 / grid);
                let col = w.column(k);
                for r in 0..rows {
                    for c in 0..cols {
                        let v = (col[r * cols + c] / w_max).clamp(0.0, 1.0);
                        let g = (v * 255.0) as u8;
                        let (x0, y0) = (
                            GAP + gx * tile_w + c as u32 * CELL,
                            GAP + gy * tile_h + r as u32 * CELL,
                        );
                        let (x0, y0) = (x0 as i32, y0 as i32);
                        let cell = CELL as i32;
                        root.draw(&Rectangle::new(
                            [(x0, y0), (x0 + cell, y0 + cell)],
                            RGBColor(g, g, g).filled(),
                        ))
                        .map_err(|x| e(x.to_string()))?;
                    }
                }
            }
            root.present().map_err(|x| e(x.to_string()))?;
        }
        std::fs::rename(&tmp_png, tmp).map_err(|x| Error::io(tmp, x))
    })
}

/// A line chart of accuracy (%) against examples seen.
pub fn accuracy_curve(path: &Path, title: &str, points: &[(f64, f64)]) -> Result<()> {
    write_atomically(path, |tmp| {
        let e = |m: String| Error::file(path, m);
        let tmp_png = tmp.with_extension("partial.png");
        {
            let root = BitMapBackend::new(&tmp_png, (800, 500)).into_drawing_area();
            root.fill(&WHITE).map_err(|x| e(x.to_string()))?;
            let x_max = points.iter().map(|p| p.0).fold(1.0, f64::max);
            let mut chart = ChartBuilder::on(&root)
                .caption(title, ("sans-serif", 22))
                .margin(15)
                .x_label_area_size(45)
                .y_label_area_size(55)
                .build_cartesian_2d(0.0..x_max * 1.02, 0.0..100.0)
                .map_err(|x| e(x.to_string()))?;
            chart
                .configure_mesh()
                .x_desc("training examples")
                .y_desc("accuracy (%)")
                .draw()
                .map_err(|x| e(x.to_string()))?;
            chart
                .draw_series(LineSeries::new(points.iter().copied(), &BLUE))
                .map_err(|x| e(x.to_string()))?;
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 4, BLUE.filled())))
                .map_err(|x| e(x.to_string()))?;
            root.present().map_err(|x| e(x.to_string()))?;
        }
        std::fs::rename(&tmp_png, tmp).map_err(|x| Error::io(tmp, x))
    })
}
