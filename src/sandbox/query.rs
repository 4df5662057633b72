//! The list-query language of `GET /<collection>` (elogii-api.md §4), as pure functions.
//!
//! * `date=YYYYMMDD[,…]` — the entity's `date` (integer or string) is one of them.
//! * `limit`, `skip` — paging (`limit=0` means no limit, as in MongoDB [inferred]).
//! * `sort=field,-other` — dotted paths; `-` descending; default insertion order.
//! * `select=a,b.c` (or space separated) — projection, `_id` always kept; `select=-a` excludes.
//! * `<path>=<value>` — equality, comma list acts as "in"; numbers equal numeric strings;
//!   a path through an array matches when any element matches (MongoDB style).
//! * `<path>>v`, `>=`, `<`, `<=`, `!=` — comparisons written into the parameter itself.
//! * `filter=<JSON>` — MongoDB operators: `$eq $ne $gt $gte $lt $lte $in $nin $exists $regex
//!   $options $not $type $size $and $or $nor`; ANDed with the plain parameters.

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

/// Longest dotted path accepted (segments).
const MAX_PATH_SEGMENTS: usize = 32;
/// Compiled-regex size limit, so a hostile `$regex` cannot eat the memory.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Why a query string was refused (answered as 400 with this text).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueryError {
    /// A parameter had a bad value or form.
    #[error("invalid query parameter {name:?}: {reason}")]
    BadParameter {
        /// The parameter's name.
        name: String,
        /// What was wrong.
        reason: String,
    },
    /// The `filter` JSON was not valid or not understood.
    #[error("invalid filter: {0}")]
    BadFilter(String),
    /// An operator this emulator does not know.
    #[error("unknown operator {0:?}")]
    UnknownOperator(String),
}

fn bad(name: &str, reason: impl Into<String>) -> QueryError {
    QueryError::BadParameter {
        name: name.to_owned(),
        reason: reason.into(),
    }
}

/// A dotted path split into its segments.
pub type FieldPath = Vec<String>;

/// Comparison operators of `$gt` & co and of `key>value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `<`
    Lt,
    /// `<=`
    Lte,
}

impl CmpOp {
    fn holds(self, ord: Ordering) -> bool {
        match self {
            CmpOp::Gt => ord == Ordering::Greater,
            CmpOp::Gte => ord != Ordering::Less,
            CmpOp::Lt => ord == Ordering::Less,
            CmpOp::Lte => ord != Ordering::Greater,
        }
    }
}

/// JSON types for `$type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    /// `"number"`, `"double"`, `"int"`, `"long"`, `"decimal"`.
    Number,
    /// `"string"`.
    String,
    /// `"object"`.
    Object,
    /// `"array"`.
    Array,
    /// `"bool"`.
    Bool,
    /// `"null"`.
    Null,
}

impl JsonType {
    fn of(v: &Value) -> Self {
        match v {
            Value::Null => JsonType::Null,
            Value::Bool(_) => JsonType::Bool,
            Value::Number(_) => JsonType::Number,
            Value::String(_) => JsonType::String,
            Value::Array(_) => JsonType::Array,
            Value::Object(_) => JsonType::Object,
        }
    }

    fn parse(v: &Value) -> Result<Self, QueryError> {
        let t = match v {
            Value::String(s) => match s.as_str() {
                "number" | "double" | "int" | "long" | "decimal" => JsonType::Number,
                "string" => JsonType::String,
                "object" => JsonType::Object,
                "array" => JsonType::Array,
                "bool" | "boolean" => JsonType::Bool,
                "null" => JsonType::Null,
                _ => return Err(QueryError::BadFilter(format!("unknown $type {s:?}"))),
            },
            Value::Number(n) => match n.as_i64() {
                Some(1 | 16 | 18 | 19) => JsonType::Number,
                Some(2) => JsonType::String,
                Some(3) => JsonType::Object,
                Some(4) => JsonType::Array,
                Some(8) => JsonType::Bool,
                Some(10) => JsonType::Null,
                _ => return Err(QueryError::BadFilter(format!("unknown $type {n}"))),
            },
            other => return Err(QueryError::BadFilter(format!("bad $type {other}"))),
        };
        Ok(t)
    }
}

/// A test on the values found at one path.
#[derive(Debug, Clone)]
pub enum Pred {
    /// Some value equals (numbers equal numeric strings; `null` also matches a missing field).
    Eq(Value),
    /// No value equals.
    Ne(Value),
    /// Some value compares so.
    Cmp(CmpOp, Value),
    /// Some value equals one of these.
    In(Vec<Value>),
    /// Some value equals one of these strings (a long `_id=a,b,c` list): a set
    /// lookup for string values, the loose comparison for the rest.
    InStrings(std::collections::HashSet<String>, Vec<Value>),
    /// No value equals any of these.
    Nin(Vec<Value>),
    /// The path exists (even with `null`) or not.
    Exists(bool),
    /// Some string value matches.
    Regex(regex::Regex),
    /// Some value has one of these types.
    Type(Vec<JsonType>),
    /// Some value is an array of this length.
    Size(usize),
    /// The inner test fails.
    Not(Box<Pred>),
    /// All of these hold.
    All(Vec<Pred>),
}

/// A condition on a whole document.
#[derive(Debug, Clone)]
pub enum Cond {
    /// All hold (an empty list holds).
    And(Vec<Cond>),
    /// At least one holds.
    Or(Vec<Cond>),
    /// None holds.
    Nor(Vec<Cond>),
    /// A test on the values at a path.
    Field(FieldPath, Pred),
}

/// One sort key.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    /// The dotted path.
    pub path: FieldPath,
    /// Descending when true.
    pub descending: bool,
}

/// A projection from `select`.
#[derive(Debug, Clone, PartialEq)]
pub enum Select {
    /// Keep only these paths (and `_id`).
    Include(Vec<FieldPath>),
    /// Drop these paths (never `_id`).
    Exclude(Vec<FieldPath>),
}

/// A parsed list query.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// The filter (ANDed plain parameters and `filter` JSON).
    pub conds: Vec<Cond>,
    /// Sort keys, most significant first; empty = insertion order.
    pub sort: Vec<SortKey>,
    /// Documents to skip.
    pub skip: usize,
    /// At most this many documents; `None` = all.
    pub limit: Option<usize>,
    /// Projection.
    pub select: Option<Select>,
}

// ---------------------------------------------------------------------------------------------
// Parsing the query string

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `application/x-www-form-urlencoded` text (`+` is a space; bad escapes stay literal).
pub fn url_decode(raw: &str, name: &str) -> Result<String, QueryError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match (hex_value(bytes[i + 1]), hex_value(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push(h * 16 + l);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| bad(name, "not valid UTF-8 after decoding"))
}

/// Operator written into a raw `key<op>value` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ParamOp {
    Eq,
    Ne,
    Cmp(CmpOp),
}

/// Splits a raw parameter at its first operator.
fn split_param(piece: &str) -> Option<(&str, ParamOp, &str)> {
    let bytes = piece.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let next_is_eq = bytes.get(i + 1) == Some(&b'=');
        let found = match b {
            b'=' => Some((ParamOp::Eq, 1)),
            b'!' if next_is_eq => Some((ParamOp::Ne, 2)),
            b'>' if next_is_eq => Some((ParamOp::Cmp(CmpOp::Gte), 2)),
            b'>' => Some((ParamOp::Cmp(CmpOp::Gt), 1)),
            b'<' if next_is_eq => Some((ParamOp::Cmp(CmpOp::Lte), 2)),
            b'<' => Some((ParamOp::Cmp(CmpOp::Lt), 1)),
            _ => None,
        };
        if let Some((op, len)) = found {
            return Some((&piece[..i], op, &piece[i + len..]));
        }
    }
    None
}

/// Splits and decodes one `key<op>value` parameter. Clients percent-encode `<` and `>`
/// (`date%3E=20230801`, `date%3E20230801`), so the operator is also looked for after decoding.
fn decode_param(piece: &str) -> Result<(String, ParamOp, String), QueryError> {
    let Some((raw_key, op, raw_value)) = split_param(piece) else {
        let decoded = url_decode(piece, "?")?;
        return match split_param(&decoded) {
            Some((k, op, v)) if op != ParamOp::Eq => Ok((k.to_owned(), op, v.to_owned())),
            _ => Err(bad(&decoded, "has no value (expected key=value)")),
        };
    };
    let mut key = url_decode(raw_key, "?")?;
    let value = url_decode(raw_value, &key)?;
    let mut op = op;
    if op == ParamOp::Eq {
        let folded = match key.as_bytes().last() {
            Some(b'>') => Some(ParamOp::Cmp(CmpOp::Gte)),
            Some(b'<') => Some(ParamOp::Cmp(CmpOp::Lte)),
            Some(b'!') => Some(ParamOp::Ne),
            _ => None,
        };
        if let Some(folded) = folded {
            key.pop();
            op = folded;
        } else if let Some((k, inner, v)) = split_param(&key)
            && inner != ParamOp::Eq
            && value.is_empty()
        {
            // `date%3E20230801=`: the whole comparison sat in the key.
            return Ok((k.to_owned(), inner, v.to_owned()));
        }
    }
    Ok((key, op, value))
}

/// Parses a dotted path; segments must be non-empty and not start with `$`.
pub fn parse_path(text: &str, name: &str) -> Result<FieldPath, QueryError> {
    if text.is_empty() {
        return Err(bad(name, "empty field name"));
    }
    let segments: FieldPath = text.split('.').map(str::to_owned).collect();
    if segments.len() > MAX_PATH_SEGMENTS {
        return Err(bad(name, "field path is too deep"));
    }
    for s in &segments {
        if s.is_empty() {
            return Err(bad(name, "empty segment in field path"));
        }
        if s.starts_with('$') {
            return Err(QueryError::UnknownOperator(s.clone()));
        }
    }
    Ok(segments)
}

fn parse_count(name: &str, value: &str) -> Result<usize, QueryError> {
    let v = value.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(name, "must be a non-negative whole number"));
    }
    // Huge values saturate: `limit=99999999999999999999` means "everything".
    Ok(v.parse::<usize>().unwrap_or(usize::MAX))
}

fn list_tokens(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
}

fn parse_sort(value: &str) -> Result<Vec<SortKey>, QueryError> {
    let mut keys = Vec::new();
    for token in list_tokens(value) {
        let (descending, field) = match token.as_bytes()[0] {
            b'-' => (true, &token[1..]),
            b'+' => (false, &token[1..]),
            _ => (false, token),
        };
        keys.push(SortKey {
            path: parse_path(field, "sort")?,
            descending,
        });
    }
    if keys.is_empty() {
        return Err(bad("sort", "needs at least one field"));
    }
    Ok(keys)
}

fn parse_select(value: &str) -> Result<Select, QueryError> {
    let mut include = Vec::new();
    let mut exclude = Vec::new();
    for token in list_tokens(value) {
        if let Some(field) = token.strip_prefix('-') {
            exclude.push(parse_path(field, "select")?);
        } else {
            include.push(parse_path(token.trim_start_matches('+'), "select")?);
        }
    }
    match (include.is_empty(), exclude.is_empty()) {
        (false, true) => Ok(Select::Include(include)),
        (true, false) => Ok(Select::Exclude(exclude)),
        (true, true) => Err(bad("select", "needs at least one field")),
        (false, false) => Err(bad("select", "cannot mix included and -excluded fields")),
    }
}

fn is_date_text(s: &str) -> bool {
    s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The values of `a,b,c` for an equality: the whole text and each comma part.
fn equality_operands(value: &str) -> Vec<Value> {
    let mut out = vec![Value::String(value.to_owned())];
    if value.contains(',') {
        out.extend(
            value
                .split(',')
                .filter(|p| *p != value)
                .map(|p| Value::String(p.to_owned())),
        );
    }
    out
}

fn date_value(s: &str) -> Value {
    s.parse::<u64>()
        .map(|n| Value::Number(n.into()))
        .unwrap_or_else(|_| Value::String(s.to_owned()))
}

/// Parses a raw query string (without the `?`).
pub fn parse_query(raw: Option<&str>) -> Result<Query, QueryError> {
    let mut query = Query::default();
    let mut seen_limit = false;
    let mut seen_skip = false;
    let Some(raw) = raw else {
        return Ok(query);
    };
    for piece in raw.split('&').filter(|p| !p.is_empty()) {
        let (key, op, value) = decode_param(piece)?;
        let reserved = matches!(
            key.as_str(),
            "limit" | "skip" | "sort" | "select" | "filter"
        );
        if reserved && op != ParamOp::Eq {
            return Err(bad(&key, "takes key=value only"));
        }
        match key.as_str() {
            "limit" => {
                if std::mem::replace(&mut seen_limit, true) {
                    return Err(bad("limit", "given twice"));
                }
                let n = parse_count("limit", &value)?;
                query.limit = (n > 0).then_some(n);
            }
            "skip" => {
                if std::mem::replace(&mut seen_skip, true) {
                    return Err(bad("skip", "given twice"));
                }
                query.skip = parse_count("skip", &value)?;
            }
            "sort" => {
                if !query.sort.is_empty() {
                    return Err(bad("sort", "given twice"));
                }
                query.sort = parse_sort(&value)?;
            }
            "select" => {
                if query.select.is_some() {
                    return Err(bad("select", "given twice"));
                }
                query.select = Some(parse_select(&value)?);
            }
            "filter" => {
                let json: Value = serde_json::from_str(&value)
                    .map_err(|e| QueryError::BadFilter(format!("not JSON: {e}")))?;
                query.conds.push(parse_filter(&json)?);
            }
            "date" => {
                let parts: Vec<&str> = value.split(',').collect();
                if !parts.iter().all(|p| is_date_text(p)) {
                    return Err(bad("date", "must be YYYYMMDD or a comma list of them"));
                }
                let operands: Vec<Value> = parts.iter().map(|p| date_value(p)).collect();
                let pred = match op {
                    ParamOp::Eq => Pred::In(operands),
                    ParamOp::Ne => Pred::Nin(operands),
                    ParamOp::Cmp(c) => {
                        if operands.len() != 1 {
                            return Err(bad("date", "a comparison takes one date"));
                        }
                        Pred::Cmp(c, operands.into_iter().next().unwrap_or(Value::Null))
                    }
                };
                query.conds.push(Cond::Field(vec!["date".to_owned()], pred));
            }
            _ => {
                let path = parse_path(&key, &key)?;
                let pred = match op {
                    ParamOp::Eq => Pred::in_values(equality_operands(&value)),
                    ParamOp::Ne => Pred::Nin(equality_operands(&value)),
                    ParamOp::Cmp(c) => Pred::Cmp(c, Value::String(value)),
                };
                query.conds.push(Cond::Field(path, pred));
            }
        }
    }
    Ok(query)
}

// ---------------------------------------------------------------------------------------------
// Parsing filter JSON

/// Parses a MongoDB-style filter document.
pub fn parse_filter(json: &Value) -> Result<Cond, QueryError> {
    let Value::Object(map) = json else {
        return Err(QueryError::BadFilter("must be a JSON object".to_owned()));
    };
    let mut conds = Vec::with_capacity(map.len());
    for (key, value) in map {
        if key.starts_with('$') {
            let list = |v: &Value| -> Result<Vec<Cond>, QueryError> {
                let items = v.as_array().filter(|a| !a.is_empty()).ok_or_else(|| {
                    QueryError::BadFilter(format!("{key} needs a non-empty array"))
                })?;
                items.iter().map(parse_filter).collect()
            };
            match key.as_str() {
                "$and" => conds.push(Cond::And(list(value)?)),
                "$or" => conds.push(Cond::Or(list(value)?)),
                "$nor" => conds.push(Cond::Nor(list(value)?)),
                _ => return Err(QueryError::UnknownOperator(key.clone())),
            }
        } else {
            let path = parse_path(key, "filter")?;
            conds.push(Cond::Field(path, parse_field_condition(value)?));
        }
    }
    Ok(Cond::And(conds))
}

fn is_operator_object(map: &Map<String, Value>) -> bool {
    map.keys().next().is_some_and(|k| k.starts_with('$'))
}

fn parse_field_condition(value: &Value) -> Result<Pred, QueryError> {
    match value {
        Value::Object(map) if is_operator_object(map) => parse_operators(map),
        literal => Ok(Pred::Eq(literal.clone())),
    }
}

fn build_regex(pattern: &str, options: &str) -> Result<regex::Regex, QueryError> {
    let mut builder = regex::RegexBuilder::new(pattern);
    builder
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .nest_limit(64);
    for c in options.chars() {
        match c {
            'i' => builder.case_insensitive(true),
            'm' => builder.multi_line(true),
            's' => builder.dot_matches_new_line(true),
            'x' => builder.ignore_whitespace(true),
            other => {
                return Err(QueryError::BadFilter(format!(
                    "unknown $options flag {other:?} (known: i, m, s, x)"
                )));
            }
        };
    }
    builder
        .build()
        .map_err(|e| QueryError::BadFilter(format!("bad $regex: {e}")))
}

fn parse_operators(map: &Map<String, Value>) -> Result<Pred, QueryError> {
    let mut preds = Vec::with_capacity(map.len());
    let options = match map.get("$options") {
        None => "",
        Some(Value::String(s)) => s.as_str(),
        Some(_) => {
            return Err(QueryError::BadFilter(
                "$options must be a string".to_owned(),
            ));
        }
    };
    if map.contains_key("$options") && !map.contains_key("$regex") {
        return Err(QueryError::BadFilter("$options needs $regex".to_owned()));
    }
    for (op, operand) in map {
        let array = || {
            operand
                .as_array()
                .cloned()
                .ok_or_else(|| QueryError::BadFilter(format!("{op} needs an array")))
        };
        let pred = match op.as_str() {
            "$eq" => Pred::Eq(operand.clone()),
            "$ne" => Pred::Ne(operand.clone()),
            "$gt" => Pred::Cmp(CmpOp::Gt, operand.clone()),
            "$gte" => Pred::Cmp(CmpOp::Gte, operand.clone()),
            "$lt" => Pred::Cmp(CmpOp::Lt, operand.clone()),
            "$lte" => Pred::Cmp(CmpOp::Lte, operand.clone()),
            "$in" => Pred::in_values(array()?),
            "$nin" => Pred::Nin(array()?),
            "$exists" => match operand {
                Value::Bool(b) => Pred::Exists(*b),
                Value::Number(n) => Pred::Exists(n.as_f64().is_some_and(|f| f != 0.0)),
                _ => {
                    return Err(QueryError::BadFilter(
                        "$exists needs true or false".to_owned(),
                    ));
                }
            },
            "$regex" => match operand {
                Value::String(pattern) => Pred::Regex(build_regex(pattern, options)?),
                _ => return Err(QueryError::BadFilter("$regex needs a string".to_owned())),
            },
            "$options" => continue,
            "$type" => match operand {
                Value::Array(items) => Pred::Type(
                    items
                        .iter()
                        .map(JsonType::parse)
                        .collect::<Result<_, _>>()?,
                ),
                one => Pred::Type(vec![JsonType::parse(one)?]),
            },
            "$size" => match operand.as_u64() {
                Some(n) => Pred::Size(usize::try_from(n).unwrap_or(usize::MAX)),
                None => {
                    return Err(QueryError::BadFilter(
                        "$size needs a non-negative integer".to_owned(),
                    ));
                }
            },
            "$not" => match operand {
                Value::Object(inner) if is_operator_object(inner) => {
                    Pred::Not(Box::new(parse_operators(inner)?))
                }
                _ => {
                    return Err(QueryError::BadFilter(
                        "$not needs an operator object".to_owned(),
                    ));
                }
            },
            other if other.starts_with('$') => {
                return Err(QueryError::UnknownOperator(other.to_owned()));
            }
            other => {
                return Err(QueryError::BadFilter(format!(
                    "cannot mix operators and field {other:?} in one condition"
                )));
            }
        };
        preds.push(pred);
    }
    Ok(Pred::All(preds))
}

// ---------------------------------------------------------------------------------------------
// Matching

/// Collects the values at `path` (through arrays of objects, MongoDB style).
pub fn resolve<'a>(value: &'a Value, path: &[String], out: &mut Vec<&'a Value>) {
    let Some((segment, rest)) = path.split_first() else {
        out.push(value);
        return;
    };
    match value {
        Value::Object(map) => {
            if let Some(child) = map.get(segment) {
                resolve(child, rest, out);
            }
        }
        Value::Array(items) => {
            if let Ok(index) = segment.parse::<usize>() {
                if let Some(child) = items.get(index) {
                    resolve(child, rest, out);
                }
            } else {
                for item in items.iter().filter(|i| i.is_object()) {
                    resolve(item, path, out);
                }
            }
        }
        _ => {}
    }
}

/// A number from a JSON number or a plain decimal string.
fn numeric(v: &Value) -> Option<NumberLike> {
    match v {
        Value::Number(n) => Some(NumberLike::from_number(n)),
        Value::String(s) => NumberLike::from_text(s),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy)]
enum NumberLike {
    Int(i128),
    Float(f64),
}

impl NumberLike {
    fn from_number(n: &Number) -> Self {
        if let Some(i) = n.as_i64() {
            NumberLike::Int(i128::from(i))
        } else if let Some(u) = n.as_u64() {
            NumberLike::Int(i128::from(u))
        } else {
            NumberLike::Float(n.as_f64().unwrap_or(f64::NAN))
        }
    }

    fn from_text(s: &str) -> Option<Self> {
        let body = s.strip_prefix('-').unwrap_or(s);
        if !body.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        if body.bytes().all(|b| b.is_ascii_digit())
            && let Ok(i) = s.parse::<i128>()
        {
            return Some(NumberLike::Int(i));
        }
        if !body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        {
            return None;
        }
        s.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(NumberLike::Float)
    }

    fn cmp(self, other: NumberLike) -> Ordering {
        match (self, other) {
            (NumberLike::Int(a), NumberLike::Int(b)) => a.cmp(&b),
            (a, b) => a.as_f64().total_cmp(&b.as_f64()),
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            NumberLike::Int(i) => i as f64,
            NumberLike::Float(f) => f,
        }
    }
}

/// Equality with the emulator's leniency: numbers equal numeric strings, `"true"` equals `true`.
pub fn loose_eq(field: &Value, operand: &Value) -> bool {
    match (field, operand) {
        (Value::String(a), Value::String(b)) => a == b,
        (Value::Number(_), Value::Number(_))
        | (Value::Number(_), Value::String(_))
        | (Value::String(_), Value::Number(_)) => match (numeric(field), numeric(operand)) {
            (Some(a), Some(b)) => a.cmp(b) == Ordering::Equal,
            _ => false,
        },
        (Value::Bool(b), Value::String(s)) | (Value::String(s), Value::Bool(b)) => {
            s == if *b { "true" } else { "false" }
        }
        (Value::Null, Value::String(s)) => s == "null",
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| loose_eq(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, v)| b.get(k).is_some_and(|w| loose_eq(v, w)))
        }
        (a, b) => a == b,
    }
}

/// Ordering for `$gt` & co: numbers (and numeric strings) numerically, strings by text,
/// anything else does not compare.
fn compare_for_op(field: &Value, operand: &Value) -> Option<Ordering> {
    match (field, operand) {
        (Value::Array(_) | Value::Object(_) | Value::Bool(_) | Value::Null, _) => None,
        _ => match (numeric(field), numeric(operand)) {
            (Some(a), Some(b)) => Some(a.cmp(b)),
            _ => match (field, operand) {
                (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
                _ => None,
            },
        },
    }
}

/// The values found plus, for arrays among them, their elements.
fn candidates<'a>(found: &[&'a Value]) -> impl Iterator<Item = &'a Value> {
    found.iter().flat_map(|v| {
        let own = std::iter::once(*v);
        let elements = match v {
            Value::Array(items) => items.as_slice(),
            _ => &[],
        };
        own.chain(elements.iter())
    })
}

fn eq_matches(found: &[&Value], operand: &Value) -> bool {
    if operand.is_null() && found.is_empty() {
        return true;
    }
    candidates(found).any(|v| loose_eq(v, operand))
}

impl Pred {
    /// `In`, with a set lookup when the list is long and all strings.
    pub fn in_values(xs: Vec<Value>) -> Pred {
        if xs.len() > 8 && xs.iter().all(Value::is_string) {
            let set = xs
                .iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect();
            Pred::InStrings(set, xs)
        } else {
            Pred::In(xs)
        }
    }

    fn matches(&self, found: &[&Value]) -> bool {
        match self {
            Pred::Eq(x) => eq_matches(found, x),
            Pred::Ne(x) => !eq_matches(found, x),
            Pred::In(xs) => xs.iter().any(|x| eq_matches(found, x)),
            Pred::InStrings(set, xs) => candidates(found).any(|v| match v {
                Value::String(s) => set.contains(s),
                other => xs.iter().any(|x| loose_eq(other, x)),
            }),
            Pred::Nin(xs) => !xs.iter().any(|x| eq_matches(found, x)),
            Pred::Cmp(op, x) => candidates(found)
                .filter(|v| !v.is_array())
                .any(|v| compare_for_op(v, x).is_some_and(|o| op.holds(o))),
            Pred::Exists(want) => found.is_empty() != *want,
            Pred::Regex(re) => {
                candidates(found).any(|v| v.as_str().is_some_and(|s| re.is_match(s)))
            }
            Pred::Type(types) => candidates(found).any(|v| types.contains(&JsonType::of(v))),
            Pred::Size(n) => found
                .iter()
                .any(|v| v.as_array().is_some_and(|a| a.len() == *n)),
            Pred::Not(inner) => !inner.matches(found),
            Pred::All(preds) => preds.iter().all(|p| p.matches(found)),
        }
    }
}

impl Cond {
    /// Whether `doc` satisfies the condition.
    pub fn matches(&self, doc: &Value) -> bool {
        match self {
            Cond::And(all) => all.iter().all(|c| c.matches(doc)),
            Cond::Or(any) => any.iter().any(|c| c.matches(doc)),
            Cond::Nor(none) => !none.iter().any(|c| c.matches(doc)),
            Cond::Field(path, pred) => {
                let mut found = Vec::new();
                resolve(doc, path, &mut found);
                pred.matches(&found)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Sorting and projection

fn type_rank(v: Option<&Value>) -> u8 {
    match v {
        None | Some(Value::Null) => 0,
        Some(Value::Number(_)) => 1,
        Some(Value::String(_)) => 2,
        Some(Value::Object(_)) => 3,
        Some(Value::Array(_)) => 4,
        Some(Value::Bool(_)) => 5,
    }
}

/// A total order over JSON values (MongoDB-like type brackets).
pub fn total_cmp(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    let (ra, rb) = (type_rank(a), type_rank(b));
    if ra != rb {
        return ra.cmp(&rb);
    }
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => {
            NumberLike::from_number(x).cmp(NumberLike::from_number(y))
        }
        (Some(Value::String(x)), Some(Value::String(y))) => x.cmp(y),
        (Some(Value::Bool(x)), Some(Value::Bool(y))) => x.cmp(y),
        (Some(Value::Array(x)), Some(Value::Array(y))) => x
            .iter()
            .zip(y)
            .map(|(p, q)| total_cmp(Some(p), Some(q)))
            .find(|o| o.is_ne())
            .unwrap_or(x.len().cmp(&y.len())),
        (Some(Value::Object(x)), Some(Value::Object(y))) => x
            .iter()
            .zip(y)
            .map(|((kp, vp), (kq, vq))| kp.cmp(kq).then_with(|| total_cmp(Some(vp), Some(vq))))
            .find(|o| o.is_ne())
            .unwrap_or(x.len().cmp(&y.len())),
        _ => Ordering::Equal,
    }
}

fn sort_value<'a>(doc: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut found = Vec::new();
    resolve(doc, path, &mut found);
    found.into_iter().next()
}

fn compare_docs(a: &Value, b: &Value, keys: &[SortKey]) -> Ordering {
    for key in keys {
        let ord = total_cmp(sort_value(a, &key.path), sort_value(b, &key.path));
        let ord = if key.descending { ord.reverse() } else { ord };
        if ord.is_ne() {
            return ord;
        }
    }
    Ordering::Equal
}

/// Keeps the included paths of `value` (document order), recursing through arrays.
fn project_include(value: &Value, paths: &[&[String]]) -> Option<Value> {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, child) in map {
                let rests: Vec<&[String]> = paths
                    .iter()
                    .filter(|p| p.first() == Some(key))
                    .map(|p| &p[1..])
                    .collect();
                if rests.is_empty() {
                    continue;
                }
                if rests.iter().any(|r| r.is_empty()) {
                    out.insert(key.clone(), child.clone());
                } else if let Some(projected) = project_include(child, &rests) {
                    out.insert(key.clone(), projected);
                }
            }
            Some(Value::Object(out))
        }
        Value::Array(items) => Some(Value::Array(
            items
                .iter()
                .filter(|i| i.is_object() || i.is_array())
                .filter_map(|i| project_include(i, paths))
                .collect(),
        )),
        _ => None,
    }
}

fn project_exclude(value: &mut Value, path: &[String]) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    match value {
        Value::Object(map) => {
            if rest.is_empty() {
                map.shift_remove(first);
            } else if let Some(child) = map.get_mut(first) {
                project_exclude(child, rest);
            }
        }
        Value::Array(items) => {
            for item in items {
                project_exclude(item, path);
            }
        }
        _ => {}
    }
}

impl Select {
    /// Applies the projection to one document.
    pub fn project(&self, doc: &Value) -> Value {
        match self {
            Select::Include(paths) => {
                let mut refs: Vec<&[String]> = paths.iter().map(Vec::as_slice).collect();
                let id = ["_id".to_owned()];
                refs.push(&id);
                project_include(doc, &refs).unwrap_or_else(|| doc.clone())
            }
            Select::Exclude(paths) => {
                let mut out = doc.clone();
                for p in paths.iter().filter(|p| p.as_slice() != ["_id"]) {
                    project_exclude(&mut out, p);
                }
                out
            }
        }
    }
}

impl Query {
    /// Whether one document passes the filter.
    pub fn matches(&self, doc: &Value) -> bool {
        self.conds.iter().all(|c| c.matches(doc))
    }

    /// Runs the query over documents given in insertion order.
    pub fn run<'a, I>(&self, docs: I) -> Vec<Value>
    where
        I: IntoIterator<Item = &'a Value>,
    {
        let limit = self.limit.unwrap_or(usize::MAX);
        let finish = |doc: &Value| match &self.select {
            Some(select) => select.project(doc),
            None => doc.clone(),
        };
        let matching = docs.into_iter().filter(|d| self.matches(d));
        if self.sort.is_empty() {
            matching.skip(self.skip).take(limit).map(finish).collect()
        } else {
            let mut all: Vec<&Value> = matching.collect();
            all.sort_by(|a, b| compare_docs(a, b, &self.sort));
            all.into_iter()
                .skip(self.skip)
                .take(limit)
                .map(finish)
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn docs() -> Vec<Value> {
        vec![
            json!({"_id": "a1", "uid": "CUS-A", "name": "Alpha Stores", "date": 20250115,
                   "locations": [{"uid": "CL-1", "postCode": "BL3 1SX", "coordinates": [-2.4, 53.5]},
                                 {"uid": "CL-2", "postCode": "M1 1AA"}],
                   "customData": {"Priority": "A11"}, "tags": ["retail", "north"]}),
            json!({"_id": "b2", "uid": "CUS-B", "name": "beta Bakery", "date": "20250116",
                   "locations": [{"uid": "CL-3", "postCode": "SW1A 1AA"}],
                   "customData": {"Priority": "B12"}, "tags": []}),
            json!({"_id": "c3", "uid": "CUS-C", "name": "Gamma Garage", "date": 20250117,
                   "locations": [], "contactName": null,
                   "assignment": {"routeUID": "R-X", "routeOrder": 2}}),
        ]
    }

    fn ids(q: &str) -> Vec<String> {
        let query = parse_query(Some(q)).unwrap();
        query
            .run(docs().iter())
            .iter()
            .map(|d| d["_id"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn date_matches_ints_and_strings_and_lists() {
        assert_eq!(ids("date=20250116"), ["b2"]);
        assert_eq!(ids("date=20250115,20250116"), ["a1", "b2"]);
        assert_eq!(ids("date>20250115"), ["b2", "c3"]);
        assert_eq!(ids("date>=20250116"), ["b2", "c3"]);
        assert_eq!(ids("date<20250116"), ["a1"]);
        assert_eq!(ids("date<=20250116"), ["a1", "b2"]);
        assert_eq!(ids("date!=20250116"), ["a1", "c3"]);
        // Percent-encoded operators, as HTTP clients send them.
        assert_eq!(ids("date%3E20250115"), ["b2", "c3"]);
        assert_eq!(ids("date%3E=20250116"), ["b2", "c3"]);
        assert_eq!(ids("date%3E%3D20250116"), ["b2", "c3"]);
        assert_eq!(ids("date%3C=20250116"), ["a1", "b2"]);
        assert_eq!(ids("date%3C20250116"), ["a1"]);
        assert_eq!(ids("date%21=20250116"), ["a1", "c3"]);
        assert!(parse_query(Some("date=2025-01-15")).is_err());
    }

    #[test]
    fn long_id_lists_use_a_set_and_keep_loose_number_matching() {
        let docs: Vec<Value> = (0..40)
            .map(|i| json!({"_id": format!("id{i:02}"), "n": i}))
            .collect();
        let ids: Vec<String> = (10..30).map(|i| format!("id{i:02}")).collect();
        let q = parse_query(Some(&format!("_id={}", ids.join(",")))).unwrap();
        let found = q.run(docs.iter());
        assert_eq!(found.len(), 20);
        assert_eq!(found[0]["_id"], "id10");
        let nums: Vec<String> = (0..12).map(|i| i.to_string()).collect();
        let q = parse_query(Some(&format!("n={}", nums.join(",")))).unwrap();
        assert_eq!(
            q.run(docs.iter()).len(),
            12,
            "numbers still equal numeric strings"
        );
    }

    #[test]
    fn equality_with_dotted_paths_into_arrays() {
        assert_eq!(ids("locations.postCode=BL3+1SX"), ["a1"]);
        assert_eq!(ids("locations.postCode=BL3%201SX"), ["a1"]);
        assert_eq!(ids("locations.uid=CL-3,CL-2"), ["a1", "b2"]);
        assert_eq!(ids("locations.0.uid=CL-1"), ["a1"]);
        assert_eq!(ids("assignment.routeUID=R-X"), ["c3"]);
        assert_eq!(ids("assignment.routeOrder=2"), ["c3"]);
        assert_eq!(ids("tags=north"), ["a1"]);
        assert_eq!(ids("name=Nobody"), Vec::<String>::new());
        assert_eq!(ids("uid=CUS-A&date=20250115"), ["a1"]);
        assert_eq!(ids("uid=CUS-A&date=20250116"), Vec::<String>::new());
    }

    #[test]
    fn paging_sort_and_select() {
        assert_eq!(ids("limit=2"), ["a1", "b2"]);
        assert_eq!(ids("limit=2&skip=2"), ["c3"]);
        assert_eq!(ids("skip=5"), Vec::<String>::new());
        assert_eq!(ids("limit=0"), ["a1", "b2", "c3"]);
        assert_eq!(ids("limit=99999999999999999999999"), ["a1", "b2", "c3"]);
        assert_eq!(ids("sort=-_id"), ["c3", "b2", "a1"]);
        assert_eq!(ids("sort=name"), ["a1", "c3", "b2"]);
        assert_eq!(ids("sort=-customData.Priority,_id"), ["b2", "a1", "c3"]);
        let q = parse_query(Some("select=name,locations.postCode&limit=1")).unwrap();
        let out = q.run(docs().iter());
        assert_eq!(
            out[0],
            json!({"_id": "a1", "name": "Alpha Stores",
                   "locations": [{"postCode": "BL3 1SX"}, {"postCode": "M1 1AA"}]})
        );
        let q = parse_query(Some("select=-locations -tags -_id&limit=1")).unwrap();
        let out = q.run(docs().iter());
        assert_eq!(
            out[0],
            json!({"_id": "a1", "uid": "CUS-A", "name": "Alpha Stores", "date": 20250115,
                   "customData": {"Priority": "A11"}})
        );
    }

    #[test]
    fn filter_json_operators() {
        let f = |j: &str| {
            ids(&format!(
                "filter={}",
                j.replace('&', "%26").replace('+', "%2B")
            ))
        };
        assert_eq!(f(r#"{"customData.Priority":{"$regex":"11$"}}"#), ["a1"]);
        assert_eq!(f(r#"{"name":{"$regex":"^BETA","$options":"i"}}"#), ["b2"]);
        assert_eq!(f(r#"{"uid":{"$in":["CUS-A","CUS-C"]}}"#), ["a1", "c3"]);
        assert_eq!(f(r#"{"uid":{"$nin":["CUS-A","CUS-C"]}}"#), ["b2"]);
        assert_eq!(f(r#"{"date":{"$gt":20250115}}"#), ["b2", "c3"]);
        assert_eq!(f(r#"{"date":{"$gte":"20250116","$lt":20250117}}"#), ["b2"]);
        assert_eq!(f(r#"{"contactName":{"$exists":true}}"#), ["c3"]);
        assert_eq!(f(r#"{"contactName":{"$exists":false}}"#), ["a1", "b2"]);
        assert_eq!(f(r#"{"contactName":null}"#), ["a1", "b2", "c3"]);
        assert_eq!(
            f(r#"{"$or":[{"uid":"CUS-A"},{"date":20250117}]}"#),
            ["a1", "c3"]
        );
        assert_eq!(
            f(r#"{"$and":[{"uid":{"$ne":"CUS-A"}},{"tags":{"$size":0}}]}"#),
            ["b2"]
        );
        assert_eq!(f(r#"{"$nor":[{"uid":"CUS-A"}]}"#), ["b2", "c3"]);
        assert_eq!(f(r#"{"date":{"$type":"string"}}"#), ["b2"]);
        assert_eq!(
            f(r#"{"name":{"$not":{"$regex":"a"}}}"#),
            Vec::<String>::new()
        );
        assert_eq!(f(r#"{"locations.postCode":"M1 1AA"}"#), ["a1"]);
        assert_eq!(
            ids("filter=%7B%22uid%22%3A%22CUS-B%22%7D&uid=CUS-B"),
            ["b2"]
        );
        assert_eq!(
            ids("filter=%7B%22uid%22%3A%22CUS-B%22%7D&uid=CUS-A"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn bad_queries_are_errors_not_panics() {
        for q in [
            "limit=-1",
            "limit=abc",
            "limit=1&limit=2",
            "skip=1.5",
            "sort=",
            "sort=a..b",
            "select=",
            "select=a,-b",
            "filter={",
            "filter=[1]",
            "filter=%7B%22a%22%3A%7B%22%24where%22%3A1%7D%7D",
            "filter=%7B%22%24where%22%3A1%7D",
            "filter=%7B%22a%22%3A%7B%22%24regex%22%3A%22(%22%7D%7D",
            "filter=%7B%22a%22%3A%7B%22%24options%22%3A%22i%22%7D%7D",
            "limit>5",
            "justakey",
            "=value",
            "a.$b=1",
            "%FF=1",
        ] {
            assert!(parse_query(Some(q)).is_err(), "{q} should fail");
        }
        assert!(matches!(
            parse_query(Some("filter=%7B%22a%22%3A%7B%22%24foo%22%3A1%7D%7D")),
            Err(QueryError::UnknownOperator(op)) if op == "$foo"
        ));
        // Odd but valid.
        for q in ["", "&&", "name=%", "name=%2", "name=100%25", "x=%E2%9C%93"] {
            assert!(parse_query(Some(q)).is_ok(), "{q} should parse");
        }
    }

    #[test]
    fn numbers_equal_numeric_strings_only() {
        assert!(loose_eq(&json!(20250115), &json!("20250115")));
        assert!(loose_eq(&json!("007"), &json!(7)));
        assert!(!loose_eq(&json!("007"), &json!("7")));
        assert!(loose_eq(&json!(1.5), &json!("1.5")));
        assert!(!loose_eq(&json!(1), &json!("1x")));
        assert!(loose_eq(&json!(true), &json!("true")));
        assert!(!loose_eq(&json!("inf"), &json!(f64::MAX)));
        assert_eq!(
            total_cmp(Some(&json!(u64::MAX)), Some(&json!(-1))),
            Ordering::Greater
        );
    }
}
