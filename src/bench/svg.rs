//! A small SVG writer for grouped horizontal bar charts (the side-by-side
//! plots in docs/img/). Hand-written: a bar chart is a few rectangles and
//! labels, not worth a plotting dependency in the daemon binary.

use std::fmt::Write as _;

/// One group of bars (e.g. "QoS 1 throughput"), one bar per series.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub label: String,
    /// `(series, value)`; series names pick the colour by order of first use.
    pub bars: Vec<(String, f64)>,
}

const PALETTE: [&str; 4] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd"];
const WIDTH: f64 = 760.0;
const LABEL_W: f64 = 220.0;
const BAR_H: f64 = 18.0;
const GAP: f64 = 14.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Formats a value with up to 3 significant decimals.
pub fn num(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A grouped horizontal bar chart; every group is scaled to the largest
/// value of the whole chart, `unit` is appended to the value labels.
pub fn bar_chart(title: &str, unit: &str, groups: &[Group]) -> String {
    let mut series: Vec<&str> = Vec::new();
    for g in groups {
        for (s, _) in &g.bars {
            if !series.contains(&s.as_str()) {
                series.push(s);
            }
        }
    }
    let max = groups
        .iter()
        .flat_map(|g| g.bars.iter().map(|b| b.1))
        .fold(0.0f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let plot_w = WIDTH - LABEL_W - 90.0;
    let rows: usize = groups.iter().map(|g| g.bars.len()).sum();
    let height = 60.0 + rows as f64 * BAR_H + groups.len() as f64 * GAP + 30.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="10" y="22" font-size="15" font-weight="bold">{}</text>"#,
        escape(title)
    );
    // Legend.
    let mut lx = 10.0;
    for (i, name) in series.iter().enumerate() {
        let c = PALETTE[i % PALETTE.len()];
        let _ = writeln!(
            s,
            r#"<rect x="{lx}" y="32" width="12" height="12" fill="{c}"/>"#
        );
        let _ = writeln!(
            s,
            r#"<text x="{}" y="43">{}</text>"#,
            lx + 16.0,
            escape(name)
        );
        lx += 30.0 + 7.0 * name.len() as f64;
    }
    let mut y = 60.0;
    for g in groups {
        let gy = y + g.bars.len() as f64 * BAR_H / 2.0 + 4.0;
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{gy}" text-anchor="end">{}</text>"#,
            LABEL_W - 8.0,
            escape(&g.label)
        );
        for (name, v) in &g.bars {
            let i = series.iter().position(|x| x == name).unwrap_or(0);
            let c = PALETTE[i % PALETTE.len()];
            let w = (v / max * plot_w).max(0.0);
            let _ = writeln!(
                s,
                r#"<rect x="{LABEL_W}" y="{y}" width="{w:.1}" height="{}" fill="{c}"/>"#,
                BAR_H - 3.0
            );
            let _ = writeln!(
                s,
                r#"<text x="{:.1}" y="{}">{} {}</text>"#,
                LABEL_W + w + 4.0,
                y + BAR_H - 6.0,
                num(*v),
                escape(unit)
            );
            y += BAR_H;
        }
        y += GAP;
    }
    let _ = writeln!(
        s,
        r#"<line x1="{LABEL_W}" y1="55" x2="{LABEL_W}" y2="{}" stroke="black"/>"#,
        y - GAP + 4.0
    );
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bar_is_scaled_to_the_largest_value_and_labelled() {
        let groups = vec![
            Group {
                label: "QoS 0".into(),
                bars: vec![("gsmq".into(), 100.0), ("mosquitto".into(), 50.0)],
            },
            Group {
                label: "QoS <1>".into(),
                bars: vec![("gsmq".into(), 25.0)],
            },
        ];
        let svg = bar_chart("Throughput & co", "msg/s", &groups);
        assert!(svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("Throughput &amp; co"));
        assert!(svg.contains("QoS &lt;1&gt;"));
        let plot_w = WIDTH - LABEL_W - 90.0;
        assert!(svg.contains(&format!(r#"width="{plot_w:.1}""#)), "{svg}");
        assert!(svg.contains(&format!(r#"width="{:.1}""#, plot_w / 2.0)));
        assert!(svg.contains("25.0 msg/s"));
        // Two series: two legend entries, colours by first use.
        assert_eq!(svg.matches(r##"fill="#ff7f0e""##).count(), 2);
    }

    #[test]
    fn an_empty_chart_is_still_a_valid_document() {
        let svg = bar_chart("nothing", "ms", &[]);
        assert!(svg.contains("</svg>"));
    }
}
