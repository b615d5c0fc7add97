//! Small charts drawn on the server as inline SVG (no script, no chart library): a sparkline per
//! listing, views and clicks per marketplace day by day, and views and clicks per month.

use std::fmt::Write;

/// Colours of the marketplaces in a chart and its legend, in order of clicks.
pub const PALETTE: [&str; 8] = [
    "#c2410c", "#1d4ed8", "#7c3aed", "#0f766e", "#b91c1c", "#a16207", "#be185d", "#334155",
];
pub const VIEWS_COLOR: &str = "#245c34";
pub const CLICKS_COLOR: &str = "#c2410c";

fn max_of<'a>(values: impl IntoIterator<Item = &'a i64>) -> f64 {
    values.into_iter().copied().max().unwrap_or(0).max(1) as f64
}

/// A number in an SVG attribute: one decimal at most.
fn n(v: f64) -> String {
    let rounded = (v * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded:.1}")
    }
}

/// Views and clicks per day as two lines, 120×28, for a row of the listings page.
pub fn sparkline(views: &[i64], clicks: &[i64]) -> String {
    let (w, h) = (120.0, 28.0);
    let max = max_of(views.iter().chain(clicks));
    let line = |values: &[i64], color: &str| {
        let step = w / (values.len().max(2) - 1) as f64;
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                format!(
                    "{},{}",
                    n(i as f64 * step),
                    n(h - 1.0 - (*v as f64 / max) * (h - 2.0))
                )
            })
            .collect();
        format!(
            r#"<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{}"/>"#,
            points.join(" ")
        )
    };
    format!(
        r#"<svg class="spark" viewBox="0 0 120 28" width="120" height="28" aria-hidden="true">{}{}</svg>"#,
        line(views, VIEWS_COLOR),
        line(clicks, CLICKS_COLOR)
    )
}

/// One stacked series of a bar chart.
pub struct Series<'a> {
    pub color: &'a str,
    pub values: &'a [i64],
}

/// Day by day: views as bars in the upper panel, clicks stacked per marketplace in the lower;
/// the first and last day under them. `label` names the chart for screen readers.
pub fn daily(
    label: &str,
    views: &[i64],
    clicks: &[Series<'_>],
    first_day: &str,
    last_day: &str,
) -> String {
    let days = views.len().max(1);
    let (w, top_h, gap, bottom_h, foot) = (600.0, 110.0, 18.0, 70.0, 16.0);
    let slot = w / days as f64;
    let bar = (slot * 0.8).max(1.0);
    let views_max = max_of(views);
    let clicks_total: Vec<i64> = (0..days)
        .map(|d| {
            clicks
                .iter()
                .map(|s| s.values.get(d).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    let clicks_max = max_of(&clicks_total);
    let height = top_h + gap + bottom_h + foot;
    let mut svg = String::with_capacity(64 * days * (1 + clicks.len()));
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {w} {height}" role="img" aria-label="{}" preserveAspectRatio="none">"#,
        escape(label)
    );
    let _ = write!(
        svg,
        r##"<line x1="0" y1="{top_h}" x2="{w}" y2="{top_h}" stroke="#ccc"/><line x1="0" y1="{b}" x2="{w}" y2="{b}" stroke="#ccc"/>"##,
        b = top_h + gap + bottom_h
    );
    let _ = write!(svg, r#"<g fill="{VIEWS_COLOR}">"#);
    for (i, v) in views.iter().enumerate().filter(|(_, v)| **v > 0) {
        let bh = (*v as f64 / views_max) * (top_h - 12.0);
        let _ = write!(
            svg,
            r#"<rect x="{}" y="{}" width="{}" height="{}"/>"#,
            n(i as f64 * slot),
            n(top_h - bh),
            n(bar),
            n(bh)
        );
    }
    svg.push_str("</g>");
    let base = top_h + gap + bottom_h;
    let mut stacked = vec![0.0f64; days];
    for s in clicks {
        let _ = write!(svg, r#"<g fill="{}">"#, s.color);
        for (i, v) in s.values.iter().enumerate().filter(|(_, v)| **v > 0) {
            let bh = (*v as f64 / clicks_max) * (bottom_h - 12.0);
            let Some(below) = stacked.get_mut(i) else {
                continue;
            };
            let _ = write!(
                svg,
                r#"<rect x="{}" y="{}" width="{}" height="{}"/>"#,
                n(i as f64 * slot),
                n(base - *below - bh),
                n(bar),
                n(bh)
            );
            *below += bh;
        }
        svg.push_str("</g>");
    }
    let _ = write!(
        svg,
        r##"<g font-size="11" fill="#555"><text x="2" y="10">{}</text><text x="2" y="{}">{}</text><text x="0" y="{}">{}</text><text x="{w}" y="{}" text-anchor="end">{}</text></g></svg>"##,
        views_max as i64,
        top_h + gap + 10.0,
        clicks_max as i64,
        height - 3.0,
        escape(first_day),
        height - 3.0,
        escape(last_day),
    );
    svg
}

/// Per month: views and clicks side by side (each scaled to its own largest month), with the
/// months under them.
pub fn monthly(label: &str, months: &[String], views: &[i64], clicks: &[i64]) -> String {
    let count = months.len().max(1);
    let (w, h, foot) = (360.0, 80.0, 14.0);
    let slot = w / count as f64;
    let bar = slot * 0.38;
    let (views_max, clicks_max) = (max_of(views), max_of(clicks));
    let mut svg = String::with_capacity(160 * count);
    let _ = write!(
        svg,
        r#"<svg class="chart month" viewBox="0 0 {w} {}" role="img" aria-label="{}">"#,
        h + foot,
        escape(label)
    );
    for (i, m) in months.iter().enumerate() {
        let x = i as f64 * slot + slot * 0.1;
        let v = views.get(i).copied().unwrap_or(0);
        let c = clicks.get(i).copied().unwrap_or(0);
        let vh = (v as f64 / views_max) * (h - 4.0);
        let ch = (c as f64 / clicks_max) * (h - 4.0);
        let _ = write!(
            svg,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{VIEWS_COLOR}"><title>{m}: {v}</title></rect><rect x="{}" y="{}" width="{}" height="{}" fill="{CLICKS_COLOR}"><title>{m}: {c}</title></rect>"#,
            n(x),
            n(h - vh),
            n(bar),
            n(vh),
            n(x + bar),
            n(h - ch),
            n(bar),
            n(ch),
        );
        // "2026-11" → "11": the year is in the table beside the chart.
        let short = m.rsplit('-').next().unwrap_or(m);
        let _ = write!(
            svg,
            r##"<text x="{}" y="{}" font-size="9" fill="#555" text-anchor="middle">{short}</text>"##,
            n(x + bar),
            n(h + foot - 3.0)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Text made safe inside an SVG attribute or element.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_svg_with_one_bar_per_day_that_had_views() {
        let svg = daily(
            "a \"chart\"",
            &[0, 3, 0, 6],
            &[Series {
                color: PALETTE[0],
                values: &[1, 0, 0, 2],
            }],
            "01/11",
            "04/11",
        );
        assert!(svg.starts_with("<svg"));
        assert!(svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<rect").count(), 4);
        assert!(svg.contains("aria-label=\"a &quot;chart&quot;\""));
        let spark = sparkline(&[0, 1, 2], &[0, 0, 1]);
        assert_eq!(spark.matches("<polyline").count(), 2);
        let month = monthly("m", &["2026-11".into(), "2026-12".into()], &[5, 0], &[1, 0]);
        assert_eq!(month.matches("<rect").count(), 4);
    }
}
