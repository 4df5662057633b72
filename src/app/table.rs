//! Tables: records kept in shared chunks, rows as indices into them, cells
//! formatted lazily, and the filter/sort job ([`derive`]) that may run off the
//! loop on a snapshot.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::Arc;

use nucleo_matcher::pattern::{Atom, AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

/// An append-only list of records stored in immutable shared chunks (one per
/// page), so a snapshot for a background job is a cheap clone.
#[derive(Debug)]
pub struct Store<T> {
    chunks: Vec<Arc<[T]>>,
    starts: Vec<usize>,
    len: usize,
}

impl<T> Clone for Store<T> {
    fn clone(&self) -> Self {
        Self {
            chunks: self.chunks.clone(),
            starts: self.starts.clone(),
            len: self.len,
        }
    }
}

impl<T> Default for Store<T> {
    fn default() -> Self {
        Self {
            chunks: Vec::new(),
            starts: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Store<T> {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no records.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends a page of records (ignored when empty).
    pub fn push_chunk(&mut self, items: Vec<T>) {
        if items.is_empty() {
            return;
        }
        self.starts.push(self.len);
        self.len += items.len();
        self.chunks.push(Arc::from(items));
    }

    /// The record at `i`.
    pub fn get(&self, i: usize) -> Option<&T> {
        if i >= self.len {
            return None;
        }
        let chunk = self.starts.partition_point(|&s| s <= i).checked_sub(1)?;
        self.chunks.get(chunk)?.get(i - self.starts[chunk])
    }

    /// All records in order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flat_map(|c| c.iter())
    }

    /// Replaces records in place (indices past the end are ignored). A chunk
    /// shared with a snapshot is copied once, however many of its records change.
    pub fn replace_many(&mut self, mut items: Vec<(usize, T)>)
    where
        T: Clone,
    {
        items.retain(|(i, _)| *i < self.len);
        items.sort_by_key(|(i, _)| *i);
        let mut items = items.into_iter().peekable();
        while let Some(&(first, _)) = items.peek() {
            let Some(c) = self.starts.partition_point(|&s| s <= first).checked_sub(1) else {
                break;
            };
            let start = self.starts[c];
            let end = start + self.chunks[c].len();
            let chunk = &mut self.chunks[c];
            if Arc::get_mut(chunk).is_none() {
                *chunk = Arc::from(chunk.to_vec());
            }
            let Some(slots) = Arc::get_mut(chunk) else {
                break;
            };
            while let Some((i, _)) = items.peek() {
                if *i >= end {
                    break;
                }
                if let Some((i, item)) = items.next() {
                    slots[i - start] = item;
                }
            }
        }
    }
}

impl<T> FromIterator<T> for Store<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut s = Store::new();
        s.push_chunk(iter.into_iter().collect());
        s
    }
}

/// Append-only texts stored contiguously, one buffer per page, so scanning
/// them all (the filter) reads memory in order. Clones are cheap.
#[derive(Debug, Clone, Default)]
pub struct TextStore {
    chunks: Vec<Arc<TextChunk>>,
    starts: Vec<usize>,
    len: usize,
}

#[derive(Debug, Default)]
struct TextChunk {
    text: String,
    ends: Vec<usize>,
}

impl TextStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of texts.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no texts.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends a page of texts (ignored when empty).
    pub fn push_chunk<S: AsRef<str>>(&mut self, texts: impl IntoIterator<Item = S>) {
        let mut chunk = TextChunk::default();
        for t in texts {
            chunk.text.push_str(t.as_ref());
            chunk.ends.push(chunk.text.len());
        }
        if chunk.ends.is_empty() {
            return;
        }
        self.starts.push(self.len);
        self.len += chunk.ends.len();
        chunk.text.shrink_to_fit();
        self.chunks.push(Arc::new(chunk));
    }

    /// The text at `i`.
    pub fn get(&self, i: usize) -> Option<&str> {
        if i >= self.len {
            return None;
        }
        let c = self.starts.partition_point(|&s| s <= i).checked_sub(1)?;
        let chunk = self.chunks.get(c)?;
        let k = i - self.starts[c];
        let end = *chunk.ends.get(k)?;
        let start = if k == 0 { 0 } else { chunk.ends[k - 1] };
        chunk.text.get(start..end)
    }

    /// Replaces texts (indices past the end are ignored); each chunk touched
    /// is rebuilt once.
    pub fn replace_many(&mut self, mut items: Vec<(usize, String)>) {
        items.retain(|(i, _)| *i < self.len);
        items.sort_by_key(|(i, _)| *i);
        let mut items = items.into_iter().peekable();
        while let Some(&(first, _)) = items.peek() {
            let Some(c) = self.starts.partition_point(|&s| s <= first).checked_sub(1) else {
                break;
            };
            let start = self.starts[c];
            let old = &self.chunks[c];
            let mut chunk = TextChunk::default();
            for k in 0..old.ends.len() {
                let from = if k == 0 { 0 } else { old.ends[k - 1] };
                let keep = old.text.get(from..old.ends[k]).unwrap_or("");
                match items.peek() {
                    Some((i, _)) if *i == start + k => {
                        if let Some((_, text)) = items.next() {
                            chunk.text.push_str(&text);
                        }
                        // A repeated index: the last text wins.
                        while let Some((i, _)) = items.peek() {
                            if *i != start + k {
                                break;
                            }
                            if let Some((_, text)) = items.next() {
                                let from = chunk.ends.last().copied().unwrap_or(0);
                                chunk.text.truncate(from);
                                chunk.text.push_str(&text);
                            }
                        }
                    }
                    _ => chunk.text.push_str(keep),
                }
                chunk.ends.push(chunk.text.len());
            }
            chunk.text.shrink_to_fit();
            self.chunks[c] = Arc::new(chunk);
        }
    }
}

/// How a column is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Header text.
    pub title: &'static str,
    /// Narrowest useful width in cells.
    pub min: u16,
    /// Widest it grows to.
    pub max: u16,
    /// Right-aligned (numbers).
    pub numeric: bool,
    /// Gets its width before the others share what is left (numbers always
    /// do: a cut number says nothing).
    pub first: bool,
}

impl Column {
    /// A left-aligned text column.
    pub const fn text(title: &'static str, min: u16, max: u16) -> Column {
        Column {
            title,
            min,
            max,
            numeric: false,
            first: false,
        }
    }

    /// A right-aligned number column.
    pub const fn num(title: &'static str, min: u16, max: u16) -> Column {
        Column {
            title,
            min,
            max,
            numeric: true,
            first: true,
        }
    }

    /// The same column, widened before the others (what a screen is about).
    pub const fn widened_first(self) -> Column {
        Column {
            first: true,
            ..self
        }
    }
}

/// Rows of a table with lazily formatted, already sanitised cells.
pub trait RowSource: Send + Sync {
    /// Number of data rows.
    fn len(&self) -> usize;
    /// True when there are no rows.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The column layout.
    fn columns(&self) -> &'static [Column];
    /// Text of one cell (sanitised: safe to put on the screen).
    fn cell(&self, row: usize, col: usize) -> Cow<'_, str>;
    /// Text the filter matches against (all columns).
    fn haystack(&self, row: usize) -> Cow<'_, str> {
        Cow::Owned(haystack_of(self, row))
    }
    /// Text a column sorts by (the cell unless a source says otherwise, e.g.
    /// signed minutes written so that they sort as numbers).
    fn sort_cell(&self, row: usize, col: usize) -> Cow<'_, str> {
        self.cell(row, col)
    }
    /// Whether a row belongs to a scope word (see [`Spec::scope`]); sources
    /// without scopes keep every row.
    fn in_scope(&self, _row: usize, _scope: &str) -> bool {
        true
    }
    /// How the whole row stands out (late stops).
    fn row_mark(&self, _row: usize) -> RowMark {
        RowMark::Plain
    }
}

/// A source whose filter text of some rows has more added: the staged
/// values they show, so `/` finds a row by what is on the screen.
pub struct WithExtraText {
    /// The rows.
    pub inner: Arc<dyn RowSource>,
    /// More filter text by row.
    pub extra: std::collections::HashMap<u32, String>,
}

impl RowSource for WithExtraText {
    fn len(&self) -> usize {
        self.inner.len()
    }
    fn columns(&self) -> &'static [Column] {
        self.inner.columns()
    }
    fn cell(&self, row: usize, col: usize) -> Cow<'_, str> {
        self.inner.cell(row, col)
    }
    fn haystack(&self, row: usize) -> Cow<'_, str> {
        let base = self.inner.haystack(row);
        match self.extra.get(&(row as u32)) {
            Some(more) => Cow::Owned(format!("{base}  {more}")),
            None => base,
        }
    }
    fn sort_cell(&self, row: usize, col: usize) -> Cow<'_, str> {
        self.inner.sort_cell(row, col)
    }
    fn in_scope(&self, row: usize, scope: &str) -> bool {
        self.inner.in_scope(row, scope)
    }
    fn row_mark(&self, row: usize) -> RowMark {
        self.inner.row_mark(row)
    }
}

/// How a row stands out, besides its glyphs (never colour alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RowMark {
    /// Nothing special.
    #[default]
    Plain,
    /// Needs attention (late): the theme's late style.
    Alert,
    /// Close to a problem (at risk): the theme's warning style.
    Warn,
}

/// The cells of `row` joined with two spaces (the filter's haystack).
pub fn haystack_of<S: RowSource + ?Sized>(src: &S, row: usize) -> String {
    haystack_measured(src, row, &mut Vec::new())
}

/// Like [`haystack_of`], also raising `widths[col]` to each cell's display width.
pub fn haystack_measured<S: RowSource + ?Sized>(
    src: &S,
    row: usize,
    widths: &mut Vec<u16>,
) -> String {
    let ncols = src.columns().len();
    if widths.len() < ncols {
        widths.resize(ncols, 0);
    }
    let mut out = String::new();
    for (col, widest) in widths.iter_mut().enumerate().take(ncols) {
        let cell = src.cell(row, col);
        if cell.is_empty() {
            continue;
        }
        let w = u16::try_from(crate::domain::sanitize::display_width(&cell)).unwrap_or(u16::MAX);
        *widest = (*widest).max(w);
        if !out.is_empty() {
            out.push_str("  ");
        }
        out.extend(cell.chars().map(fold_quote));
    }
    out
}

/// Typographic quotes as typed ones, so `elijo's` finds `Elijo’s`.
fn fold_quote(c: char) -> char {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{02BC}' | '\u{2032}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201F}' | '\u{2033}' => '"',
        other => other,
    }
}

/// Widest cell of each column over all rows (for small tables).
pub fn widths_of<S: RowSource + ?Sized>(src: &S) -> Vec<u16> {
    let mut widths = vec![0u16; src.columns().len()];
    for row in 0..src.len() {
        for (col, w) in widths.iter_mut().enumerate() {
            let cw = crate::domain::sanitize::display_width(&src.cell(row, col));
            *w = (*w).max(u16::try_from(cw).unwrap_or(u16::MAX));
        }
    }
    widths
}

/// Sort order of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    /// Column index.
    pub col: usize,
    /// Descending.
    pub desc: bool,
}

/// What rows a table shows: a filter text and a sort.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Spec {
    /// Filter in fzf's syntax (see [`Filter`]).
    pub filter: String,
    /// Sort column and direction.
    pub sort: Option<Sort>,
    /// A word naming the rows to keep before the filter applies (`failed`,
    /// `late`), read by [`RowSource::in_scope`]; empty keeps every row.
    pub scope: String,
}

impl Spec {
    /// True when every row shows in data order.
    pub fn is_identity(&self) -> bool {
        self.filter.trim().is_empty() && self.sort.is_none() && self.scope.is_empty()
    }
}

/// Which data rows match `spec`, in display order. Returns `None` when
/// `cancelled()` says a newer request has made this one useless (checked
/// every 1024 rows).
pub fn derive(
    src: &dyn RowSource,
    spec: &Spec,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Option<Vec<u32>> {
    derive_among(src, spec, None, cancelled)
}

/// Like [`derive`], looking only at `candidates` (in their order) when given:
/// a filter that only grew can only match rows the shorter one matched.
pub fn derive_among(
    src: &dyn RowSource,
    spec: &Spec,
    candidates: Option<&[u32]>,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Option<Vec<u32>> {
    let n = src.len().min(u32::MAX as usize) as u32;
    let scope = spec.scope.as_str();
    let kept = |i: u32| scope.is_empty() || src.in_scope(i as usize, scope);
    let mut rows: Vec<u32> = if Filter::new(&spec.filter).is_none() {
        match candidates {
            Some(c) => c.iter().copied().filter(|&i| i < n && kept(i)).collect(),
            None => (0..n).filter(|&i| kept(i)).collect(),
        }
    } else {
        // Large scans are split over the cores; each part keeps its order.
        let total = candidates.map_or(n as usize, <[u32]>::len);
        let parts = if total >= PARALLEL_FROM {
            std::thread::available_parallelism().map_or(1, |p| p.get().clamp(1, 4))
        } else {
            1
        };
        let per = total.div_ceil(parts).max(1);
        let scan = |from: usize, to: usize| -> Option<Vec<u32>> {
            let mut f = Filter::new(&spec.filter)?;
            let mut out = Vec::new();
            for k in from..to {
                if (k - from).is_multiple_of(1024) && cancelled() {
                    return None;
                }
                let i = match candidates {
                    Some(c) => c[k],
                    None => k as u32,
                };
                if i < n && kept(i) && f.matches(&src.haystack(i as usize)) {
                    out.push(i);
                }
            }
            Some(out)
        };
        if parts == 1 {
            scan(0, total)?
        } else {
            let results: Vec<Option<Vec<u32>>> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..parts)
                    .map(|p| {
                        let (from, to) = ((p * per).min(total), ((p + 1) * per).min(total));
                        s.spawn(move || scan(from, to))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or(None))
                    .collect()
            });
            let mut out = Vec::new();
            for r in results {
                out.extend(r?);
            }
            out
        }
    };
    if let Some(sort) = spec.sort {
        // Keys in one buffer (sorting reads memory that is close together).
        let mut buf = String::new();
        let mut keyed: Vec<(u32, u32, u32)> = Vec::with_capacity(rows.len());
        for (k, &i) in rows.iter().enumerate() {
            if k.is_multiple_of(1024) && cancelled() {
                return None;
            }
            let start = buf.len();
            push_sort_key(&mut buf, &src.sort_cell(i as usize, sort.col));
            keyed.push((start as u32, (buf.len() - start) as u32, i));
        }
        let bytes = buf.as_bytes();
        let key = |e: &(u32, u32, u32)| &bytes[e.0 as usize..(e.0 + e.1) as usize];
        keyed.sort_unstable_by(|a, b| compare_keys(key(a), key(b), sort.desc).then(a.2.cmp(&b.2)));
        if cancelled() {
            return None;
        }
        rows = keyed.into_iter().map(|e| e.2).collect();
    }
    Some(rows)
}

/// Filters scanning at least this many rows use several threads.
const PARALLEL_FROM: usize = 20_000;

/// True when every row matching `new` also matches `old` (the filter only
/// grew), so the rows of `old` can be the candidates for `new`.
pub fn narrows(old: &str, new: &str) -> bool {
    let old = old.trim_start();
    // Longer terms and more terms only narrow; `!`, `$` and `\\` can widen.
    !old.trim().is_empty() && !old.contains(['!', '$', '\\']) && new.trim_start().starts_with(old)
}

/// A cell folded for sorting: trimmed, lower case.
pub fn sort_key(cell: &str) -> String {
    let mut s = String::new();
    push_sort_key(&mut s, cell);
    s
}

fn push_sort_key(buf: &mut String, cell: &str) {
    let t = cell.trim();
    if t.is_ascii() {
        let start = buf.len();
        buf.push_str(t);
        buf[start..].make_ascii_lowercase();
    } else {
        buf.extend(t.chars().flat_map(char::to_lowercase));
    }
}

/// A compiled filter in fzf's syntax, parsed by nucleo's
/// [`Pattern::parse`] (case ignored, accents folded unless the term has
/// any). Space-separated terms must all match:
///
/// * `word`: fuzzy, inside one cell (the letters in order, not spread over
///   the row);
/// * `'word`: the exact text anywhere in the row;
/// * `^word` / `word$`: a cell starts / ends with it; `^word$`: a whole cell;
/// * `!word`: rows without that text (`!^word`, `!word$` too).
///
/// `! ` (a lone `!` then a space) first inverts the whole filter.
pub struct Filter {
    atoms: Vec<FilterAtom>,
    invert: bool,
    matcher: Matcher,
    buf: Vec<char>,
}

/// One term of a [`Filter`].
struct FilterAtom {
    atom: Atom,
    /// Accents fold (the term has none).
    normalize: bool,
    /// A fuzzy term's needle in lower-case ASCII, when it is ASCII: on an
    /// ASCII cell the match is then a plain in-order byte scan.
    ascii_fuzzy: Option<Vec<u8>>,
}

/// Cells inside a filter haystack (see [`haystack_of`]).
const CELL_SEPARATOR: &str = "  ";

impl Filter {
    /// `None` when the text filters nothing (empty, or just `!`).
    pub fn new(text: &str) -> Option<Filter> {
        let folded: String = text.chars().map(fold_quote).collect();
        let text = folded.trim();
        let (invert, rest) = match text.strip_prefix("! ") {
            Some(r) => (true, r.trim_start()),
            None => (false, text),
        };
        let pattern = Pattern::parse(rest, CaseMatching::Ignore, Normalization::Smart);
        let atoms: Vec<FilterAtom> = pattern
            .atoms
            .into_iter()
            .map(|atom| {
                let needle = atom.needle_text().to_string();
                // Normalization::Smart: accents fold unless the term has any.
                let normalize = needle
                    .chars()
                    .all(|c| nucleo_matcher::chars::normalize(c) == c);
                let ascii_fuzzy = (atom.kind == AtomKind::Fuzzy && needle.is_ascii())
                    .then(|| needle.to_ascii_lowercase().into_bytes());
                FilterAtom {
                    atom,
                    normalize,
                    ascii_fuzzy,
                }
            })
            .collect();
        if atoms.is_empty() {
            return None;
        }
        Some(Filter {
            atoms,
            invert,
            matcher: Matcher::new(Config::DEFAULT),
            buf: Vec::new(),
        })
    }

    /// Whether a row with this haystack is kept.
    pub fn matches(&mut self, haystack: &str) -> bool {
        let mut hit = true;
        for FilterAtom {
            atom,
            normalize,
            ascii_fuzzy,
        } in &self.atoms
        {
            self.matcher.config.ignore_case = true;
            self.matcher.config.normalize = *normalize;
            let needle = atom.needle_text();
            let m = &mut self.matcher;
            let buf = &mut self.buf;
            let found = match (atom.kind, ascii_fuzzy.as_deref()) {
                (AtomKind::Substring, _) => m
                    .substring_match(Utf32Str::new(haystack, buf), needle)
                    .is_some(),
                (AtomKind::Fuzzy, Some(ascii)) if !ascii.contains(&b' ') && haystack.is_ascii() => {
                    ascii_in_one_cell(haystack.as_bytes(), ascii)
                }
                (kind, _) => haystack.split(CELL_SEPARATOR).any(|cell| {
                    let cell = cell.trim();
                    if let Some(ascii) = ascii_fuzzy
                        && cell.is_ascii()
                    {
                        return ascii_in_order(cell.as_bytes(), ascii);
                    }
                    let cell = Utf32Str::new(cell, buf);
                    match kind {
                        AtomKind::Prefix => m.prefix_match(cell, needle),
                        AtomKind::Postfix => m.postfix_match(cell, needle),
                        AtomKind::Exact => m.exact_match(cell, needle),
                        _ => m.fuzzy_match_greedy(cell, needle),
                    }
                    .is_some()
                }),
            };
            if found == atom.negative {
                hit = false;
                break;
            }
        }
        hit != self.invert
    }
}

/// Whether the bytes of `needle` (lower-case ASCII) appear in `cell` in
/// order, any case: what nucleo's fuzzy match decides for ASCII text.
fn ascii_in_order(cell: &[u8], needle: &[u8]) -> bool {
    let mut want = needle.iter();
    let Some(mut next) = want.next() else {
        return true;
    };
    for b in cell {
        if b.to_ascii_lowercase() == *next {
            match want.next() {
                Some(n) => next = n,
                None => return true,
            }
        }
    }
    false
}

/// [`ascii_in_order`] inside one cell of an ASCII haystack, in one pass: a
/// run of two or more spaces (the [`CELL_SEPARATOR`]) starts the needle
/// again. `needle` holds no space.
fn ascii_in_one_cell(haystack: &[u8], needle: &[u8]) -> bool {
    if needle.is_empty() {
        return true;
    }
    let mut at = 0;
    let mut space = false;
    for &b in haystack {
        if b == b' ' {
            if space {
                at = 0;
            }
            space = true;
            continue;
        }
        space = false;
        if b.to_ascii_lowercase() == needle[at] {
            at += 1;
            if at == needle.len() {
                return true;
            }
        }
    }
    false
}

/// Orders two cells: natural order (digit runs by value, letters ignoring
/// case), empty cells last in both directions.
pub fn compare_cells(a: &str, b: &str, desc: bool) -> Ordering {
    compare_keys(sort_key(a).as_bytes(), sort_key(b).as_bytes(), desc)
}

/// [`compare_cells`] on keys already made by [`sort_key`].
pub fn compare_keys(a: &[u8], b: &[u8], desc: bool) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => {
            let o = natural_bytes(a, b);
            if desc { o.reverse() } else { o }
        }
    }
}

/// Natural order: `"stop 9" < "stop 10"`, `"08:30" < "13:00"`, case ignored.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    natural_bytes(sort_key(a).as_bytes(), sort_key(b).as_bytes())
}

/// Natural order of folded UTF-8 bytes (byte order is code point order).
fn natural_bytes(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        if x.is_ascii_digit() && y.is_ascii_digit() {
            let (si, sj) = (i, j);
            while i < a.len() && a[i].is_ascii_digit() {
                i += 1;
            }
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            let da = trim_zeros(&a[si..i]);
            let db = trim_zeros(&b[sj..j]);
            let o = da.len().cmp(&db.len()).then_with(|| da.cmp(db));
            if o != Ordering::Equal {
                return o;
            }
        } else {
            if x != y {
                return x.cmp(&y);
            }
            i += 1;
            j += 1;
        }
    }
    (a.len() - i).cmp(&(b.len() - j))
}

fn trim_zeros(d: &[u8]) -> &[u8] {
    let k = d.iter().position(|&c| c != b'0').unwrap_or(d.len());
    &d[k..]
}

/// Cursor, scroll, column and derived rows of one table on screen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableState {
    /// Data indices in display order (after filter and sort).
    pub rows: Vec<u32>,
    /// Position of the cursor in `rows`.
    pub selected: usize,
    /// First row on screen.
    pub offset: usize,
    /// Current column.
    pub col: usize,
    /// Filter and sort.
    pub spec: Spec,
    /// Number of data rows `rows` was derived from.
    pub derived_from: usize,
    /// Generation of the last derive job sent (results of others are stale).
    pub generation: u64,
    /// A derive job is running.
    pub pending: bool,
    /// Data or spec changed while the job ran: derive again when it reports.
    pub rerun: bool,
    /// The filter and sort `rows` reflect (for narrowing the next filter).
    pub applied: Spec,
}

impl TableState {
    /// The data index under the cursor.
    pub fn selected_row(&self) -> Option<usize> {
        self.rows.get(self.selected).map(|&i| i as usize)
    }

    /// Replaces the rows, keeping the cursor on the same data row if it is
    /// still shown (else on the same position, clamped).
    pub fn set_rows(&mut self, rows: Vec<u32>, derived_from: usize) {
        let keep = self.selected_row();
        self.rows = rows;
        self.derived_from = derived_from;
        if let Some(k) = keep
            && let Some(pos) = self.rows.iter().position(|&r| r as usize == k)
        {
            self.selected = pos;
        }
        self.clamp();
    }

    /// Keeps `selected` inside the rows.
    pub fn clamp(&mut self) {
        if self.rows.is_empty() {
            self.selected = 0;
            self.offset = 0;
        } else if self.selected >= self.rows.len() {
            self.selected = self.rows.len() - 1;
        }
    }

    /// Moves the cursor by `delta` rows (clamped).
    pub fn move_by(&mut self, delta: isize) {
        if self.rows.is_empty() {
            return;
        }
        let last = self.rows.len() - 1;
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    /// Puts the cursor on the first row.
    pub fn to_top(&mut self) {
        self.selected = 0;
    }

    /// Puts the cursor on the last row.
    pub fn to_bottom(&mut self) {
        self.selected = self.rows.len().saturating_sub(1);
    }

    /// Scrolls so the cursor is inside a window of `height` rows.
    pub fn scroll_into_view(&mut self, height: usize) {
        let height = height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        let max_offset = self.rows.len().saturating_sub(height);
        if self.offset > max_offset {
            self.offset = max_offset;
        }
    }

    /// Resets cursor, scroll and rows (new data).
    pub fn reset_rows(&mut self) {
        self.rows.clear();
        self.selected = 0;
        self.offset = 0;
        self.derived_from = 0;
        self.pending = false;
        self.rerun = false;
        self.applied = Spec::default();
    }

    /// Candidates for deriving `spec` over `len` data rows: the current rows
    /// plus new data when the filter only grew (same sort, nothing pending).
    pub fn candidates_for(&self, spec: &Spec, len: usize) -> Option<Vec<u32>> {
        if self.pending
            || self.applied.sort != spec.sort
            || self.applied.scope != spec.scope
            || !narrows(&self.applied.filter, &spec.filter)
        {
            return None;
        }
        let mut c = self.rows.clone();
        c.extend(self.derived_from.min(len) as u32..len as u32);
        Some(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Words(Vec<&'static str>);
    impl RowSource for Words {
        fn len(&self) -> usize {
            self.0.len()
        }
        fn columns(&self) -> &'static [Column] {
            const C: [Column; 1] = [Column::text("w", 1, 10)];
            &C
        }
        fn cell(&self, row: usize, _col: usize) -> Cow<'_, str> {
            Cow::Borrowed(self.0[row])
        }
    }

    #[test]
    fn replace_many_changes_only_the_given_rows_and_leaves_snapshots_alone() {
        let mut s: Store<u32> = Store::new();
        s.push_chunk(vec![0, 1, 2]);
        s.push_chunk(vec![3, 4]);
        s.push_chunk(vec![5]);
        let snapshot = s.clone();
        s.replace_many(vec![(4, 40), (0, 10), (99, 0), (4, 41), (5, 50)]);
        assert_eq!(s.iter().copied().collect::<Vec<_>>(), [10, 1, 2, 3, 41, 50]);
        assert_eq!(
            snapshot.iter().copied().collect::<Vec<_>>(),
            [0, 1, 2, 3, 4, 5]
        );
        let mut t = TextStore::new();
        t.push_chunk(["a", "bb", "ccc"]);
        t.push_chunk(["dddd"]);
        let before = t.clone();
        t.replace_many(vec![
            (1, "B".into()),
            (3, "D!".into()),
            (1, "BB2".into()),
            (7, "x".into()),
        ]);
        let all: Vec<&str> = (0..4).map(|i| t.get(i).unwrap()).collect();
        assert_eq!(all, ["a", "BB2", "ccc", "D!"]);
        assert_eq!(before.get(1), Some("bb"));
        assert_eq!(t.len(), 4);
    }

    #[test]
    fn store_indexes_across_chunks() {
        let mut s = Store::new();
        s.push_chunk(vec![1, 2, 3]);
        s.push_chunk(vec![]);
        s.push_chunk(vec![4]);
        s.push_chunk(vec![5, 6]);
        assert_eq!(s.len(), 6);
        let all: Vec<i32> = (0..6).map(|i| *s.get(i).unwrap()).collect();
        assert_eq!(all, [1, 2, 3, 4, 5, 6]);
        assert_eq!(s.get(6), None);
        assert_eq!(s.iter().count(), 6);
    }

    #[test]
    fn text_store_slices_pages() {
        let mut t = TextStore::new();
        t.push_chunk(["ab", "", "çd"]);
        t.push_chunk(Vec::<String>::new());
        t.push_chunk(["e"]);
        assert_eq!(t.len(), 4);
        let all: Vec<&str> = (0..4).map(|i| t.get(i).unwrap()).collect();
        assert_eq!(all, ["ab", "", "çd", "e"]);
        assert_eq!(t.get(4), None);
    }

    #[test]
    fn natural_order_and_empties_last() {
        assert_eq!(natural_cmp("stop 9", "stop 10"), Ordering::Less);
        assert_eq!(natural_cmp("08:30", "13:00"), Ordering::Less);
        assert_eq!(natural_cmp("abc", "ABD"), Ordering::Less);
        assert_eq!(natural_cmp("a2b", "a2"), Ordering::Greater);
        assert_eq!(natural_cmp("Zürich", "zz"), Ordering::Greater);
        assert_eq!(natural_cmp("007", "7"), Ordering::Equal);
        assert_eq!(compare_cells("", "a", false), Ordering::Greater);
        assert_eq!(compare_cells("", "a", true), Ordering::Greater);
        assert_eq!(compare_cells("b", "a", true), Ordering::Less);
    }

    fn kept(rows: &[&str], filter: &str) -> Vec<usize> {
        let mut f = Filter::new(filter).unwrap();
        rows.iter()
            .enumerate()
            .filter(|(_, r)| f.matches(r))
            .map(|(i, _)| i)
            .collect()
    }

    #[test]
    fn the_filter_speaks_fzf_and_keeps_fuzzy_terms_inside_one_cell() {
        let rows = [
            "Boots  12 Market St  BL3 1SX  Bolton",
            "Mooboo  1 Oxford Rd  M1 5QA  Manchester",
            "A1 Pharmacy  491 Radcliffe Rd  BL3 1SA  Bolton",
            "Sixty Bl3 Lane  3 Bolton Rd  OL10 2AP  Heywood",
            "Café Ümlaut  Hämeentie 7  00530  Helsinki",
        ];
        // plain terms: fuzzy, but not spread over several cells
        assert_eq!(kept(&rows, "boots"), vec![0]);
        assert_eq!(kept(&rows, "bl3 1sx"), vec![0]);
        assert_eq!(kept(&rows, "BL3"), vec![0, 2, 3], "any case");
        assert_eq!(kept(&rows, "phrm"), vec![2]);
        // 'exact, ^prefix, suffix$, ^whole$, !not
        assert_eq!(kept(&rows, "'bl3 1s"), vec![0, 2]);
        assert_eq!(kept(&rows, "^bl3"), vec![0, 2]);
        assert_eq!(kept(&rows, "1sx$"), vec![0]);
        assert_eq!(kept(&rows, "^bolton$"), vec![0, 2]);
        assert_eq!(kept(&rows, "^bl3 !pharmacy"), vec![0]);
        assert_eq!(kept(&rows, "!bolton"), vec![1, 4]);
        // accents fold unless the term has some
        assert_eq!(kept(&rows, "hameentie"), vec![4]);
        assert_eq!(kept(&rows, "'ümlaut"), vec![4]);
        assert_eq!(kept(&rows, "'umlaut"), vec![4]);
        assert!(Filter::new("!").is_none());
        assert!(Filter::new("  ").is_none());
    }

    #[test]
    fn typed_and_typographic_apostrophes_find_each_other() {
        let w = Words(vec!["Elijo’s Café", "Elijos Bar", "O'Brien’s"]);
        let hay: Vec<String> = (0..w.len()).map(|i| haystack_of(&w, i)).collect();
        let kept = |f: &str| -> Vec<usize> {
            let mut f = Filter::new(f).unwrap();
            (0..hay.len()).filter(|&i| f.matches(&hay[i])).collect()
        };
        assert_eq!(kept("elijo's"), vec![0]);
        assert_eq!(kept("elijo’s"), vec![0]);
        assert_eq!(kept("o'brien's"), vec![2]);
    }

    proptest::proptest! {
        /// The ASCII fast path decides every fuzzy term as nucleo does.
        #[test]
        fn ascii_fuzzy_terms_agree_with_nucleo(
            cell in "[ -~]{0,24}",
            needle in "[a-zA-Z0-9 .,'-]{1,5}",
        ) {
            let needle = needle.trim();
            proptest::prop_assume!(!needle.is_empty() && !needle.contains(' ')
                && !needle.starts_with(['\'', '^', '!']) && !needle.ends_with('$'));
            let mut m = Matcher::new(Config::DEFAULT);
            m.config.ignore_case = true;
            let lower = needle.to_ascii_lowercase();
            let mut buf = Vec::new();
            let nucleo = m
                .fuzzy_match_greedy(Utf32Str::new(cell.trim(), &mut buf), Utf32Str::Ascii(lower.as_bytes()))
                .is_some();
            proptest::prop_assert_eq!(ascii_in_order(cell.trim().as_bytes(), lower.as_bytes()), nucleo);
            let mut f = Filter::new(needle).expect("a term");
            proptest::prop_assert_eq!(f.matches(&cell), nucleo);
        }

        /// The one-pass scan of a whole row keeps a term inside one cell, as
        /// splitting the row into its cells does.
        #[test]
        fn the_one_pass_scan_keeps_terms_inside_a_cell(
            row in "[a-c ]{0,30}",
            needle in "[a-c]{1,4}",
        ) {
            let by_cells = row
                .split(CELL_SEPARATOR)
                .any(|cell| ascii_in_order(cell.trim().as_bytes(), needle.as_bytes()));
            proptest::prop_assert_eq!(ascii_in_one_cell(row.as_bytes(), needle.as_bytes()), by_cells);
        }
    }

    #[test]
    fn narrowing_only_when_every_new_match_was_an_old_one() {
        assert!(narrows("bl", "bl3"));
        assert!(narrows("bl3", "bl3 1sx"));
        assert!(narrows("^bl", "^bl3$"));
        assert!(!narrows("bl3$", "bl3$x"), "bl3$x is fuzzy again");
        assert!(!narrows("!bo", "!bol"), "a longer negation keeps more");
        assert!(!narrows("", "x"));
    }

    #[test]
    fn derive_filters_fuzzy_inverts_and_sorts() {
        let w = Words(vec!["Pharmacy 10", "Bakery 9", "pharm 2", "", "Care home"]);
        let never = || false;
        let spec = Spec {
            filter: "phm".into(),
            sort: None,
            scope: String::new(),
        };
        assert_eq!(derive(&w, &spec, &never).unwrap(), vec![0, 2]);
        // fzf: a negated term is exact text; `! ` inverts the whole filter
        for f in ["!pharm", "! phm"] {
            let spec = Spec {
                filter: f.into(),
                sort: None,
                scope: String::new(),
            };
            assert_eq!(derive(&w, &spec, &never).unwrap(), vec![1, 3, 4], "{f}");
        }
        let spec = Spec {
            filter: String::new(),
            sort: Some(Sort {
                col: 0,
                desc: false,
            }),
            scope: String::new(),
        };
        assert_eq!(derive(&w, &spec, &never).unwrap(), vec![1, 4, 2, 0, 3]);
        let spec = Spec {
            filter: String::new(),
            sort: Some(Sort { col: 0, desc: true }),
            scope: String::new(),
        };
        assert_eq!(derive(&w, &spec, &never).unwrap(), vec![0, 2, 4, 1, 3]);
        assert!(
            derive(
                &w,
                &Spec {
                    filter: "a".into(),
                    sort: None,
                    scope: String::new(),
                },
                &|| true
            )
            .is_none()
        );
        // candidates: only those are looked at, in their order
        let spec = Spec {
            filter: "phm".into(),
            sort: None,
            scope: String::new(),
        };
        assert_eq!(
            derive_among(&w, &spec, Some(&[2, 1, 9]), &never).unwrap(),
            vec![2]
        );
        // any case; accents fold unless the word has them
        let w = Words(vec!["Hämeentie 7", "hameentie 9", "HAMEEN"]);
        let f = |q: &str| {
            let spec = Spec {
                filter: q.into(),
                sort: None,
                scope: String::new(),
            };
            derive(&w, &spec, &never).unwrap()
        };
        assert_eq!(f("hameen"), vec![0, 1, 2]);
        assert_eq!(f("Hameen"), vec![0, 1, 2]);
        assert_eq!(f("häm"), vec![0]);
        assert_eq!(f("HAMEEN"), vec![0, 1, 2]);
        assert_eq!(f("ham  9"), vec![1]);
        assert_eq!(f("!ham 9"), Vec::<u32>::new(), "fzf: !ham is one term");
        assert_eq!(f("! ham 9"), vec![0, 2], "`! ` inverts the whole filter");
    }

    struct Owned(Vec<String>);
    impl RowSource for Owned {
        fn len(&self) -> usize {
            self.0.len()
        }
        fn columns(&self) -> &'static [Column] {
            const C: [Column; 1] = [Column::text("w", 1, 10)];
            &C
        }
        fn cell(&self, row: usize, _col: usize) -> Cow<'_, str> {
            Cow::Borrowed(&self.0[row])
        }
    }

    #[test]
    fn big_scans_split_over_threads_keep_the_order() {
        let src = Owned(
            (0..50_000)
                .map(|i| {
                    if i % 7 == 0 {
                        format!("row {i} zz")
                    } else {
                        format!("row {i}")
                    }
                })
                .collect(),
        );
        let spec = Spec {
            filter: "zz".into(),
            sort: None,
            scope: String::new(),
        };
        let want: Vec<u32> = (0..50_000).filter(|i| i % 7 == 0).collect();
        assert_eq!(derive(&src, &spec, &|| false).unwrap(), want);
        let candidates: Vec<u32> = (0..50_000).rev().collect();
        let got = derive_among(&src, &spec, Some(&candidates), &|| false).unwrap();
        let mut rev = want.clone();
        rev.reverse();
        assert_eq!(got, rev);
        assert!(derive(&src, &spec, &|| true).is_none());
    }

    #[test]
    fn growing_filters_narrow() {
        assert!(narrows("ash", "ashx"));
        assert!(narrows("ash", "ash b"));
        assert!(!narrows("", "a"));
        assert!(!narrows("!ash", "!ashx"));
        assert!(!narrows("ash", "as"));
        let t = TableState {
            rows: vec![3, 1],
            derived_from: 5,
            applied: Spec {
                filter: "a".into(),
                sort: None,
                scope: String::new(),
            },
            ..TableState::default()
        };
        let spec = Spec {
            filter: "ab".into(),
            sort: None,
            scope: String::new(),
        };
        assert_eq!(t.candidates_for(&spec, 7), Some(vec![3, 1, 5, 6]));
        let sorted = Spec {
            filter: "ab".into(),
            sort: Some(Sort {
                col: 0,
                desc: false,
            }),
            scope: String::new(),
        };
        assert_eq!(t.candidates_for(&sorted, 7), None);
    }

    #[test]
    fn set_rows_keeps_the_selected_record() {
        let mut t = TableState {
            rows: vec![0, 1, 2, 3],
            selected: 2,
            ..TableState::default()
        };
        t.set_rows(vec![3, 2], 4);
        assert_eq!(t.selected, 1);
        t.set_rows(vec![0], 4);
        assert_eq!(t.selected, 0);
        t.rows = (0..100).collect();
        t.selected = 50;
        t.scroll_into_view(10);
        assert_eq!(t.offset, 41);
        t.selected = 3;
        t.scroll_into_view(10);
        assert_eq!(t.offset, 3);
    }
}
