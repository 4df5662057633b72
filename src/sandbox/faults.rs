//! Fault injection for the emulator: latency, dropped connections, 429 with `Retry-After`,
//! 503s and per-item rejections, all drawn from a seeded generator so runs repeat.
//!
//! A spec such as `latency=200ms,5xx=0.3,429=0.1,retry-after=1,drop=0.05,reject-field=contactName:REJECT`
//! parses with [`Faults::from_str`](std::str::FromStr); [`Faults`]'s `Display` writes the same form back.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::ids::Rng;

/// The faults the emulator injects. The default injects none.
#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    /// Fixed delay before every (non-admin) request is answered.
    pub latency: Duration,
    /// Extra delay drawn uniformly from `0..=latency_jitter` on top of `latency`.
    pub latency_jitter: Duration,
    /// Probability (0–1) of answering 503 with a JSON message.
    pub p_5xx: f64,
    /// Probability (0–1) of answering 429 with `Retry-After` and "exceeded the request limit".
    pub p_429: f64,
    /// Seconds sent in `Retry-After` on a 429.
    pub retry_after_secs: u64,
    /// Probability (0–1) of closing the connection without any HTTP response.
    pub p_drop: f64,
    /// `(field, value)`: bulk create/update items whose `field` equals `value` fail.
    pub reject_field: Option<(String, String)>,
    /// Seed of the generator that draws the faults.
    pub seed: u64,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            latency: Duration::ZERO,
            latency_jitter: Duration::ZERO,
            p_5xx: 0.0,
            p_429: 0.0,
            retry_after_secs: 1,
            p_drop: 0.0,
            reject_field: None,
            seed: 0,
        }
    }
}

/// Why a fault spec could not be parsed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaultSpecError {
    /// A `key=value` part had no `=`.
    #[error("fault spec part {0:?} is not key=value")]
    NotKeyValue(String),
    /// The key is not one of the known fault names.
    #[error(
        "unknown fault {0:?} (known: latency, jitter, 5xx, 429, retry-after, drop, reject-field, seed)"
    )]
    UnknownKey(String),
    /// A probability outside 0–1 or not a number.
    #[error("fault {key}: {value:?} is not a probability between 0 and 1")]
    BadProbability {
        /// The fault name.
        key: String,
        /// The value given.
        value: String,
    },
    /// A duration that is not `<number>ms`, `<number>s` or `<number>m`.
    #[error("fault {key}: {value:?} is not a duration such as 200ms or 1s")]
    BadDuration {
        /// The fault name.
        key: String,
        /// The value given.
        value: String,
    },
    /// A value that should be a whole number.
    #[error("fault {key}: {value:?} is not a whole number")]
    BadInteger {
        /// The fault name.
        key: String,
        /// The value given.
        value: String,
    },
    /// `reject-field` without `field:value`.
    #[error("fault reject-field: {0:?} is not field:value")]
    BadRejectField(String),
    /// The same fault twice (also under two names, such as `5xx` and `503`).
    #[error("{}", duplicate_text(.first, .again))]
    Duplicate {
        /// The name it was first given under.
        first: String,
        /// The name it was given again under.
        again: String,
    },
    /// Nothing between two commas, or a comma at the start or the end.
    #[error("fault spec {0:?} has an empty item (two commas in a row, or one at the start or end)")]
    EmptyPart(String),
}

fn duplicate_text(first: &str, again: &str) -> String {
    if first.eq_ignore_ascii_case(again) {
        format!("fault {again} is given twice; give it once")
    } else {
        format!("fault {again} is the same as {first}, given before; give it once")
    }
}

/// The fault a key sets (aliases give the same name), or `None` for an unknown key.
fn fault_name(key: &str) -> Option<&'static str> {
    Some(match key.trim().to_ascii_lowercase().as_str() {
        "latency" => "latency",
        "jitter" | "latency-jitter" => "jitter",
        "5xx" | "503" => "5xx",
        "429" => "429",
        "retry-after" => "retry-after",
        "drop" => "drop",
        "seed" => "seed",
        "reject-field" => "reject-field",
        _ => return None,
    })
}

/// Refuses a key whose fault an earlier key of the same spec already set.
fn check_once<'a>(
    seen: &mut Vec<(&'static str, &'a str)>,
    key: &'a str,
) -> Result<(), FaultSpecError> {
    let Some(name) = fault_name(key) else {
        return Err(FaultSpecError::UnknownKey(key.trim().to_owned()));
    };
    if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
        return Err(FaultSpecError::Duplicate {
            first: first.trim().to_owned(),
            again: key.trim().to_owned(),
        });
    }
    seen.push((name, key));
    Ok(())
}

/// Parses `200ms`, `1s`, `1.5s`, `2m` or a bare `0`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    if t == "0" {
        return Some(Duration::ZERO);
    }
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else {
        return None;
    };
    let value: f64 = number.trim().parse().ok()?;
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    Duration::try_from_secs_f64(value * scale).ok()
}

fn format_duration(d: Duration) -> String {
    if d.subsec_nanos().is_multiple_of(1_000_000) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{}s", d.as_secs_f64())
    }
}

fn parse_probability(key: &str, value: &str) -> Result<f64, FaultSpecError> {
    match value.trim().parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(FaultSpecError::BadProbability {
            key: key.to_owned(),
            value: value.to_owned(),
        }),
    }
}

impl Faults {
    /// The same faults drawn from another seed (`--faults-seed`).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// True when no fault at all is configured (the seed does not count).
    pub fn is_none(&self) -> bool {
        let none = Faults {
            seed: self.seed,
            retry_after_secs: self.retry_after_secs,
            ..Faults::default()
        };
        *self == none
    }

    /// Applies one `key=value` setting.
    fn set(&mut self, key: &str, value: &str) -> Result<(), FaultSpecError> {
        let key = key.trim();
        let duration = |v: &str| {
            parse_duration(v).ok_or_else(|| FaultSpecError::BadDuration {
                key: key.to_owned(),
                value: v.to_owned(),
            })
        };
        let integer = |v: &str| {
            v.trim()
                .parse::<u64>()
                .map_err(|_| FaultSpecError::BadInteger {
                    key: key.to_owned(),
                    value: v.to_owned(),
                })
        };
        match fault_name(key) {
            Some("latency") => self.latency = duration(value)?,
            Some("jitter") => self.latency_jitter = duration(value)?,
            Some("5xx") => self.p_5xx = parse_probability(key, value)?,
            Some("429") => self.p_429 = parse_probability(key, value)?,
            Some("retry-after") => self.retry_after_secs = integer(value)?,
            Some("drop") => self.p_drop = parse_probability(key, value)?,
            Some("seed") => self.seed = integer(value)?,
            Some("reject-field") => {
                let (field, wanted) = value
                    .split_once(':')
                    .filter(|(f, _)| !f.trim().is_empty())
                    .ok_or_else(|| FaultSpecError::BadRejectField(value.to_owned()))?;
                self.reject_field = Some((field.trim().to_owned(), wanted.to_owned()));
            }
            _ => return Err(FaultSpecError::UnknownKey(key.to_owned())),
        }
        Ok(())
    }

    /// Parses a JSON form: a spec string, or an object of `{"latency": "200ms", "5xx": 0.3, …}`.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, FaultSpecError> {
        match value {
            serde_json::Value::String(spec) => spec.parse(),
            serde_json::Value::Object(map) => {
                let mut faults = Faults::default();
                let mut seen = Vec::new();
                for (key, v) in map {
                    check_once(&mut seen, key)?;
                    let text = match v {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Number(n) if key == "latency" || key == "jitter" => {
                            format!("{n}ms")
                        }
                        serde_json::Value::Null => continue,
                        other => other.to_string(),
                    };
                    faults.set(key, &text)?;
                }
                Ok(faults)
            }
            serde_json::Value::Null => Ok(Faults::default()),
            other => Err(FaultSpecError::NotKeyValue(other.to_string())),
        }
    }
}

impl FromStr for Faults {
    type Err = FaultSpecError;

    /// Parses a comma-separated spec; an empty spec or `none` means no faults.
    /// Each fault is given at most once, and no item is empty.
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let mut faults = Faults::default();
        let spec = spec.trim();
        if spec.is_empty() || spec.eq_ignore_ascii_case("none") {
            return Ok(faults);
        }
        let mut seen = Vec::new();
        for part in spec.split(',') {
            let part = part.trim();
            if part.is_empty() {
                return Err(FaultSpecError::EmptyPart(spec.to_owned()));
            }
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| FaultSpecError::NotKeyValue(part.to_owned()))?;
            check_once(&mut seen, key)?;
            faults.set(key, value)?;
        }
        Ok(faults)
    }
}

impl fmt::Display for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if !self.latency.is_zero() {
            parts.push(format!("latency={}", format_duration(self.latency)));
        }
        if !self.latency_jitter.is_zero() {
            parts.push(format!("jitter={}", format_duration(self.latency_jitter)));
        }
        if self.p_5xx > 0.0 {
            parts.push(format!("5xx={}", self.p_5xx));
        }
        if self.p_429 > 0.0 {
            parts.push(format!("429={}", self.p_429));
        }
        if self.retry_after_secs != 1 {
            parts.push(format!("retry-after={}", self.retry_after_secs));
        }
        if self.p_drop > 0.0 {
            parts.push(format!("drop={}", self.p_drop));
        }
        if let Some((field, value)) = &self.reject_field {
            parts.push(format!("reject-field={field}:{value}"));
        }
        if self.seed != 0 {
            parts.push(format!("seed={}", self.seed));
        }
        if parts.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&parts.join(","))
        }
    }
}

/// What happens to one request, decided before it reaches the routes.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Wait this long first.
    pub delay: Duration,
    /// Then do this.
    pub outcome: Outcome,
}

/// The fate of one request after the delay.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Serve it normally.
    Pass,
    /// Close the connection without answering.
    Drop,
    /// Answer 429 with `Retry-After` of this many seconds.
    TooManyRequests(u64),
    /// Answer 503.
    Unavailable,
}

#[derive(Debug)]
struct State {
    faults: Faults,
    rng: Rng,
}

/// Shared, changeable-at-run-time fault settings with their generator.
#[derive(Debug, Clone)]
pub struct FaultsHandle {
    inner: Arc<Mutex<State>>,
}

impl FaultsHandle {
    /// A handle starting with `faults`; the generator is seeded from `faults.seed`.
    pub fn new(faults: Faults) -> Self {
        let rng = Rng::new(faults.seed);
        Self {
            inner: Arc::new(Mutex::new(State { faults, rng })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The current settings.
    pub fn get(&self) -> Faults {
        self.lock().faults.clone()
    }

    /// Replaces the settings and reseeds the generator from `faults.seed`.
    pub fn set(&self, faults: Faults) {
        let mut state = self.lock();
        state.rng = Rng::new(faults.seed);
        state.faults = faults;
    }

    /// Removes every fault.
    pub fn clear(&self) {
        self.set(Faults::default());
    }

    /// The `reject-field` setting, if any.
    pub fn reject_field(&self) -> Option<(String, String)> {
        self.lock().faults.reject_field.clone()
    }

    /// Draws the fate of one request: latency, then drop, then 429, then 5xx.
    pub fn decide(&self) -> Decision {
        let mut state = self.lock();
        let State { faults, rng } = &mut *state;
        let mut delay = faults.latency;
        if !faults.latency_jitter.is_zero() {
            delay += faults.latency_jitter.mul_f64(rng.next_f64());
        }
        let hit = |rng: &mut Rng, p: f64| p > 0.0 && rng.next_f64() < p;
        let outcome = if hit(rng, faults.p_drop) {
            Outcome::Drop
        } else if hit(rng, faults.p_429) {
            Outcome::TooManyRequests(faults.retry_after_secs)
        } else if hit(rng, faults.p_5xx) {
            Outcome::Unavailable
        } else {
            Outcome::Pass
        };
        Decision { delay, outcome }
    }
}

impl Default for FaultsHandle {
    fn default() -> Self {
        Self::new(Faults::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_full_spec() {
        let f: Faults =
            "latency=200ms,5xx=0.3,429=0.1,retry-after=1,drop=0.05,reject-field=contactName:REJECT"
                .parse()
                .unwrap();
        assert_eq!(f.latency, Duration::from_millis(200));
        assert_eq!(f.p_5xx, 0.3);
        assert_eq!(f.p_429, 0.1);
        assert_eq!(f.retry_after_secs, 1);
        assert_eq!(f.p_drop, 0.05);
        assert_eq!(
            f.reject_field,
            Some(("contactName".to_owned(), "REJECT".to_owned()))
        );
        let again: Faults = f.to_string().parse().unwrap();
        assert_eq!(again, f);
    }

    #[test]
    fn durations_and_empty_specs() {
        assert_eq!(parse_duration("1s"), Some(Duration::from_secs(1)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("0"), Some(Duration::ZERO));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("200"), None);
        assert_eq!(parse_duration("-1s"), None);
        assert_eq!(parse_duration("NaNs"), None);
        assert!("".parse::<Faults>().unwrap().is_none());
        assert!("none".parse::<Faults>().unwrap().is_none());
        assert_eq!(Faults::default().to_string(), "none");
    }

    #[test]
    fn bad_specs_say_why() {
        assert!(matches!(
            "latency".parse::<Faults>(),
            Err(FaultSpecError::NotKeyValue(_))
        ));
        assert!(matches!(
            "boom=1".parse::<Faults>(),
            Err(FaultSpecError::UnknownKey(_))
        ));
        assert!(matches!(
            "5xx=1.5".parse::<Faults>(),
            Err(FaultSpecError::BadProbability { .. })
        ));
        assert!(matches!(
            "latency=fast".parse::<Faults>(),
            Err(FaultSpecError::BadDuration { .. })
        ));
        assert!(matches!(
            "retry-after=-1".parse::<Faults>(),
            Err(FaultSpecError::BadInteger { .. })
        ));
        assert!(matches!(
            "reject-field=name".parse::<Faults>(),
            Err(FaultSpecError::BadRejectField(_))
        ));
        let msg = "boom=1".parse::<Faults>().unwrap_err().to_string();
        assert!(msg.contains("boom"), "{msg}");
    }

    #[test]
    fn a_fault_given_twice_or_an_empty_item_is_refused() {
        for spec in [
            "5xx=0.3,5xx=0.4",
            "drop=0.1,latency=5ms,DROP=0.2",
            "latency=1s , latency=2s",
        ] {
            let e = spec.parse::<Faults>().unwrap_err();
            assert!(matches!(e, FaultSpecError::Duplicate { .. }), "{spec}: {e}");
            assert!(
                e.to_string().ends_with("is given twice; give it once"),
                "{e}"
            );
        }
        // Two names of one fault are the same fault.
        let e = "5xx=0.3,503=0.4".parse::<Faults>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "fault 503 is the same as 5xx, given before; give it once"
        );
        let e = "jitter=5ms,latency-jitter=6ms"
            .parse::<Faults>()
            .unwrap_err();
        assert!(matches!(e, FaultSpecError::Duplicate { .. }), "{e}");
        for spec in [
            "5xx=0.3,,drop=0.1",
            "5xx=0.3,",
            ",5xx=0.3",
            "5xx=0.3, ,drop=0.1",
        ] {
            let e = spec.parse::<Faults>().unwrap_err();
            assert!(matches!(e, FaultSpecError::EmptyPart(_)), "{spec}: {e}");
            assert!(e.to_string().contains("has an empty item"), "{e}");
        }
        // The same in JSON: one fault under two names.
        let e = Faults::from_json(&serde_json::json!({"5xx": 0.1, "503": 0.2})).unwrap_err();
        assert!(matches!(e, FaultSpecError::Duplicate { .. }), "{e}");
        // Every fault once is fine, and so is a spec of spaces or none.
        let f: Faults =
            "latency=5ms,jitter=1ms,5xx=0.1,429=0.1,retry-after=2,drop=0.1,reject-field=a:b,seed=3"
                .parse()
                .unwrap();
        assert_eq!(f.to_string().parse::<Faults>().unwrap(), f);
        assert!("  ".parse::<Faults>().unwrap().is_none());
    }

    #[test]
    fn json_forms() {
        let f = Faults::from_json(&serde_json::json!({"latency": 20, "429": 1, "retry-after": 3}))
            .unwrap();
        assert_eq!(f.latency, Duration::from_millis(20));
        assert_eq!(f.p_429, 1.0);
        assert_eq!(f.retry_after_secs, 3);
        let g = Faults::from_json(&serde_json::json!("drop=1")).unwrap();
        assert_eq!(g.p_drop, 1.0);
        assert!(Faults::from_json(&serde_json::json!([1])).is_err());
    }

    #[test]
    fn decisions_follow_the_order_and_repeat_with_the_seed() {
        let certain = FaultsHandle::new("drop=1,429=1,5xx=1".parse().unwrap());
        assert_eq!(certain.decide().outcome, Outcome::Drop);
        certain.set("429=1,5xx=1,retry-after=7".parse().unwrap());
        assert_eq!(certain.decide().outcome, Outcome::TooManyRequests(7));
        certain.set("5xx=1".parse().unwrap());
        assert_eq!(certain.decide().outcome, Outcome::Unavailable);
        certain.clear();
        assert_eq!(certain.decide().outcome, Outcome::Pass);

        let spec: Faults = "5xx=0.5,jitter=10ms,seed=9".parse().unwrap();
        let a = FaultsHandle::new(spec.clone());
        let b = FaultsHandle::new(spec);
        let run = |h: &FaultsHandle| (0..64).map(|_| h.decide()).collect::<Vec<_>>();
        let (ra, rb) = (run(&a), run(&b));
        assert_eq!(ra, rb);
        let failures = ra
            .iter()
            .filter(|d| d.outcome == Outcome::Unavailable)
            .count();
        assert!((10..=54).contains(&failures), "{failures}");
        assert!(ra.iter().all(|d| d.delay <= Duration::from_millis(10)));
    }
}
