//! Every SVG chart of the HTML reports, drawn with plotters: one line chart (scores over dates,
//! curves over turns) and one kind of horizontal bars (scores 0–100 or counts), with the
//! shared colours.

use std::ops::Range;

use plotters::prelude::*;
/// The colour type of the charts (plotters'), for callers that pick colours.
pub use plotters::style::RGBColor;

use crate::text::safe::terminal_safe;

/// Good scores and well rated dialogues.
pub const GOOD: RGBColor = RGBColor(47, 133, 90);
/// Middling scores, anxious customers.
pub const FAIR: RGBColor = RGBColor(214, 158, 46);
/// Poor scores, poorly rated dialogues, angry customers.
pub const POOR: RGBColor = RGBColor(197, 48, 48);
/// The colour of plain counts and of a single line.
pub const NEUTRAL: RGBColor = RGBColor(31, 78, 121);
/// The colour of counts of mistakes.
pub const MISTAKE: RGBColor = RGBColor(221, 107, 32);
pub const VIOLET: RGBColor = RGBColor(128, 90, 213);
pub const SLATE: RGBColor = RGBColor(82, 96, 109);
pub const TEAL: RGBColor = RGBColor(49, 151, 149);
/// Colours of lines by order, for lines without a colour of their own.
pub const SERIES: [RGBColor; 8] = [POOR, NEUTRAL, FAIR, GOOD, VIOLET, SLATE, MISTAKE, TEAL];

/// One axis of a line chart.
pub struct Axis<'a, T> {
    /// Its name, beside the axis.
    pub desc: &'a str,
    pub range: Range<T>,
    /// About how many values are labelled.
    pub labels: usize,
    /// The room for the labels, in pixels.
    pub area: u32,
    pub format: &'a dyn Fn(&T) -> String,
}

/// One point of a line; a flagged one is drawn as a red square instead of a dot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f32,
    pub flagged: bool,
}

/// One line of a line chart; a labelled one has an entry in the legend.
pub struct Line<'a> {
    pub label: Option<&'a str>,
    pub color: RGBColor,
    pub points: Vec<Point>,
}

/// A line chart: lines of points over two axes, a caption, optionally a horizontal guide (a pass
/// mark) and a legend in the upper right corner.
pub struct LineChart<'a> {
    pub title: &'a str,
    pub width: u32,
    pub height: u32,
    pub x: Axis<'a, f64>,
    pub y: Axis<'a, f32>,
    /// A thin red line across the chart at this value.
    pub guide: Option<f32>,
    pub lines: Vec<Line<'a>>,
    /// Whether to draw the legend (a box naming the labelled lines).
    pub legend: bool,
}

/// The SVG of a line chart. Drawn in this order: the grid and axes, the guide, then each line
/// (its path, its dots, its flagged points), then the legend.
pub fn line_chart(c: &LineChart) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (c.width, c.height)).into_drawing_area();
        let _ = root.fill(&WHITE);
        // plotters escapes markup in SVG text; control characters are escaped here.
        let chart = ChartBuilder::on(&root)
            .caption(terminal_safe(c.title), ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(c.x.area)
            .y_label_area_size(c.y.area)
            .build_cartesian_2d(c.x.range.clone(), c.y.range.clone());
        if let Ok(mut chart) = chart {
            let _ = chart
                .configure_mesh()
                .x_desc(c.x.desc)
                .y_desc(c.y.desc)
                .x_labels(c.x.labels)
                .x_label_formatter(c.x.format)
                .y_labels(c.y.labels)
                .y_label_formatter(c.y.format)
                .draw();
            if let Some(y) = c.guide {
                let (from, to) = (c.x.range.start, c.x.range.end);
                let _ = chart.draw_series(LineSeries::new([(from, y), (to, y)], RED.mix(0.6).stroke_width(1)));
            }
            for line in &c.lines {
                let color = line.color;
                let path = LineSeries::new(line.points.iter().map(|p| (p.x, p.y)), color.stroke_width(2));
                if let (Ok(series), Some(label)) = (chart.draw_series(path), line.label) {
                    series
                        .label(terminal_safe(label))
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2)));
                }
                let dots = line.points.iter().filter(|p| !p.flagged);
                let _ = chart.draw_series(dots.map(|p| Circle::new((p.x, p.y), 3, color.filled())));
                let flagged = line.points.iter().filter(|p| p.flagged);
                let _ = chart.draw_series(
                    flagged.map(|p| EmptyElement::at((p.x, p.y)) + Rectangle::new([(-4, -4), (4, 4)], RED.filled())),
                );
            }
            if c.legend {
                let _ = chart
                    .configure_series_labels()
                    .background_style(WHITE.mix(0.85))
                    .border_style(RGBColor(203, 210, 217))
                    .position(SeriesLabelPosition::UpperRight)
                    .label_font(("sans-serif", 13))
                    .draw();
            }
        }
        let _ = root.present();
    }
    svg
}

/// The civil date (year, month, day) of a count of days since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    // Howard Hinnant's algorithm.
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// "11-05" for a Julian day.
pub fn month_day(julian_day: f64) -> String {
    let (_, m, d) = civil_from_days((julian_day + 0.5).floor() as i64 - 2_440_588);
    format!("{m:02}-{d:02}")
}

/// A line chart of overall scores over dates (local Julian days) with the pass mark; sessions
/// with an incident (`points[i].2`) are drawn as red squares.
pub fn trend_svg(points: &[(f64, f32, bool)], pass_mark: f32, width: u32, height: u32) -> String {
    let first = points.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let last = points.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
    let (from, to) = if points.is_empty() {
        (0.0, 1.0)
    } else if last - first < 1.0 {
        (first.floor() - 0.5, first.floor() + 1.5)
    } else {
        (first, last)
    };
    line_chart(&LineChart {
        title: "总分趋势（按日期；红色方块为有事件的练习）",
        width,
        height,
        x: Axis {
            desc: "日期",
            range: from..to,
            labels: ((to - from).ceil() as usize + 1).clamp(2, 8),
            area: 28,
            format: &|x| month_day(*x),
        },
        y: Axis { desc: "分", range: 0.0..100.0, labels: 6, area: 36, format: &|y| format!("{y:.0}") },
        guide: Some(pass_mark),
        lines: vec![Line {
            label: None,
            color: NEUTRAL,
            points: points.iter().map(|&(x, y, flagged)| Point { x, y, flagged }).collect(),
        }],
        legend: false,
    })
}

/// How bars are coloured and labelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BarStyle {
    /// Scores 0–100: green from 70, amber from 50, red below.
    Score,
    /// Counts: one colour, the count and its unit (次, 段 …) as label; the largest is the longest.
    Count { unit: &'static str, color: RGBColor },
}

/// Horizontal bars of scores (label, value 0–100), coloured by how good they are.
pub fn score_bars_svg(title: &str, bars: &[(String, f32)], width: u32) -> String {
    bars_svg(title, bars, width, BarStyle::Score)
}

/// Horizontal bars of counts in one colour, labelled with the count and `unit` (段, 次 …); the
/// largest count (at least 1) fills the row.
pub fn count_bars_svg(title: &str, bars: &[(String, f32)], unit: &'static str, color: RGBColor, width: u32) -> String {
    bars_svg(title, bars, width, BarStyle::Count { unit, color })
}

/// The room of a bar's label, left of the bars.
const LABEL_W: i32 = 130;
/// The height of one bar's row.
const ROW: u32 = 26;

fn bars_svg(title: &str, bars: &[(String, f32)], width: u32, style: BarStyle) -> String {
    let height = 50 + ROW * bars.len().max(1) as u32;
    let max = bars.iter().map(|b| b.1).fold(0.0f32, f32::max).max(1.0) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        let _ = root.fill(&WHITE);
        // plotters escapes markup in SVG text; control characters are escaped here.
        let _ = root.draw(&Text::new(terminal_safe(title).into_owned(), (12, 8), ("sans-serif", 18).into_font()));
        let bar_w = width as i32 - LABEL_W - 70;
        for (i, (label, value)) in bars.iter().enumerate() {
            let y = 40 + (i as i32) * ROW as i32;
            let (fraction, color, text) = match style {
                BarStyle::Score => {
                    let v = value.clamp(0.0, 100.0);
                    let color = if v >= 70.0 {
                        GOOD
                    } else if v >= 50.0 {
                        FAIR
                    } else {
                        POOR
                    };
                    (v / 100.0, color, format!("{v:.1}"))
                }
                BarStyle::Count { unit, color } => (value / max as f32, color, format!("{value:.0} {unit}")),
            };
            let w = (bar_w as f32 * fraction.clamp(0.0, 1.0)) as i32;
            let _ =
                root.draw(&Text::new(terminal_safe(label).into_owned(), (12, y + 4), ("sans-serif", 14).into_font()));
            let _ =
                root.draw(&Rectangle::new([(LABEL_W, y), (LABEL_W + bar_w, y + 18)], RGBColor(237, 242, 247).filled()));
            let _ = root.draw(&Rectangle::new([(LABEL_W, y), (LABEL_W + w, y + 18)], color.filled()));
            let _ = root.draw(&Text::new(text, (LABEL_W + bar_w + 8, y + 3), ("sans-serif", 14).into_font()));
        }
        let _ = root.present();
    }
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SVG elements named `tag` (`<rect`, `<circle` …) that hold `attr`.
    fn elements<'a>(svg: &'a str, tag: &str, attr: &str) -> Vec<&'a str> {
        svg.split('<').filter(|e| e.starts_with(tag) && e.contains(attr)).collect()
    }

    /// The number in `name="…"` of an element.
    fn number(element: &str, name: &str) -> i32 {
        let at = element.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        element[at..].split('"').next().unwrap().parse().unwrap()
    }

    /// How an SVG text element holding `t` ends.
    fn text(t: &str) -> String {
        format!(">\n{t}\n</text>")
    }

    fn is_svg(svg: &str, width: u32, height: u32) {
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{svg}");
        assert!(svg.contains(&format!("width=\"{width}\" height=\"{height}\"")), "{svg}");
    }

    fn bars(values: &[f32]) -> Vec<(String, f32)> {
        values.iter().enumerate().map(|(i, v)| (format!("第{i}项"), *v)).collect()
    }

    #[test]
    fn count_bars_scale_to_the_largest_and_say_count_and_unit() {
        let svg = count_bars_svg("各主题", &bars(&[10.0, 5.0, 0.0]), "段", NEUTRAL, 400);
        is_svg(&svg, 400, 50 + 3 * ROW);
        // A track and a bar a row; the largest fills its track (400 − 130 − 70 = 200 pixels).
        let tracks = elements(&svg, "rect", "fill=\"#EDF2F7\"");
        let filled = elements(&svg, "rect", "fill=\"#1F4E79\"");
        assert_eq!((tracks.len(), filled.len()), (3, 3));
        let widths: Vec<i32> = filled.iter().map(|r| number(r, "width")).collect();
        assert_eq!(widths, [200, 100, 0]);
        assert!(tracks.iter().all(|t| number(t, "width") == 200));
        let rows: Vec<i32> = filled.iter().map(|r| number(r, "y")).collect();
        assert_eq!(rows, [40, 66, 92]);
        for t in ["各主题", "第0项", "第2项", "10 段", "5 段", "0 段"] {
            assert!(svg.contains(&text(t)), "{t} in {svg}");
        }
        // Counts below 1 are drawn against 1, not stretched to the full width.
        let small = count_bars_svg("少", &bars(&[0.5]), "次", MISTAKE, 400);
        let bar = elements(&small, "rect", "fill=\"#DD6B20\"");
        assert_eq!(bar.iter().map(|r| number(r, "width")).collect::<Vec<_>>(), [100]);
    }

    #[test]
    fn score_bars_are_clamped_to_0_to_100_and_coloured_at_70_and_50() {
        let svg = score_bars_svg("各项", &bars(&[-5.0, 49.9, 50.0, 69.9, 70.0, 100.0, 150.0]), 330);
        is_svg(&svg, 330, 50 + 7 * ROW);
        let colour = |c: RGBColor| elements(&svg, "rect", &format!("fill=\"#{:02X}{:02X}{:02X}\"", c.0, c.1, c.2));
        let (poor, fair, good) = (colour(POOR), colour(FAIR), colour(GOOD));
        assert_eq!((poor.len(), fair.len(), good.len()), (2, 2, 3));
        // 330 − 130 − 70 = 130 pixels for 100 points.
        assert_eq!(poor.iter().map(|r| number(r, "width")).collect::<Vec<_>>(), [0, 64]);
        assert_eq!(good.iter().map(|r| number(r, "width")).collect::<Vec<_>>(), [91, 130, 130]);
        for t in ["0.0", "49.9", "50.0", "70.0", "100.0"] {
            assert!(svg.contains(&text(t)), "{t}");
        }
        assert!(!svg.contains(&text("150.0")) && !svg.contains(&text("-5.0")), "values are shown clamped");
    }

    #[test]
    fn bar_titles_and_labels_are_escaped() {
        let hostile = vec![("<b>甲&乙</b>\u{1b}[2J".to_string(), 3.0)];
        let svg = count_bars_svg("标题<script>\u{202e}", &hostile, "次", NEUTRAL, 400);
        assert!(svg.contains("&lt;b&gt;甲&amp;乙&lt;/b&gt;\\u{1b}[2J"), "{svg}");
        assert!(svg.contains("标题&lt;script&gt;\\u{202e}"), "{svg}");
        for raw in ["<b>", "<script", "\u{1b}", "\u{202e}"] {
            assert!(!svg.contains(raw), "raw {raw:?}");
        }
    }

    #[test]
    fn no_bars_give_a_chart_with_only_its_title() {
        let svg = count_bars_svg("没有数据", &[], "段", NEUTRAL, 400);
        is_svg(&svg, 400, 50 + ROW);
        assert!(svg.contains(&text("没有数据")));
        assert!(elements(&svg, "rect", "#EDF2F7").is_empty() && elements(&svg, "rect", "#1F4E79").is_empty());
        assert_eq!(svg.matches("<text").count(), 1);
    }

    #[test]
    fn month_day_reads_julian_days_at_noon() {
        assert_eq!(month_day(2_440_588.0), "01-01"); // 1970-01-01
        assert_eq!(month_day(2_440_588.0 + 20_089.0), "01-01"); // 2025-01-01
        assert_eq!(month_day(2_440_588.0 + 19_782.0), "02-29"); // 2024-02-29
        assert_eq!(month_day(2_440_588.0 + 19_782.4), "02-29", "a day runs to the next midnight");
        assert_eq!(month_day(2_440_588.0 + 19_782.5), "03-01");
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn the_trend_draws_a_dot_per_clean_session_a_square_per_incident_and_the_pass_mark() {
        let day = 2_440_588.0 + 20_089.0; // 2025-01-01
        let points = [(day, 0.0, false), (day + 1.0, 100.0, false), (day + 2.0, 55.0, true), (day + 3.0, 80.0, false)];
        let svg = trend_svg(&points, 70.0, 620, 300);
        is_svg(&svg, 620, 300);
        let dots = elements(&svg, "circle", "fill=\"#1F4E79\"");
        assert_eq!(dots.len(), 3);
        let squares = elements(&svg, "rect", "fill=\"#FF0000\"");
        assert_eq!(squares.len(), 1);
        assert_eq!((number(squares[0], "width"), number(squares[0], "height")), (8, 8));
        // One path through all four points, one pass-mark line.
        let path = elements(&svg, "polyline", "stroke=\"#1F4E79\"");
        assert_eq!(path.len(), 1);
        assert_eq!(path[0].matches(',').count(), 4, "{}", path[0]);
        let guide = elements(&svg, "polyline", "stroke=\"#FF0000\"");
        assert_eq!(guide.len(), 1);
        // The scale's edges: 100 at the top, 0 at the bottom, 70 in between; time runs right.
        let (low, high) = (number(dots[0], "cy"), number(dots[1], "cy"));
        assert!(high < low, "100 is drawn above 0");
        let guide_y: i32 =
            guide[0].split("points=\"").nth(1).unwrap().split([',', ' ']).nth(1).unwrap().parse().unwrap();
        assert!(high < guide_y && guide_y < low, "{high} < {guide_y} < {low}");
        assert!(number(dots[0], "cx") < number(dots[1], "cx") && number(dots[1], "cx") < number(dots[2], "cx"));
        for t in ["总分趋势（按日期；红色方块为有事件的练习）", "日期", "分", "01-01", "01-04", "100", "0"]
        {
            assert!(svg.contains(&text(t)), "{t}");
        }
    }

    #[test]
    fn a_trend_of_one_day_spans_the_days_around_it_and_an_empty_one_is_still_a_chart() {
        let day = 2_440_588.0 + 20_089.0;
        let one = trend_svg(&[(day, 90.0, false), (day + 0.2, 40.0, false)], 70.0, 620, 300);
        assert_eq!(elements(&one, "circle", "#1F4E79").len(), 2);
        assert!(one.contains(&text("01-01")), "the day is labelled");
        let empty = trend_svg(&[], 70.0, 620, 300);
        is_svg(&empty, 620, 300);
        assert!(empty.contains("总分趋势") && empty.contains(&text("分")));
        assert!(elements(&empty, "circle", "").is_empty() && elements(&empty, "rect", "#FF0000").is_empty());
        assert_eq!(elements(&empty, "polyline", "#FF0000").len(), 1, "the pass mark is still drawn");
    }

    fn curve<'a>(label: &'a str, color: RGBColor, ys: &[f32]) -> Line<'a> {
        let points = ys.iter().enumerate().map(|(i, &y)| Point { x: i as f64 + 1.0, y, flagged: false }).collect();
        Line { label: Some(label), color, points }
    }

    fn curves(lines: Vec<Line>, legend: bool) -> String {
        line_chart(&LineChart {
            title: "情绪<曲线>",
            width: 560,
            height: 320,
            x: Axis { desc: "第几句", range: 1.0..4.0, labels: 4, area: 30, format: &|x| format!("{x:.0}") },
            y: Axis { desc: "愤怒", range: 0.0..1.0, labels: 6, area: 40, format: &|y| format!("{y:.1}") },
            guide: None,
            lines,
            legend,
        })
    }

    #[test]
    fn a_line_chart_draws_each_line_with_its_dots_and_names_them_in_the_legend() {
        let svg =
            curves(vec![curve("好评<对话>", GOOD, &[0.1, 0.2, 0.3, 0.4]), curve("差评", POOR, &[1.0, 0.0])], true);
        is_svg(&svg, 560, 320);
        assert_eq!(elements(&svg, "circle", "fill=\"#2F855A\"").len(), 4);
        assert_eq!(elements(&svg, "circle", "fill=\"#C53030\"").len(), 2);
        // Each line's path, and its sample in the legend.
        assert_eq!(elements(&svg, "polyline", "stroke=\"#2F855A\"").len(), 2);
        assert_eq!(elements(&svg, "polyline", "stroke=\"#C53030\"").len(), 2);
        assert!(svg.contains(&text("好评&lt;对话&gt;")) && svg.contains(&text("差评")), "the legend, escaped");
        assert!(svg.contains(&text("情绪&lt;曲线&gt;")) && !svg.contains("<曲线>"), "the caption, escaped");
        assert!(elements(&svg, "polyline", "#FF0000").is_empty(), "no guide unless asked");
        for t in ["第几句", "愤怒", "0.0", "1.0", "4"] {
            assert!(svg.contains(&text(t)), "{t}");
        }
        // 1.0 at the top of the scale, 0.0 at its bottom.
        let red = elements(&svg, "circle", "fill=\"#C53030\"");
        assert!(number(red[0], "cy") < number(red[1], "cy"));
        // Without the legend: no names, no samples.
        let bare = curves(vec![curve("好评", GOOD, &[0.1, 0.2])], false);
        assert!(!bare.contains(&text("好评")));
        assert_eq!(elements(&bare, "polyline", "stroke=\"#2F855A\"").len(), 1);
    }

    #[test]
    fn a_line_chart_without_lines_is_still_a_chart() {
        let svg = curves(Vec::new(), true);
        is_svg(&svg, 560, 320);
        assert!(svg.contains(&text("情绪&lt;曲线&gt;")) && svg.contains(&text("第几句")));
        assert!(elements(&svg, "circle", "").is_empty());
    }
}
