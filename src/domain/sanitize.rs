//! Text from the API is data, never terminal commands: [`sanitize`] makes
//! control, bidi and invisible format characters visible before they reach a
//! cell, and the width helpers measure and cut text in terminal cells.

use std::borrow::Cow;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Shown in place of C1 controls, bidi controls and invisible format characters.
pub const REPLACEMENT: char = '\u{FFFD}';

/// Appended when text is cut.
pub const ELLIPSIS: char = '…';

/// The visible stand-in for `c`, or `None` when `c` is safe to show as is.
///
/// C0 controls (including TAB, CR, LF) become Unicode Control Pictures
/// (ESC → `␛`, LF → `␊`), DEL → `␡`; C1 controls, bidi controls and invisible
/// format characters become U+FFFD.
pub fn replacement_for(c: char) -> Option<char> {
    match c {
        '\u{0}'..='\u{1F}' => char::from_u32(0x2400 + u32::from(c)),
        '\u{7F}' => Some('\u{2421}'),
        '\u{80}'..='\u{9F}' => Some(REPLACEMENT),
        // bidi controls
        '\u{061C}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}' => Some(REPLACEMENT),
        // invisible format characters: soft hyphen, zero-width space/joiners,
        // word joiner and invisible operators, deprecated format characters,
        // line/paragraph separators, BOM, interlinear annotation
        '\u{00AD}'
        | '\u{200B}'..='\u{200D}'
        | '\u{2028}'
        | '\u{2029}'
        | '\u{2060}'..='\u{2064}'
        | '\u{206A}'..='\u{206F}'
        | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}' => Some(REPLACEMENT),
        _ => None,
    }
}

/// Whether `c` is one of the visible stand-ins [`replacement_for`] gives
/// (a Control Picture such as `␛`, or U+FFFD): text holding one held a
/// control character and must not be sent back as if it were typed.
pub fn is_stand_in(c: char) -> bool {
    matches!(c, '\u{2400}'..='\u{2421}' | REPLACEMENT)
}

/// `s` with every character that [`replacement_for`] names replaced; borrowed
/// when nothing needed changing. Accents, CJK, Hangul, emoji and combining
/// marks are kept.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    let Some((first, _)) = s
        .char_indices()
        .find(|&(_, c)| replacement_for(c).is_some())
    else {
        return Cow::Borrowed(s);
    };
    let (clean, rest) = s.split_at(first);
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(clean);
    out.extend(rest.chars().map(|c| replacement_for(c).unwrap_or(c)));
    Cow::Owned(out)
}

/// Terminal cells `s` takes (CJK and emoji take two).
pub fn display_width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` cut to fit in `width` cells, ending with `…` when cut; never splits a
/// character or leaves half of a wide one. Borrowed when it already fits.
/// The result may be narrower than `width` (padding is the caller's job).
pub fn truncate_to_width(s: &str, width: usize) -> Cow<'_, str> {
    if width == 0 {
        return Cow::Borrowed("");
    }
    if display_width(s) <= width {
        return Cow::Borrowed(s);
    }
    let budget = width - 1; // the ellipsis takes one cell
    let mut used = 0;
    let mut end = 0;
    for (i, c) in s.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > budget {
            break;
        }
        used += w;
        end = i + c.len_utf8();
    }
    // A string's width is not always the sum of its characters' widths
    // (emoji presentation sequences, ligatures): check, and shorten if needed.
    let mut prefix = &s[..end];
    loop {
        let candidate = format!("{prefix}{ELLIPSIS}");
        if display_width(&candidate) <= width || prefix.is_empty() {
            return Cow::Owned(candidate);
        }
        let mut chars = prefix.chars();
        chars.next_back();
        prefix = chars.as_str();
    }
}

/// `s` truncated (see [`truncate_to_width`]) or right-padded with spaces to
/// exactly `width` cells.
pub fn pad_to_width(s: &str, width: usize) -> String {
    let cut = truncate_to_width(s, width);
    let used = display_width(&cut);
    let mut out = String::with_capacity(cut.len() + width.saturating_sub(used));
    out.push_str(&cut);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn is_dangerous(c: char) -> bool {
        matches!(c,
            '\u{0}'..='\u{1F}' | '\u{7F}'..='\u{9F}'
            | '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
            | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}')
    }

    #[test]
    fn clean_text_is_borrowed() {
        for s in [
            "",
            "Acme Ltd",
            "Vihreä Keidas ry",
            "Phố Lý Quốc Sư",
            "분짜",
            "I ❤ Scotland",
            "Xo\u{300}i",
        ] {
            assert!(matches!(sanitize(s), Cow::Borrowed(_)), "{s}");
            assert_eq!(sanitize(s), s);
        }
    }

    #[test]
    fn escape_sequences_are_shown_not_run() {
        let out = sanitize("Acme\u{1b}[2J\u{1b}[31mX");
        assert!(!out.contains('\u{1b}'));
        assert_eq!(out, "Acme␛[2J␛[31mX");
        assert!(matches!(out, Cow::Owned(_)));
    }

    #[test]
    fn osc52_c1_and_bidi_are_neutralised() {
        let out = sanitize("x\u{1b}]52;c;ZXZpbA==\u{7}y");
        assert_eq!(out, "x␛]52;c;ZXZpbA==␇y");
        let out = sanitize("a\u{9b}31mb");
        assert_eq!(out, "a\u{FFFD}31mb");
        let out = sanitize("invoice\u{202e}fdp.exe");
        assert_eq!(out, "invoice\u{FFFD}fdp.exe");
        let out = sanitize("\u{200e}+44 131 000 0000");
        assert_eq!(out, "\u{FFFD}+44 131 000 0000");
        assert_eq!(sanitize("a\tb\r\nc\u{7f}"), "a␉b␍␊c␡");
        assert_eq!(sanitize("\u{0}"), "␀");
        assert_eq!(
            sanitize("soft\u{ad}hyphen\u{feff}"),
            "soft\u{FFFD}hyphen\u{FFFD}"
        );
        assert_eq!(sanitize("é\u{2028}"), "é\u{FFFD}");
    }

    #[test]
    fn widths() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("分짜"), 4);
        assert_eq!(display_width("😀"), 2);
        assert_eq!(display_width("Xo\u{300}i"), 3);
        assert_eq!(display_width("␛"), 1);
    }

    #[test]
    fn truncation() {
        assert_eq!(truncate_to_width("abcdef", 0), "");
        assert_eq!(truncate_to_width("abcdef", 6), "abcdef");
        assert!(matches!(truncate_to_width("abcdef", 6), Cow::Borrowed(_)));
        assert_eq!(truncate_to_width("abcdef", 5), "abcd…");
        assert_eq!(truncate_to_width("abcdef", 1), "…");
        // never half a wide character
        assert_eq!(truncate_to_width("漢字漢字", 4), "漢…");
        assert_eq!(truncate_to_width("漢字漢字", 5), "漢字…");
        assert_eq!(truncate_to_width("漢字漢字", 2), "…");
        // combining marks stay with their base
        assert_eq!(
            truncate_to_width("e\u{301}e\u{301}e\u{301}", 2),
            "e\u{301}…"
        );
        // emoji presentation sequence: two cells although the base is narrow
        let s = "a❤\u{FE0F}bcd";
        for w in 0..8 {
            let t = truncate_to_width(s, w);
            assert!(display_width(&t) <= w, "{w}: {t:?}");
        }
    }

    #[test]
    fn padding() {
        assert_eq!(pad_to_width("ab", 4), "ab  ");
        assert_eq!(pad_to_width("abcdef", 4), "abc…");
        assert_eq!(pad_to_width("漢字漢字", 5), "漢字…");
        assert_eq!(pad_to_width("漢字漢字", 4), "漢… ");
        assert_eq!(pad_to_width("", 0), "");
        assert_eq!(pad_to_width("x", 0), "");
    }

    proptest! {
        #[test]
        fn sanitized_text_is_inert(s in any::<String>()) {
            let out = sanitize(&s);
            prop_assert!(!out.chars().any(is_dangerous), "{:?}", out);
            prop_assert_eq!(out.chars().count(), s.chars().count());
        }

        #[test]
        fn sanitize_keeps_safe_text(s in "[a-zA-Zäöüßạầẫ분짜漢😀❤ \u{300}]{0,20}") {
            prop_assert_eq!(sanitize(&s), s.as_str());
        }

        #[test]
        fn truncation_fits(s in any::<String>(), w in 0usize..40) {
            let clean = sanitize(&s);
            let t = truncate_to_width(&clean, w);
            prop_assert!(display_width(&t) <= w, "{:?} -> {:?}", clean, t);
            if display_width(&clean) > w && w > 0 {
                prop_assert!(t.ends_with(ELLIPSIS));
            }
            let p = pad_to_width(&clean, w);
            prop_assert_eq!(display_width(&p), w, "{:?}", p);
        }

        #[test]
        fn truncation_fits_tricky_text(
            s in "[a❤\u{FE0F}\u{FE0E}漢e\u{301}\u{200D}👨👩\u{1F3FB}لا\r\n]{0,16}",
            w in 0usize..12,
        ) {
            let t = truncate_to_width(&s, w);
            prop_assert!(display_width(&t) <= w, "{:?} -> {:?}", s, t);
            prop_assert!(s.starts_with(t.trim_end_matches(ELLIPSIS)));
        }
    }
}
