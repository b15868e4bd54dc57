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

/// Tiles above which the receptive-field figure is written with 16 gray
/// levels (4 bits per pixel) instead of 256: 6,400 noisy 28x28 tiles take
/// 9.3 MB as RGB, 3.0 MB in 8-bit gray, 1.0 MB in 4-bit gray.
const FOUR_BIT_ABOVE: usize = 2500;

/// Draws the columns of `w` (`(rows·cols, n)`) as a square grid of
/// `rows × cols` tiles, dark = 0, white = the largest weight: a grayscale
/// PNG, 8 bits per pixel, 4 above 2,500 tiles (under 2 MB at
/// 6,400 neurons).
pub fn receptive_fields(path: &Path, w: ArrayView2<f32>, rows: usize, cols: usize) -> Result<()> {
    let n = w.ncols();
    let grid = (n as f64).sqrt().ceil().max(1.0) as u32;
    let cell = cell_size(grid, cols as u32) as usize;
    let tile_w = cols * cell + GAP as usize;
    let tile_h = rows * cell + GAP as usize;
    let grid_rows = (n as u32).div_ceil(grid).max(1) as usize;
    let grid = grid as usize;
    let (width, height) = (
        grid * tile_w + GAP as usize,
        grid_rows * tile_h + GAP as usize,
    );
    let w_max = w.iter().cloned().fold(f32::MIN_POSITIVE, f32::max);
    let mut gray = vec![40u8; width * height];
    for k in 0..n {
        let (gx, gy) = (k % grid, k / grid);
        let col = w.column(k);
        for r in 0..rows {
            for c in 0..cols {
                let v = (col[r * cols + c] / w_max).clamp(0.0, 1.0);
                let g = (v * 255.0) as u8;
                let (x0, y0) = (
                    GAP as usize + gx * tile_w + c * cell,
                    GAP as usize + gy * tile_h + r * cell,
                );
                for y in y0..y0 + cell {
                    gray[y * width + x0..y * width + x0 + cell].fill(g);
                }
            }
        }
    }
    let four = n > FOUR_BIT_ABOVE;
    let data: Vec<u8> = if four {
        // Two pixels per byte, high nibble first; each row padded to a byte.
        gray.chunks(width)
            .flat_map(|row| {
                row.chunks(2).map(|p| {
                    let q = |g: u8| (u16::from(g) * 15 + 127) / 255;
                    (q(p[0]) << 4 | p.get(1).map_or(0, |&g| q(g))) as u8
                })
            })
            .collect()
    } else {
        gray
    };
    write_atomically(path, |tmp| {
        let e = |m: String| Error::file(path, m);
        let file = std::fs::File::create(tmp).map_err(|x| Error::io(tmp, x))?;
        let mut enc = png::Encoder::new(std::io::BufWriter::new(file), width as u32, height as u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(if four {
            png::BitDepth::Four
        } else {
            png::BitDepth::Eight
        });
        enc.set_compression(png::Compression::Best);
        let mut writer = enc.write_header().map_err(|x| e(x.to_string()))?;
        writer
            .write_image_data(&data)
            .map_err(|x| e(x.to_string()))?;
        writer.finish().map_err(|x| e(x.to_string()))
    })
}

/// A tick label a reader would write: `10k`, `2.5k`, `1.2M` for counts of
/// a thousand and more, a short decimal otherwise.
pub fn tick_label(x: f64) -> String {
    let trim = |s: String| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    let a = x.abs();
    if a >= 1e6 {
        format!("{}M", trim(format!("{:.2}", x / 1e6)))
    } else if a >= 1e3 {
        format!("{}k", trim(format!("{:.1}", x / 1e3)))
    } else if a == 0.0 || a >= 1.0 {
        trim(format!("{x:.2}"))
    } else {
        trim(format!("{x:.4}"))
    }
}

/// A line chart of accuracy (%) against examples seen, the accuracy axis
/// zoomed to the data, examples labelled `10k`, `100k`, and a dashed line
/// at each multiple of `epoch` examples (when given) inside the range.
pub fn accuracy_curve(
    path: &Path,
    title: &str,
    points: &[(f64, f64)],
    epoch: Option<f64>,
) -> Result<()> {
    write_atomically(path, |tmp| {
        let e = |m: String| Error::file(path, m);
        let tmp_png = tmp.with_extension("partial.png");
        {
            let root = BitMapBackend::new(&tmp_png, (800, 500)).into_drawing_area();
            root.fill(&WHITE).map_err(|x| e(x.to_string()))?;
            let x_max = points.iter().map(|p| p.0).fold(1.0, f64::max);
            let (lo, hi) = points
                .iter()
                .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
            let (y0, y1) = if lo <= hi {
                let pad = ((hi - lo) * 0.15).max(2.0);
                ((lo - pad).max(0.0), (hi + pad).min(100.0))
            } else {
                (0.0, 100.0)
            };
            let mut chart = ChartBuilder::on(&root)
                .caption(title, ("sans-serif", 22))
                .margin(15)
                .x_label_area_size(45)
                .y_label_area_size(55)
                .build_cartesian_2d(0.0..x_max * 1.02, y0..y1)
                .map_err(|x| e(x.to_string()))?;
            chart
                .configure_mesh()
                .x_desc("training examples")
                .y_desc("accuracy (%)")
                .x_label_formatter(&|x| tick_label(*x))
                .draw()
                .map_err(|x| e(x.to_string()))?;
            if let Some(ep) = epoch.filter(|&ep| ep > 0.0 && x_max > ep) {
                // Orange: the mesh's own lines fall on round counts too.
                let orange = RGBColor(230, 120, 20);
                let mut k = 1.0;
                while k * ep < x_max * 1.02 {
                    let x = k * ep;
                    chart
                        .draw_series(DashedLineSeries::new(
                            [(x, y0), (x, y1)],
                            8,
                            5,
                            orange.stroke_width(2),
                        ))
                        .map_err(|x| e(x.to_string()))?;
                    k += 1.0;
                }
            }
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
                .x_label_formatter(&|x| tick_label(*x))
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
    use super::{cell_size, tick_label};

    #[test]
    fn tick_labels_read_as_a_person_writes_them() {
        assert_eq!(tick_label(0.0), "0");
        assert_eq!(tick_label(10_000.0), "10k");
        assert_eq!(tick_label(2_500.0), "2.5k");
        assert_eq!(tick_label(120_000.0), "120k");
        assert_eq!(tick_label(1_200_000.0), "1.2M");
        assert_eq!(tick_label(0.025), "0.025");
        assert_eq!(tick_label(17.0), "17");
        assert_eq!(tick_label(1e7), "10M");
    }

    #[test]
    fn receptive_fields_of_6400_neurons_fit_in_2_mb() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        // Digit-like fields: a stroke of strong weights per neuron over weak
        // noise (pure noise would be 4 bits of entropy per pixel, 2.9 MB).
        let w = ndarray::Array2::from_shape_fn((784, 6400), |(i, k)| {
            let (r, c) = ((i / 28) as f32, (i % 28) as f32);
            let (r0, c0) = (8.0 + (k % 13) as f32, 8.0 + (k % 11) as f32);
            let d2 = (r - r0).powi(2) + (c - c0).powi(2);
            let stroke = if (d2.sqrt() - 5.0).abs() < 1.5 {
                0.8
            } else {
                0.0
            };
            stroke + 0.05 * rng.random::<f32>()
        });
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("rf.png");
        super::receptive_fields(&p, w.view(), 28, 28).unwrap();
        let bytes = std::fs::metadata(&p).unwrap().len();
        assert!(bytes < 2_000_000, "{bytes} bytes");
        assert_eq!(&std::fs::read(&p).unwrap()[1..4], b"PNG");
    }

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
