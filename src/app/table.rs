//! Tables: records kept in shared chunks, rows as indices into them, cells
//! formatted lazily, and the filter/sort job ([`derive`]) that may run off the
//! loop on a snapshot.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::Arc;

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
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
}

impl<T> FromIterator<T> for Store<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut s = Store::new();
        s.push_chunk(iter.into_iter().collect());
        s
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
}

impl Column {
    /// A left-aligned text column.
    pub const fn text(title: &'static str, min: u16, max: u16) -> Column {
        Column {
            title,
            min,
            max,
            numeric: false,
        }
    }

    /// A right-aligned number column.
    pub const fn num(title: &'static str, min: u16, max: u16) -> Column {
        Column {
            title,
            min,
            max,
            numeric: true,
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
    for col in 0..ncols {
        let cell = src.cell(row, col);
        if cell.is_empty() {
            continue;
        }
        let w = u16::try_from(crate::domain::sanitize::display_width(&cell)).unwrap_or(u16::MAX);
        if w > widths[col] {
            widths[col] = w;
        }
        if !out.is_empty() {
            out.push_str("  ");
        }
        out.push_str(&cell);
    }
    out
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
    /// Fuzzy filter; a leading `!` inverts it.
    pub filter: String,
    /// Sort column and direction.
    pub sort: Option<Sort>,
}

impl Spec {
    /// True when every row shows in data order.
    pub fn is_identity(&self) -> bool {
        self.filter.trim().is_empty() && self.sort.is_none()
    }
}

/// Which data rows match `spec`, in display order. Returns `None` when
/// `cancelled()` says a newer request has made this one useless (checked
/// every 1024 rows).
pub fn derive(src: &dyn RowSource, spec: &Spec, cancelled: &dyn Fn() -> bool) -> Option<Vec<u32>> {
    let n = src.len().min(u32::MAX as usize);
    let mut rows: Vec<u32> = match Filter::new(&spec.filter) {
        None => (0..n as u32).collect(),
        Some(mut f) => {
            let mut out = Vec::new();
            for i in 0..n {
                if i % 1024 == 0 && cancelled() {
                    return None;
                }
                if f.matches(&src.haystack(i)) {
                    out.push(i as u32);
                }
            }
            out
        }
    };
    if let Some(sort) = spec.sort {
        let mut keyed: Vec<(String, u32)> = Vec::with_capacity(rows.len());
        for (k, &i) in rows.iter().enumerate() {
            if k % 1024 == 0 && cancelled() {
                return None;
            }
            keyed.push((src.cell(i as usize, sort.col).into_owned(), i));
        }
        keyed.sort_by(|a, b| compare_cells(&a.0, &b.0, sort.desc).then(a.1.cmp(&b.1)));
        if cancelled() {
            return None;
        }
        rows = keyed.into_iter().map(|(_, i)| i).collect();
    }
    Some(rows)
}

/// A compiled filter: fuzzy words (all must match), optionally inverted.
pub struct Filter {
    pattern: Pattern,
    invert: bool,
    matcher: Matcher,
    buf: Vec<char>,
}

impl Filter {
    /// `None` when the text filters nothing (empty, or just `!`).
    pub fn new(text: &str) -> Option<Filter> {
        let text = text.trim();
        let (invert, rest) = match text.strip_prefix('!') {
            Some(r) => (true, r.trim_start()),
            None => (false, text),
        };
        if rest.is_empty() {
            return None;
        }
        Some(Filter {
            pattern: Pattern::new(
                rest,
                CaseMatching::Smart,
                Normalization::Smart,
                AtomKind::Fuzzy,
            ),
            invert,
            matcher: Matcher::new(Config::DEFAULT),
            buf: Vec::new(),
        })
    }

    /// Whether a row with this haystack is kept.
    pub fn matches(&mut self, haystack: &str) -> bool {
        let hit = self
            .pattern
            .score(Utf32Str::new(haystack, &mut self.buf), &mut self.matcher)
            .is_some();
        hit != self.invert
    }
}

/// Orders two cells: natural order (digit runs by value, letters ignoring
/// case), empty cells last in both directions.
pub fn compare_cells(a: &str, b: &str, desc: bool) -> Ordering {
    match (a.trim().is_empty(), b.trim().is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => {
            let o = natural_cmp(a, b);
            if desc { o.reverse() } else { o }
        }
    }
}

/// Natural order: `"stop 9" < "stop 10"`, `"08:30" < "13:00"`, case ignored.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let mut a = a.chars().peekable();
    let mut b = b.chars().peekable();
    loop {
        match (a.peek().copied(), b.peek().copied()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let da = take_digits(&mut a);
                let db = take_digits(&mut b);
                let ta = da.trim_start_matches('0');
                let tb = db.trim_start_matches('0');
                let o = ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb));
                if o != Ordering::Equal {
                    return o;
                }
            }
            (Some(x), Some(y)) => {
                let o = fold(x).cmp(&fold(y));
                if o != Ordering::Equal {
                    return o;
                }
                a.next();
                b.next();
            }
        }
    }
}

fn take_digits(it: &mut std::iter::Peekable<std::str::Chars<'_>>) -> String {
    let mut s = String::new();
    while let Some(&c) = it.peek() {
        if !c.is_ascii_digit() {
            break;
        }
        s.push(c);
        it.next();
    }
    s
}

fn fold(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
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
    fn natural_order_and_empties_last() {
        assert_eq!(natural_cmp("stop 9", "stop 10"), Ordering::Less);
        assert_eq!(natural_cmp("08:30", "13:00"), Ordering::Less);
        assert_eq!(natural_cmp("abc", "ABD"), Ordering::Less);
        assert_eq!(natural_cmp("007", "7"), Ordering::Equal);
        assert_eq!(compare_cells("", "a", false), Ordering::Greater);
        assert_eq!(compare_cells("", "a", true), Ordering::Greater);
        assert_eq!(compare_cells("b", "a", true), Ordering::Less);
    }

    #[test]
    fn derive_filters_fuzzy_inverts_and_sorts() {
        let w = Words(vec!["Pharmacy 10", "Bakery 9", "pharm 2", "", "Care home"]);
        let never = || false;
        let spec = Spec {
            filter: "phm".into(),
            sort: None,
        };
        assert_eq!(derive(&w, &spec, &never).unwrap(), vec![0, 2]);
        let spec = Spec {
            filter: "!phm".into(),
            sort: None,
        };
        assert_eq!(derive(&w, &spec, &never).unwrap(), vec![1, 3, 4]);
        let spec = Spec {
            filter: String::new(),
            sort: Some(Sort {
                col: 0,
                desc: false,
            }),
        };
        assert_eq!(derive(&w, &spec, &never).unwrap(), vec![1, 4, 2, 0, 3]);
        let spec = Spec {
            filter: String::new(),
            sort: Some(Sort { col: 0, desc: true }),
        };
        assert_eq!(derive(&w, &spec, &never).unwrap(), vec![0, 2, 4, 1, 3]);
        assert!(
            derive(
                &w,
                &Spec {
                    filter: "a".into(),
                    sort: None
                },
                &|| true
            )
            .is_none()
        );
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
