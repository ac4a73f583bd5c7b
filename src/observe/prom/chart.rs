//! A chart of the window as a PNG: one panel per query, one line per series, state spans shaded. Drawn
//! with plotters' bitmap backend only (no font stack), so the picture has no text: the tool's text says
//! which panel and colour is which.

use crate::error::{Error, Result};
use crate::observe::series::Point;
use plotters::prelude::*;

const WIDTH: u32 = 800;
const PANEL_HEIGHT: u32 = 130;
pub const MAX_PANELS: usize = 8;

/// Line colours in order, with the names the tool's text uses for them.
pub const PALETTE: [(u8, u8, u8, &str); 9] = [
    (31, 119, 180, "blue"),
    (255, 127, 14, "orange"),
    (44, 160, 44, "green"),
    (148, 103, 189, "purple"),
    (140, 86, 75, "brown"),
    (227, 119, 194, "pink"),
    (127, 127, 127, "grey"),
    (188, 189, 34, "olive"),
    (23, 190, 207, "cyan"),
];

/// One panel: lines (in palette order) and the spans (Unix seconds) during which a state held.
#[derive(Debug, Clone, Default)]
pub struct Panel {
    pub lines: Vec<Vec<Point>>,
    pub spans: Vec<(f64, f64)>,
}

/// Renders the panels (at most `MAX_PANELS`, each at most `PALETTE.len()` lines) over `[t0, t1]` as PNG bytes.
pub fn render_png(panels: &[Panel], t0: f64, t1: f64) -> Result<Vec<u8>> {
    let panels = &panels[..panels.len().min(MAX_PANELS)];
    let n = panels.len().max(1) as u32;
    let height = PANEL_HEIGHT * n;
    let mut rgb = vec![255u8; (WIDTH * height * 3) as usize];
    let fail = |e: &dyn std::fmt::Debug| Error::internal(format!("drawing the chart: {e:?}"));
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, height)).into_drawing_area();
        let areas = root.split_evenly((n as usize, 1));
        for (area, panel) in areas.iter().zip(panels) {
            draw_panel(area, panel, t0, t1.max(t0 + 1.0)).map_err(|e| fail(&e))?;
        }
        root.present().map_err(|e| fail(&e))?;
    }
    let mut png_bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png_bytes, WIDTH, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Best);
        let mut writer = encoder.write_header().map_err(|e| fail(&e))?;
        writer.write_image_data(&rgb).map_err(|e| fail(&e))?;
    }
    Ok(png_bytes)
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

type DrawResult<'a> = std::result::Result<(), DrawingAreaErrorKind<<BitMapBackend<'a> as DrawingBackend>::ErrorType>>;

fn draw_panel<'a>(area: &Area<'a>, panel: &Panel, t0: f64, t1: f64) -> DrawResult<'a> {
    let values = panel.lines.iter().flatten().map(|p| p.v).filter(|v| v.is_finite());
    let (mut lo, mut hi) = values.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo > hi {
        (lo, hi) = (0.0, 1.0);
    }
    if hi - lo < 1e-9 {
        (lo, hi) = (lo - 1.0, hi + 1.0);
    }
    let pad = (hi - lo) * 0.08;
    let (lo, hi) = (lo - pad, hi + pad);
    let mut chart = ChartBuilder::on(area).margin(8).build_cartesian_2d(t0..t1, lo..hi)?;
    let shade = RGBColor(255, 215, 215).filled();
    chart.draw_series(panel.spans.iter().map(|&(a, b)| Rectangle::new([(a.max(t0), lo), (b.min(t1), hi)], shade)))?;
    let axis = RGBColor(90, 90, 90);
    chart.draw_series([PathElement::new(vec![(t0, hi), (t0, lo), (t1, lo)], axis.stroke_width(1))])?;
    // Ticks every tenth of the window on the time axis, so positions can be read without labels.
    chart.draw_series((0..=10).map(|i| {
        let t = t0 + (t1 - t0) * i as f64 / 10.0;
        PathElement::new(vec![(t, lo), (t, lo + (hi - lo) * 0.04)], axis)
    }))?;
    for (line, &(r, g, b, _)) in panel.lines.iter().zip(PALETTE.iter()) {
        let color = RGBColor(r, g, b).stroke_width(2);
        chart.draw_series(LineSeries::new(line.iter().filter(|p| p.v.is_finite()).map(|p| (p.t, p.v)), color))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_png_with_one_panel_per_query() {
        let line: Vec<Point> =
            (0..100).map(|i| Point { t: i as f64 * 15.0, v: if (20..80).contains(&i) { 23.0 } else { 0.0 } }).collect();
        let panels = vec![Panel { lines: vec![line.clone(), line], spans: vec![(300.0, 1185.0)] }, Panel::default()];
        let png_bytes = render_png(&panels, 0.0, 1485.0).unwrap();
        assert_eq!(&png_bytes[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = png::Decoder::new(png_bytes.as_slice());
        let reader = decoder.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (WIDTH, 2 * PANEL_HEIGHT));
    }
}
