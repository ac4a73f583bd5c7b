//! What a metric series says over a window: min, max, mean, last, trend, change points (where the level
//! shifts), states from thresholds with their time spans, and a downsampled shape. Pure: a series in, a
//! summary out, so root-cause analysis can use the same judgement on any series.

use crate::observe::series::{Point, Series};
use chrono::{DateTime, TimeZone, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Points on each side of a candidate change point compared to judge it.
const LOCAL_WINDOW: usize = 4;
/// At most this many change points per series (the biggest shifts are found first).
const MAX_CHANGE_POINTS: usize = 8;
/// Points a `rising` condition looks back.
const RISE_LOOKBACK: usize = 3;

/// When a state holds, as written in the catalog: `{ name = "under_replicated", when = "above", value = 0 }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateRule {
    /// The state's name, e.g. `under_replicated`, `no_active_controller`, `lag_growing`.
    pub name: String,
    pub when: Condition,
    pub value: f64,
    /// For a `rising` state: the state that holds from a rise's start until the value fell back to near where
    /// the rise began (a lag that drained by itself), e.g. `lag_drained`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovered: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// value > threshold
    Above,
    /// value < threshold
    Below,
    /// value grew by more than the threshold over the last few points
    Rising,
}

impl StateRule {
    /// `rise_min`: the growth over `RISE_LOOKBACK` points that counts as rising (at least the rule's value,
    /// and more than the series' own noise could produce).
    fn holds(&self, points: &[Point], i: usize, rise_min: f64) -> bool {
        let v = points[i].v;
        match self.when {
            Condition::Above => v > self.value,
            Condition::Below => v < self.value,
            Condition::Rising => i >= RISE_LOOKBACK && v - points[i - RISE_LOOKBACK].v > rise_min,
        }
    }
}

/// A time span during which a state held.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct StateSpan {
    pub state: String,
    #[schemars(with = "String")]
    pub from: DateTime<Utc>,
    /// The last point at which it held.
    #[schemars(with = "String")]
    pub to: DateTime<Utc>,
    /// Still holding at the end of the window.
    pub ongoing: bool,
    /// The value furthest past the threshold during the span.
    pub worst: f64,
}

/// Where the level of a series shifts.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ChangePoint {
    /// The first point at the new level.
    #[schemars(with = "String")]
    pub at: DateTime<Utc>,
    /// Mean level just before and just after.
    pub before: f64,
    pub after: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrendDirection {
    Rising,
    Falling,
    Flat,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Trend {
    pub direction: TrendDirection,
    /// Least-squares slope, in units per hour.
    pub slope_per_hour: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SeriesSummary {
    pub labels: BTreeMap<String, String>,
    /// Samples in the window (finite values).
    pub samples: usize,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub mean: Option<f64>,
    pub last: Option<f64>,
    pub trend: Option<Trend>,
    pub change_points: Vec<ChangePoint>,
    pub states: Vec<StateSpan>,
    /// The shape, downsampled: `[unix seconds, value]` pairs.
    pub points: Vec<[f64; 2]>,
}

/// Summarises one series: statistics, trend, change points, the spans of each rule's state, and at most
/// `max_points` points of its shape.
pub fn analyse(series: &Series, rules: &[StateRule], max_points: usize) -> SeriesSummary {
    let points: Vec<Point> = series.points.iter().copied().filter(|p| p.v.is_finite()).collect();
    let values: Vec<f64> = points.iter().map(|p| p.v).collect();
    let n = values.len();
    let (min, max) = values.iter().fold((None, None), |(lo, hi): (Option<f64>, Option<f64>), &v| {
        (Some(lo.map_or(v, |x| x.min(v))), Some(hi.map_or(v, |x| x.max(v))))
    });
    SeriesSummary {
        labels: series.labels.clone(),
        samples: n,
        min,
        max,
        mean: (n > 0).then(|| values.iter().sum::<f64>() / n as f64),
        last: values.last().copied(),
        trend: trend(&points),
        change_points: change_points(&points),
        states: rules.iter().flat_map(|r| state_spans(&points, r)).collect(),
        points: downsample(&points, max_points).into_iter().map(|p| [p.t, round(p.v)]).collect(),
    }
}

impl SeriesSummary {
    /// One Markdown table row: labels, last, min–max, mean, trend, change points, states.
    pub fn row(&self, query: &str) -> String {
        let num = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{}", round(v)));
        let trend = self.trend.as_ref().map_or("-".to_string(), |t| match t.direction {
            TrendDirection::Flat => "flat".to_string(),
            d => format!("{} {:+}/h", if d == TrendDirection::Rising { "rising" } else { "falling" }, t.slope_per_hour),
        });
        let changes: Vec<String> =
            self.change_points.iter().map(|c| format!("{} {}→{}", clock(c.at), c.before, c.after)).collect();
        let states: Vec<String> = self.states.iter().map(|s| s.describe()).collect();
        let labels: Vec<String> = self.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!(
            "| {query} | {} | {} | {}–{} | {} | {trend} | {} | {} |",
            if labels.is_empty() { "{}".to_string() } else { labels.join(",") },
            num(self.last),
            num(self.min),
            num(self.max),
            num(self.mean),
            if changes.is_empty() { "-".to_string() } else { changes.join("; ") },
            if states.is_empty() { "-".to_string() } else { states.join("; ") },
        )
    }

    /// The header of [`SeriesSummary::row`].
    pub const TABLE_HEADING: &'static str =
        "| query | labels | last | min–max | mean | trend | change points (time before→after) | states |\n|---|---|---|---|---|---|---|---|";
}

impl StateSpan {
    /// `under_replicated 03:00:30–03:15:45 (worst 30)`, `… ongoing` when it still holds.
    pub fn describe(&self) -> String {
        let end = if self.ongoing { "ongoing".to_string() } else { clock(self.to) };
        format!("{} {}–{end} (worst {})", self.state, clock(self.from), self.worst)
    }
}

/// The time of day (UTC) of a point in the window; the reply's title carries the dates.
pub fn clock(t: DateTime<Utc>) -> String {
    t.format("%H:%M:%S").to_string()
}

fn time(t: f64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt((t * 1000.0).round() as i64).single().unwrap_or_default()
}

/// Keeps four significant digits: enough to read, short to send.
pub fn round(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let digits = 4 - v.abs().log10().ceil() as i32;
    let f = 10f64.powi(digits.clamp(-12, 12));
    (v * f).round() / f
}

fn trend(points: &[Point]) -> Option<Trend> {
    if points.len() < 3 {
        return None;
    }
    let n = points.len() as f64;
    let t0 = points[0].t;
    let (mt, mv) = points.iter().fold((0.0, 0.0), |(a, b), p| (a + (p.t - t0) / n, b + p.v / n));
    let (cov, var, var_v) = points.iter().fold((0.0, 0.0, 0.0), |(c, v, vv), p| {
        let dt = p.t - t0 - mt;
        (c + dt * (p.v - mv), v + dt * dt, vv + (p.v - mv) * (p.v - mv))
    });
    if var == 0.0 {
        return None;
    }
    let slope = cov / var;
    let span = points[points.len() - 1].t - t0;
    let (lo, hi) = points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(p.v), hi.max(p.v)));
    let change = slope * span;
    // A trend is a change over the window that is large against the series' own spread and that a line
    // explains (r² ≥ 0.5): a bump or a step back is not a trend.
    let r2 = if var_v > 0.0 { cov * cov / (var * var_v) } else { 0.0 };
    let direction = if hi > lo && change.abs() > 0.25 * (hi - lo) && r2 >= 0.5 {
        if change > 0.0 {
            TrendDirection::Rising
        } else {
            TrendDirection::Falling
        }
    } else {
        TrendDirection::Flat
    };
    Some(Trend { direction, slope_per_hour: round(slope * 3600.0) })
}

/// Binary segmentation: split where the means on both sides differ most, keep the split when the level
/// right before and right after it differs by more than noise and more than a tenth of the range, recurse.
fn change_points(points: &[Point]) -> Vec<ChangePoint> {
    let values: Vec<f64> = points.iter().map(|p| p.v).collect();
    if values.len() < 2 * LOCAL_WINDOW {
        return vec![];
    }
    let (lo, hi) = values.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
        return vec![];
    }
    let (noise, drift) = noise_and_drift(&values);
    let min_shift = 0.1 * (hi - lo);
    let mut found = vec![];
    let mut stack = vec![(0, values.len())];
    while let Some((a, b)) = stack.pop() {
        if found.len() >= MAX_CHANGE_POINTS || b - a < 2 {
            continue;
        }
        let Some(k) = best_split(&values[a..b]).map(|k| k + a) else { continue };
        let w = LOCAL_WINDOW.min(k - a).min(b - k);
        let before = mean(&values[k - w..k]);
        let after = mean(&values[k..k + w]);
        let shift = (after - before).abs();
        // A steady ramp shifts by `drift` per point: not a change of level.
        if shift > min_shift && shift > 4.0 * noise + 2.0 * drift * w as f64 {
            found.push(ChangePoint { at: time(points[k].t), before: round(before), after: round(after) });
            stack.push((a, k));
            stack.push((k, b));
        }
    }
    found.sort_by_key(|c| c.at);
    found
}

/// The split index (1..len) maximising the weighted difference of the means on either side.
fn best_split(v: &[f64]) -> Option<usize> {
    let n = v.len();
    let total: f64 = v.iter().sum();
    let mut left = 0.0;
    let mut best = None;
    let mut best_stat = 0.0;
    for k in 1..n {
        left += v[k - 1];
        let (nl, nr) = (k as f64, (n - k) as f64);
        let stat = (left / nl - (total - left) / nr).abs() * (nl * nr / n as f64).sqrt();
        if stat > best_stat {
            best_stat = stat;
            best = Some(k);
        }
    }
    best
}

/// Noise (robust spread of point-to-point differences around their median) and drift (that median):
/// steps and ramps do not inflate either.
fn noise_and_drift(values: &[f64]) -> (f64, f64) {
    let mut diffs: Vec<f64> = values.windows(2).map(|w| w[1] - w[0]).collect();
    let drift = median(&mut diffs);
    let mut dev: Vec<f64> = diffs.iter().map(|d| (d - drift).abs()).collect();
    (1.4826 * median(&mut dev) / std::f64::consts::SQRT_2, drift.abs())
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

fn state_spans(points: &[Point], rule: &StateRule) -> Vec<StateSpan> {
    let mut spans = vec![];
    let mut open: Option<StateSpan> = None;
    let rise_min = if rule.when == Condition::Rising {
        let values: Vec<f64> = points.iter().map(|p| p.v).collect();
        let (noise, _) = noise_and_drift(&values);
        rule.value.max(3.0 * noise * (RISE_LOOKBACK as f64).sqrt())
    } else {
        rule.value
    };
    for i in 0..points.len() {
        let p = points[i];
        if rule.holds(points, i, rise_min) {
            let span = open.get_or_insert_with(|| StateSpan {
                state: rule.name.clone(),
                from: time(p.t),
                to: time(p.t),
                ongoing: false,
                worst: p.v,
            });
            span.to = time(p.t);
            span.worst = match rule.when {
                Condition::Below => span.worst.min(p.v),
                _ => span.worst.max(p.v),
            };
        } else if let Some(span) = open.take() {
            spans.push(span);
        }
    }
    if let Some(mut span) = open {
        span.ongoing = true;
        spans.push(span);
    }
    if let (Condition::Rising, Some(name)) = (rule.when, &rule.recovered) {
        let recoveries = recoveries(points, &spans, name);
        spans.extend(recoveries);
    }
    for s in &mut spans {
        s.worst = round(s.worst);
    }
    spans
}

/// Share of a rise the value must give back to count as fallen back to where the rise began.
const RECOVERED_WITHIN: f64 = 0.2;

/// For each rise that ended, the span from its start until the value fell back to within `RECOVERED_WITHIN` of
/// the rise of the level before it (before the next rise begins) and was still there at the window's end: a lag
/// that drained by itself. A bump on a lag that keeps growing (a rebalance's pause) has not recovered.
fn recoveries(points: &[Point], rises: &[StateSpan], name: &str) -> Vec<StateSpan> {
    let index = |t: DateTime<Utc>| points.iter().position(|p| time(p.t) == t);
    let mut out = vec![];
    for (n, rise) in rises.iter().enumerate() {
        let (Some(first), Some(last)) = (index(rise.from), index(rise.to)) else { continue };
        if rise.ongoing {
            continue;
        }
        let next = rises.get(n + 1).and_then(|r| index(r.from)).unwrap_or(points.len());
        let before = points[first.saturating_sub(RISE_LOOKBACK)].v;
        let peak = points[first..=last].iter().map(|p| p.v).fold(before, f64::max);
        let level = before + RECOVERED_WITHIN * (peak - before);
        if points.last().is_some_and(|p| p.v > level) {
            continue;
        }
        if let Some(back) = points[last + 1..next].iter().find(|p| p.v <= level) {
            out.push(StateSpan {
                state: name.to_string(),
                from: rise.from,
                to: time(back.t),
                ongoing: false,
                worst: peak,
            });
        }
    }
    out
}

/// Largest-triangle-three-buckets: keeps the visual shape (spikes included) in `max` points.
pub fn downsample(points: &[Point], max: usize) -> Vec<Point> {
    if points.len() <= max {
        return points.to_vec();
    }
    if max < 3 {
        return points[..max].to_vec();
    }
    let bucket = (points.len() - 2) as f64 / (max - 2) as f64;
    let mut out = Vec::with_capacity(max);
    out.push(points[0]);
    let mut a = 0;
    for i in 0..max - 2 {
        let start = (i as f64 * bucket) as usize + 1;
        let end = (((i + 1) as f64 * bucket) as usize + 1).min(points.len() - 1);
        let next_end = (((i + 2) as f64 * bucket) as usize + 1).min(points.len());
        let next = &points[end..next_end.max(end + 1).min(points.len())];
        let (nt, nv) =
            (mean(&next.iter().map(|p| p.t).collect::<Vec<_>>()), mean(&next.iter().map(|p| p.v).collect::<Vec<_>>()));
        let pa = points[a];
        let mut best = start;
        let mut best_area = -1.0;
        for (j, p) in points.iter().enumerate().take(end.max(start + 1)).skip(start) {
            let area = ((pa.t - nt) * (p.v - pa.v) - (pa.t - p.t) * (nv - pa.v)).abs();
            if area > best_area {
                best_area = area;
                best = j;
            }
        }
        out.push(points[best]);
        a = best;
    }
    out.push(points[points.len() - 1]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: f64 = 1705285800.0; // 2024-01-15T02:30:00Z

    fn series(values: &[f64]) -> Series {
        Series {
            labels: [("broker".into(), "1".into())].into(),
            points: values.iter().enumerate().map(|(i, &v)| Point { t: T0 + 15.0 * i as f64, v }).collect(),
        }
    }
    fn at(i: usize) -> DateTime<Utc> {
        time(T0 + 15.0 * i as f64)
    }
    fn rule(name: &str, when: Condition, value: f64) -> StateRule {
        StateRule { name: name.into(), when, value, recovered: None }
    }

    #[test]
    fn statistics_of_a_series() {
        let s = analyse(&series(&[1.0, 2.0, f64::NAN, 3.0, 6.0]), &[], 100);
        assert_eq!((s.samples, s.min, s.max, s.mean, s.last), (4, Some(1.0), Some(6.0), Some(3.0), Some(6.0)));
        let empty = analyse(&series(&[]), &[], 100);
        assert_eq!((empty.samples, empty.min, empty.last, empty.trend), (0, None, None, None));
    }

    #[test]
    fn a_bump_gives_two_change_points_and_a_state_span() {
        let mut v = vec![0.0; 120];
        for x in v.iter_mut().take(80).skip(20) {
            *x = 23.0;
        }
        let s = analyse(&series(&v), &[rule("under_replicated", Condition::Above, 0.0)], 50);
        let at_: Vec<DateTime<Utc>> = s.change_points.iter().map(|c| c.at).collect();
        assert_eq!(at_, vec![at(20), at(80)]);
        assert_eq!((s.change_points[0].before, s.change_points[0].after), (0.0, 23.0));
        assert_eq!(
            s.states,
            vec![StateSpan { state: "under_replicated".into(), from: at(20), to: at(79), ongoing: false, worst: 23.0 }]
        );
        assert_eq!(s.trend.unwrap().direction, TrendDirection::Flat);
        assert!(s.points.len() <= 50);
        assert!(s.points.iter().any(|p| p[1] == 23.0), "the bump survives downsampling");
    }

    #[test]
    fn noise_alone_has_no_change_points_but_a_noisy_step_has_one() {
        let noisy: Vec<f64> = (0..200).map(|i| 100.0 + ((i * 7919) % 13) as f64 - 6.0).collect();
        assert!(analyse(&series(&noisy), &[], 10).change_points.is_empty());
        let step: Vec<f64> = noisy.iter().enumerate().map(|(i, v)| if i >= 150 { v + 60.0 } else { *v }).collect();
        let cps = analyse(&series(&step), &[], 10).change_points;
        assert_eq!(cps.len(), 1, "{cps:?}");
        assert!((cps[0].at - at(150)).num_seconds().abs() <= 30);
    }

    #[test]
    fn a_ramp_is_a_trend_not_a_change_point() {
        let ramp: Vec<f64> = (0..100).map(|i| 1000.0 + 50.0 * i as f64).collect();
        let s = analyse(&series(&ramp), &[rule("lag_growing", Condition::Rising, 0.0)], 10);
        assert!(s.change_points.is_empty(), "{:?}", s.change_points);
        let t = s.trend.unwrap();
        assert_eq!(t.direction, TrendDirection::Rising);
        assert_eq!(t.slope_per_hour, 12000.0);
        assert_eq!(s.states.len(), 1);
        assert_eq!((s.states[0].from, s.states[0].ongoing), (at(RISE_LOOKBACK), true));
    }

    #[test]
    fn noise_is_not_rising_but_a_steep_climb_is() {
        let mut lag: Vec<f64> = (0..200).map(|i| 120.0 + ((i * 7919) % 121) as f64 - 60.0).collect();
        for (i, x) in lag.iter_mut().enumerate().skip(100).take(28) {
            *x += 1600.0 * (i - 99) as f64;
        }
        let s = analyse(&series(&lag), &[rule("lag_growing", Condition::Rising, 0.0)], 10);
        assert_eq!(s.states.len(), 1, "{:?}", s.states);
        assert_eq!((s.states[0].from, s.states[0].to), (at(100), at(127)));
    }

    #[test]
    fn a_rise_that_fell_back_is_recovered_and_one_that_stays_high_is_not() {
        let drained =
            StateRule { recovered: Some("lag_drained".into()), ..rule("lag_growing", Condition::Rising, 0.0) };
        // Lag climbs for 10 points, drains over 20, then stays near its old level.
        let mut lag = vec![100.0; 60];
        for i in 0..10 {
            lag[10 + i] = 100.0 + 500.0 * (i + 1) as f64;
        }
        for i in 0..20 {
            lag[20 + i] = 5100.0 - 250.0 * (i + 1) as f64;
        }
        let s = analyse(&series(&lag), std::slice::from_ref(&drained), 10);
        let back: Vec<&StateSpan> = s.states.iter().filter(|s| s.state == "lag_drained").collect();
        assert_eq!(back.len(), 1, "{:?}", s.states);
        // From the rise's start to the first point within a fifth of the rise of the old level (<= 1100).
        assert_eq!((back[0].from, back[0].to, back[0].worst), (s.states[0].from, at(35), 5100.0));
        // A bump that fell back but then grew again by the window's end has not recovered.
        let mut regrown = lag.clone();
        for (i, x) in regrown.iter_mut().enumerate().skip(45) {
            *x = 100.0 + 300.0 * (i - 44) as f64;
        }
        let s = analyse(&series(&regrown), std::slice::from_ref(&drained), 10);
        assert!(s.states.iter().all(|s| s.state == "lag_growing"), "{:?}", s.states);
        // The same climb that then holds its level has not recovered.
        for x in lag.iter_mut().skip(20) {
            *x = 5100.0;
        }
        let s = analyse(&series(&lag), std::slice::from_ref(&drained), 10);
        assert!(s.states.iter().all(|s| s.state == "lag_growing"), "{:?}", s.states);
    }

    #[test]
    fn below_rules_track_the_lowest_value() {
        let s =
            analyse(&series(&[1.0, 1.0, 0.0, 0.0, 1.0]), &[rule("no_active_controller", Condition::Below, 1.0)], 10);
        assert_eq!(s.states.len(), 1);
        assert_eq!((s.states[0].from, s.states[0].to, s.states[0].worst), (at(2), at(3), 0.0));
    }

    #[test]
    fn downsampling_keeps_ends_and_count() {
        let pts: Vec<Point> = (0..1000).map(|i| Point { t: i as f64, v: (i as f64 / 30.0).sin() }).collect();
        let d = downsample(&pts, 60);
        assert_eq!(d.len(), 60);
        assert_eq!((d[0], d[59]), (pts[0], pts[999]));
        assert!(d.windows(2).all(|w| w[0].t < w[1].t));
        assert_eq!(downsample(&pts[..5], 60).len(), 5);
    }

    #[test]
    fn rounding_keeps_four_significant_digits() {
        assert_eq!(round(1234567.0), 1235000.0);
        assert_eq!(round(0.000123456), 0.0001235);
        assert_eq!(round(23.0), 23.0);
    }
}
