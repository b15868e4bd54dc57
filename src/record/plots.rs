//! PNG figures: receptive fields (each neuron's input weights as a 28x28 tile)
//! the training-accuracy curve, and grid metrics against one axis.

use std::path::Path;

use ndarray::ArrayView2;
use plotters::prelude::*;

use super::atomic::write_atomically;
use crate::error::{Error, Result};

/// Most pixels per weight in the receptive-field figure.
const CELL_MAX: u32 = 3;
/// The receptive-field figure's width, pixels, that fewer pixels per weight
/// keep it under (down to one pixel per weight): at 6,400 neurons three
/// pixels per weight made a 6,882-pixel square whose RGB buffer (142 MB)
/// was the run's peak memory.
const TARGET_WIDTH: u32 = 2400;
/// Gap between tiles, pixels.
const GAP: u32 = 2;

/// Pixels per weight for a `grid`-tile-wide figure of `cols`-weight-wide
/// tiles: the most (up to [`CELL_MAX`]) that keep it within
/// [`TARGET_WIDTH`], at least one.
fn cell_size(grid: u32, cols: u32) -> u32 {
    (TARGET_WIDTH / (grid * cols).max(1)).clamp(1, CELL_MAX)
}

/// Draws the columns of `w` (`(rows·cols, n)`) as a square grid of
/// `rows × cols` tiles, dark = 0, white = the largest weight.
pub fn receptive_fields(path: &Path, w: ArrayView2<f32>, rows: usize, cols: usize) -> Result<()> {
    let n = w.ncols();
    let grid = (n as f64).sqrt().ceil().max(1.0) as u32;
    let cell = cell_size(grid, cols as u32);
    let tile_w = cols as u32 * cell + GAP;
    let tile_h = rows as u32 * cell + GAP;
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
                            GAP + gx * tile_w + c as u32 * cell,
                            GAP + gy * tile_h + r as u32 * cell,
                        );
                        let (x0, y0) = (x0 as i32, y0 as i32);
                        let side = cell as i32;
                        root.draw(&Rectangle::new(
                            [(x0, y0), (x0 + side, y0 + side)],
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

/// One line of [`metric_vs_axis`]: a label and `(x, mean, std)` points.
pub type Series = (String, Vec<(f64, f64, f64)>);

/// A metric (mean ± std as error bars) against one grid axis, one line per
/// series (a combination of the other grouping keys).
pub fn metric_vs_axis(
    path: &Path,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[Series],
) -> Result<()> {
    write_atomically(path, |tmp| {
        let e = |m: String| Error::file(path, m);
        let tmp_png = tmp.with_extension("partial.png");
        {
            // The legend gets its own column on the right, clear of the data.
            let labelled = series.len() > 1 || series.first().is_some_and(|s| !s.0.is_empty());
            let legend_w = if labelled {
                let chars = series
                    .iter()
                    .map(|s| s.0.chars().count())
                    .max()
                    .unwrap_or(0);
                (chars as u32 * 8 + 50).min(520)
            } else {
                0
            };
            let root = BitMapBackend::new(&tmp_png, (820 + legend_w, 560)).into_drawing_area();
            root.fill(&WHITE).map_err(|x| e(x.to_string()))?;
            let (plot_area, legend_area) = root.split_horizontally(820);
            let pts = series.iter().flat_map(|s| s.1.iter());
            let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
            for &(x, m, s) in pts {
                let s = if s.is_finite() { s } else { 0.0 };
                x0 = x0.min(x);
                x1 = x1.max(x);
                y0 = y0.min(m - s);
                y1 = y1.max(m + s);
            }
            if !(x0.is_finite() && x1 >= x0 && y1 >= y0) {
                return Err(e("nothing to plot".into()));
            }
            let pad = |a: f64, b: f64| ((b - a).abs() * 0.06).max(1e-9 + a.abs() * 1e-3);
            let (px, py) = (pad(x0, x1), pad(y0, y1));
            let mut chart = ChartBuilder::on(&plot_area)
                .caption(title, ("sans-serif", 22))
                .margin(15)
                .x_label_area_size(45)
                .y_label_area_size(60)
                .build_cartesian_2d((x0 - px)..(x1 + px), (y0 - py)..(y1 + py))
                .map_err(|x| e(x.to_string()))?;
            chart
                .configure_mesh()
                .x_desc(x_desc)
                .y_desc(y_desc)
                .draw()
                .map_err(|x| e(x.to_string()))?;
            for (k, (_, points)) in series.iter().enumerate() {
                let color = Palette99::pick(k).to_rgba();
                let mut sorted = points.clone();
                sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
                chart
                    .draw_series(LineSeries::new(
                        sorted.iter().map(|&(x, m, _)| (x, m)),
                        color.stroke_width(2),
                    ))
                    .map_err(|x| e(x.to_string()))?;
                chart
                    .draw_series(sorted.iter().map(|&(x, m, s)| {
                        let s = if s.is_finite() { s } else { 0.0 };
                        ErrorBar::new_vertical(x, m - s, m, m + s, color.filled(), 8)
                    }))
                    .map_err(|x| e(x.to_string()))?;
            }
            if labelled {
                for (k, (label, _)) in series.iter().enumerate() {
                    let color = Palette99::pick(k).to_rgba();
                    let y = 60 + 22 * k as i32;
                    legend_area
                        .draw(&PathElement::new(
                            vec![(5, y), (30, y)],
                            color.stroke_width(3),
                        ))
                        .map_err(|x| e(x.to_string()))?;
                    legend_area
                        .draw(&Text::new(
                            label.clone(),
                            (38, y - 7),
                            ("sans-serif", 14).into_font(),
                        ))
                        .map_err(|x| e(x.to_string()))?;
                }
            }
            root.present().map_err(|x| e(x.to_string()))?;
        }
        std::fs::rename(&tmp_png, tmp).map_err(|x| Error::io(tmp, x))
    })
}

#[cfg(test)]
mod tests {
    use super::cell_size;

    #[test]
    fn receptive_field_figures_shrink_their_cells_to_stay_near_2400_pixels() {
        // MNIST tiles (28 weights wide) on the square grids of 100-6,400 neurons.
        assert_eq!(cell_size(10, 28), 3);
        assert_eq!(cell_size(20, 28), 3);
        assert_eq!(cell_size(40, 28), 2);
        assert_eq!(cell_size(80, 28), 1);
        assert_eq!(cell_size(400, 28), 1, "never below one pixel");
        assert_eq!(cell_size(1, 0), 3, "an empty tile does not divide by zero");
    }
}
