//! A route on a map: a ratatui [`Canvas`] in braille dots.
//!
//! The route runs from the depot through its stops in order and back; the
//! selected stop, late and at-risk stops and the depot are drawn as glyphs on
//! top, so they read without colour (`@` selected, `!` late, `?` at risk, `o`
//! other stops, `D` the depot). Other routes of the day can be drawn under it
//! as faint lines (as dots in a theme without colours).
//!
//! Scaling: longitude is multiplied by cos(latitude) so a kilometre is as long
//! across as up; the route's bounding box (stops and depot) plus a margin is
//! fitted into the area keeping that aspect (a braille dot is about as wide as
//! it is tall: two dots across and four down a cell twice as tall as wide).
//!
//! Everything is a pure function of plain inputs ([`RouteMap`], a [`Theme`]
//! and an area), so it is snapshot-tested on a `TestBackend`; a hidden map is
//! never drawn and costs nothing.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::widgets::canvas::{Canvas, Context, Line, Points};
use ratatui::widgets::{Block, Borders, Widget};

use crate::view::theme::Theme;
use crate::view::widgets::put;

/// Narrowest map drawn (border included).
pub const MIN_WIDTH: u16 = 24;
/// Shortest map drawn (border included).
pub const MIN_HEIGHT: u16 = 8;
/// Widest map drawn beside a list.
pub const MAX_WIDTH: u16 = 64;
/// Cells the stop list keeps beside the map.
pub const LIST_MIN_WIDTH: u16 = 48;
/// Rows the stop list keeps above the map.
pub const LIST_MIN_HEIGHT: u16 = 10;

/// Extra room around the route's bounding box, as a share of its size.
const MARGIN: f64 = 0.08;
/// Smallest span mapped, in degrees of latitude (≈ 550 m), so a route of one
/// stop is not a single dot blown up to the whole map.
const MIN_SPAN: f64 = 0.005;
/// Kilometres in a degree of latitude.
const KM_PER_DEGREE: f64 = 111.32;

/// Narrowest map drawn (border included).
pub fn min_width() -> u16 {
    MIN_WIDTH
}

/// Shortest map drawn (border included).
pub fn min_height() -> u16 {
    MIN_HEIGHT
}

/// How a stop is marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StopMark {
    /// Nothing to say: `o`.
    #[default]
    Plain,
    /// On time but close to its window's end: `?`.
    AtRisk,
    /// Late: `!`.
    Late,
}

impl StopMark {
    /// The glyph drawn for the stop.
    pub fn glyph(self) -> &'static str {
        match self {
            StopMark::Plain => "o",
            StopMark::AtRisk => "?",
            StopMark::Late => "!",
        }
    }
}

/// One stop: `[longitude, latitude]` when known, and its mark.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MapStop {
    /// `[lon, lat]` (GeoJSON order, as eLogii sends it); `None` when unknown.
    pub at: Option<[f64; 2]>,
    /// How it is marked.
    pub mark: StopMark,
}

/// Everything the map draws.
#[derive(Debug, Clone, Copy, Default)]
pub struct RouteMap<'a> {
    /// The route's stops in order.
    pub stops: &'a [MapStop],
    /// The depot the route leaves from and returns to.
    pub depot: Option<[f64; 2]>,
    /// Index into `stops` of the selected stop.
    pub selected: Option<usize>,
    /// Other routes of the day (each a line of `[lon, lat]` points), drawn faint.
    pub others: &'a [Vec<[f64; 2]>],
    /// Shown in the top border (the route's name or uid).
    pub title: &'a str,
}

/// Where the stop list and the map go in an area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// The stop list.
    pub list: Rect,
    /// The map, when there is room for it and it is wanted.
    pub map: Option<Rect>,
}

/// Splits `area` between a list and the map: beside it when the area is wide
/// enough ([`LIST_MIN_WIDTH`] + [`MIN_WIDTH`] cells), under it when the area
/// is tall and narrow, or no map at all (also when `show` is false).
pub fn place(area: Rect, show: bool) -> Placement {
    let none = Placement {
        list: area,
        map: None,
    };
    if !show {
        return none;
    }
    let tall = area.height >= LIST_MIN_HEIGHT + MIN_HEIGHT + 12;
    let wide = area.width >= LIST_MIN_WIDTH + MIN_WIDTH;
    // Prefer under when the area is taller than wide on screen (a cell is
    // about twice as tall as wide).
    let portrait = u32::from(area.height) * 2 > u32::from(area.width);
    if wide && !(portrait && tall) {
        let w = (area.width * 2 / 5).clamp(MIN_WIDTH, MAX_WIDTH);
        let w = w.min(area.width - LIST_MIN_WIDTH);
        if area.height < MIN_HEIGHT {
            return none;
        }
        return Placement {
            list: Rect {
                width: area.width - w,
                ..area
            },
            map: Some(Rect {
                x: area.x + area.width - w,
                width: w,
                ..area
            }),
        };
    }
    if tall && area.width >= MIN_WIDTH {
        let h = (area.height * 2 / 5).max(MIN_HEIGHT);
        return Placement {
            list: Rect {
                height: area.height - h,
                ..area
            },
            map: Some(Rect {
                y: area.y + area.height - h,
                height: h,
                ..area
            }),
        };
    }
    none
}

/// The map's view of the world: a projection and bounds fitted to an area.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Frame {
    /// cos(latitude) of the route's centre: longitude × this = x.
    k: f64,
    x: [f64; 2],
    y: [f64; 2],
    /// Braille dots across and down.
    dots: (f64, f64),
}

impl Frame {
    /// Fits the points (already `[lon, lat]`) into `cols` × `rows` cells.
    fn fit(points: &[[f64; 2]], cols: u16, rows: u16) -> Option<Frame> {
        let finite = points
            .iter()
            .filter(|p| p[0].is_finite() && p[1].is_finite());
        let (mut lat_lo, mut lat_hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for p in finite.clone() {
            lat_lo = lat_lo.min(p[1]);
            lat_hi = lat_hi.max(p[1]);
        }
        if lat_lo > lat_hi || cols == 0 || rows == 0 {
            return None;
        }
        let k = ((lat_lo + lat_hi) / 2.0).to_radians().cos().max(0.05);
        let (mut x_lo, mut x_hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for p in finite {
            x_lo = x_lo.min(p[0] * k);
            x_hi = x_hi.max(p[0] * k);
        }
        let span_x = (x_hi - x_lo).max(MIN_SPAN) * (1.0 + 2.0 * MARGIN);
        let span_y = (lat_hi - lat_lo).max(MIN_SPAN) * (1.0 + 2.0 * MARGIN);
        let dots = (f64::from(cols) * 2.0, f64::from(rows) * 4.0);
        // Dots per degree, the same both ways so the shape is kept.
        let scale = (dots.0 / span_x).min(dots.1 / span_y);
        let (cx, cy) = ((x_lo + x_hi) / 2.0, (lat_lo + lat_hi) / 2.0);
        let (hx, hy) = (dots.0 / scale / 2.0, dots.1 / scale / 2.0);
        Some(Frame {
            k,
            x: [cx - hx, cx + hx],
            y: [cy - hy, cy + hy],
            dots,
        })
    }

    /// Canvas coordinates of `[lon, lat]`.
    fn xy(&self, p: [f64; 2]) -> (f64, f64) {
        (p[0] * self.k, p[1])
    }

    /// The cell (column, row inside the canvas) of `[lon, lat]`, computed as
    /// the canvas places its dots; `None` outside.
    fn cell(&self, p: [f64; 2]) -> Option<(u16, u16)> {
        let (x, y) = self.xy(p);
        if !(self.x[0]..=self.x[1]).contains(&x) || !(self.y[0]..=self.y[1]).contains(&y) {
            return None;
        }
        let dx = ((x - self.x[0]) * (self.dots.0 - 1.0) / (self.x[1] - self.x[0])).round();
        let dy = ((self.y[1] - y) * (self.dots.1 - 1.0) / (self.y[1] - self.y[0])).round();
        Some(((dx / 2.0) as u16, (dy / 4.0) as u16))
    }

    /// Kilometres across the map.
    fn km_across(&self) -> f64 {
        (self.x[1] - self.x[0]) * KM_PER_DEGREE
    }
}

/// Colour of a style, or the terminal's own.
fn colour(style: Style) -> Color {
    style.fg.unwrap_or(Color::Reset)
}

/// Draws the route map in `area` (border included). Draws nothing in an area
/// smaller than [`MIN_WIDTH`] × [`MIN_HEIGHT`].
pub fn render(map: &RouteMap<'_>, theme: &Theme, buf: &mut Buffer, area: Rect) {
    let area = area.intersection(buf.area);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return;
    }
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border);
    let inner = block.inner(area);
    (&block).render(area, buf);
    let title = if map.title.is_empty() {
        " map ".to_string()
    } else {
        format!(" map · {} ", map.title)
    };
    put(buf, area.x + 1, area.y, area.width - 2, &title, theme.title);

    let mut points: Vec<[f64; 2]> = map.stops.iter().filter_map(|s| s.at).collect();
    points.extend(map.depot);
    let Some(frame) = Frame::fit(&points, inner.width, inner.height) else {
        put(
            buf,
            inner.x + 1,
            inner.y + inner.height / 2,
            inner.width.saturating_sub(2),
            "no coordinates to map",
            theme.dim,
        );
        return;
    };

    // The route's line: depot → stops in order → depot.
    let mut line: Vec<[f64; 2]> = Vec::with_capacity(map.stops.len() + 2);
    line.extend(map.depot);
    line.extend(map.stops.iter().filter_map(|s| s.at));
    line.extend(map.depot);
    let route_colour = colour(theme.title);
    let faint = theme.dim.fg;
    let paint = |ctx: &mut Context<'_>| {
        if !map.others.is_empty() {
            for other in map.others {
                match faint {
                    Some(c) => draw_path(ctx, &frame, other, c),
                    None => {
                        // No colours to make a line faint: dots at the stops.
                        let coords: Vec<(f64, f64)> = other.iter().map(|p| frame.xy(*p)).collect();
                        ctx.draw(&Points {
                            coords: &coords,
                            color: Color::Reset,
                        });
                    }
                }
            }
            ctx.layer();
        }
        draw_path(ctx, &frame, &line, route_colour);
    };
    Canvas::default()
        .marker(Marker::Braille)
        .x_bounds(frame.x)
        .y_bounds(frame.y)
        .paint(paint)
        .render(inner, buf);

    // Glyphs on top: plain stops, then at-risk, then late, the depot, and the
    // selected stop last so nothing hides it.
    let glyph = |buf: &mut Buffer, p: [f64; 2], text: &str, style: Style| {
        if let Some((c, r)) = frame.cell(p) {
            put(buf, inner.x + c, inner.y + r, 1, text, style);
        }
    };
    for mark in [StopMark::Plain, StopMark::AtRisk, StopMark::Late] {
        let style = match mark {
            StopMark::Plain => Style::new().fg(route_colour),
            StopMark::AtRisk => theme.warning.add_modifier(Modifier::BOLD),
            StopMark::Late => theme.late,
        };
        for s in map.stops.iter().filter(|s| s.mark == mark) {
            if let Some(p) = s.at {
                glyph(buf, p, mark.glyph(), style);
            }
        }
    }
    if let Some(d) = map.depot {
        glyph(buf, d, "D", theme.title.add_modifier(Modifier::REVERSED));
    }
    let selected = map
        .selected
        .and_then(|i| map.stops.get(i).map(|s| (i, s.at)));
    if let Some((_, Some(p))) = selected {
        glyph(buf, p, "@", theme.selected.add_modifier(Modifier::BOLD));
    }

    // Legend and scale in the bottom border, most useful first (a narrow
    // map cuts it at the end).
    let mut legend: Vec<String> = Vec::new();
    match selected {
        Some((i, Some(_))) => legend.push(format!("@ stop {}", i + 1)),
        Some((i, None)) => legend.push(format!("stop {} not on map", i + 1)),
        None => {}
    }
    if map.stops.iter().any(|s| s.mark == StopMark::Late) {
        legend.push("! late".into());
    }
    if map.stops.iter().any(|s| s.mark == StopMark::AtRisk) {
        legend.push("? at risk".into());
    }
    let km = frame.km_across();
    legend.push(if km >= 10.0 {
        format!("{km:.0} km wide")
    } else {
        format!("{km:.1} km wide")
    });
    if map.depot.is_some() {
        legend.push("D depot".into());
    }
    let legend = format!(" {} ", legend.join(" · "));
    put(
        buf,
        area.x + 1,
        area.y + area.height - 1,
        area.width - 2,
        &legend,
        theme.dim,
    );
}

/// Draws a polyline of `[lon, lat]` points.
fn draw_path(ctx: &mut Context<'_>, frame: &Frame, path: &[[f64; 2]], color: Color) {
    for pair in path.windows(2) {
        let (x1, y1) = frame.xy(pair[0]);
        let (x2, y2) = frame.xy(pair[1]);
        if [x1, y1, x2, y2].iter().all(|v| v.is_finite()) {
            ctx.draw(&Line {
                x1,
                y1,
                x2,
                y2,
                color,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(buf: &Buffer) -> Vec<String> {
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect()
            })
            .collect()
    }

    fn find(buf: &Buffer, glyph: &str) -> Vec<(u16, u16)> {
        let mut out = Vec::new();
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                if buf[(x, y)].symbol() == glyph {
                    out.push((x, y));
                }
            }
        }
        out
    }

    fn stop(lon: f64, lat: f64, mark: StopMark) -> MapStop {
        MapStop {
            at: Some([lon, lat]),
            mark,
        }
    }

    #[test]
    fn glyphs_land_where_the_points_are_and_read_without_colour() {
        // A square route around the depot, 53.5° N.
        let stops = [
            stop(-2.30, 53.52, StopMark::Plain),
            stop(-2.20, 53.52, StopMark::Late),
            stop(-2.20, 53.48, StopMark::AtRisk),
        ];
        let map = RouteMap {
            stops: &stops,
            depot: Some([-2.30, 53.48]),
            selected: Some(0),
            others: &[],
            title: "R-TEST",
        };
        let theme = Theme::mono();
        let mut buf = Buffer::empty(Rect::new(0, 0, 40, 20));
        let area = buf.area;
        render(&map, &theme, &mut buf, area);
        let lines = text(&buf);
        assert!(lines[0].contains("map · R-TEST"), "{lines:#?}");
        assert!(lines[19].contains("@ stop 1"), "{lines:#?}");
        assert!(lines[19].contains("! late") && lines[19].contains("? at risk"));
        let at = find(&buf, "@");
        let late = find(&buf, "!");
        let risk = find(&buf, "?");
        let depot = find(&buf, "D");
        // One of each (the legend uses words after the glyphs, so the glyph
        // search counts the legend too: filter to the inside).
        let inside = |v: Vec<(u16, u16)>| -> Vec<(u16, u16)> {
            v.into_iter()
                .filter(|&(x, y)| x > 0 && x < 39 && y > 0 && y < 19)
                .collect()
        };
        let (at, late, risk, depot) = (inside(at), inside(late), inside(risk), inside(depot));
        assert_eq!(
            (at.len(), late.len(), risk.len(), depot.len()),
            (1, 1, 1, 1)
        );
        // North is up, east is right.
        assert!(at[0].1 < depot[0].1 && at[0].0 == depot[0].0);
        assert!(late[0].0 > at[0].0 && late[0].1 == at[0].1);
        assert!(risk[0].1 > late[0].1 && risk[0].0 == late[0].0);
        // The selected stop is marked by a style too, not by colour.
        let cell = &buf[at[0]];
        assert!(cell.modifier.contains(Modifier::REVERSED));
        // Lines between them are braille.
        let braille = lines
            .iter()
            .flat_map(|l| l.chars())
            .filter(|c| ('\u{2801}'..='\u{28FF}').contains(c))
            .count();
        assert!(braille > 20, "{lines:#?}");
    }

    #[test]
    fn a_kilometre_is_as_long_across_as_up() {
        // 0.1° of longitude at 60° N is half as long as 0.1° of latitude.
        let stops = [
            stop(0.0, 60.0, StopMark::Plain),
            stop(0.2, 60.0, StopMark::Late),
            stop(0.0, 60.1, StopMark::AtRisk),
        ];
        let map = RouteMap {
            stops: &stops,
            ..RouteMap::default()
        };
        let mut buf = Buffer::empty(Rect::new(0, 0, 62, 32));
        let area = buf.area;
        render(&map, &Theme::mono(), &mut buf, area);
        let inside = |g: &str| {
            find(&buf, g)
                .into_iter()
                .find(|&(x, y)| x > 0 && x < 61 && y > 0 && y < 31)
                .unwrap()
        };
        let (o, east, north) = (inside("o"), inside("!"), inside("?"));
        let across = f64::from(east.0 - o.0) / 2.0; // cells are half as wide as tall
        let up = f64::from(o.1 - north.1);
        assert!((across - up).abs() <= 1.5, "across {across} up {up}");
    }

    #[test]
    fn small_empty_and_odd_inputs_do_not_panic() {
        let theme = Theme::default16();
        for (w, h) in [(1, 1), (23, 30), (30, 7), (24, 8), (200, 60)] {
            let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
            let stops = [stop(-2.3, 53.4, StopMark::Plain)];
            let map = RouteMap {
                stops: &stops,
                selected: Some(5),
                ..RouteMap::default()
            };
            let area = buf.area;
            render(&map, &theme, &mut buf, area);
            let drawn = text(&buf).concat().trim().len();
            assert_eq!(drawn > 0, w >= MIN_WIDTH && h >= MIN_HEIGHT, "{w}x{h}");
        }
        // No coordinates at all.
        let stops = [MapStop::default(); 3];
        let map = RouteMap {
            stops: &stops,
            selected: Some(1),
            ..RouteMap::default()
        };
        let mut buf = Buffer::empty(Rect::new(0, 0, 30, 10));
        let area = buf.area;
        render(&map, &theme, &mut buf, area);
        assert!(text(&buf).concat().contains("no coordinates to map"));
        // Not-a-number coordinates are skipped, not drawn.
        let stops = [
            stop(f64::NAN, 53.0, StopMark::Late),
            stop(-2.0, 53.0, StopMark::Plain),
        ];
        let map = RouteMap {
            stops: &stops,
            selected: Some(0),
            ..RouteMap::default()
        };
        let mut buf = Buffer::empty(Rect::new(0, 0, 30, 10));
        let area = buf.area;
        render(&map, &theme, &mut buf, area);
        let all = text(&buf).concat();
        assert!(all.contains('o'));
        assert!(all.contains("stop 1"));
    }

    #[test]
    fn other_routes_are_faint_and_clipped() {
        let stops = [stop(-2.30, 53.50, StopMark::Plain)];
        let others = vec![vec![[-2.5, 53.0], [-2.29, 53.51], [-1.0, 54.0]]];
        let map = RouteMap {
            stops: &stops,
            depot: Some([-2.32, 53.46]),
            others: &others,
            ..RouteMap::default()
        };
        let theme = Theme::default16();
        let mut buf = Buffer::empty(Rect::new(0, 0, 40, 16));
        let area = buf.area;
        render(&map, &theme, &mut buf, area);
        let faint = (0..16)
            .flat_map(|y| (0..40).map(move |x| (x, y)))
            .filter(|&p| buf[p].fg == theme.dim.fg.unwrap())
            .filter(|&p| {
                ('\u{2801}'..='\u{28FF}').contains(&buf[p].symbol().chars().next().unwrap())
            })
            .count();
        assert!(faint > 3);
    }

    #[test]
    fn placement_beside_under_or_hidden() {
        let wide = place(Rect::new(0, 1, 120, 37), true);
        let map = wide.map.unwrap();
        assert_eq!(map.height, 37);
        assert_eq!(wide.list.width + map.width, 120);
        assert_eq!(map.x, wide.list.width);
        // 80×24 (a body of 21 rows): still beside, list keeps its minimum.
        let small = place(Rect::new(0, 1, 80, 21), true);
        assert!(small.list.width >= LIST_MIN_WIDTH);
        assert!(small.map.unwrap().width >= MIN_WIDTH);
        // Tall and narrow: under.
        let tall = place(Rect::new(0, 1, 60, 50), true);
        let map = tall.map.unwrap();
        assert_eq!(map.width, 60);
        assert_eq!(tall.list.height + map.height, 50);
        assert!(tall.list.height >= LIST_MIN_HEIGHT);
        // Narrow and short: no map; not wanted: no map.
        assert_eq!(place(Rect::new(0, 1, 70, 21), true).map, None);
        assert_eq!(place(Rect::new(0, 1, 200, 60), false).map, None);
        assert_eq!(
            place(Rect::new(0, 1, 70, 21), true).list,
            Rect::new(0, 1, 70, 21)
        );
    }
}
