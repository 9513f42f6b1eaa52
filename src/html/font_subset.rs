//! The bundled CJK font cut down to the characters one page shows, so an HTML report can embed
//! it (a few hundred kilobytes instead of 3.5 MB) and read the same on a machine without
//! Chinese fonts. Subsetting keeps a Unicode `cmap`, which browsers need to use a font.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use allsorts::binary::read::ReadScope;
use allsorts::font::{Font, MatchingPresentation};
use allsorts::font_data::FontData;
use allsorts::subset::{CmapTarget, SubsetProfile};

/// The bundled font, relative to the project (or installation) root.
pub const FONT_FILE: &str = "assets/fonts/PeilianSansSC.otf";
/// The family name pages use for the embedded subset.
pub const FAMILY: &str = "PeilianSansSC";
/// Environment variable naming the font file to embed instead of looking for the bundled one.
pub const FONT_ENV: &str = "PEILIAN_FONT";

#[derive(Debug, thiserror::Error)]
pub enum FontSubsetError {
    #[error(
        "找不到内置字体 {FONT_FILE}（找过：{tried}）；请在 peilian 的项目目录里运行，或设置 {FONT_ENV} 指向该字体文件"
    )]
    NotFound { tried: String },
    #[error("字体文件 {path} 无法读取：{source}；请检查文件权限，或设置 {FONT_ENV} 指向 {FONT_FILE}")]
    Read { path: String, source: std::io::Error },
    #[error("字体不是可用的 OpenType 字体（{0}）；请换回随 peilian 发布的 {FONT_FILE}")]
    Parse(String),
    #[error("字体子集生成失败（{0}）；请换回随 peilian 发布的 {FONT_FILE}")]
    Subset(String),
}

/// A font holding only the characters asked for.
#[derive(Debug, Clone)]
pub struct FontSubset {
    /// An OpenType (CFF) font with a Unicode cmap.
    pub bytes: Vec<u8>,
    /// How many distinct characters it maps.
    pub chars: usize,
    /// Characters asked for that the font does not have, in code point order (the browser
    /// shows them with a system font, if it has one).
    pub missing: Vec<char>,
}

/// The subset of `font` (an OpenType file) for `chars`. Control characters are ignored (they
/// are never drawn). Same characters ⇒ same bytes.
pub fn subset(font: &[u8], chars: impl IntoIterator<Item = char>) -> Result<FontSubset, FontSubsetError> {
    let wanted: BTreeSet<char> = chars.into_iter().filter(|c| !c.is_control()).collect();
    let data = ReadScope::new(font).read::<FontData<'_>>().map_err(|e| FontSubsetError::Parse(e.to_string()))?;
    let provider = data.table_provider(0).map_err(|e| FontSubsetError::Parse(e.to_string()))?;
    let mut parsed = Font::new(provider).map_err(|e| FontSubsetError::Parse(e.to_string()))?;
    let mut glyphs: BTreeSet<u16> = BTreeSet::new();
    let mut missing = Vec::new();
    for &c in &wanted {
        match parsed.lookup_glyph_index(c, MatchingPresentation::NotRequired, None).0 {
            0 => missing.push(c),
            g => {
                glyphs.insert(g);
            }
        }
    }
    // .notdef first, then the glyphs in id order (stable output).
    let ids: Vec<u16> = std::iter::once(0).chain(glyphs).collect();
    let bytes =
        allsorts::subset::subset(&parsed.font_table_provider, &ids, &SubsetProfile::Minimal, CmapTarget::Unicode)
            .map_err(|e| FontSubsetError::Subset(format!("{e:?}")))?;
    Ok(FontSubset { bytes, chars: wanted.len() - missing.len(), missing })
}

/// Where the bundled font is: `$PEILIAN_FONT` when set (only there), else `assets/fonts/…`
/// under the working directory, beside the executable or up to four folders above it (for
/// `cargo run` and installed copies), else in the source tree it was built from.
pub fn bundled_font_candidates() -> Vec<PathBuf> {
    if let Some(path) = std::env::var_os(FONT_ENV) {
        return vec![PathBuf::from(path)];
    }
    let mut out = vec![PathBuf::from(FONT_FILE)];
    if let Ok(exe) = std::env::current_exe() {
        out.extend(exe.ancestors().skip(1).take(5).map(|d| d.join(FONT_FILE)));
    }
    out.push(Path::new(env!("CARGO_MANIFEST_DIR")).join(FONT_FILE));
    out
}

/// The bundled font's path and bytes.
pub fn load_bundled_font() -> Result<(PathBuf, Vec<u8>), FontSubsetError> {
    let candidates = bundled_font_candidates();
    let Some(path) = candidates.iter().find(|p| p.is_file()) else {
        let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        return Err(FontSubsetError::NotFound { tried: tried.join("、") });
    };
    let bytes =
        std::fs::read(path).map_err(|source| FontSubsetError::Read { path: path.display().to_string(), source })?;
    Ok((path.clone(), bytes))
}

/// An OpenType font wrapped as WOFF 1.0: each table zlib-compressed when that is smaller, so
/// a page carries about a third less. Fails only on a font whose table directory is broken.
pub fn woff(sfnt: &[u8]) -> Result<Vec<u8>, FontSubsetError> {
    use std::io::Write as _;
    let broken = || FontSubsetError::Subset("表目录不完整".to_string());
    let u16_at = |at: usize| sfnt.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]])).ok_or_else(broken);
    let u32_at =
        |at: usize| sfnt.get(at..at + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]])).ok_or_else(broken);
    let flavor = u32_at(0)?;
    let count = usize::from(u16_at(4)?);
    let mut tables = Vec::with_capacity(count);
    for i in 0..count {
        let record = 12 + 16 * i;
        let (tag, checksum, offset, length) =
            (u32_at(record)?, u32_at(record + 4)?, u32_at(record + 8)? as usize, u32_at(record + 12)? as usize);
        let data = offset.checked_add(length).and_then(|end| sfnt.get(offset..end)).ok_or_else(broken)?;
        tables.push((tag, checksum, data));
    }
    tables.sort_by_key(|t| t.0);
    let pad4 = |n: usize| n.div_ceil(4) * 4;
    let total_sfnt = 12 + 16 * count + tables.iter().map(|t| pad4(t.2.len())).sum::<usize>();
    let mut directory = Vec::with_capacity(20 * count);
    let mut body = Vec::new();
    let mut offset = 44 + 20 * count;
    for (tag, checksum, data) in &tables {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(data).map_err(|e| FontSubsetError::Subset(e.to_string()))?;
        let packed = z.finish().map_err(|e| FontSubsetError::Subset(e.to_string()))?;
        let stored: &[u8] = if packed.len() < data.len() { &packed } else { data };
        for v in [*tag, offset as u32, stored.len() as u32, data.len() as u32, *checksum] {
            directory.extend_from_slice(&v.to_be_bytes());
        }
        body.extend_from_slice(stored);
        body.resize(pad4(body.len()), 0);
        offset = 44 + 20 * count + body.len();
    }
    let length = 44 + directory.len() + body.len();
    let mut out = Vec::with_capacity(length);
    out.extend_from_slice(b"wOFF");
    out.extend_from_slice(&flavor.to_be_bytes());
    out.extend_from_slice(&(length as u32).to_be_bytes());
    out.extend_from_slice(&(count as u16).to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&(total_sfnt as u32).to_be_bytes());
    // Version 1.0; no metadata, no private data.
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&[0; 20]);
    out.extend_from_slice(&directory);
    out.extend_from_slice(&body);
    Ok(out)
}

/// Standard base64 (RFC 4648, with padding), for `data:` URLs.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundled() -> Vec<u8> {
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(FONT_FILE)).expect("the bundled font")
    }

    /// The characters a font maps, read back with ttf-parser (an independent parser).
    fn cmap_of(bytes: &[u8]) -> BTreeSet<char> {
        let face = ttf_parser::Face::parse(bytes, 0).expect("the subset parses");
        let mut out = BTreeSet::new();
        for table in face.tables().cmap.expect("a cmap").subtables {
            assert!(table.is_unicode(), "only Unicode subtables: {:?}", table.platform_id);
            table.codepoints(|c| {
                if let Some(ch) = char::from_u32(c)
                    && table.glyph_index(c).is_some_and(|g| g.0 != 0)
                {
                    out.insert(ch);
                }
            });
        }
        out
    }

    #[test]
    fn every_character_asked_for_is_in_the_subsets_cmap_and_no_other_glyph() {
        let text = "学员报告 · 团队：客服一组 — 通过率 85% ▲ 上升 ✓「退款」（3 次）ABC xyz 0-9";
        let sub = subset(&bundled(), text.chars()).unwrap();
        let asked: BTreeSet<char> = text.chars().collect();
        let mapped = cmap_of(&sub.bytes);
        assert!(asked.is_subset(&mapped), "lacking {:?}", asked.difference(&mapped).collect::<Vec<_>>());
        assert!(sub.missing.is_empty(), "{:?}", sub.missing);
        assert_eq!(sub.chars, asked.len());
        // Anything more in the cmap shares a glyph with a character asked for (U+00A0 and the
        // space, U+2011 and the hyphen …): no glyph beyond those needed.
        let face = ttf_parser::Face::parse(&sub.bytes, 0).unwrap();
        let asked_glyphs: BTreeSet<u16> = asked.iter().map(|c| face.glyph_index(*c).unwrap().0).collect();
        for extra in mapped.difference(&asked) {
            assert!(asked_glyphs.contains(&face.glyph_index(*extra).unwrap().0), "{extra:?} brought its own glyph");
        }
        assert_eq!(face.number_of_glyphs() as usize, asked_glyphs.len() + 1, "the glyphs asked for and .notdef");
        // Every character has an outline in the subset, not an empty glyph.
        struct Count(usize);
        impl ttf_parser::OutlineBuilder for Count {
            fn move_to(&mut self, _: f32, _: f32) {}
            fn line_to(&mut self, _: f32, _: f32) {
                self.0 += 1;
            }
            fn quad_to(&mut self, _: f32, _: f32, _: f32, _: f32) {
                self.0 += 1;
            }
            fn curve_to(&mut self, _: f32, _: f32, _: f32, _: f32, _: f32, _: f32) {
                self.0 += 1;
            }
            fn close(&mut self) {}
        }
        for c in asked.iter().filter(|c| !c.is_whitespace()) {
            let g = face.glyph_index(*c).unwrap();
            let mut n = Count(0);
            face.outline_glyph(g, &mut n);
            assert!(n.0 > 0, "{c:?} has no outline in the subset");
        }
        assert!(face.tables().cff.is_some(), "CFF outlines are kept");
    }

    #[test]
    fn characters_the_font_lacks_are_reported_and_left_out() {
        let sub = subset(&bundled(), "好\u{1f600}\u{20000}好".chars()).unwrap();
        assert_eq!(sub.missing, vec!['\u{1f600}', '\u{20000}']);
        assert_eq!(sub.chars, 1);
        let face = ttf_parser::Face::parse(&sub.bytes, 0).unwrap();
        assert_eq!(face.number_of_glyphs(), 2, ".notdef and 好");
        assert!(cmap_of(&sub.bytes).contains(&'好'));
    }

    #[test]
    fn the_subset_is_small_and_deterministic() {
        let font = bundled();
        let a = subset(&font, "陪练报告".chars()).unwrap();
        let b = subset(&font, "告报练陪\n\t".chars()).unwrap();
        assert_eq!(a.bytes, b.bytes, "same characters, same bytes; control characters ignored");
        assert!(a.bytes.len() < 40_000, "{} bytes for four characters", a.bytes.len());
        assert!(a.bytes.len() * 50 < font.len());
    }

    #[test]
    fn a_file_that_is_not_a_font_is_a_clear_error() {
        let e = subset(b"not a font at all", "好".chars()).unwrap_err();
        assert!(matches!(e, FontSubsetError::Parse(_)), "{e:?}");
        assert!(e.to_string().contains(FONT_FILE), "{e}");
    }

    #[test]
    fn woff_holds_the_same_tables_smaller() {
        use allsorts::tables::FontTableProvider;
        let sub = subset(&bundled(), "学员报告：客户说退款还没到，请核实订单后致歉。".chars()).unwrap();
        let wrapped = woff(&sub.bytes).unwrap();
        assert_eq!(&wrapped[..4], b"wOFF");
        assert_eq!(u32::from_be_bytes(wrapped[8..12].try_into().unwrap()) as usize, wrapped.len(), "length field");
        assert!(wrapped.len() < sub.bytes.len() * 9 / 10, "{} → {}", sub.bytes.len(), wrapped.len());
        // allsorts reads WOFF on its own path: every table comes back byte for byte.
        let otf = ReadScope::new(&sub.bytes).read::<FontData<'_>>().unwrap();
        let otf = otf.table_provider(0).unwrap();
        let back = ReadScope::new(&wrapped).read::<FontData<'_>>().unwrap();
        assert!(matches!(back, FontData::Woff(_)));
        let back = back.table_provider(0).unwrap();
        let tags = otf.table_tags().unwrap();
        assert!(tags.len() >= 8, "{tags:?}");
        assert_eq!(back.table_tags().unwrap().len(), tags.len());
        for tag in tags {
            assert_eq!(back.read_table_data(tag).unwrap(), otf.read_table_data(tag).unwrap(), "table {tag:08x}");
        }
        assert_eq!(woff(&sub.bytes).unwrap(), wrapped, "deterministic");
        assert!(woff(b"OTTO\0\x05").is_err(), "a cut directory is an error, not a panic");
    }

    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), want, "{input:?}");
        }
        assert_eq!(base64(&[0xff, 0xfe, 0x00]), "//4A");
    }
}
