//! Embedding the bundled font in a page: which characters the page draws (`shown_chars`), and
//! the page with the subset of the font holding them as a `@font-face` (`embed_font`).

use std::collections::BTreeSet;

use crate::html::font_subset::{FAMILY, FontSubset, FontSubsetError, base64, subset, woff};

/// Attributes whose text a browser shows (tooltips, alternative text, labels).
const SHOWN_ATTRIBUTES: [&str; 5] = ["title", "alt", "aria-label", "placeholder", "label"];
/// Elements whose content is not drawn with the page's font.
const UNSHOWN_ELEMENTS: [&str; 3] = ["style", "script", "title"];

/// Every character a page draws with its own font: the text between tags (outside `<style>`,
/// `<script>` and the window `<title>`), SVG text included, and the values of shown attributes
/// (`title`, `alt` …), with character references decoded. Control characters are left out.
pub fn shown_chars(page: &str) -> BTreeSet<char> {
    let mut out = BTreeSet::new();
    let mut rest = page;
    let mut skipping: Option<String> = None;
    while let Some(open) = rest.find('<') {
        if skipping.is_none() {
            add_text(&mut out, &rest[..open]);
        }
        rest = &rest[open..];
        if let Some(comment) = rest.strip_prefix("<!--") {
            rest = comment.find("-->").map_or("", |end| &comment[end + 3..]);
            continue;
        }
        let end = tag_end(rest);
        let tag = &rest[1..end];
        rest = rest.get(end + 1..).unwrap_or("");
        if tag.starts_with(['!', '?']) {
            continue;
        }
        let closing = tag.starts_with('/');
        let body = tag.trim_start_matches('/');
        let name_len = body.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == ':')).unwrap_or(body.len());
        let name = body[..name_len].to_ascii_lowercase();
        if let Some(element) = &skipping {
            if closing && &name == element {
                skipping = None;
            }
            continue;
        }
        if closing {
            continue;
        }
        for (attribute, value) in attributes(&body[name_len..]) {
            if SHOWN_ATTRIBUTES.contains(&attribute.to_ascii_lowercase().as_str()) {
                add_text(&mut out, value);
            }
        }
        if UNSHOWN_ELEMENTS.contains(&name.as_str()) && !body.ends_with('/') {
            skipping = Some(name);
        }
    }
    if skipping.is_none() {
        add_text(&mut out, rest);
    }
    out
}

/// The index of the `>` closing the tag `s` starts with (quotes respected), or the end.
fn tag_end(s: &str) -> usize {
    let mut quote = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return i,
            _ => {}
        }
    }
    s.len()
}

/// `name="value"` pairs of a tag's attribute text (values unquoted, still escaped).
fn attributes(mut s: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    loop {
        s = s.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if s.is_empty() {
            return out;
        }
        let name_end = s.find(|c: char| c.is_whitespace() || c == '=' || c == '/').unwrap_or(s.len());
        let name = &s[..name_end];
        s = s[name_end..].trim_start();
        let Some(after) = s.strip_prefix('=') else {
            if name.is_empty() {
                return out;
            }
            continue;
        };
        let after = after.trim_start();
        let (value, rest) = match after.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let inner = &after[1..];
                let close = inner.find(q).unwrap_or(inner.len());
                (&inner[..close], inner.get(close + 1..).unwrap_or(""))
            }
            _ => {
                let close = after.find(char::is_whitespace).unwrap_or(after.len());
                (&after[..close], &after[close..])
            }
        };
        out.push((name, value));
        s = rest;
    }
}

/// Adds the characters of escaped text, references decoded.
fn add_text(out: &mut BTreeSet<char>, text: &str) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.extend(rest[..amp].chars().filter(|c| !c.is_control()));
        rest = &rest[amp..];
        let decoded = rest.find(';').filter(|&end| end <= 10).and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => match name.strip_prefix('#') {
                    Some(hex) if hex.starts_with(['x', 'X']) => {
                        u32::from_str_radix(&hex[1..], 16).ok().and_then(char::from_u32)
                    }
                    Some(dec) => dec.parse().ok().and_then(char::from_u32),
                    None => None,
                },
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                if !c.is_control() {
                    out.insert(c);
                }
                rest = &rest[end + 1..];
            }
            None => {
                out.insert('&');
                rest = &rest[1..];
            }
        }
    }
    out.extend(rest.chars().filter(|c| !c.is_control()));
}

/// The page with the subset of `font` its own text needs embedded (as WOFF) in `@font-face` (family
/// `PeilianSansSC`, which the page's style asks for first), and the subset (its `missing`
/// characters fall back to system fonts).
pub fn embed_font(page: &str, font: &[u8]) -> Result<(String, FontSubset), FontSubsetError> {
    let sub = subset(font, shown_chars(page))?;
    let face = format!(
        "<style>@font-face {{ font-family: \"{FAMILY}\"; src: url(data:font/woff;base64,{}) format(\"woff\"); }}</style>",
        base64(&woff(&sub.bytes)?)
    );
    let at = page.find("</head>").unwrap_or(0);
    let mut out = String::with_capacity(page.len() + face.len());
    out.push_str(&page[..at]);
    out.push_str(&face);
    out.push_str(&page[at..]);
    Ok((out, sub))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::html::font_subset::FONT_FILE;

    fn bundled_font() -> Vec<u8> {
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(FONT_FILE)).unwrap()
    }

    #[test]
    fn shown_chars_are_text_and_shown_attributes_not_markup_style_or_scripts() {
        let page = "<!DOCTYPE html><html lang=\"zh-CN\"><head><title>窗口</title><style>body{font-family:\"样式\"}</style></head>\
                    <body class=\"类\"><p title=\"提示 &quot;引&quot;\">甲&amp;乙&#x4E19;&#19969;&lt;&bogus;\n\t</p><!-- 注释 -->\
                    <svg><text x=\"1\" font-family=\"sans-serif\">图</text></svg><img alt='替代' src=x>\
                    <script>var 脚 = \"本\";</script>尾</body></html>";
        let got: String = shown_chars(page).into_iter().collect();
        let want: std::collections::BTreeSet<char> = "提示 \"引甲&乙丙丁<bogus;图替代尾".chars().collect();
        assert_eq!(got, want.into_iter().collect::<String>());
    }

    #[test]
    fn the_embedded_face_is_added_before_the_head_ends_and_covers_the_shown_text() {
        let plain = crate::html::page("字体", "", "<p>你好&amp;再见</p>");
        let (page, sub) = embed_font(&plain, &bundled_font()).unwrap();
        let (from, to) = (page.find("<style>@font-face").unwrap(), page.find("</head>").unwrap());
        assert!(from < to);
        assert_eq!(format!("{}{}", &page[..from], &page[to..]), plain, "the face is all that is added");
        assert!(page[from..to].contains(&format!("font-family: \"{FAMILY}\"")));
        assert!(sub.missing.is_empty(), "{:?}", sub.missing);
        let shown = shown_chars(&plain);
        assert!(shown.contains(&'你') && shown.contains(&'&') && !shown.contains(&'<'));
        assert_eq!(sub.chars, shown.len(), "the subset maps exactly what the page shows");
    }
}
