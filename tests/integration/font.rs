//! The bundled font covers every character the app can show: the UI's own words, the scoring's
//! reasons (all in `src/`), and the shipped scenarios and lexicons.

use std::collections::BTreeSet;
use std::path::Path;

use crate::support::root;

fn collect(dir: &Path, exts: &[&str], chars: &mut BTreeSet<char>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, exts, chars);
        } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| exts.contains(&e)) {
            let text = std::fs::read_to_string(&path).unwrap();
            chars.extend(text.chars().filter(|c| !c.is_ascii() && !c.is_whitespace()));
        }
    }
}

#[test]
fn no_shipped_text_falls_outside_the_bundled_font() {
    let bytes = std::fs::read(root().join("assets/fonts/PeilianSansSC.otf")).unwrap();
    let face = ttf_parser::Face::parse(&bytes, 0).unwrap();
    let mut chars = BTreeSet::new();
    collect(&root().join("src"), &["rs"], &mut chars);
    collect(&root().join("scenarios"), &["ron"], &mut chars);
    collect(&root().join("assets/customer"), &["ron"], &mut chars);
    assert!(chars.len() > 1000, "the texts hold many characters ({})", chars.len());
    let missing: String = chars.iter().filter(|c| face.glyph_index(**c).is_none()).collect();
    assert!(missing.is_empty(), "characters without a glyph (run scripts/make-font.py, or avoid them): {missing}");
    // ASCII is covered too.
    assert!((' '..='~').all(|c| face.glyph_index(c).is_some()));
}

#[test]
fn the_font_is_renamed_and_licensed() {
    let bytes = std::fs::read(root().join("assets/fonts/PeilianSansSC.otf")).unwrap();
    let face = ttf_parser::Face::parse(&bytes, 0).unwrap();
    let family = face
        .names()
        .into_iter()
        .filter(|n| n.name_id == ttf_parser::name_id::FAMILY)
        .find_map(|n| n.to_string())
        .unwrap();
    assert_eq!(family, "Peilian Sans SC", "a modified OFL font must not keep the original's names");
    let license = std::fs::read_to_string(root().join("assets/fonts/OFL.txt")).unwrap();
    assert!(license.contains("SIL OPEN FONT LICENSE Version 1.1") && license.contains("Adobe"));
}

#[test]
fn the_coverage_list_matches_the_font() {
    // `peilian lint` warns from assets/fonts/coverage.txt; it must list exactly the font's
    // characters (scripts/make-font.py writes both).
    let bytes = std::fs::read(root().join("assets/fonts/PeilianSansSC.otf")).unwrap();
    let face = ttf_parser::Face::parse(&bytes, 0).unwrap();
    let listed: BTreeSet<char> = std::fs::read_to_string(root().join("assets/fonts/coverage.txt"))
        .unwrap()
        .trim_end_matches('\n')
        .chars()
        .collect();
    let mut in_font = BTreeSet::new();
    for table in face.tables().cmap.unwrap().subtables {
        if table.is_unicode() {
            table.codepoints(|c| {
                if let Some(ch) = char::from_u32(c).filter(|ch| !ch.is_ascii()) {
                    in_font.insert(ch);
                }
            });
        }
    }
    assert!(in_font.len() > 7000);
    let extra: String = listed.difference(&in_font).collect();
    let absent: String = in_font.difference(&listed).collect();
    assert!(
        extra.is_empty() && absent.is_empty(),
        "listed but not in the font: {extra}; in the font but not listed: {absent} (run scripts/make-font.py --coverage-only)"
    );
}
