//! The reports' charts as SVG, drawn by plotters (its SVG backend, text left to the viewer's
//! fonts): line charts and the model comparison's grouped bars, each with its axes, tick labels,
//! axis names and a legend beside the plot.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The line charts' colours, in order.
pub const LINES: [&str; 8] = ["#2c3e50", "#c0392b", "#2980b9", "#27ae60", "#8e44ad", "#d35400", "#7f8c8d", "#16a085"];
/// The bar chart's colours, in order.
pub const PALETTE: [&str; 10] =
    ["#2c3e50", "#c0392b", "#e74c3c", "#d35400", "#2980b9", "#3498db", "#5dade2", "#27ae60", "#8e44ad", "#7f8c8d"];

/// One line of a line chart.
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// `#rrggbb`.
    pub colour: &'static str,
}

/// A chart's title and axis names.
pub struct Labels<'a> {
    pub title: &'a str,
    pub x: &'a str,
    pub y: &'a str,
}

/// Drawing into a String has no way to fail (no file, no font file: the SVG names the font).
const INFALLIBLE: &str = "plotters draws SVG into a String, which cannot fail";

fn colour(hex: &str) -> RGBColor {
    let channel = |i: usize| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0);
    RGBColor(channel(1), channel(3), channel(5))
}

/// The legend: a swatch and a name per entry, top down.
fn legend(area: &DrawingArea<SVGBackend<'_>, Shift>, entries: &[(&str, &'static str)]) {
    for (i, (name, hex)) in entries.iter().enumerate() {
        let y = 40 + 16 * i as i32;
        area.draw(&Rectangle::new([(8, y - 9), (18, y + 1)], colour(hex).filled())).expect(INFALLIBLE);
        area.draw(&Text::new(name.to_string(), (24, y - 9), ("sans-serif", 13).into_font().color(&colour(hex)))).expect(INFALLIBLE);
    }
}

/// Lines over a numeric x axis (`x_format` writes its tick labels), y from 0; the legend on the
/// right.
pub fn line_chart(series: &[Series], labels: &Labels<'_>, x_format: &dyn Fn(&f64) -> String, size: (u32, u32)) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).expect(INFALLIBLE);
        let (plot, side) = root.split_horizontally(size.0 as i32 - 170);
        let xs = || series.iter().flat_map(|s| s.points.iter().map(|&(x, _)| x));
        let (x_min, x_max) = (xs().fold(f64::INFINITY, f64::min), xs().fold(f64::NEG_INFINITY, f64::max));
        let (x_min, x_max) = if x_min < x_max { (x_min, x_max) } else { (0.0, 1.0) };
        let y_max = series.iter().flat_map(|s| s.points.iter().map(|&(_, y)| y)).fold(0.1, f64::max) * 1.05;
        let mut chart = ChartBuilder::on(&plot)
            .caption(labels.title, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(52)
            .build_cartesian_2d(x_min..x_max, 0.0..y_max)
            .expect(INFALLIBLE);
        chart
            .configure_mesh()
            .x_desc(labels.x)
            .y_desc(labels.y)
            .x_label_formatter(x_format)
            .y_label_formatter(&|v| format!("{v:.2}"))
            .bold_line_style(RGBColor(225, 225, 225))
            .light_line_style(WHITE)
            .draw()
            .expect(INFALLIBLE);
        for s in series {
            chart.draw_series(LineSeries::new(s.points.iter().copied(), colour(s.colour).stroke_width(2))).expect(INFALLIBLE);
        }
        let entries: Vec<(&str, &'static str)> = series.iter().map(|s| (s.name.as_str(), s.colour)).collect();
        legend(&side, &entries);
        root.present().expect(INFALLIBLE);
    }
    svg
}

/// Named lines over an integer x axis (epochs, steps), coloured in [`LINES`] order.
pub fn lines(series: &[(String, Vec<(f64, f64)>)], labels: &Labels<'_>) -> String {
    let series: Vec<Series> = series
        .iter()
        .enumerate()
        .map(|(i, (name, points))| Series { name: name.clone(), points: points.clone(), colour: LINES[i % LINES.len()] })
        .collect();
    line_chart(&series, labels, &|x| format!("{x:.0}"), (640, 320))
}

/// One bar group per label (e.g. HR@1 … NDCG@10), one bar per named row, y from 0; the legend
/// on the right.
pub fn bar_chart(groups: &[&str], rows: &[(String, Vec<f64>)], title: &str, size: (u32, u32)) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).expect(INFALLIBLE);
        let (plot, side) = root.split_horizontally(size.0 as i32 - 190);
        let y_max = rows.iter().flat_map(|(_, v)| v.iter().copied()).fold(1e-9, f64::max) * 1.05;
        let n = groups.len().max(1) as f64;
        let mut chart = ChartBuilder::on(&plot)
            .caption(title, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(52)
            .build_cartesian_2d(0.0..n, 0.0..y_max)
            .expect(INFALLIBLE);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_label_formatter(&|v| format!("{v:.2}"))
            .bold_line_style(RGBColor(225, 225, 225))
            .light_line_style(WHITE)
            .draw()
            .expect(INFALLIBLE);
        // Each group's name under its bars.
        let below = ("sans-serif", 13).into_font().into_text_style(&plot).pos(Pos::new(HPos::Center, VPos::Top));
        let names = groups
            .iter()
            .enumerate()
            .map(|(g, name)| EmptyElement::at((g as f64 + 0.5, 0.0)) + Text::new(name.to_string(), (0, 6), below.clone()));
        chart.draw_series(names).expect(INFALLIBLE);
        let width = 0.8 / rows.len().max(1) as f64;
        for (b, (_, values)) in rows.iter().enumerate() {
            let fill = colour(PALETTE[b % PALETTE.len()]).filled();
            let bars = values.iter().enumerate().map(|(g, &v)| {
                let x0 = g as f64 + 0.1 + width * b as f64;
                Rectangle::new([(x0, 0.0), (x0 + width * 0.95, v)], fill)
            });
            chart.draw_series(bars).expect(INFALLIBLE);
        }
        let entries: Vec<(&str, &'static str)> =
            rows.iter().enumerate().map(|(b, (name, _))| (name.as_str(), PALETTE[b % PALETTE.len()])).collect();
        legend(&side, &entries);
        root.present().expect(INFALLIBLE);
    }
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the SVG has a text element reading `text` (plotters writes it on its own line).
    pub(crate) fn has_text(svg: &str, text: &str) -> bool {
        svg.contains(&format!(">\n{text}\n</text>"))
    }

    #[test]
    fn a_line_chart_has_its_lines_axes_and_legend() {
        let series = [
            Series { name: "up".into(), points: vec![(0.0, 0.1), (1.0, 0.5), (2.0, 0.9)], colour: "#c0392b" },
            Series { name: "flat".into(), points: vec![(0.0, 0.3), (2.0, 0.3)], colour: "#2980b9" },
        ];
        let svg = line_chart(&series, &Labels { title: "T", x: "steps", y: "HR@10" }, &|x| format!("{x:.0}"), (520, 300));
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{svg}");
        for line in ["stroke=\"#C0392B\" stroke-width=\"2\"", "stroke=\"#2980B9\" stroke-width=\"2\""] {
            assert_eq!(svg.matches(line).count(), 1, "{line}: {svg}");
        }
        for text in ["T", "steps", "HR@10", "up", "flat", "0.50"] {
            assert!(has_text(&svg, text), "{text} missing: {svg}");
        }
    }

    #[test]
    fn a_bar_chart_has_a_bar_per_row_and_group() {
        let rows = vec![("Original".to_string(), vec![0.2, 0.5, 0.7]), ("Retrained".to_string(), vec![0.1, 0.4, 0.6])];
        let svg = bar_chart(&["HR@1", "HR@5", "HR@10"], &rows, "Comparison", (640, 300));
        // 6 bars, 2 legend swatches and the background.
        assert!(svg.matches("<rect").count() >= 6 + 2, "{svg}");
        for text in ["HR@1", "HR@10", "Original", "Retrained", "Comparison"] {
            assert!(has_text(&svg, text), "{text} missing: {svg}");
        }
    }
}
